"""The kinds of data the pipeline collects, one module a kind, and their registry.

A kind declares everything the pipeline needs to know about it (:class:`Kind`): which
collection task of the daily DAG asks the API for it, the requests it makes for a date,
how a response parses into rows per table, its raw tables, how to find what is still
missing for it, and its grading rules in ``config/quality.yaml``. Plan, collect, load and
gap finding loop over :data:`KINDS` instead of naming kinds.

A new kind is one module here and one line in :data:`KIND_MODULES` (plus its schema entry and
quality rules). A kind parsed from another kind's response (``parses="game_feed"``) has no
request of its own: the loader of that response merges its tables in the same transaction.

Kind modules stay cheap to import (the daily DAG reads this registry when it is parsed):
HTTP clients and data-frame libraries are imported inside the functions that use them.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

PLAN_TASK_ID = "plan_game_day"  # the daily DAG's first task: the schedule and the plan
FILE_TASK_IDS = ("load_retrosheet",)  # the bulk DAG's tasks that load kinds from files, not from an API
LIVE_TASK_IDS = ("follow_game",)  # mlb_live_games' tasks: games followed while they are played


@dataclasses.dataclass(frozen=True)
class Request:
    """One request of a kind for a date: an endpoint of ``config/pipeline.yaml``'s source and
    its params, where its response lands in the raw zone, and the rows it replaces (``scope``)."""

    label: str  # what it asks for, in log lines and dead letters ("active roster 147")
    endpoint: str
    params: dict
    key: tuple[str, ...]  # the raw zone key of its response
    table: str  # the raw table its rows go to ("raw.rosters")
    scope: dict  # the rows of ``table`` its response replaces
    paged: bool = False  # pages of ``PAGE_SIZE`` rows until the API's total is reached


@dataclasses.dataclass(frozen=True)
class Kind:
    """What the pipeline knows of one kind of data."""

    name: str
    tables: tuple[str, ...]  # its raw tables (schema: config/schema.yaml), without "raw."
    collected_by: str | None  # the daily DAG's task that collects it (None: parsed from another kind;
    # one of FILE_TASK_IDS: loaded from files by the bulk DAG; LIVE_TASK_IDS: followed by mlb_live_games)
    parse: Callable[..., dict[str, list[dict]]]  # a response (and its request's scope) -> {table: rows}
    quality: tuple[str, ...] = ()  # its keys in config/quality.yaml
    parses: str | None = None  # the kind whose response it is parsed from, if it has no request of its own
    endpoints: tuple[str, ...] = ()  # the endpoints of config/pipeline.yaml it asks
    # Requests of a date: (date, season, team_ids) -> [Request]; for kinds collected one request a day.
    requests: Callable[[str, str, list[int]], list[Request]] | None = None
    # What a run should ask again: (warehouse, game_date, lookback_days) -> the kind's retry list.
    missing: Callable[[Any, str, int], Any] | None = None
    # Gaps for backfill detection: (warehouse, start, day) -> [{date, game_pk, reason, processor}].
    gaps: Callable[[Any, Any, Any], list[dict]] | None = None
    # Its own aggregate quality checks of a graded batch: (frames, quality config) -> checks in
    # the shape of ``quality.derived_checks``' (a table, a name, a frame and its expectations).
    checks: Callable[[dict, dict], list[dict]] | None = None
    every_day: bool = False  # collected on days without games too
    lists_teams: bool = False  # its response names the clubs the per-club requests ask about


@dataclasses.dataclass(frozen=True)
class Collection:
    """A collection task of the daily DAG: API -> raw zone for its kinds, then their load.
    ``module`` (in this package) holds ``collect(client, zone, plan, concurrency)``,
    ``load(warehouse, zone, plan, collected, con)``, ``answered(plan, collected, loaded)``
    and, with a ``retry_key``, ``retry(warehouse, plan, lookback_days)``: what the plan asks
    again of it (under that key of the plan)."""

    task_id: str
    source: str  # the section of config/pipeline.yaml naming the source it asks
    module: str
    doc: str
    retry_key: str | None = None


# The registry: one line a kind (its module in this package). Where kinds share a collection
# task, this is the order of their requests and of their loads.
KIND_MODULES = (
    "game_feed",
    "game_conditions",
    "statcast",
    "schedule",
    "transactions",
    "teams",
    "standings",
    "rosters",
    "team_stats",
    "player_stats",
    "retrosheet",
    "live_game",
)
KINDS: tuple[Kind, ...] = tuple(importlib.import_module(f"{__name__}.{m}").KIND for m in KIND_MODULES)

# The collection tasks, in load order (the feed before Statcast, which checks against it).
COLLECTIONS: tuple[Collection, ...] = (
    Collection(
        "collect_reference_data",
        "source",
        "reference_data",
        "Fetch the season's teams, the day's standings, every club's active roster and the day's player and "
        "team stats, and write them to the raw zone (write-through).",
        retry_key="reference_retry",
    ),
    Collection(
        "collect_game_feeds",
        "source",
        "game_feed",
        "Fetch every planned game's live feed and write it to the raw zone (write-through).",
    ),
    Collection(
        "collect_statcast",
        "savant",
        "statcast",
        "Fetch Baseball Savant's Statcast pitches of every planned final game (and of recent games still served "
        "by the feed) and write them to the raw zone; say which source serves each game.",
        retry_key="statcast_retry",
    ),
)


def from_api(k: Kind) -> bool:
    """Is ``k`` collected by the daily and backfill path from an API (and those parsed from
    their responses)? Not the kinds loaded from files, nor those followed live."""
    return k.collected_by not in FILE_TASK_IDS + LIVE_TASK_IDS


def kind(name: str) -> Kind:
    return next(k for k in KINDS if k.name == name)


def collected_by(task_id: str) -> tuple[Kind, ...]:
    """The kinds a collection task collects, in registry order."""
    return tuple(k for k in KINDS if k.collected_by == task_id)


def derived_from(name: str) -> tuple[Kind, ...]:
    """The kinds parsed from ``name``'s responses (no request of their own)."""
    return tuple(k for k in KINDS if k.parses == name)


def of_table(table: str) -> Kind:
    """The kind whose rows go to ``table`` ("raw.rosters" or "rosters")."""
    name = table.split(".", 1)[-1]
    return next(k for k in KINDS if name in k.tables)


def collection_module(collection: Collection):
    """The module holding a collection task's functions (``collect``, ``load``, ``answered``, ``retry``)."""
    return importlib.import_module(f"mlb_pipeline.kinds.{collection.module}")


# Tables a game feed fills, in load order: the feed's own, then those of kinds parsed from it.
GAME_TABLES: tuple[str, ...] = kind("game_feed").tables + tuple(t for k in derived_from("game_feed") for t in k.tables)
