"""Benchmark: grading a game day with Great Expectations, against collecting it.

    . scripts/env.sh && python benchmarks/bench_quality.py [--repeat 5]

Collects and loads one simulated game day (feeds, Statcast, reference data) through the
real code path (in-process replay server -> raw zone -> DuckDB), once, timed; then grades
that day: reading the batch from the warehouse, validating every suite (one Grader,
medians over repeats), building the Data Docs, and the whole daily step once. Importing
Great Expectations is timed in fresh processes: it is paid once per task process.
Then the week before it (#21, set-based grading): the seven days graded date by date
(``grade_and_promote`` each, as the daily DAG and collect_days do) against all of them in one
pass (``grade_dates``, as the bulk backfill does), medians side by side.
Prints Markdown tables for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))
sys.path.insert(0, str(REPO / "devtools"))  # the API double (mlb_replay): never deployed

DAY = "2024-06-10"
WEEK = [f"2024-06-{d:02d}" for d in range(4, 11)]  # ends on DAY


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    imports = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import great_expectations"], check=True, capture_output=True)
        imports.append(time.perf_counter() - t)
    python_alone = median_time(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 3)

    from mlb_pipeline.collect import collect_plan, load_day, plan_day
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.source import ClientSettings, SavantClient, StatsApiClient
    from mlb_pipeline.warehouse import DuckDBWarehouse
    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    work = Path(tempfile.mkdtemp(prefix="bench-quality-"))
    lake = (work / "lake").as_uri()
    wh, zone = DuckDBWarehouse(work / "warehouse.duckdb"), RawZone(lake)
    with ReplayServer(SimulatedBackend(League(7, [2024]))).start() as server:
        api = StatsApiClient(ClientSettings(server.url))
        savant = SavantClient(ClientSettings(server.url, concurrency=4))
        phases = {}
        for day in WEEK:
            t = time.perf_counter()
            plan = plan_day(api, zone, day, wh)
            load_day(
                wh,
                zone,
                plan,
                collect_plan({"source": api, "savant": savant}, zone, plan, 4),
                run_id="bench",
            )
            collect_s = time.perf_counter() - t  # the last day's: DAY
            phases[day] = plan["season_phase"]
    games = len(plan["collect"])

    from mlb_pipeline import quality

    columns = {
        t.split(".", 1)[1]: [c for c in s["columns"] if c not in ("ingested_at", "source", "content_hash")]
        for t, s in wh.tables.items()
        if t.startswith("raw.")
    }
    read_s = median_time(lambda: quality.read_batch(wh, DAY), args.repeat)
    frames = quality.read_batch(wh, DAY)
    rows = sum(len(f) for f in frames.values())
    grader = quality.Grader(lake + "/quality/data_docs")
    grades = grader.grade_day(frames, columns, "regular_season", DAY)
    validate_s = median_time(lambda: grader.grade_day(frames, columns, "regular_season", DAY), args.repeat)
    docs_s = median_time(grader.build_docs, 1)
    t = time.perf_counter()
    summary = quality.grade_and_promote(wh, DAY, "regular_season", "bench", lake + "/quality/data_docs")
    step_s = time.perf_counter() - t

    print(
        f"\nOne simulated game day ({DAY}, {games} games, {rows:,} rows in {len(grades)} tables), "
        f"median of {args.repeat} where repeated; grade {summary['grade']}\n"
    )
    print("| measurement | wall time | vs. collecting the day |")
    print("|---|---|---|")
    print(
        f"| collect and load the day (feeds, Statcast, reference data; HTTP, raw zone, DuckDB) | "
        f"{collect_s:.2f} s | 1 |"
    )
    print(
        f"| import great_expectations (fresh process, less a bare `python -c pass` of {python_alone:.2f} s) | "
        f"{statistics.median(imports) - python_alone:.2f} s | "
        f"{(statistics.median(imports) - python_alone) / collect_s:.2f} |"
    )
    print(f"| read the day's batch from DuckDB | {read_s:.2f} s | {read_s / collect_s:.3f} |")
    print(
        f"| validate every suite (GX, {len(grades)} tables with their derived checks) | {validate_s:.2f} s | "
        f"{validate_s / collect_s:.3f} |"
    )
    print(f"| build the Data Docs | {docs_s:.2f} s | {docs_s / collect_s:.3f} |")
    print(
        f"| the whole grading step (GX already imported; read, validate, record, docs) | {step_s:.2f} s | "
        f"{step_s / collect_s:.3f} |"
    )

    week(wh, phases, args.repeat)


def week(wh, phases: dict[str, str], repeat: int) -> None:
    """The week graded date by date against in one pass (GX already imported; no Data Docs)."""
    from mlb_pipeline import quality

    def per_date() -> None:
        for day, phase in phases.items():
            with contextlib.suppress(quality.BatchRejected):  # graded and recorded all the same
                quality.grade_and_promote(wh, day, phase, "bench-per-date", None)

    per_date_s = median_time(per_date, repeat)
    one_pass_s = median_time(lambda: quality.grade_dates(wh, phases, "bench-one-pass", None), repeat)
    same = wh.query(
        "SELECT count(*) n FROM ops.quality_grades AS a JOIN ops.quality_grades AS b USING (game_date, table_name) "
        "WHERE a.run_id = 'bench-per-date' AND b.run_id = 'bench-one-pass' AND a.grade = b.grade "
        "AND a.score = b.score AND a.failed_expectations = b.failed_expectations"
    )[0]["n"]
    rows = wh.query("SELECT count(*) n FROM ops.quality_grades WHERE run_id = 'bench-per-date'")[0]["n"]
    games = wh.query(
        f"SELECT count(*) n FROM raw.games WHERE is_final AND official_date IN ({', '.join('?' * len(phases))})",
        [dt.date.fromisoformat(d) for d in phases],
    )[0]["n"]
    print(
        f"\n#21 set-based grading: the simulated week {min(phases)} to {max(phases)} ({games} games), "
        f"median of {repeat}; {same} of {rows} table grades identical\n"
    )
    print("| grading the week | wall time | a date | vs. date by date |")
    print("|---|---|---|---|")
    print(f"| date by date (`grade_and_promote` each) | {per_date_s:.2f} s | {per_date_s / len(phases):.2f} s | 1 |")
    print(
        f"| one pass (`grade_dates`) | {one_pass_s:.2f} s | {one_pass_s / len(phases):.2f} s | "
        f"{one_pass_s / per_date_s:.2f} |"
    )


if __name__ == "__main__":
    main()
