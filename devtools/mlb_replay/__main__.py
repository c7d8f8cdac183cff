"""Run the MLB Stats API double.

    python -m mlb_replay --recorded ../shared/fixtures/mlb --port 8765
    python -m mlb_replay --simulate --seed 7 --seasons 2024,2025 --port 8765
    python -m mlb_replay export --seed 7 --season 2024 --out DIR   (then --recorded DIR)

Then point the pipeline at it: AIRFLOW_CONN_MLB_STATSAPI=http://127.0.0.1:8765
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys

from mlb_pipeline import arguments
from mlb_replay.server import Fault, RecordedBackend, ReplayServer, SimulatedBackend
from mlb_replay.simulate import League


def main(argv: list[str] | None = None, prog: str = "python -m mlb_replay") -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["export"]:
        from mlb_replay.export import main as export_main

        return export_main(argv[1:], prog=f"{prog} export")
    ap = arguments.Parser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--recorded", metavar="DIR", type=arguments.folder, help="serve real recorded responses from DIR")
    mode.add_argument("--simulate", action="store_true", help="serve a seeded simulated league")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--seasons", type=arguments.seasons, default=[2024], help="seasons to simulate: 2024,2025 or 2023-2025"
    )
    ap.add_argument(
        "--today",
        type=arguments.date,
        default=None,
        help="simulated 'today': games from this date on are not played yet",
    )
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=arguments.port, default=8765)
    ap.add_argument(
        "--faults", metavar="FILE", type=arguments.file, help="JSON list of faults to inject (see server.Fault)"
    )
    args = ap.parse_args(argv)
    faults = _faults(ap, args.faults) if args.faults else []
    if args.recorded:
        backend = RecordedBackend(args.recorded)
        if not backend.index and not backend.savant and not backend.savant_dates:
            ap.error(f"argument --recorded: {str(args.recorded)!r} holds no recorded responses")
        what = f"{len(backend.index)} recorded responses from {args.recorded}"
    else:
        seasons = args.seasons
        backend = SimulatedBackend(League(args.seed, seasons, today=args.today))
        what = f"simulated seasons {seasons} (seed {args.seed})"
    try:
        server = ReplayServer(backend, args.host, args.port)
    except OSError as exc:
        ap.error(f"argument --port: cannot serve on {args.host}:{args.port} ({exc.strerror or exc})")
    for spec in faults:
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


def _faults(ap, path) -> list[dict]:
    """``--faults FILE``: each fault checked before the server starts, a bad one named in one line."""
    try:
        specs = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        ap.error(f"argument --faults: {str(path)!r} is not JSON ({exc})")
    if not isinstance(specs, list) or not all(isinstance(spec, dict) and "pattern" in spec for spec in specs):
        ap.error(f"argument --faults: {str(path)!r} is not a JSON list of faults, each with a pattern")
    for spec in specs:
        try:
            Fault(**spec), re.compile(spec["pattern"])
        except (TypeError, re.error) as exc:
            ap.error(f"argument --faults: {spec}: {exc}")
    return specs


if __name__ == "__main__":
    sys.exit(main())
