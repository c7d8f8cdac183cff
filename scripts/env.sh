# Environment of the embedded default. Source it: `. scripts/env.sh`.
# Every location can be overridden by setting the variable before sourcing.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MLB_LOCAL_DIR="${MLB_LOCAL_DIR:-$REPO/.local}"
export MLB_DUCKDB_PATH="${MLB_DUCKDB_PATH:-$MLB_LOCAL_DIR/warehouse.duckdb}"
export MLB_LAKE_URL="${MLB_LAKE_URL:-file://$MLB_LOCAL_DIR/lake}"
export MLB_WAREHOUSE="${MLB_WAREHOUSE:-duckdb}"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$MLB_LOCAL_DIR/airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="${AIRFLOW__CORE__DAGS_FOLDER:-$REPO/dags}"
export AIRFLOW__CORE__PLUGINS_FOLDER="${AIRFLOW__CORE__PLUGINS_FOLDER:-$REPO/plugins}"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-True}"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///$AIRFLOW_HOME/airflow.db?timeout=60}"
# Sized for a laptop (make ui, the demo): one API worker and 4 task slots, not 4 and 32.
export AIRFLOW__API__WORKERS="${AIRFLOW__API__WORKERS:-1}"
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-INFO}"
# devtools/ (the API double, `python -m mlb_replay`) is for tests, benchmarks and the demo only:
# Composer gets plugins/ alone, so nothing in plugins/ may import from devtools/.
export PYTHONPATH="$REPO/plugins:$REPO/devtools${PYTHONPATH:+:$PYTHONPATH}"
export PATH="$REPO/.venv/bin:$PATH"
# astronomer-cosmos: no usage telemetry (it would call the internet); the dbt docs site that
# the daily DAG publishes to <lake>/dbt_docs is shown in the Airflow UI (Browse > dbt docs).
export AIRFLOW__COSMOS__ENABLE_TELEMETRY=False
export AIRFLOW__COSMOS__DBT_DOCS_PROJECTS="${AIRFLOW__COSMOS__DBT_DOCS_PROJECTS:-{\"mlb_pipeline\": {\"dir\": \"${MLB_LAKE_URL#file://}/dbt_docs\", \"name\": \"dbt docs\"}}}"
# OpenLineage (README, Lineage): every task's start and end, with the tables and folders it read
# and wrote, one file an event under .local/lineage/ (on Composer: Dataplex, deploy/terraform).
export AIRFLOW__OPENLINEAGE__NAMESPACE="${AIRFLOW__OPENLINEAGE__NAMESPACE:-mlb-pipeline}"
export AIRFLOW__OPENLINEAGE__TRANSPORT="${AIRFLOW__OPENLINEAGE__TRANSPORT:-{\"type\": \"file\", \"log_file_path\": \"$MLB_LOCAL_DIR/lineage/event\"}}"
