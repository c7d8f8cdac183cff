# The warehouse: one dataset a schema of config/schema.yaml (raw, ops, ml), the dataset the
# BigQuery warehouse stages a day's rows in before its MERGE (_mlb_staging, warehouse.py), and
# the datasets of the dbt models (staging, intermediate, features: dbt/dbt_project.yml), all in
# one location (a query cannot join datasets of two locations).
locals {
  datasets = {
    raw          = "Normalised raw tables, upserted by the pipeline (config/schema.yaml)."
    ops          = "Run records: ingestion runs, grades, dead letters, backfills, audits, archives."
    ml           = "The game-outcome model: versions, predictions, their scores."
    _mlb_staging = "A day's rows staged by the pipeline before the MERGE into raw (temporary tables)."
    staging      = "dbt staging views: one a raw table."
    intermediate = "dbt intermediate views."
    features     = "dbt feature tables, incremental by date: what the model trains on."
  }
}

resource "google_bigquery_dataset" "mlb" {
  #checkov:skip=CKV_GCP_81:Google-managed encryption at rest; a customer-managed key is an organisation policy choice (set default_encryption_configuration to yours), not something this data (public MLB statistics) needs
  for_each      = local.datasets
  project       = var.project_id
  dataset_id    = each.key
  friendly_name = each.key
  description   = each.value
  location      = var.bigquery_location
  # Dropping the environment must not drop the data: `terraform destroy` refuses a non-empty dataset.
  delete_contents_on_destroy = false
  labels = {
    app = "mlb-pipeline"
  }
  depends_on = [google_project_service.apis]
}
