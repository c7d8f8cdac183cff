output "composer_bucket" {
  description = "The environment's bucket (gs://...): deploy/deploy.sh syncs dags/, plugins/ and data/ into it."
  value       = "gs://${local.composer_bucket}"
}

output "airflow_uri" {
  description = "The Airflow UI."
  value       = google_composer_environment.mlb.config[0].airflow_uri
}

output "lake_url" {
  description = "MLB_LAKE_URL of the environment."
  value       = local.lake_url
}

output "datasets" {
  description = "The BigQuery datasets, all in var.bigquery_location."
  value       = sort([for d in google_bigquery_dataset.mlb : d.dataset_id])
}

output "service_accounts" {
  description = "The service accounts, one a role."
  value = {
    worker   = google_service_account.worker.email
    dbt      = google_service_account.dbt.email
    analyst  = google_service_account.analyst.email
    deployer = google_service_account.deployer.email
  }
}

output "connection_secrets" {
  description = "The Secret Manager secrets to give a value (deploy/README.md, 'Set the secrets')."
  value       = sort([for s in google_secret_manager_secret.connection : s.secret_id])
}

output "deploy_env" {
  description = "The deploy/envs/<ENV>.env of this environment: terraform output -raw deploy_env > deploy/envs/prod.env"
  value       = <<-EOT
    # deploy/envs: written from `terraform output -raw deploy_env` (deploy/terraform)
    COMPOSER_BUCKET=gs://${local.composer_bucket}
    MLB_BIGQUERY_PROJECT=${var.project_id}
  EOT
}

output "project_id" {
  description = "The project (MLB_BIGQUERY_PROJECT)."
  value       = var.project_id
}
