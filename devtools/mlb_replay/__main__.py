"""Run the MLB Stats API double.

    python -m mlb_replay --recorded ../shared/fixtures/mlb --port 8765
    python -m mlb_replay --simulate --seed 7 --seasons 2024,2025 --port 8765
    python -m mlb_replay --simulate --seed 7 --seasons 2024 --live 2024-07-02 --clock-speed 120
    python -m mlb_replay export --seed 7 --season 2024 --out DIR   (then --recorded DIR)

Then point the pipeline at it: AIRFLOW_CONN_MLB_STATSAPI=http://127.0.0.1:8765
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import signal
import sys

from mlb_pipeline import arguments
from mlb_replay.live import LiveClock, LiveDay
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
    ap.add_argument(
        "--live",
        metavar="DATE",
        type=arguments.date,
        help="play this date's games live, in accelerated time: their feeds change play by play",
    )
    ap.add_argument("--clock-speed", type=_speed, help="game seconds a real second (default 60)")
    ap.add_argument(
        "--live-from",
        metavar="TIME",
        type=_instant,
        help="game time (UTC) at start, e.g. 2024-07-02T22:30:00Z (default: 35 min before the first start)",
    )
    ap.add_argument("--live-games", metavar="N", type=arguments.at_least(1), help="play only the first N games")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=arguments.port, default=8765)
    ap.add_argument(
        "--faults", metavar="FILE", type=arguments.file, help="JSON list of faults to inject (see server.Fault)"
    )
    args = ap.parse_args(argv)
    faults = _faults(ap, args.faults) if args.faults else []
    if args.recorded:
        if args.live:
            ap.error("argument --live: only with --simulate")
        backend = RecordedBackend(args.recorded)
        if not backend.index and not backend.savant and not backend.savant_dates:
            ap.error(f"argument --recorded: {str(args.recorded)!r} holds no recorded responses")
        what = f"{len(backend.index)} recorded responses from {args.recorded}"
    else:
        seasons = args.seasons
        league = League(args.seed, seasons, today=args.today)
        backend = SimulatedBackend(league, _live_day(ap, args, league))
        what = f"simulated seasons {seasons} (seed {args.seed})"
    try:
        server = ReplayServer(backend, args.host, args.port)
    except OSError as exc:
        ap.error(f"argument --port: cannot serve on {args.host}:{args.port} ({exc.strerror or exc})")
    for spec in faults:
        server.add_fault(**spec)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if getattr(backend, "live", None) is not None:
        print(backend.live.summary(), flush=True)
    print(f"MLB Stats API double serving {what} on {server.url}", flush=True)
    try:
        server.httpd.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.httpd.server_close()
    return 0


def _speed(value: str) -> float:
    """``--clock-speed``: game seconds a real second, above 0."""
    try:
        speed = float(value)
    except ValueError:
        speed = None
    if speed is None or not 0 < speed < float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r} is not a speed above 0 (game seconds a real second)")
    return speed


def _instant(value: str) -> dt.datetime:
    """``--live-from``: a UTC time, 2024-07-02T22:30:00Z."""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a UTC time (e.g. 2024-07-02T22:30:00Z)")
    return moment


def _live_day(ap, args, league: League) -> LiveDay | None:
    """``--live``'s day of games and clock, checked before the server starts."""
    if args.live is None:
        names = ("clock_speed", "live_from", "live_games")
        given = [f"--{name.replace('_', '-')}" for name in names if getattr(args, name) is not None]
        if given:
            ap.error(f"argument {given[0]}: only with --live")
        return None
    if args.live.year not in league.seasons:
        ap.error(f"argument --live: {args.live} is not in the simulated seasons {league.seasons}")
    if args.today is not None and args.today <= args.live:
        ap.error(f"argument --live: {args.live} must be before --today ({args.today}): its games are unplayed")
    try:
        day = LiveDay(league, args.live, None, args.live_games)
    except ValueError:
        ap.error(f"argument --live: no games on {args.live}")
    day.clock = LiveClock(args.clock_speed or 60.0, args.live_from or day.first_start - dt.timedelta(minutes=35))
    return day


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
