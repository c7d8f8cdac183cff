"""What the warehouse is missing: the games a run should (re)collect.

The daily run reads this before it fetches anything, so nothing is fetched twice
without reason: recent dates whose games failed (open dead letters) or were collected
before they were final are re-collected; complete, final games are skipped.
"""
from __future__ import annotations

import datetime as dt

from mlb_pipeline.settings import load_config


def _day(value) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)[:10]


def recent_gaps(warehouse, game_date: str, lookback_days: int) -> dict[str, dict[int, str]]:
    """``{date: {game_pk: reason}}`` for the ``lookback_days`` before ``game_date``."""
    day = dt.date.fromisoformat(game_date)
    start = day - dt.timedelta(days=lookback_days)
    gaps: dict[str, dict[int, str]] = {}
    letters = warehouse.query(
        "SELECT game_date, game_pk, kind FROM ops.dead_letters "
        "WHERE resolved_at IS NULL AND game_pk IS NOT NULL AND endpoint = 'game' "
        "AND game_date >= ? AND game_date < ?", [start, day])
    for r in letters:
        gaps.setdefault(_day(r["game_date"]), {})[int(r["game_pk"])] = f"retry: open dead letter ({r['kind']})"
    # Suspended games wait for the schedule to list their resumption.
    suspended = load_config("seasons")["suspended_coded_states"]
    not_final = warehouse.query(
        "SELECT official_date, game_pk, status_code FROM raw.games "
        "WHERE NOT is_final AND official_date >= ? AND official_date < ?", [start, day])
    for r in not_final:
        if r["status_code"] in suspended:
            continue
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


def statcast_pending(warehouse, game_date: str, lookback_days: int) -> list[dict]:
    """Final games of ``game_date`` and the ``lookback_days`` before it whose pitch data
    does not come from Savant: Savant had nothing (or failed) and the feed serves them, or
    Savant was never asked (games loaded before Statcast was collected). Savant is asked again."""
    from mlb_pipeline.parse import phase_of

    day = dt.date.fromisoformat(game_date)
    rows = warehouse.query(
        "SELECT g.game_pk, g.official_date, g.game_type, s.pitch_source FROM raw.games AS g "
        "LEFT JOIN raw.statcast_games AS s ON s.game_pk = g.game_pk "
        "WHERE g.is_final AND (s.game_pk IS NULL OR s.pitch_source = 'statsapi_feed') "
        "AND g.official_date >= ? AND g.official_date <= ? ORDER BY g.official_date, g.game_pk",
        [day - dt.timedelta(days=lookback_days), day])
    return [{"game_pk": int(r["game_pk"]), "official_date": _day(r["official_date"]), "is_final": True,
             "phase": phase_of(r["game_type"]),
             "reason": "retry Savant: pitch data still from the feed" if r["pitch_source"]
             else "Savant not asked yet"} for r in rows]


def reference_gaps(warehouse, game_date: str, lookback_days: int) -> dict[str, list[str]]:
    """``{date: [request_url, ...]}``: reference requests (rosters, standings, stats,
    transactions) of the ``lookback_days`` before ``game_date`` that failed for good."""
    day = dt.date.fromisoformat(game_date)
    rows = warehouse.query(
        "SELECT game_date, request_url FROM ops.dead_letters WHERE resolved_at IS NULL AND game_pk IS NULL "
        "AND endpoint <> 'schedule' AND game_date >= ? AND game_date < ? ORDER BY game_date, request_url",
        [day - dt.timedelta(days=lookback_days), day])
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(_day(r["game_date"]), []).append(r["request_url"])
    return out
