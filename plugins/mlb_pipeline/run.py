"""What a run is about, resolved once from Airflow's context, and the typed data its tasks
pass one another.

Every operator of the daily DAG starts from :meth:`RunContext.of` (the game date as a
``datetime.date``, worked out in one place) and hands the plain functions typed values.
Between tasks the data stays plain JSON (XCom deserialises only allowed classes): the
plan and the results are :class:`typing.TypedDict`, dicts the type checker knows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any, TypedDict


def game_date_of(context: Mapping[str, Any]) -> dt.date:
    """The game date a run collects: the ``game_date`` param if given, otherwise the
    calendar date (UTC) of the run's logical date. The 02:00 ET run on D+1 has logical
    date D (its data interval starts on D), and ``airflow dags test DAG 2024-07-01``
    collects 2024-07-01. A manual run with neither collects yesterday."""
    param = (context.get("params") or {}).get("game_date")
    if param:
        return dt.date.fromisoformat(str(param))
    logical = context.get("logical_date")
    if logical is not None:
        return logical.astimezone(dt.UTC).date()
    run_after = context["dag_run"].run_after
    return run_after.astimezone(dt.UTC).date() - dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class RunContext:
    """A run of a DAG as its tasks need it: the game date, the run id, whether it is part of
    a backfill, and its params."""

    game_date: dt.date
    run_id: str | None
    backfill: bool
    params: Mapping[str, Any]

    @classmethod
    def of(cls, context: Mapping[str, Any]) -> RunContext:
        dag_run = context.get("dag_run")
        run_type = getattr(dag_run, "run_type", None)
        return cls(
            game_date=game_date_of(context),
            run_id=context.get("run_id"),
            backfill=getattr(run_type, "value", run_type) == "backfill",
            params=dict(context.get("params") or {}),
        )

    @property
    def day(self) -> str:
        """The game date as the raw zone, the plan and the logs write it (YYYY-MM-DD)."""
        return self.game_date.isoformat()


class ScheduledGameRow(TypedDict):
    """A game of a date's schedule as the plan carries it (``kinds.schedule.ScheduledGame``
    and its state)."""

    game_pk: int
    official_date: str
    game_type: str
    season: str
    game_datetime: str
    coded_state: str
    abstract_state: str
    detailed_state: str
    home_team_id: int | None
    away_team_id: int | None
    game_number: int
    double_header: str
    resume_date: str | None
    resumed_from: str | None
    phase: str
    is_final: bool
    is_postponed: bool
    is_suspended: bool


class PlannedGame(ScheduledGameRow):
    """A game the run collects, and why."""

    reason: str


class DaySchedule(TypedDict):
    schedule_object: str  # where the schedule's response landed
    games: list[ScheduledGameRow]


class Skipped(TypedDict):
    game_pk: int
    reason: str


class Plan(TypedDict, total=False):
    """What ``plan_game_day`` pushes: the dates it looked at, the games to collect and skip,
    and what each collection task asks again (``statcast_retry``, ``reference_retry``)."""

    game_date: str
    season_phase: str
    calendar_source: str
    dates: dict[str, DaySchedule]
    next_day: dict | None  # the next day's DaySchedule with its game_date, for predictions
    collect: list[PlannedGame]
    skipped: list[Skipped]
    statcast_retry: list[dict]
    reference_retry: dict[str, list[str]]
    # A backfill chunk's plan (mlb_pipeline.backfill) also carries:
    phases: dict[str, str]  # each date's season phase (a chunk may span two)
    kinds: list[str]  # the kinds it collects
    snapshots: list[str]  # the dates that take a reference snapshot


class Collected(TypedDict, total=False):
    """What a collection task pushes: the responses landed and the requests that failed
    (``games`` for Statcast: which source serves each game)."""

    game_date: str
    landed: list[dict]
    failed: list[dict]
    games: list[dict]
    skipped: str


class LoadResult(TypedDict):
    """What ``load_raw_tables`` pushes: each date's summary, as ``ops.ingestion_runs`` has it
    and the games loaded, missing, not final, suspended, resumed and served by the fallback."""

    game_date: str
    dates: dict[str, dict]
