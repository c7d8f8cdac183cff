"""OpenLineage: what each of our operators reads and writes, as datasets named the way the
OpenLineage naming conventions name them (BigQuery: ``bigquery`` / ``project.dataset.table``;
object storage: ``gs://bucket`` / the path), so Dataplex on Composer, or any lineage backend,
joins our tasks to the tables and folders around them. The provider's listener sends one event
as a task starts and one as it ends, for every task (ours, cosmos' dbt tasks, Airflow's own);
where to is Airflow's ``[openlineage] transport``: a folder of files on the embedded default
(``scripts/env.sh``), Dataplex on Composer (``deploy/terraform``)."""

from __future__ import annotations

from urllib.parse import urlsplit

RAW_TABLES = "raw.*"  # every raw table of config/schema.yaml


def dataset_names(names: tuple[str, ...]) -> list[str]:
    """Our short names, with ``raw.*`` spelled out: tables ``schema.table``, lake folders
    ``lake:<path>``."""
    from mlb_pipeline.warehouse import table_definitions

    out = []
    for name in names:
        out += sorted(t for t in table_definitions() if t.startswith("raw.")) if name == RAW_TABLES else [name]
    return out


def dataset(name: str):
    """A table (``raw.games``) or a folder of the lake (``lake:reports``) as an OpenLineage
    dataset of the configured backend."""
    from airflow.providers.common.compat.openlineage.facet import Dataset

    from mlb_pipeline import settings

    if name.startswith("lake:"):
        root = urlsplit(settings.lake_url().rstrip("/") + "/" + name.removeprefix("lake:"))
        if root.scheme == "file":
            return Dataset(namespace="file", name=root.path)
        return Dataset(namespace=f"{root.scheme}://{root.netloc}", name=root.path.lstrip("/"))
    if settings.warehouse_backend() == "bigquery":
        return Dataset(namespace="bigquery", name=f"{settings.bigquery_project()}.{name}")
    return Dataset(namespace=f"duckdb://{settings.duckdb_path()}", name=name)


class DeclaresLineage:
    """Mixed into our operators: ``reads`` and ``writes`` (our short names) become the
    task's input and output datasets when it completes (the provider calls this)."""

    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()

    def get_openlineage_facets_on_complete(self, task_instance):
        from airflow.providers.openlineage.extractors import OperatorLineage

        return OperatorLineage(
            inputs=[dataset(n) for n in dataset_names(self.reads)],
            outputs=[dataset(n) for n in dataset_names(self.writes)],
        )
