"""The bulk backfill of history (issue #21): chunks, the command, resuming, the DAG.

What the bulk path leaves must be what the daily path leaves for the same dates: the same raw
rows (content checksums), the same grades, the same raw-zone objects (it writes only its
chunk schedules), so the daily path and the gap finder see a bulk-loaded range as collected.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import psutil
import pytest
from conftest import FIXTURES, REPO, collect_days, without_deadlines
from raw_checksums import checksums

from mlb_pipeline import backfill
from mlb_pipeline.backfill import Chunk, UsageError, chunks_of, resolve_range, snapshot_date

DATES = ["2024-06-03", "2024-06-04", "2024-06-05"]


def test_a_range_is_cut_into_chunks_and_snapshots_fall_once_a_window():
    d = dt.date.fromisoformat
    assert chunks_of(d("2024-06-01"), d("2024-06-10"), 4) == [
        Chunk("2024-06-01", "2024-06-04"),
        Chunk("2024-06-05", "2024-06-08"),
        Chunk("2024-06-09", "2024-06-10"),
    ]
    assert Chunk("2024-06-30", "2024-07-01").dates == ["2024-06-30", "2024-07-01"]
    off_days = {"2024-06-01", "2024-06-02"}  # the first window's first dates have no games

    def has_games(day):
        return day not in off_days

    taken = [c for c in Chunk("2024-06-01", "2024-06-14").dates if snapshot_date(c, "2024-06-01", 7, has_games)]
    assert taken == ["2024-06-03", "2024-06-08"]  # each window's first date with games, whatever the chunks
    assert all(snapshot_date(c, "2024-06-01", 1, has_games) for c in ["2024-06-03", "2024-06-04"])
    today = dt.date(2024, 7, 2)
    assert resolve_range("2024-06-01", "2024-12-31", None, today) == [(d("2024-06-01"), d("2024-07-01"))]
    for args in [
        (None, None, None),
        ("2024-06-01", None, None),
        ("2024-06-31", "2024-07-01", None),
        ("2024-06-01", "2024-06-02", "2024"),
        (None, None, "twenty"),
        ("2024-07-02", "2024-07-09", None),
        (None, None, "2025"),
    ]:
        with pytest.raises(UsageError):
            resolve_range(*args, today=today)


def test_seasons_are_their_calendars_dates_of_the_phases_asked():
    """--seasons: each season from its calendar (one range a season, winters left out), the
    phases asked (consecutive ones); the season in progress up to yesterday."""
    d = dt.date.fromisoformat

    def calendar(season):
        return {
            "phases": {
                "spring_training": (f"{season}-02-22", f"{season}-03-26"),
                "regular_season": (f"{season}-03-28", f"{season}-09-29"),
                "postseason": (f"{season}-10-01", f"{season}-10-30"),
            }
        }

    today = d("2024-07-02")
    every = resolve_range(None, None, "2022-2024", today, calendar=calendar)
    assert every == [
        (d("2022-02-22"), d("2022-10-30")),
        (d("2023-02-22"), d("2023-10-30")),
        (d("2024-02-22"), d("2024-07-01")),
    ]
    games = resolve_range(None, None, "2022,2023", today, calendar=calendar, phases=["postseason", "regular_season"])
    assert games == [(d("2022-03-28"), d("2022-10-30")), (d("2023-03-28"), d("2023-10-30"))]
    chunks = backfill.chunks_in(games, 100)
    assert [(c.first, c.last, c.range_first) for c in chunks] == [
        ("2022-03-28", "2022-07-05", "2022-03-28"),
        ("2022-07-06", "2022-10-13", "2022-03-28"),
        ("2022-10-14", "2022-10-30", "2022-03-28"),
        ("2023-03-28", "2023-07-05", "2023-03-28"),
        ("2023-07-06", "2023-10-13", "2023-03-28"),
        ("2023-10-14", "2023-10-30", "2023-03-28"),
    ]
    for phases in (["spring_training", "postseason"], ["winter"], []):
        with pytest.raises(UsageError):
            backfill.parse_phases(phases)
    assert backfill.parse_phases("regular_season") == ["regular_season"]


def test_bad_arguments_get_one_plain_line_and_exit_code_2():
    proc = subprocess.run(
        [sys.executable, "-m", "mlb_pipeline.backfill", "statsapi", "--from-date", "2024-13-01", "--to-date", "x"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "plugins")},
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "'2024-13-01' is not a date (YYYY-MM-DD)" in proc.stderr
    for argv in (
        ["statsapi", "--from-date", "2024-06-01", "--to-date", "2024-06-02", "--kinds", "games,rosters"],
        ["statsapi", "--seasons", "2024", "--chunk-days", "0"],
        ["statsapi", "--seasons", "2024", "--phases", "spring_training,postseason"],
        ["statsapi", "--from-date", "2024-06-01", "--to-date", "2024-06-02", "--phases", "postseason"],
        ["retrosheet"],
    ):
        with pytest.raises(SystemExit) as stop:
            backfill.main(argv)
        assert stop.value.code == 2


def test_a_chunk_whose_schedule_cannot_be_read_stops_the_command_in_one_line(embedded, simulated):
    """The second chunk's schedule arrives cut short: the first chunk is done and recorded, the
    body is kept in quarantine with the reason, and the command says so in one line (exit 1,
    no traceback); run again, it goes on from the second chunk."""
    simulated.add_fault(rf"schedule\?.*startDate={DATES[2]}(&|$)", truncate=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "plugins"),
        "AIRFLOW_CONN_MLB_STATSAPI": simulated.url,
        "AIRFLOW_CONN_BASEBALL_SAVANT": simulated.url + "?min_interval_s=0",
        "COLUMNS": "200",
    }
    command = [sys.executable, "-m", "mlb_pipeline.backfill", "statsapi", "--from-date", DATES[0], "--to-date"]
    command += [DATES[-1], "--chunk-days", "2", "--kinds", "game_feed,schedule"]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stderr[-3000:]
    said = " ".join(proc.stderr.split())  # as the terminal wraps it
    assert "Traceback" not in said and said.count("Stopped:") == 1, said[-2000:]
    assert f"Stopped: chunk {DATES[2]}: schedule {DATES[2]}: body is not valid JSON" in said, said[-800:]
    assert "The chunks before it are recorded; run again to go on from there." in said
    assert list((embedded / "lake" / "quarantine" / DATES[2]).rglob("*.reason.json"))
    with duckdb.connect(str(embedded / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT first_date, status FROM ops.backfill_chunks").fetchall() == [
            (dt.date.fromisoformat(DATES[0]), "complete")
        ]
    simulated.clear_faults()
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "1 already complete" in again.stderr, again.stderr[-3000:]


@pytest.fixture(scope="module")
def daily_path(sim_server, tmp_path_factory):
    """The dates collected, loaded and graded by the daily path's functions, one date at a time."""
    root = tmp_path_factory.mktemp("daily-path")
    collect_days(sim_server, root / "warehouse.duckdb", (root / "lake").as_uri(), DATES)
    # The daily path also records the next day's schedule (for predictions): not one of the dates.
    reference = root / "reference.duckdb"
    shutil.copy(root / "warehouse.duckdb", reference)
    with duckdb.connect(str(reference)) as con:
        con.execute("DELETE FROM raw.schedule WHERE official_date > ?", [dt.date.fromisoformat(DATES[-1])])
    return root


def _files(lake: Path) -> set[str]:
    return {str(p.relative_to(lake)) for p in lake.rglob("*") if p.is_file() and "quality" not in p.parts}


def _objects(path: Path, lake: Path) -> list[tuple]:
    """Where each game's feed and Statcast rows came from, relative to the lake."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "SELECT 'games', game_pk, raw_object FROM raw.games UNION ALL "
            "SELECT 'statcast', game_pk, raw_object FROM raw.statcast_games ORDER BY 1, 2"
        ).fetchall()
    return [(t, pk, url and url.replace(lake.as_uri(), "<lake>")) for t, pk, url in rows]


def _grades(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT game_date, table_name, grade, score, schema_score, completeness_score, player_completeness_score, "
            "value_ranges_score, batch_grade, promoted, CAST(failed_expectations AS VARCHAR) FROM ops.quality_grades "
            "ORDER BY 1, 2"
        ).fetchall()


def _runs(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT game_date, status, games_scheduled, games_final, games_loaded, games_missing, "
            "CAST(table_counts AS VARCHAR) FROM ops.ingestion_runs ORDER BY 1"
        ).fetchall()


def test_the_command_killed_and_run_again_leaves_what_the_daily_path_leaves(daily_path, sim_server, tmp_path):
    """Two chunks (two dates, then one) through the real command: killed (SIGKILL) once the first is
    recorded, then run again to the end. The first chunk is not done twice; the raw tables, the
    grades and each date's outcome equal the daily path's; the raw zone gained only the chunks'
    schedules (every other response landed where the daily path had landed it)."""
    lake = tmp_path / "lake"
    shutil.copytree(daily_path / "lake", lake)
    before = _files(lake)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "plugins"),
        "MLB_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
        "MLB_LAKE_URL": lake.as_uri(),
        "MLB_WAREHOUSE": "duckdb",
        "AIRFLOW_CONN_MLB_STATSAPI": sim_server.url,
        "AIRFLOW_CONN_BASEBALL_SAVANT": sim_server.url + "?min_interval_s=0",
        "COLUMNS": "200",
    }
    command = [
        sys.executable,
        "-m",
        "mlb_pipeline.backfill",
        "statsapi",
        "--from-date",
        DATES[0],
        "--to-date",
        DATES[-1],
        "--chunk-days",
        "2",
        "--reference-every",
        "1",
        "--concurrency",
        "4",
    ]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen, collector = [], []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith(f"chunk {DATES[0]}..{DATES[1]}: complete"):
            collector = psutil.Process(proc.pid).children()  # collecting the next chunk meanwhile
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen[-30:])
    assert collector, "the command collects in a process of its own"
    _, alive = psutil.wait_procs(collector, timeout=10)
    assert not alive, "the collector outlived the killed command"
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "2 chunks of 2 dates, 1 already complete" in again.stderr

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        chunks = con.execute("SELECT first_date, status, run_id FROM ops.backfill_chunks ORDER BY 1").fetchall()
    assert [(str(d), s) for d, s, _ in chunks] == [(DATES[0], "complete"), (DATES[2], "complete")]
    assert chunks[0][2] != chunks[1][2]  # the first chunk was not done again

    # Lake URLs differ by the lake's root (and the chunk's schedule is one response for its dates);
    # each row's content hash covers them. The objects the rows point to are compared below.
    ignore = {"schedule_object", "raw_object", "content_hash"}
    assert checksums(str(warehouse), ignore) == checksums(str(daily_path / "reference.duckdb"), ignore)
    assert _objects(warehouse, lake) == _objects(daily_path / "warehouse.duckdb", daily_path / "lake")
    assert _grades(warehouse) == _grades(daily_path / "warehouse.duckdb")
    assert _runs(warehouse) == _runs(daily_path / "warehouse.duckdb")
    assert sorted(_files(lake) - before) == sorted(
        f"current/schedule/{span}/{p.name}"
        for span in (f"{DATES[0]}_to_{DATES[1]}", f"{DATES[2]}_to_{DATES[2]}")
        for p in (lake / "current" / "schedule" / span).iterdir()
    )


def test_the_dag_maps_a_task_group_over_the_chunks(airflow_db, embedded, sim_server, monkeypatch, tmp_path):
    """A real run of mlb_backfill_history (``dag.test()``): two chunks, each collected from both
    sources and loaded in its own mapped task instances; then a second run finds them complete."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / "mlb_backfill_history.py"))
    assert bag.import_errors == {}
    dag = without_deadlines(bag.dags["mlb_backfill_history"])
    for task in dag.tasks:
        task.retries = 0
    monkeypatch.setenv("AIRFLOW_CONN_MLB_STATSAPI", sim_server.url)
    monkeypatch.setenv("AIRFLOW_CONN_BASEBALL_SAVANT", sim_server.url + "?min_interval_s=0")
    conf = {**dag.params.dump(), "from_date": "2024-06-10", "to_date": "2024-06-11", "chunk_days": 1, "rebuild": False}
    run = dag.test(run_conf=conf)
    states = {(ti.task_id, ti.map_index): ti.state for ti in run.get_task_instances()}
    assert run.state == "success", states
    for task_id in ("chunk.collect_statsapi", "chunk.collect_savant", "chunk.load_and_grade"):
        assert [states[(task_id, i)] for i in (0, 1)] == ["success", "success"]
    assert states[("rebuild_wanted", -1)] == "success" and states[("retrain_model", -1)] == "skipped"
    with duckdb.connect(os.environ["MLB_DUCKDB_PATH"], read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ops.backfill_chunks WHERE status = 'complete'").fetchone() == (2,)
        assert (
            con.execute(
                "SELECT count(*) FROM raw.games WHERE official_date BETWEEN '2024-06-10' AND '2024-06-11'"
            ).fetchone()[0]
            > 0
        )
    again = dag.test(run_conf=conf)
    assert again.state == "success"
    assert {ti.task_id for ti in again.get_task_instances() if ti.state == "success"} >= {"plan_chunks"}
    assert not [ti for ti in again.get_task_instances() if ti.task_id.startswith("chunk.") and ti.state == "success"]

    # Source retrosheet: load_retrosheet loads the folder's seasons, and no chunk of the Stats API.
    retro = tmp_path / "retrosheet" / "gamelogs"
    retro.mkdir(parents=True)
    (retro / "GL2020.TXT").symlink_to(FIXTURES.parent / "retrosheet" / "gamelogs" / "GL2020.TXT")
    files = {**conf, "source": "retrosheet", "retrosheet_dir": str(retro.parent), "seasons": [2020]}
    retrosheet = dag.test(run_conf=files)
    states = {ti.task_id: ti.state for ti in retrosheet.get_task_instances()}
    assert retrosheet.state == "success" and states["load_retrosheet"] == "success", states
    assert not [t for t, state in states.items() if t.startswith("chunk.") and state == "success"]
    with duckdb.connect(os.environ["MLB_DUCKDB_PATH"], read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.retrosheet_games WHERE season = '2020'").fetchone() == (898,)
