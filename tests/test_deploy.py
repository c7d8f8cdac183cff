"""The deployment to Cloud Composer (deploy/), checked offline: the Terraform parses and says what
the pipeline needs (the image, the environment variables, the secrets backend, the datasets, the
lake's protection, least privilege, no secret value), checkov finds no failed check, the
Composer package list is current and Composer-safe, deploy/deploy.sh syncs what it should, the
settings find config/ and dbt/ under Composer's data/ folder, and dags/.airflowignore leaves the
DAG processor the DAG files only. No terraform provider or Google Cloud is reachable here:
nothing is applied; see deploy/README.md for what only a real project can show."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest
import yaml

from mlb_pipeline import features, settings
from mlb_pipeline.warehouse import BigQueryWarehouse

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
TERRAFORM = DEPLOY / "terraform"
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
SECRETS_BACKEND = "airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend"


# -- the Terraform, parsed --------------------------------------------------------------------
def _plain(value):
    """python-hcl2 keeps the quotes of HCL strings and keys: drop them, keep ${...} expressions."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@functools.cache
def terraform() -> dict:
    """Every .tf file of deploy/terraform, merged: {"resource": {type: {name: body}}, "locals": {...},
    "variable": {...}, "output": {...}}."""
    merged: dict = {"resource": {}, "data": {}, "locals": {}, "variable": {}, "output": {}}
    files = sorted(TERRAFORM.glob("*.tf"))
    assert len(files) >= 6, files
    for path in files:
        with open(path, encoding="utf-8") as fh:
            parsed = _plain(hcl2.load(fh))
        for kind in ("resource", "data"):
            for block in parsed.get(kind, []):
                for rtype, named in block.items():
                    merged[kind].setdefault(rtype, {}).update(named)
        for block in parsed.get("locals", []):
            merged["locals"].update(block)
        for kind in ("variable", "output"):
            for block in parsed.get(kind, []):
                merged[kind].update(block)
    return merged


def resources(rtype: str) -> dict:
    return terraform()["resource"].get(rtype, {})


def default(variable: str):
    return terraform()["variable"][variable]["default"]


def composer_software() -> dict:
    (env,) = resources("google_composer_environment").values()
    return env["config"][0]["software_config"][0]


def connection_ids() -> list[str]:
    """Every Airflow connection the pipeline reads, as config/pipeline.yaml names them."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith(("connection_id", "conn_id")) and isinstance(value, str):
                    found.append(value)
                walk(value)

    walk(yaml.safe_load((REPO / "config" / "pipeline.yaml").read_text()))
    return sorted(found)


@pytest.mark.unit
def test_the_environment_is_composer_3_of_airflow_3_3_1_or_newer():
    image = default("image_version")
    match = re.fullmatch(r"composer-3-airflow-(\d+)\.(\d+)\.(\d+)-build\.(\d+)", image)
    assert match, image
    airflow, build = tuple(int(p) for p in match.groups()[:3]), int(match.group(4))
    assert airflow > (3, 3, 1) or (airflow == (3, 3, 1) and build >= 10), image
    # the environment uses the variable, and the variable refuses anything but Composer 3 / Airflow 3
    assert composer_software()["image_version"] == "${var.image_version}"
    validation = terraform()["variable"]["image_version"]["validation"][0]["condition"]
    assert "composer-3-airflow-3" in validation
    # the Airflow the repository pins is the one the image runs
    pinned = re.search(r"^apache-airflow==([\d.]+)$", (REPO / "requirements.txt").read_text(), re.M).group(1)
    assert tuple(int(p) for p in pinned.split(".")) <= airflow


@pytest.mark.unit
def test_the_environment_sets_what_the_pipeline_reads():
    env = composer_software()["env_variables"]
    assert env["MLB_WAREHOUSE"] == "bigquery"
    assert env["MLB_BIGQUERY_PROJECT"] == "${var.project_id}"
    assert env["MLB_BIGQUERY_LOCATION"] == "${var.bigquery_location}"
    # the lake is the bucket Terraform makes, under its prefix
    assert env["MLB_LAKE_URL"] == "${local.lake_url}"
    assert terraform()["locals"]["lake_url"] == "gs://${google_storage_bucket.lake.name}/${var.lake_prefix}"
    # config/ and dbt/ are read from the bucket's data/ folder, as Composer mounts it
    assert env["MLB_DATA_DIR"] == "/home/airflow/gcs/data"
    # dbt runs as the dbt service account: the profile impersonates what the environment names
    assert env["MLB_DBT_SERVICE_ACCOUNT"] == "${google_service_account.dbt.email}"
    profile = yaml.safe_load((REPO / "dbt" / "profiles.yml").read_text())["mlb_pipeline"]["outputs"]["bigquery"]
    assert "env_var('MLB_DBT_SERVICE_ACCOUNT', '')" in profile["impersonate_service_account"]
    # every MLB_ variable set here is one the code reads
    code = (
        "\n".join(p.read_text() for p in (REPO / "plugins").rglob("*.py")) + (REPO / "dbt" / "profiles.yml").read_text()
    )
    assert [name for name in env if name not in code] == []


@pytest.mark.unit
def test_connections_come_from_secret_manager_secrets_that_terraform_creates_without_values():
    from airflow.providers.google.cloud.secrets.secret_manager import CloudSecretManagerBackend

    overrides = composer_software()["airflow_config_overrides"]
    assert overrides["secrets-backend"] == SECRETS_BACKEND
    kwargs = overrides["secrets-backend_kwargs"]
    assert "jsonencode" in kwargs
    names = re.findall(r"(\w+) = ", kwargs)
    accepted = CloudSecretManagerBackend.__init__.__code__.co_varnames
    assert "connections_prefix" in names and set(names) <= set(accepted), names
    prefix = terraform()["locals"]["connections_prefix"]
    # The secret each connection is read from is the one Terraform creates, for every
    # connection the pipeline reads (the backend's own naming: <prefix><sep><conn_id>).
    secret = resources("google_secret_manager_secret")["connection"]
    assert secret["for_each"] == "${toset(local.connection_ids)}"
    assert secret["secret_id"] == "${local.connections_prefix}-${each.key}"
    created = {CloudSecretManagerBackend.build_path(prefix, c, "-") for c in terraform()["locals"]["connection_ids"]}
    wanted = {CloudSecretManagerBackend.build_path(prefix, c, "-") for c in connection_ids()}
    assert created == wanted and "airflow-connections-mlb_smtp" in created and len(created) == 5
    # Only the values are missing: no secret version, no secret data anywhere in deploy/.
    assert not resources("google_secret_manager_secret_version")
    readers = resources("google_secret_manager_secret_iam_member")["worker_reads_connection"]
    assert readers["role"] == "roles/secretmanager.secretAccessor"


@pytest.mark.unit
def test_no_secret_value_is_in_deploy():
    # Everything but the docs (whose examples show the form of a value with USER:PASSWORD).
    texts = {
        p: p.read_text(encoding="utf-8") for p in DEPLOY.rglob("*") if p.is_file() and p.suffix not in (".lock", ".md")
    }
    assert len(texts) > 10
    credential_url = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]+:[^\s/@'\"]+@")
    assignment = re.compile(r"(password|secret_data|private_key|api_key|token)\s*[=:]\s*\S", re.I)
    for path, text in texts.items():
        assert not credential_url.search(text), path
        assert not assignment.search(text), (path, assignment.search(text))


@pytest.mark.unit
def test_the_datasets_are_the_warehouse_and_dbt_schemas_in_one_location():
    schemas = {table.split(".")[0] for table in yaml.safe_load((REPO / "config" / "schema.yaml").read_text())}
    project = yaml.safe_load((REPO / "dbt" / "dbt_project.yml").read_text())["models"]["mlb_pipeline"]
    dbt_schemas = {folder["+schema"] for folder in project.values()}
    wanted = schemas | dbt_schemas | {BigQueryWarehouse.STAGING_DATASET}
    assert {"raw", "ops", "ml", "staging", "intermediate", "features", "_mlb_staging"} <= wanted
    assert set(terraform()["locals"]["datasets"]) == wanted
    dataset = resources("google_bigquery_dataset")["mlb"]
    assert dataset["for_each"] == "${local.datasets}" and dataset["dataset_id"] == "${each.key}"
    assert dataset["location"] == "${var.bigquery_location}"
    assert dataset["delete_contents_on_destroy"] is False


@pytest.mark.unit
def test_the_lake_is_private_versioned_and_its_historical_zone_never_expires():
    lake = resources("google_storage_bucket")["lake"]
    assert lake["uniform_bucket_level_access"] is True
    assert lake["public_access_prevention"] == "enforced"
    assert lake["versioning"][0]["enabled"] is True
    assert lake["force_destroy"] is False
    # Only noncurrent versions are ever deleted, and only under the working zones listed; live
    # objects only under staging/ (a killed load's staged Parquet).
    versions, staging = [], []
    for rule in lake["lifecycle_rule"]:
        condition = rule["condition"][0]
        assert rule["action"][0]["type"] == "Delete"
        (staging if condition["with_state"] == "ANY" else versions).append(condition)
    [condition] = versions
    assert condition["with_state"] == "ARCHIVED"
    assert condition["matches_prefix"] == '${[for zone in var.expiring_zones : "${var.lake_prefix}/${zone}"]}'
    [condition] = staging
    assert condition["matches_prefix"] == ["${var.lake_prefix}/staging/"] and default("staging_days") >= 1
    zones = default("expiring_zones")
    assert zones and not [z for z in zones if z.startswith("historical")]
    assert "historical" in terraform()["variable"]["expiring_zones"]["validation"][0]["condition"]
    # the archival code writes the historical zone where the bucket protects it
    assert '"historical"' in (REPO / "plugins" / "mlb_pipeline" / "archive.py").read_text()


@pytest.mark.unit
def test_each_service_account_has_only_what_its_role_needs():
    access = terraform()["locals"]["dataset_access"]
    assert access["worker"] == {"editor": ["raw", "ops", "ml", "_mlb_staging"], "viewer": ["features"]}
    assert access["dbt"] == {"editor": ["staging", "intermediate", "features"], "viewer": ["raw", "ops"]}
    assert access["analyst"] == {"editor": [], "viewer": ["features", "ml"]}
    # dbt reads every source schema its models name, and nothing it does not
    sources = yaml.safe_load((REPO / "dbt" / "models" / "staging" / "_sources.yml").read_text())["sources"]
    assert {s["schema"] for s in sources} == set(access["dbt"]["viewer"])
    # project-level roles: job running, read sessions, dataset creation; no basic role anywhere
    roles = {k: v["role"] for k, v in resources("google_project_iam_member")["project_roles"]["for_each"].items()}
    assert {k.split("/")[0] for k in roles} == {"worker", "dbt", "analyst", "deployer"}
    assert not [r for r in roles.values() if "admin" in r.lower() or r in ("roles/owner", "roles/editor")]
    everything = json.dumps(terraform())
    for basic in ("roles/owner", "roles/editor", "roles/viewer", "roles/bigquery.admin", "roles/storage.admin"):
        assert basic not in everything
    assert resources("google_project_iam_member")["worker_composer"]["role"] == "roles/composer.worker"
    assert resources("google_project_iam_custom_role")["dataset_creator"]["permissions"] == ["bigquery.datasets.create"]
    # the lake: the workers only; the environment's bucket: the deployer only
    (lake_grant,) = [g for g in resources("google_storage_bucket_iam_member").values() if "lake" in g["bucket"]]
    assert lake_grant["member"] == "serviceAccount:${google_service_account.worker.email}"
    deployer = resources("google_storage_bucket_iam_member")["deployer_environment_bucket"]
    assert deployer["bucket"] == "${local.composer_bucket}"
    # the environment runs as the worker account; only the worker may act as the dbt account
    env = next(iter(resources("google_composer_environment").values()))
    assert env["config"][0]["node_config"][0]["service_account"] == "${google_service_account.worker.email}"
    token = resources("google_service_account_iam_member")["worker_runs_dbt"]
    assert token["service_account_id"] == "${google_service_account.dbt.name}"
    assert token["member"] == "serviceAccount:${google_service_account.worker.email}"


# -- the Composer package list ---------------------------------------------------------------
def composer_requirements_module():
    spec = importlib.util.spec_from_file_location("composer_requirements", DEPLOY / "composer_requirements.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.unit
def test_the_composer_requirements_are_current_and_composer_safe():
    module = composer_requirements_module()
    committed = (DEPLOY / "composer-requirements.txt").read_text()
    assert committed == module.render(), "run python deploy/composer_requirements.py"
    pins = [line for line in committed.splitlines() if line and not line.startswith("#")]
    names = {line.split("==")[0].lower() for line in pins}
    assert not [n for n in names if n == "apache-airflow" or n.startswith("apache-airflow-providers-")]
    assert not names & {"pytest", "pytest-xdist", "pytest-timeout", "ruff", "pre-commit", "aiosmtpd", "python-hcl2"}
    assert {"astronomer-cosmos", "dbt-bigquery", "great-expectations", "xgboost"} <= names
    # the same pins as the repository's, under the lowercase names Composer's pypi_packages takes
    requirements = (REPO / "requirements.txt").read_text()
    canonical = {
        re.sub(r"[-_.]+", "-", line.split("==")[0]).lower() + "==" + line.split("==")[1].split()[0]
        for line in requirements.splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert set(pins) <= canonical and "mlb-statsapi==1.9.0" in pins
    assert all(pin == pin.lower() for pin in pins)
    # every package left out is one requirements.txt has: the list does not rot
    assert not [n for n in module.left_out() if not re.search(rf"^{n}==", requirements, re.M | re.I)]
    # Terraform installs exactly this file
    assert "composer-requirements.txt" in terraform()["locals"]["composer_requirements"]
    assert composer_software()["pypi_packages"] == "${local.pypi_packages}"


@pytest.mark.unit
def test_composer_requirements_leave_out_airflow_and_test_tools_and_refuse_loose_pins():
    module = composer_requirements_module()
    excluded = {"apache-airflow": "airflow", "pytest": "dev_only", "apache-airflow-providers-google": "preinstalled"}
    text = "# a comment\nApache_Airflow==3.3.1\npandas==3.1.1  # why\n\npytest==9.1.1\ndbt-core[x]==1.11.16\n"
    text += "MLB-StatsAPI==1.9.0\n"
    wanted = ["pandas==3.1.1", "dbt-core[x]==1.11.16", "mlb-statsapi==1.9.0"]
    assert module.composer_requirements(text, excluded) == wanted
    for loose in ("pandas>=3", "pandas", "pandas==3.1.1; python_version>'3'", "pandas==3.1.1,!=3.0"):
        with pytest.raises(ValueError, match="one exact pin"):
            module.composer_requirements(loose, excluded)


# -- checkov ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def checkov_report() -> dict:
    """One checkov run over deploy/ (about 10 s), offline (--skip-download), as JSON."""
    assert CHECKOV.exists(), "checkov is installed by scripts/setup.sh (scripts/setup_checkov.sh)"
    done = subprocess.run(
        [str(CHECKOV), "-d", str(DEPLOY), "--skip-download", "--output", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return {r["check_type"]: r for r in reports}


def test_checkov_finds_no_failed_check_and_every_skip_says_why(checkov_report):
    report = checkov_report["terraform"]
    summary = report["summary"]
    assert summary["failed"] == 0, [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert summary["parsing_errors"] == 0 and summary["passed"] > 50 and summary["resource_count"] > 30
    for skipped in report["results"]["skipped_checks"]:
        assert len(skipped["check_result"].get("suppress_comment", "")) > 40, skipped["check_id"]
    # the checks on the lake's protection ran, and passed
    passed = {(c["check_id"], c["resource"]) for c in report["results"]["passed_checks"]}
    lake = "google_storage_bucket.lake"
    assert {("CKV_GCP_29", lake), ("CKV_GCP_78", lake), ("CKV_GCP_114", lake)} <= passed
    assert not [r for t, r in checkov_report.items() if t != "terraform" and r["summary"]["failed"]]


# -- deploy/deploy.sh --------------------------------------------------------------------------
def run_deploy(env_name: str, tmp_path: Path, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("COMPOSER_BUCKET", "DRY_RUN", "DEPLOY_PHASES")}
    environ.update({"DEPLOY_STAGE_DIR": str(tmp_path / "stage"), **env})
    return subprocess.run(
        ["bash", str(DEPLOY / "deploy.sh"), env_name],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def printed_commands(stdout: str) -> list[list[str]]:
    return [shlex.split(line[2:]) for line in stdout.splitlines() if line.startswith("+ ")]


def files_under(folder: Path) -> list[str]:
    return [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]


def test_the_dry_run_prints_the_build_and_the_syncs_and_runs_nothing(tmp_path):
    done = run_deploy("example", tmp_path, DRY_RUN="1")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "stage").exists()  # nothing ran
    commands = printed_commands(done.stdout)
    parse = [c for c in commands if "parse" in c]
    assert (
        len(parse) == 1 and "MLB_WAREHOUSE=bigquery" in parse[0] and "MLB_BIGQUERY_PROJECT=your-project-id" in parse[0]
    )
    assert [c for c in commands if c[-1] == "--check" and c[1].endswith("composer_requirements.py")]
    syncs = [c for c in commands if c[:3] == ["gcloud", "storage", "rsync"]]
    bucket = "gs://us-central1-mlb-pipeline-0123abcd-bucket"  # deploy/envs/example.env
    assert [(c[-2], c[-1]) for c in syncs] == [
        ("dags", f"{bucket}/dags"),
        ("plugins", f"{bucket}/plugins"),
        ("config", f"{bucket}/data/config"),
        (str(tmp_path / "stage" / "dbt"), f"{bucket}/data/dbt"),
    ]
    for sync in syncs:  # every sync deletes what the repository no longer has
        assert "--recursive" in sync and "--delete-unmatched-destination-objects" in sync
    excludes = {c[-2]: re.compile(next(a for a in c if a.startswith("--exclude=")).split("=", 1)[1]) for c in syncs}

    def synced(folder: str, paths: list[str]) -> set[str]:
        pattern = excludes[folder]
        return {p for p in paths if not pattern.search(p)}

    # dags/: the DAG files and .airflowignore; never a cache; Composer's own DAG is left alone
    dags = files_under(REPO / "dags") + ["__pycache__/mlb_weekly_sync.cpython-311.pyc", "airflow_monitoring.py"]
    assert synced("dags", dags) == {p for p in files_under(REPO / "dags") if "__pycache__" not in p}
    assert {"mlb_daily_collection.py", ".airflowignore"} <= synced("dags", dags)
    plugins = files_under(REPO / "plugins")
    assert "mlb_pipeline/settings.py" in synced("plugins", plugins)
    assert not [p for p in synced("plugins", plugins) if "__pycache__" in p or p.endswith(".pyc")]
    assert "schema.yaml" in synced("config", files_under(REPO / "config"))
    # dbt/: the project and its manifest, not the rest of target/, logs or packages
    dbt = [
        "dbt_project.yml",
        "profiles.yml",
        "models/features/game_features.sql",
        "target/manifest.json",
        "target/partial_parse.msgpack",
        "target/run/mlb_pipeline/models/x.sql",
        "logs/dbt.log",
        "dbt_packages/p/dbt_project.yml",
        ".user.yml",
    ]
    stage = str(tmp_path / "stage" / "dbt")
    assert synced(stage, dbt) == {
        "dbt_project.yml",
        "profiles.yml",
        "models/features/game_features.sql",
        "target/manifest.json",
    }


def test_deploy_refuses_an_unknown_environment_or_a_bucket_that_is_not_one(tmp_path):
    done = run_deploy("no-such-environment", tmp_path, DRY_RUN="1")
    assert done.returncode == 2 and "no environment 'no-such-environment'" in done.stderr
    assert not printed_commands(done.stdout)
    done = run_deploy("no-such-environment", tmp_path, DRY_RUN="1", COMPOSER_BUCKET="gs://bucket/dags")
    assert done.returncode == 2 and "gs://NAME" in done.stderr
    assert not (TERRAFORM / "terraform.tfstate.d").exists()  # asking Terraform made no workspace
    done = run_deploy("../envs/example", tmp_path, DRY_RUN="1")
    assert done.returncode == 2 and "ENV is a name" in done.stderr and not printed_commands(done.stdout)
    # the caller may name the bucket (cloudbuild's substitution) instead of an env file
    done = run_deploy(
        "ci", tmp_path, DRY_RUN="1", DEPLOY_PHASES="sync", COMPOSER_BUCKET="gs://ci-bucket", MLB_BIGQUERY_PROJECT="p"
    )
    assert done.returncode == 0, done.stderr
    assert [c[-1] for c in printed_commands(done.stdout)][0] == "gs://ci-bucket/dags"


def test_the_data_folder_the_deploy_builds_renders_the_dags_dbt_tasks(tmp_path, monkeypatch):
    """The build phase for real (dbt parse of a copy, BigQuery target), then the layout Composer
    mounts: MLB_DATA_DIR=<data> with config/ and the built dbt/ under it; the daily DAG's
    feature tasks are rendered from there."""
    done = run_deploy("example", tmp_path, DEPLOY_PHASES="build")
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((tmp_path / "stage" / "dbt" / "target" / "manifest.json").read_text())
    assert manifest["metadata"]["adapter_type"] == "bigquery"
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert {n["database"] for n in models} == {"your-project-id"}
    assert {n["schema"] for n in models} == {"staging", "intermediate", "features"}

    data = tmp_path / "data"
    shutil.copytree(REPO / "config", data / "config")
    shutil.copytree(tmp_path / "stage" / "dbt", data / "dbt")
    monkeypatch.setenv("MLB_DATA_DIR", str(data))
    monkeypatch.delenv("MLB_CONFIG_DIR", raising=False)
    monkeypatch.delenv("MLB_DBT_PROJECT_DIR", raising=False)
    settings.load_config.cache_clear()
    try:
        from airflow.sdk import DAG

        with DAG("deployed_layout", schedule=None):
            group = features.feature_task_group("build_features", dbt_vars={})
        tasks = list(group.children.values())
        assert len(tasks) > 20
        assert {str(getattr(t, "project_dir", "")) for t in tasks if hasattr(t, "project_dir")} == {str(data / "dbt")}
    finally:
        settings.load_config.cache_clear()


# -- the settings, and .airflowignore -----------------------------------------------------------
@pytest.mark.unit
def test_settings_find_config_and_dbt_under_mlb_data_dir(tmp_path, monkeypatch):
    data = tmp_path / "gcs" / "data"
    shutil.copytree(REPO / "config", data / "config")
    shutil.copytree(REPO / "dbt", data / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    pipeline = yaml.safe_load((data / "config" / "pipeline.yaml").read_text())
    pipeline["features"]["docs_folder"] = "docs_from_the_bucket"
    (data / "config" / "pipeline.yaml").write_text(yaml.safe_dump(pipeline))
    project = yaml.safe_load((data / "dbt" / "dbt_project.yml").read_text())
    project["vars"]["team_windows_days"] = [7, 91]
    (data / "dbt" / "dbt_project.yml").write_text(yaml.safe_dump(project))

    for name in ("MLB_CONFIG_DIR", "MLB_DBT_PROJECT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLB_DATA_DIR", str(data))
    monkeypatch.setenv("MLB_LAKE_URL", "gs://lake/mlb")
    settings.load_config.cache_clear()
    try:
        assert settings.config_dir() == data / "config"
        assert settings.dbt_project_dir() == features.dbt_project_dir() == data / "dbt"
        assert features.manifest_path() == data / "dbt" / "target" / "manifest.json"
        assert features.docs_url() == "gs://lake/mlb/docs_from_the_bucket"
        assert features.lookback_days() == 91
        # the explicit variables still win over MLB_DATA_DIR
        monkeypatch.setenv("MLB_CONFIG_DIR", str(REPO / "config"))
        assert settings.config_dir() == REPO / "config"
        # unset: the repository, as before
        monkeypatch.delenv("MLB_CONFIG_DIR")
        monkeypatch.delenv("MLB_DATA_DIR")
        assert settings.config_dir() == REPO / "config" and settings.dbt_project_dir() == REPO / "dbt"
    finally:
        settings.load_config.cache_clear()


@pytest.mark.unit
def test_airflowignore_leaves_the_dag_processor_the_dag_files_only(tmp_path):
    from airflow.utils.file import list_py_file_paths

    dag_files = sorted(p.name for p in (REPO / "dags").glob("mlb_*.py"))
    assert len(dag_files) == 7
    assert sorted(Path(p).name for p in list_py_file_paths(REPO / "dags", safe_mode=False)) == dag_files
    # what else may land in the folder on Composer is skipped, Composer's own DAG excepted
    dags = tmp_path / "dags"
    shutil.copytree(REPO / "dags", dags, ignore=shutil.ignore_patterns("__pycache__"))
    helper = "from airflow.sdk import DAG  # a helper that names a DAG but is not a DAG file\n"
    (dags / "helpers.py").write_text(helper)
    (dags / "sub").mkdir()
    (dags / "sub" / "mlb_nested.py").write_text(helper)
    (dags / "README.md").write_text("notes")
    (dags / "airflow_monitoring.py").write_text(helper)
    found = sorted(Path(p).name for p in list_py_file_paths(dags, safe_mode=False))
    assert found == sorted([*dag_files, "airflow_monitoring.py"])


def test_make_deploy_runs_the_script_with_its_environment(tmp_path):
    done = subprocess.run(["make", "-s", "-n", "deploy", "ENV=example"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0 and 'deploy/deploy.sh "example"' in done.stdout, done.stdout + done.stderr
    done = subprocess.run(["make", "-s", "deploy"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode != 0 and "usage: make deploy ENV=" in done.stderr
    # cloudbuild runs the tests, then the same script, build phase then sync phase
    build = yaml.safe_load((DEPLOY / "cloudbuild.yaml").read_text())
    steps = {s["id"]: s for s in build["steps"]}
    assert "make test" in steps["test"]["args"][-1]
    for phase in ("build", "sync"):
        assert steps[phase]["args"][-1] == "deploy/deploy.sh $_ENV"
        assert f"DEPLOY_PHASES={phase}" in steps[phase]["env"]
    assert list(steps) == ["fixtures", "test", "build", "sync"]
