#!/usr/bin/env bash
# Serve the dbt docs site that the daily DAG publishes to <lake>/dbt_docs (generating it
# first if no run has yet) on http://localhost:${DOCS_PORT:-8081}. Same site as the Airflow
# UI shows under Browse > dbt docs.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
site="${MLB_LAKE_URL#file://}/dbt_docs"
if [ ! -f "$site/catalog.json" ]; then
  echo "==> no published docs site yet: dbt docs generate"
  python -c "from mlb_pipeline.features import generate_docs; generate_docs()"
fi
cd dbt
exec dbt docs serve --profiles-dir . --target-path "$site" --host "${DOCS_HOST:-127.0.0.1}" \
  --port "${DOCS_PORT:-8081}" --no-browser
