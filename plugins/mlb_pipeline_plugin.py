"""Registers mlb-pipeline's extensions with Airflow (plugins are how Airflow finds custom
timetables and deadline references when it deserialises a DAG in the scheduler and the
API server)."""

from airflow.plugins_manager import AirflowPlugin

from mlb_pipeline.alerts import DagRunLogicalDateUnlessBackfill
from mlb_pipeline.timetable import GameDayTimetable


class MlbPipelinePlugin(AirflowPlugin):
    name = "mlb_pipeline"
    timetables = [GameDayTimetable]
    deadline_references = [DagRunLogicalDateUnlessBackfill]
