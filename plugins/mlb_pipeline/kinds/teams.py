"""The season's clubs (``raw.teams``); their list names the clubs whose rosters are asked for."""

from __future__ import annotations

from mlb_pipeline.kinds import Kind, Request
from mlb_pipeline.kinds.reference_data import failed_requests
from mlb_pipeline.parse import _get, _int, _opt


def parse_teams(doc: dict, season: str) -> list[dict]:
    """``/api/v1/teams?sportId=1&season=S``: one row per club of the season."""
    what = f"teams {season}"
    rows = []
    for t in _get(doc, "teams", what):
        rows.append(
            {
                "season": str(season),
                "team_id": int(_get(t, "id", what)),
                "name": _get(t, "name", what),
                "abbreviation": t.get("abbreviation"),
                "team_name": t.get("teamName"),
                "location_name": t.get("locationName"),
                "league_id": _int(_opt(t, "league", "id")),
                "division_id": _int(_opt(t, "division", "id")),
                "venue_id": _int(_opt(t, "venue", "id")),
                "active": t.get("active"),
            }
        )
    return rows


def requests(date: str, season: str, team_ids: list[int]) -> list[Request]:
    return [
        Request(
            label="teams",
            endpoint="teams",
            params={"sportId": 1, "season": season},
            key=("current", "reference", "teams", season),
            table="raw.teams",
            scope={"season": season},
        )
    ]


def parse(doc: dict, scope: dict) -> dict[str, list[dict]]:
    return {"teams": parse_teams(doc, scope["season"])}


KIND = Kind(
    name="teams",
    tables=("teams",),
    collected_by="collect_reference_data",
    parse=parse,
    endpoints=("teams",),
    requests=requests,
    missing=lambda warehouse, game_date, days: failed_requests(warehouse, game_date, days, KIND.endpoints),
    lists_teams=True,
)
