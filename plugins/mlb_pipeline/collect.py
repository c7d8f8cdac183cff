"""Collecting game days: plan, land every response, load the raw tables.

Three steps, each safe to retry on its own; the kinds of data they handle come from the
registry (:mod:`mlb_pipeline.kinds`), not from here:

1. :func:`plan_day` fetches the schedule of the run's day and decides, from what the
   warehouse already holds, which games to fetch: the day's games not yet final in the
   warehouse, plus recent games that failed or were collected before they were final;
   each collection task adds what it asks again (``statcast_retry``, ``reference_retry``).
2. Each collection task of :data:`kinds.COLLECTIONS` (``collect_game_feeds``:
   :func:`kinds.game_feed.collect_feeds`, ``collect_reference_data``, ``collect_statcast``)
   writes every response to the raw zone before anything is loaded: to quarantine/ only
   when it cannot be parsed. It never touches the warehouse.
3. :func:`load_day` reads the landed responses back from the raw zone and merges them
   into the raw tables (one stage and one MERGE a table for all of them), records failures as dead
   letters and each date's outcome in ``ops.ingestion_runs``.

:func:`check_day` then turns an incomplete day into a clear failure.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from mlb_pipeline import kinds
from mlb_pipeline.gaps import final_games_loaded
from mlb_pipeline.kinds.game_feed import collect_feeds, parse_game
from mlb_pipeline.kinds.schedule import date_query, parse_schedule, schedule_rows
from mlb_pipeline.landing import RawZone
from mlb_pipeline.parse import FeedError, decode_json
from mlb_pipeline.run import Collected, DaySchedule, LoadResult, Plan, PlannedGame, Skipped
from mlb_pipeline.seasons import phase_on, season_calendar, season_schedule
from mlb_pipeline.settings import load_config
from mlb_pipeline.source import SourceError, StatsApiClient

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


def land_schedule(client: StatsApiClient, zone: RawZone, date: str) -> DaySchedule:
    """One date's schedule, landed raw; every game with its state."""
    resp = client.fetch("schedule", **date_query(date))
    landed, games = zone.land_parsed(
        zone.schedule_key(date),
        "schedule",
        resp.body,
        lambda body: parse_schedule(decode_json(body, f"schedule {date}"), date),
        date=date,
        what="schedule",
        url=resp.url,
    )
    return day_schedule(games, landed.url)


def day_schedule(games: list, schedule_object: str) -> DaySchedule:
    """A date's schedule as the plan carries it: the games of the types we collect, each with
    its state, and where the response landed."""
    wanted = set(load_config("seasons")["collected_game_types"])
    return {
        "schedule_object": schedule_object,
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
) -> Plan:
    """What this run collects, and why; what it skips, and why.

    Without a warehouse (or with ``force``) every game of ``game_date`` is collected.
    An empty schedule where games are expected raises :class:`SuspiciousSchedule`.
    """
    game_date = check_game_date(game_date)
    if warehouse is not None:
        warehouse.ensure_schema()
    calendar = season_calendar(client, zone, int(game_date[:4]))
    phase = phase_on(calendar, game_date)
    dates = {game_date: land_schedule(client, zone, game_date)}
    if not dates[game_date]["games"] and phase in ("regular_season", "postseason"):
        dates[game_date] = _confirm_empty(client, zone, game_date, dates[game_date], warehouse, run_id)
    elif warehouse is not None:  # a date whose schedule was empty before and is not now
        warehouse.resolve_dead_letters(game_date, [client.url("schedule", **date_query(game_date))])
    to_collect: list[PlannedGame] = []
    skipped: list[Skipped] = []
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

    gaps = kinds.kind("game_feed").missing(warehouse, game_date, lookback_days) if warehouse is not None else {}
    planned = {g["game_pk"] for g in to_collect}
    for pk, date in _changed_since_last_collection(client, warehouse).items():
        if pk not in planned and pk not in gaps.get(date, {}):
            gaps.setdefault(date, {})[pk] = "changed since it was collected (game/changes)"
    for date, wanted in sorted(gaps.items()):
        dates[date] = land_schedule(client, zone, date)
        by_pk = {g["game_pk"]: g for g in dates[date]["games"]}
        for pk, reason in sorted(wanted.items()):
            game = by_pk.get(pk)
            if game is None or game["is_postponed"]:
                skipped.append({"game_pk": pk, "reason": f"{reason}, but no longer a played game on {date}"})
            else:
                to_collect.append(dict(game, reason=reason))

    plan: Plan = {
        "game_date": game_date,
        "season_phase": phase,
        "calendar_source": calendar["source"],
        "dates": dates,
        "next_day": _next_day(client, zone, game_date),
        "collect": to_collect,
        "skipped": skipped,
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
    for c in kinds.COLLECTIONS:  # what each collection task asks again (Savant's pitches, reference requests)
        if c.retry_key:
            plan[c.retry_key] = kinds.collection_module(c).retry(warehouse, plan, lookback_days)
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
        day = land_schedule(client, zone, date)
        if day["games"]:
            return day
    error = (
        f"the schedule of {date} is empty after {cfg['empty_schedule_retries'] + 1} tries, but {source} "
        f"lists {len(expected)} games on it: {expected}"
    )
    if warehouse is not None:
        now = dt.datetime.now(dt.UTC)
        url = client.url("schedule", **date_query(date))
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
        return dict(land_schedule(client, zone, day), game_date=day)
    except (SourceError, FeedError) as exc:
        log.warning("the schedule of %s (the next day, for predictions) is not available: %s", day, exc)
        return None


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


def collect_plan(clients: dict[str, object], zone: RawZone, plan: Plan, concurrency: int) -> dict[str, Collected]:
    """What every collection task of the daily DAG does, in one process (tests, benchmarks):
    ``{task_id: collected}``, ``load_day``'s input. ``clients``: one a source (the config
    section a collection asks: ``source``, ``savant``)."""
    return {
        c.task_id: kinds.collection_module(c).collect(clients[c.source], zone, plan, concurrency)
        for c in kinds.COLLECTIONS
    }


def load_day(
    warehouse,
    zone: RawZone,
    plan: Plan,
    collected: dict[str, Collected | None],
    run_id: str,
    started_at: dt.datetime | None = None,
) -> LoadResult:
    """Merge what every collection task landed (``collected``: its result by task id, as the
    tasks push them; a task left out collected nothing) into the raw tables, in the order of
    :data:`kinds.COLLECTIONS` (a game's feed before its Statcast pitches), then the day's
    schedules and the players they reveal; record dead letters and each date's run."""
    started_at = started_at or dt.datetime.now(dt.UTC)
    warehouse.ensure_schema()
    steps = [(kinds.collection_module(c), collected[c.task_id]) for c in kinds.COLLECTIONS if collected.get(c.task_id)]
    counts: dict[str, dict[str, int]] = {}
    loaded: dict[str, list[int]] = {}
    failed: list[dict] = []  # every task's failures, of collection and of load: dead letters
    touched: set[str] = set()
    with warehouse.connect() as con:
        for module, result in steps:
            out = module.load(warehouse, zone, plan, result, con)
            failed += out["failed"]
            for date, tables in out["counts"].items():
                day = counts.setdefault(date, {})
                for table, n in tables.items():
                    day[table] = day.get(table, 0) + n
            for date, pks in out.get("loaded", {}).items():
                loaded.setdefault(date, []).extend(pks)
            touched.update(out["touched"])
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
        if touched:
            players = warehouse.refresh_players(sorted(touched), con=con)
            log.info("raw.players: %d players known after discovery in %s", players, sorted(touched))
    for letter in failed:
        warehouse.record_dead_letter({**letter, "game_date": letter["official_date"]}, run_id)
    answered: dict[str, list[str]] = {}  # requests that succeeded now, by date: their letters close
    for module, result in steps:
        for date, urls in module.answered(plan, result, loaded).items():
            answered.setdefault(date, []).extend(urls)
    for date, urls in answered.items():
        warehouse.resolve_dead_letters(date, urls)

    feeds = collected.get(kinds.kind("game_feed").collected_by) or {"landed": []}
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
            i["game_pk"] for i in feeds["landed"] if i["official_date"] == date and i["source"] == "raw_zone_fallback"
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


def check_day(result: LoadResult) -> str:
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
    collected = collect_feeds(client, zone, {"game_date": "re-collection", "collect": games}, concurrency, stage=False)
    games = []
    for item in collected["landed"]:
        try:
            rows = parse_game(decode_json(zone.read(item["url"]), f"feed {item['game_pk']}"))
        except FeedError as exc:
            log.warning("game %s: re-collected feed cannot be parsed (%s)", item["game_pk"], exc)
            continue
        rows["games"][0]["raw_object"] = item["url"]
        games.append((item["game_pk"], rows, item["source"]))
    if games:
        warehouse.load_games(games, rewrite=True)
    return collected
