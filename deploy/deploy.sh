#!/usr/bin/env bash
# Deploy this checkout to the Cloud Composer environment ENV: `make deploy ENV=prod` from a
# laptop, deploy/cloudbuild.yaml in CI (the same script).
#
#   deploy/deploy.sh ENV
#
# 1. build: check deploy/composer-requirements.txt is current, copy the dbt project to a
#    staging folder and write its manifest there (`dbt parse`, BigQuery target), the manifest the
#    DAGs render their dbt tasks from.
# 2. sync: make the environment's bucket hold exactly what the repository holds, deleting what
#    was removed from it (`gcloud composer environments storage dags import` never deletes):
#      dags/     -> gs://BUCKET/dags/
#      plugins/  -> gs://BUCKET/plugins/
#      config/   -> gs://BUCKET/data/config/   (MLB_DATA_DIR=/home/airflow/gcs/data on Composer)
#      dbt/      -> gs://BUCKET/data/dbt/      (the project and target/manifest.json only)
#
# Where ENV is: deploy/envs/ENV.env (COMPOSER_BUCKET=gs://..., MLB_BIGQUERY_PROJECT=...; see
# deploy/envs/example.env), else COMPOSER_BUCKET and MLB_BIGQUERY_PROJECT already set by the
# caller, else the outputs of the Terraform workspace ENV (deploy/terraform).
# The PyPI packages and environment variables are Terraform's (terraform apply), not this script's.
#
# DRY_RUN=1        print the commands, run none
# DEPLOY_PHASES    "build sync" (default); cloudbuild runs "build" in a Python image and "sync"
#                  in the gcloud image
# DEPLOY_STAGE_DIR the staging folder (default .local/deploy/ENV)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: deploy/deploy.sh ENV   (deploy/envs/ENV.env, or the Terraform workspace ENV)" >&2
  exit 2
fi
ENV_NAME="$1"
if ! [[ "$ENV_NAME" =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ ]]; then
  echo "deploy: ENV is a name (letters, digits, - and _), not '$ENV_NAME'" >&2
  exit 2
fi
DRY_RUN="${DRY_RUN:-0}"
PHASES="${DEPLOY_PHASES:-build sync}"
STAGE="${DEPLOY_STAGE_DIR:-.local/deploy/$ENV_NAME}"

env_file="deploy/envs/$ENV_NAME.env"
if [ -f "$env_file" ]; then
  # shellcheck disable=SC1090
  set -a && . "$env_file" && set +a
elif [ -n "${COMPOSER_BUCKET:-}" ]; then
  : # given by the caller (cloudbuild's _COMPOSER_BUCKET substitution)
elif command -v terraform >/dev/null 2>&1 &&
  terraform -chdir=deploy/terraform workspace list 2>/dev/null | tr -d ' *' | grep -qx -- "$ENV_NAME"; then
  tf_output() { TF_WORKSPACE="$ENV_NAME" terraform -chdir=deploy/terraform output -no-color -raw "$1" 2>/dev/null || true; }
  COMPOSER_BUCKET="$(tf_output composer_bucket)"
  MLB_BIGQUERY_PROJECT="$(tf_output project_id)"
fi
if ! [[ "${COMPOSER_BUCKET:-}" =~ ^gs://[a-z0-9][a-z0-9._-]*[a-z0-9]$ ]]; then
  echo "deploy: no environment '$ENV_NAME': neither $env_file nor COMPOSER_BUCKET nor the outputs of the" \
    "Terraform workspace '$ENV_NAME' give the environment's bucket as gs://NAME" >&2
  exit 2
fi
if [ -z "${MLB_BIGQUERY_PROJECT:-}" ]; then
  echo "deploy: MLB_BIGQUERY_PROJECT is not set ($env_file)" >&2
  exit 2
fi

# Print every command; run it unless DRY_RUN=1.
run() {
  printf '+'
  printf ' %q' "$@"
  printf '\n'
  if [ "$DRY_RUN" != 1 ]; then "$@"; fi
}

# What never goes to the bucket, as one Python regex on each path relative to the synced folder
# (gcloud storage rsync --exclude; an excluded object at the destination is not deleted either).
# airflow_monitoring.py is Composer's own DAG in the dags folder: it must survive the sync.
CACHE='(^|/)__pycache__/|\.pyc$'
DAGS_EXCLUDE="$CACHE|^airflow_monitoring\\.py\$"
DBT_EXCLUDE="$CACHE|^target/(?!manifest\\.json\$)|^logs/|^dbt_packages/|(^|/)\\.user\\.yml\$"

PY=.venv/bin/python
DBT=.venv/bin/dbt
for phase in $PHASES; do
  case "$phase" in
    build)
      echo "==> build: the Composer packages, and the dbt project with its manifest in $STAGE"
      run "$PY" deploy/composer_requirements.py --check
      run rm -rf "$STAGE"
      run mkdir -p "$STAGE"
      run cp -R dbt "$STAGE/dbt"
      run rm -rf "$STAGE/dbt/target" "$STAGE/dbt/logs" "$STAGE/dbt/dbt_packages"
      run env DBT_USE_COLORS=false MLB_WAREHOUSE=bigquery MLB_BIGQUERY_PROJECT="$MLB_BIGQUERY_PROJECT" \
        "$DBT" parse --project-dir "$STAGE/dbt" --profiles-dir "$STAGE/dbt" --quiet
      ;;
    sync)
      if [ "$DRY_RUN" != 1 ] && [ ! -f "$STAGE/dbt/target/manifest.json" ]; then
        echo "deploy: $STAGE/dbt/target/manifest.json is missing: run the build phase first" >&2
        exit 1
      fi
      echo "==> sync: dags/, plugins/ and data/ to $COMPOSER_BUCKET (deleting what the repository no longer has)"
      sync() {
        run gcloud storage rsync --recursive --delete-unmatched-destination-objects --exclude="$3" "$1" "$2"
      }
      sync dags "$COMPOSER_BUCKET/dags" "$DAGS_EXCLUDE"
      sync plugins "$COMPOSER_BUCKET/plugins" "$CACHE"
      sync config "$COMPOSER_BUCKET/data/config" "$CACHE"
      sync "$STAGE/dbt" "$COMPOSER_BUCKET/data/dbt" "$DBT_EXCLUDE"
      ;;
    *)
      echo "deploy: unknown phase '$phase' (DEPLOY_PHASES: build, sync)" >&2
      exit 2
      ;;
  esac
done
if [ "$DRY_RUN" = 1 ]; then
  echo "==> dry run for $ENV_NAME ($COMPOSER_BUCKET): nothing was run"
else
  echo "==> $PHASES done for $ENV_NAME ($COMPOSER_BUCKET)"
fi
