"""The feature tables: the dbt project in ``dbt/``, and how Airflow runs it.

The daily DAG renders the project as a cosmos task group (one task a model, each running
``dbt build`` on it, tests included) from the manifest that ``dbt parse`` writes at set-up,
so parsing the DAG never runs dbt. The dbt target follows the warehouse: ``duckdb`` on the
embedded default, ``bigquery`` in production (``dbt/profiles.yml``, ``MLB_WAREHOUSE``).
After the models, ``dbt docs generate`` publishes the docs site next to the raw zone, where
cosmos' Airflow UI plugin serves it (Browse > dbt docs) and ``make docs`` serves it locally.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

from mlb_pipeline.settings import dbt_project_dir, lake_url, load_config, warehouse_backend

log = logging.getLogger(__name__)
DOCS_FILES = ("index.html", "manifest.json", "catalog.json")


def manifest_path() -> Path:
    """Written by ``dbt parse`` in ``scripts/setup.sh`` (and the image build)."""
    return dbt_project_dir() / "target" / "manifest.json"


def lookback_days() -> int:
    """The longest window of the feature models (``vars`` of ``dbt/dbt_project.yml``):
    how far back strict mode checks the raw data before the features are built."""
    with open(dbt_project_dir() / "dbt_project.yml", encoding="utf-8") as fh:
        return max(yaml.safe_load(fh)["vars"]["team_windows_days"])


def dbt_executable() -> str:
    """The ``dbt`` beside this Python (the virtualenv's or the image's), else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else shutil.which("dbt") or "dbt"


def docs_url() -> str:
    """Where the published docs site lives: ``<lake>/dbt_docs``."""
    return lake_url().rstrip("/") + "/" + load_config("pipeline")["features"]["docs_folder"]


def feature_task_group(group_id: str, dbt_vars: dict, full_refresh: bool | str = False, **kwargs):
    """The cosmos task group that builds the models selected in config, in dependency order
    (``full_refresh``, templated: rebuild the incremental models from scratch)."""
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import InvocationMode, LoadMode, TestBehavior

    cfg = load_config("pipeline")["features"]
    project = dbt_project_dir()
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=project, manifest_path=manifest_path(), project_name="mlb_pipeline", install_dbt_deps=False
        ),
        profile_config=ProfileConfig(
            profile_name="mlb_pipeline", target_name=warehouse_backend(), profiles_yml_filepath=project / "profiles.yml"
        ),
        # dbt in the task's own process (dbtRunner): a dbt subprocess a task would cost ~5 s more each.
        execution_config=ExecutionConfig(
            invocation_mode=InvocationMode.DBT_RUNNER, dbt_executable_path=dbt_executable()
        ),
        # A test of several models (relationships, the leakage test) runs once all of them
        # are built, as a task of its own, not inside the first parent's build.
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            select=cfg["select"],
            test_behavior=TestBehavior.BUILD,
            should_detach_multiple_parents_tests=True,
            enable_mock_profile=False,
        ),
        operator_args={"vars": dbt_vars, "pool": cfg["pool"], "full_refresh": full_refresh},
        **kwargs,
    )


def generate_docs() -> str:
    """Run ``dbt docs generate`` (the catalog reads the warehouse) and publish the site
    (index.html, manifest.json, catalog.json) to ``<lake>/dbt_docs``; return its URL."""
    from airflow.sdk import ObjectStoragePath
    from dbt.cli.main import dbtRunner

    project = dbt_project_dir()
    with tempfile.TemporaryDirectory(prefix="dbt-docs-") as tmp:
        target = Path(tmp)
        # In this process, as the cosmos tasks run dbt: dbt-duckdb keeps the warehouse file
        # open for the life of the process, so a dbt subprocess could not open it beside them.
        result = dbtRunner().invoke(
            [
                "docs",
                "generate",
                "--project-dir",
                str(project),
                "--profiles-dir",
                str(project),
                "--target",
                warehouse_backend(),
                "--target-path",
                str(target),
                "--log-path",
                str(target / "logs"),
            ]
        )
        if not result.success:
            raise RuntimeError(f"dbt docs generate failed: {result.exception or result.result}")
        dest = ObjectStoragePath(docs_url())
        dest.mkdir(parents=True, exist_ok=True)
        for name in DOCS_FILES:
            (dest / name).write_bytes((target / name).read_bytes())
    log.info("dbt docs published to %s (Airflow UI: Browse > dbt docs; locally: make docs)", docs_url())
    return docs_url()
