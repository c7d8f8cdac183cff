"""The daily run of a 15-game day on the embedded default, end to end: this tree beside another
(issue #21: the daily path gets faster on the way to the bulk backfill).

    . scripts/env.sh && python benchmarks/bench_daily.py [--before REF] [--repeat 3]

In a child process per tree (``--before``: a git ref exported with ``git archive``; and this
tree), against the same in-process API double (simulated league, seed 11, 2024-04-03), what the
daily DAG's tasks do for the day, with the clients configured as the tree's config/pipeline.yaml
configures them (Savant's pacing included): plan, the three collections, the load, the grading
(GX, Data Docs). Into a fresh warehouse and lake each run; median of ``--repeat`` after a
warm-up, runs of the two trees interleaved. Prints a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from trees import export, run_in_tree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "devtools"))  # the API double (mlb_replay): never deployed
DAY = "2024-04-03"

CHILD = """
import json, sys, time
tree, work, url, run = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
sys.path.insert(0, tree + "/plugins")
from mlb_pipeline.collect import collect_plan, load_day, plan_day
from mlb_pipeline.landing import RawZone
from mlb_pipeline.quality import grade_and_promote
from mlb_pipeline.settings import load_config
from mlb_pipeline.source import ClientSettings, SavantClient, StatsApiClient
from mlb_pipeline.warehouse import DuckDBWarehouse

cfg = load_config("pipeline")
lake = f"file://{work}/lake-{run}"
warehouse, zone = DuckDBWarehouse(f"{work}/{run}.duckdb"), RawZone(lake)
api = StatsApiClient(ClientSettings.from_config(url, cfg["source"]))
savant = SavantClient(ClientSettings.from_config(url, cfg["savant"]))
started = time.perf_counter()
plan = plan_day(api, zone, sys.argv[5], warehouse)
phases = {"plan": time.perf_counter() - started}
t = time.perf_counter()
collected = collect_plan({"source": api, "savant": savant}, zone, plan, api.settings.concurrency)
phases["collect"] = time.perf_counter() - t
t = time.perf_counter()
load_day(warehouse, zone, plan, collected, run_id=run)
phases["load"] = time.perf_counter() - t
t = time.perf_counter()
grade = grade_and_promote(warehouse, sys.argv[5], plan["season_phase"], run, docs_url=lake + "/quality/data_docs")
phases["grade"] = time.perf_counter() - t
print(json.dumps({"total_s": time.perf_counter() - started, "phases": phases, "games": len(plan["collect"]),
                  "grade": grade["grade"]}))
"""


def run_tree(tree: Path, work: Path, url: str, run: str) -> dict:
    return run_in_tree(tree, CHILD, str(work), url, run, DAY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git ref to compare with (default: main)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    with (
        ReplayServer(SimulatedBackend(League(seed=11, seasons=[2024]))) as server,
        tempfile.TemporaryDirectory(prefix="bench-daily-") as tmp,
    ):
        work = Path(tmp)
        trees = {args.before: export(args.before, work / "before"), "this tree": REPO}
        results: dict[str, list[dict]] = {label: [] for label in trees}
        for n in range(args.repeat + 1):
            for label, tree in trees.items():
                r = run_tree(tree, work, server.url, f"{'before' if tree != REPO else 'after'}-{n}")
                if n:  # the first is the warm-up
                    results[label].append(r)
    games = results["this tree"][0]["games"]
    print(f"\nThe daily run of a {games}-game day ({DAY}, simulated), plan to grade, median of {args.repeat}:\n")
    print("| tree | total | plan | collect | load | grade | grade given |")
    print("|---|---|---|---|---|---|---|")
    for label, runs in results.items():
        med = {p: statistics.median(r["phases"][p] for r in runs) for p in ("plan", "collect", "load", "grade")}
        total = statistics.median(r["total_s"] for r in runs)
        print(
            f"| {label} | {total:.1f} s | "
            + " | ".join(f"{med[p]:.1f} s" for p in ("plan", "collect", "load", "grade"))
            + f" | {runs[0]['grade']} |"
        )


if __name__ == "__main__":
    main()
