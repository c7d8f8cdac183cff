"""The gaps command waits for a backfill already running and for each one it creates, and
says so when no scheduler is alive to run it instead of waiting forever (a dead scheduler
under ``airflow standalone`` is not restarted). On the real metadata database, without a scheduler."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading

import pytest

from mlb_pipeline.gaps import DAILY_DAG, SchedulerNotRunning, held_by_the_scheduler, main, wait_for_backfills
from mlb_pipeline.settings import load_config

DAG = "test_gaps_wait"


@contextlib.contextmanager
def a_dag(dag_id: str, paused: bool = False, waiting_backfill: bool = True):
    """``dag_id`` in the metadata database, with a backfill not completed as Airflow records
    one; removed afterwards, the DAG's row too unless it was there before (the daily DAG's,
    from other tests). Yields the backfill's id."""
    from airflow.models.backfill import Backfill
    from airflow.models.dag import DagModel
    from airflow.models.dagbundle import DagBundleModel
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    day = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    with create_session() as session:
        session.merge(DagBundleModel(name="dags-folder"))
        session.flush()
        existing = session.get(DagModel, dag_id)
        was_paused = existing.is_paused if existing else None
        session.merge(DagModel(dag_id=dag_id, bundle_name="dags-folder", is_paused=paused))
        backfill_id = None
        if waiting_backfill:
            backfill = Backfill(dag_id=dag_id, from_date=day, to_date=day, max_active_runs=1, dag_run_conf={})
            session.add(backfill)
            session.flush()
            backfill_id = backfill.id
    try:
        yield backfill_id
    finally:
        with create_session() as session:
            session.execute(delete(Backfill).where(Backfill.dag_id == dag_id))
            if was_paused is None:
                session.execute(delete(DagModel).where(DagModel.dag_id == dag_id))
            else:
                session.get(DagModel, dag_id).is_paused = was_paused


@pytest.fixture
def waiting_backfill(airflow_db):
    with a_dag(DAG) as backfill_id:
        yield backfill_id


def test_a_backfill_without_a_scheduler_stops_the_wait_with_the_reason(waiting_backfill):
    with pytest.raises(SchedulerNotRunning, match="no Airflow scheduler has been alive for 1 s"):
        wait_for_backfills(DAG, poll_s=0.2, scheduler_grace_s=1)


def test_the_wait_ends_when_the_backfill_completes(waiting_backfill, capsys):
    from airflow.models.backfill import Backfill
    from airflow.utils.session import create_session

    def complete():
        with create_session() as session:
            session.get(Backfill, waiting_backfill).completed_at = dt.datetime.now(dt.UTC)

    threading.Timer(1.0, complete).start()
    wait_for_backfills(DAG, poll_s=0.2, scheduler_grace_s=30, saying="waiting")  # returns: no timeout, no error
    with create_session() as session:
        assert session.get(Backfill, waiting_backfill).completed_at is not None
    assert capsys.readouterr().out == "waiting\n"  # said once, not at every poll
    wait_for_backfills(DAG, saying="waiting")  # none running: nothing to wait for, nothing said
    assert capsys.readouterr().out == ""


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


def test_the_gaps_command_waits_for_a_running_backfill_before_looking_for_gaps(
    airflow_db, embedded, capsys, monkeypatch
):
    """A backfill still running (say, one interrupted and resumed) is waited for first: its
    dates are not gaps, and Airflow would refuse a second backfill of the DAG meanwhile. No
    scheduler is alive here, so the wait stops after the (shortened) grace, before the
    warehouse is read."""
    monkeypatch.setitem(load_config("pipeline")["backfill"], "scheduler_grace_s", 1)
    with a_dag(DAILY_DAG):
        assert main(["--lookback-days", "3", "--end-date", "2024-05-01"]) == 1
    out, err = capsys.readouterr()
    assert f"A backfill of {DAILY_DAG} is running: waiting for it to finish before looking for gaps" in out
    assert "no Airflow scheduler has been alive for 1 s" in err and "Backfill candidates" not in out
    assert not (embedded / "warehouse.duckdb").exists()


def test_the_gaps_command_backfills_no_paused_dag(airflow_db, embedded, capsys):
    """Its backfill would wait, run by nobody: nothing is created, and the command says why."""
    with a_dag(DAILY_DAG, paused=True, waiting_backfill=False):
        assert main(["--lookback-days", "3", "--end-date", "2024-05-01"]) == 1
    out, err = capsys.readouterr()
    assert f"{DAILY_DAG} is paused, so no backfill of it would run: unpause it" in err
    assert "Backfill candidates" not in out and not (embedded / "warehouse.duckdb").exists()
