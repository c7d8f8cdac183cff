"""Collecting one game day: plan it, land every response, load the raw tables.

Three steps, each safe to retry on its own:

1. :func:`plan_day` fetches the schedule of the day and lands it.
2. :func:`collect_feeds` fetches the live feed of every game (bounded concurrency),
   writes each body to the raw zone before anything else, and quarantines bodies that
   cannot be parsed. It never touches the warehouse.
3. :func:`load_day` reads the landed feeds back from the raw zone and merges each game
   into the raw tables in one transaction, records failures as dead letters and the run
   in ``ops.ingestion_runs``.

:func:`check_day` then turns an incomplete day into a clear failure.
"""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging

from mlb_pipeline.landing import RawZone
from mlb_pipeline.parse import FeedError, decode_json, parse_feed, parse_schedule
from mlb_pipeline.settings import load_config
from mlb_pipeline.source import NotFound, SourceError, StatsApiClient

log = logging.getLogger(__name__)


class IncompleteDay(RuntimeError):
    """Some games of the day could not be collected."""


def plan_day(client: StatsApiClient, zone: RawZone, game_date: str) -> dict:
    """The day's schedule, landed raw; the games to collect and why others are skipped."""
    resp = client.fetch("schedule", sportId=1, date=game_date)
    landed = zone.land(zone.schedule_key(game_date), "schedule", resp.body)
    try:
        games = parse_schedule(decode_json(resp.body, f"schedule {game_date}"), game_date)
    except FeedError as exc:
        zone.quarantine(game_date, "schedule", "schedule", resp.body, str(exc), resp.url)
        raise
    wanted = set(load_config("seasons")["collected_game_types"])
    games = [g for g in games if g.game_type in wanted]
    plan = {
        "game_date": game_date,
        "schedule_object": landed.url,
        "games": [dict(g.to_dict(), phase=g.phase, is_final=g.is_final, is_postponed=g.is_postponed)
                  for g in games],
    }
    final = [g.game_pk for g in games if g.is_final]
    postponed = [g.game_pk for g in games if g.is_postponed]
    log.info("%s: %d games scheduled, %d final, %d postponed%s", game_date, len(games), len(final),
             len(postponed), "" if games else " (no games: nothing to collect)")
    return plan


def _collect_one(client: StatsApiClient, zone: RawZone, game: dict) -> dict:
    pk, date = game["game_pk"], game["official_date"]
    url = client.url("game", gamePk=pk)
    try:
        resp = client.fetch("game", gamePk=pk)
    except NotFound as exc:
        return {"game_pk": pk, "ok": False, "endpoint": "game", "request_url": url, "kind": "not_found",
                "error": f"the API has no live feed for game {pk} (404)", "raw_object": None}
    except SourceError as exc:
        return {"game_pk": pk, "ok": False, "endpoint": "game", "request_url": url, "kind": "unavailable",
                "error": exc.reason, "raw_object": None}
    # Write-through: the body is stored as received before we look inside it.
    landed = zone.land(zone.game_key(pk, date, game["phase"], game["is_final"]), "feed_live", resp.body)
    try:
        parse_feed(decode_json(resp.body, f"feed {pk}"))
    except FeedError as exc:
        q = zone.quarantine(date, str(pk), "feed_live", resp.body, str(exc), resp.url)
        return {"game_pk": pk, "ok": False, "endpoint": "game", "request_url": resp.url, "kind": "unparseable",
                "error": str(exc), "raw_object": q.url}
    return {"game_pk": pk, "ok": True, "request_url": resp.url, **landed.to_dict()}


def collect_feeds(client: StatsApiClient, zone: RawZone, plan: dict, concurrency: int) -> dict:
    """Fetch and land the live feed of every game that was played or is being played."""
    games = [g for g in plan["games"] if not g["is_postponed"]]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency),
                                               thread_name_prefix="feeds") as pool:
        results = list(pool.map(lambda g: _collect_one(client, zone, g), games))
    landed = [r for r in results if r["ok"]]
    failed = [r for r in results if not r["ok"]]
    for f in failed:
        log.warning("game %s not collected (%s): %s", f["game_pk"], f["kind"], f["error"])
    log.info("%s: %d feeds landed (%d new objects), %d failed", plan["game_date"], len(landed),
             sum(1 for r in landed if r["written"]), len(failed))
    return {"game_date": plan["game_date"], "landed": landed, "failed": failed}


def load_day(warehouse, zone: RawZone, plan: dict, collected: dict, run_id: str,
             started_at: dt.datetime | None = None) -> dict:
    """Merge every landed game into the raw tables; record dead letters and the run."""
    started_at = started_at or dt.datetime.now(dt.timezone.utc)
    date = plan["game_date"]
    warehouse.ensure_schema()
    counts: dict[str, int] = {}
    loaded, failed = [], list(collected["failed"])
    with warehouse.connect() as con:
        for item in collected["landed"]:
            body = zone.read(item["url"])
            try:
                rows = parse_feed(decode_json(body, f"feed {item['game_pk']}"))
            except FeedError as exc:  # the landed object is not what we collected: keep it, say so
                failed.append({"game_pk": item["game_pk"], "endpoint": "game", "request_url": item["request_url"],
                               "kind": "unparseable", "error": str(exc), "raw_object": item["url"]})
                continue
            rows["games"][0]["raw_object"] = item["url"]
            for table, n in warehouse.load_game(item["game_pk"], rows, source="statsapi", con=con).items():
                counts[table] = counts.get(table, 0) + n
            loaded.append(item["game_pk"])
    for letter in failed:
        warehouse.record_dead_letter({**letter, "game_date": date}, run_id)
    warehouse.resolve_dead_letters(date, [i["request_url"] for i in collected["landed"]
                                          if i["game_pk"] in loaded])

    games = plan["games"]
    final = [g["game_pk"] for g in games if g["is_final"]]
    missing = sorted(set(final) - set(loaded))
    not_final = [g["game_pk"] for g in games if not g["is_final"] and not g["is_postponed"]]
    if not games:
        status = "no_games"
    elif missing or not_final:
        status = "incomplete"
    else:
        status = "complete"
    summary = {
        "run_id": run_id, "game_date": date, "started_at": started_at,
        "finished_at": dt.datetime.now(dt.timezone.utc), "status": status,
        "games_scheduled": len(games), "games_final": len(final), "games_loaded": len(loaded),
        "games_missing": len(missing),
        "games_quarantined": sum(1 for f in failed if f["kind"] == "unparseable"),
        "used_fallback": False, "table_counts": counts,
        "errors": [{k: f[k] for k in ("game_pk", "kind", "error", "request_url", "raw_object")} for f in failed],
    }
    warehouse.record_run(summary)
    summary["missing_game_pks"] = missing
    summary["not_final_game_pks"] = not_final
    summary["loaded_game_pks"] = loaded
    log.info("%s: %s; loaded %d of %d final games; rows %s", date, status, len(loaded), len(final), counts)
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in summary.items()}


def check_day(summary: dict) -> str:
    """Raise :class:`IncompleteDay` naming every game that is missing and why."""
    date, status = summary["game_date"], summary["status"]
    if status == "no_games":
        return f"{date}: no games scheduled; nothing to collect."
    if status == "complete":
        return f"{date}: complete, {summary['games_loaded']} games loaded."
    reasons = {e["game_pk"]: f"{e['kind']}: {e['error']}" for e in summary["errors"]}
    lines = [f"{date} is incomplete: {summary['games_loaded']} of {summary['games_final']} final games loaded."]
    for pk in summary["missing_game_pks"]:
        lines.append(f"  game {pk}: {reasons.get(pk, 'not collected')}")
    for pk in summary["not_final_game_pks"]:
        lines.append(f"  game {pk}: not final yet")
    lines.append("Missing games are in ops.dead_letters and are retried by later runs.")
    raise IncompleteDay("\n".join(lines))
