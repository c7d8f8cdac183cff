"""A 15-game day's load into DuckDB: this tree beside another (issue #20, item 2: one stage and
one MERGE a table for the whole day, where a day was loaded game by game).

    . scripts/env.sh && python benchmarks/bench_load.py [--before REF] [--repeat 5]

Collects one simulated 15-game day (2024-04-03, seed 11) once: the plan and every collection
task's result, landed in a lake under the work folder, as the daily DAG's tasks hand them to
``load_raw``. Then, in a child process per tree (``--before``: a git ref exported with
``git archive``, default ``main``; and this tree), times ``collect.load_day`` of that day into
a fresh warehouse whose schema is already created: median of ``--repeat`` runs after one
warm-up. Prints a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from trees import export, run_in_tree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))
sys.path.insert(0, str(REPO / "devtools"))  # the API double (mlb_replay): never deployed
DAY = "2024-04-03"

CHILD = """
import json, statistics, sys, time
tree, work, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, tree + "/plugins")
from mlb_pipeline.collect import load_day
from mlb_pipeline.landing import RawZone
from mlb_pipeline.warehouse import DuckDBWarehouse

plan, collected = json.load(open(work + "/load.json"))
zone = RawZone("file://" + work + "/lake")
times, statements = [], None
for run in range(repeat + 1):
    warehouse = DuckDBWarehouse(f"{work}/{abs(hash(tree))}-{run}.duckdb")
    warehouse.ensure_schema()
    started = time.perf_counter()
    load_day(warehouse, zone, plan, collected, run_id=f"bench-{run}")
    if run:  # the first is the warm-up
        times.append(time.perf_counter() - started)
    statements = getattr(warehouse, "statement_log", None)
print(json.dumps({"median_s": statistics.median(times), "times_s": times,
                  "statements": None if statements is None else len(statements)}))
"""


def collect_once(work: Path) -> int:
    """The day's plan and collection results, its responses landed in ``work/lake``."""
    from mlb_pipeline.collect import collect_plan, plan_day
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.source import ClientSettings, SavantClient, StatsApiClient
    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    zone = RawZone((work / "lake").as_uri())
    with ReplayServer(SimulatedBackend(League(seed=11, seasons=[2024]))) as server:
        api = StatsApiClient(ClientSettings(server.url, concurrency=4))
        savant = SavantClient(ClientSettings(server.url, concurrency=4, min_interval_s=0))
        plan = plan_day(api, zone, DAY, None)
        collected = collect_plan({"source": api, "savant": savant}, zone, plan, 4)
    (work / "load.json").write_text(json.dumps([plan, collected], default=str))
    return len(plan["collect"])


def time_tree(tree: Path, work: Path, repeat: int) -> dict:
    return run_in_tree(tree, CHILD, str(work), str(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git ref to compare with (default: main)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        work = Path(tmp)
        os.environ["MLB_LAKE_URL"] = (work / "lake").as_uri()
        games = collect_once(work)
        before = time_tree(export(args.before, work / "before"), work, args.repeat)
        after = time_tree(REPO, work, args.repeat)
    print(f"\nA {games}-game day ({DAY}, simulated) loaded by collect.load_day into DuckDB, median of {args.repeat}:\n")
    print("| tree | load_day, median | runs | stages + MERGEs logged |")
    print("|---|---|---|---|")
    for label, r in ((args.before, before), ("this tree", after)):
        runs = ", ".join(f"{t:.2f}" for t in r["times_s"])
        print(f"| {label} | {r['median_s']:.2f} s | {runs} | {r['statements'] or 'n/a'} |")


if __name__ == "__main__":
    main()
