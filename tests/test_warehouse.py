"""The warehouse and the raw zone: idempotent, atomic, and the same schema on both backends."""

from __future__ import annotations

import copy
import re

import duckdb
import pytest

from mlb_pipeline.kinds.game_feed import parse_feed
from mlb_pipeline.landing import RawZone
from mlb_pipeline.settings import sql_dir
from mlb_pipeline.warehouse import DuckDBWarehouse, merge_statement, table_definitions


def test_duckdb_and_bigquery_ddl_declare_the_same_tables():
    duck, bq = table_definitions("duckdb"), table_definitions("bigquery")
    assert duck == bq  # same tables, columns in the same order, same natural keys
    text = (sql_dir() / "bigquery" / "raw.sql").read_text()
    for table in [t for t in bq if t.startswith("raw.")]:
        block = text[text.index(f"CREATE TABLE IF NOT EXISTS {table} (") :]
        block = block[: block.index(";")]
        assert "CLUSTER BY" in block, table
        # Fact tables are partitioned by their date; the two small dimensions are not.
        assert bool(re.search(r"PARTITION BY \w+_date", block)) == (table not in ("raw.teams", "raw.players")), table


def test_merge_statement_binds_values_and_names_only_ddl_columns():
    sql = merge_statement(
        "raw.games", ["game_pk", "home_score", "content_hash"], ["game_pk"], "game_pk", "staged_rows", "?"
    )
    assert sql.count("?") == 1 and "WHEN NOT MATCHED BY SOURCE AND t.game_pk = ?" in sql


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
    broken["pitches"][5]["event_index"] = None  # NOT NULL: fails in the last table, after four merged
    with pytest.raises(duckdb.Error):
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
    """The pipeline talks to either warehouse through the same methods and signatures."""
    import inspect

    from mlb_pipeline.warehouse import BigQueryWarehouse

    public = {n for n, f in inspect.getmembers(DuckDBWarehouse, inspect.isfunction) if not n.startswith("_")}
    for name in public:
        assert hasattr(BigQueryWarehouse, name), name
        duck = inspect.signature(getattr(DuckDBWarehouse, name))
        bq = inspect.signature(getattr(BigQueryWarehouse, name))
        assert list(duck.parameters) == list(bq.parameters), name
