"""
### MLB end of season archival

Runs 2 January 01:00 America/New_York and archives the season that ended in the autumn
(seed 001's storage zones):

1. **check_season_complete**: every scheduled game that was played is landed final, its
   date graded A to C and promoted, and it has features; otherwise the task fails listing
   every gap and nothing moves (backfill them: `python -m mlb_pipeline.gaps`).
2. **archive_season**: every object of the regular season and the postseason copied from
   the current zone to `historical/regular-season/<year>/` and
   `historical/post-season/<year>/` (spring training stays in current), each copy's
   checksum verified; only then the manifests and `ops.archives` mark it archived.

The historical zone is immutable: a second run copies nothing and proves every object
identical; an object with different content is never overwritten (the task fails). A
half-done archive (copied, not marked) is rolled back with
`python -m mlb_pipeline.archive rollback <year>`; an archived season cannot be.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronTriggerTimetable, Param

from mlb_pipeline.alerts import deadlines, task_failed
from mlb_pipeline.operators import ArchiveSeasonOperator, CheckSeasonCompleteOperator
from mlb_pipeline.settings import load_config

CONFIG = load_config("pipeline")
TZ = CONFIG["schedules"]["timezone"]

with DAG(
    dag_id="mlb_end_of_season_archival",
    schedule=CronTriggerTimetable(CONFIG["schedules"]["mlb_end_of_season_archival"], timezone=TZ),
    start_date=pendulum.datetime(2015, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "mlb-data", "retries": 0, "on_failure_callback": task_failed},
    deadline=deadlines("mlb_end_of_season_archival"),
    params={
        "season": Param(
            None,
            type=["null", "integer"],
            minimum=2015,
            maximum=2100,
            title="Season",
            description="Archive this season instead of the one before the run's year.",
        ),
        "dry_run": Param(
            False,
            type="boolean",
            title="Dry run",
            description="Check completeness and list what would be archived; copy nothing.",
        ),
    },
    tags=["mlb", "archival"],
    doc_md=__doc__,
) as dag:
    check = CheckSeasonCompleteOperator(task_id="check_season_complete")
    archive = ArchiveSeasonOperator(task_id="archive_season")

    check >> archive
