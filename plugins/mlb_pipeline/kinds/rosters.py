"""Every club's roster of a date (``raw.rosters``): one request a club and roster type
(``config/pipeline.yaml``, ``reference.roster_types``).
"""

from __future__ import annotations

from mlb_pipeline.kinds import Kind, Request
from mlb_pipeline.kinds.reference_data import failed_requests
from mlb_pipeline.parse import _get, _opt
from mlb_pipeline.settings import load_config


def parse_roster(doc: dict, date: str, team_id: int, roster_type: str) -> list[dict]:
    """``/api/v1/teams/{id}/roster``: one row per player on the roster that day."""
    what = f"roster {team_id} {date}"
    return [
        {
            "roster_date": date,
            "roster_type": roster_type,
            "team_id": int(team_id),
            "player_id": int(_get(p, "person.id", what)),
            "player_name": _opt(p, "person", "fullName"),
            "jersey_number": p.get("jerseyNumber"),
            "position_code": _opt(p, "position", "code"),
            "position": _opt(p, "position", "abbreviation"),
            "status_code": _opt(p, "status", "code"),
        }
        for p in _get(doc, "roster", what)
    ]


def requests(date: str, season: str, team_ids: list[int]) -> list[Request]:
    """The active roster always; the 40-man roster too when config/pipeline.yaml asks for it."""
    return [
        Request(
            label=f"{roster_type} roster {t}",
            endpoint="team_roster",
            params={"teamId": t, "rosterType": roster_type, "date": date},
            key=("current", "reference", "rosters", date, roster_type, str(t)),
            table="raw.rosters",
            scope={"roster_date": date, "roster_type": roster_type, "team_id": t},
        )
        for roster_type in load_config("pipeline")["reference"]["roster_types"]
        for t in team_ids
    ]


def parse(doc: dict, scope: dict) -> dict[str, list[dict]]:
    return {"rosters": parse_roster(doc, scope["roster_date"], scope["team_id"], scope["roster_type"])}


KIND = Kind(
    name="rosters",
    tables=("rosters",),
    collected_by="collect_reference_data",
    parse=parse,
    quality=("tables.rosters", "roster_size"),
    endpoints=("team_roster",),
    requests=requests,
    missing=lambda warehouse, game_date, days: failed_requests(warehouse, game_date, days, KIND.endpoints),
)
