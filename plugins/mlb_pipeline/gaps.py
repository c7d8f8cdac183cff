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


def feature_window_gaps(warehouse, game_date: str, window_days: int) -> list[dict]:
    """Strict mode (seed 002): what keeps the features of ``game_date`` from being built.

    The window is the ``window_days`` before ``game_date`` and the date itself, from the
    first date of that season the pipeline collected (history before it is a backfill's job,
    not a gap). Every date in it must have been collected (every run records its date, a
    day without games as ``no_games``), every game that should be final must be final in
    ``raw.games`` with no open dead letter, and every date with final games must have its
    latest grade promoted (A to C). Returns ``[{date, game_pk, reason}]``, oldest first."""
    day = dt.date.fromisoformat(game_date)
    first = warehouse.query(
        "SELECT min(game_date) AS first FROM ops.ingestion_runs WHERE game_date >= ? AND game_date <= ?",
        [dt.date(day.year, 1, 1), day])[0]["first"]
    if first is None:
        return [{"date": game_date, "game_pk": None, "reason": "not collected (no run of the daily DAG)"}]
    start = max(day - dt.timedelta(days=window_days), dt.date.fromisoformat(_day(first)))
    gaps: list[dict] = []

    runs = {_day(r["game_date"]): r for r in warehouse.query(
        "SELECT game_date, status, games_missing FROM ops.ingestion_runs WHERE game_date >= ? AND game_date <= ? "
        "QUALIFY row_number() OVER (PARTITION BY game_date ORDER BY started_at DESC) = 1", [start, day])}
    for n in range((day - start).days + 1):
        date = (start + dt.timedelta(days=n)).isoformat()
        run = runs.get(date)
        if run is None:
            gaps.append({"date": date, "game_pk": None, "reason": "not collected (no run of the daily DAG)"})
        elif run["status"] == "failed":
            gaps.append({"date": date, "game_pk": None, "reason": "its collection failed"})

    seasons = load_config("seasons")
    not_played = seasons["suspended_coded_states"] + seasons["postponed_coded_states"]
    for r in warehouse.query(
            "SELECT official_date, game_pk, status_code FROM raw.games WHERE NOT is_final "
            "AND official_date >= ? AND official_date <= ? ORDER BY official_date, game_pk", [start, day]):
        if r["status_code"] not in not_played:
            gaps.append({"date": _day(r["official_date"]), "game_pk": int(r["game_pk"]),
                         "reason": f"not final in the warehouse (status {r['status_code']})"})
    for r in warehouse.query(
            "SELECT game_date, game_pk, kind FROM ops.dead_letters WHERE resolved_at IS NULL AND endpoint = 'game' "
            "AND game_date >= ? AND game_date <= ? ORDER BY game_date, game_pk", [start, day]):
        gaps.append({"date": _day(r["game_date"]), "game_pk": int(r["game_pk"]) if r["game_pk"] is not None else None,
                     "reason": f"not loaded ({r['kind']}, open dead letter)"})
    for r in warehouse.query(
            "SELECT g.official_date, q.batch_grade, q.promoted FROM "
            "(SELECT DISTINCT official_date FROM raw.games WHERE is_final AND official_date >= ? "
            "AND official_date <= ?) AS g LEFT JOIN (SELECT game_date, batch_grade, promoted FROM ops.quality_grades WHERE true "
            "QUALIFY row_number() OVER (PARTITION BY game_date ORDER BY graded_at DESC) = 1) AS q "
            "ON q.game_date = g.official_date WHERE q.promoted IS NULL OR NOT q.promoted "
            "ORDER BY g.official_date", [start, day]):
        reason = f"graded {r['batch_grade']}, not promoted" if r["batch_grade"] else "not graded"
        gaps.append({"date": _day(r["official_date"]), "game_pk": None, "reason": reason})
    return sorted(gaps, key=lambda g: (g["date"], g["game_pk"] or 0))


def describe_feature_gaps(gaps: list[dict], game_date: str, window_days: int) -> str:
    """The message of a strict-mode block: the missing dates and games, and what to do."""
    dates = sorted({g["date"] for g in gaps})
    games = sorted({g["game_pk"] for g in gaps if g["game_pk"]})
    lines = [f"STRICT MODE: features for {game_date} blocked: {len(gaps)} gap(s) in the {window_days}-day "
             f"lookback window on {len(dates)} date(s).",
             f"Missing dates: {dates}",
             f"Missing games: {games}"]
    lines += [f"  {g['date']}" + (f" game {g['game_pk']}" if g["game_pk"] else "") + f": {g['reason']}" for g in gaps]
    lines.append(f"Resolution: collect those dates first (airflow backfill create --dag-id mlb_daily_collection "
                 f"--from-date {dates[0]} --to-date {dates[-1]}), then clear this task; or trigger with strict=false.")
    return "\n".join(lines)
