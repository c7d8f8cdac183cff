"""One schema definition (config/schema.yaml), the DDL of both warehouses rendered from it,
and forward-only migrations of an existing warehouse."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlglot import exp

from mlb_pipeline import audit, quality, schema
from mlb_pipeline.warehouse import DuckDBWarehouse

pytestmark = pytest.mark.unit  # the whole module is of the unit tier (make unit)

# raw.games as include/sql/bigquery/raw.sql declared it by hand before the schema was one file.
BIGQUERY_GAMES = (
    "CREATE TABLE IF NOT EXISTS raw.games (game_pk INT64 NOT NULL, official_date DATE NOT NULL, "
    "season STRING NOT NULL, game_type STRING NOT NULL, phase STRING NOT NULL, game_number INT64, "
    "double_header STRING, game_datetime TIMESTAMP, day_night STRING, venue_id INT64, "
    "home_team_id INT64 NOT NULL, away_team_id INT64 NOT NULL, home_score INT64, away_score INT64, "
    "home_hits INT64, away_hits INT64, home_errors INT64, away_errors INT64, innings INT64, "
    "status_code STRING NOT NULL, abstract_state STRING, detailed_state STRING, is_final BOOL NOT NULL, "
    "winning_pitcher_id INT64, losing_pitcher_id INT64, save_pitcher_id INT64, raw_object STRING, "
    "ingested_at TIMESTAMP NOT NULL, source STRING NOT NULL, content_hash STRING NOT NULL, "
    "PRIMARY KEY (game_pk) NOT ENFORCED) PARTITION BY official_date CLUSTER BY home_team_id, away_team_id"
)


def test_bigquery_ddl_is_rendered_from_the_definition():
    tables = schema.load_schema()
    assert schema.create_table_sql(tables["raw.games"], "bigquery") == BIGQUERY_GAMES
    # Types in DuckDB's spelling come out in BigQuery's; JSON stays JSON.
    stats = schema.create_table_sql(tables["raw.player_stats"], "bigquery")
    assert "stats JSON," in stats and "PARTITION BY stats_date CLUSTER BY team_id, player_id" in stats
    assert "FLOAT64" in schema.create_table_sql(tables["raw.pitches"], "bigquery")
    assert schema.ddl("bigquery")[:3] == [f"CREATE SCHEMA IF NOT EXISTS {s}" for s in ("raw", "ops", "ml")]


def _catalog(wh: DuckDBWarehouse) -> dict:
    columns, keys = {}, {}
    for r in wh.query(
        "SELECT schema_name || '.' || table_name AS t, column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE schema_name IN ('raw', 'ops', 'ml') ORDER BY t, column_index"
    ):
        columns.setdefault(r["t"], []).append((r["column_name"], r["data_type"], r["is_nullable"]))
    for r in wh.query(
        "SELECT schema_name || '.' || table_name AS t, constraint_column_names AS k FROM duckdb_constraints() "
        "WHERE schema_name IN ('raw', 'ops', 'ml') AND constraint_type = 'PRIMARY KEY'"
    ):
        keys[r["t"]] = list(r["k"])
    return {"columns": columns, "keys": keys}


def test_duckdb_tables_are_the_definition_column_for_column(embedded):
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    catalog = _catalog(wh)
    tables = schema.load_schema()
    assert set(catalog["columns"]) == set(tables)
    for name, table in tables.items():
        want = [
            (c.name, exp.DataType.build(c.type, dialect="duckdb").sql("duckdb"), not c.not_null) for c in table.columns
        ]
        got = [(c, exp.DataType.build(t, dialect="duckdb").sql("duckdb"), n) for c, t, n in catalog["columns"][name]]
        assert got == want, name
        assert catalog["keys"][name] == list(table.key), name


def test_an_older_warehouse_gains_a_new_column_once_and_keeps_its_rows(embedded):
    """A warehouse created from an older definition (raw.games without its last decision
    columns, no ops.audit_reports) is brought forward: the columns are added (nullable, at
    the end), the table created, the rows kept, each change recorded once; again, nothing."""
    current = schema.load_schema()
    games = current["raw.games"]
    older = dict(current)
    older["raw.games"] = dataclasses.replace(
        games, columns=tuple(c for c in games.columns if c.name not in ("save_pitcher_id", "raw_object"))
    )
    del older["ops.audit_reports"]
    old = DuckDBWarehouse()
    old.schema = older
    old.ensure_schema()
    now = dt.datetime.now(dt.UTC)
    old.execute(
        "INSERT INTO raw.games (game_pk, official_date, season, game_type, phase, home_team_id, away_team_id, "
        "status_code, is_final, ingested_at, source, content_hash) "
        "VALUES (1, DATE '2024-07-01', '2024', 'R', 'regular-season', 10, 20, 'F', true, ?, 'statsapi', 'h')",
        [now],
    )
    assert not old.has_table("ops", "audit_reports")

    wh = DuckDBWarehouse()
    wh.ensure_schema()
    columns = [r["column_name"] for r in wh.query("DESCRIBE raw.games")]
    assert columns == [c for c in games.column_names if c not in ("save_pitcher_id", "raw_object")] + [
        "save_pitcher_id",
        "raw_object",
    ]
    assert wh.query("SELECT game_pk, raw_object, save_pitcher_id FROM raw.games") == [
        {"game_pk": 1, "raw_object": None, "save_pitcher_id": None}
    ]
    assert wh.has_table("ops", "audit_reports")
    recorded = "SELECT table_name, column_name, column_type FROM ops.schema_migrations ORDER BY column_name"
    first = wh.query(recorded)
    assert first == [
        {"table_name": "raw.games", "column_name": "raw_object", "column_type": "VARCHAR"},
        {"table_name": "raw.games", "column_name": "save_pitcher_id", "column_type": "BIGINT"},
    ]
    before = wh.table_checksums()
    again = DuckDBWarehouse()
    again.ensure_schema()  # a fresh object reads the catalog once more and finds nothing to do
    assert again.query(recorded) == first and again.table_checksums() == before


def test_a_new_not_null_column_needs_a_default(embedded):
    games = schema.load_schema()["raw.games"]
    present = {"raw.games": set(games.column_names)}
    required = dataclasses.replace(games, columns=(*games.columns, schema.Column("attendance", "INTEGER", True)))
    with pytest.raises(schema.SchemaError, match=r"raw\.games\.attendance is NOT NULL without a DEFAULT"):
        schema.plan_migration({"raw.games": required}, present)
    defaulted = dataclasses.replace(games, columns=(*games.columns, schema.Column("attendance", "INTEGER", True, "0")))
    plan = schema.plan_migration({"raw.games": defaulted}, present)
    assert [(t.name, c.name) for t, c in plan.add] == [("raw.games", "attendance")] and not plan.create
    assert schema.add_column_sql(defaulted, plan.add[0][1], "duckdb") == (
        "ALTER TABLE raw.games ADD COLUMN IF NOT EXISTS attendance INT DEFAULT 0"
    )
    assert schema.add_column_sql(defaulted, plan.add[0][1], "bigquery") == (
        "ALTER TABLE raw.games ADD COLUMN IF NOT EXISTS attendance INT64 DEFAULT 0"
    )
    # On DuckDB the existing rows take the default.
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    wh.execute(
        "INSERT INTO raw.games (game_pk, official_date, season, game_type, phase, home_team_id, away_team_id, "
        "status_code, is_final, ingested_at, source, content_hash) "
        "VALUES (1, DATE '2024-07-01', '2024', 'R', 'regular-season', 10, 20, 'F', true, now(), 'statsapi', 'h')"
    )
    newer = DuckDBWarehouse()
    newer.schema = {**schema.load_schema(), "raw.games": defaulted}
    newer.ensure_schema()
    assert newer.query("SELECT attendance FROM raw.games") == [{"attendance": 0}]


def test_definitions_name_only_their_own_columns():
    with pytest.raises(schema.SchemaError, match="official_dat"):
        schema.parse_table("raw.x", {"key": ["a"], "date_column": "official_dat", "columns": {"a": "BIGINT NOT NULL"}})
    t = schema.parse_table("raw.x", {"key": ["a"], "columns": {"a": "BIGINT NOT NULL", "b": "VARCHAR[] DEFAULT []"}})
    assert t.columns == (schema.Column("a", "BIGINT", True), schema.Column("b", "VARCHAR[]", False, "[]"))


def test_batches_and_audits_take_their_dates_from_the_definition():
    """quality's batch queries and the audit's row counts read each table's date_column."""
    tables = schema.load_schema()
    graded = {n.split(".", 1)[1] for n, t in tables.items() if t.schema == "raw" and t.date_column and t.graded}
    assert set(quality.BATCH_QUERIES) == graded
    assert {"games", "team_lines", "statcast_pitches", "rosters", "standings"} <= graded
    assert not graded & {"teams", "players", "schedule", "statcast_games"}
    assert quality.BATCH_QUERIES["games"] == "SELECT * FROM raw.games WHERE official_date = ? AND is_final"
    assert quality.BATCH_QUERIES["statcast_pitches"] == (
        "SELECT t.* FROM raw.statcast_pitches AS t JOIN raw.games AS g USING (game_pk) "
        "WHERE g.official_date = ? AND g.is_final"
    )
    assert quality.BATCH_QUERIES["rosters"] == "SELECT * FROM raw.rosters WHERE roster_date = ?"
    assert not hasattr(audit, "DATE_COLUMNS")
    assert tables["raw.statcast_pitches"].date_column == "game_date" and tables["raw.players"].date_column is None
