"""Simulated seasons for the benchmarks, collected once through the pipeline and cached.

Collecting, loading and grading a simulated regular season with the pipeline's own
functions (the daily DAG's steps, against the in-process replay server) takes about half
an hour, so each set of seasons is kept in ``.local/bench/`` and reused.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))
sys.path.insert(0, str(REPO / "devtools"))  # the API double (mlb_replay): never deployed
sys.path.insert(0, str(REPO / "tests"))


def regular_season_days(league, year: int) -> list[str]:
    """Every date from the season's first regular-season game to its last."""
    dates = sorted({g.official_date for g in league.games.values() if g.season == year and g.game_type == "R"})
    return [(dates[0] + dt.timedelta(days=n)).isoformat() for n in range((dates[-1] - dates[0]).days + 1)]


def collected_seasons(years: list[int], days: int | None = None, seed: int = 7) -> tuple[Path, list[str]]:
    """The regular seasons ``years`` of one simulated league (``days``: only the first days
    of a single season), collected into one warehouse; ``(warehouse path, dates)``."""
    from conftest import collect_days

    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    league = League(seed, years)
    every_day = [d for year in years for d in regular_season_days(league, year)][:days]
    name = f"season-{years[0]}-{len(every_day)}d" if len(years) == 1 else f"seasons-{years[0]}-{years[-1]}"
    root = REPO / ".local" / "bench" / name
    warehouse = root / "warehouse.duckdb"
    if not (root / "complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        print(f"collecting {len(every_day)} simulated days into {root} (once)...", flush=True)
        with ReplayServer(SimulatedBackend(league)).start() as server:
            collect_days(server, warehouse, (root / "lake").as_uri(), every_day)
        (root / "complete").touch()
    return warehouse, every_day
