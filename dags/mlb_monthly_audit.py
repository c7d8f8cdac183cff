"""
### MLB monthly audit

Runs the 1st of the month, 04:00 America/New_York, and audits the month before (seed 000's
monthly audit and daily API check):

1. **audit_warehouse**: row counts per table and season, empty or unreadable tables,
   duplicate natural keys, the box-score identities over every stored game, freshness
   (the newest final game, in season), the month's grades, its backfill candidates (the
   gaps command's function, per processor) and a sample of its games fetched again from
   the API and compared. The report (HTML, with a chart of completeness by date) goes to
   `<lake>/audit/<month>/report.html` and `ops.audit_reports`; the task fails, listing
   every problem, when anything is wrong, and the failure is emailed.

Thresholds: `config/pipeline.yaml`, `audit`. Trigger with `month` to audit another month.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronTriggerTimetable, Param

from mlb_pipeline.alerts import deadlines, task_failed
from mlb_pipeline.operators import MonthlyAuditOperator
from mlb_pipeline.settings import load_config

CONFIG = load_config("pipeline")
TZ = CONFIG["schedules"]["timezone"]

with DAG(
    dag_id="mlb_monthly_audit",
    schedule=CronTriggerTimetable(CONFIG["schedules"]["mlb_monthly_audit"], timezone=TZ),
    start_date=pendulum.datetime(2015, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "mlb-data", "retries": 0, "on_failure_callback": task_failed},
    deadline=deadlines("mlb_monthly_audit"),
    params={
        "month": Param(
            None,
            type=["null", "string"],
            pattern="^[0-9]{4}-(0[1-9]|1[0-2])$",
            title="Month",
            description="Audit this month (YYYY-MM) instead of the one before the run's date.",
        ),
        "api_sample_size": Param(
            CONFIG["audit"]["api_sample_size"],
            type="integer",
            minimum=0,
            maximum=200,
            title="Games compared with the API",
            description="How many of the month's final games to fetch again and compare (0: none).",
        ),
    },
    tags=["mlb", "audit"],
    doc_md=__doc__,
) as dag:
    MonthlyAuditOperator(task_id="audit_warehouse")
