"""The production path, emulated: ``MLB_WAREHOUSE=bigquery`` against bqemulator and the lake on
``gs://`` against fake-gcs-server, both started once per test session (tests/emulators.py,
the ``production`` fixture of tests/conftest.py). One xdist group: one worker starts them."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from conftest import dbt, needs_fixtures, run_day, use_production

from mlb_pipeline import schema
from mlb_pipeline.warehouse import BigQueryWarehouse, DuckDBWarehouse, bigquery_client, open_warehouse

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
    both = quality.read_batches(bigquery, ["2024-06-30", "2024-07-01"])  # one query a table, the dates bound
    assert {t: (list(f.columns), len(f)) for t, f in both["2024-07-01"].items()} == {
        t: (list(f.columns), len(f)) for t, f in frames.items()
    }
    assert both["2024-07-01"]["games"].equals(frames["games"]) and all(f.empty for f in both["2024-06-30"].values())
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
    # a later grading (a run of the DAG) keeps the first one's validations in the index
    [first] = list((site / "runs").iterdir())
    again = quality.Grader(docs, "manual__2024-07-02T00:00:00+00:00")
    again.grade_day(frames, columns, "regular_season", "2024-07-01")
    again.build_docs()
    index = (site / "index.html").read_text()
    assert len(list((site / "runs").iterdir())) == 2 and "2024-07-01 manual__2024-07-02T00:00:00+00:00" in index
    assert all(e["filepath"] in index for e in json.loads(first.read_text()))


# ------------------------------------------------------------------------------------
# The daily DAG on the emulated production path, against the DuckDB run of the same day
# ------------------------------------------------------------------------------------
# Columns that differ between two runs of the same day by nature, not by backend: when a row was
# written, which run wrote it, and the lake's root inside the URLs of landed objects (file:// here,
# gs:// there; normalised, not ignored).
VARIES_BY_RUN = {
    "ingested_at",
    "run_id",
    "first_run_id",
    "last_run_id",
    "started_at",
    "finished_at",
    "first_seen_at",
    "last_attempt_at",
    "resolved_at",
    "graded_at",
}

LAKE_URL_COLUMNS = {"raw_object", "schedule_object", "report_url"}


def _normalised(value, lake_root: str):
    """One value as both backends can be compared by: JSON (a STRING/VARCHAR on one, parsed on the
    other) parsed, timestamps in UTC, the lake's root taken out of object URLs."""
    import json

    if isinstance(value, str):
        value = value.replace(lake_root, "<lake>")
        if value[:1] in "[{":
            try:
                return json.dumps(json.loads(value), sort_keys=True)
            except ValueError:
                return value
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True).replace(lake_root, "<lake>")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, float):
        return round(value, 9)
    return value


def table_contents(warehouse, table: str, lake_root: str) -> list[tuple]:
    """Every row of ``table``, its columns but VARIES_BY_RUN, normalised and sorted (not row order).
    A row's content hash covers the URL of its object in the lake (LAKE_URL_COLUMNS), whose root
    differs by backend: where a table has one, the hash is left out (the URL is compared)."""
    columns = [c for c in warehouse.tables[table]["columns"] if c not in VARIES_BY_RUN]
    if LAKE_URL_COLUMNS & set(columns):
        columns = [c for c in columns if c != "content_hash"]
    rows = warehouse.query(f"SELECT {', '.join(columns)} FROM {table}")  # names from our schema
    return sorted((tuple(_normalised(r[c], lake_root) for c in columns) for r in rows), key=lambda row: repr(row))


def run_on_both(daily_dag, day: str, server, monkeypatch, embedded, tmp_path, bq_emulator, gcs_emulator):
    """The daily DAG (dag.test()) for ``day`` on the embedded default, then on the emulated
    production path; asserts the same task states and every raw and ops table the same rows.
    Returns the BigQuery warehouse, the production settings and the task states."""
    import time

    started = time.monotonic()
    _, duck_states = run_day(daily_dag, day, server, monkeypatch)
    duck_seconds = time.monotonic() - started
    duck = DuckDBWarehouse()
    duck_lake = (embedded / "lake").as_uri()
    expected = {t: table_contents(duck, t, duck_lake) for t in duck.tables if t.split(".")[0] in ("raw", "ops")}

    settings = use_production(bq_emulator, gcs_emulator, monkeypatch, tmp_path)
    started = time.monotonic()
    _, bq_states = run_day(daily_dag, day, server, monkeypatch)
    bq_seconds = time.monotonic() - started
    print(f"daily DAG for {day}: DuckDB {duck_seconds:.1f}s, BigQuery emulated {bq_seconds:.1f}s")
    assert bq_states == duck_states
    warehouse = open_warehouse()
    assert isinstance(warehouse, BigQueryWarehouse)
    got = {t: table_contents(warehouse, t, settings["MLB_LAKE_URL"]) for t in expected}
    assert sum(map(len, got.values())) > 300 and got["raw.pitches"]
    for table in expected:
        assert got[table] == expected[table], table
    return warehouse, settings, bq_states


@needs_fixtures
def test_the_recorded_day_holds_the_same_rows_on_bigquery_as_on_duckdb_and_dbt_builds_on_it(
    daily_dag, embedded, recorded, monkeypatch, tmp_path, bq_emulator, gcs_emulator
):
    """The recorded 2024-07-01 (one of its three games recorded: graded F, as on DuckDB)."""
    from airflow.sdk import ObjectStoragePath

    warehouse, settings, _ = run_on_both(
        daily_dag, "2024-07-01", recorded, monkeypatch, embedded, tmp_path, bq_emulator, gcs_emulator
    )
    # the day's Data Docs, built locally by GX and copied to the gs:// lake
    assert ObjectStoragePath(settings["MLB_LAKE_URL"] + "/quality/data_docs/index.html").exists()

    # dbt on the BigQuery target (the same profile, at the emulator): every model and test
    built = dbt("build", "--full-refresh", tmp_path=tmp_path)
    assert built.returncode == 0, built.stdout[-3000:]
    summary = re.search(r"PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)", built.stdout)
    assert summary and int(summary[1]) > 40 and summary[3] == summary[4] == "0", built.stdout[-1500:]
    features = {r["game_pk"]: r["is_final"] for r in warehouse.query("SELECT * FROM features.game_features")}
    scheduled = {r["game_pk"] for r in warehouse.query("SELECT game_pk FROM raw.schedule")}
    assert set(features) == scheduled and features[744914] is True  # the one game loaded is final
    # A second, incremental run of an insert_overwrite model is not emulated (bqemulator fails it):
    # its SQL, the window of the DAG's daily run, is compiled and checked instead.
    window = '{"features_from": "2024-07-01", "features_to": "2024-07-02"}'
    compiled = dbt("compile", "--select", "game_features", "--vars", window, tmp_path=tmp_path)
    assert compiled.returncode == 0, compiled.stdout[-3000:]
    sql = next((tmp_path / "dbt-target" / "compiled").rglob("game_features.sql")).read_text()
    assert "g.game_date >= cast('2024-07-01' as date) and g.game_date <= cast('2024-07-02' as date)" in sql


def test_a_simulated_day_holds_the_same_rows_with_one_load_job_and_one_merge_a_table(
    daily_dag, embedded, simulated, league, monkeypatch, tmp_path, bq_emulator, gcs_emulator
):
    """A whole simulated game day (every game served): a successful run on both backends, the same
    rows, and on BigQuery at most one load job and one MERGE per table (the emulator's job list)."""
    day = dt.date(2024, 6, 4)
    assert len(league.played_on(day)) >= 10
    warehouse, settings, states = run_on_both(
        daily_dag, day.isoformat(), simulated, monkeypatch, embedded, tmp_path, bq_emulator, gcs_emulator
    )
    assert states["load_raw_tables"] == states["grade_raw_data"] == "success", states
    jobs = list(warehouse.client.list_jobs(all_users=True))
    loads = [j.destination.table_id for j in jobs if j.job_type == "load"]
    merges = [j.query for j in jobs if j.job_type == "query" and j.query.lstrip().upper().startswith("MERGE")]
    raw_tables = [t for t in warehouse.tables if t.startswith("raw.")]
    assert 0 < len(loads) <= len(raw_tables) and len(set(loads)) == len(loads), loads
    merged = [re.match(r"MERGE\s+(?:INTO\s+)?(\S+)", q, re.I)[1].replace("`", "") for q in merges]
    print("load jobs:", sorted(loads), "MERGEs:", sorted(merged))
    merged_raw = [t for t in merged if t.startswith("raw.")]
    assert len(merged_raw) == len(set(merged_raw)), merged_raw


def test_a_backfill_chunk_loads_into_bigquery_from_the_gs_lake_and_is_recorded(production, bigquery, simulated):
    """The bulk backfill's chunk on the production path: one schedule request for its dates,
    landed in gs://, loaded with one load job and one MERGE a table, graded from BigQuery,
    recorded in ops.backfill_chunks (so the chunk is not done again)."""
    from airflow.sdk import ObjectStoragePath

    from mlb_pipeline import backfill
    from mlb_pipeline.source import ClientSettings, SavantClient, StatsApiClient

    chunk = backfill.Chunk("2024-06-10", "2024-06-10")
    clients = {
        "source": StatsApiClient(ClientSettings(simulated.url, concurrency=4)),
        "savant": SavantClient(ClientSettings(simulated.url, concurrency=4, min_interval_s=0)),
    }
    kinds = backfill.history_config()["kinds"]
    result = backfill.run_chunk(
        chunk, chosen=kinds, range_first=chunk.first, every=7, run_id="bq-chunk", concurrency=4, clients=clients
    )
    assert result["status"] == "complete", result["problems"]
    scheduled = [g for g in simulated.backend.league.by_date[dt.date(2024, 6, 10)]]
    assert result["games_loaded"] == len(scheduled) > 0
    assert bigquery.query("SELECT count(*) AS n FROM raw.games WHERE official_date = ?", [dt.date(2024, 6, 10)]) == [
        {"n": len(scheduled)}
    ]
    assert [r["status"] for r in bigquery.query("SELECT status FROM ops.backfill_chunks")] == ["complete"]
    assert backfill.pending_chunks(bigquery, [chunk], kinds) == []
    schedules = ObjectStoragePath(production["MLB_LAKE_URL"]) / "current" / "schedule" / "2024-06-10_to_2024-06-10"
    assert len(list(schedules.iterdir())) == 1


def test_a_game_followed_live_keeps_its_versions_in_gcs_and_its_states_in_bigquery(production, bigquery):
    """The live path on the production backends: the trigger's versions in the gs:// lake (and
    rebuilt from there after a restart), its rows merged into BigQuery, where a restarted task
    finds where it was."""
    import asyncio

    from test_live import follow

    from mlb_pipeline import live
    from mlb_pipeline.landing import RawZone
    from mlb_replay.live import LiveClock, LiveDay
    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    speed, pk, day = 1200, 2401819, dt.date(2024, 7, 2)
    league = League(7, [2024])
    played = LiveDay(league, day, None, [pk])
    with ReplayServer(SimulatedBackend(league, played)) as server:
        played.clock = LiveClock(speed, played.first_start - dt.timedelta(minutes=25))
        game = {"game_pk": pk, "official_date": day.isoformat(), "phase": "regular_season"}
        rows, event = asyncio.run(follow(game, server.url, production["MLB_LAKE_URL"], speed=speed))
    assert event["status"] == "final" and event["stats"]["mismatches"] == 0
    codes = [v.timecode for v in played.timeline(pk)]
    assert [r["timecode"] for r in rows] == codes[
        codes.index(rows[0]["timecode"]) :
    ]  # every version from the first seen
    assert live.load_state_rows(bigquery, rows) == len(rows)
    assert live.load_state_rows(bigquery, rows[-3:]) == 3  # a retried task's rows replace themselves
    through, final_at = live.followed_so_far(bigquery, pk)
    assert through == played.timeline(pk)[-1].timecode and final_at is not None
    [n] = bigquery.query("SELECT count(*) AS n, count(DISTINCT timecode) AS d FROM raw.live_game_state")
    assert n == {"n": len(rows), "d": len(rows)}
    again = live.FollowedGame(RawZone(production["MLB_LAKE_URL"]), pk, day.isoformat(), {"F", "O"}, {"D"})
    again.restore(None)
    assert again.doc == league.feed_doc(pk) and len(again.take_rows()) == len(rows)
