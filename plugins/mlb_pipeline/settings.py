"""Where things live and how they are tuned.

Locations come from environment variables so one code path serves the embedded
default (local files, DuckDB) and production (gs://, BigQuery); tunables come from
the YAML files in ``config/``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


def _local_dir() -> Path:
    return Path(os.environ.get("MLB_LOCAL_DIR", REPO_ROOT / ".local"))


def data_dir() -> Path:
    """Where ``config/`` and the dbt project (``dbt/``) live: the repository (the default), or
    on Cloud Composer the bucket's ``data/`` folder, ``/home/airflow/gcs/data`` (``MLB_DATA_DIR``,
    set by deploy/terraform), since Composer mounts only ``dags/``, ``plugins/`` and ``data/``."""
    return Path(os.environ.get("MLB_DATA_DIR", REPO_ROOT))


def config_dir() -> Path:
    return Path(os.environ.get("MLB_CONFIG_DIR", data_dir() / "config"))


def dbt_project_dir() -> Path:
    return Path(os.environ.get("MLB_DBT_PROJECT_DIR", data_dir() / "dbt"))


def duckdb_path() -> Path:
    """The embedded warehouse: one DuckDB file."""
    return Path(os.environ.get("MLB_DUCKDB_PATH", _local_dir() / "warehouse.duckdb"))


def lake_url() -> str:
    """Root of the object storage (raw zone): a local folder or gs://bucket/prefix."""
    return os.environ.get("MLB_LAKE_URL", (_local_dir() / "lake").as_uri())


REPORTS_PREFIX = "/mlb-reports"  # where the Airflow UI serves the lake's pages (mlb_pipeline_plugin)


def reports_url(path: str) -> str:
    """A page of the lake (``reports/index.html``, ``audit/2024-05/report.html``) in the
    Airflow UI."""
    from airflow.configuration import conf

    base = conf.get("api", "base_url", fallback="http://localhost:8080/").rstrip("/")
    return f"{base}{REPORTS_PREFIX}/{path.lstrip('/')}"


def warehouse_backend() -> str:
    """``duckdb`` (embedded default) or ``bigquery`` (production)."""
    return os.environ.get("MLB_WAREHOUSE", "duckdb")


def bigquery_project() -> str | None:
    return os.environ.get("MLB_BIGQUERY_PROJECT")


def bigquery_api_endpoint() -> str | None:
    """Another BigQuery API endpoint than Google's (``MLB_BIGQUERY_API_ENDPOINT``): an emulator,
    reached with anonymous credentials. Unset in production."""
    return os.environ.get("MLB_BIGQUERY_API_ENDPOINT") or None


@functools.cache
def load_config(name: str) -> dict:
    """Read ``config/<name>.yaml``."""
    with open(config_dir() / f"{name}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)
