# Least privilege, one service account a role; no basic role (owner/editor/viewer) anywhere and
# data access granted on the datasets and the bucket it is needed on, not on the project.
#
#   worker    the environment's Airflow (scheduler, workers, DAG processor): loads raw/ops/ml,
#             stages in _mlb_staging, reads the features to train, writes the lake, reads the
#             connection secrets, and runs dbt AS the dbt account (impersonation, below)
#   dbt       the dbt models: reads raw and ops, writes staging/intermediate/features
#   analyst   read-only: the features and the model's predictions (plus analyst_members)
#   deployer  Cloud Build (deploy/cloudbuild.yaml): writes the environment's bucket only
locals {
  # Datasets each account writes (dataEditor) and reads (dataViewer).
  dataset_access = {
    worker = {
      editor = ["raw", "ops", "ml", "_mlb_staging"]
      viewer = ["features"]
    }
    dbt = {
      editor = ["staging", "intermediate", "features"]
      viewer = ["raw", "ops"]
    }
    analyst = {
      editor = []
      viewer = ["features", "ml"]
    }
  }
  dataset_grants = merge([
    for account, access in local.dataset_access : merge(
      { for d in access.editor : "${account}/${d}" => { account = account, dataset = d, role = "roles/bigquery.dataEditor" } },
      { for d in access.viewer : "${account}/${d}" => { account = account, dataset = d, role = "roles/bigquery.dataViewer" } },
    )
  ]...)
  accounts = {
    worker  = google_service_account.worker.email
    dbt     = google_service_account.dbt.email
    analyst = google_service_account.analyst.email
  }
  composer_service_agent = "service-${data.google_project.this.number}@cloudcomposer-accounts.iam.gserviceaccount.com"
}

resource "google_service_account" "worker" {
  project      = var.project_id
  account_id   = "${var.environment_name}-worker"
  display_name = "mlb-pipeline: Composer environment ${var.environment_name}"
}

resource "google_service_account" "dbt" {
  project      = var.project_id
  account_id   = "${var.environment_name}-dbt"
  display_name = "mlb-pipeline: dbt models of ${var.environment_name}"
}

resource "google_service_account" "analyst" {
  project      = var.project_id
  account_id   = "${var.environment_name}-analyst"
  display_name = "mlb-pipeline: read-only analysts of ${var.environment_name}"
}

resource "google_service_account" "deployer" {
  project      = var.project_id
  account_id   = "${var.environment_name}-deploy"
  display_name = "mlb-pipeline: Cloud Build deploys to ${var.environment_name}"
}

# Creating a dataset is a project permission. ensure_schema (CREATE SCHEMA IF NOT EXISTS) and
# dbt (its schemas) ask for it even when Terraform made the dataset already; nothing more.
resource "google_project_iam_custom_role" "dataset_creator" {
  project     = var.project_id
  role_id     = "${replace(var.environment_name, "-", "_")}_dataset_creator"
  title       = "mlb-pipeline dataset creator (${var.environment_name})"
  description = "Create BigQuery datasets only: CREATE SCHEMA IF NOT EXISTS of the pipeline and dbt."
  permissions = ["bigquery.datasets.create"]
}

resource "google_project_iam_member" "project_roles" {
  for_each = {
    "worker/bigquery.jobUser"      = { member = google_service_account.worker.email, role = "roles/bigquery.jobUser" }
    "worker/bigquery.readSession"  = { member = google_service_account.worker.email, role = "roles/bigquery.readSessionUser" }
    "worker/dataset_creator"       = { member = google_service_account.worker.email, role = google_project_iam_custom_role.dataset_creator.name }
    "dbt/bigquery.jobUser"         = { member = google_service_account.dbt.email, role = "roles/bigquery.jobUser" }
    "dbt/dataset_creator"          = { member = google_service_account.dbt.email, role = google_project_iam_custom_role.dataset_creator.name }
    "analyst/bigquery.jobUser"     = { member = google_service_account.analyst.email, role = "roles/bigquery.jobUser" }
    "analyst/bigquery.readSession" = { member = google_service_account.analyst.email, role = "roles/bigquery.readSessionUser" }
    "deployer/logging.logWriter"   = { member = google_service_account.deployer.email, role = "roles/logging.logWriter" }
  }
  project = var.project_id
  role    = each.value.role
  member  = "serviceAccount:${each.value.member}"
}

# Composer requires this role of its environment's account, at project level (it runs the
# environment's pods and writes the environment's bucket, logs and metrics).
resource "google_project_iam_member" "worker_composer" {
  #checkov:skip=CKV_GCP_49:Cloud Composer requires roles/composer.worker of the environment's service account at project level; it is granted to that one account only, and that account holds no data access beyond the datasets and bucket granted below
  project = var.project_id
  role    = "roles/composer.worker"
  member  = "serviceAccount:${google_service_account.worker.email}"
}

resource "google_bigquery_dataset_iam_member" "dataset_roles" {
  for_each   = local.dataset_grants
  project    = var.project_id
  dataset_id = google_bigquery_dataset.mlb[each.value.dataset].dataset_id
  role       = each.value.role
  member     = "serviceAccount:${local.accounts[each.value.account]}"
}

# People (or groups) who read what the analyst account reads.
resource "google_bigquery_dataset_iam_member" "analyst_members" {
  for_each = {
    for pair in setproduct(var.analyst_members, local.dataset_access.analyst.viewer) : "${pair[0]}/${pair[1]}" => pair
  }
  project    = var.project_id
  dataset_id = google_bigquery_dataset.mlb[each.value[1]].dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = each.value[0]
}

resource "google_project_iam_member" "analyst_members_jobs" {
  for_each = toset(var.analyst_members)
  project  = var.project_id
  role     = "roles/bigquery.jobUser"
  member   = each.value
}

# The lake: the workers read and write it (the archival DAG may remove a half-done copy of its
# own; the historical zone is protected by versioning, see storage.tf).
resource "google_storage_bucket_iam_member" "worker_lake" {
  bucket = google_storage_bucket.lake.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.worker.email}"
}

# Composer 3 runs the environment as the worker account through its service agent.
resource "google_service_account_iam_member" "composer_agent_uses_worker" {
  service_account_id = google_service_account.worker.name
  role               = "roles/composer.ServiceAgentV2Ext"
  member             = "serviceAccount:${local.composer_service_agent}"
}

# dbt runs inside the workers' tasks (cosmos) as the dbt account: dbt/profiles.yml impersonates
# MLB_DBT_SERVICE_ACCOUNT, so the worker needs a token of that one account, nothing wider.
resource "google_service_account_iam_member" "worker_runs_dbt" {
  service_account_id = google_service_account.dbt.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_service_account.worker.email}"
}

# Cloud Build deploys dags/, plugins/ and data/ into the environment's bucket, and nothing else.
resource "google_storage_bucket_iam_member" "deployer_environment_bucket" {
  bucket = local.composer_bucket
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.deployer.email}"
}
