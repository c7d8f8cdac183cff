"""The schedule of a date: every game with its state (``raw.schedule``).

Asked by the plan (``plan_game_day``), not by a collection task: the plan needs it to
decide which games to collect. ``/api/v1/game/changes`` answers in the same shape.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from mlb_pipeline.kinds import PLAN_TASK_ID, Kind
from mlb_pipeline.parse import FeedError, _get, _int, _opt
from mlb_pipeline.settings import load_config


def date_query(date: str) -> dict:
    """The query of a date's schedule: with the starters announced so far (``probablePitcher``),
    so the morning's predictions of the games still to be played see who starts."""
    return {"sportId": 1, "date": date, "hydrate": "probablePitcher"}


def range_query(first, last) -> dict:
    """The query of the schedule of ``first`` to ``last`` (the bulk backfill's chunks): asked as a
    date's is, so both paths keep the same rows."""
    return {"sportId": 1, "startDate": first, "endDate": last, "hydrate": "probablePitcher"}


@dataclasses.dataclass(frozen=True)
class ScheduledGame:
    game_pk: int
    official_date: str
    game_type: str
    season: str
    game_datetime: str
    coded_state: str
    abstract_state: str
    detailed_state: str
    home_team_id: int | None  # real schedules sometimes leave "teams" empty; the feed has them
    away_team_id: int | None
    game_number: int
    double_header: str
    resume_date: str | None = None  # a suspended game: the date it resumes on
    resumed_from: str | None = None  # a resumption: the date the game was suspended on
    home_probable_pitcher_id: int | None = None  # the announced starters, when the schedule has them
    away_probable_pitcher_id: int | None = None

    @property
    def phase(self) -> str:
        return phase_of(self.game_type)

    @property
    def is_final(self) -> bool:
        return self.coded_state in load_config("seasons")["final_coded_states"]

    @property
    def is_postponed(self) -> bool:
        return self.coded_state in load_config("seasons")["postponed_coded_states"]

    @property
    def is_suspended(self) -> bool:
        return self.coded_state in load_config("seasons")["suspended_coded_states"]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def phase_of(game_type: str) -> str:
    types = load_config("seasons")["game_types"]
    if game_type not in types:
        raise FeedError(f"unknown gameType {game_type!r}")
    return types[game_type]["phase"]


def parse_schedule(doc: dict, date: str | None) -> list[ScheduledGame]:
    """Games whose officialDate is ``date`` (every game when ``date`` is None), in order,
    and the suspended games that resume on ``date`` (listed that day under their original
    officialDate). ``/api/v1/game/changes`` answers in the same shape."""
    what = f"schedule {date or 'of changed games'}"
    games = []
    for day in _get(doc, "dates", what):
        for g in _get(day, "games", what):
            official = _get(g, "officialDate", what)
            resumed_from = g.get("resumedFromDate") or (g.get("resumedFrom") or "")[:10] or None
            resumes_here = resumed_from is not None and day.get("date") == date
            if date is not None and official != date and not resumes_here:
                continue
            games.append(
                ScheduledGame(
                    game_pk=int(_get(g, "gamePk", what)),
                    official_date=official,
                    game_type=_get(g, "gameType", what),
                    season=str(_get(g, "season", what)),
                    game_datetime=_get(g, "gameDate", what),
                    coded_state=_get(g, "status.codedGameState", what),
                    abstract_state=_get(g, "status.abstractGameState", what),
                    detailed_state=_get(g, "status.detailedState", what),
                    home_team_id=_int(_opt(g, "teams", "home", "team", "id")),
                    away_team_id=_int(_opt(g, "teams", "away", "team", "id")),
                    game_number=int(g.get("gameNumber", 1)),
                    double_header=g.get("doubleHeader", "N"),
                    resume_date=g.get("resumeGameDate") or (g.get("resumeDate") or "")[:10] or None,
                    resumed_from=resumed_from,
                    home_probable_pitcher_id=_int(_opt(g, "teams", "home", "probablePitcher", "id")),
                    away_probable_pitcher_id=_int(_opt(g, "teams", "away", "probablePitcher", "id")),
                )
            )
    return games


# ------------------------------------------------------------------------------------


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
                "home_probable_pitcher_id": g.get("home_probable_pitcher_id"),
                "away_probable_pitcher_id": g.get("away_probable_pitcher_id"),
                "schedule_object": schedule_object,
            }
            for g in games
        }.values()
    )


def parse(doc: dict, scope: dict) -> dict[str, list[dict]]:
    """``{"schedule": [game, ...]}`` of one date's schedule (the plan's form of a game)."""
    return {"schedule": [g.to_dict() for g in parse_schedule(doc, scope["official_date"])]}


KIND = Kind(
    name="schedule",
    tables=("schedule",),
    collected_by=PLAN_TASK_ID,
    parse=parse,
    endpoints=("schedule",),
    every_day=True,
)
