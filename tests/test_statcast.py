"""Statcast pitches from Baseball Savant over real HTTP, recorded and simulated, and the
fallback to the Stats API feed's pitch data when Savant fails or has nothing yet."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter

import pytest
import urllib3
from conftest import FIXTURES, needs_fixtures, run_day

from mlb_pipeline.collect import collect_feeds, load_day, plan_day
from mlb_pipeline.kinds.game_feed import parse_feed
from mlb_pipeline.kinds.statcast import collect_statcast, load_statcast, parse_statcast
from mlb_pipeline.landing import RawZone
from mlb_pipeline.parse import decode_json
from mlb_pipeline.settings import lake_url
from mlb_pipeline.source import ClientSettings, SavantClient, StatsApiClient
from mlb_pipeline.warehouse import DuckDBWarehouse
from mlb_replay.server import RecordedBackend, ReplayServer

DAY_2020 = "2020-09-03"
FAST = dict(backoff_factor_s=0.01, backoff_max_s=0.02, max_retries=1)


def _fixture_pitches(name: str) -> Counter:
    with open(FIXTURES / "statcast" / name, encoding="utf-8-sig") as fh:
        return Counter(int(r["game_pk"]) for r in csv.DictReader(fh))


def _plan(games: list[int], date: str) -> dict:
    return {
        "game_date": date,
        "collect": [
            {"game_pk": pk, "official_date": date, "phase": "regular-season", "is_final": True} for pk in games
        ],
    }


def _feeds_saying(wh, pitches: dict[int, int], date: str) -> None:
    """Final games in raw.games whose pitchers threw ``pitches`` (the feeds of the recorded
    Savant games were not recorded: these stand in for them, with the count a feed gives)."""
    day = dt.date.fromisoformat(date)
    for pk, n in pitches.items():
        wh.merge_tables(
            [
                (
                    "raw.games",
                    [
                        {
                            "game_pk": pk,
                            "official_date": day,
                            "season": date[:4],
                            "game_type": "R",
                            "phase": "regular-season",
                            "home_team_id": 1,
                            "away_team_id": 2,
                            "status_code": "F",
                            "is_final": True,
                        }
                    ],
                    {"game_pk": pk},
                ),
                (
                    "raw.pitching_lines",
                    [
                        {
                            "game_pk": pk,
                            "official_date": day,
                            "team_id": 1,
                            "player_id": 1,
                            "team_side": "home",
                            "number_of_pitches": n,
                        }
                    ],
                    {"game_pk": pk},
                ),
            ],
            source="test",
        )


@needs_fixtures
def test_recorded_savant_day_lands_every_pitch_of_every_game(embedded):
    expected = _fixture_pitches("pybaseball_small_request_raw.csv")
    assert sum(expected.values()) == 2507 and len(expected) == 8
    wh, zone = DuckDBWarehouse(), RawZone(lake_url())
    wh.ensure_schema()
    _feeds_saying(wh, dict(expected), DAY_2020)
    with ReplayServer(RecordedBackend(FIXTURES)).start() as server:
        client = SavantClient(ClientSettings(server.url))
        collected = collect_statcast(client, zone, _plan(sorted(expected), DAY_2020), concurrency=2)
        assert {g["source"] for g in collected["games"]} == {"baseball_savant"}
        # the recorded day file answers the date's one request, and every game is served from it
        assert [r["target"] for r in server.requests("/statcast_search/")] == [
            client.date_url(DAY_2020).removeprefix(server.url)
        ]
        [landed] = {g["url"] for g in collected["games"]}
        assert f"/current/statcast/{DAY_2020}/statcast_date-" in landed
        counts, failed = load_statcast(wh, zone, collected)
        assert failed == [] and counts[DAY_2020]["statcast_pitches"] == 2507
        before = wh.table_checksums()
        load_statcast(wh, zone, collect_statcast(client, zone, _plan(sorted(expected), DAY_2020), 2))
        assert wh.table_checksums() == before  # re-running changes nothing
    got = wh.query(
        "SELECT game_pk, count(*) n, min(game_date) d, max(release_speed) v "
        "FROM raw.statcast_pitches GROUP BY game_pk ORDER BY game_pk"
    )
    assert {r["game_pk"]: r["n"] for r in got} == dict(expected)
    assert {str(r["d"]) for r in got} == {DAY_2020} and max(r["v"] for r in got) == 100.6
    sources = wh.query(
        "SELECT pitch_source, count(*) n, sum(statcast_pitches) p FROM raw.statcast_games GROUP BY pitch_source"
    )
    assert sources == [{"pitch_source": "baseball_savant", "n": 8, "p": 2507}]
    # The game also recorded alone matches its rows in the day's recording.
    single = _fixture_pitches("pybaseball_single_game_request_raw.csv")
    assert single == {631614: expected[631614]} == {631614: 336}


@needs_fixtures
def test_recorded_savant_games_within_and_beyond_the_tolerance(embedded):
    """Real CSVs against feeds 2 and 3 pitches longer (the tolerance is 2): the first loads,
    the second is refused; a refused answer never takes away a whole game loaded before."""
    expected = _fixture_pitches("pybaseball_small_request_raw.csv")
    wh, zone = DuckDBWarehouse(), RawZone(lake_url())
    wh.ensure_schema()
    within, beyond = 631112, 631614
    _feeds_saying(wh, {within: expected[within] + 2, beyond: expected[beyond] + 3}, DAY_2020)
    with ReplayServer(RecordedBackend(FIXTURES)).start() as server:
        client = SavantClient(ClientSettings(server.url))
        counts, failed = load_statcast(wh, zone, collect_statcast(client, zone, _plan([within, beyond], DAY_2020), 2))
        assert [(f["game_pk"], f["kind"]) for f in failed] == [(beyond, "short")]
        assert (
            f"Savant's CSV has {expected[beyond]} pitches, the game's feed {expected[beyond] + 3}" in failed[0]["error"]
        )
        got = wh.query("SELECT game_pk, pitch_source, statcast_pitches FROM raw.statcast_games ORDER BY game_pk")
        assert got == [
            {"game_pk": within, "pitch_source": "baseball_savant", "statcast_pitches": expected[within]},
            {"game_pk": beyond, "pitch_source": "statsapi_feed", "statcast_pitches": 0},
        ]
        # The feed of `within` is corrected to 3 more pitches: the same CSV is now short, but
        # the whole game loaded before stays, with its raw object, and no letter is written.
        _feeds_saying(wh, {within: expected[within] + 3}, DAY_2020)
        before = wh.table_checksums()
        counts, failed = load_statcast(wh, zone, collect_statcast(client, zone, _plan([within], DAY_2020), 1))
        assert failed == [] and wh.table_checksums() == before
        [obj] = wh.query("SELECT raw_object FROM raw.statcast_games WHERE game_pk = ?", [within])
        assert zone.read(obj["raw_object"])


@pytest.mark.unit
@needs_fixtures
def test_savant_csv_that_is_not_a_game_is_an_error():
    body = (FIXTURES / "statcast" / "pybaseball_small_request_raw.csv").read_bytes()
    import pytest

    from mlb_pipeline.parse import FeedError

    with pytest.raises(FeedError, match="other games"):
        parse_statcast(body, 631614)
    with pytest.raises(FeedError, match="not CSV"):
        parse_statcast(b"<html><body>Service Unavailable</body></html>", 631614)
    with pytest.raises(FeedError, match="columns"):
        parse_statcast(b"pitch_type,release_speed\nFF,95.1\n", 631614)
    header = body.split(b"\n", 1)[0] + b"\n"
    assert parse_statcast(header, 631614) == []  # Savant has nothing for the game yet
    assert parse_statcast(b"", 631614) == []


def _as_pybaseball_reads(body: bytes) -> list[dict]:
    """What pybaseball's own reader (pandas) makes of a Savant CSV, coerced as the table types it:
    a number column's unreadable cell is missing (``pd.to_numeric(errors="coerce")``)."""
    import pandas as pd
    from pybaseball.datasources.statcast import get_statcast_data_from_csv

    from mlb_pipeline.kinds.statcast import COLUMNS

    frame = get_statcast_data_from_csv(body.decode("utf-8-sig", errors="replace"))
    out = {}
    for theirs, (ours, kind) in COLUMNS.items():
        if theirs not in frame.columns:
            continue
        column = frame[theirs]
        if kind is str:
            out[ours] = [None if pd.isna(v) else str(v) for v in column]
        else:
            numbers = pd.to_numeric(column, errors="coerce").astype("float64")
            out[ours] = [None if pd.isna(v) else kind(v) for v in numbers]
    return [dict(zip(out, cells)) for cells in zip(*out.values())]


@pytest.mark.unit
@needs_fixtures
def test_savant_csv_is_read_as_pybaseballs_reader_reads_it_quirks_included():
    """Savant's CSV is read with Arrow's CSV reader (a date in milliseconds): every recorded CSV,
    and the quirks a real response has (a byte-order mark, CRLF, padded or unreadable numbers,
    ``null``, invalid UTF-8, a column named twice), give the rows pybaseball's reader gives."""
    from mlb_pipeline.kinds.statcast import parse_savant

    recorded = sorted((FIXTURES / "statcast").glob("*.csv"))
    assert len(recorded) >= 4
    darvish = (FIXTURES / "statcast" / "pybaseball_raw_darvish_data.csv").read_bytes()
    assert darvish.split(b"\n", 1)[0].count(b'"pitcher"') == 2  # Savant names two columns "pitcher"
    quirks = {
        "bom": b"\xef\xbb\xbf" + darvish,
        "crlf": darvish.replace(b"\n", b"\r\n"),
        "padded": darvish.replace(b'"97.3"', b'" 97.3 "'),
        "unreadable": darvish.replace(b'"97.3"', b'"fast"'),
        "null": darvish.replace(b'"97.3"', b'"null"'),
        "utf8": darvish.replace(b"Yu Darvish", b"Yu Darv\xffish"),
    }
    bodies = {p.name: p.read_bytes() for p in recorded} | quirks
    for name, body in bodies.items():
        ours = [row for rows in parse_savant(body, name).values() for row in rows]
        theirs = _as_pybaseball_reads(body)
        key = lambda r: (r["game_pk"], r["at_bat_number"], r["pitch_number"])  # noqa: E731
        assert sorted(ours, key=key) == sorted(theirs, key=key), name
    unreadable = [row for rows in parse_savant(quirks["unreadable"], "q").values() for row in rows]
    assert sum(1 for r in unreadable if r["release_speed"] is None) > sum(
        1 for rows in parse_savant(darvish, "d").values() for r in rows if r["release_speed"] is None
    )


def test_simulated_day_has_savant_pitches_for_every_final_game(daily_dag, embedded, simulated, league, monkeypatch):
    day = "2024-06-04"
    run, states = run_day(daily_dag, day, simulated, monkeypatch)
    assert run.state == "success", states
    wh = DuckDBWarehouse()
    games = wh.query("SELECT game_pk FROM raw.games WHERE official_date = ? AND is_final", [day])
    assert len(games) == len(league.played_on(dt.date.fromisoformat(day))) > 0
    # Savant and the feed describe the same pitches: one Savant row for every feed pitch.
    per_game = wh.query(
        "SELECT p.game_pk, p.n AS feed, s.n AS savant, g.pitch_source FROM "
        "(SELECT game_pk, count(*) n FROM raw.pitches WHERE official_date = ? GROUP BY game_pk) p "
        "JOIN (SELECT game_pk, count(*) n FROM raw.statcast_pitches GROUP BY game_pk) s USING (game_pk) "
        "JOIN raw.statcast_games g USING (game_pk)",
        [day],
    )
    assert len(per_game) == len(games)
    assert all(r["feed"] == r["savant"] and r["pitch_source"] == "baseball_savant" for r in per_game)
    run_row = wh.query("SELECT table_counts FROM ops.ingestion_runs WHERE game_date = ?", [day])[0]
    assert '"statcast_pitches"' in run_row["table_counts"]


def test_savant_outage_falls_back_to_the_feed_and_is_retried_later(embedded, simulated, league, caplog):
    """Savant down: the date's one request fails (not one a game), every game's pitch data is
    the feed's (recorded per game, with the reason), failures are dead letters per game; the
    next run asks Savant again for those games, with their date's request, and resolves the letters."""
    day, next_day = "2024-06-06", "2024-06-07"
    wh, zone = DuckDBWarehouse(), RawZone(lake_url())
    api = StatsApiClient(ClientSettings(simulated.url))

    def run(date: str, savant: SavantClient) -> dict:
        plan = plan_day(api, zone, date, wh)
        feeds = collect_feeds(api, zone, plan, 4)
        statcast = collect_statcast(savant, zone, plan, 2)
        load_day(wh, zone, plan, {"collect_game_feeds": feeds, "collect_statcast": statcast}, run_id=f"run-{date}")
        return plan

    simulated.add_fault(r"/statcast_search/", status=503, retry_after=0)
    savant = SavantClient(ClientSettings(simulated.url, breaker_fail_max=3, **FAST))
    run(day, savant)
    n = len(league.played_on(dt.date.fromisoformat(day)))
    # The date's one request fails (2 tries), and with it every game of the date.
    assert len(simulated.requests(rf"/statcast_search/.*game_date_gt={day}")) == 2
    assert len(simulated.requests("/statcast_search/")) == 2
    assert wh.query("SELECT pitch_source, count(*) n FROM raw.statcast_games GROUP BY pitch_source") == [
        {"pitch_source": "statsapi_feed", "n": n}
    ]
    reasons = {r["reason"] for r in wh.query("SELECT reason FROM raw.statcast_games")}
    assert all(r.startswith("Savant failed") for r in reasons), reasons
    assert wh.query("SELECT count(*) n FROM raw.statcast_pitches")[0]["n"] == 0
    letters = wh.query(
        "SELECT count(*) n FROM ops.dead_letters WHERE endpoint = 'statcast_single_game' AND resolved_at IS NULL"
    )[0]["n"]
    assert letters == n
    assert any("FALLBACK" in r.getMessage() and "Stats API feed" in r.getMessage() for r in caplog.records)

    simulated.clear_faults()
    plan = run(next_day, SavantClient(ClientSettings(simulated.url, **FAST)))
    # one request a date: the day's games asked again with their date's request, and the next day's
    asked = [r["target"].split("game_date_gt=")[1][:10] for r in simulated.requests("/statcast_search/")[2:]]
    assert sorted(asked) == [day, next_day] and not simulated.requests("game_pk=")
    assert sorted(g["game_pk"] for g in plan["statcast_retry"]) == sorted(
        g.game_pk for g in league.played_on(dt.date.fromisoformat(day))
    )
    assert wh.query("SELECT DISTINCT pitch_source FROM raw.statcast_games") == [{"pitch_source": "baseball_savant"}]
    assert (
        wh.query(
            "SELECT count(*) n FROM ops.dead_letters WHERE endpoint = 'statcast_single_game' AND resolved_at IS NULL"
        )[0]["n"]
        == 0
    )
    # Feed games are never re-collected for Savant's sake: the feed was fetched once a game.
    assert len(simulated.requests(r"/feed/live")) == n + len(league.played_on(dt.date.fromisoformat(next_day)))


def _load_feeds(wh, url: str, game_pks: list[int]) -> None:
    """The games' feeds, fetched from the double and loaded (Statcast waits for them)."""
    api = StatsApiClient(ClientSettings(url))
    for pk in game_pks:
        wh.load_game(pk, parse_feed(decode_json(api.fetch("game", gamePk=pk).body, f"feed {pk}")), source="statsapi")


def _first_game_with_its_feed(league, url: str, day: str):
    """The first game of ``day``, its feed loaded into a fresh warehouse: ``(pk, warehouse, zone)``."""
    pk = league.played_on(dt.date.fromisoformat(day))[0].game_pk
    wh, zone = DuckDBWarehouse(), RawZone(lake_url())
    wh.ensure_schema()
    _load_feeds(wh, url, [pk])
    return pk, wh, zone


def test_savant_failure_keeps_pitches_already_loaded_and_uses_the_raw_zone_copy(embedded, simulated, league):
    day = "2024-06-08"
    pk, wh, zone = _first_game_with_its_feed(league, simulated.url, day)
    plan = _plan([pk], day)
    good = SavantClient(ClientSettings(simulated.url))
    load_statcast(wh, zone, collect_statcast(good, zone, plan, 1))
    pitches = "SELECT content_hash FROM raw.statcast_pitches ORDER BY at_bat_number, pitch_number"
    before = wh.query(pitches)

    simulated.add_fault(r"/statcast_search/", status=500)
    failing = SavantClient(ClientSettings(simulated.url, **FAST))
    collected = collect_statcast(failing, zone, plan, 1)
    assert [g["source"] for g in collected["games"]] == ["raw_zone_fallback"]
    load_statcast(wh, zone, collected)
    assert wh.query(pitches) == before and len(before) > 100  # the same pitches, marked as served
    assert wh.query("SELECT DISTINCT source FROM raw.statcast_pitches") == [{"source": "raw_zone_fallback"}]
    assert wh.query("SELECT pitch_source, reason LIKE 'Savant failed; its copy%' AS copy FROM raw.statcast_games") == [
        {"pitch_source": "baseball_savant", "copy": True}
    ]


def test_malformed_savant_body_is_quarantined_with_its_reason(embedded, simulated, league):
    """A date's CSV cut mid-row: quarantined once with the reason, a dead letter for each of
    its games, and none of its pitches loaded (the feed serves the games)."""
    day = "2024-06-09"
    pks = sorted(g.game_pk for g in league.played_on(dt.date.fromisoformat(day)))[:3]
    wh, zone = DuckDBWarehouse(), RawZone(lake_url())
    wh.ensure_schema()
    _load_feeds(wh, simulated.url, pks)
    simulated.add_fault(r"/statcast_search/", truncate=True)  # half a CSV: a cut-off last row
    collected = collect_statcast(SavantClient(ClientSettings(simulated.url)), zone, _plan(pks, day), 1)
    assert len(simulated.requests("/statcast_search/")) == 1
    assert [f["game_pk"] for f in collected["failed"]] == pks
    assert {f["kind"] for f in collected["failed"]} == {"unparseable"}
    assert all("different widths" in f["error"] for f in collected["failed"])
    [quarantined] = {f["raw_object"] for f in collected["failed"]}
    reason = zone.read(quarantined[: -len(".csv")] + ".reason.json")
    assert b"cut-off body" in reason and f"/quarantine/{day}/statcast/statcast_date-".encode() in quarantined.encode()
    lake = embedded / "lake"  # the cut CSV is in quarantine/ only
    cut = zone.read(quarantined)
    assert [str(p.relative_to(lake)) for p in lake.rglob("*") if p.is_file() and p.read_bytes() == cut] == [
        quarantined.removeprefix(lake.as_uri() + "/")
    ]
    assert {g["source"] for g in collected["games"]} == {"statsapi_feed"}
    assert all(g["reason"].startswith("Savant failed") for g in collected["games"])
    counts, failed = load_statcast(wh, zone, collected)
    assert [(f["game_pk"], f["kind"]) for f in failed] == [(pk, "unparseable") for pk in pks]
    assert wh.query("SELECT count(*) n FROM raw.statcast_pitches")[0]["n"] == 0  # nothing half-loaded
    assert wh.query("SELECT DISTINCT pitch_source FROM raw.statcast_games") == [{"pitch_source": "statsapi_feed"}]


def test_a_date_is_one_request_and_loads_what_game_by_game_requests_load(embedded, simulated, league, tmp_path):
    """One Savant request for a date's games loads the same raw.statcast_pitches as asking
    game by game. A date's CSV that reaches the row cap (the double cuts it there, as Savant
    does) is quarantined and its games asked one by one: every game still loads whole."""
    import shutil

    day, cap = "2024-06-16", 1000
    pks = sorted(g.game_pk for g in league.played_on(dt.date.fromisoformat(day)))[:4]
    zone, by_date = RawZone(lake_url()), DuckDBWarehouse()
    by_date.ensure_schema()
    _load_feeds(by_date, simulated.url, pks)
    shutil.copy(by_date.path, tmp_path / "by_game.duckdb")
    by_game = DuckDBWarehouse(tmp_path / "by_game.duckdb")
    savant = SavantClient(ClientSettings(simulated.url))
    simulated.clear_requests()

    collected = collect_statcast(savant, zone, _plan(pks, day), 2)
    assert [r["target"] for r in simulated.requests()] == [savant.date_url(day).removeprefix(simulated.url)]
    counts, failed = load_statcast(by_date, zone, collected)
    assert failed == [] and len({g["url"] for g in collected["games"]}) == 1
    # the double refuses what it does not simulate: another parameter, a range of dates
    other = savant.date_url(day).replace(f"game_date_lt={day}", "game_date_lt=2024-06-17")
    assert [urllib3.request("GET", u).status for u in (savant.date_url(day) + "extra=1", other)] == [404, 404]
    simulated.clear_requests()

    simulated.add_fault(rf"/statcast_search/.*game_date_gt={day}", max_rows=cap)
    collected = collect_statcast(savant, zone, _plan(pks, day), 2, row_cap=cap)
    capped, *singles = simulated.requests()
    assert capped["fault"]["max_rows"] == cap and sorted(r["target"] for r in singles) == sorted(
        savant.game_url(pk).removeprefix(simulated.url) for pk in pks
    )
    counts, failed = load_statcast(by_game, zone, collected)
    assert failed == [] and {g["source"] for g in collected["games"]} == {"baseball_savant"}
    [note] = (embedded / "lake" / "quarantine" / day / "statcast").glob("statcast_date-*.reason.json")
    assert f"Savant's row cap ({cap}) reached" in note.read_text()

    pitches = "SELECT * EXCLUDE (ingested_at) FROM raw.statcast_pitches ORDER BY game_pk, at_bat_number, pitch_number"
    assert by_game.query(pitches) == by_date.query(pitches)
    whole = "SELECT game_pk, count(*) n FROM raw.{} GROUP BY game_pk ORDER BY game_pk"
    assert by_game.query(whole.format("statcast_pitches")) == by_game.query(whole.format("pitches"))
    assert len(by_game.query(whole.format("statcast_pitches"))) == len(pks)
    objects = "SELECT raw_object FROM raw.statcast_games ORDER BY game_pk"
    assert len({r["raw_object"] for r in by_date.query(objects)}) == 1  # the date's CSV
    assert [r["raw_object"].split("/")[-2] for r in by_game.query(objects)] == [str(pk) for pk in pks]  # each game's


def _run_day(wh, zone, server_url: str, date: str, games: int = 3) -> tuple[dict, dict]:
    """What the daily DAG's plan, collect and load tasks do for ``date``, without Airflow,
    for its first ``games`` planned games only (to keep the test short)."""
    api = StatsApiClient(ClientSettings(server_url, **FAST))
    plan = plan_day(api, zone, date, wh)
    plan["collect"] = sorted(plan["collect"], key=lambda g: g["game_pk"])[:games]
    feeds = collect_feeds(api, zone, plan, 4)
    statcast = collect_statcast(SavantClient(ClientSettings(server_url, **FAST)), zone, plan, 2)
    load_day(wh, zone, plan, {"collect_game_feeds": feeds, "collect_statcast": statcast}, run_id=f"run-{date}")
    return plan, statcast


def _savant_letters(wh) -> list[dict]:
    return wh.query(
        "SELECT game_pk, kind, error, raw_object FROM ops.dead_letters "
        "WHERE endpoint = 'statcast_single_game' AND resolved_at IS NULL ORDER BY game_pk"
    )


def test_savant_csv_cut_at_a_row_boundary_is_refused_quarantined_and_asked_again(embedded, simulated, league):
    """A date's CSV with half of one game's rows (cut after a complete line) parses cleanly:
    the feed's pitch count gives it away. That game is not loaded, the body is quarantined with
    the reason, a dead letter; the other games load from the same CSV, and the feed serves the
    game until a later run gets Savant's whole game."""
    from mlb_pipeline import quality

    day, next_day = "2024-06-11", "2024-06-12"
    wh, zone = DuckDBWarehouse(), RawZone(lake_url())
    games = sorted(g.game_pk for g in league.played_on(dt.date.fromisoformat(day)))[:3]
    victim = games[1]
    lines = SavantClient(ClientSettings(simulated.url)).fetch_date(day).body.splitlines(keepends=True)
    rows = list(csv.reader(line.decode() for line in lines))
    mine = [i for i, row in enumerate(rows) if row[rows[0].index("game_pk")] == str(victim)]
    cut = b"".join(line for i, line in enumerate(lines) if i not in mine[len(mine) // 2 :])
    simulated.add_fault(rf"/statcast_search/.*game_date_gt={day}", body=cut.decode())
    plan, _ = _run_day(wh, zone, simulated.url, day)
    served = [r for r in simulated.requests(f"game_date_gt={day}") if r["fault"]]
    assert served and served[0]["status"] == 200  # Savant answered 200 with half the game

    feed = wh.query("SELECT count(*) n FROM raw.pitches WHERE game_pk = ?", [victim])[0]["n"]
    assert wh.query("SELECT count(*) n FROM raw.statcast_pitches WHERE game_pk = ?", [victim])[0]["n"] == 0
    [record] = wh.query("SELECT pitch_source, reason FROM raw.statcast_games WHERE game_pk = ?", [victim])
    assert record["pitch_source"] == "statsapi_feed" and f"the game's feed {feed}" in record["reason"]
    assert (
        wh.query("SELECT count(*) n FROM raw.statcast_games WHERE pitch_source = 'baseball_savant'")[0]["n"]
        == len(games) - 1
        == 2
    )
    [letter] = _savant_letters(wh)
    assert letter["game_pk"] == victim and letter["kind"] == "short" and "short" in letter["error"]
    assert "/quarantine/" in letter["raw_object"] and b"short" in zone.read(
        letter["raw_object"][: -len(".csv")] + ".reason.json"
    )
    phase = next(g["phase"] for g in plan["collect"] if g["game_pk"] == victim)
    assert zone.copies(victim, day, phase, "statcast_single_game", ".csv") == []  # no copy of the game alone
    # the date's CSV stays in current/ (the other games' pitches point to it), landed once
    [obj] = {
        r["raw_object"] for r in wh.query("SELECT raw_object FROM raw.statcast_games WHERE game_pk <> ?", [victim])
    }
    assert f"/current/statcast/{day}/statcast_date-" in obj and zone.read(obj) == cut

    # The graded identity: a game whose Savant rows fall short of its feed is F, named.
    frames = quality.read_batch(wh, day)
    other = games[0]
    frames["statcast_pitches"] = frames["statcast_pitches"][
        (frames["statcast_pitches"]["game_pk"] != other) | (frames["statcast_pitches"]["at_bat_number"] < 30)
    ]
    columns = {
        t.split(".", 1)[1]: [c for c in s["columns"] if c not in ("ingested_at", "source", "content_hash")]
        for t, s in wh.tables.items()
        if t.startswith("raw.")
    }
    grades = {g.table: g for g in quality.Grader().grade_day(frames, columns, "regular_season", day)}
    assert grades["statcast_pitches"].grade == "F"
    [failure] = [f for f in grades["statcast_pitches"].failed if "_identities" in f["suite"]]
    assert failure["games"] == [other] and "Savant pitches = feed pitches" in failure["checks"][0]

    simulated.clear_faults()
    plan, _ = _run_day(wh, zone, simulated.url, next_day, games=0)  # the next day's run, its Savant retries alone
    assert victim in [g["game_pk"] for g in plan["statcast_retry"]]  # asked again
    assert wh.query("SELECT count(*) n FROM raw.statcast_pitches WHERE game_pk = ?", [victim])[0]["n"] == feed
    assert wh.query("SELECT pitch_source FROM raw.statcast_games WHERE game_pk = ?", [victim]) == [
        {"pitch_source": "baseball_savant"}
    ]
    assert _savant_letters(wh) == []


@pytest.mark.unit
def test_a_short_copy_in_the_raw_zone_is_not_served(embedded, simulated, league):
    day = "2024-06-13"
    pk, wh, zone = _first_game_with_its_feed(league, simulated.url, day)
    lines = SavantClient(ClientSettings(simulated.url)).fetch_game(pk).body.splitlines(keepends=True)
    short = zone.land(
        zone.game_key(pk, day, "regular-season", True),
        "statcast_single_game",
        b"".join(lines[: len(lines) // 2]),
        ".csv",
    )  # landed before loads were checked
    simulated.add_fault(r"/statcast_search/", status=500)
    collected = collect_statcast(SavantClient(ClientSettings(simulated.url, **FAST)), zone, _plan([pk], day), 1)
    assert [g["source"] for g in collected["games"]] == ["raw_zone_fallback"]
    counts, failed = load_statcast(wh, zone, collected)
    assert wh.query("SELECT count(*) n FROM raw.statcast_pitches")[0]["n"] == 0
    assert wh.query("SELECT pitch_source FROM raw.statcast_games") == [{"pitch_source": "statsapi_feed"}]
    assert [f["kind"] for f in failed] == ["unavailable", "short"]
    assert zone.copies(pk, day, "regular-season", "statcast_single_game", ".csv") == []
    assert short.url not in [f["raw_object"] for f in failed] and "/quarantine/" in failed[1]["raw_object"]


def test_when_every_feed_fails_no_statcast_is_loaded_until_the_feeds_are(embedded, simulated, league):
    """Savant answers but every feed fails: no Statcast for games that are not in raw.games
    (nothing half-loaded, no Savant dead letter); a later run that loads the feeds loads them."""
    day, n = "2024-06-14", 3
    wh, zone = DuckDBWarehouse(), RawZone(lake_url())
    simulated.add_fault(r"/feed/live", status=500)
    _, statcast = _run_day(wh, zone, simulated.url, day)
    assert wh.query("SELECT count(*) n FROM raw.games")[0]["n"] == 0
    assert wh.query("SELECT count(*) n FROM raw.statcast_pitches")[0]["n"] == 0
    assert wh.query("SELECT count(*) n FROM raw.statcast_games")[0]["n"] == 0
    assert {g["source"] for g in statcast["games"]} == {"waiting_for_feed"}  # fetched, not loaded
    assert _savant_letters(wh) == []
    assert wh.query("SELECT count(*) n FROM ops.dead_letters WHERE endpoint = 'game'")[0]["n"] == n

    simulated.clear_faults()
    _run_day(wh, zone, simulated.url, day)  # a later run: the feeds come, and Statcast with them
    rows = wh.query(
        "SELECT count(*) n, count(DISTINCT s.game_pk) g FROM raw.statcast_pitches AS s "
        "JOIN raw.games AS g USING (game_pk) WHERE g.official_date = ?",
        [dt.date.fromisoformat(day)],
    )
    assert (
        rows[0]["g"] == n
        and rows[0]["n"]
        == wh.query("SELECT count(*) n FROM raw.pitches WHERE official_date = ?", [dt.date.fromisoformat(day)])[0]["n"]
    )
