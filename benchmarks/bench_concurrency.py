"""Does concurrency help when the source is slow? (issue #18, item 8)

    . scripts/env.sh && python benchmarks/bench_concurrency.py [--repeat 5] [--latency-ms 150]

Fetches the live feeds of one simulated 15-game day from the replay server with
``--latency-ms`` of latency injected on every feed request, through the pipeline's own
collector (``collect.collect_feeds``: the client, its circuit breaker, the raw zone) at
concurrency 1, 4 and 8, against a naive sequential loop of bare urllib3 GETs of the same
URLs (the floor for one request at a time). Medians over ``--repeat`` runs, side by side in
one run; prints a Markdown table for docs/BENCHMARKS.md. pybreaker 1.4's ``call`` held a
lock for the whole request, so every concurrency measured as 1 before the fix.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))
sys.path.insert(0, str(REPO / "devtools"))  # the API double (mlb_replay): never deployed

DAY = "2024-06-14"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--latency-ms", type=float, default=150)
    args = ap.parse_args()

    import urllib3

    from mlb_pipeline.collect import collect_feeds, plan_day
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.source import ClientSettings, StatsApiClient
    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    with ReplayServer(SimulatedBackend(League(seed=7, seasons=[2024]))) as server, tempfile.TemporaryDirectory() as tmp:
        zone = RawZone(Path(tmp, "lake").as_uri())
        plan = plan_day(StatsApiClient(ClientSettings(server.url)), zone, DAY)
        games = len(plan["collect"])
        server.add_fault(r"/feed/live", delay_s=args.latency_ms / 1000)
        urls = [StatsApiClient(ClientSettings(server.url)).url("game", gamePk=g["game_pk"]) for g in plan["collect"]]
        http = urllib3.PoolManager()

        def sequential() -> None:
            for url in urls:
                assert http.request("GET", url).status == 200

        def collector(concurrency: int):
            def run() -> None:
                client = StatsApiClient(ClientSettings(server.url, concurrency=concurrency))
                result = collect_feeds(client, zone, plan, concurrency)
                assert len(result["landed"]) == games, result["failed"]
                client.close()

            return run

        cases = [("naive sequential loop (urllib3, one at a time)", sequential)] + [
            (f"collector, concurrency {c}", collector(c)) for c in (1, 4, 8)
        ]
        times: dict[str, list[float]] = {name: [] for name, _ in cases}
        for _ in range(args.repeat):  # interleaved, so that drift hits every case alike
            for name, fn in cases:
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    floor = statistics.median(times[cases[0][0]])
    print(f"{games} feeds of {DAY}, {args.latency_ms:g} ms latency each, median of {args.repeat}\n")
    print("| fetch | median | speed-up against the sequential loop |\n|---|---|---|")
    for name, _ in cases:
        med = statistics.median(times[name])
        print(f"| {name} | {med:.2f} s | {floor / med:.2f}x |")


if __name__ == "__main__":
    main()
