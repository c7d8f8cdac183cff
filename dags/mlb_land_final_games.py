"""
### MLB final games, landed as they finish

Runs when `mlb_live_games` says a game turned final (the asset event **mlb_final_games**,
the game in its extra); several events waiting are one run.

1. **plan_game_day**: the games of the events, their dates' schedules asked again and landed
   raw; games already final in the warehouse are skipped (unless the event says the game
   changed after it turned final).
2. **collect_game_feeds** and **collect_statcast**: each game's final feed to `current/` and
   Baseball Savant's Statcast pitches when it has them (the feed's pitch data until then; later
   runs ask Savant again), as the daily run collects them.
3. **load_raw_tables**: the games merged into `raw.*`.
4. **grade_raw_data**: Great Expectations grades these games (their rows of the day's batch); the
   day as a whole is graded by its 02:00 run.

The 02:00 run of `mlb_daily_collection` then finds these games final in the warehouse and skips
them; it collects the day's reference data (standings, rosters, stats) as always. A manual run
may name `games` ([{"game_pk": ..., "official_date": "YYYY-MM-DD"}]).
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import DAG, Param

from mlb_pipeline.alerts import deadlines, task_failed
from mlb_pipeline.kinds import PLAN_TASK_ID
from mlb_pipeline.operators import (
    FINAL_GAMES,
    CollectOperator,
    GradeRawDataOperator,
    LoadRawTablesOperator,
    PlanFinalGamesOperator,
)

with DAG(
    dag_id="mlb_land_final_games",
    schedule=[FINAL_GAMES],
    start_date=pendulum.datetime(2015, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # one writer at a time; events that arrive meanwhile are the next run
    default_args={
        "retries": 2,
        "retry_delay": dt.timedelta(seconds=30),
        "owner": "mlb-data",
        "on_failure_callback": task_failed,
    },
    deadline=deadlines("mlb_land_final_games"),
    params={
        "games": Param(
            None,
            type=["null", "array"],
            title="Games",
            description='Land these games ([{"game_pk": 745927, "official_date": "2024-07-01"}]) besides '
            "those of the asset events.",
        ),
    },
    tags=["mlb", "live", "collection"],
    doc_md=__doc__,
) as dag:
    plan = PlanFinalGamesOperator(task_id=PLAN_TASK_ID)
    collect = [CollectOperator(collection=c) for c in ("collect_game_feeds", "collect_statcast")]
    load = LoadRawTablesOperator(task_id="load_raw_tables")
    grade = GradeRawDataOperator(task_id="grade_raw_data", plan_task_id=plan.task_id, only_planned=True)

    plan >> collect >> load >> grade
