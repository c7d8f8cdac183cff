"""The dbt docs site, opened in a real headless browser (Debian's chromium): as the Airflow UI
serves it (a real api-server with cosmos' plugin, Browse > dbt docs) and as `make docs`
serves it locally. The page loads and lists the feature models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser import needs_chromium, rendered_dom
from conftest import REPO
from live_airflow import free_port

FEATURE_MODELS = ("team_rolling_features", "player_rolling_features", "game_features")


def wait_for(url: str, process: subprocess.Popen, timeout: float = 120) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"server exited with {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return resp.read()
        except OSError:
            time.sleep(1)
    raise TimeoutError(url)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def published_site(embedded):
    """The docs site as the pipeline's publish_dbt_docs task writes it, over an empty warehouse."""
    from mlb_pipeline.features import generate_docs
    from mlb_pipeline.warehouse import DuckDBWarehouse

    DuckDBWarehouse().ensure_schema()
    url = generate_docs()
    site = Path(url.removeprefix("file://"))
    assert {p.name for p in site.iterdir()} == {"index.html", "manifest.json", "catalog.json"}
    return site


def assert_lists_the_feature_models(dom: str) -> None:
    assert "dbt Docs" in dom or "dbt-docs" in dom.lower(), dom[:2000]
    for model in FEATURE_MODELS:
        assert model in dom, f"{model} not on the page"


@needs_chromium
def test_the_airflow_ui_serves_the_docs_site(airflow_db, published_site, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW__COSMOS__DBT_DOCS_PROJECTS": json.dumps(
            {"mlb_pipeline": {"dir": str(published_site), "name": "dbt docs"}}
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
    }
    with open(tmp_path / "api-server.log", "wb") as log:  # the server keeps its own copy of the file
        server = subprocess.Popen(
            [sys.executable, "-m", "airflow", "api-server", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(f"http://127.0.0.1:{port}/api/v2/monitor/health", server)
        # The UI's navigation lists the view (Browse > dbt docs) ...
        token = json.loads(wait_for(f"http://127.0.0.1:{port}/auth/token", server))["access_token"]
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v2/plugins", headers={"Authorization": f"Bearer {token}"}
        )
        plugins = json.loads(urllib.request.urlopen(req, timeout=30).read())["plugins"]
        views = [v for p in plugins for v in p.get("external_views", [])]
        assert {"name": "dbt docs", "href": "/cosmos/mlb_pipeline/dbt_docs_index.html"}.items() <= next(
            v for v in views if v["name"] == "dbt docs"
        ).items()
        # ... and the page it opens loads in a browser and lists the feature models.
        dom = rendered_dom(f"http://127.0.0.1:{port}/cosmos/mlb_pipeline/dbt_docs_index.html", tmp_path)
        assert_lists_the_feature_models(dom)
    finally:
        stop(server)


@needs_chromium
def test_make_docs_serves_the_same_site_locally(published_site, embedded, tmp_path):
    port = free_port()
    env = {**os.environ, "MLB_LAKE_URL": (embedded / "lake").as_uri(), "DOCS_PORT": str(port)}
    with open(tmp_path / "docs.log", "wb") as log:
        server = subprocess.Popen([str(REPO / "scripts" / "docs.sh")], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/manifest.json", server)
        assert_lists_the_feature_models(rendered_dom(f"http://127.0.0.1:{port}/", tmp_path))
    finally:
        stop(server)
