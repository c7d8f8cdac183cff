# mlb-pipeline on Google Cloud: a Cloud Composer 3 environment, the BigQuery datasets, the lake
# bucket, least-privilege service accounts and the Secret Manager secrets of the Airflow
# connections. deploy/README.md: from zero to a running environment.
terraform {
  required_version = ">= 1.5"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 8.0"
    }
  }
  # State: local by default. For a team, keep it in a bucket:
  #   terraform init -backend-config="bucket=YOUR-STATE-BUCKET" -backend-config="prefix=mlb-pipeline"
  # after uncommenting:
  # backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_project_service" "apis" {
  for_each = toset([
    "composer.googleapis.com",
    "bigquery.googleapis.com",
    "bigquerystorage.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
    "iam.googleapis.com",
    "datalineage.googleapis.com", # the tasks' OpenLineage events (composer.tf, data_lineage)
  ])
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
