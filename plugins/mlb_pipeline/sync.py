"""The weekly sync (seed 000): every game of past seasons fetched again, gaps filled and
post-game corrections picked up.

A correction is found by content hash: each fetched game's rows are hashed as the raw
tables hash them and compared with the stored hashes, so the run reports how many rows
changed, per table; only games with a change are merged, and the merge rewrites only the
changed rows. A game's ``raw_object`` (where its landed copy is) is provenance, not
content: a new copy of an unchanged game is not a correction. The dates whose data changed
(or that were never graded) are graded again by the next task.
"""

from __future__ import annotations

import datetime as dt
import logging

from mlb_pipeline.kinds import GAME_TABLES, kind
from mlb_pipeline.kinds.game_feed import parse_game
from mlb_pipeline.parse import FeedError, decode_json
from mlb_pipeline.settings import load_config

log = logging.getLogger(__name__)


def sync_config() -> dict:
    return load_config("pipeline")["weekly_sync"]


def seasons_to_sync(today: dt.date, seasons: list[int] | None = None, full_history: bool = False) -> list[int]:
    """The seasons a run re-syncs: those asked for; every season since ``first_season``
    with ``full_history``; otherwise the last ``default_seasons`` (the current and the
    previous)."""
    cfg = sync_config()
    if seasons:
        return sorted({int(s) for s in seasons})
    if full_history:
        return list(range(cfg["first_season"], today.year + 1))
    return list(range(today.year - cfg["default_seasons"] + 1, today.year + 1))


def season_dates(calendar: dict, today: dt.date) -> list[str]:
    """Every date of a season's calendar (spring training to the end of the postseason)
    before ``today``."""
    first = dt.date.fromisoformat(calendar["phases"]["spring_training"][0])
    last = min(dt.date.fromisoformat(calendar["phases"]["postseason"][1]), today - dt.timedelta(days=1))
    return [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def changed_rows(warehouse, game_pk: int, rows: dict[str, list[dict]]) -> dict[str, int]:
    """Per game table, how many rows of ``game_pk`` the fetched ``rows`` add, change or
    remove, judged by content hash as the merge judges them (the stored ``raw_object``
    pointer stands in for the new copy's)."""
    from mlb_pipeline.parse import row_hash
    from mlb_pipeline.warehouse import META_COLUMNS

    changes = {}
    pointer = warehouse.query("SELECT raw_object FROM raw.games WHERE game_pk = ?", [game_pk])
    if pointer and rows.get("games"):
        rows = {**rows, "games": [{**rows["games"][0], "raw_object": pointer[0]["raw_object"]}]}
    for table in GAME_TABLES:
        spec = warehouse.tables[f"raw.{table}"]
        key, content = spec["key"], [c for c in spec["columns"] if c not in META_COLUMNS]
        fresh = {tuple(r.get(k) for k in key): row_hash({c: r.get(c) for c in content}) for r in rows.get(table, [])}
        stored = {
            tuple(r[k] for k in key): r["content_hash"]
            for r in warehouse.query(
                f"SELECT {', '.join(key)}, content_hash FROM raw.{table} WHERE game_pk = ?", [game_pk]
            )
        }
        n = sum(1 for k, h in fresh.items() if stored.get(k) != h) + sum(1 for k in stored if k not in fresh)
        if n:
            changes[table] = n
    return changes


def resync_dates(
    client, zone, warehouse, dates: list[str], run_id: str, concurrency: int, dry_run: bool = False
) -> dict:
    """Fetch every game of ``dates`` again; count, per table, the rows that differ from the
    warehouse; merge them (unless ``dry_run``), which fills gaps and rewrites only changed
    rows. Returns the totals and the dates and games that changed."""
    from mlb_pipeline.collect import load_day, plan_day
    from mlb_pipeline.kinds.game_feed import collect_feeds

    feeds_task = kind("game_feed").collected_by  # the kind it re-collects: the game feeds

    totals: dict[str, int] = {}
    changed_games: dict[str, list[int]] = {}
    phases: dict[str, str] = {}
    fetched = failed = 0
    for date in dates:
        plan = plan_day(client, zone, date, warehouse, lookback_days=0, force=True)
        phases[date] = plan["season_phase"]
        collected = collect_feeds(client, zone, plan, concurrency, stage=False)
        fetched += len(collected["landed"])
        failed += len(collected["failed"])
        changed_items = []
        for item in collected["landed"]:
            try:
                rows = parse_game(decode_json(zone.read(item["url"]), f"feed {item['game_pk']}"))
            except FeedError:
                changed_items.append(item)  # load_day records it as a dead letter
                continue
            rows["games"][0]["raw_object"] = item["url"]
            changes = changed_rows(warehouse, item["game_pk"], rows)
            if changes:
                changed_items.append(item)
                changed_games.setdefault(date, []).append(item["game_pk"])
                for table, n in changes.items():
                    totals[table] = totals.get(table, 0) + n
                log.info(
                    "%s game %s: %s",
                    date,
                    item["game_pk"],
                    ", ".join(f"{n} {t} rows changed" for t, n in changes.items()),
                )
        if not dry_run:  # unchanged games are not merged at all
            load_day(warehouse, zone, plan, {feeds_task: {**collected, "landed": changed_items}}, run_id=run_id)
    summary = {
        "dates": len(dates),
        "games_fetched": fetched,
        "games_failed": failed,
        "rows_changed": totals,
        "rows_changed_total": sum(totals.values()),
        "changed_games": changed_games,
        "changed_dates": sorted(changed_games),
        "phases": phases,
        "dry_run": dry_run,
    }
    log.info(
        "weekly sync of %d dates: %d games fetched, %d failed; %d rows changed (%s) in %d games on %d dates%s",
        len(dates),
        fetched,
        failed,
        summary["rows_changed_total"],
        ", ".join(f"{t} {n}" for t, n in sorted(totals.items())) or "none",
        sum(len(v) for v in changed_games.values()),
        len(changed_games),
        " (dry run: nothing written)" if dry_run else "",
    )
    return summary


def dates_to_regrade(warehouse, dates: list[str], changed_dates: list[str]) -> list[str]:
    """The synced dates to grade again: those whose data changed, and those with final games
    but no promoted grade (never graded, or rejected before)."""
    if not dates:
        return []
    promoted = {
        r["d"].isoformat()
        for r in warehouse.query(
            "SELECT DISTINCT game_date AS d FROM ops.quality_grades WHERE promoted AND game_date BETWEEN ? AND ?",
            [dt.date.fromisoformat(min(dates)), dt.date.fromisoformat(max(dates))],
        )
    }
    with_games = {
        r["d"].isoformat()
        for r in warehouse.query(
            "SELECT DISTINCT official_date AS d FROM raw.games WHERE is_final AND official_date BETWEEN ? AND ?",
            [dt.date.fromisoformat(min(dates)), dt.date.fromisoformat(max(dates))],
        )
    }
    return sorted(set(changed_dates) | (with_games - promoted))
