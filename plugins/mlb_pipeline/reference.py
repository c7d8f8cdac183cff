"""Reference data of a game day: the season's teams, the standings, every club's active
roster, the day's transactions, the stats of every player and club who played that day,
and the players they reveal.

Collected beside the game feeds (:func:`collect_reference`, raw zone only) and loaded
with them (:func:`load_reference`). Every response is stored before it is loaded; one
that cannot be parsed goes to quarantine only; a request that fails for good becomes a dead
letter. A day without games (off-season) collects none of it, and says so.
"""

from __future__ import annotations

import concurrent.futures
import logging
import re
from collections.abc import Callable

from mlb_pipeline.landing import Quarantined, RawZone
from mlb_pipeline.parse import (
    FeedError,
    decode_json,
    parse_player_stats,
    parse_roster,
    parse_standings,
    parse_team_stats,
    parse_teams,
    parse_transactions,
    stat_splits,
)
from mlb_pipeline.settings import load_config
from mlb_pipeline.source import NotFound, SourceError, StatsApiClient

log = logging.getLogger(__name__)


def _fetch(
    client: StatsApiClient,
    zone: RawZone,
    *,
    date: str,
    kind: str,
    endpoint: str,
    params: dict,
    key: tuple[str, ...],
    parse: Callable[[dict], list[dict]],
    table: str,
    scope: dict,
) -> dict:
    """Fetch one response, land it, check that it parses; describe what happened."""
    url = client.url(endpoint, **params)
    base = {
        "kind_of_data": kind,
        "official_date": date,
        "endpoint": endpoint,
        "request_url": url,
        "game_pk": None,
        "table": table,
        "scope": scope,
    }
    try:
        resp = client.fetch(endpoint, **params)
    except NotFound:
        return {**base, "ok": False, "kind": "not_found", "error": f"the API has no {kind} (404)", "raw_object": None}
    except SourceError as exc:
        return {**base, "ok": False, "kind": "unavailable", "error": exc.reason, "raw_object": None}
    try:
        landed, _ = zone.land_parsed(
            key,
            endpoint,
            resp.body,
            lambda body: parse(decode_json(body, f"{kind} {date}")),
            date=date,
            what=kind.replace(" ", "_"),
            url=resp.url,
        )
    except Quarantined as exc:
        return {**base, "ok": False, "kind": "unparseable", "error": exc.reason, "raw_object": exc.landed.url}
    return {**base, "ok": True, "source": "statsapi", **landed.to_dict()}


def _transactions(date: str) -> dict:
    return dict(
        kind="transactions",
        endpoint="transactions",
        params={"startDate": date, "endDate": date},
        key=("current", "reference", "transactions", date),
        parse=lambda d: parse_transactions(d, date),
        table="raw.transactions",
        scope={"transaction_date": date},
    )


def _teams(season: str) -> dict:
    return dict(
        kind="teams",
        endpoint="teams",
        params={"sportId": 1, "season": season},
        key=("current", "reference", "teams", season),
        parse=lambda d: parse_teams(d, season),
        table="raw.teams",
        scope={"season": season},
    )


def _day_requests(date: str, season: str, team_ids: list[int]) -> list[dict]:
    """Every request of a game day's reference data after the teams: standings, rosters
    (the types config asks for), team stats, and player stats (paged)."""
    specs = [
        dict(
            kind="standings",
            endpoint="standings",
            params={"leagueId": "103,104", "season": season, "date": date, "standingsTypes": "regularSeason"},
            key=("current", "reference", "standings", date),
            parse=lambda d: parse_standings(d, date),
            table="raw.standings",
            scope={"standings_date": date},
        )
    ]
    # The active roster always; the 40-man roster too when config/pipeline.yaml asks for it.
    for kind in load_config("pipeline")["reference"]["roster_types"]:
        specs += [
            dict(
                kind=f"{kind} roster {t}",
                endpoint="team_roster",
                params={"teamId": t, "rosterType": kind, "date": date},
                key=("current", "reference", "rosters", date, kind, str(t)),
                parse=lambda d, t=t, k=kind: parse_roster(d, date, t, k),
                table="raw.rosters",
                scope={"roster_date": date, "roster_type": kind, "team_id": t},
            )
            for t in team_ids
        ]
    for group in TEAM_GROUPS:
        specs.append(
            dict(
                kind=f"team {group} stats",
                endpoint="teams_stats",
                params={
                    "stats": "byDateRange",
                    "group": group,
                    "sportIds": 1,
                    "season": season,
                    "startDate": date,
                    "endDate": date,
                },
                key=("current", "reference", "team_stats", date, group),
                parse=lambda d, g=group: parse_team_stats(d, date, g),
                table="raw.team_stats",
                scope={"stats_date": date, "stat_group": group},
            )
        )
    for group in PLAYER_GROUPS:
        specs.append(
            dict(
                kind=f"player {group} stats",
                endpoint="stats",
                params={
                    "stats": "byDateRange",
                    "group": group,
                    "playerPool": "ALL",
                    "sportIds": 1,
                    "season": season,
                    "startDate": date,
                    "endDate": date,
                    "limit": PAGE_SIZE,
                },
                key=("current", "reference", "player_stats", date, group),
                parse=lambda d, g=group: parse_player_stats(d, date, g),
                table="raw.player_stats",
                scope={"stats_date": date, "stat_group": group},
                paged=True,
            )
        )
    return specs


def _run(client: StatsApiClient, zone: RawZone, date: str, spec: dict) -> dict:
    if spec.get("paged"):
        return _player_stat_pages(client, zone, date, spec)
    return _fetch(client, zone, date=date, **spec)


def _run_all(client, zone, date: str, specs: list[dict], concurrency: int) -> list[dict]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(lambda spec: _run(client, zone, date, spec), specs))


_OFFSET = re.compile(r"(^|&)offset=\d+")


def _same_request(url: str, other: str) -> bool:
    """Two request URLs ask for the same data (pages of one request are one request)."""
    return _OFFSET.sub("", url) == _OFFSET.sub("", other)


def _team_ids(zone: RawZone, teams: dict, season: str, games: list[dict]) -> list[int]:
    if teams["ok"]:
        return [r["team_id"] for r in parse_teams(decode_json(zone.read(teams["url"]), "teams"), season)]
    # without this season's teams, fall back on the clubs playing today
    return sorted({g[k] for g in games for k in ("home_team_id", "away_team_id") if g[k] is not None})


def collect_reference(client: StatsApiClient, zone: RawZone, plan: dict, concurrency: int) -> dict:
    date = plan["game_date"]
    season = date[:4]
    # Transactions happen every day of the year, games or not.
    results = [_fetch(client, zone, date=date, **_transactions(date))]
    games = plan["dates"][date]["games"]
    if games:
        teams = _fetch(client, zone, date=date, **_teams(season))
        team_ids = _team_ids(zone, teams, season, games)
        results += [teams] + _run_all(client, zone, date, _day_requests(date, season, team_ids), concurrency)
    else:
        log.info("%s: no games scheduled (off-season or an off day): only transactions collected", date)
    # Requests of earlier days that failed for good (open dead letters) are asked again.
    for day, urls in sorted(plan.get("reference_retry", {}).items()):
        rostered = sorted({int(t) for u in urls for t in re.findall(r"/teams/(\d+)/roster", u)})
        specs = [_transactions(day), _teams(day[:4])] + _day_requests(day, day[:4], rostered)
        wanted = [s for s in specs if any(_same_request(client.url(s["endpoint"], **s["params"]), u) for u in urls)]
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


TEAM_GROUPS = ("hitting", "pitching", "fielding")
PLAYER_GROUPS = ("hitting", "pitching")
PAGE_SIZE = 1000  # the stats endpoint returns 50 rows unless told otherwise


def _player_stat_pages(client: StatsApiClient, zone: RawZone, date: str, spec: dict) -> dict:
    """Every player who played (playerPool=ALL), page by page until totalSplits is reached;
    the pages are landed one by one and loaded together."""
    urls, request_urls, offset, total = [], [], 0, None
    spec = {k: v for k, v in spec.items() if k != "paged"}
    while total is None or offset < total:
        page = _fetch(client, zone, date=date, **dict(spec, params=dict(spec["params"], offset=offset)))
        request_urls.append(page["request_url"])
        if not page["ok"]:
            return page
        splits, total = stat_splits(decode_json(zone.read(page["url"]), page["kind_of_data"]), spec["kind"])
        urls.append(page["url"])
        if not splits:
            break
        offset += len(splits)
    return {**page, "url": urls[0], "urls": urls, "request_urls": request_urls, "expected_rows": total}


PARSERS = {
    "raw.teams": lambda doc, item: parse_teams(doc, item["scope"]["season"]),
    "raw.standings": lambda doc, item: parse_standings(doc, item["scope"]["standings_date"]),
    "raw.rosters": lambda doc, item: parse_roster(
        doc, item["scope"]["roster_date"], item["scope"]["team_id"], item["scope"]["roster_type"]
    ),
    "raw.transactions": lambda doc, item: parse_transactions(doc, item["scope"]["transaction_date"]),
    "raw.team_stats": lambda doc, item: parse_team_stats(doc, item["scope"]["stats_date"], item["scope"]["stat_group"]),
    "raw.player_stats": lambda doc, item: parse_player_stats(
        doc, item["scope"]["stats_date"], item["scope"]["stat_group"]
    ),
}


def load_reference(warehouse, zone: RawZone, collected: dict, con=None) -> tuple[dict[str, int], list[dict]]:
    """Merge landed reference responses; returns rows per table and the failures."""
    counts: dict[str, int] = {}
    failed = list(collected["failed"])
    for item in collected["landed"]:
        try:
            rows = [
                row
                for url in item.get("urls", [item["url"]])
                for row in PARSERS[item["table"]](decode_json(zone.read(url), item["kind_of_data"]), item)
            ]
            if "expected_rows" in item and len(rows) != item["expected_rows"]:
                raise FeedError(
                    f"{item['kind_of_data']}: pages hold {len(rows)} rows, the API announced {item['expected_rows']}"
                )
        except FeedError as exc:
            failed.append({**item, "kind": "unparseable", "error": str(exc), "raw_object": item["url"]})
            continue
        n = warehouse.merge_rows(item["table"], rows, item["scope"], source=item["source"], con=con)
        name = item["table"].split(".")[1]
        counts[name] = counts.get(name, 0) + n
    return counts, failed
