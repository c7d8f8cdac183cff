"""
### MLB weekly sync

Runs Sunday 02:00 America/New_York. Re-syncs past seasons, fills every gap, picks up stat corrections, rebuilds features and retrains the model.

**Not built yet** (issue #7): this DAG is declared so that its id, schedule and place
in the UI are fixed; it is paused on creation and its only task fails with that message,
so it can never pass for working.
"""
from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronTriggerTimetable, task

from mlb_pipeline.alerts import deadlines, task_failed
from mlb_pipeline.settings import load_config

CONFIG = load_config("pipeline")
TZ = CONFIG["schedules"]["timezone"]

with DAG(
    dag_id="mlb_weekly_sync",
    schedule=CronTriggerTimetable(CONFIG["schedules"]["mlb_weekly_sync"], timezone=TZ),
    start_date=pendulum.datetime(2015, 1, 1, tz=TZ),
    catchup=False,
    is_paused_upon_creation=True,
    default_args={"owner": "mlb-data", "on_failure_callback": task_failed},
    deadline=deadlines("mlb_weekly_sync"),
    tags=["mlb", "not-built-yet"],
    doc_md=__doc__,
) as dag:

    @task(retries=0)
    def not_built_yet():
        raise NotImplementedError("mlb_weekly_sync is not built yet: see issue #7.")

    not_built_yet()
