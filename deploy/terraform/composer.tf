# The Cloud Composer 3 environment. Composer mounts its bucket's dags/, plugins/ and data/
# folders at /home/airflow/gcs/; deploy/deploy.sh fills them (dags/, plugins/, and data/ with
# config/ and the dbt project), and MLB_DATA_DIR tells the pipeline where config/ and dbt/ are.
locals {
  lake_url = "gs://${google_storage_bucket.lake.name}/${var.lake_prefix}"

  # The Composer-safe pins (deploy/composer_requirements.py writes the file from requirements.txt:
  # no Airflow pin, no provider the image ships, no test tools), one "name==version" a line.
  composer_requirements = [
    for line in split("\n", file("${path.module}/../composer-requirements.txt")) :
    trimspace(line) if trimspace(line) != "" && !startswith(trimspace(line), "#")
  ]
  # {name = "==version"} ("[extras]==version" with extras), as pypi_packages takes them
  pypi_packages = {
    for pin in local.composer_requirements : regex("^([a-z0-9-]+)(.*)$", pin)[0] => regex("^([a-z0-9-]+)(.*)$", pin)[1]
  }

  composer_bucket = split("/", google_composer_environment.mlb.config[0].dag_gcs_prefix)[2]
}

resource "google_composer_environment" "mlb" {
  name    = var.environment_name
  project = var.project_id
  region  = var.region
  labels = {
    app = "mlb-pipeline"
  }

  config {
    environment_size = var.environment_size

    software_config {
      image_version = var.image_version
      pypi_packages = local.pypi_packages

      # OpenLineage events of every task (README, Lineage) to Dataplex's data lineage: Composer
      # configures the OpenLineage provider's transport itself.
      cloud_data_lineage_integration {
        enabled = var.data_lineage
      }

      # What the pipeline reads (README "Where things live"): the production backends.
      env_variables = {
        MLB_WAREHOUSE           = "bigquery"
        MLB_BIGQUERY_PROJECT    = var.project_id
        MLB_BIGQUERY_LOCATION   = var.bigquery_location
        MLB_LAKE_URL            = local.lake_url
        MLB_DATA_DIR            = "/home/airflow/gcs/data"
        MLB_DBT_SERVICE_ACCOUNT = google_service_account.dbt.email
      }

      airflow_config_overrides = {
        # Connections come from Secret Manager: the secret airflow-connections-<conn_id>
        # (secrets.tf). Variables and config are not kept there: no lookups for them.
        "secrets-backend" = "airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend"
        "secrets-backend_kwargs" = jsonencode({
          connections_prefix = local.connections_prefix
          variables_prefix   = null
          config_prefix      = null
          sep                = "-"
          project_id         = var.project_id
        })
        "core-dags_are_paused_at_creation" = "True"
        "core-load_examples"               = "False"
        # astronomer-cosmos: no usage telemetry; the dbt docs site the daily DAG publishes to
        # <lake>/dbt_docs, shown in the Airflow UI (Browse > dbt docs).
        "cosmos-enable_telemetry" = "False"
        "cosmos-dbt_docs_projects" = jsonencode({
          mlb_pipeline = { dir = "${local.lake_url}/dbt_docs", name = "dbt docs", conn_id = "google_cloud_default" }
        })
      }
    }

    node_config {
      service_account = google_service_account.worker.email
    }

    # mlb_live_games' follow_game tasks wait in Airflow's triggerer (deferrable operators):
    # Composer runs no triggerer unless asked. One holds a day's fifteen games with room to spare.
    workloads_config {
      triggerer {
        count     = var.triggerer_count
        cpu       = 0.5
        memory_gb = 1
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_project_iam_member.project_roles,
    google_project_iam_member.worker_composer,
    google_service_account_iam_member.composer_agent_uses_worker,
  ]
}
