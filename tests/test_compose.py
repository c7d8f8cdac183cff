"""docker-compose.yaml: the local Airflow 3 stack is complete and valid (no engine needed)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml
from conftest import REPO

COMPOSE = REPO / "docker-compose.yaml"


@pytest.mark.unit
def test_compose_has_the_airflow_3_services_and_mounts_the_repo():
    doc = yaml.safe_load(COMPOSE.read_text())
    services = doc["services"]
    assert {
        "postgres",
        "airflow-init",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
    } <= set(services)
    assert services["airflow-apiserver"]["command"] == "api-server"
    mounts = {v.split(":")[0] for v in services["airflow-scheduler"]["volumes"]}
    assert {"./dags", "./plugins", "./config", "./dbt"} <= mounts  # config/ carries schema.yaml (the DDL)
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert "3.3.1" in (REPO / "Dockerfile").read_text()


def _compose_command():
    """The compose binary there is: Docker's plugin, else the standalone one (Debian's)."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_config_validates():
    """Fails, not skips, without a compose binary: scripts/test.sh installs one as root. Only a
    non-root run (which cannot install it) or MLB_SKIP_COMPOSE=1 skips."""
    command = _compose_command()
    if command is None:
        if os.environ.get("MLB_SKIP_COMPOSE") == "1" or os.geteuid() != 0:
            pytest.skip("neither `docker compose` nor `docker-compose` installed (not root, or MLB_SKIP_COMPOSE=1)")
        pytest.fail(
            "neither `docker compose` nor `docker-compose` installed: run scripts/test.sh (make test), "
            "which installs Debian's docker-compose, or `apt-get install docker-compose`"
        )
    proc = subprocess.run([*command, "-f", str(COMPOSE), "config", "--quiet"], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
