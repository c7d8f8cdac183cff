"""Registers mlb-pipeline's extensions with Airflow (plugins are how Airflow finds custom
timetables and deadline references when it deserialises a DAG in the scheduler and the
API server), and the report pages under Browse (served from the lake by
``mlb_pipeline.reports_app``)."""

from urllib.parse import urlsplit

from airflow.configuration import conf
from airflow.plugins_manager import AirflowPlugin

from mlb_pipeline.alerts import DagRunLogicalDateUnlessBackfill
from mlb_pipeline.operators import ReportLink
from mlb_pipeline.reports_app import create_app
from mlb_pipeline.settings import REPORTS_PREFIX
from mlb_pipeline.timetable import GameDayTimetable

_BASE_PATH = urlsplit(conf.get("api", "base_url", fallback="")).path.rstrip("/")


class MlbPipelinePlugin(AirflowPlugin):
    name = "mlb_pipeline"
    timetables = [GameDayTimetable]
    deadline_references = [DagRunLogicalDateUnlessBackfill]
    operator_extra_links = [ReportLink()]
    fastapi_apps = [{"name": "mlb_reports", "app": create_app(), "url_prefix": REPORTS_PREFIX}]
    external_views = [
        {"name": "MLB report", "category": "Browse", "href": f"{_BASE_PATH}{REPORTS_PREFIX}/reports/index.html"}
    ]
