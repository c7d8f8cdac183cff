"""Teams, standings, active rosters and player discovery: parsed from real responses,
collected from the simulated league by the daily DAG."""

from __future__ import annotations

import copy
import datetime as dt

import orjson
import pytest
from conftest import load_fixture, needs_fixtures, run_day

from mlb_pipeline.kinds.reference_data import load_reference
from mlb_pipeline.kinds.rosters import parse_roster
from mlb_pipeline.kinds.standings import parse_standings
from mlb_pipeline.kinds.teams import parse_teams
from mlb_pipeline.kinds.transactions import parse_transactions
from mlb_pipeline.landing import RawZone
from mlb_pipeline.warehouse import DuckDBWarehouse


@pytest.mark.unit
@needs_fixtures
def test_real_reference_responses_parse_row_for_row():
    teams = load_fixture("teams/teams_sportId1_season2024.json")
    rows = parse_teams(teams, "2024")
    assert len(rows) == len(teams["teams"]) == 30
    assert {r["team_id"] for r in rows} == {t["id"] for t in teams["teams"]}

    standings = load_fixture("standings/ds_standings_2024_regularSeason.json")
    rows = parse_standings(standings, "2024-09-30")
    expected = {
        tr["team"]["id"]: (tr["wins"], tr["losses"], tr["runDifferential"])
        for rec in standings["records"]
        for tr in rec["teamRecords"]
    }
    assert {r["team_id"]: (r["wins"], r["losses"], r["run_differential"]) for r in rows} == expected
    assert sum(r["wins"] for r in rows) == sum(r["losses"] for r in rows)  # every game has a winner and a loser

    moves = load_fixture("transactions/ds_transactions_2024-03-01_to_2024-03-02.json")
    rows = parse_transactions(moves, "2024-03-01")
    assert [r["transaction_id"] for r in rows] == [t["id"] for t in moves["transactions"]] and len(rows) == 244
    assert {r["type_code"] for r in rows} >= {"ASG"}

    for name, team in (("rosters/zss_team_133_roster_players.json", 133), ("rosters/147_active_2024.json", 147)):
        doc = load_fixture(name)
        rows = parse_roster(doc, "2024-07-01", team, "active")
        assert [r["player_id"] for r in rows] == [p["person"]["id"] for p in doc["roster"]]


def test_daily_run_lands_teams_standings_rosters_and_players(daily_dag, embedded, simulated, league, monkeypatch):
    day = dt.date(2024, 7, 9)
    run, _ = run_day(daily_dag, day.isoformat(), simulated, monkeypatch)
    assert run.state == "success"
    wh = DuckDBWarehouse()
    assert wh.query("SELECT count(*) n FROM raw.teams WHERE season = '2024'")[0]["n"] == 30
    standings = wh.query(
        "SELECT sum(wins) w, sum(losses) l, count(*) n FROM raw.standings WHERE standings_date = ?", [day]
    )[0]
    played = sum(1 for g in league.games.values() if g.game_type == "R" and g.official_date <= day)
    assert standings == {"w": played, "l": played, "n": 30}
    assert wh.query("SELECT count(*) n FROM raw.rosters WHERE roster_date = ?", [day])[0]["n"] == 30 * 26
    moves = league.transactions_doc(day, day)["transactions"]
    assert wh.query("SELECT count(*) n FROM raw.transactions WHERE transaction_date = ?", [day])[0]["n"] == len(moves)
    players = wh.query(
        "SELECT first_seen_in = 'transaction' AS moved, count(*) n, min(first_seen_date) f, "
        "max(last_seen_date) l FROM raw.players GROUP BY ALL ORDER BY ALL"
    )
    assert players == [
        {"moved": False, "n": 30 * 26, "f": day, "l": day},
        {"moved": True, "n": len({m["person"]["id"] for m in moves}), "f": day, "l": day},
    ]
    # A player who played is first seen in the box score; one who sat, in the roster.
    seen_in = wh.query(
        "SELECT first_seen_in, count(*) n FROM raw.players WHERE first_seen_in <> 'transaction' "
        "GROUP BY ALL ORDER BY ALL"
    )
    played = wh.query(
        "SELECT count(DISTINCT player_id) n FROM (SELECT player_id FROM raw.batting_lines UNION ALL "
        "SELECT player_id FROM raw.pitching_lines)"
    )[0]["n"]
    assert seen_in == [{"first_seen_in": "boxscore", "n": played}, {"first_seen_in": "roster", "n": 780 - played}]

    # The next day moves last-seen dates of the players seen again, not first-seen dates.
    nxt = day + dt.timedelta(days=1)
    run, _ = run_day(daily_dag, nxt.isoformat(), simulated, monkeypatch)
    assert run.state == "success"
    rostered = wh.query(
        "SELECT count(*) n, min(first_seen_date) f, max(last_seen_date) l FROM raw.players "
        "WHERE first_seen_in <> 'transaction'"
    )[0]
    assert rostered == {"n": 30 * 26, "f": day, "l": nxt}


@pytest.mark.unit
def test_a_new_club_is_discovered_and_added(embedded, league, tmp_path):
    zone = RawZone((tmp_path / "lake").as_uri())
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    doc = league.teams_doc(2024)
    expanded = copy.deepcopy(doc)
    expanded["teams"].append({**doc["teams"][0], "id": 999, "name": "Nashville Stars", "abbreviation": "NSH"})

    def load(body):
        landed = zone.land(("current", "reference", "teams", "2024"), "teams", orjson.dumps(body))
        item = {
            "kind_of_data": "teams",
            "official_date": "2024-07-01",
            "table": "raw.teams",
            "scope": {"season": "2024"},
            "source": "statsapi",
            "url": landed.url,
        }
        return load_reference(wh, zone, {"landed": [item], "failed": []})

    load(doc)
    load(expanded)
    rows = wh.query("SELECT team_id, name FROM raw.teams WHERE season = '2024' ORDER BY team_id")
    assert len(rows) == 31 and rows[-1] == {"team_id": 999, "name": "Nashville Stars"}


def test_every_player_who_played_has_a_stats_row(daily_dag, embedded, simulated, monkeypatch):
    """playerPool=ALL with paging: not the 50 rows the stats endpoint gives by default."""
    day = dt.date(2024, 7, 10)
    run, _ = run_day(daily_dag, day.isoformat(), simulated, monkeypatch)
    assert run.state == "success"
    wh = DuckDBWarehouse()
    for group, lines in (("hitting", "raw.batting_lines"), ("pitching", "raw.pitching_lines")):
        box = wh.query(f"SELECT player_id, team_id FROM {lines} WHERE official_date = ? ORDER BY ALL", [day])
        stats = wh.query(
            "SELECT player_id, team_id FROM raw.player_stats WHERE stats_date = ? AND stat_group = ? ORDER BY ALL",
            [day, group],
        )
        assert stats == box and len(stats) > 50
    # Team stats: every club that played, its runs as in the line scores.
    runs = wh.query(
        "SELECT team_id, runs FROM raw.team_stats WHERE stats_date = ? AND stat_group = 'hitting' ORDER BY team_id",
        [day],
    )
    line = wh.query(
        "SELECT team_id, sum(runs)::INT AS runs FROM raw.linescore_innings WHERE official_date = ? "
        "GROUP BY team_id ORDER BY team_id",
        [day],
    )
    assert runs == line
    assert wh.query("SELECT count(DISTINCT stat_group) n FROM raw.team_stats")[0]["n"] == 3


@pytest.mark.unit
def test_stats_endpoint_without_a_limit_returns_only_fifty(simulated):
    from mlb_pipeline.parse import stat_splits
    from mlb_pipeline.source import ClientSettings, StatsApiClient

    client = StatsApiClient(ClientSettings(simulated.url))
    params = {
        "stats": "byDateRange",
        "group": "hitting",
        "playerPool": "ALL",
        "startDate": "2024-07-10",
        "endDate": "2024-07-10",
    }
    splits, total = stat_splits(orjson.loads(client.fetch("stats", **params).body), "x")
    assert len(splits) == 50 < total


def test_forty_man_rosters_on_request_and_failed_reference_requests_retried_later(
    embedded, simulated, tmp_path, monkeypatch
):
    """With 40Man in config every club's 40-man roster lands beside its active one (its
    minor-leaguers discovered as players); a roster request that failed for good is a
    dead letter that the next day's run asks again, and resolves."""
    import shutil

    from mlb_pipeline.collect import collect_feeds, load_day, plan_day
    from mlb_pipeline.kinds.reference_data import collect_reference
    from mlb_pipeline.settings import config_dir, lake_url, load_config
    from mlb_pipeline.source import ClientSettings, StatsApiClient

    cfg = tmp_path / "config"
    shutil.copytree(config_dir(), cfg)
    text = (cfg / "pipeline.yaml").read_text()
    assert "roster_types: [active]" in text
    (cfg / "pipeline.yaml").write_text(text.replace("roster_types: [active]", "roster_types: [active, 40Man]"))
    monkeypatch.setenv("MLB_CONFIG_DIR", str(cfg))
    load_config.cache_clear()
    try:
        wh, zone = DuckDBWarehouse(), RawZone(lake_url())
        api = StatsApiClient(ClientSettings(simulated.url, max_retries=1, backoff_factor_s=0.01, breaker_fail_max=100))
        day, next_day = "2024-06-10", "2024-06-11"

        def run(date: str) -> dict:
            plan = plan_day(api, zone, date, wh)
            load_day(
                wh,
                zone,
                plan,
                {
                    "collect_game_feeds": collect_feeds(api, zone, plan, 4),
                    "collect_reference_data": collect_reference(api, zone, plan, 4),
                },
                run_id=f"run-{date}",
            )
            return plan

        simulated.add_fault(rf"/teams/147/roster\?date={day}&rosterType=40Man", status=500)
        run(day)
        counts = {
            (r["roster_type"], r["n"])
            for r in wh.query(
                "SELECT roster_type, count(*) n FROM raw.rosters WHERE roster_date = ? GROUP BY roster_type", [day]
            )
        }
        assert counts == {("active", 30 * 26), ("40Man", 29 * 40)}
        minors = wh.query(
            "SELECT count(*) n FROM raw.players WHERE player_id IN "
            "(SELECT player_id FROM raw.rosters WHERE status_code = 'MIN')"
        )[0]["n"]
        assert minors == 29 * 14  # the minor-leaguers on the 40-man rosters are players we know
        [letter] = wh.query("SELECT game_date, endpoint, request_url FROM ops.dead_letters WHERE resolved_at IS NULL")
        assert letter["endpoint"] == "team_roster" and "/teams/147/roster" in letter["request_url"]

        simulated.clear_faults()
        simulated.clear_requests()
        plan = run(next_day)
        assert plan["reference_retry"] == {day: [letter["request_url"]]}
        assert len(simulated.requests(rf"/teams/147/roster\?date={day}")) == 1  # only what failed is asked again
        assert (
            wh.query("SELECT count(*) n FROM raw.rosters WHERE roster_date = ? AND roster_type = '40Man'", [day])[0][
                "n"
            ]
            == 30 * 40
        )
        assert wh.query("SELECT count(*) n FROM ops.dead_letters WHERE resolved_at IS NULL")[0]["n"] == 0
    finally:
        load_config.cache_clear()


@pytest.mark.unit
def test_unparseable_reference_schedule_and_calendar_bodies_go_to_quarantine_only(embedded, simulated):
    """An HTML page for the teams, cut JSON for the standings, the season calendar and the
    schedule: each is kept with its reason under quarantine/ and nowhere else (the end of
    the season archives everything under current/); the calendar falls back on config."""
    import pytest

    from mlb_pipeline.collect import plan_day
    from mlb_pipeline.kinds import standings, teams
    from mlb_pipeline.kinds.reference_data import _fetch
    from mlb_pipeline.parse import FeedError
    from mlb_pipeline.seasons import season_calendar
    from mlb_pipeline.settings import lake_url
    from mlb_pipeline.source import ClientSettings, StatsApiClient

    day, lake = "2024-06-10", embedded / "lake"
    zone, api = RawZone(lake_url()), StatsApiClient(ClientSettings(simulated.url, max_retries=0))
    page = "<!DOCTYPE html><html><body>Bad gateway</body></html>"
    simulated.add_fault(r"/api/v1/teams\?", body=page)
    simulated.add_fault(r"/standings\?", truncate=True)
    simulated.add_fault(r"/seasons/2024", truncate=True)
    simulated.add_fault(r"/schedule\?", truncate=True, times=1)

    [teams] = [_fetch(api, zone, day, request) for request in teams.KIND.requests(day, "2024", [])]
    [standings] = [_fetch(api, zone, day, request) for request in standings.KIND.requests(day, "2024", [])]
    assert season_calendar(api, zone, 2024)["source"] == "config"
    with pytest.raises(FeedError, match="not valid JSON"):
        plan_day(api, zone, day)
    assert [(r["ok"], r["kind"]) for r in (teams, standings)] == [(False, "unparseable")] * 2

    bad = {p for p in lake.rglob("*") if p.is_file() and not p.name.endswith(".reason.json")}
    assert len(bad) == 4 and all(p.relative_to(lake).parts[0] == "quarantine" for p in bad), bad
    assert all(p.with_suffix(".reason.json").exists() for p in bad)
    assert {p.relative_to(lake).parts[1:3] for p in bad} == {
        (day, "teams"),
        (day, "standings"),
        ("2024", "seasons"),
        (day, "schedule"),
    }
    assert page.encode() in {p.read_bytes() for p in bad}
