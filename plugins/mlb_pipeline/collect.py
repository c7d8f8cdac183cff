"""Collecting game days: plan, land every response, load the raw tables.

Three steps, each safe to retry on its own:

1. :func:`plan_day` fetches the schedule of the run's day and decides, from what the
   warehouse already holds, which games to fetch: the day's games not yet final in the
   warehouse, plus recent games that failed or were collected before they were final.
2. :func:`collect_feeds` fetches those games' live feeds (bounded concurrency) and writes
   each body to the raw zone before anything is loaded: to quarantine/ only when it cannot
   be parsed. When the API fails, the last good copy in the raw zone is used instead.
   It never touches the warehouse.
3. :func:`load_day` reads the landed feeds back from the raw zone and merges each game
   into the raw tables in its own transaction, records failures as dead letters and
   each date's outcome in ``ops.ingestion_runs``.

:func:`check_day` then turns an incomplete day into a clear failure.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
import time

from mlb_pipeline.gaps import final_games_loaded, recent_gaps, reference_gaps, statcast_pending
from mlb_pipeline.landing import LandedObject, Quarantined, RawZone
from mlb_pipeline.parse import FeedError, decode_json, parse_feed, parse_schedule
from mlb_pipeline.seasons import phase_on, season_calendar, season_schedule
from mlb_pipeline.settings import load_config
from mlb_pipeline.source import NotFound, SourceError, StatsApiClient

log = logging.getLogger(__name__)


class IncompleteDay(RuntimeError):
    """Some games of the day could not be collected."""


class InvalidGameDate(ValueError):
    """A game date no run should collect (too far ahead): refused before anything is written."""


class SuspiciousSchedule(RuntimeError):
    """The API answered an empty schedule for a date it (or an earlier schedule) lists games on."""


def check_game_date(game_date: str, today: dt.date | None = None) -> str:
    """``game_date`` if a run may collect it; :class:`InvalidGameDate` when it is more than
    ``daily.max_days_ahead`` days after today (UTC): no schedule is final that far ahead."""
    try:
        day = dt.date.fromisoformat(str(game_date))
    except ValueError:
        raise InvalidGameDate(f"game date {game_date!r} is not a date (YYYY-MM-DD)") from None
    ahead = load_config("pipeline")["daily"]["max_days_ahead"]
    today = today or dt.datetime.now(dt.UTC).date()
    if day > today + dt.timedelta(days=ahead):
        raise InvalidGameDate(
            f"game date {day} is more than {ahead} day(s) after today ({today}): refused, nothing collected or recorded"
        )
    return day.isoformat()


def _schedule(client: StatsApiClient, zone: RawZone, date: str) -> dict:
    """One date's schedule, landed raw; every game with its state."""
    resp = client.fetch("schedule", sportId=1, date=date)
    landed, games = zone.land_parsed(
        zone.schedule_key(date),
        "schedule",
        resp.body,
        lambda body: parse_schedule(decode_json(body, f"schedule {date}"), date),
        date=date,
        what="schedule",
        url=resp.url,
    )
    wanted = set(load_config("seasons")["collected_game_types"])
    return {
        "schedule_object": landed.url,
        "games": [
            dict(
                g.to_dict(),
                phase=g.phase,
                is_final=g.is_final,
                is_postponed=g.is_postponed,
                is_suspended=g.is_suspended,
            )
            for g in games
            if g.game_type in wanted
        ],
    }


def plan_day(
    client: StatsApiClient,
    zone: RawZone,
    game_date: str,
    warehouse=None,
    lookback_days: int = 7,
    force: bool = False,
    run_id: str | None = None,
) -> dict:
    """What this run collects, and why; what it skips, and why.

    Without a warehouse (or with ``force``) every game of ``game_date`` is collected.
    An empty schedule where games are expected raises :class:`SuspiciousSchedule`.
    """
    game_date = check_game_date(game_date)
    if warehouse is not None:
        warehouse.ensure_schema()
    calendar = season_calendar(client, zone, int(game_date[:4]))
    phase = phase_on(calendar, game_date)
    dates = {game_date: _schedule(client, zone, game_date)}
    if not dates[game_date]["games"] and phase in ("regular_season", "postseason"):
        dates[game_date] = _confirm_empty(client, zone, game_date, dates[game_date], warehouse, run_id)
    elif warehouse is not None:  # a date whose schedule was empty before and is not now
        warehouse.resolve_dead_letters(game_date, [client.url("schedule", sportId=1, date=game_date)])
    to_collect, skipped = [], []
    todays = [g for g in dates[game_date]["games"] if not g["is_postponed"]]
    for g in dates[game_date]["games"]:
        if g["is_postponed"]:
            skipped.append({"game_pk": g["game_pk"], "reason": f"postponed ({g['detailed_state']})"})
    done = set() if force or warehouse is None else final_games_loaded(warehouse, [g["game_pk"] for g in todays])
    for g in todays:
        if g["game_pk"] in done:
            skipped.append({"game_pk": g["game_pk"], "reason": "already final in the warehouse"})
        elif g["resumed_from"]:
            to_collect.append(dict(g, reason=f"resumption of the game suspended on {g['resumed_from']}"))
        else:
            to_collect.append(dict(g, reason="scheduled" if not force else "forced re-collection"))

    gaps = recent_gaps(warehouse, game_date, lookback_days) if warehouse is not None else {}
    planned = {g["game_pk"] for g in to_collect}
    for pk, date in _changed_since_last_collection(client, warehouse).items():
        if pk not in planned and pk not in gaps.get(date, {}):
            gaps.setdefault(date, {})[pk] = "changed since it was collected (game/changes)"
    for date, wanted in sorted(gaps.items()):
        dates[date] = _schedule(client, zone, date)
        by_pk = {g["game_pk"]: g for g in dates[date]["games"]}
        for pk, reason in sorted(wanted.items()):
            game = by_pk.get(pk)
            if game is None or game["is_postponed"]:
                skipped.append({"game_pk": pk, "reason": f"{reason}, but no longer a played game on {date}"})
            else:
                to_collect.append(dict(game, reason=reason))

    planned = {g["game_pk"] for g in to_collect}
    statcast_retry = [
        g
        for g in (statcast_pending(warehouse, game_date, lookback_days) if warehouse else [])
        if g["game_pk"] not in planned
    ]
    plan = {
        "game_date": game_date,
        "season_phase": phase,
        "calendar_source": calendar["source"],
        "dates": dates,
        "next_day": _next_day(client, zone, game_date),
        "collect": to_collect,
        "skipped": skipped,
        "statcast_retry": statcast_retry,
        "reference_retry": reference_gaps(warehouse, game_date, lookback_days) if warehouse else {},
    }
    day = dates[game_date]["games"]
    log.info(
        "%s (%s, calendar from %s): %d games scheduled, %d final, %d postponed%s",
        game_date,
        phase,
        calendar["source"],
        len(day),
        sum(g["is_final"] for g in day),
        sum(g["is_postponed"] for g in day),
        "" if day else f" (no games: nothing to collect{' in the off-season' if phase == 'off_season' else ''})",
    )
    for g in to_collect:
        log.info("collect game %s of %s: %s", g["game_pk"], g["official_date"], g["reason"])
    for s in skipped:
        log.info("skip game %s: %s", s["game_pk"], s["reason"])
    for g in statcast_retry:
        log.info("ask Savant again for game %s of %s: %s", g["game_pk"], g["official_date"], g["reason"])
    return plan


def _expected_games(client: StatsApiClient, zone: RawZone, date: str, warehouse) -> tuple[list[int], str]:
    """Games other schedules list on ``date``, and which: the earlier schedules the warehouse
    holds (``raw.schedule``: say, the previous run's next day), else the season's schedule."""
    if warehouse is not None:
        rows = warehouse.query(
            "SELECT game_pk FROM raw.schedule WHERE official_date = ? AND NOT is_postponed "
            "AND resumed_from IS NULL ORDER BY game_pk",
            [dt.date.fromisoformat(date)],
        )
        if rows:
            return [int(r["game_pk"]) for r in rows], "an earlier schedule (raw.schedule)"
    games = season_schedule(client, zone, int(date[:4]))
    return sorted(
        {g["game_pk"] for g in games if g["official_date"] == date and not g["is_postponed"] and not g["resumed_from"]}
    ), "the season's schedule"


def _confirm_empty(client: StatsApiClient, zone: RawZone, date: str, day: dict, warehouse, run_id) -> dict:
    """An empty schedule for an in-season date: a day without games (off days, the All-Star
    break) unless other schedules list games on it. Then it is asked again, and still empty
    fails the run loudly: a dead letter, the date's run recorded as failed, the games named."""
    expected, source = _expected_games(client, zone, date, warehouse)
    if not expected:
        return day
    cfg = load_config("pipeline")["daily"]
    for attempt in range(cfg["empty_schedule_retries"]):
        log.warning(
            "%s: the schedule is empty, but %s lists %d games on it; asking again (%d of %d)",
            date,
            source,
            len(expected),
            attempt + 1,
            cfg["empty_schedule_retries"],
        )
        time.sleep(cfg["empty_schedule_retry_delay_s"])
        day = _schedule(client, zone, date)
        if day["games"]:
            return day
    error = (
        f"the schedule of {date} is empty after {cfg['empty_schedule_retries'] + 1} tries, but {source} "
        f"lists {len(expected)} games on it: {expected}"
    )
    if warehouse is not None:
        now = dt.datetime.now(dt.UTC)
        url = client.url("schedule", sportId=1, date=date)
        run_id = run_id or f"plan__{date}"
        warehouse.record_dead_letter(
            {
                "game_date": date,
                "endpoint": "schedule",
                "request_url": url,
                "game_pk": None,
                "kind": "empty_schedule",
                "error": error,
                "raw_object": day["schedule_object"],
            },
            run_id,
        )
        warehouse.record_run(
            {
                "run_id": run_id,
                "game_date": dt.date.fromisoformat(date),
                "started_at": now,
                "finished_at": now,
                "status": "failed",
                "games_scheduled": len(expected),
                "games_final": None,
                "games_loaded": 0,
                "games_missing": len(expected),
                "games_quarantined": 0,
                "used_fallback": False,
                "table_counts": {},
                "errors": [
                    {
                        "game_pk": None,
                        "endpoint": "schedule",
                        "kind": "empty_schedule",
                        "error": error,
                        "request_url": url,
                        "raw_object": day["schedule_object"],
                    }
                ],
            }
        )
    raise SuspiciousSchedule(
        error + "; not recorded as a day without games (ops.dead_letters, ops.ingestion_runs: failed)"
    )


def _next_day(client: StatsApiClient, zone: RawZone, game_date: str) -> dict | None:
    """The schedule of the day after ``game_date``: the games the model predicts next. Only
    recorded in ``raw.schedule`` (nothing is collected for it); without it the run goes on."""
    day = (dt.date.fromisoformat(game_date) + dt.timedelta(days=1)).isoformat()
    try:
        return dict(_schedule(client, zone, day), game_date=day)
    except (SourceError, FeedError) as exc:
        log.warning("the schedule of %s (the next day, for predictions) is not available: %s", day, exc)
        return None


def schedule_rows(games: list[dict], schedule_object: str | None) -> list[dict]:
    """``raw.schedule`` rows for one date's schedule (the plan's form of it), one a game."""
    return list(
        {
            g["game_pk"]: {
                "game_pk": g["game_pk"],
                "official_date": dt.date.fromisoformat(g["official_date"]),
                "season": g["season"],
                "game_type": g["game_type"],
                "phase": g["phase"],
                "game_number": g["game_number"],
                "double_header": g["double_header"],
                "game_datetime": g["game_datetime"],
                "home_team_id": g["home_team_id"],
                "away_team_id": g["away_team_id"],
                "coded_state": g["coded_state"],
                "abstract_state": g["abstract_state"],
                "detailed_state": g["detailed_state"],
                "is_postponed": g["is_postponed"],
                "resume_date": g["resume_date"],
                "resumed_from": g["resumed_from"],
                "schedule_object": schedule_object,
            }
            for g in games
        }.values()
    )


def _changed_since_last_collection(client: StatsApiClient, warehouse) -> dict[int, str]:
    """Final games in the warehouse that the API says changed after we collected them
    (post-game stat corrections): ``{game_pk: officialDate}``."""
    if warehouse is None:
        return {}
    last = warehouse.query("SELECT max(started_at) AS t FROM ops.ingestion_runs")[0]["t"]  # our last run
    if last is None:
        return {}
    since = last.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        resp = client.fetch("game_changes", updatedSince=since, sportId=1)
        changed = parse_schedule(decode_json(resp.body, "game changes"), None)
    except (SourceError, FeedError) as exc:
        log.warning("could not ask the API which games changed since %s (%s); corrections wait", since, exc)
        return {}
    known = final_games_loaded(warehouse, [g.game_pk for g in changed])
    return {g.game_pk: g.official_date for g in changed if g.game_pk in known and g.is_final}


def _fallback(zone: RawZone, game: dict) -> LandedObject | None:
    """The newest parseable copy of a game's feed already in our raw zone."""
    best, best_stamp = None, ""
    for url in zone.copies(game["game_pk"], game["official_date"], game["phase"], "feed_live"):
        try:
            doc = decode_json(zone.read(url), url)
            parse_feed(doc)
        except FeedError:
            continue
        stamp = str((doc.get("metaData") or {}).get("timeStamp", ""))
        final = doc["gameData"]["status"]["codedGameState"] in load_config("seasons")["final_coded_states"]
        key = f"{int(final)}{stamp}"
        if best is None or key > best_stamp:
            best, best_stamp = LandedObject(url, "", written=False), key
    return best


def _collect_one(client: StatsApiClient, zone: RawZone, game: dict) -> dict:
    pk, date = game["game_pk"], game["official_date"]
    url = client.url("game", gamePk=pk)
    base = {"game_pk": pk, "official_date": date, "endpoint": "game", "request_url": url}
    try:
        resp = client.fetch("game", gamePk=pk)
    except NotFound:
        return {
            **base,
            "ok": False,
            "kind": "not_found",
            "raw_object": None,
            "error": f"the API has no live feed for game {pk} (404)",
        }
    except SourceError as exc:
        failure = {**base, "ok": False, "kind": "unavailable", "error": exc.reason, "raw_object": None}
        copy = _fallback(zone, game)
        if copy is None:
            return failure
        log.warning(
            "game %s: API unavailable (%s); serving the last good copy from the raw zone: %s", pk, exc.reason, copy.url
        )
        return {
            **base,
            "ok": True,
            "url": copy.url,
            "sha256": copy.sha256,
            "written": False,
            "source": "raw_zone_fallback",
            "failure": failure,
        }
    # Write-through: the body is stored as received (in quarantine/ when it cannot be parsed)
    # before anything is loaded.
    try:
        landed, _ = zone.land_parsed(
            zone.game_key(pk, date, game["phase"], game["is_final"]),
            "feed_live",
            resp.body,
            lambda body: parse_feed(decode_json(body, f"feed {pk}")),
            date=date,
            what=str(pk),
            url=resp.url,
        )
    except Quarantined as exc:
        return {
            **base,
            "request_url": resp.url,
            "ok": False,
            "kind": "unparseable",
            "error": exc.reason,
            "raw_object": exc.landed.url,
        }
    return {**base, "request_url": resp.url, "ok": True, "source": "statsapi", **landed.to_dict()}


def collect_feeds(client: StatsApiClient, zone: RawZone, plan: dict, concurrency: int) -> dict:
    """Fetch and land the live feed of every planned game."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="feeds") as pool:
        results = list(pool.map(lambda g: _collect_one(client, zone, g), plan["collect"]))
    landed = [r for r in results if r["ok"]]
    failed = [r for r in results if not r["ok"]] + [r["failure"] for r in landed if "failure" in r]
    for f in failed:
        log.warning("game %s not collected from the API (%s): %s", f["game_pk"], f["kind"], f["error"])
    fallback = [r["game_pk"] for r in landed if r["source"] == "raw_zone_fallback"]
    if fallback:
        log.warning("FALLBACK: %d games served from the raw zone instead of the API: %s", len(fallback), fallback)
    log.info(
        "%s: %d feeds landed (%d new objects), %d failed",
        plan["game_date"],
        len(landed),
        sum(1 for r in landed if r["written"]),
        len(failed),
    )
    return {"game_date": plan["game_date"], "landed": landed, "failed": failed}


def load_day(
    warehouse,
    zone: RawZone,
    plan: dict,
    collected: dict,
    run_id: str,
    reference: dict | None = None,
    statcast: dict | None = None,
    started_at: dt.datetime | None = None,
) -> dict:
    """Merge every landed game (its feed, its Statcast pitches) and the day's reference
    data into the raw tables, then the players they reveal; record dead letters and each
    date's run."""
    from mlb_pipeline.reference import load_reference
    from mlb_pipeline.statcast import load_statcast

    started_at = started_at or dt.datetime.now(dt.UTC)
    warehouse.ensure_schema()
    counts: dict[str, dict[str, int]] = {}
    loaded: dict[str, list[int]] = {}
    failed = list(collected["failed"])
    with warehouse.connect() as con:
        if reference is not None:
            ref_counts, ref_failed = load_reference(warehouse, zone, reference, con=con)
            counts[plan["game_date"]] = dict(ref_counts)
            failed += ref_failed
        for item in collected["landed"]:
            body = zone.read(item["url"])
            try:
                rows = parse_feed(decode_json(body, f"feed {item['game_pk']}"))
            except FeedError as exc:  # the landed object is not what we collected: keep it, say so
                failed.append({**item, "kind": "unparseable", "error": str(exc), "raw_object": item["url"]})
                continue
            rows["games"][0]["raw_object"] = item["url"]
            date = rows["games"][0]["official_date"]
            day_counts = counts.setdefault(date, {})
            for table, n in warehouse.load_game(item["game_pk"], rows, source=item["source"], con=con).items():
                day_counts[table] = day_counts.get(table, 0) + n
            loaded.setdefault(date, []).append(item["game_pk"])
        if statcast is not None:
            sc_counts, sc_failed = load_statcast(warehouse, zone, statcast, con=con)
            failed += sc_failed
            for date, tables in sc_counts.items():
                counts.setdefault(date, {}).update(tables)
        schedules = [*plan["dates"].items()] + (
            [(plan["next_day"]["game_date"], plan["next_day"])] if plan.get("next_day") else []
        )
        warehouse.merge_tables(
            [
                (
                    "raw.schedule",
                    schedule_rows([g for g in day["games"] if g["official_date"] == date], day.get("schedule_object")),
                    {"official_date": dt.date.fromisoformat(date)},
                )
                for date, day in schedules
            ],
            source="statsapi",
            con=con,
        )
        touched = sorted(set(loaded) | ({plan["game_date"]} if reference else set()))
        if touched:
            players = warehouse.refresh_players(touched, con=con)
            log.info("raw.players: %d players known after discovery in %s", players, touched)
    for letter in failed:
        warehouse.record_dead_letter({**letter, "game_date": letter["official_date"]}, run_id)
    answered: dict[str, list[str]] = {}  # requests that succeeded now, by date: their letters close
    for date in plan["dates"]:
        answered.setdefault(date, []).extend(
            i["request_url"]
            for i in collected["landed"]
            if i["official_date"] == date and i["source"] == "statsapi" and i["game_pk"] in loaded.get(date, [])
        )
    for item in (reference or {}).get("landed", []):  # reference retries may be of any recent date
        answered.setdefault(item["official_date"], []).extend(item.get("request_urls", [item["request_url"]]))
    for item in (statcast or {}).get("games", []):  # Savant retries may be of any recent date
        if item["source"] == "baseball_savant":
            answered.setdefault(item["official_date"], []).append(item["request_url"])
    for date, urls in answered.items():
        warehouse.resolve_dead_letters(date, urls)

    summaries = {}
    for date, day in plan["dates"].items():
        # A resumed game counts once, on the date it was suspended on.
        resumed = [g["game_pk"] for g in day["games"] if g["resumed_from"]]
        games = [g for g in day["games"] if not g["resumed_from"]]
        final = [g["game_pk"] for g in games if g["is_final"]]
        in_warehouse = final_games_loaded(warehouse, final)
        missing = sorted(set(final) - in_warehouse)
        suspended = {g["game_pk"]: g["resume_date"] for g in games if g["is_suspended"]}
        not_final = [
            g["game_pk"] for g in games if not g["is_final"] and not g["is_postponed"] and not g["is_suspended"]
        ]
        errors = [f for f in failed if f["official_date"] == date]
        game_errors = [f for f in errors if f.get("game_pk") is not None]
        fallback = [
            i["game_pk"]
            for i in collected["landed"]
            if i["official_date"] == date and i["source"] == "raw_zone_fallback"
        ]
        status = "no_games" if not games else "incomplete" if missing or not_final else "complete"
        summary = {
            "run_id": run_id,
            "game_date": date,
            "started_at": started_at,
            "finished_at": dt.datetime.now(dt.UTC),
            "status": status,
            "games_scheduled": len(games),
            "games_final": len(final),
            "games_loaded": len(in_warehouse),
            "games_missing": len(missing),
            "games_quarantined": sum(1 for f in game_errors if f["kind"] == "unparseable" and f["endpoint"] == "game"),
            "used_fallback": bool(fallback),
            "table_counts": counts.get(date, {}),
            "errors": [
                {k: f.get(k) for k in ("game_pk", "endpoint", "kind", "error", "request_url", "raw_object")}
                for f in errors
            ],
        }
        warehouse.record_run(summary)
        summary.update(
            missing_game_pks=missing,
            not_final_game_pks=not_final,
            suspended_games=suspended,
            resumed_game_pks=resumed,
            loaded_game_pks=sorted(loaded.get(date, [])),
            fallback_game_pks=fallback,
        )
        summaries[date] = {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in summary.items()}
        log.info(
            "%s: %s; %d of %d final games in the warehouse (%d loaded by this run)%s",
            date,
            status,
            len(in_warehouse),
            len(final),
            len(loaded.get(date, [])),
            f"; {len(fallback)} from the raw-zone fallback" if fallback else "",
        )
    return {"game_date": plan["game_date"], "dates": summaries}


def check_day(result: dict) -> str:
    """Raise :class:`IncompleteDay` when the run's own date is incomplete, naming every
    missing game and why; recent dates retried by the run are reported, not failed."""
    notes = []
    for date, s in sorted(result["dates"].items()):
        if date != result["game_date"] and s["status"] == "incomplete":
            notes.append(f"earlier date {date} still incomplete: missing {s['missing_game_pks']}")
    summary = result["dates"][result["game_date"]]
    date, status = summary["game_date"], summary["status"]
    fallback = (
        (
            f" ({len(summary['fallback_game_pks'])} games served from the raw-zone fallback: "
            f"{summary['fallback_game_pks']})"
        )
        if summary["fallback_game_pks"]
        else ""
    )
    if status == "no_games":
        return "\n".join([f"{date}: no games scheduled; nothing to collect.", *notes])
    for pk, resumes in summary.get("suspended_games", {}).items():
        notes.append(
            f"game {pk} was suspended; it resumes on {resumes or 'a date not yet set'} and counts on {date} once final"
        )
    for pk in summary.get("resumed_game_pks", []):
        notes.append(f"game {pk} resumed today; it counts on the date it was suspended on")
    if status == "complete":
        return "\n".join(
            [f"{date}: complete, {summary['games_loaded']} final games in the warehouse{fallback}.", *notes]
        )
    reasons = {e["game_pk"]: f"{e['kind']}: {e['error']}" for e in summary["errors"] if e["game_pk"]}
    lines = [
        f"{date} is incomplete: {summary['games_loaded']} of {summary['games_final']} final games loaded{fallback}."
    ]
    for pk in summary["missing_game_pks"]:
        lines.append(f"  game {pk}: {reasons.get(pk, 'not collected')}")
    for pk in summary["not_final_game_pks"]:
        lines.append(f"  game {pk}: not final yet")
    lines.append("Missing games are in ops.dead_letters and are retried by later runs.")
    raise IncompleteDay("\n".join(lines + notes))


def recollect_games(client: StatsApiClient, zone: RawZone, warehouse, game_pks: list[int], concurrency: int) -> dict:
    """Fetch these games' feeds again and merge them (the grading step's retry of games
    that failed their checks). Games the API cannot serve now keep what they had."""
    rows = warehouse.query(
        "SELECT game_pk, official_date, phase, is_final FROM raw.games WHERE list_contains(?, game_pk)",
        [list(game_pks)],
    )
    games = [
        {
            "game_pk": int(r["game_pk"]),
            "official_date": str(r["official_date"])[:10],
            "phase": r["phase"],
            "is_final": bool(r["is_final"]),
        }
        for r in rows
    ]
    collected = collect_feeds(client, zone, {"game_date": "re-collection", "collect": games}, concurrency)
    with warehouse.connect() as con:
        for item in collected["landed"]:
            try:
                rows = parse_feed(decode_json(zone.read(item["url"]), f"feed {item['game_pk']}"))
            except FeedError as exc:
                log.warning("game %s: re-collected feed cannot be parsed (%s)", item["game_pk"], exc)
                continue
            rows["games"][0]["raw_object"] = item["url"]
            warehouse.load_game(item["game_pk"], rows, source=item["source"], con=con, rewrite=True)
    return collected
