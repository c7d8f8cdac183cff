"""
### MLB end of season archival

Runs 2 January 01:00 America/New_York. Verifies the finished season is complete and copies it, checksummed, from the current zone to the immutable historical zone.

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
    dag_id="mlb_end_of_season_archival",
    schedule=CronTriggerTimetable(CONFIG["schedules"]["mlb_end_of_season_archival"], timezone=TZ),
    start_date=pendulum.datetime(2015, 1, 1, tz=TZ),
    catchup=False,
    is_paused_upon_creation=True,
    default_args={"owner": "mlb-data", "on_failure_callback": task_failed},
    deadline=deadlines("mlb_end_of_season_archival"),
    tags=["mlb", "not-built-yet"],
    doc_md=__doc__,
) as dag:

    @task(retries=0)
    def not_built_yet():
        raise NotImplementedError("mlb_end_of_season_archival is not built yet: see issue #7.")

    not_built_yet()
