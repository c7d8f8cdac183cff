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
sys.path.insert(0, str(REPO / "devtools"))  # the API double (mlb_replay): never deployed
FIXTURES = Path(os.environ.get("MLB_FIXTURES_DIR", REPO.parent / "shared" / "fixtures" / "mlb"))


def measure(fn, repeat: int):
    """Median wall time over ``repeat`` calls (after one warm-up), then the peak of Python
    allocations in one more call under tracemalloc (which would distort the timing)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak


def week_in_child(concurrency: int, days: list, workdir: Path) -> dict:
    """Collect and load ``days`` in a fresh process against a fresh replay server process,
    so that wall time and max RSS are the pipeline's own."""
    import json
    import socket
    import subprocess

    workdir.mkdir(parents=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "plugins"), str(REPO / "devtools")])}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlb_replay",
            "--simulate",
            "--seed",
            "7",
            "--seasons",
            "2024",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
    )
    try:
        server.stdout.readline()  # "serving ..." once it listens
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--week-child",
                str(concurrency),
                f"http://127.0.0.1:{port}",
                str(workdir),
                days[0].isoformat(),
                days[-1].isoformat(),
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/__replay__/requests") as resp:
            result["requests"] = len(json.loads(resp.read()))
        return result
    finally:
        server.terminate()
        server.wait()


def week_child(concurrency: int, url: str, workdir: str, first: str, last: str) -> None:
    import json

    os.environ["MLB_DUCKDB_PATH"] = f"{workdir}/warehouse.duckdb"
    from mlb_pipeline.collect import collect_feeds, load_day, plan_day
    from mlb_pipeline.kinds.reference_data import collect_reference
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.source import ClientSettings, StatsApiClient
    from mlb_pipeline.warehouse import DuckDBWarehouse

    zone, wh = RawZone(Path(workdir, "lake").as_uri()), DuckDBWarehouse()
    client = StatsApiClient(ClientSettings(url, concurrency=concurrency))
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    start = time.perf_counter()
    games = 0
    while day <= end:  # what the daily DAG does, without Airflow around it
        plan = plan_day(client, zone, day.isoformat(), wh)
        feeds = collect_feeds(client, zone, plan, concurrency)
        reference = collect_reference(client, zone, plan, concurrency)
        result = load_day(
            wh, zone, plan, {"collect_game_feeds": feeds, "collect_reference_data": reference}, run_id="bench"
        )
        games += len(result["dates"][day.isoformat()]["loaded_game_pks"])
        day += dt.timedelta(days=1)
    wall = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall_s": wall, "max_rss_mb": rss, "games": games}))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--week-child":
        return week_child(int(sys.argv[2]), *sys.argv[3:7])
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--season", action="store_true", help="also collect a whole simulated regular season")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mlb-bench-"))
    os.environ["MLB_DUCKDB_PATH"] = str(tmp / "warehouse.duckdb")
    os.environ["MLB_LAKE_URL"] = (tmp / "lake").as_uri()

    import orjson

    from mlb_pipeline.kinds.game_feed import parse_feed
    from mlb_pipeline.settings import load_config
    from mlb_pipeline.warehouse import DuckDBWarehouse
    from mlb_replay.simulate import League

    rows = []
    league = League(7, [2024])
    feeds = {"simulated": orjson.dumps(league.feed_doc(sorted(league.games)[800]))}
    if (FIXTURES / "feed_live/744914.json").exists():
        feeds = {"recorded 744914": (FIXTURES / "feed_live/744914.json").read_bytes(), **feeds}
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    for name, body in feeds.items():
        med, peak = measure(lambda body=body: parse_feed(orjson.loads(body)), args.repeat)
        rows.append(
            (f"parse one feed ({name}, {len(body) / 1e6:.2f} MB)", f"{med * 1000:.1f} ms", f"{peak / 1e6:.1f} MB")
        )
        parsed = parse_feed(orjson.loads(body))
        pk = parsed["games"][0]["game_pk"]
        n = sum(len(v) for v in parsed.values())
        med, peak = measure(lambda pk=pk, parsed=parsed: wh.load_game(pk, parsed, source="bench"), args.repeat)
        rows.append((f"merge one game into DuckDB ({name}, {n} rows)", f"{med * 1000:.1f} ms", f"{peak / 1e6:.1f} MB"))

    default = load_config("pipeline")["source"]["concurrency"]
    days = [dt.date(2024, 6, 3) + dt.timedelta(days=i) for i in range(7)]
    n_games = sum(len(league.played_on(d)) for d in days)
    for concurrency in sorted({1, default}):
        results = [week_in_child(concurrency, days, tmp / f"week-{concurrency}-{i}") for i in range(3)]
        med = statistics.median(r["wall_s"] for r in results)
        rss = max(r["max_rss_mb"] for r in results)
        reqs = results[0]["requests"]
        rows.append(
            (
                f"simulated week, {n_games} games, concurrency {concurrency} "
                f"(replay server in its own process; HTTP + raw zone + DuckDB; games and reference data)",
                f"{med:.2f} s ({n_games / med:.1f} games/s, {reqs / med:.0f} requests/s)",
                f"max RSS {rss:.0f} MB",
            )
        )
    if args.season:
        regular = sorted(g.official_date for g in league.games.values() if g.game_type == "R")
        season_days = [regular[0] + dt.timedelta(days=i) for i in range((regular[-1] - regular[0]).days + 1)]
        for concurrency in sorted({1, default}):
            r = week_in_child(concurrency, season_days, tmp / f"season-{concurrency}")
            rows.append(
                (
                    f"simulated regular season, {r['games']} games over {len(season_days)} days, "
                    f"concurrency {concurrency} (one run)",
                    f"{r['wall_s']:.0f} s ({r['games'] / r['wall_s']:.1f} games/s, "
                    f"{r['requests'] / r['wall_s']:.0f} requests/s, {r['requests']} requests)",
                    f"max RSS {r['max_rss_mb']:.0f} MB",
                )
            )

    import airflow.sdk  # noqa: F401  (the dag-processor has it loaded already)

    for dag_file in sorted((REPO / "dags").glob("*.py")):

        def parse_dag(path=dag_file):
            spec = importlib.util.spec_from_file_location(path.stem, path)
            spec.loader.exec_module(importlib.util.module_from_spec(spec))

        parse_dag()  # first import pays for our package's modules; the median is steady state
        med, peak = measure(parse_dag, args.repeat)
        rows.append((f"parse DAG file {dag_file.name}", f"{med * 1000:.1f} ms", f"{peak / 1e6:.2f} MB"))

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("\n| measurement | median | memory (peak Python allocations, or max RSS) |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    print(
        f"\nMax RSS of the benchmark process: {rss:.0f} MB. Repeats: {args.repeat} (week: 3 runs, each in a"
        " fresh process against a fresh replay server)."
    )


if __name__ == "__main__":
    main()
