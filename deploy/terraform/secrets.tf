# The Airflow connections the pipeline reads (config/pipeline.yaml), kept in Secret Manager and
# read through Airflow's secrets backend (composer.tf: secrets-backend). Terraform creates the
# secrets only, never their values: a value is a secret version the operator adds once
# (deploy/README.md, "Set the secrets"), so no credential ever lands in code or in the state.
#   mlb_smtp         the SMTP server of the alerts (required for alert emails)
#   mlb_chat         the Slack or Google Chat incoming webhook the alerts are posted to (optional)
#   mlb_statsapi     the MLB Stats API (optional: without a version, https://statsapi.mlb.com)
#   baseball_savant  Baseball Savant (optional: without a version, https://baseballsavant.mlb.com)
#   airflow_api      the Airflow REST API the gaps command creates backfills through
locals {
  connections_prefix = "airflow-connections"
  connection_ids     = ["mlb_smtp", "mlb_chat", "mlb_statsapi", "baseball_savant", "airflow_api"]
}

resource "google_secret_manager_secret" "connection" {
  for_each  = toset(local.connection_ids)
  project   = var.project_id
  secret_id = "${local.connections_prefix}-${each.key}"
  labels = {
    app = "mlb-pipeline"
  }
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}

# Only the environment's workers read them, each secret on its own (no project-wide accessor).
resource "google_secret_manager_secret_iam_member" "worker_reads_connection" {
  for_each  = google_secret_manager_secret.connection
  project   = var.project_id
  secret_id = each.value.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.worker.email}"
}
