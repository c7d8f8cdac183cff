"""Airflow as our users drive it: a real ``airflow standalone`` (scheduler, dag-processor,
triggerer and api-server over a SQLite metadata database, LocalExecutor), started by the
test. Through the REST API: trigger the daily DAG with Params for a simulated date and
wait for it; a local SMTP server receives the Deadline Alert of the run that outlived its
expected duration. Then the gaps command, without ``--dry-run``, finds three uncollected
dates and creates their backfill (``airflow backfill create``), and the scheduler runs it:
raw data landed and graded, the features skipped as backfill runs do."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import yaml
from conftest import REPO, Inbox, free_port

DAG_ID = "mlb_daily_collection"
TRIGGERED = "2024-05-10"
BACKFILLED = ["2024-05-07", "2024-05-08", "2024-05-09"]


class LiveAirflow:
    """``airflow standalone`` in its own AIRFLOW_HOME, and a REST client logged in to it."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root, self.env = root, env
        self.port = int(env["AIRFLOW__API__PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(root / "standalone.log", "wb")
        self.process = subprocess.Popen([sys.executable, "-m", "airflow", "standalone"], env=env, cwd=root,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def wait_until_ready(self, timeout: float = 240):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.tail()
            try:
                if self.client.get("/api/v2/monitor/health").status_code == 200:
                    token = self.client.post("/auth/token", json={"username": "tester", "password": "s3cret"})
                    if token.status_code in (200, 201):
                        self.client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
                        if self.client.get(f"/api/v2/dags/{DAG_ID}").status_code == 200:
                            return
            except httpx.TransportError:
                pass
            time.sleep(2)
        raise AssertionError(f"Airflow did not come up in {timeout:g}s\n{self.tail()}")

    def api(self, method: str, path: str, **kwargs):
        response = self.client.request(method, f"/api/v2{path}", **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def wait_for_run(self, run_id: str, timeout: float = 600) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.api("GET", f"/dags/{DAG_ID}/dagRuns/{quote(run_id)}")
            if run["state"] in ("success", "failed"):
                return run
            assert self.process.poll() is None, self.tail()
            time.sleep(3)
        raise AssertionError(f"run {run_id} not finished in {timeout:g}s\n{self.tail()}")

    def task_states(self, run_id: str) -> dict[str, str]:
        tis = self.api("GET", f"/dags/{DAG_ID}/dagRuns/{quote(run_id)}/taskInstances", params={"limit": 100})
        return {ti["task_id"]: ti["state"] for ti in tis["task_instances"]}

    def tail(self, lines: int = 60) -> str:
        self.log.flush()
        return "\n".join((self.root / "standalone.log").read_text(errors="replace").splitlines()[-lines:])

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory, sim_server):
    root = tmp_path_factory.mktemp("live-airflow")
    home, local = root / "airflow", root / "local"
    home.mkdir()
    # Our config, with a short expected duration for the daily DAG: its runs take longer,
    # so each misses that deadline and the on-call address gets the alert.
    config = root / "config"
    shutil.copytree(REPO / "config", config)
    pipeline = yaml.safe_load((config / "pipeline.yaml").read_text())
    pipeline["alerts"]["expected_minutes"][DAG_ID] = 0.25
    (config / "pipeline.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    (root / "passwords.json").write_text(json.dumps({"tester": "s3cret"}))
    port = free_port()
    inbox = Inbox().__enter__()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "MLB_", "PYTEST"))},
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PYTHONPATH": str(REPO / "plugins"),
        "AIRFLOW_HOME": str(home),
        # SQLite: wait for a writer (the scheduler) rather than fail with "database is locked".
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db?timeout=60",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "tester:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(root / "passwords.json"),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        # No scheduled runs (the latest game day's, once the DAG is unpaused): only those the
        # test triggers and backfills.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "600",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(root / "cosmos"),
        "AIRFLOW_CONN_MLB_STATSAPI": sim_server.url,
        "AIRFLOW_CONN_BASEBALL_SAVANT": f"{sim_server.url}?min_interval_s=0",
        "AIRFLOW_CONN_MLB_SMTP": inbox.connection_uri,
        "MLB_LOCAL_DIR": str(local),
        "MLB_DUCKDB_PATH": str(local / "warehouse.duckdb"),
        "MLB_LAKE_URL": (local / "lake").as_uri(),
        "MLB_WAREHOUSE": "duckdb",
        "MLB_CONFIG_DIR": str(config),
    }
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "airflow", "pools", "set", "mlb_warehouse", "1", "one writer"], env=env,
                   check=True, capture_output=True)
    airflow = LiveAirflow(root, env)
    airflow.inbox = inbox
    try:
        airflow.wait_until_ready()
        yield airflow
    finally:
        airflow.stop()
        inbox.__exit__(None, None, None)


def _warehouse(live):
    import duckdb

    return duckdb.connect(live.env["MLB_DUCKDB_PATH"], read_only=True)


def test_trigger_through_the_rest_api_then_backfill_what_the_gaps_command_finds(live, league):
    # A user unpauses the DAG and triggers it with Params, as the UI's trigger form does.
    live.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})
    run = live.api("POST", f"/dags/{DAG_ID}/dagRuns",
                   json={"logical_date": None, "conf": {"game_date": TRIGGERED, "build_features": False}})
    finished = live.wait_for_run(run["dag_run_id"])
    states = live.task_states(run["dag_run_id"])
    assert finished["state"] == "success", (states, live.tail())
    assert states["grade_raw_data"] == "success" and states["check_feature_inputs"] == "skipped"

    games = {g.game_pk for g in league.played_on(dt.date.fromisoformat(TRIGGERED))}
    with _warehouse(live) as con:
        stored = {pk for (pk,) in con.execute("SELECT game_pk FROM raw.games WHERE official_date = ?",
                                               [TRIGGERED]).fetchall()}
        grades = con.execute("SELECT DISTINCT batch_grade, promoted FROM ops.quality_grades WHERE game_date = ?",
                             [TRIGGERED]).fetchall()
    assert stored == games and len(games) > 10
    assert grades == [("A", True)]

    # The run outlived its expected duration (15 s here): the Deadline Alert's email.
    msg, body = live.inbox.wait_for(
        lambda subject, body: "slower than expected" in subject and run["dag_run_id"] in subject, timeout=180)
    assert msg["Subject"] == f"[mlb-pipeline] {DAG_ID} run slower than expected: {run['dag_run_id']}"
    assert "is still running 0.25 minutes after it was queued" in body
    assert f"{live.url}/dags/{DAG_ID}/runs/{quote(run['dag_run_id'])}" in body

    # Three dates never collected: the gaps command finds them and creates their backfill.
    command = subprocess.run([sys.executable, "-m", "mlb_pipeline.gaps", "--lookback-days", "2",
                              "--end-date", BACKFILLED[-1]], env=live.env, capture_output=True, text=True,
                             timeout=300)
    assert command.returncode == 0, command.stdout + command.stderr
    assert (f"Running: airflow backfill create --dag-id {DAG_ID} --from-date {BACKFILLED[0]} "
            f"--to-date {BACKFILLED[-1]}") in command.stdout
    deadline = time.monotonic() + 900
    while True:
        runs = live.api("GET", f"/dags/{DAG_ID}/dagRuns", params={"run_type": "backfill", "limit": 10})["dag_runs"]
        if len(runs) == 3 and all(r["state"] in ("success", "failed") for r in runs):
            break
        assert time.monotonic() < deadline, (runs, live.tail())
        time.sleep(5)
    assert sorted(r["logical_date"][:10] for r in runs) == BACKFILLED
    for r in runs:
        states = live.task_states(r["dag_run_id"])
        assert r["state"] == "success", (r, states)
        # Backfill runs land and grade the raw data; the features wait for one set-based rebuild.
        assert states["grade_raw_data"] == "success" and states["check_feature_inputs"] == "skipped"
        assert states["train_model"] == "skipped"

    with _warehouse(live) as con:
        per_date = dict(con.execute(
            "SELECT CAST(official_date AS VARCHAR), count(*) FROM raw.games WHERE official_date BETWEEN ? AND ? "
            "GROUP BY 1", [BACKFILLED[0], BACKFILLED[-1]]).fetchall())
        logged = con.execute("SELECT DISTINCT processor, CAST(game_date AS VARCHAR), action FROM ops.backfill_log "
                             "ORDER BY 2").fetchall()
    assert per_date == {d: len(league.played_on(dt.date.fromisoformat(d))) for d in BACKFILLED}
    assert logged == [("collection", d, "backfill_created") for d in BACKFILLED]

    # Asked again, the command finds the raw data complete; what is left is the one set-based
    # rebuild of the features that follows a backfill (seed 002).
    again = subprocess.run([sys.executable, "-m", "mlb_pipeline.gaps", "--lookback-days", "2", "--end-date",
                            BACKFILLED[-1], "--dry-run"], env=live.env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    for processor in ("collection", "incomplete", "grading"):
        assert f"  {processor:<11} all processed" in again.stdout, again.stdout
    assert "airflow backfill create" not in again.stdout
    assert (f'airflow dags trigger {DAG_ID} --conf \'{{"game_date": "{BACKFILLED[-1]}", "full_refresh": true}}\''
            in again.stdout), again.stdout
