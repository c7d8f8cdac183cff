"""``airflow standalone`` started in a folder of its own, for the tests and benchmarks that
need a real scheduler: its environment (SQLite metadata, LocalExecutor, our DAGs and
plugins, the replay server's connections) and a REST client logged in to it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import yaml

REPO = Path(__file__).resolve().parents[1]
DAG_ID = "mlb_daily_collection"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def airflow_settings(home: Path) -> dict[str, str]:
    """What every Airflow of the tests shares: its own home and SQLite metadata database
    (waiting for a writer rather than failing with "database is locked"), our DAGs and
    plugins, no example DAGs."""
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db?timeout=60",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # No lineage events from the tests' task runs (scripts/env.sh turns them on for the
        # embedded default); the live Airflow's test turns them on to check them.
        "AIRFLOW__OPENLINEAGE__DISABLED": "True",
    }


def lineage_dir(root: Path) -> Path:
    """Where the OpenLineage events of the Airflow under ``root`` go."""
    return root / "lineage"


def standalone_env(
    root: Path, replay_url: str, smtp_uri: str | None = None, expected_minutes: dict[str, float] | None = None
) -> dict[str, str]:
    """The environment of an Airflow under ``root``: its own home, warehouse, lake and a copy
    of our config (``expected_minutes`` overrides the Deadline Alerts' durations)."""
    home, local = root / "airflow", root / "local"
    home.mkdir(parents=True, exist_ok=True)
    config = root / "config"
    shutil.copytree(REPO / "config", config, dirs_exist_ok=True)
    pipeline = yaml.safe_load((config / "pipeline.yaml").read_text())
    pipeline["alerts"]["expected_minutes"].update(expected_minutes or {})
    (config / "pipeline.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    (root / "passwords.json").write_text(json.dumps({"tester": "s3cret"}))
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "MLB_", "PYTEST"))},
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PYTHONPATH": str(REPO / "plugins"),
        **airflow_settings(home),
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
        "AIRFLOW_CONN_MLB_STATSAPI": replay_url,
        "AIRFLOW_CONN_BASEBALL_SAVANT": f"{replay_url}?min_interval_s=0",
        **({"AIRFLOW_CONN_MLB_SMTP": smtp_uri} if smtp_uri else {}),
        "MLB_LOCAL_DIR": str(local),
        "MLB_DUCKDB_PATH": str(local / "warehouse.duckdb"),
        "MLB_LAKE_URL": (local / "lake").as_uri(),
        "MLB_WAREHOUSE": "duckdb",
        "MLB_CONFIG_DIR": str(config),
        # Lineage as the embedded default has it: one file an event (test_airflow_live reads them).
        "AIRFLOW__OPENLINEAGE__DISABLED": "False",
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "mlb-pipeline",
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(lineage_dir(root) / "event")}
        ),
    }
    lineage_dir(root).mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [sys.executable, "-m", "airflow", "pools", "import", str(REPO / "config" / "airflow_pools.json")],
        env=env,
        check=True,
        capture_output=True,
    )
    return env


class LiveAirflow:
    """``airflow standalone`` in its own AIRFLOW_HOME, and a REST client logged in to it."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root, self.env = root, env
        self.port = int(env["AIRFLOW__API__PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(root / "standalone.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "airflow", "standalone"],
            env=env,
            cwd=root,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
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
        # The api-server can stall past the client's timeout while SQLite is busy (a loaded
        # machine): a read is asked again, as benchmarks/bench_backfill.py does.
        for attempt in range(5 if method == "GET" else 1):
            try:
                response = self.client.request(method, f"/api/v2{path}", **kwargs)
                break
            except httpx.TimeoutException:
                if attempt == 4 or method != "GET":
                    raise
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


class ApiServer:
    """``airflow api-server`` alone over the metadata database of ``env``, SimpleAuthManager's
    user ``tester`` (admin, password ``s3cret``) able to log in: the REST API without a
    scheduler, for the tests of what drives it (mlb_pipeline.airflow_api)."""

    USER, PASSWORD = "tester", "s3cret"

    def __init__(self, root: Path, env: dict[str, str]):
        root.mkdir(parents=True, exist_ok=True)
        (root / "passwords.json").write_text(json.dumps({self.USER: self.PASSWORD}))
        self.root, self.port = root, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = {
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{self.USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(root / "passwords.json"),
            "AIRFLOW__API__BASE_URL": self.url,
        }
        self.log = open(root / "api-server.log", "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "airflow",
                "api-server",
                "--port",
                str(self.port),
                "--workers",
                "1",
                "--apps",
                "core",
            ],
            env={**env, **self.settings},
            cwd=root,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def connection_uri(self, password: str | None = None, **extras: str) -> str:
        """``AIRFLOW_CONN_AIRFLOW_API`` for this server (``password`` to try a wrong one)."""
        query = "&".join(f"{k}={v}" for k, v in extras.items())
        return f"http://{self.USER}:{quote(password or self.PASSWORD)}@127.0.0.1:{self.port}" + (
            f"?{query}" if query else ""
        )

    def wait_until_ready(self, timeout: float = 180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.tail()
            try:
                if httpx.get(f"{self.url}/api/v2/monitor/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(1)
        raise AssertionError(f"the api-server did not come up in {timeout:g}s\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        self.log.flush()
        return "\n".join((self.root / "api-server.log").read_text(errors="replace").splitlines()[-lines:])

    def stop(self):
        """Stopped without waiting for keep-alive connections to close: it keeps no state."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(3)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(30)
        self.log.close()
