# The lake (MLB_LAKE_URL = gs://<bucket>/<prefix>): the raw zone, the historical zone, the dbt
# docs site, the audit reports. Private (uniform bucket-level access, public access prevention
# enforced) and versioned: an overwritten or deleted object of the working zones is kept as a
# noncurrent version for noncurrent_version_days; under historical/ (an archived season is
# immutable, seed 001) every version is kept for ever, so nothing archived can be lost, not even
# by a mistaken overwrite or delete. A bucket retention policy is not used: it would lock the
# working zones too (the dbt docs site and the live zone are rewritten every run).
resource "google_storage_bucket" "lake" {
  #checkov:skip=CKV_GCP_62:Access to the lake is recorded by Cloud Audit Logs (Data Access logs for Cloud Storage), not by legacy usage-log buckets
  name                        = var.lake_bucket_name
  project                     = var.project_id
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  # Deleted objects stay restorable for 30 days beyond versioning (soft delete).
  soft_delete_policy {
    retention_duration_seconds = 2592000
  }

  # Noncurrent versions of the working zones expire; no rule ever touches historical/.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_days
      with_state                 = "ARCHIVED"
      matches_prefix             = [for zone in var.expiring_zones : "${var.lake_prefix}/${zone}"]
    }
    action {
      type = "Delete"
    }
  }

  # A load killed between writing its staged Parquet and deleting it (warehouse.py: a day's rows
  # of a table are staged at <lake>/staging/<batch>/<table>.parquet) leaves the file behind; its
  # staging table expires by itself, the file after staging_days.
  lifecycle_rule {
    condition {
      age            = var.staging_days
      with_state     = "ANY"
      matches_prefix = ["${var.lake_prefix}/staging/"]
    }
    action {
      type = "Delete"
    }
  }

  labels = {
    app = "mlb-pipeline"
  }
  depends_on = [google_project_service.apis]
}

# The record of who read or wrote the lake (and so the reason CKV_GCP_62 is skipped above):
# Cloud Storage's Data Access audit logs, on for this project.
resource "google_project_iam_audit_config" "storage_data_access" {
  project = var.project_id
  service = "storage.googleapis.com"
  audit_log_config {
    log_type = "DATA_READ"
  }
  audit_log_config {
    log_type = "DATA_WRITE"
  }
}
