"""The daily DAG, run for real with ``dag.test()`` against the replay server over HTTP."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import FIXTURES, needs_fixtures, run_day

from mlb_pipeline.schema import load_schema
from mlb_pipeline.warehouse import DuckDBWarehouse

RAW_TABLES = [
    "raw.games",
    "raw.linescore_innings",
    "raw.team_lines",
    "raw.batting_lines",
    "raw.pitching_lines",
    "raw.pitches",
    "raw.game_conditions",
    "raw.officials",
]


def lake_files(root: Path) -> dict[str, bytes]:
    """The raw zone's objects (the Data Docs and the report page beside it are reports, rebuilt
    by every run)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] not in ("quality", "reports")
    }


@needs_fixtures
def test_recorded_2024_07_01_lands_what_exists_and_reports_what_does_not(
    daily_dag, embedded, recorded, monkeypatch, caplog, inbox
):
    run, states = run_day(daily_dag, "2024-07-01", recorded, monkeypatch)
    collection = {k: v for k, v in states.items() if not k.startswith("build_features.")}
    assert collection == {
        "plan_game_day": "success",
        "collect_game_feeds": "success",
        "collect_reference_data": "success",
        "collect_statcast": "success",
        "load_raw_tables": "success",
        "grade_raw_data": "failed",
        "check_day_complete": "upstream_failed",
        "check_feature_inputs": "upstream_failed",
        "publish_dbt_docs": "upstream_failed",
        "train_model": "upstream_failed",
        "predict_games": "upstream_failed",
        "find_gaps": "success",
        "fill_gaps": "skipped",
        "publish_report": "success",  # the page of a failed day: when it is read
    }
    assert run.state == "failed"  # the day is incomplete: not promoted, and the run says so
    # ... and emails the on-call address (the task's on_failure_callback, a real SMTP server).
    rejected = (
        "2024-07-01 graded F (regular_season): not promoted; games [744840, 746535] are final in the "
        "schedule but not loaded"
    )
    msg, body = inbox.wait_for(lambda subject, body: "graded F" in subject, timeout=30)
    assert msg["Subject"] == f"[mlb-pipeline] mlb_daily_collection: {rejected}"
    assert f"/dags/mlb_daily_collection/runs/{quote(run.run_id)}/tasks/grade_raw_data" in body
    assert f"Reason: {rejected}" in body and "still fail" not in body, body
    assert "game 744840: final in the schedule, not loaded (not_found:" in body, body

    wh = DuckDBWarehouse()
    games = wh.query("SELECT game_pk, home_score, away_score, status_code, raw_object FROM raw.games")
    assert [(g["game_pk"], g["home_score"], g["away_score"], g["status_code"]) for g in games] == [(744914, 1, 3, "F")]
    counts = {t: wh.query(f"SELECT count(*) n FROM {t}")[0]["n"] for t in RAW_TABLES}
    assert counts == {
        "raw.games": 1,
        "raw.linescore_innings": 18,
        "raw.team_lines": 2,
        "raw.batting_lines": 19,
        "raw.pitching_lines": 7,
        "raw.pitches": 244,
        "raw.game_conditions": 1,
        "raw.officials": 4,
    }

    # The two games the server could not serve are dead letters, not invented rows.
    letters = wh.query(
        "SELECT game_pk, kind, attempts, resolved_at FROM ops.dead_letters WHERE game_pk IS NOT NULL ORDER BY game_pk"
    )
    assert [(r["game_pk"], r["kind"], r["attempts"], r["resolved_at"]) for r in letters] == [
        (744840, "not_found", 1, None),
        (746535, "not_found", 1, None),
    ]
    runs = wh.query("SELECT status, games_scheduled, games_final, games_loaded, games_missing FROM ops.ingestion_runs")
    assert runs == [
        {"status": "incomplete", "games_scheduled": 3, "games_final": 3, "games_loaded": 1, "games_missing": 2}
    ]
    # Savant has no recording of these games: the feed's pitch data serves the one game landed.
    assert wh.query("SELECT game_pk, pitch_source, reason FROM raw.statcast_games") == [
        {"game_pk": 744914, "pitch_source": "statsapi_feed", "reason": "Savant has no pitches for this date (404)"}
    ]
    log = "\n".join(r.getMessage() for r in caplog.records)
    assert "2024-07-01: incomplete; 1 of 3 final games in the warehouse" in log
    assert "game 744840: final in the schedule, not loaded (not_found" in log
    assert "game 746535: final in the schedule, not loaded (not_found" in log

    # Write-through: the feed is in the raw zone exactly as received.
    lake = embedded / "lake"
    feed_objects = list((lake / "current/regular-season/games/2024-07-01/744914").glob("feed_live-*.json"))
    assert len(feed_objects) == 1
    assert feed_objects[0].read_bytes() == (FIXTURES / "feed_live/744914.json").read_bytes()
    assert games[0]["raw_object"].endswith(feed_objects[0].name)
    assert list((lake / "current/schedule/2024-07-01").glob("schedule-*.json"))

    # The same date again: every raw table byte-for-byte the same, no new objects.
    before, objects = wh.table_checksums(), lake_files(lake)
    run_day(daily_dag, "2024-07-01", recorded, monkeypatch)
    after = wh.table_checksums()
    raw = [t for t in after if t.startswith("raw.")]
    assert len(raw) == sum(1 for t in load_schema() if t.startswith("raw."))  # every raw table
    assert {t: after[t] for t in raw} == {t: before[t] for t in raw}
    assert lake_files(lake) == objects
    assert [r["attempts"] for r in wh.query("SELECT attempts FROM ops.dead_letters WHERE game_pk IS NOT NULL")] == [
        2,
        2,
    ]


def test_simulated_days_land_every_game_and_a_missed_day_is_found_and_filled(
    daily_dag, embedded, simulated, league, monkeypatch
):
    """Four days, the second missed by the schedule: the next run (a day without games) finds
    it and starts the run that collects it (seed 004), which the test runs as the scheduler would."""
    days = [dt.date(2024, 6, 3) + dt.timedelta(days=i) for i in range(4)]
    missed, finder = days[1], days[2]
    assert not league.played_on(finder)
    for day in days:
        if day == missed:
            continue
        run, states = run_day(daily_dag, day.isoformat(), simulated, monkeypatch)
        assert run.state == "success", (day, states)
        started = fill_gaps_runs(daily_dag.dag_id, days)
        if day == finder:
            assert states["find_gaps"] == "success" and states["fill_gaps"] == "success"
            assert started == [
                (
                    f"fill_gaps__{missed}__found_{day}",
                    "queued",
                    {"game_date": missed.isoformat(), "fill_gaps": False, "build_features": False},
                )
            ]
            run, states = run_day(daily_dag, missed.isoformat(), simulated, monkeypatch, **started[0][2])
            assert run.state == "success" and states["fill_gaps"] == "skipped", states
        elif day > finder:
            assert len(started) == 1 and states["fill_gaps"] == "skipped"  # nothing more to fill
    wh = DuckDBWarehouse()
    logged = wh.query("SELECT processor, game_date, item, action, command FROM ops.backfill_log ORDER BY item")
    assert {(r["processor"], r["game_date"], r["action"]) for r in logged} == {
        ("collection", missed, "runs started by the daily run")
    }
    # the date (never collected) and each of its games (final in the schedule, not in raw.games)
    assert [r["item"] for r in logged] == sorted(str(g.game_pk) for g in league.played_on(missed)) + ["date"]
    assert logged[-1]["command"] == (
        f"airflow dags trigger mlb_daily_collection --run-id fill_gaps__{missed}__found_{finder} "
        f'--conf \'{{"game_date": "{missed}", "fill_gaps": false, "build_features": false}}\''
    )
    expected = sorted(g.game_pk for d in days for g in league.played_on(d))
    assert len(expected) > 40
    assert [r["game_pk"] for r in wh.query("SELECT game_pk FROM raw.games ORDER BY game_pk")] == expected
    # Every game is complete: scores agree with the simulation, every game has its pitches.
    for r in wh.query(
        "SELECT g.game_pk, g.home_score, g.away_score, count(p.game_pk) AS pitches "
        "FROM raw.games g LEFT JOIN raw.pitches p USING (game_pk) GROUP BY ALL"
    ):
        assert (r["home_score"] > r["away_score"]) == league.games[r["game_pk"]].home_wins
        assert r["pitches"] > 100
    statuses = wh.query("SELECT game_date, status FROM ops.ingestion_runs ORDER BY game_date")
    assert [(s["game_date"], s["status"]) for s in statuses] == [
        (d, "complete" if league.played_on(d) else "no_games") for d in days
    ]
    assert wh.query("SELECT count(*) n FROM ops.dead_letters")[0]["n"] == 0
    # The reference data of every day with games is there too.
    game_days = [d for d in days if league.played_on(d)]
    assert wh.query("SELECT count(DISTINCT standings_date) n FROM raw.standings")[0]["n"] == len(game_days)
    assert wh.query("SELECT count(*) n FROM raw.rosters")[0]["n"] == 30 * 26 * len(game_days)


def fill_gaps_runs(dag_id: str, found_on: list) -> list[tuple]:
    """The runs the daily DAG's fill_gaps task started in the runs of ``found_on`` (from the
    metadata database, which other tests share): id, state, conf."""
    from airflow.models import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        runs = session.scalars(
            select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id.like("fill_gaps__%")).order_by(DagRun.run_id)
        ).all()
        runs = [r for r in runs if r.run_id.rsplit("__found_", 1)[-1] in {str(d) for d in found_on}]
        return [(r.run_id, str(getattr(r.state, "value", r.state)), r.conf) for r in runs]


def test_off_season_day_skips_cleanly(daily_dag, embedded, simulated, league, monkeypatch, caplog):
    run, _ = run_day(daily_dag, "2024-12-15", simulated, monkeypatch)
    assert run.state == "success"
    wh = DuckDBWarehouse()
    assert wh.query("SELECT status, games_scheduled FROM ops.ingestion_runs") == [
        {"status": "no_games", "games_scheduled": 0}
    ]
    messages = [r.getMessage() for r in caplog.records]
    assert any("off_season" in m and "no games: nothing to collect in the off-season" in m for m in messages)
    # Transactions happen in the off-season too, and they are collected.
    moves = league.transactions_doc(dt.date(2024, 12, 15), dt.date(2024, 12, 15))["transactions"]
    assert wh.query("SELECT count(*) n FROM raw.transactions")[0]["n"] == len(moves) > 0


def test_server_errors_are_retried_within_the_run(daily_dag, embedded, simulated, league, monkeypatch):
    day = dt.date(2024, 6, 12)
    simulated.add_fault(r"/feed/live", status=503, times=3)
    run, _ = run_day(daily_dag, day.isoformat(), simulated, monkeypatch)
    assert run.state == "success"
    assert [r["status"] for r in simulated.requests("/feed/live")].count(503) == 3
    n = len(league.played_on(day))
    assert DuckDBWarehouse().query("SELECT count(*) n FROM raw.games")[0]["n"] == n


def test_truncated_body_is_quarantined_and_nothing_is_half_loaded(daily_dag, embedded, simulated, league, monkeypatch):
    day = dt.date(2024, 6, 13)
    victim = league.played_on(day)[0].game_pk
    simulated.add_fault(rf"/game/{victim}/feed/live", truncate=True, times=1)
    run, states = run_day(daily_dag, day.isoformat(), simulated, monkeypatch)
    # a day with a game missing is not promoted (and so never reaches check_day_complete)
    assert run.state == "failed" and states["grade_raw_data"] == "failed"

    wh = DuckDBWarehouse()
    for table in RAW_TABLES:  # nothing of the broken game, all of the others
        assert wh.query(f"SELECT count(*) n FROM {table} WHERE game_pk = ?", [victim])[0]["n"] == 0
    assert wh.query("SELECT count(*) n FROM raw.games")[0]["n"] == len(league.played_on(day)) - 1
    letter = wh.query("SELECT kind, error, raw_object FROM ops.dead_letters WHERE game_pk = ?", [victim])[0]
    assert letter["kind"] == "unparseable" and "not valid JSON" in letter["error"]
    quarantined = Path(letter["raw_object"].removeprefix("file://"))
    assert quarantined.exists() and "/quarantine/2024-06-13/" in str(quarantined)
    lake = embedded / "lake"  # the cut body is nowhere else: not under current/ or live/
    assert _objects_holding(lake, quarantined.read_bytes()) == [str(quarantined.relative_to(lake))]
    reason = quarantined.with_name(quarantined.name.replace(".json", ".reason.json"))
    assert "not valid JSON" in reason.read_text()
    run_info = wh.query("SELECT status, games_quarantined, errors FROM ops.ingestion_runs")[0]
    assert run_info["status"] == "incomplete" and run_info["games_quarantined"] == 1

    # The next run collects it and resolves the dead letter.
    run, _ = run_day(daily_dag, day.isoformat(), simulated, monkeypatch)
    assert run.state == "success"
    assert wh.query("SELECT count(*) n FROM raw.games WHERE game_pk = ?", [victim])[0]["n"] == 1
    assert wh.query("SELECT resolved_at IS NOT NULL AS r FROM ops.dead_letters WHERE game_pk = ?", [victim]) == [
        {"r": True}
    ]


def _objects_holding(lake: Path, body: bytes) -> list[str]:
    """Every object of the raw zone whose bytes are ``body``, relative to the lake."""
    return sorted(str(p.relative_to(lake)) for p in lake.rglob("*") if p.is_file() and p.read_bytes() == body)


def test_a_day_whose_games_are_missing_is_never_promoted(embedded, simulated, league):
    """No feed served, one final feed without plays, one Savant page of HTML: nothing of them
    is under current/ or live/ (quarantine/ only), the run is incomplete, only the feed counts
    as a quarantined game, and the day's batch, graded on the reference data alone (B before),
    is F and not promoted, naming every missing game and why. Later runs retry the games:
    every one is an open dead letter."""
    import orjson

    from mlb_pipeline.collect import IncompleteDay, check_day, collect_plan, load_day, plan_day
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.quality import BatchRejected, grade_and_promote
    from mlb_pipeline.settings import lake_url
    from mlb_pipeline.source import ClientSettings, SavantClient, StatsApiClient

    day = "2024-06-14"
    games = sorted(g.game_pk for g in league.played_on(dt.date.fromisoformat(day)))
    wh, zone, lake = DuckDBWarehouse(), RawZone(lake_url()), embedded / "lake"
    api = StatsApiClient(ClientSettings(simulated.url, max_retries=0))
    savant = SavantClient(ClientSettings(simulated.url, max_retries=0, min_interval_s=0))

    playless = games[0]
    feed = orjson.loads(api.fetch("game", gamePk=playless).body)
    feed["liveData"]["plays"]["allPlays"] = []
    empty = orjson.dumps(feed)
    page = b"<html><body>Service temporarily unavailable</body></html>"
    simulated.add_fault(rf"/game/{playless}/feed/live", body=empty.decode(), times=1)
    simulated.add_fault(rf"/game/(?!{playless})\d+/feed/live", status=404, times=len(games) - 1)
    simulated.add_fault(rf"game_date_gt={day}", body=page.decode(), times=1)  # Savant's answer for the date
    plan = plan_day(api, zone, day, wh)
    result = load_day(
        wh,
        zone,
        plan,
        collect_plan({"source": api, "savant": savant}, zone, plan, 4),
        run_id="run-broken",
    )

    summary = result["dates"][day]
    assert (summary["status"], summary["games_loaded"], summary["games_missing"]) == ("incomplete", 0, len(games))
    assert summary["games_quarantined"] == 1  # the feed without plays; Savant's page is not a game
    with pytest.raises(IncompleteDay) as exc:
        check_day(result)
    assert f"game {playless}: unparseable: feed {playless}: a final game without plays" in str(exc.value)
    for body in (empty, page):  # kept, with the reason, in quarantine/ only
        [where] = _objects_holding(lake, body)
        assert where.startswith(f"quarantine/{day}/") and Path(lake / where).with_suffix(".reason.json").exists()

    with pytest.raises(BatchRejected) as exc:
        grade_and_promote(wh, day, "regular_season", "run-broken", None)
    message = str(exc.value)
    assert message.startswith(
        f"{day} graded F (regular_season): not promoted; games {games} are final in the schedule but not loaded"
    ), message
    assert (
        f"game {playless}: final in the schedule, not loaded (unparseable: feed {playless}: a final game "
        "without plays" in message
    )
    assert f"game {games[-1]}: final in the schedule, not loaded (not_found:" in message
    graded = {
        r["table_name"]: r
        for r in wh.query(
            "SELECT table_name, grade, batch_grade, promoted, failed_expectations FROM ops.quality_grades "
            "WHERE run_id = 'run-broken'"
        )
    }
    assert graded["games"]["grade"] == "F" and "player_stats" in graded  # the reference data alone was B
    assert {(r["batch_grade"], r["promoted"]) for r in graded.values()} == {("F", False)}
    [failure] = json.loads(graded["games"]["failed_expectations"])
    assert failure["dimension"] == "completeness" and failure["games"] == games
    assert wh.query(
        "SELECT count(*) n FROM ops.dead_letters WHERE endpoint = 'game' AND resolved_at IS NULL AND game_date = ?",
        [dt.date.fromisoformat(day)],
    )[0]["n"] == len(games)
