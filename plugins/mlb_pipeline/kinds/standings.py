"""The standings of a date (``raw.standings``), one row a club."""

from __future__ import annotations

from mlb_pipeline.kinds import Kind, Request
from mlb_pipeline.kinds.reference_data import failed_requests
from mlb_pipeline.parse import _get, _int, _num, _opt


def parse_standings(doc: dict, date: str) -> list[dict]:
    """``/api/v1/standings``: one row per team, as of ``date``."""
    what = f"standings {date}"
    rows = []
    for record in _get(doc, "records", what):
        for tr in _get(record, "teamRecords", what):
            rows.append(
                {
                    "standings_date": date,
                    "season": str(tr.get("season") or date[:4]),
                    "team_id": int(_get(tr, "team.id", what)),
                    "league_id": _int(_opt(record, "league", "id")),
                    "division_id": _int(_opt(record, "division", "id")),
                    "games_played": _int(tr.get("gamesPlayed")),
                    "wins": int(_get(tr, "wins", what)),
                    "losses": int(_get(tr, "losses", what)),
                    "winning_pct": _num(tr.get("winningPercentage")),
                    "games_back": tr.get("gamesBack"),
                    "division_rank": _int(tr.get("divisionRank")),
                    "league_rank": _int(tr.get("leagueRank")),
                    "runs_scored": _int(tr.get("runsScored")),
                    "runs_allowed": _int(tr.get("runsAllowed")),
                    "run_differential": _int(tr.get("runDifferential")),
                    "streak_code": _opt(tr, "streak", "streakCode"),
                }
            )
    return rows


def requests(date: str, season: str, team_ids: list[int]) -> list[Request]:
    return [
        Request(
            label="standings",
            endpoint="standings",
            params={"leagueId": "103,104", "season": season, "date": date, "standingsTypes": "regularSeason"},
            key=("current", "reference", "standings", date),
            table="raw.standings",
            scope={"standings_date": date},
        )
    ]


def parse(doc: dict, scope: dict) -> dict[str, list[dict]]:
    return {"standings": parse_standings(doc, scope["standings_date"])}


KIND = Kind(
    name="standings",
    tables=("standings",),
    collected_by="collect_reference_data",
    parse=parse,
    quality=("tables.standings",),
    endpoints=("standings",),
    requests=requests,
    missing=lambda warehouse, game_date, days: failed_requests(warehouse, game_date, days, KIND.endpoints),
)
