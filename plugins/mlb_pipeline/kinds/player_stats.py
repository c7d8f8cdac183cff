"""The stats of every player who played on a date (``raw.player_stats``), one paged request a
stat group (``playerPool=ALL``).
"""

from __future__ import annotations

import orjson

from mlb_pipeline.kinds import Kind, Request
from mlb_pipeline.kinds.reference_data import failed_requests
from mlb_pipeline.parse import _get, _int, _opt, stat_splits

GROUPS = ("hitting", "pitching")
PAGE_SIZE = 1000  # the stats endpoint returns 50 rows unless told otherwise
PLAYER_STAT_COLUMNS = {
    "games_played": "gamesPlayed",
    "plate_appearances": "plateAppearances",
    "at_bats": "atBats",
    "runs": "runs",
    "hits": "hits",
    "home_runs": "homeRuns",
    "rbi": "rbi",
    "base_on_balls": "baseOnBalls",
    "strike_outs": "strikeOuts",
    "outs": "outs",
    "earned_runs": "earnedRuns",
}


def parse_player_stats(doc: dict, date: str, group: str) -> list[dict]:
    """``/api/v1/stats?stats=byDateRange&playerPool=ALL``: one row per player and club."""
    what = f"player {group} stats {date}"
    splits, _ = stat_splits(doc, what)
    return [
        {
            "stats_date": date,
            "stat_group": group,
            "player_id": int(_get(sp, "player.id", what)),
            "team_id": int(_get(sp, "team.id", what)),
            "player_name": _opt(sp, "player", "fullName"),
            **{col: _int(sp["stat"].get(api)) for col, api in PLAYER_STAT_COLUMNS.items()},
            "stats": orjson.dumps(_get(sp, "stat", what)).decode(),
        }
        for sp in splits
    ]


def requests(date: str, season: str, team_ids: list[int]) -> list[Request]:
    return [
        Request(
            label=f"player {group} stats",
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
            table="raw.player_stats",
            scope={"stats_date": date, "stat_group": group},
            paged=True,
        )
        for group in GROUPS
    ]


def parse(doc: dict, scope: dict) -> dict[str, list[dict]]:
    return {"player_stats": parse_player_stats(doc, scope["stats_date"], scope["stat_group"])}


KIND = Kind(
    name="player_stats",
    tables=("player_stats",),
    collected_by="collect_reference_data",
    parse=parse,
    quality=("tables.player_stats",),
    endpoints=("stats",),
    requests=requests,
    missing=lambda warehouse, game_date, days: failed_requests(warehouse, game_date, days, KIND.endpoints),
)
