"""Live game states: every version of a game's feed received while it is played.

Collected by the ``follow_game`` tasks of ``mlb_live_games`` (``mlb_pipeline.live``), not by
the daily DAG: the versions are kept under the raw zone's ``live/``, one row a version goes
to ``raw.live_game_state``. Not graded: the final feed's own tables are, once the game lands.
"""

from __future__ import annotations

import datetime as dt

from mlb_pipeline.kinds import LIVE_TASK_IDS, Kind

TABLE = "live_game_state"


def parse(doc: dict, scope: dict | None = None) -> dict[str, list[dict]]:
    """A version's row; ``scope``: ``official_date``, ``raw_object`` and ``polled_at``."""
    from mlb_pipeline.live import poll_state, state_row
    from mlb_pipeline.settings import load_config

    scope = scope or {}
    seasons = load_config("seasons")
    state = poll_state(
        doc["gameData"]["status"], set(seasons["final_coded_states"]), set(seasons["postponed_coded_states"])
    )
    official_date = scope.get("official_date") or doc["gameData"]["datetime"]["officialDate"]
    polled_at = scope.get("polled_at") or dt.datetime.now(dt.UTC)
    return {TABLE: [state_row(doc, official_date, scope.get("raw_object", ""), polled_at, state)]}


KIND = Kind(
    name="live_game",
    tables=(TABLE,),
    collected_by=LIVE_TASK_IDS[0],
    parse=parse,
    endpoints=("game", "game_diff"),
)
