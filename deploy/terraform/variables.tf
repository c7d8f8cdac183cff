variable "project_id" {
  description = "The Google Cloud project everything is created in (BigQuery's project too: MLB_BIGQUERY_PROJECT)."
  type        = string
}

variable "region" {
  description = "Region of the Composer environment and the lake bucket."
  type        = string
  default     = "us-central1"
}

variable "bigquery_location" {
  description = "One location for every BigQuery dataset (MLB_BIGQUERY_LOCATION): a region such as us-central1, or the US / EU multi-region."
  type        = string
  default     = "US"
}

variable "environment_name" {
  description = "Name of the Composer environment; also the prefix of the service accounts (keep it short: 6 to 20 lowercase letters, digits, dashes)."
  type        = string
  default     = "mlb-pipeline"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,18}[a-z0-9]$", var.environment_name))
    error_message = "environment_name: 6 to 20 lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "image_version" {
  description = "Composer 3 image: Airflow 3.3.1 or newer (the Airflow the repository pins)."
  type        = string
  default     = "composer-3-airflow-3.3.1-build.10"
  validation {
    condition     = can(regex("^composer-3-airflow-3\\.", var.image_version))
    error_message = "image_version: a Composer 3 image of Airflow 3 (composer-3-airflow-3.x.y-build.N)."
  }
}

variable "environment_size" {
  description = "Composer environment size preset."
  type        = string
  default     = "ENVIRONMENT_SIZE_SMALL"
}

variable "lake_bucket_name" {
  description = "The lake bucket (raw zone, historical zone, dbt docs, audit reports): globally unique."
  type        = string
}

variable "lake_prefix" {
  description = "Folder of the lake inside the bucket: MLB_LAKE_URL is gs://<lake_bucket_name>/<lake_prefix>."
  type        = string
  default     = "mlb"
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object of the lake's working zones is kept as a noncurrent version. The historical zone keeps every version for ever."
  type        = number
  default     = 30
}

variable "staging_days" {
  description = "Days a load's staged Parquet under <lake>/staging/ may outlive a killed load (a finished load deletes its own)."
  type        = number
  default     = 2
  validation {
    condition     = var.staging_days >= 1
    error_message = "staging_days must be at least 1: a running load's staged files must not be deleted under it."
  }
}

variable "expiring_zones" {
  description = "Folders under lake_prefix whose noncurrent versions expire (historical/ must never be one of them)."
  type        = list(string)
  default     = ["live/", "current/", "quarantine/", "dbt_docs/", "audit/", "staging/"]
  validation {
    condition     = alltrue([for zone in var.expiring_zones : !startswith(zone, "historical")])
    error_message = "The historical zone is immutable: its versions never expire."
  }
}

variable "analyst_members" {
  description = "Principals (group:analysts@example.com, user:...) given read-only access to the features and ml datasets, beside the analyst service account."
  type        = list(string)
  default     = []
}

variable "data_lineage" {
  description = "Send every task's OpenLineage events to Dataplex's data lineage (the Data Lineage API is billed per event)."
  type        = bool
  default     = true
}

variable "triggerer_count" {
  description = "Airflow triggerers: the live games' polling runs there (1 is enough for a day of games; 2 keeps following through a triggerer's restart without waiting for the health check)."
  type        = number
  default     = 1
  validation {
    condition     = var.triggerer_count >= 1 && var.triggerer_count <= 10
    error_message = "triggerer_count: 1 to 10 (mlb_live_games needs one; Composer allows ten)."
  }
}
