"""The schedule's quirks, on simulated and real cases: postponed games are not played
games, doubleheaders are two games, a game whose UTC start is the next day belongs to its
officialDate, and the season calendar comes from the API (config only as a fallback)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import backfill_days, load_fixture, needs_fixtures, run_day

from mlb_pipeline.kinds.schedule import parse_schedule
from mlb_pipeline.seasons import fallback_calendar, parse_seasons, phase_on
from mlb_pipeline.warehouse import DuckDBWarehouse


def test_rained_out_game_is_skipped_then_collected_once_on_its_makeup_day(
    daily_dag, embedded, simulated, league, monkeypatch, caplog
):
    game = next(
        g
        for g in sorted(league.games.values(), key=lambda g: g.game_pk)
        if g.postponed_from and g.postponed_from.month >= 4
    )
    rained_out, makeup = game.postponed_from, game.official_date
    run, _ = run_day(daily_dag, rained_out.isoformat(), simulated, monkeypatch)
    assert run.state == "success"  # a postponed game is not a missing game
    assert any(f"skip game {game.game_pk}: postponed" in r.getMessage() for r in caplog.records)
    wh = DuckDBWarehouse()
    assert wh.query("SELECT count(*) n FROM raw.games WHERE game_pk = ?", [game.game_pk])[0]["n"] == 0
    run_info = wh.query(
        "SELECT games_scheduled, games_final, status FROM ops.ingestion_runs WHERE game_date = ?", [rained_out]
    )[0]
    assert run_info["games_final"] == run_info["games_scheduled"] - 1 and run_info["status"] == "complete"

    run, _ = run_day(daily_dag, makeup.isoformat(), simulated, monkeypatch)
    assert run.state == "success"
    rows = wh.query("SELECT official_date, game_number, double_header FROM raw.games WHERE game_pk = ?", [game.game_pk])
    assert rows == [{"official_date": makeup, "game_number": 2, "double_header": "S"}]
    # Its doubleheader partner is another game between the same clubs that day.
    partner = wh.query(
        "SELECT game_pk, game_number FROM raw.games WHERE official_date = ? AND home_team_id = ? "
        "AND away_team_id = ? AND game_pk <> ?",
        [makeup, game.home, game.away, game.game_pk],
    )
    assert [p["game_number"] for p in partner] == [1]


@pytest.mark.unit
def test_next_day_utc_start_belongs_to_its_official_date(league):
    day = dt.date(2024, 7, 1)
    games = parse_schedule(league.schedule_doc(day, day), day.isoformat())
    late = [g for g in games if g.game_datetime.startswith("2024-07-02")]
    assert late and all(g.official_date == "2024-07-01" for g in late)
    # ...and the next day's schedule does not list them.
    nxt = parse_schedule(league.schedule_doc(day + dt.timedelta(days=1), day + dt.timedelta(days=1)), "2024-07-02")
    assert not {g.game_pk for g in late} & {g.game_pk for g in nxt}


@pytest.mark.unit
@needs_fixtures
def test_real_postseason_schedule_and_game_types():
    games = parse_schedule(load_fixture("schedule/2024-10-25.json"), "2024-10-25")
    assert [(g.game_pk, g.game_type, g.phase) for g in games] == [(775300, "W", "post-season")]
    division = load_fixture("schedule/2022-10-11_to_2022-10-13.postseason.json")
    assert {g.game_type for g in parse_schedule(division, "2022-10-11")} == {"D"}
    assert parse_schedule(load_fixture("schedule/2024-10-27.empty.json"), "2024-10-27") == []


@pytest.mark.unit
@needs_fixtures
def test_season_calendar_from_the_api_and_from_config():
    calendar = parse_seasons(load_fixture("meta/pe_seasons_2024.json"), 2024)
    assert calendar["source"] == "statsapi"
    assert phase_on(calendar, "2024-03-01") == "spring_training"
    assert phase_on(calendar, "2024-07-01") == "regular_season"
    assert phase_on(calendar, "2024-10-25") == "postseason"
    assert phase_on(calendar, "2024-12-15") == "off_season"
    fallback = fallback_calendar(2024)
    assert fallback["source"] == "config" and phase_on(fallback, "2024-07-01") == "regular_season"


def test_post_game_corrections_are_collected_again(daily_dag, embedded, monkeypatch, caplog):
    """The official scorer changes a game after we loaded it; /game/changes tells the next run."""
    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    league = League(seed=11, seasons=[2024])
    day = next(
        dt.date(2024, 7, 15) + dt.timedelta(days=i)
        for i in range(7)
        if league.played_on(dt.date(2024, 7, 15) + dt.timedelta(days=i))
    )
    game = league.played_on(day)[0]
    with ReplayServer(SimulatedBackend(league)) as server:
        run, _ = run_day(daily_dag, day.isoformat(), server, monkeypatch)
        assert run.state == "success"
        wh = DuckDBWarehouse()
        before = {
            (r["player_id"], r["rbi"])
            for r in wh.query("SELECT player_id, rbi FROM raw.batting_lines WHERE game_pk = ?", [game.game_pk])
        }
        league.correct(game.game_pk)
        server.clear_requests()
        caplog.clear()
        run, _ = run_day(daily_dag, (day + dt.timedelta(days=1)).isoformat(), server, monkeypatch)
        assert run.state == "success"
        assert server.requests(f"/game/{game.game_pk}/feed/live")  # fetched again...
        others = [g.game_pk for g in league.played_on(day) if g.game_pk != game.game_pk]
        assert not any(server.requests(f"/game/{pk}/feed/live") for pk in others)  # ...and only it
    after = {
        (r["player_id"], r["rbi"])
        for r in wh.query("SELECT player_id, rbi FROM raw.batting_lines WHERE game_pk = ?", [game.game_pk])
    }
    changed = after - before
    assert len(changed) == 1 and len(before - after) == 1  # exactly one line rewritten: the corrected one
    assert any("changed since it was collected (game/changes)" in r.getMessage() for r in caplog.records)


def test_a_chunk_holding_a_suspended_game_and_its_resumption_loads_it_once(embedded):
    """In bulk both dates of a suspended game are in one chunk: its feed is asked on each, and its
    pitches are in both dates' Savant CSVs; it is loaded once, its Statcast pitches once."""
    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    league = League(seed=11, seasons=[2024])
    game = min(
        (g for g in league.games.values() if g.resumed_on and g.official_date.month in (5, 6, 7)),
        key=lambda g: g.official_date,
    )
    assert (game.resumed_on - game.official_date).days < 14  # one chunk holds both dates
    wh = DuckDBWarehouse()
    with ReplayServer(SimulatedBackend(league)).start() as server:
        first, last = game.official_date.isoformat(), game.resumed_on.isoformat()
        backfill_days(server, wh.path, embedded.joinpath("lake").as_uri(), first, last, chunk_days=14)
    assert wh.query("SELECT official_date, is_final FROM raw.games WHERE game_pk = ?", [game.game_pk]) == [
        {"official_date": game.official_date, "is_final": True}
    ]
    pitches = wh.query(
        "SELECT count(*) n, count(DISTINCT (at_bat_number, pitch_number)) k "
        "FROM raw.statcast_pitches WHERE game_pk = ?",
        [game.game_pk],
    )[0]
    feed = wh.query("SELECT count(*) n FROM raw.pitches WHERE game_pk = ?", [game.game_pk])[0]["n"]
    assert pitches["n"] == pitches["k"] and pitches["n"] >= feed > 0


def test_suspended_game_resumes_later_and_counts_once_on_its_own_date(daily_dag, embedded, monkeypatch, caplog):
    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    league = League(seed=11, seasons=[2024])
    game = min(
        (g for g in league.games.values() if g.resumed_on and g.official_date.month in (5, 6, 7)),
        key=lambda g: g.official_date,
    )
    suspended_on, resumed_on = game.official_date, game.resumed_on
    wh = DuckDBWarehouse()
    with ReplayServer(SimulatedBackend(league)).start() as server:
        league.today = suspended_on + dt.timedelta(days=1)  # the morning after: suspended, not resumed
        run, states = run_day(daily_dag, suspended_on.isoformat(), server, monkeypatch)
        assert run.state == "success", states  # a suspended game is not a missing game
        assert any(
            f"game {game.game_pk} was suspended; it resumes on {resumed_on}" in r.getMessage() for r in caplog.records
        )
        assert wh.query("SELECT is_final, status_code FROM raw.games WHERE game_pk = ?", [game.game_pk]) == [
            {"is_final": False, "status_code": "U"}
        ]
        first = wh.query(
            "SELECT games_scheduled, games_final, status FROM ops.ingestion_runs WHERE game_date = ?", [suspended_on]
        )[0]
        n_day = len(league.played_on(suspended_on))
        assert first == {"games_scheduled": n_day, "games_final": n_day - 1, "status": "complete"}

        league.today = resumed_on + dt.timedelta(days=1)
        caplog.clear()
        run, states = run_day(daily_dag, resumed_on.isoformat(), server, monkeypatch)
        assert run.state == "success", states
        assert any(
            f"collect game {game.game_pk} of {suspended_on}: resumption" in r.getMessage() for r in caplog.records
        )
    rows = wh.query("SELECT official_date, is_final FROM raw.games WHERE game_pk = ?", [game.game_pk])
    assert rows == [{"official_date": suspended_on, "is_final": True}]  # one row, on its own date
    resumed_run = wh.query(
        "SELECT games_scheduled, games_final, games_loaded FROM ops.ingestion_runs WHERE game_date = ?", [resumed_on]
    )[0]
    own = league.played_on(resumed_on)
    final = sum(1 for g in own if league.is_final(g))  # that day may have a suspended game of its own
    assert resumed_run == {
        "games_scheduled": len(own),
        "games_final": final,
        "games_loaded": final,
    }  # the resumption is not counted twice
    assert wh.query("SELECT count(*) n FROM raw.games WHERE official_date = ?", [suspended_on])[0]["n"] == n_day
