"""Run the MLB Stats API double.

    python -m mlb_replay --recorded ../shared/fixtures/mlb --port 8765
    python -m mlb_replay --simulate --seed 7 --seasons 2024,2025 --port 8765
    python -m mlb_replay export --seed 7 --season 2024 --out DIR   (then --recorded DIR)

Then point the pipeline at it: AIRFLOW_CONN_MLB_STATSAPI=http://127.0.0.1:8765
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import sys

from mlb_replay.server import RecordedBackend, ReplayServer, SimulatedBackend
from mlb_replay.simulate import League


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["export"]:
        from mlb_replay.export import main as export_main

        return export_main(argv[1:])
    ap = argparse.ArgumentParser(
        prog="python -m mlb_replay", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--recorded", metavar="DIR", help="serve real recorded responses from DIR")
    mode.add_argument("--simulate", action="store_true", help="serve a seeded simulated league")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--seasons", default="2024", help="comma-separated seasons to simulate")
    ap.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        default=None,
        help="simulated 'today': games from this date on are not played yet",
    )
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--faults", metavar="FILE", help="JSON list of faults to inject (see server.Fault)")
    args = ap.parse_args(argv)

    if args.recorded:
        backend = RecordedBackend(args.recorded)
        what = f"{len(backend.index)} recorded responses from {args.recorded}"
    else:
        seasons = [int(s) for s in args.seasons.split(",")]
        backend = SimulatedBackend(League(args.seed, seasons, today=args.today))
        what = f"simulated seasons {seasons} (seed {args.seed})"
    server = ReplayServer(backend, args.host, args.port)
    if args.faults:
        with open(args.faults, encoding="utf-8") as fh:
            for spec in json.load(fh):
                server.add_fault(**spec)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"MLB Stats API double serving {what} on {server.url}", flush=True)
    try:
        server.httpd.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
