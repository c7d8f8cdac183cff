"""Benchmarks of collection and loading on the embedded default.

    make bench        (or: . scripts/env.sh && python benchmarks/bench_ingest.py [--repeat 15])

Measures, with medians over repeats:
  1. parsing one live feed (recorded 744914 if ../shared is there, and a simulated one);
  2. merging one game into DuckDB (all five raw tables, one transaction);
  3. collecting and loading a simulated week through the real code path (HTTP replay
     server -> raw zone -> DuckDB), at concurrency 1 and at the configured default;
  4. parsing each DAG file (Airflow already imported, as in the dag-processor).
Peak memory: tracemalloc's peak of Python allocations per step, and the process's max RSS.
Prints a Markdown table for docs/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))
FIXTURES = Path(os.environ.get("MLB_FIXTURES_DIR", REPO.parent / "shared" / "fixtures" / "mlb"))


def measure(fn, repeat: int):
    times = []
    tracemalloc.start()
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mlb-bench-"))
    os.environ["MLB_DUCKDB_PATH"] = str(tmp / "warehouse.duckdb")
    os.environ["MLB_LAKE_URL"] = (tmp / "lake").as_uri()

    import orjson

    from mlb_pipeline.collect import collect_feeds, load_day, plan_day
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.parse import parse_feed
    from mlb_pipeline.replay.server import ReplayServer, SimulatedBackend
    from mlb_pipeline.replay.simulate import League
    from mlb_pipeline.settings import load_config
    from mlb_pipeline.source import ClientSettings, StatsApiClient
    from mlb_pipeline.warehouse import DuckDBWarehouse

    rows = []
    league = League(7, [2024])
    feeds = {"simulated": orjson.dumps(league.feed_doc(sorted(league.games)[800]))}
    if (FIXTURES / "feed_live/744914.json").exists():
        feeds = {"recorded 744914": (FIXTURES / "feed_live/744914.json").read_bytes(), **feeds}
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    for name, body in feeds.items():
        med, peak = measure(lambda: parse_feed(orjson.loads(body)), args.repeat)
        rows.append((f"parse one feed ({name}, {len(body) / 1e6:.2f} MB)", f"{med * 1000:.1f} ms", f"{peak / 1e6:.1f} MB"))
        parsed = parse_feed(orjson.loads(body))
        pk = parsed["games"][0]["game_pk"]
        n = sum(len(v) for v in parsed.values())
        med, peak = measure(lambda: wh.load_game(pk, parsed, source="bench"), args.repeat)
        rows.append((f"merge one game into DuckDB ({name}, {n} rows)", f"{med * 1000:.1f} ms", f"{peak / 1e6:.1f} MB"))

    default = load_config("pipeline")["source"]["concurrency"]
    days = [dt.date(2024, 6, 3) + dt.timedelta(days=i) for i in range(7)]
    n_games = sum(len(league.by_date.get(d, [])) for d in days)
    for concurrency in sorted({1, default}):
        walls = []
        peak = 0
        for attempt in range(3):
            db = tmp / f"week-{concurrency}-{attempt}.duckdb"
            os.environ["MLB_DUCKDB_PATH"] = str(db)
            zone = RawZone((tmp / f"lake-{concurrency}-{attempt}").as_uri())
            week_wh = DuckDBWarehouse()
            fresh = League(7, [2024])  # nothing cached: the server simulates every game anew
            with ReplayServer(SimulatedBackend(fresh)) as server:
                client = StatsApiClient(ClientSettings(server.url, concurrency=concurrency))
                tracemalloc.start()
                t = time.perf_counter()
                for d in days:
                    plan = plan_day(client, zone, d.isoformat())
                    collected = collect_feeds(client, zone, plan, concurrency)
                    load_day(week_wh, zone, plan, collected, run_id="bench")
                walls.append(time.perf_counter() - t)
                peak = max(peak, tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
        med = statistics.median(walls)
        rows.append((f"simulated week, {n_games} games, concurrency {concurrency} (HTTP + raw zone + DuckDB)",
                     f"{med:.2f} s ({n_games / med:.1f} games/s)", f"{peak / 1e6:.1f} MB"))

    import airflow.sdk  # noqa: F401  (the dag-processor has it loaded already)

    for dag_file in sorted((REPO / "dags").glob("*.py")):
        def parse_dag(path=dag_file):
            spec = importlib.util.spec_from_file_location(path.stem, path)
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
        parse_dag()  # first import pays for our package's modules; the median is steady state
        med, peak = measure(parse_dag, args.repeat)
        rows.append((f"parse DAG file {dag_file.name}", f"{med * 1000:.1f} ms", f"{peak / 1e6:.2f} MB"))

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n| measurement | median | peak Python allocations |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    print(f"\nProcess max RSS over the whole run: {rss:.0f} MB. Repeats: {args.repeat} (week: 3).")


if __name__ == "__main__":
    main()
