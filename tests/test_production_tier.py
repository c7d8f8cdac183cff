"""The production path, emulated: ``MLB_WAREHOUSE=bigquery`` against bqemulator and the lake on
``gs://`` against fake-gcs-server, both started once per test session (tests/emulators.py,
the ``production`` fixture of tests/conftest.py). One xdist group: one worker starts them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

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

    # several rows in one MERGE job, NULLs among typed values (a NULL parameter is STRING-typed)
    jobs_before = len(list(bigquery.client.list_jobs(all_users=True)))
    more = [
        {**run, "run_id": f"run-{n}", "games_scheduled": n if n % 2 else None, "used_fallback": None} for n in (2, 3, 4)
    ]
    bigquery.upsert("ops.ingestion_runs", more, ("table_counts", "errors"))
    assert len(list(bigquery.client.list_jobs(all_users=True))) == jobs_before + 1
    assert bigquery.query("SELECT run_id, games_scheduled FROM ops.ingestion_runs ORDER BY run_id") == [
        {"run_id": f"run-{n}", "games_scheduled": n if n in (3,) else None} for n in (1, 2, 3, 4)
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


# ------------------------------------------------------------------------------------
# The model and the archive on BigQuery and GCS
# ------------------------------------------------------------------------------------
SNAPSHOT = Path(__file__).parent / "data" / "simulated_game_features_2024.parquet"


def test_the_model_trains_from_bigquery_features_and_writes_predictions(production, bigquery):
    """features.game_features on BigQuery (the simulated season the model tests use, loaded with a
    load job as dbt would have built it), the registry in the gs:// lake."""
    import pyarrow.parquet as pq
    from google.cloud import bigquery as bq

    from mlb_pipeline import model

    client = bigquery.client
    client.create_dataset(f"{client.project}.features", exists_ok=True)
    # bqemulator's load job does not create its destination (BigQuery's does): the table first
    types = {"bool": "BOOL", "date32[day]": "DATE", "double": "FLOAT64", "int32": "INT64", "int64": "INT64"}
    columns = [bq.SchemaField(f.name, types.get(str(f.type), "STRING")) for f in pq.read_schema(SNAPSHOT)]
    client.create_table(bq.Table(f"{client.project}.features.game_features", schema=columns))
    with open(SNAPSHOT, "rb") as fh:
        client.load_table_from_file(
            fh, f"{client.project}.features.game_features", job_config=bq.LoadJobConfig(source_format="PARQUET")
        ).result()
    registry = model.Registry(production["MLB_LAKE_URL"])
    trained = model.train_and_register(bigquery, registry, dt.date(2024, 9, 1), "run-1")
    assert trained["outcome"] == "promoted" and registry.champion()["version"] == trained["version"]
    assert registry.metadata(trained["version"])["evaluation"]["games"] > 100
    [version] = bigquery.query("SELECT version, is_champion FROM ml.model_versions")
    assert version == {"version": trained["version"], "is_champion": True}

    day = dt.date(2024, 9, 2)  # the morning of that day: its games not played yet
    bigquery.execute("UPDATE features.game_features SET is_final = false, home_win = NULL WHERE game_date = ?", [day])
    expected = bigquery.query("SELECT count(*) AS n FROM features.game_features WHERE game_date = ?", [day])[0]["n"]
    predictions = model.predict_games(bigquery, registry, day, "run-a")
    model.predict_games(bigquery, registry, day, "run-b")  # replaces, does not add
    stored = bigquery.query("SELECT game_pk, home_win_probability, run_id FROM ml.predictions")
    assert len(stored) == len(predictions) == expected > 0 and {r["run_id"] for r in stored} == {"run-b"}
    assert {r["game_pk"]: r["home_win_probability"] for r in stored} == pytest.approx(
        {p["game_pk"]: p["home_win_probability"] for p in predictions}
    )


def test_a_season_archives_to_gs_historical_and_is_verified(production, bigquery):
    from airflow.sdk import ObjectStoragePath

    from mlb_pipeline import archive
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.seasons import fallback_calendar

    lake = production["MLB_LAKE_URL"]
    zone = RawZone(lake)
    feed = zone.land(zone.game_key(1, "2024-07-01", "regular-season", final=True), "feed_live", b'{"game": 1}')
    post = zone.land(zone.game_key(2, "2024-10-20", "post-season", final=True), "feed_live", b'{"game": 2}')
    zone.land(zone.game_key(3, "2024-03-01", "pre-season", final=True), "feed_live", b'{"game": 3}')  # stays

    mapping = archive.season_objects(lake, 2024, fallback_calendar(2024))
    assert sorted(mapping) == sorted([feed.url, post.url])
    assert mapping[feed.url] == f"{lake}/historical/regular-season/2024/games/2024-07-01/1/{feed.url.rsplit('/', 1)[1]}"
    copied = archive.copy_season(mapping)
    assert copied["copied"] == 2 and archive.copy_season(mapping)["already_archived"] == 2  # verified, not copied
    marked = archive.mark_archived(bigquery, lake, 2024, copied["checksums"])
    assert marked["phases"] == {"regular-season": 1, "post-season": 1} and archive.is_archived(bigquery, 2024)
    assert ObjectStoragePath(mapping[post.url]).read_bytes() == b'{"game": 2}'
    rows = bigquery.query("SELECT phase, objects, manifest FROM ops.archives ORDER BY phase")
    assert [(r["phase"], r["objects"]) for r in rows] == [("post-season", 1), ("regular-season", 1)]
    assert all(r["manifest"].startswith(f"{lake}/historical/") for r in rows)
    with pytest.raises(archive.ArchiveConflict):
        archive.rollback(bigquery, lake, 2024)


def test_a_day_is_graded_from_bigquery_and_its_data_docs_land_in_the_gs_lake(production, bigquery):
    """The batch queries run on BigQuery; GX writes sites to local folders only, so the site is
    built aside and copied to the lake (a gs:// site once named a GCS store GX 1.x no longer has)."""
    from airflow.sdk import ObjectStoragePath

    from mlb_pipeline import quality

    bigquery.execute(
        "INSERT INTO raw.games (game_pk, official_date, season, game_type, phase, home_team_id, away_team_id, "
        "home_score, away_score, status_code, is_final, ingested_at, source, content_hash) "
        "VALUES (1, ?, '2024', 'R', 'regular-season', 110, 111, 3, 2, 'F', true, ?, 'test', 'x')",
        [dt.date(2024, 7, 1), dt.datetime.now(dt.UTC)],
    )
    frames = quality.read_batch(bigquery, "2024-07-01")
    assert frames["games"]["game_pk"].tolist() == [1] and frames["pitches"].empty
    columns = {
        t.split(".", 1)[1]: [c for c in s["columns"] if c not in ("ingested_at", "source", "content_hash")]
        for t, s in bigquery.tables.items()
        if t.startswith("raw.")
    }
    docs = production["MLB_LAKE_URL"] + "/quality/data_docs"
    grader = quality.Grader(docs)
    grades = grader.grade_day(frames, columns, "regular_season", "2024-07-01")
    assert {g.table: g.grade for g in grades}["pitches"] == "F"  # a final game without its pitches
    assert grader.build_docs() == docs + "/index.html"
    site = ObjectStoragePath(docs)
    pages = [str(p.relative_to(site)) for p in site.rglob("*.html")]
    assert "index.html" in pages and any(p.startswith("validations/") for p in pages), pages
