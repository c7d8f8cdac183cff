"""The warehouse and the raw zone: idempotent, atomic, and the same schema on both backends."""

from __future__ import annotations

import copy
import datetime as dt
import re

import pytest
import sqlglot
from sqlglot import exp

from mlb_pipeline import quality, schema
from mlb_pipeline.gaps import final_games_loaded
from mlb_pipeline.kinds.game_feed import parse_feed
from mlb_pipeline.kinds.statcast import _feed_pitches
from mlb_pipeline.landing import RawZone
from mlb_pipeline.warehouse import (
    PLAYERS_MERGE,
    BigQueryWarehouse,
    DuckDBWarehouse,
    Warehouse,
    merge_statement,
    quoted_bigquery,
    table_definitions,
    to_bigquery,
    without_primary_key,
)


def _declared(statement: str, dialect: str) -> dict:
    """Table, columns in order and key, as a rendered CREATE TABLE declares them (read back by sqlglot)."""
    create = sqlglot.parse_one(statement, read=dialect)
    return {
        "table": create.this.this.sql(),
        "columns": [c.name for c in create.this.expressions if isinstance(c, exp.ColumnDef)],
        "key": [k.name for k in create.find(exp.PrimaryKey).expressions],
    }


pytestmark = pytest.mark.unit  # the whole module is of the unit tier (make unit)


def test_duckdb_and_bigquery_ddl_declare_the_same_tables():
    tables = schema.load_schema()
    duck = [_declared(schema.create_table_sql(t, "duckdb"), "duckdb") for t in tables.values()]
    bq = [_declared(schema.create_table_sql(t, "bigquery"), "bigquery") for t in tables.values()]
    assert duck == bq  # same tables, columns in the same order, same natural keys
    assert {d["table"]: {"columns": d["columns"], "key": d["key"]} for d in bq} == {
        name: {"columns": spec["columns"], "key": spec["key"]} for name, spec in table_definitions().items()
    }
    for table in [t for t in tables if t.startswith("raw.")]:
        block = schema.create_table_sql(tables[table], "bigquery")
        assert "CLUSTER BY" in block and "NOT ENFORCED" in block, table
        # Fact tables are partitioned by their date; the small dimensions are not.
        dimensions = ("raw.teams", "raw.players", "raw.retrosheet_teams")
        assert bool(re.search(r"PARTITION BY \w+_date", block)) == (table not in dimensions), table


def test_merge_statement_binds_values_and_names_only_ddl_columns():
    cols = ["game_pk", "official_date", "home_score", "content_hash"]
    sql = merge_statement("raw.games", cols, ["game_pk"], ["game_pk"], '"staged"', "official_date")
    assert sql.count("?") == 5 and sql.startswith('MERGE INTO "raw"."games" AS t USING "staged" AS s')
    assert 'ON (t."game_pk" = s."game_pk" AND t."official_date" BETWEEN ? AND ?)' in sql
    assert (
        'WHEN NOT MATCHED BY SOURCE AND t."official_date" BETWEEN ? AND ? '
        'AND t."game_pk" IN (SELECT * FROM UNNEST(?)) THEN DELETE'
    ) in sql
    several = merge_statement(
        "raw.rosters", ["roster_date", "team_id", "player_id"], ["player_id"], ["roster_date", "team_id"], "s"
    )
    assert (
        several.count("?") == 1
        and 'CAST(t."roster_date" AS VARCHAR) || chr(31) || CAST(t."team_id" AS VARCHAR)' in several
    )


@pytest.fixture
def sim_rows(league):
    pk = sorted(league.games)[700]
    return pk, parse_feed(league.feed_doc(pk))


def test_reloading_a_game_rewrites_only_changed_rows(embedded, sim_rows):
    pk, rows = sim_rows
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    wh.load_game(pk, rows, source="statsapi")
    first = wh.query("SELECT player_id, ingested_at, rbi FROM raw.batting_lines ORDER BY player_id")
    changed = copy.deepcopy(rows)
    changed["batting_lines"][0]["rbi"] += 1  # a post-game stat correction
    del changed["pitches"][-1]  # and a pitch the source withdrew
    wh.load_game(pk, changed, source="statsapi")
    second = wh.query("SELECT player_id, ingested_at, rbi FROM raw.batting_lines ORDER BY player_id")
    moved = [(a["player_id"], b["rbi"]) for a, b in zip(first, second) if a["ingested_at"] != b["ingested_at"]]
    assert moved == [(changed["batting_lines"][0]["player_id"], changed["batting_lines"][0]["rbi"])]
    assert wh.query("SELECT count(*) n FROM raw.pitches WHERE game_pk = ?", [pk])[0]["n"] == len(rows["pitches"]) - 1


def test_a_game_loads_completely_or_not_at_all(embedded, sim_rows):
    pk, rows = sim_rows
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    broken = copy.deepcopy(rows)
    broken["pitches"][5]["event_index"] = None  # NOT NULL: every table's rows are checked before any merge
    with pytest.raises(ValueError, match="raw.pitches.event_index is NOT NULL"):
        wh.load_game(pk, broken, source="statsapi")
    for table in ("games", "linescore_innings", "batting_lines", "pitching_lines", "pitches"):
        assert wh.query(f"SELECT count(*) n FROM raw.{table}")[0]["n"] == 0, table
    wh.load_game(pk, rows, source="statsapi")  # the retry loads it whole, once
    assert wh.query("SELECT count(*) n FROM raw.pitches")[0]["n"] == len(rows["pitches"])


def test_rows_with_unknown_columns_are_refused(embedded, sim_rows):
    pk, rows = sim_rows
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    bad = copy.deepcopy(rows)
    bad["games"][0]["surprise"] = 1
    with pytest.raises(ValueError, match="surprise"):
        wh.load_game(pk, bad, source="statsapi")


def test_raw_zone_writes_each_content_once(tmp_path):
    zone = RawZone((tmp_path / "lake").as_uri())
    key = zone.game_key(1, "2024-07-01", "regular-season", final=True)
    a = zone.land(key, "feed_live", b'{"v": 1}')
    again = zone.land(key, "feed_live", b'{"v": 1}')
    b = zone.land(key, "feed_live", b'{"v": 2}')
    assert a.written and not again.written and b.written and a.url != b.url
    assert "current/regular-season/games/2024-07-01/1/feed_live-" in a.url
    assert zone.game_key(1, "2024-07-01", "regular-season", final=False) == ("live", "games", "1")
    q = zone.quarantine("2024-07-01", "1", "feed_live", b'{"v":', "body is not valid JSON", "http://x/y")
    reason = (tmp_path / "lake/quarantine/2024-07-01/1").glob("*.reason.json")
    assert "not valid JSON" in next(reason).read_text() and q.url.endswith(".json")


def test_both_backends_offer_the_same_operations():
    """The pipeline talks to either warehouse through the same methods and signatures: both
    implement the one base class completely (nothing abstract left)."""
    import inspect

    assert issubclass(DuckDBWarehouse, Warehouse) and issubclass(BigQueryWarehouse, Warehouse)
    assert not DuckDBWarehouse.__abstractmethods__ and not BigQueryWarehouse.__abstractmethods__
    public = {n for n, f in inspect.getmembers(DuckDBWarehouse, inspect.isfunction) if not n.startswith("_")}
    assert {"load_game", "merge_tables", "refresh_players", "ensure_schema", "record_run"} <= public
    for name in public:
        assert hasattr(BigQueryWarehouse, name), name
        duck = inspect.signature(getattr(DuckDBWarehouse, name))
        bq = inspect.signature(getattr(BigQueryWarehouse, name))
        assert list(duck.parameters) == list(bq.parameters), name


class _SeenWarehouse(DuckDBWarehouse):
    """A real DuckDB warehouse that also keeps every statement it was asked to read with."""

    def __init__(self, path):
        super().__init__(path)
        self.seen = []

    def query(self, sql, params=None, con=None):
        if con is not None:  # without one, DuckDB's query opens one and calls itself again
            self.seen.append(sql)
        return super().query(sql, params, con)

    def frame(self, sql, params=None, con=None):
        if con is not None:
            self.seen.append(sql)
        return super().frame(sql, params, con)


def test_statements_are_written_once_and_translate_to_bigquery(tmp_path):
    """Code outside the warehouse writes DuckDB's SQL only; the BigQuery warehouse translates it.
    The statements that used to branch on the backend (membership in a list of games), the
    batch queries and the players' MERGE come out as BigQuery's own forms and run here on DuckDB."""
    wh = _SeenWarehouse(tmp_path / "w.duckdb")
    wh.ensure_schema()
    wh.seen.clear()
    assert final_games_loaded(wh, [1, 2]) == set() and _feed_pitches(wh, [1]) == {}
    quality.read_batch(wh, "2024-07-01")
    assert wh.refresh_players(["2024-07-01"]) == 0
    membership = [s for s in wh.seen if "list_contains" in s]
    assert len(membership) == 2 and len(wh.seen) == 2 + len(quality.BATCH_QUERIES) + 1
    for sql in membership:
        out = to_bigquery(sql)
        assert "list_contains" not in out.lower() and "FROM UNNEST(?)" in out, out
        sqlglot.parse_one(out, read="bigquery")
    for sql in quality.BATCH_QUERIES.values():
        assert to_bigquery(sql) == quoted_bigquery(sql)  # portable as written (table names quoted)
    wh.seen.clear()
    quality.read_batches(wh, ["2024-07-01", "2024-07-02"])  # a backfill's chunk: the dates a bound list
    assert len(wh.seen) == len(quality.BATCH_QUERIES)
    for sql in wh.seen:
        assert to_bigquery(sql) == quoted_bigquery(sql) and sql.count("?") == 2, sql
    players = to_bigquery(PLAYERS_MERGE)
    assert players.count("UNNEST(CAST(? AS ARRAY<DATE>))") == 4 and players.count("?") == 5
    assert "MIN_BY(player_name" in players and "TO_HEX(MD5(" in players and "::" not in players
    assert not re.search(r"list_contains|arg_min", players, re.I)
    merge = to_bigquery(
        merge_statement(
            "raw.games", ["game_pk", "official_date", "content_hash"], ["game_pk"], ["game_pk"], "s_1", "official_date"
        )
    )
    assert merge.startswith("MERGE INTO `raw`.`games` AS t USING s_1 AS s ON (t.`game_pk` = s.`game_pk` AND ")
    assert (
        "WHEN NOT MATCHED BY SOURCE AND t.`official_date` BETWEEN ? AND ? AND t.`game_pk` IN UNNEST(?) THEN DELETE"
    ) in merge


def test_players_are_discovered_from_dates_given_as_dates_or_text(embedded, sim_rows):
    """``refresh_players`` binds the dates as a DATE list (BigQuery needs the type); DuckDB
    takes them as it took the text before."""
    pk, rows = sim_rows
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    wh.load_game(pk, rows, source="statsapi")
    day = rows["games"][0]["official_date"]
    n = wh.refresh_players([str(day)])
    assert n == len({r["player_id"] for t in ("batting_lines", "pitching_lines") for r in rows[t]}) > 0
    assert wh.refresh_players([dt.date.fromisoformat(str(day)[:10])]) == n


def test_bigquery_statements_quote_every_table_name_and_only_those():
    """`ml`.`predictions`, not ml.predictions (which bqemulator takes for ML.PREDICT; a dashed
    project needs quoting too); columns, aliases and CTE names stay as written."""
    sql = "WITH s AS (SELECT 1 AS game_pk) SELECT p.game_pk FROM ml.predictions AS p JOIN s USING (game_pk)"
    assert to_bigquery(sql) == (
        "WITH s AS (SELECT 1 AS game_pk) SELECT p.game_pk FROM `ml`.`predictions` AS p JOIN s USING (game_pk)"
    )
    merge = to_bigquery(merge_statement("raw.games", ["game_pk", "content_hash"], ["game_pk"], ["game_pk"], "_st.g"))
    assert merge.startswith("MERGE INTO `raw`.`games` AS t USING `_st`.`g` AS s ON (t.`game_pk` = s.`game_pk`)")
    ddl = quoted_bigquery(schema.create_table_sql(schema.load_schema()["ml.predictions"], "bigquery"))
    assert ddl.startswith("CREATE TABLE IF NOT EXISTS `ml`.`predictions` (")


def test_an_emulator_gets_the_tables_without_their_unenforced_keys():
    """bqemulator rejects PRIMARY KEY ... NOT ENFORCED (real BigQuery syntax, kept for BigQuery):
    at an emulator only, the same table is created without it."""
    ddl = schema.create_table_sql(schema.load_schema()["raw.games"], "bigquery")
    assert "PRIMARY KEY (game_pk) NOT ENFORCED" in ddl
    bare = without_primary_key(ddl)
    assert "PRIMARY KEY" not in bare and "ENFORCED" not in bare
    assert bare.replace(" ", "") in ddl.replace(" ", "").replace(",PRIMARYKEY(game_pk)NOTENFORCED", "")
