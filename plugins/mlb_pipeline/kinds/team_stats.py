"""The stats of every club that played on a date (``raw.team_stats``), one request a stat group."""

from __future__ import annotations

import orjson

from mlb_pipeline.kinds import Kind, Request
from mlb_pipeline.kinds.reference_data import failed_requests
from mlb_pipeline.parse import _get, _int, stat_splits

GROUPS = ("hitting", "pitching", "fielding")
TEAM_STAT_COLUMNS = {
    "games_played": "gamesPlayed",
    "runs": "runs",
    "hits": "hits",
    "home_runs": "homeRuns",
    "strike_outs": "strikeOuts",
    "base_on_balls": "baseOnBalls",
    "putouts": "putOuts",
    "errors": "errors",
}


def parse_team_stats(doc: dict, date: str, group: str) -> list[dict]:
    """``/api/v1/teams/stats?stats=byDateRange``: one row per club that played."""
    what = f"team {group} stats {date}"
    splits, _ = stat_splits(doc, what)
    return [
        {
            "stats_date": date,
            "stat_group": group,
            "team_id": int(_get(sp, "team.id", what)),
            **{col: _int(sp["stat"].get(api)) for col, api in TEAM_STAT_COLUMNS.items()},
            "stats": orjson.dumps(_get(sp, "stat", what)).decode(),
        }
        for sp in splits
    ]


def requests(date: str, season: str, team_ids: list[int]) -> list[Request]:
    return [
        Request(
            label=f"team {group} stats",
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
            table="raw.team_stats",
            scope={"stats_date": date, "stat_group": group},
        )
        for group in GROUPS
    ]


def parse(doc: dict, scope: dict) -> dict[str, list[dict]]:
    return {"team_stats": parse_team_stats(doc, scope["stats_date"], scope["stat_group"])}


KIND = Kind(
    name="team_stats",
    tables=("team_stats",),
    collected_by="collect_reference_data",
    parse=parse,
    quality=("tables.team_stats",),
    endpoints=("teams_stats",),
    requests=requests,
    missing=lambda warehouse, game_date, days: failed_requests(warehouse, game_date, days, KIND.endpoints),
)
