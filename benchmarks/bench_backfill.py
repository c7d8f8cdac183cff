"""Benchmark: backfilling simulated game days two ways, end to end (raw data, grades,
features, model).

    . scripts/env.sh && python benchmarks/bench_backfill.py [--start 2024-04-01] [--days 10]
    . scripts/env.sh && python benchmarks/bench_backfill.py --season 2024   # the whole regular season
    ... --season 2024 --per-day-only --workdir DIR [--resume]   # keep DIR; carry on an interrupted run

* per day, as users backfill: a real ``airflow standalone`` (LocalExecutor, SQLite
  metadata) and ``python -m mlb_pipeline.gaps``, which finds every date missing and creates
  backfills of ``mlb_daily_collection`` over them through Airflow's REST API (logged in as
  the standalone's admin), ``backfill.max_dates``
  at a time (one DAG run a date: landed, loaded, graded; features and model skipped, seed
  002), then one triggered run with ``full_refresh`` rebuilds the features set-based and trains;
* set-based: the same pipeline functions in one process (``collect_days``: plan, collect,
  load, grade a date at a time, as the tasks do, without a scheduler), then one
  ``dbt build --full-refresh`` and one training.

Both start from an empty warehouse against the in-process replay server (simulated league,
seed 7) and end with the same tables (checked). Wall time from start to the trained model;
peak memory: the largest sum of resident sets over Airflow's process tree (scheduler,
api-server, dag-processor, triggerer, task processes) sampled every 0.5 s, against the
set-based process's peak (itself and dbt). Prints a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))
sys.path.insert(0, str(REPO / "devtools"))  # the API double (mlb_replay): never deployed
sys.path.insert(0, str(REPO / "tests"))


def outcome(warehouse: Path) -> dict:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        q = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "final games": q("SELECT count(*) FROM raw.games WHERE is_final"),
            "graded dates": q("SELECT count(DISTINCT game_date) FROM ops.quality_grades WHERE promoted"),
            "game_features rows": q("SELECT count(*) FROM features.game_features"),
            "model versions": q("SELECT count(*) FROM ml.model_versions"),
        }


class TreeMemory:
    """Peak total resident set of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int):
        import psutil

        self.root, self.peak, self._stop = psutil.Process(pid), 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        import psutil

        while not self._stop.is_set():
            total = 0
            try:
                for p in [self.root, *self.root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
            except psutil.Error:
                pass
            self.peak = max(self.peak, total)
            time.sleep(0.5)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def per_day(server_url: str, dates: list[str], root: Path) -> dict:
    import httpx
    import tenacity
    from live_airflow import DAG_ID, LiveAirflow, standalone_env

    env = standalone_env(root, server_url)
    airflow = LiveAirflow(root, env)
    # The api-server can stall past the client's timeout while SQLite is busy (a resumed run's
    # scheduler clearing the interrupted task instances): these idempotent requests are made again.
    api = tenacity.retry(
        retry=tenacity.retry_if_exception_type(httpx.TimeoutException),
        reraise=True,
        wait=tenacity.wait_fixed(5),
        stop=tenacity.stop_after_attempt(10),
    )(airflow.api)
    try:
        airflow.wait_until_ready()
        api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})
        memory = TreeMemory(airflow.process.pid)
        t = time.perf_counter()
        # What a user runs: the gaps command finds every date missing and backfills them,
        # backfill.max_dates at a time, one backfill after the other.
        lookback = (dt.date.fromisoformat(dates[-1]) - dt.date.fromisoformat(dates[0])).days
        gaps_log = open(root / "gaps.log", "wb")
        gaps = subprocess.Popen(
            [sys.executable, "-m", "mlb_pipeline.gaps", "--lookback-days", str(lookback), "--end-date", dates[-1]],
            env=env,
            stdout=gaps_log,
            stderr=subprocess.STDOUT,
        )

        def backfill_runs(**params) -> dict:  # the API pages at 100 runs: count with total_entries
            return api("GET", f"/dags/{DAG_ID}/dagRuns", params={"run_type": "backfill", "limit": 100, **params})

        reported = 0.0
        while True:
            created = backfill_runs(limit=1)["total_entries"]
            done = backfill_runs(state=["success", "failed"], limit=1)["total_entries"]
            if gaps.poll():
                raise RuntimeError(f"the gaps command failed ({gaps.returncode})\n{airflow.tail()}")
            if created == len(dates) and done == len(dates):
                break
            if time.perf_counter() - reported > 60:  # progress, for a run that may not be waited out
                reported = time.perf_counter()
                print(
                    f"per day: {done} of {len(dates)} backfill runs finished after {reported - t:.0f} s, "
                    f"peak so far {memory.peak / 2**20:.0f} MB",
                    file=sys.stderr,
                    flush=True,
                )
            time.sleep(2)
        backfilled = time.perf_counter() - t
        if gaps.wait():
            raise RuntimeError(f"the gaps command failed ({gaps.returncode})")
        failed = [r["dag_run_id"] for r in backfill_runs(state=["failed"])["dag_runs"]]
        if failed:
            raise RuntimeError(f"backfill runs failed: {failed}\n{airflow.tail()}")
        run = airflow.api(
            "POST",
            f"/dags/{DAG_ID}/dagRuns",
            json={"logical_date": None, "conf": {"game_date": dates[-1], "full_refresh": True}},
        )
        finished = airflow.wait_for_run(run["dag_run_id"], timeout=3600)
        total = time.perf_counter() - t
        if finished["state"] != "success":
            raise RuntimeError(f"the rebuild run failed\n{airflow.tail()}")
        peak = memory.stop()
    finally:
        airflow.stop()
    return {
        "wall_s": total,
        "backfill_runs_s": backfilled,
        "peak_mb": peak / 2**20,
        "outcome": outcome(Path(env["MLB_DUCKDB_PATH"])),
    }


def set_based_child(server_url: str, dates: list[str], root: Path) -> None:
    """The set-based path, in this (child) process: its peak memory is measured by the parent."""
    os.environ.update(
        {
            "MLB_DUCKDB_PATH": str(root / "warehouse.duckdb"),
            "MLB_LAKE_URL": (root / "lake").as_uri(),
            "MLB_WAREHOUSE": "duckdb",
        }
    )
    from conftest import collect_days  # noqa: E402  (the pipeline's functions, as in the tests)

    from mlb_pipeline import backfill

    class Server:
        url = server_url

    t = time.perf_counter()
    collect_days(Server, root / "warehouse.duckdb", (root / "lake").as_uri(), dates)
    collected = time.perf_counter() - t
    backfill.rebuild_and_train(dates[-1], "set-based")  # one dbt build --full-refresh, one training
    print(json.dumps({"wall_s": time.perf_counter() - t, "collect_s": collected}))


def set_based(server_url: str, dates: list[str], root: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", server_url, str(root), *dates], capture_output=True, text=True
    )
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    timing = json.loads(proc.stdout.strip().splitlines()[-1])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {**timing, "peak_mb": peak, "outcome": outcome(root / "warehouse.duckdb")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", default="2024-04-01")
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--season", type=int, help="every date of this simulated regular season (overrides --start/--days)")
    ap.add_argument("--per-day-only", action="store_true", help="skip the set-based path (measured before)")
    ap.add_argument("--workdir", help="a new folder to work in and keep (default: a temporary one)")
    ap.add_argument(
        "--resume",
        action="store_true",
        help="carry on an interrupted per-day run in --workdir, as a user would: the gaps command "
        "backfills only what is still missing (times are of this part only)",
    )
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.resume and not (args.workdir and args.per_day_only):
        ap.error("--resume carries on a per-day run: give --per-day-only and its --workdir")
    if args.child:
        server_url, root, *dates = args.child
        set_based_child(server_url, dates, Path(root))
        return

    from simulated import regular_season_days

    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    first = dt.date.fromisoformat(args.start)
    league = League(seed=7, seasons=[args.season or first.year])
    dates = (
        regular_season_days(league, args.season)
        if args.season
        else [(first + dt.timedelta(days=n)).isoformat() for n in range(args.days)]
    )
    with ReplayServer(SimulatedBackend(league)) as server, tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
        if args.workdir:  # kept afterwards: Airflow's and the gaps command's logs, the warehouses
            tmp = args.workdir
            Path(tmp).mkdir(parents=True, exist_ok=args.resume)
        sets = None if args.per_day_only else set_based(server.url, dates, Path(tmp) / "set-based")
        print(f"set-based: {sets}", file=sys.stderr, flush=True)
        days = per_day(server.url, dates, Path(tmp) / "per-day")
        if sets is None:
            print(f"per day: {days}")
            return
    print(f"{len(dates)} simulated game days ({dates[0]} .. {dates[-1]}), 2 cores:\n")
    print("| path | wall time | of which collection | peak memory | outcome |")
    print("|---|---|---|---|---|")
    print(
        f"| per day: `airflow backfill create` ({len(dates)} runs) + one `full_refresh` run | "
        f"{days['wall_s']:.0f} s | {days['backfill_runs_s']:.0f} s (backfill runs) | "
        f"{days['peak_mb']:.0f} MB (Airflow's process tree) | {days['outcome']} |"
    )
    print(
        f"| set-based: pipeline functions + one `dbt build --full-refresh` + one training | "
        f"{sets['wall_s']:.0f} s | {sets['collect_s']:.0f} s | {sets['peak_mb']:.0f} MB | {sets['outcome']} |"
    )
    print(
        f"\nratio per day / set-based: {days['wall_s'] / sets['wall_s']:.1f}x wall time; "
        f"same outcome: {days['outcome'] == sets['outcome']}"
    )


if __name__ == "__main__":
    main()
