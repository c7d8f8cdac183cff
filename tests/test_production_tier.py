"""The production path, emulated: ``MLB_WAREHOUSE=bigquery`` against bqemulator and the lake on
``gs://`` against fake-gcs-server, both started once per test session (tests/emulators.py,
the ``production`` fixture of tests/conftest.py). One xdist group: one worker starts them."""

from __future__ import annotations

import datetime as dt

import pytest

from mlb_pipeline import schema
from mlb_pipeline.warehouse import BigQueryWarehouse, bigquery_client, open_warehouse

pytestmark = pytest.mark.xdist_group("production_tier")


@pytest.fixture
def bigquery(production):
    """The configured warehouse (BigQuery, at the emulator), its schema in place."""
    warehouse = open_warehouse()
    warehouse.ensure_schema()
    return warehouse


def test_the_configured_warehouse_is_bigquery_at_the_emulator_with_every_table(production, bigquery):
    assert isinstance(bigquery, BigQueryWarehouse)
    assert bigquery.client.project == production["MLB_BIGQUERY_PROJECT"]  # a dashed project id
    assert production["MLB_BIGQUERY_API_ENDPOINT"] == bigquery.client._connection.API_BASE_URL
    for name in schema.load_schema():
        dataset, table = name.split(".")
        assert bigquery.has_table(dataset, table), name
    assert not bigquery.has_table("raw", "no_such_table")
    # a second warehouse object finds everything in place: nothing to create or add
    again = BigQueryWarehouse(client=bigquery_client())  # an injected client
    again.ensure_schema()
    assert again.query("SELECT count(*) AS n FROM ops.schema_migrations") == [{"n": 0}]


def test_ops_records_and_checksums_on_bigquery(bigquery):
    letter = {"game_date": "2024-07-01", "endpoint": "feed_live", "request_url": "http://x/1", "kind": "http"}
    bigquery.record_dead_letter({**letter, "error": "HTTP 503"}, "run-1")
    bigquery.record_dead_letter({**letter, "error": "HTTP 504", "raw_object": "gs://b/x"}, "run-2")
    [row] = bigquery.query("SELECT attempts, error, raw_object, first_run_id, last_run_id FROM ops.dead_letters")
    assert row == {"attempts": 2, "error": "HTTP 504", "raw_object": "gs://b/x", "first_run_id": "run-1",
                   "last_run_id": "run-2"}  # fmt: skip
    bigquery.resolve_dead_letters("2024-07-01", ["http://x/1"])
    assert bigquery.query("SELECT count(*) AS n FROM ops.dead_letters WHERE resolved_at IS NOT NULL") == [{"n": 1}]

    started = dt.datetime(2024, 7, 2, 6, tzinfo=dt.UTC)
    run = {"run_id": "run-1", "game_date": "2024-07-01", "started_at": started, "status": "running",
           "table_counts": {"raw.games": 15}, "errors": []}  # fmt: skip
    bigquery.record_run(run)
    bigquery.record_run({**run, "status": "success"})  # replaces the row of the same key
    assert bigquery.query("SELECT status, started_at, table_counts FROM ops.ingestion_runs") == [
        {"status": "success", "started_at": started, "table_counts": {"raw.games": 15}}
    ]

    frame = bigquery.frame("SELECT game_date, attempts FROM ops.dead_letters WHERE list_contains(?, attempts)", [[2]])
    assert frame.to_dict("records") == [{"game_date": dt.date(2024, 7, 1), "attempts": 2}]

    checksums = bigquery.table_checksums()  # ml.predictions among them: quoted, not taken for ML.PREDICT
    assert set(checksums) == set(schema.load_schema())
    assert checksums["ops.dead_letters"].startswith("1:") and checksums["ml.predictions"] == "0:0"


def test_the_lake_on_gcs_is_the_emulators(production, gcs_root):
    from mlb_pipeline.landing import RawZone

    zone = RawZone(production["MLB_LAKE_URL"])
    landed = zone.land(zone.schedule_key("2024-07-01"), "schedule", b'{"dates": []}')
    assert landed.written and landed.url.startswith(production["MLB_LAKE_URL"])
    assert RawZone.read(landed.url) == b'{"dates": []}'
    assert not zone.land(zone.schedule_key("2024-07-01"), "schedule", b'{"dates": []}').written  # content-addressed
    # where the emulated BigQuery reads a load job's gs:// source from
    assert (gcs_root / landed.url.removeprefix("gs://")).read_bytes() == b'{"dates": []}'
