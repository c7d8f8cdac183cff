"""A 15-game day's Statcast collection from the double, this tree beside another (issue #21,
item 2: Savant asked once a date, where it was asked once a game).

    . scripts/env.sh && python benchmarks/bench_statcast.py [--before REF] [--repeat 3] [--latency-s 0]

In a child process per tree (``--before``: a git ref exported with ``git archive``, default
``main``; and this tree), with that tree's double (a simulated league, seed 11) and that
tree's ``savant`` settings in ``config/pipeline.yaml`` (pacing ``min_interval_s``,
``concurrency``): the day's plan, then ``collect_statcast`` of it into a fresh lake, timed,
median of ``--repeat`` runs after one warm-up, and the Savant requests the double saw.
``--latency-s`` adds that much latency to every Savant answer (Savant builds its CSV on
request; the double answers at once). Prints a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from trees import export, run_in_tree

REPO = Path(__file__).resolve().parents[1]
DAY = "2024-04-03"

CHILD = """
import json, statistics, sys, time
tree, work, repeat, latency, day = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
sys.path[:0] = [tree + "/plugins", tree + "/devtools"]
from mlb_pipeline.collect import plan_day
from mlb_pipeline.kinds.statcast import collect_statcast
from mlb_pipeline.landing import RawZone
from mlb_pipeline.settings import load_config
from mlb_pipeline.source import ClientSettings, SavantClient, StatsApiClient
from mlb_replay.server import ReplayServer, SimulatedBackend
from mlb_replay.simulate import League

cfg = load_config("pipeline")["savant"]
times, requests, sources = [], [], None
with ReplayServer(SimulatedBackend(League(seed=11, seasons=[2024]))) as server:
    if latency:
        server.add_fault(r"/statcast_search/", delay_s=latency)
    plan = plan_day(StatsApiClient(ClientSettings(server.url)), RawZone(f"file://{work}/plan"), day, None)
    for run in range(repeat + 1):
        zone = RawZone(f"file://{work}/{abs(hash(tree))}-{run}")
        savant = SavantClient(ClientSettings.from_config(server.url, cfg))  # the configured pacing
        server.clear_requests()
        started = time.perf_counter()
        collected = collect_statcast(savant, zone, plan, cfg["concurrency"])
        if run:  # the first is the warm-up
            times.append(time.perf_counter() - started)
            requests.append(len(server.requests("/statcast_search/")))
        sources = sorted({g["source"] for g in collected["games"]})
print(json.dumps({"median_s": statistics.median(times), "times_s": times, "requests": requests,
                  "games": len(collected["games"]), "sources": sources,
                  "min_interval_s": cfg["min_interval_s"], "concurrency": cfg["concurrency"]}))
"""


def time_tree(tree: Path, work: Path, repeat: int, latency: float) -> dict:
    return run_in_tree(tree, CHILD, str(work), str(repeat), str(latency), DAY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git ref to compare with (default: main)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-s", type=float, default=0.0, help="latency added to every Savant answer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-statcast-") as tmp:
        work = Path(tmp)
        before = time_tree(export(args.before, work / "before"), work, args.repeat, args.latency_s)
        after = time_tree(REPO, work, args.repeat, args.latency_s)
    print(
        f"\nStatcast of a {after['games']}-game day ({DAY}, simulated, seed 11), collect_statcast with the "
        f"configured pacing ({after['min_interval_s']} s, concurrency {after['concurrency']}), "
        f"{args.latency_s:g} s latency a Savant answer, median of {args.repeat}:\n"
    )
    print("| tree | collect_statcast, median | runs | Savant requests | served by |")
    print("|---|---|---|---|---|")
    for label, r in ((args.before, before), ("this tree", after)):
        runs = ", ".join(f"{t:.2f}" for t in r["times_s"])
        print(f"| {label} | {r['median_s']:.2f} s | {runs} | {r['requests'][0]} | {', '.join(r['sources'])} |")


if __name__ == "__main__":
    main()
