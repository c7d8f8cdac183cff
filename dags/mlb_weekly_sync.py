"""
### MLB weekly sync

Runs Sunday 02:00 America/New_York (seed 000's weekly full sync):

1. **plan_sync**: the dates to fetch again: every date of the seasons to sync (the
   current and previous by default; `seasons` lists others; `full_history` means every
   season since 2015: config/pipeline.yaml `weekly_sync`), or the `from_date`..`to_date`
   range.
2. **resync_raw_data**: every game of those dates fetched again and landed raw; its rows
   compared by content hash with the warehouse, so post-game stat corrections are found
   and counted (per table, in the log and the task's XCom); the merge rewrites only the
   changed rows and fills every gap. `dry_run` reports without writing.
3. **regrade_changed**: the dates whose data changed, and any without a promoted grade,
   graded again by Great Expectations.
4. **build_features**: the feature tables rebuilt set-based (dbt `--full-refresh`).
5. **retrain_model**: the full model retrain; the challenger still replaces the champion
   only if it is measurably better.

Failures and a run longer than its expected duration are emailed (`alerts`).
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import DAG, CronTriggerTimetable, Param

from mlb_pipeline.alerts import deadlines, task_failed
from mlb_pipeline.features import feature_task_group
from mlb_pipeline.operators import PlanWeeklySyncOperator, RegradeOperator, ResyncRawDataOperator, TrainModelOperator
from mlb_pipeline.settings import load_config

CONFIG = load_config("pipeline")
TZ = CONFIG["schedules"]["timezone"]

with DAG(
    dag_id="mlb_weekly_sync",
    schedule=CronTriggerTimetable(CONFIG["schedules"]["mlb_weekly_sync"], timezone=TZ),
    start_date=pendulum.datetime(2015, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    default_args={
        "retries": 1,
        "retry_delay": dt.timedelta(minutes=10),
        "owner": "mlb-data",
        "on_failure_callback": task_failed,
    },
    deadline=deadlines("mlb_weekly_sync"),
    params={
        "seasons": Param(
            None,
            type=["null", "array"],
            items={"type": "integer", "minimum": 2015, "maximum": 2100},
            title="Seasons",
            description="Re-sync these seasons (e.g. [2023, 2024]) instead of the current and previous one.",
        ),
        "full_history": Param(
            False,
            type="boolean",
            title="Every season since 2015",
            description="Re-sync the full history (hours of API calls); ignored when seasons or dates are given.",
        ),
        "from_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="From date",
            description="Re-sync only the game dates from this one (YYYY-MM-DD) ...",
        ),
        "to_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="To date",
            description="... to this one (inclusive).",
        ),
        "dry_run": Param(
            False,
            type="boolean",
            title="Dry run",
            description="Fetch and compare, report the corrections, write nothing (the later steps skip).",
        ),
    },
    tags=["mlb", "sync"],
    doc_md=__doc__,
) as dag:
    plan = PlanWeeklySyncOperator(task_id="plan_sync")
    resync = ResyncRawDataOperator(task_id="resync_raw_data", plan_task_id=plan.task_id)
    regrade = RegradeOperator(task_id="regrade_changed", plan_task_id=plan.task_id, resync_task_id=resync.task_id)
    features = feature_task_group("build_features", dbt_vars={}, full_refresh=True)
    retrain = TrainModelOperator(task_id="retrain_model", full=True)

    plan >> resync >> regrade >> features >> retrain
