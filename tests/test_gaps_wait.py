"""The gaps command waits for each backfill it creates, and says so when no scheduler is
alive to run it instead of waiting forever (a dead scheduler under ``airflow standalone``
is not restarted). On the real metadata database, without a scheduler."""
from __future__ import annotations

import datetime as dt
import threading

import pytest

from mlb_pipeline.gaps import SchedulerNotRunning, held_by_the_scheduler, wait_for_backfills

DAG = "test_gaps_wait"


@pytest.fixture
def waiting_backfill(airflow_db):
    from airflow.models.backfill import Backfill
    from airflow.models.dag import DagModel
    from airflow.models.dagbundle import DagBundleModel
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    day = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    with create_session() as session:
        session.merge(DagBundleModel(name="dags-folder"))
        session.flush()
        session.merge(DagModel(dag_id=DAG, bundle_name="dags-folder", is_paused=False))
        backfill = Backfill(dag_id=DAG, from_date=day, to_date=day, max_active_runs=1, dag_run_conf={})
        session.add(backfill)
        session.flush()
        backfill_id = backfill.id
    yield backfill_id
    with create_session() as session:
        session.execute(delete(Backfill).where(Backfill.dag_id == DAG))
        session.execute(delete(DagModel).where(DagModel.dag_id == DAG))


def test_a_backfill_without_a_scheduler_stops_the_wait_with_the_reason(waiting_backfill):
    with pytest.raises(SchedulerNotRunning, match="no Airflow scheduler has been alive for 1 s"):
        wait_for_backfills(DAG, poll_s=0.2, scheduler_grace_s=1)


def test_the_wait_ends_when_the_backfill_completes(waiting_backfill):
    from airflow.models.backfill import Backfill
    from airflow.utils.session import create_session

    def complete():
        with create_session() as session:
            session.get(Backfill, waiting_backfill).completed_at = dt.datetime.now(dt.timezone.utc)

    threading.Timer(1.0, complete).start()
    wait_for_backfills(DAG, poll_s=0.2, scheduler_grace_s=30)  # returns: no timeout, no error
    with create_session() as session:
        assert session.get(Backfill, waiting_backfill).completed_at is not None



def is_paused() -> bool:
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        return session.get(DagModel, DAG).is_paused


def test_a_backfill_of_a_paused_dag_stops_the_wait_with_the_reason(waiting_backfill):
    with held_by_the_scheduler(DAG):  # as while a backfill is created: paused
        assert is_paused()
        with pytest.raises(SchedulerNotRunning, match="the DAG is paused: unpause it"):
            wait_for_backfills(DAG, poll_s=0.2, scheduler_grace_s=30)
    assert not is_paused()  # set back as it was
