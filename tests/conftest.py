"""Shared test set-up.

Airflow reads its configuration when first imported, so the embedded default is set up
here, before any test module imports it: a throw-away AIRFLOW_HOME with a SQLite
metadata database, our dags/ and plugins/ folders, and no example DAGs.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("MLB_FIXTURES_DIR", REPO.parent / "shared" / "fixtures" / "mlb"))
RECORDED_FEEDS = (744914, 745218, 745927, 747175, 717055)

_home = Path(tempfile.mkdtemp(prefix="mlb-airflow-home-"))
os.environ.update({
    "AIRFLOW_HOME": str(_home),
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_home}/airflow.db",
    "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
    "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    "MLB_LOCAL_DIR": str(_home / "local"),
})
sys.path.insert(0, str(REPO / "plugins"))
sys.path.insert(0, str(REPO / "tests"))

needs_fixtures = pytest.mark.skipif(
    not FIXTURES.exists(),
    reason=f"recorded MLB fixtures not found at {FIXTURES} (set MLB_FIXTURES_DIR); CI has them",
)


def load_fixture(relative: str) -> dict:
    import gzip

    import orjson

    path = FIXTURES / relative
    if not path.exists():
        path = path.with_name(path.name + ".gz")
        return orjson.loads(gzip.decompress(path.read_bytes()))
    return orjson.loads(path.read_bytes())


@pytest.fixture(scope="session")
def airflow_db():
    """An initialised Airflow metadata database (SQLite), once per session."""
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True,
                   capture_output=True, env=os.environ.copy())
    return _home


@pytest.fixture
def embedded(tmp_path, monkeypatch):
    """A fresh embedded default for one test: its own DuckDB file and lake folder."""
    monkeypatch.setenv("MLB_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("MLB_LAKE_URL", (tmp_path / "lake").as_uri())
    monkeypatch.setenv("MLB_WAREHOUSE", "duckdb")
    return tmp_path


@pytest.fixture(scope="session")
def recorded_server():
    from mlb_pipeline.replay.server import RecordedBackend, ReplayServer

    if not FIXTURES.exists():
        pytest.skip(f"recorded MLB fixtures not found at {FIXTURES}")
    with ReplayServer(RecordedBackend(FIXTURES)) as server:
        yield server


@pytest.fixture(scope="session")
def league():
    from mlb_pipeline.replay.simulate import League

    return League(seed=11, seasons=[2024])


@pytest.fixture(scope="session")
def sim_server(league):
    from mlb_pipeline.replay.server import ReplayServer, SimulatedBackend

    with ReplayServer(SimulatedBackend(league)) as server:
        yield server


def _clean(server):
    server.clear_faults()
    server.clear_requests()
    return server


@pytest.fixture
def recorded(recorded_server):
    """The recorded-data server, with no faults left over from another test."""
    yield _clean(recorded_server)
    recorded_server.clear_faults()


@pytest.fixture
def simulated(sim_server):
    """The simulated-league server, with no faults left over from another test."""
    yield _clean(sim_server)
    sim_server.clear_faults()


@pytest.fixture(scope="session")
def daily_dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / "mlb_daily_collection.py"))
    assert bag.import_errors == {}
    dag = bag.dags["mlb_daily_collection"]
    for task in dag.tasks:  # a failing task fails the test now, not after a 5-minute retry delay
        task.retries = 0
    return dag


def run_day(dag, day: str, server, monkeypatch, conn_extra: str = "", savant_extra: str = "min_interval_s=0",
            **params):
    """One real run of the daily DAG (``dag.test()``) for ``day`` against ``server``, which
    answers for the MLB Stats API and for Baseball Savant."""
    import datetime as dt

    monkeypatch.setenv("AIRFLOW_CONN_MLB_STATSAPI", server.url + (f"?{conn_extra}" if conn_extra else ""))
    monkeypatch.setenv("AIRFLOW_CONN_BASEBALL_SAVANT", server.url + (f"?{savant_extra}" if savant_extra else ""))
    run = dag.test(logical_date=dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc),
                   run_conf=params or None)
    return run, {ti.task_id: ti.state for ti in run.get_task_instances()}
