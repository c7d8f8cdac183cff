"""What the warehouse is missing: the games a run should (re)collect.

The daily run reads this before it fetches anything, so nothing is fetched twice
without reason: recent dates whose games failed (open dead letters) or were collected
before they were final are re-collected; complete, final games are skipped.
"""
from __future__ import annotations

import datetime as dt


def _day(value) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)[:10]


def recent_gaps(warehouse, game_date: str, lookback_days: int) -> dict[str, dict[int, str]]:
    """``{date: {game_pk: reason}}`` for the ``lookback_days`` before ``game_date``."""
    day = dt.date.fromisoformat(game_date)
    start = day - dt.timedelta(days=lookback_days)
    gaps: dict[str, dict[int, str]] = {}
    letters = warehouse.query(
        "SELECT game_date, game_pk, kind FROM ops.dead_letters "
        "WHERE resolved_at IS NULL AND game_pk IS NOT NULL AND game_date >= ? AND game_date < ?", [start, day])
    for r in letters:
        gaps.setdefault(_day(r["game_date"]), {})[int(r["game_pk"])] = f"retry: open dead letter ({r['kind']})"
    not_final = warehouse.query(
        "SELECT official_date, game_pk FROM raw.games "
        "WHERE NOT is_final AND official_date >= ? AND official_date < ?", [start, day])
    for r in not_final:
        gaps.setdefault(_day(r["official_date"]), {})[int(r["game_pk"])] = "retry: collected before it was final"
    return gaps


def final_games_loaded(warehouse, game_pks: list[int]) -> set[int]:
    """Which of these games the warehouse already holds as final."""
    if not game_pks:
        return set()
    rows = warehouse.query("SELECT game_pk FROM raw.games WHERE is_final AND list_contains(?, game_pk)",
                           [list(game_pks)]) if warehouse.backend == "duckdb" else warehouse.query(
        "SELECT game_pk FROM raw.games WHERE is_final AND game_pk IN UNNEST(?)", [list(game_pks)])
    return {int(r["game_pk"]) for r in rows}
