"""The gaps command drives Airflow through its REST API (mlb_pipeline.airflow_api): it waits
for a backfill already running and for each one it creates, and says so when no scheduler
is alive to run it instead of waiting forever (a dead scheduler under ``airflow standalone``
is not restarted). Against a real ``airflow api-server`` over the real metadata database,
without a scheduler; one server for the module."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading

import pytest
from live_airflow import ApiServer

from mlb_pipeline.airflow_api import (
    AirflowApi,
    AirflowUnavailable,
    SchedulerNotRunning,
    api_access,
    held_by_the_scheduler,
    wait_for_backfills,
)
from mlb_pipeline.gaps import DAILY_DAG, Backfill, Trigger, main
from mlb_pipeline.settings import load_config

DAG = "test_gaps_wait"
DAY = "2024-05-01"


@pytest.fixture(scope="module")
def api_server(airflow_db, tmp_path_factory):
    import os

    server = ApiServer(tmp_path_factory.mktemp("api-server"), dict(os.environ))
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(api_server, monkeypatch):
    """The connection to the module's api-server (its metadata database is SQLite), and a client."""
    monkeypatch.setenv("AIRFLOW_CONN_AIRFLOW_API", api_server.connection_uri(sqlite_metadata="true"))
    return AirflowApi()


def _stand_in(dag_id: str) -> None:
    """A small daily DAG ``dag_id`` in the metadata database, as the dag-processor records one
    (the REST API serves only parsed DAGs); the daily DAG itself takes ~20 s to parse."""
    from airflow.dag_processing.collection import update_dag_parsing_results_in_db
    from airflow.models.dagbundle import DagBundleModel
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG as Dag
    from airflow.serialization.serialized_objects import LazyDeserializedDAG
    from airflow.utils.session import create_session

    with Dag(dag_id, schedule="@daily", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), catchup=False) as dag:
        EmptyOperator(task_id="nothing")
    with create_session() as session:
        session.merge(DagBundleModel(name="dags-folder"))
        session.flush()
        update_dag_parsing_results_in_db(
            "dags-folder", None, [LazyDeserializedDAG.from_dag(dag)], {}, None, set(), session
        )


@contextlib.contextmanager
def a_dag(api: AirflowApi, dag_id: str, paused: bool = False, waiting_backfill: bool = True):
    """``dag_id`` parsed (a stand-in unless the daily DAG's own is there, from other tests),
    paused or not, with a backfill created through the REST API that no scheduler completes;
    afterwards its backfills go, the stand-in too, and the pause is set back. Yields the
    backfill's id."""
    from airflow.api.common.delete_dag import delete_dag
    from airflow.models.backfill import Backfill as BackfillRow
    from airflow.models.backfill import BackfillDagRun
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select

    with create_session() as session:
        existing = session.get(DagModel, dag_id)
        was_paused = existing.is_paused if existing else None
    if existing is None:
        _stand_in(dag_id)
    api.set_paused(dag_id, paused)
    try:
        yield api.create_backfill(Backfill(dag_id, DAY, DAY)) if waiting_backfill else None
    finally:
        if was_paused is None:
            delete_dag(dag_id, keep_records_in_log=False)
        else:
            with create_session() as session:
                ids = select(BackfillRow.id).where(BackfillRow.dag_id == dag_id)
                session.execute(delete(BackfillDagRun).where(BackfillDagRun.backfill_id.in_(ids)))
                session.execute(delete(DagRun).where(DagRun.dag_id == dag_id, DagRun.backfill_id.in_(ids)))
                session.execute(delete(BackfillRow).where(BackfillRow.dag_id == dag_id))
            api.set_paused(dag_id, was_paused)


@pytest.fixture
def waiting_backfill(api):
    with a_dag(api, DAG) as backfill_id:
        yield backfill_id


def test_a_backfill_without_a_scheduler_stops_the_wait_with_the_reason(api, waiting_backfill):
    assert api.running_backfills(DAG) == 1 and not api.scheduler_alive()
    with pytest.raises(SchedulerNotRunning, match="no Airflow scheduler has been alive for 1 s"):
        wait_for_backfills(api, DAG, poll_s=0.2, scheduler_grace_s=1)


def test_the_wait_ends_when_the_backfill_completes(api, waiting_backfill, capsys):
    from airflow.models.backfill import Backfill as BackfillRow
    from airflow.utils.session import create_session

    def complete():  # as the scheduler does once the backfill's runs are done
        with create_session() as session:
            session.get(BackfillRow, waiting_backfill).completed_at = dt.datetime.now(dt.UTC)

    threading.Timer(1.0, complete).start()
    wait_for_backfills(api, DAG, poll_s=0.2, scheduler_grace_s=30, saying="waiting")  # returns: no timeout, no error
    with create_session() as session:
        assert session.get(BackfillRow, waiting_backfill).completed_at is not None
    assert capsys.readouterr().out == "waiting\n"  # said once, not at every poll
    wait_for_backfills(api, DAG, saying="waiting")  # none running: nothing to wait for, nothing said
    assert capsys.readouterr().out == ""


def is_paused() -> bool:
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        return session.get(DagModel, DAG).is_paused


def test_a_backfill_of_a_paused_dag_stops_the_wait_with_the_reason(api, waiting_backfill):
    with held_by_the_scheduler(api, DAG):  # as while a backfill is created on SQLite: paused
        assert is_paused() and api.dag_paused(DAG)
        with pytest.raises(SchedulerNotRunning, match="the DAG is paused: unpause it"):
            wait_for_backfills(api, DAG, poll_s=0.2, scheduler_grace_s=30)
    assert not is_paused()  # set back as it was


def test_a_second_backfill_is_asked_again_then_refused_with_airflows_answer(api, waiting_backfill, capsys, monkeypatch):
    """Airflow refuses a second backfill of a DAG while one runs (409): a transient answer, by
    its status, asked again ``api_retry_attempts`` times, then the error is Airflow's. Other
    DAGs are not held: no metadata on SQLite, no pause."""
    from airflow_client.client.exceptions import ApiException

    monkeypatch.setitem(load_config("pipeline")["backfill"], "api_retry_attempts", 2)
    monkeypatch.setitem(load_config("pipeline")["backfill"], "api_retry_wait_s", 0.1)
    with pytest.raises(ApiException) as refused:
        api.create_backfill(Backfill(DAG, "2024-05-02", "2024-05-02"))
    assert refused.value.status == 409 and "already a running backfill" in refused.value.body
    assert capsys.readouterr().out == "Airflow's REST API answered 409; trying again\n"  # once: two attempts
    # A run triggered with its conf, as the gaps command does for a features-only rebuild.
    run_id = api.trigger(Trigger(DAG, {"game_date": DAY, "full_refresh": True}))
    run = api.dag_runs.get_dag_run(DAG, run_id)
    assert run.conf == {"game_date": DAY, "full_refresh": True} and run.run_type == "manual"


def test_the_embedded_default_logs_in_as_airflow_standalone_made_it(api_server, airflow_db, monkeypatch):
    """No connection: the api-server this environment configures, as SimpleAuthManager's admin
    with the password from its passwords file (``airflow standalone`` generates it); a wrong
    password is refused with the reason, and no password is ever shown."""
    monkeypatch.delenv("AIRFLOW_CONN_AIRFLOW_API", raising=False)
    for name, value in api_server.settings.items():
        monkeypatch.setenv(name, value)
    access = api_access()
    assert (access.base_url, access.username, access.sqlite_metadata) == (api_server.url, "tester", True)
    assert api_server.PASSWORD not in repr(access)
    assert AirflowApi(access).running_backfills(DAG) == 0
    with pytest.raises(AirflowUnavailable, match="has no DAG no_such_dag \\(not parsed yet\\?\\)"):
        AirflowApi(access).dag_paused("no_such_dag")
    monkeypatch.setenv("AIRFLOW_CONN_AIRFLOW_API", api_server.connection_uri(password="wrong-password"))
    with pytest.raises(AirflowUnavailable, match=f"at {api_server.url} refused a token as 'tester': 401") as refused:
        AirflowApi()
    assert "wrong-password" not in str(refused.value)


def test_the_gaps_command_waits_for_a_running_backfill_before_looking_for_gaps(api, embedded, capsys, monkeypatch):
    """A backfill still running (say, one interrupted and resumed) is waited for first: its
    dates are not gaps, and Airflow would refuse a second backfill of the DAG meanwhile. No
    scheduler is alive here, so the wait stops after the (shortened) grace, before the
    warehouse is read."""
    monkeypatch.setitem(load_config("pipeline")["backfill"], "scheduler_grace_s", 1)
    with a_dag(api, DAILY_DAG):
        assert main(["--lookback-days", "3", "--end-date", DAY]) == 1
    out, err = capsys.readouterr()
    assert f"A backfill of {DAILY_DAG} is running: waiting for it to finish before looking for gaps" in out
    assert "no Airflow scheduler has been alive for 1 s" in err and "Backfill candidates" not in out
    assert not (embedded / "warehouse.duckdb").exists()


def test_the_gaps_command_backfills_no_paused_dag(api, embedded, capsys):
    """Its backfill would wait, run by nobody: nothing is created, and the command says why."""
    with a_dag(api, DAILY_DAG, paused=True, waiting_backfill=False):
        assert main(["--lookback-days", "3", "--end-date", DAY]) == 1
    out, err = capsys.readouterr()
    assert f"{DAILY_DAG} is paused, so no backfill of it would run: unpause it" in err
    assert "Backfill candidates" not in out and not (embedded / "warehouse.duckdb").exists()


def test_the_gaps_command_stops_when_airflow_cannot_be_reached(airflow_db, embedded, capsys, monkeypatch):
    from live_airflow import free_port

    monkeypatch.setenv("AIRFLOW_CONN_AIRFLOW_API", f"http://tester:s3cret@127.0.0.1:{free_port()}")
    assert main(["--lookback-days", "3", "--end-date", DAY]) == 1
    out, err = capsys.readouterr()
    assert "Stopped: cannot reach Airflow's REST API at http://127.0.0.1:" in err and "s3cret" not in err
    assert "Backfill candidates" not in out and not (embedded / "warehouse.duckdb").exists()
