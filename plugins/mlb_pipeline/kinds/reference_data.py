"""The ``collect_reference_data`` task: the kinds asked one request a day (teams, standings,
rosters, transactions, player and team stats), collected and loaded together.

Collected beside the game feeds (:func:`collect`, raw zone only) and loaded with them
(:func:`load`). Every response is stored before it is loaded; one that cannot be parsed
goes to quarantine only; a request that fails for good becomes a dead letter and is asked
again by later runs (:func:`failed_requests`, each kind's ``missing``). A day without games
(off-season) collects only the kinds collected every day, and says so.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import logging
import re
from typing import TYPE_CHECKING

from mlb_pipeline import kinds
from mlb_pipeline.kinds import Request
from mlb_pipeline.parse import FeedError, decode_json, stat_splits

if TYPE_CHECKING:
    from mlb_pipeline.run import Collected, Plan

log = logging.getLogger(__name__)

TASK_ID = "collect_reference_data"


def _fetch(client, zone, date: str, request: Request) -> dict:
    """Fetch one response, land it, check that it parses; describe what happened."""
    from mlb_pipeline.landing import Quarantined
    from mlb_pipeline.source import NotFound, SourceError

    url = client.url(request.endpoint, **request.params)
    label = request.label
    base = {
        "kind_of_data": label,
        "official_date": date,
        "endpoint": request.endpoint,
        "request_url": url,
        "game_pk": None,
        "table": request.table,
        "scope": request.scope,
    }
    try:
        resp = client.fetch(request.endpoint, **request.params)
    except NotFound:
        return {**base, "ok": False, "kind": "not_found", "error": f"the API has no {label} (404)", "raw_object": None}
    except SourceError as exc:
        return {**base, "ok": False, "kind": "unavailable", "error": exc.reason, "raw_object": None}
    parse = kinds.of_table(request.table).parse
    try:
        landed, _ = zone.land_parsed(
            request.key,
            request.endpoint,
            resp.body,
            lambda body: parse(decode_json(body, f"{label} {date}"), request.scope),
            date=date,
            what=label.replace(" ", "_"),
            url=resp.url,
        )
    except Quarantined as exc:
        return {**base, "ok": False, "kind": "unparseable", "error": exc.reason, "raw_object": exc.landed.url}
    return {**base, "ok": True, "source": "statsapi", **landed.to_dict()}


def _pages(client, zone, date: str, request: Request) -> dict:
    """Every row of a paged request (player stats: every player who played), page by page
    until totalSplits is reached; the pages are landed one by one and loaded together."""
    urls, request_urls, offset, total = [], [], 0, None
    while total is None or offset < total:
        page = _fetch(client, zone, date, dataclasses.replace(request, params={**request.params, "offset": offset}))
        request_urls.append(page["request_url"])
        if not page["ok"]:
            return page
        splits, total = stat_splits(decode_json(zone.read(page["url"]), page["kind_of_data"]), request.label)
        urls.append(page["url"])
        if not splits:
            break
        offset += len(splits)
    return {**page, "url": urls[0], "urls": urls, "request_urls": request_urls, "expected_rows": total}


def _run(client, zone, date: str, request: Request) -> dict:
    return _pages(client, zone, date, request) if request.paged else _fetch(client, zone, date, request)


def _run_all(client, zone, date: str, requests: list[Request], concurrency: int) -> list[dict]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(lambda request: _run(client, zone, date, request), requests))


_OFFSET = re.compile(r"(^|&)offset=\d+")


def _same_request(url: str, other: str) -> bool:
    """Two request URLs ask for the same data (pages of one request are one request)."""
    return _OFFSET.sub("", url) == _OFFSET.sub("", other)


def _team_ids(zone, teams: dict, games: list[dict]) -> list[int]:
    if teams["ok"]:
        rows = kinds.of_table(teams["table"]).parse(decode_json(zone.read(teams["url"]), "teams"), teams["scope"])
        return [r["team_id"] for r in rows[teams["table"].split(".")[1]]]
    # without this season's teams, fall back on the clubs playing today
    return sorted({g[k] for g in games for k in ("home_team_id", "away_team_id") if g[k] is not None})


def requests_of(date: str, team_ids: list[int], which) -> list[Request]:
    """The requests of ``date`` of the kinds ``which`` selects, in registry order."""
    return [r for k in kinds.collected_by(TASK_ID) if which(k) for r in k.requests(date, date[:4], team_ids)]


def collect(client, zone, plan: Plan, concurrency: int) -> Collected:
    """The plan's date's reference data. A backfill's plan may narrow it: ``kinds`` (the kinds it
    backfills; the teams are asked whenever a per-club kind is, as they name the clubs) and
    ``reference_snapshots`` false (a date between snapshots: only the kinds collected every day)."""
    date = plan["game_date"]
    chosen = plan.get("kinds")
    wanted = (lambda k: True) if chosen is None else (lambda k: k.name in chosen)  # noqa: E731
    # Transactions happen every day of the year, games or not.
    results = [_fetch(client, zone, date, r) for r in requests_of(date, [], lambda k: k.every_day and wanted(k))]
    games = plan["dates"][date]["games"]
    snapshots = plan.get("reference_snapshots", True)
    per_club = snapshots and any(wanted(k) for k in kinds.collected_by(TASK_ID) if not k.every_day)
    if games and per_club:
        listing = [_fetch(client, zone, date, r) for r in requests_of(date, [], lambda k: k.lists_teams)]
        team_ids = _team_ids(zone, listing[0], games)
        per_day = requests_of(date, team_ids, lambda k: not k.every_day and not k.lists_teams and wanted(k))
        results += listing + _run_all(client, zone, date, per_day, concurrency)
    elif games:
        log.info("%s: no snapshot of teams, standings, rosters or stats asked for this date", date)
    else:
        log.info("%s: no games scheduled (off-season or an off day): only transactions collected", date)
    # Requests of earlier days that failed for good (open dead letters) are asked again.
    for day, urls in sorted(plan.get("reference_retry", {}).items()):
        rostered = sorted({int(t) for u in urls for t in re.findall(r"/teams/(\d+)/roster", u)})
        wanted = [
            r
            for r in requests_of(day, rostered, lambda k: True)
            if any(_same_request(client.url(r.endpoint, **r.params), u) for u in urls)
        ]
        log.info("%s: retrying %d reference requests that failed for good earlier", day, len(wanted))
        results += _run_all(client, zone, day, wanted, concurrency)
    landed = [r for r in results if r["ok"]]
    failed = [r for r in results if not r["ok"]]
    for f in failed:
        log.warning("%s: %s not collected (%s): %s", f["official_date"], f["kind_of_data"], f["kind"], f["error"])
    log.info(
        "%s: reference data landed: %d responses (teams, standings, %d rosters, team and player stats); %d failed",
        date,
        len(landed),
        sum(1 for r in landed if r["table"] == "raw.rosters"),
        len(failed),
    )
    out = {"game_date": date, "landed": landed, "failed": failed}
    if not games:
        out["skipped"] = "no games scheduled: teams, standings, rosters and stats not collected"
    return out


def merged(results: list[Collected]) -> Collected:
    """Several dates' collections as one (a backfill chunk loads its dates together)."""
    return {
        "game_date": results[0]["game_date"] if results else "",
        "landed": [item for r in results for item in r["landed"]],
        "failed": [item for r in results for item in r["failed"]],
    }


def load_reference(warehouse, zone, collected: dict, con=None) -> tuple[dict[str, dict[str, int]], list[dict]]:
    """Merge landed reference responses; returns rows per date and table, and the failures."""
    counts: dict[str, dict[str, int]] = {}
    failed = list(collected["failed"])
    batch = []
    for item in collected["landed"]:
        name = item["table"].split(".")[1]
        parse = kinds.of_table(name).parse
        try:
            rows = [
                row
                for url in item.get("urls", [item["url"]])
                for row in parse(decode_json(zone.read(url), item["kind_of_data"]), item["scope"])[name]
            ]
            if "expected_rows" in item and len(rows) != item["expected_rows"]:
                raise FeedError(
                    f"{item['kind_of_data']}: pages hold {len(rows)} rows, the API announced {item['expected_rows']}"
                )
        except FeedError as exc:
            failed.append({**item, "kind": "unparseable", "error": str(exc), "raw_object": item["url"]})
            continue
        batch.append((item["table"], rows, item["scope"], item["source"]))
        day = counts.setdefault(item["official_date"], {})
        day[name] = day.get(name, 0) + len(rows)
    if batch:  # one stage and one MERGE a table (every club's roster at once)
        warehouse.merge_tables(batch, None, con=con)
    return counts, failed


def load(warehouse, zone, plan: dict, collected: dict, con) -> dict:
    """The task's part of ``load_day``: rows per date and table, the failures, and the dates
    whose reference data arrived (their players are refreshed)."""
    counts, failed = load_reference(warehouse, zone, collected, con=con)
    touched = sorted({plan["game_date"], *counts})
    return {"counts": counts, "failed": failed, "touched": touched}


def answered(plan: dict, collected: dict, loaded: dict[str, list[int]]) -> dict[str, list[str]]:
    """Requests that succeeded now, by date (retries may be of any recent date): their letters close."""
    out: dict[str, list[str]] = {}
    for item in collected.get("landed", []):
        out.setdefault(item["official_date"], []).extend(item.get("request_urls", [item["request_url"]]))
    return out


def failed_requests(warehouse, game_date: str, lookback_days: int, endpoints: tuple[str, ...]) -> dict[str, list[str]]:
    """``{date: [request_url, ...]}``: requests to ``endpoints`` of the ``lookback_days`` before
    ``game_date`` that failed for good (open dead letters without a game)."""
    day = dt.date.fromisoformat(game_date)
    rows = warehouse.query(
        "SELECT game_date, endpoint, request_url FROM ops.dead_letters WHERE resolved_at IS NULL AND game_pk IS NULL "
        "AND endpoint <> 'schedule' AND game_date >= ? AND game_date < ? ORDER BY game_date, request_url",
        [day - dt.timedelta(days=lookback_days), day],
    )
    out: dict[str, list[str]] = {}
    for r in rows:
        if r["endpoint"] in endpoints:
            out.setdefault(str(r["game_date"])[:10], []).append(r["request_url"])
    return out


def retry(warehouse, plan: dict, lookback_days: int) -> dict[str, list[str]]:
    """The plan's ``reference_retry``: every reference kind's failed requests, by date."""
    out: dict[str, list[str]] = {}
    for k in kinds.collected_by(TASK_ID) if warehouse is not None else ():
        for date, urls in k.missing(warehouse, plan["game_date"], lookback_days).items():
            out.setdefault(date, []).extend(urls)
    return {date: sorted(urls) for date, urls in sorted(out.items())}


collect_reference = collect
