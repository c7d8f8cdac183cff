"""The warehouse: normalised raw tables and run records, on DuckDB or BigQuery.

Both backends hold the tables of ``config/schema.yaml`` (DDL rendered by :mod:`mlb_pipeline.schema`)
and run the same statements: every statement is written once, in DuckDB's dialect, and the
BigQuery warehouse translates it with sqlglot (:func:`to_bigquery`). Code outside this module
never asks which backend it talks to. :class:`Warehouse` holds what both share: the MERGE per
table built from the schema (identifiers are ours; every value is a bound parameter or a staged
row, never text), loading, the players' discovery, the run records, and ``ensure_schema``, which
creates what is missing and adds the columns a table gained (forward only, recorded).

Loading is batched: a day's games (or a backfill chunk's, over any dates) are parsed, their rows
concatenated per table, and each table is staged once and merged with ONE MERGE scoped to every
game of the batch, so rows a new response no longer has (a corrected play, say) are deleted in the
same statement. A table's MERGE is atomic; a load stopped between tables is completed by running
it again, and ``raw.games`` goes last, so a game counts as loaded only once all its tables are.
Re-loading an unchanged game changes nothing, not even ``ingested_at``: rows are only rewritten
when their content hash differs.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import functools
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

import orjson
from tenacity import retry, retry_if_exception, stop_after_delay, wait_exponential

from mlb_pipeline import schema, settings
from mlb_pipeline.kinds import GAME_TABLES
from mlb_pipeline.parse import row_hashes

log = logging.getLogger(__name__)

META_COLUMNS = ("ingested_at", "source", "content_hash")


# ------------------------------------------------------------------------------------
# Table definitions, from config/schema.yaml
# ------------------------------------------------------------------------------------
class TableSpec(TypedDict):
    """What the loading and checking code needs of a table (see :mod:`mlb_pipeline.schema`)."""

    columns: list[str]
    key: list[str]
    date_column: str | None


def table_definitions() -> dict[str, TableSpec]:
    """``{"raw.games": {"columns": [...], "key": [...], "date_column": ...}, ...}`` in creation order."""
    return {
        name: {"columns": t.column_names, "key": list(t.key), "date_column": t.date_column}
        for name, t in schema.load_schema().items()
    }


def quote_table_names(statement):
    """Quote every part of each dataset-qualified table name in a parsed statement (sqlglot), in
    place, and return it: `ml`.`predictions`, not ml.predictions (which an emulator takes for
    ML.PREDICT), as any name in BigQuery may need. Columns and CTE names are left as written."""
    from sqlglot import exp

    for table in statement.find_all(exp.Table):
        if table.args.get("db") is None or "INFORMATION_SCHEMA" in table.sql().upper():
            continue
        for part in ("catalog", "db", "this"):
            identifier = table.args.get(part)
            if isinstance(identifier, exp.Identifier):
                identifier.set("quoted", True)
    return statement


@functools.lru_cache(maxsize=1024)
def to_bigquery(sql: str) -> str:
    """One statement of ours, written in DuckDB's dialect, in BigQuery's (sqlglot; cached), its
    table names quoted (:func:`quote_table_names`). sqlglot raises where it knows BigQuery has no
    form; a function it does not know passes through unchanged, so the statements we have are
    read in tests/test_warehouse.py."""
    import sqlglot
    from sqlglot.errors import ErrorLevel

    return ";\n".join(
        quote_table_names(statement.transform(_in_unnest)).sql(dialect="bigquery", unsupported_level=ErrorLevel.RAISE)
        for statement in sqlglot.parse(sql, read="duckdb")
    )


def _in_unnest(node):
    """``x IN (SELECT * FROM UNNEST(?))`` (how our statements test membership in a bound list and
    run on DuckDB) as BigQuery's own ``x IN UNNEST(?)``: no subquery, so it may stand in a MERGE's
    clauses and beside a partition filter."""
    from sqlglot import exp

    query = node.args.get("query") if isinstance(node, exp.In) else None
    select = query.this if isinstance(query, exp.Subquery) else None
    if (
        isinstance(select, exp.Select)
        and isinstance(select.args.get("from_"), exp.From)
        and isinstance(select.args["from_"].this, exp.Unnest)
        and [type(e) for e in select.expressions] == [exp.Star]
        and not any(select.args.get(k) for k in ("where", "joins", "group", "limit"))
    ):
        return exp.In(this=node.this, unnest=select.args["from_"].this.copy())
    return node


def quoted(name: str) -> str:
    """``raw.games`` as ``"raw"."games"``: every name in our statements quoted (DuckDB's dialect;
    sqlglot renders BigQuery's backticks), so no name of ours trips a keyword or a reserved prefix."""
    return ".".join(f'"{part}"' for part in name.split("."))


def quoted_bigquery(sql: str) -> str:
    """A statement already in BigQuery's dialect (our DDL, say), its table names quoted."""
    import sqlglot

    return ";\n".join(quote_table_names(s).sql(dialect="bigquery") for s in sqlglot.parse(sql, read="bigquery"))


def merge_statement(
    table: str,
    columns: list[str],
    key: list[str],
    scope_columns: list[str],
    staged: str,
    prune_column: str | None = None,
    rewrite: bool = False,
) -> str:
    """One MERGE that upserts the ``staged`` rows of a whole batch into ``table`` and deletes the
    rows of the batch's scopes (its games, say) that the staged rows no longer have. Matched rows
    are rewritten only when their content hash or source differ, unless ``rewrite`` (a repair).

    Its parameters, in order (:func:`merge_parameters`): with ``prune_column``, the first and
    last date of the batch twice (the ON clause and the delete both name the partition column,
    so BigQuery reads only those partitions); then the batch's scope values as one list (one
    scope column: its values; several: each scope's values joined by :data:`SCOPE_SEPARATOR`).
    Identifiers come from our schema, quoted; every value is bound.
    """
    col = {c: f'"{c}"' for c in columns}
    prune = f"t.{col[prune_column]} BETWEEN ? AND ?" if prune_column else None
    on = " AND ".join([*(f"t.{col[k]} = s.{col[k]}" for k in key), *([prune] if prune else [])])
    updates = ", ".join(f"{col[c]} = s.{col[c]}" for c in columns if c not in key)
    in_scope = " AND ".join([*([prune] if prune else []), scope_condition(scope_columns)])
    return (
        f"MERGE INTO {quoted(table)} AS t USING {staged} AS s ON ({on}) "
        + (
            "WHEN MATCHED "
            if rewrite
            else 'WHEN MATCHED AND (t."content_hash" <> s."content_hash" OR t."source" <> s."source") '
        )
        + f"THEN UPDATE SET {updates} "
        f"WHEN NOT MATCHED BY TARGET THEN INSERT ({', '.join(col.values())}) "
        f"VALUES ({', '.join(f's.{c}' for c in col.values())}) "
        f"WHEN NOT MATCHED BY SOURCE AND {in_scope} THEN DELETE"
    )


SCOPE_SEPARATOR = chr(31)  # joins a scope's values when it has several columns (unit separator)


def scope_condition(scope_columns: list[str]) -> str:
    """``t``'s rows in the batch's scopes, one list parameter: one column's values, or each
    scope's values as text joined by :data:`SCOPE_SEPARATOR` (both backends cast alike)."""
    if len(scope_columns) == 1:
        scoped = f't."{scope_columns[0]}"'
    else:
        scoped = " || chr(31) || ".join(f'CAST(t."{c}" AS VARCHAR)' for c in scope_columns)
    return f"{scoped} IN (SELECT * FROM UNNEST(?))"


def merge_parameters(scope_values: list, dates: list[dt.date] | None) -> list:
    """The bound values of :func:`merge_statement`, in order."""
    prune = [min(dates), max(dates)] if dates else []
    return [*prune, *prune, scope_values]


# Players seen in box scores and rosters of some dates, merged into raw.players. The
# content hash is the name's: first/last-seen dates move without counting as a change.
# First seen is decided from all evidence, the same whatever order it arrives in: the
# earliest date, and on that date box score before roster before transaction (their
# alphabetical order); the name comes with it. So a day repaired after a failed run (its
# rosters loaded first, its box scores later) ends as a clean run of it does. Parameters: the
# dates (a DATE list) four times, then the time of the discovery.
PLAYERS_MERGE = """
MERGE INTO raw.players AS t
USING (
    SELECT player_id, arg_min(player_name, CAST(seen AS VARCHAR) || seen_in || coalesce(player_name, ''))
               AS full_name, min(seen) AS first_seen_date,
           max(seen) AS last_seen_date, arg_min(seen_in, CAST(seen AS VARCHAR) || seen_in) AS first_seen_in
    FROM (
        SELECT player_id, player_name, official_date AS seen, 'boxscore' AS seen_in
          FROM raw.batting_lines WHERE list_contains(CAST(? AS DATE[]), official_date)
        UNION ALL
        SELECT player_id, player_name, official_date, 'boxscore'
          FROM raw.pitching_lines WHERE list_contains(CAST(? AS DATE[]), official_date)
        UNION ALL
        SELECT player_id, player_name, roster_date, 'roster'
          FROM raw.rosters WHERE list_contains(CAST(? AS DATE[]), roster_date)
        UNION ALL
        SELECT player_id, player_name, transaction_date, 'transaction'
          FROM raw.transactions WHERE list_contains(CAST(? AS DATE[]), transaction_date) AND player_id IS NOT NULL
    ) GROUP BY player_id
) AS s ON t.player_id = s.player_id
WHEN MATCHED AND (s.first_seen_date < t.first_seen_date OR s.last_seen_date > t.last_seen_date
                  OR (s.first_seen_date = t.first_seen_date AND s.first_seen_in < t.first_seen_in)) THEN UPDATE SET
    first_seen_date = least(t.first_seen_date, s.first_seen_date),
    first_seen_in = CASE WHEN s.first_seen_date < t.first_seen_date
                           OR (s.first_seen_date = t.first_seen_date AND s.first_seen_in < t.first_seen_in)
                         THEN s.first_seen_in ELSE t.first_seen_in END,
    full_name = CASE WHEN s.first_seen_date < t.first_seen_date
                       OR (s.first_seen_date = t.first_seen_date AND s.first_seen_in < t.first_seen_in)
                     THEN s.full_name ELSE t.full_name END,
    content_hash = CASE WHEN s.first_seen_date < t.first_seen_date
                          OR (s.first_seen_date = t.first_seen_date AND s.first_seen_in < t.first_seen_in)
                        THEN md5(coalesce(s.full_name, '')) ELSE t.content_hash END,
    last_seen_date = greatest(t.last_seen_date, s.last_seen_date)
WHEN NOT MATCHED THEN INSERT (player_id, full_name, first_seen_date, last_seen_date, first_seen_in,
                              ingested_at, source, content_hash)
    VALUES (s.player_id, s.full_name, s.first_seen_date, s.last_seen_date, s.first_seen_in, ?,
            'discovered', md5(coalesce(s.full_name, '')))
"""


def _typed(value, column_type: str):
    """A scope or date value as its column's type holds it (dates arrive as text or dates)."""
    if value is None:
        return None
    if column_type == "DATE":
        return value if type(value) is dt.date else dt.date.fromisoformat(str(value)[:10])
    if column_type in ("BIGINT", "INTEGER"):
        return int(value)
    return value


def _as_text(value) -> str:
    """A typed value as ``CAST(... AS VARCHAR)`` writes it on both backends."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, dt.date) else str(value)


ARROW_TYPES = {  # our column types (DuckDB's spelling) as Parquet carries them to BigQuery
    "BIGINT": "int64",
    "INTEGER": "int64",
    "DOUBLE": "float64",
    "VARCHAR": "string",
    "JSON": "string",
    "BOOLEAN": "bool_",
    "DATE": "date32",
}


def arrow_schema(table: schema.Table):
    """The Arrow schema of a table's staged rows, typed as the table is (a staged frame infers
    its types from the rows: dates as text, a column of NULLs as null)."""
    import pyarrow as pa

    def arrow_type(column_type: str):
        if column_type == "TIMESTAMPTZ":
            return pa.timestamp("us", tz="UTC")
        return getattr(pa, ARROW_TYPES[column_type])()

    return pa.schema([(c.name, arrow_type(c.type)) for c in table.columns])


def stage_frame(rows: list[dict], columns: list[str], ingested_at: dt.datetime, source: str | list[str], values=None):
    """Rows with their meta columns, in table column order, as an Arrow table; ``source`` is
    every row's, or one a row (a batch mixes games from the API and from the raw zone).
    ``values``: the same rows already as an Arrow table (a CSV read by Arrow), whose columns are
    taken as they are; ``rows`` are then only hashed."""
    import pyarrow as pa

    content_cols = [c for c in columns if c not in META_COLUMNS]
    known = set(content_cols)
    for row in rows:
        if not known.issuperset(row):
            raise ValueError(f"rows carry columns the table does not have: {sorted(set(row) - known)}")
    given = set(values.column_names) if values is not None else set()
    data = {c: values.column(c) if c in given else [row.get(c) for row in rows] for c in content_cols}
    hashes = row_hashes(rows, content_cols)
    data["ingested_at"] = [ingested_at] * len(rows)
    data["source"] = [source] * len(rows) if isinstance(source, str) else list(source)
    data["content_hash"] = hashes
    return pa.table({c: data[c] for c in columns})


def game_load_order() -> list[str]:
    """The game tables in load order: ``games`` last, so a game counts as loaded (final in the
    warehouse, and skipped by later plans) only once every other table holds its rows."""
    return [t for t in GAME_TABLES if t != "games"] + ["games"]


def checked_frame(table: str, rows: list[dict], ingested_at: dt.datetime, source: str | list[str], values=None):
    """:func:`stage_frame` of ``table``'s rows, checked against the schema (unknown columns,
    missing values of NOT NULL columns: ValueError) before anything of a batch is merged."""
    definition = schema.load_schema()[table]
    frame = stage_frame(rows, definition.column_names, ingested_at, source, values)
    for column in definition.columns:
        if column.not_null and frame.column(column.name).null_count:
            raise ValueError(f"{table}.{column.name} is NOT NULL; {frame.column(column.name).null_count} rows lack it")
    return frame


def typed_frame(table: str, rows: list[dict], ingested_at: dt.datetime, source: str | list[str], values=None):
    """:func:`checked_frame` cast to the table's own types (:func:`arrow_schema`): frames of many
    batches concatenate, and their Parquet reads back as it was written."""
    frame = checked_frame(table, rows, ingested_at, source, values)
    return frame.cast(arrow_schema(schema.load_schema()[table]))


# ------------------------------------------------------------------------------------
# What both warehouses share
# ------------------------------------------------------------------------------------
class Warehouse(abc.ABC):
    """The warehouse the pipeline talks to. Subclasses say how to connect, run a statement,
    and stage a batch's rows of a table for its MERGE; everything else is written here once.
    Statements are written in DuckDB's dialect (``query``, ``frame`` and ``execute`` take them
    so on both backends)."""

    backend: str  # the SQL dialect it speaks: duckdb | bigquery

    def __init__(self) -> None:
        self.schema = schema.load_schema()
        self.tables = table_definitions()
        self._schema_ensured = False
        # Every stage and MERGE a load issued, ("stage" | "merge", table), in order: how tests and
        # benchmarks count a batch's statements on either backend.
        self.statement_log: list[tuple[str, str]] = []

    # -- what each backend provides ------------------------------------------------------
    @abc.abstractmethod
    def connect(self, read_only: bool = False) -> contextlib.AbstractContextManager: ...

    @contextlib.contextmanager
    def kept_open(self) -> Iterator[None]:
        """Hold what ``connect()`` opens for the block (DuckDB's database); nothing on BigQuery."""
        yield

    @abc.abstractmethod
    def query(self, sql: str, params: list | None = None, con=None) -> list[dict]: ...

    @abc.abstractmethod
    def frame(self, sql: str, params: list | None = None, con=None): ...

    @abc.abstractmethod
    def execute(self, sql: str, params: list | None = None) -> None: ...

    @abc.abstractmethod
    def has_table(self, schema: str, table: str) -> bool: ...

    @abc.abstractmethod
    def record_dead_letter(self, letter: dict, run_id: str) -> None: ...

    @abc.abstractmethod
    def table_checksums(self) -> dict[str, str]: ...

    @abc.abstractmethod
    def _run_on(self, con, sql: str, params: list | None = None) -> None:
        """Run one statement (DuckDB's dialect) on ``con``."""

    @abc.abstractmethod
    def _run_ddl(self, con, statements: list[str]) -> None:
        """Run DDL already rendered in this backend's dialect."""

    @abc.abstractmethod
    def _present_columns(self, con) -> dict[str, set[str]]:
        """``{"raw.games": {column, ...}}`` of the schemas we define: one catalog read."""

    @abc.abstractmethod
    def _stage(self, con, table: str, frame) -> str:
        """Make a batch's rows of ``table`` (an Arrow table) readable by one MERGE; returns the
        (quoted) name it is read by."""

    @abc.abstractmethod
    def _unstage(self, con, staged: str) -> None: ...

    @abc.abstractmethod
    def _replace(self, table: str, rows: list[dict], json_columns: tuple[str, ...]) -> None:
        """Insert ``rows``, replacing those with the same key."""

    # -- the schema ----------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create the schemas and tables that are missing and add the columns a table gained
        since it was created (nullable, recorded in ``ops.schema_migrations``); never drop or
        retype. One catalog read, once per warehouse object."""
        if self._schema_ensured:
            return
        with self.connect() as con:
            schemas = dict.fromkeys(t.schema for t in self.schema.values())
            self._run_ddl(con, [schema.create_schema_sql(s, self.backend) for s in schemas])
            plan = schema.plan_migration(self.schema, self._present_columns(con))
            self._run_ddl(con, [schema.create_table_sql(t, self.backend) for t in plan.create])
            for table, column in plan.add:
                self._run_ddl(con, [schema.add_column_sql(table, column, self.backend)])
                self._run_on(
                    con,
                    "INSERT INTO ops.schema_migrations (table_name, column_name, column_type, applied_at) "
                    "SELECT ?, ?, ?, ? WHERE NOT EXISTS "
                    "(SELECT 1 FROM ops.schema_migrations WHERE table_name = ? AND column_name = ?)",
                    [table.name, column.name, column.type, dt.datetime.now(dt.UTC), table.name, column.name],
                )
                log.warning("schema: added %s.%s %s (forward migration)", table.name, column.name, column.type)
        self._schema_ensured = True

    # -- loading -------------------------------------------------------------------------
    def load_game(
        self,
        game_pk: int,
        tables: dict[str, list[dict]],
        source: str,
        ingested_at: dt.datetime | None = None,
        con=None,
        rewrite: bool = False,
    ) -> dict[str, int]:
        """:meth:`load_games` of one game; returns rows per table."""
        return self.load_games([(game_pk, tables, source)], ingested_at, con, rewrite)

    def load_games(
        self,
        games: list[tuple[int, dict[str, list[dict]], str]],
        ingested_at: dt.datetime | None = None,
        con=None,
        rewrite: bool = False,
    ) -> dict[str, int]:
        """Merge the parsed feeds of many games (``(game_pk, {table: rows}, source)``: a day's, or a
        backfill chunk's over any dates) with one stage and one MERGE per table; returns rows per table.

        ``raw.games`` goes last: a game counts as loaded (final in the warehouse, so later plans
        skip it) only once every other table of the batch holds its rows. ``rewrite`` rewrites
        every row even when its content hash says it is unchanged (repairing games whose stored
        rows fail their checks)."""
        order = game_load_order()
        items = [
            (f"raw.{name}", tables.get(name, []), {"game_pk": game_pk}, source)
            for name in order
            for game_pk, tables, source in games
        ]
        counts = self.merge_tables(items, None, ingested_at, con, rewrite)
        return {table.split(".", 1)[1]: n for table, n in counts.items()}

    def load_game_frames(self, frames: dict, game_pks: list[int], con, ingested_at: dt.datetime | None = None):
        """:meth:`load_games` of games parsed and staged already (``frames``: each game table's
        rows of every game in ``game_pks`` as one Arrow table, :func:`typed_frame`; a table left out
        has no rows): their ``ingested_at`` is now, every game its own scope, ``raw.games`` last."""
        ingested_at = ingested_at or dt.datetime.now(dt.UTC)
        scopes = [{"game_pk": pk} for pk in game_pks]
        return {
            name: self.merge_frame(f"raw.{name}", frames.get(name), scopes, con, ingested_at)
            for name in game_load_order()
        }

    def merge_frame(self, table: str, frame, scopes: list[dict], con, ingested_at: dt.datetime | None = None) -> int:
        """:meth:`merge_rows` of rows staged already (an Arrow table, :func:`typed_frame`; None: no
        rows) over every one of ``scopes``; their ``ingested_at`` is now. One stage, one MERGE."""
        import pyarrow as pa

        if frame is None:
            frame = arrow_schema(self.schema[table]).empty_table()
        at = frame.schema.get_field_index("ingested_at")
        stamp = pa.array([ingested_at or dt.datetime.now(dt.UTC)] * frame.num_rows, type=frame.schema.field(at).type)
        return self._merge_batch(con, table, scopes, frame.set_column(at, frame.schema.field(at), stamp), rewrite=False)

    def merge_rows(
        self, table: str, rows: list[dict], scope: dict, source: str, ingested_at: dt.datetime | None = None, con=None
    ) -> int:
        """Upsert ``rows`` into ``table``; rows of the same ``scope`` (e.g. one team's roster
        on one date) that are no longer there are deleted. One statement."""
        return self.merge_tables([(table, rows, scope)], source, ingested_at, con)[table]

    def merge_tables(
        self,
        items: list[tuple],
        source: str | None,
        ingested_at: dt.datetime | None = None,
        con=None,
        rewrite: bool = False,
    ) -> dict[str, int]:
        """:meth:`merge_rows` for many ``(table, rows, scope)`` (or ``(table, rows, scope, source)``),
        batched: every table is staged once and merged with one MERGE over all its scopes, in the
        order the tables first appear. Atomic per table: a table's MERGE lands for every scope of
        the batch or for none; a batch stopped between tables is completed by running it again
        (nothing is lost or doubled). The same scope given twice keeps its last rows (as loading
        them one after the other would). Every table's rows are checked before any is merged."""
        if con is None:
            with self.connect() as own:
                return self.merge_tables(items, source, ingested_at, own, rewrite)
        ingested_at = ingested_at or dt.datetime.now(dt.UTC)
        batches: dict[str, dict[tuple, tuple[list[dict], dict, str]]] = {}
        for table, rows, scope, *own_source in items:
            parts = batches.setdefault(table, {})
            parts.pop(tuple(scope.items()), None)  # the last rows of a scope win, in order
            parts[tuple(scope.items())] = (rows, scope, own_source[0] if own_source else source)
        frames = {
            table: self._batch_frame(table, list(parts.values()), ingested_at) for table, parts in batches.items()
        }
        return {
            table: self._merge_batch(con, table, [scope for _, scope, _ in parts.values()], frames[table], rewrite)
            for table, parts in batches.items()
        }

    def _batch_frame(self, table: str, parts: list[tuple[list[dict], dict, str]], ingested_at: dt.datetime):
        """Every part's rows in one Arrow table, checked against the schema (:func:`checked_frame`)."""
        rows = [row for part_rows, _, _ in parts for row in part_rows]
        sources = [part_source for part_rows, _, part_source in parts for _ in part_rows]
        return checked_frame(table, rows, ingested_at, sources)

    def _merge_batch(self, con, table: str, scopes: list[dict], frame, rewrite: bool) -> int:
        """Stage ``frame`` once, merge it with one statement scoped to every one of ``scopes``, unstage."""
        spec, definition = self.tables[table], self.schema[table]
        scope_columns = list(scopes[0])
        if any(list(scope) != scope_columns for scope in scopes):
            raise ValueError(f"{table}: a batch's scopes must name the same columns ({scope_columns})")
        typed = {c: definition.column(c).type for c in scope_columns}
        scopes = [[_typed(scope[c], typed[c]) for c in scope_columns] for scope in scopes]
        if len(scope_columns) == 1:
            scope_values = [values[0] for values in scopes]
        else:
            scope_values = [SCOPE_SEPARATOR.join(_as_text(v) for v in values) for values in scopes]
        prune_column, dates = self._prune_dates(con, table, scope_columns, scope_values, scopes, frame)
        staged = self._stage(con, table, frame)
        self.statement_log.append(("stage", table))
        try:
            sql = merge_statement(table, spec["columns"], spec["key"], scope_columns, staged, prune_column, rewrite)
            self._run_on(con, sql, merge_parameters(scope_values, dates))
            self.statement_log.append(("merge", table))
        finally:
            self._unstage(con, staged)
        return frame.num_rows

    def _prune_dates(self, con, table: str, scope_columns: list[str], scope_values: list, scopes: list, frame):
        """The date column a batch's MERGE may be limited to, and the dates: those of the staged
        rows and those the batch's scopes hold now (a game collected before it was postponed keeps
        its old date until this MERGE moves it). Only where every row a staged row can match is
        among them: the date is in the key, or the scope is (a game's rows carry its game_pk).
        ``(None, None)`` where it cannot be limited (``raw.transactions``: a transaction may move
        to another date)."""
        column, key = self.tables[table]["date_column"], self.tables[table]["key"]
        if column is None or not (column in key or set(scope_columns) <= set(key)):
            return None, None
        dates = {_typed(d, "DATE") for d in frame.column(column).to_pylist() if d is not None}
        if column in scope_columns:
            dates |= {values[scope_columns.index(column)] for values in scopes}
        else:
            held = self.query(
                f'SELECT DISTINCT t."{column}" AS d FROM {quoted(table)} AS t WHERE {scope_condition(scope_columns)}',
                [scope_values],
                con=con,
            )
            dates |= {_typed(r["d"], "DATE") for r in held if r["d"] is not None}
        return (column, sorted(dates)) if dates else (None, None)

    def refresh_players(self, dates: list[str], con=None) -> int:
        """Add players first seen in these dates' box scores or rosters to ``raw.players``;
        move the last-seen date of players already known."""
        if con is None:
            with self.connect() as own:
                return self.refresh_players(dates, own)
        days = [dt.date.fromisoformat(str(d)[:10]) for d in dates]
        self._run_on(con, PLAYERS_MERGE, [days, days, days, days, dt.datetime.now(dt.UTC)])
        return self.query("SELECT count(*) AS n FROM raw.players", con=con)[0]["n"]

    # -- ops -----------------------------------------------------------------------------
    def upsert(self, table: str, rows: list[dict], json_columns: tuple[str, ...] = ()) -> None:
        """Insert ``rows`` into ``table``, replacing those with the same primary key."""
        self._replace(table, rows, json_columns)

    def record_run(self, run: dict) -> None:
        self._replace("ops.ingestion_runs", [run], ("table_counts", "errors"))

    def record_grades(self, grades: list[dict]) -> None:
        self._replace("ops.quality_grades", grades, ("failed_expectations", "warnings"))

    def resolve_dead_letters(self, game_date: str, request_urls: list[str]) -> None:
        if not request_urls:
            return
        with self.connect() as con:
            self._run_on(
                con,
                "UPDATE ops.dead_letters SET resolved_at = ? "
                "WHERE game_date = ? AND resolved_at IS NULL AND list_contains(?, request_url)",
                [dt.datetime.now(dt.UTC), dt.date.fromisoformat(str(game_date)[:10]), list(request_urls)],
            )


# ------------------------------------------------------------------------------------
# DuckDB (embedded default)
# ------------------------------------------------------------------------------------
def _is_lock_error(exc: BaseException) -> bool:
    return "lock" in str(exc).lower() and "duckdb" in type(exc).__module__


class DuckDBWarehouse(Warehouse):
    backend = "duckdb"

    def __init__(self, path: str | Path | None = None):
        super().__init__()
        self.path = Path(path or settings.duckdb_path())
        self._held = None  # the connection kept_open() holds

    @retry(
        retry=retry_if_exception(_is_lock_error),
        wait=wait_exponential(0.2, max=5),
        stop=stop_after_delay(120),
        reraise=True,
    )
    def _open(self, read_only: bool):
        import duckdb

        self.path.parent.mkdir(parents=True, exist_ok=True)
        if read_only and not self.path.exists():
            read_only = False
        try:
            return duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.ConnectionException as exc:
            # This process already holds the file read-write (dbt-duckdb keeps its connection
            # open after an in-process dbt run): a read-only connection cannot join it; share it.
            if read_only and "different configuration" in str(exc):
                return duckdb.connect(str(self.path), read_only=False)
            raise

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator:
        con = self._held.cursor() if self._held is not None else self._open(read_only)
        try:
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def kept_open(self) -> Iterator[None]:
        """Keep the database open while a long job runs many short statements (a backfill): each
        ``connect()`` is then a cursor of the open database, where it otherwise opens the file
        and checkpoints it when it closes (tens of milliseconds a statement). Meanwhile no other
        process can open the file (DuckDB has one writing process)."""
        if self._held is not None:
            yield
            return
        self._held = self._open(read_only=False)
        try:
            yield
        finally:
            held, self._held = self._held, None
            held.close()

    def has_table(self, schema: str, table: str) -> bool:
        return bool(
            self.query(
                "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [schema, table],
            )[0]["n"]
        )

    def execute(self, sql: str, params: list | None = None) -> None:
        """One statement that changes something (ours; values bound)."""
        with self.connect() as con:
            con.execute(sql, params or [])

    def query(self, sql: str, params: list | None = None, con=None) -> list[dict]:
        """Rows as dicts; pass ``con`` to read inside an open connection (DuckDB allows one
        read-write connection to a file per process)."""
        if con is None:
            with self.connect(read_only=True) as own:
                return self.query(sql, params, own)
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def frame(self, sql: str, params: list | None = None, con=None):
        """A query's rows as a pandas DataFrame."""
        if con is None:
            with self.connect(read_only=True) as own:
                return self.frame(sql, params, own)
        from pandas.errors import Pandas4Warning

        with warnings.catch_warnings():
            # duckdb 2.0 hands TIMESTAMPTZ columns to pandas with DataFrame.drop(inplace=True), which
            # pandas 3.1 deprecates: duckdb's call, not ours (the frame is right), yet blamed on this line.
            warnings.filterwarnings("ignore", "The inplace keyword in DataFrame.drop", Pandas4Warning)
            return con.execute(sql, params or []).df()

    def _run_on(self, con, sql: str, params: list | None = None) -> None:
        con.execute(sql, params or [])

    def _run_ddl(self, con, statements: list[str]) -> None:
        for statement in statements:
            con.execute(statement)

    def _present_columns(self, con) -> dict[str, set[str]]:
        present: dict[str, set[str]] = {}
        for r in self.query(
            "SELECT table_schema || '.' || table_name AS t, column_name AS c FROM information_schema.columns "
            "WHERE list_contains(?, table_schema)",
            [sorted({t.schema for t in self.schema.values()})],
            con=con,
        ):
            present.setdefault(r["t"], set()).add(r["c"])
        return present

    def _stage(self, con, table: str, frame) -> str:
        """The Arrow table, registered as a view of this connection: the MERGE reads it in place."""
        name = f"staged_{table.replace('.', '_')}"
        con.register(name, frame)
        return f'"{name}"'

    def _unstage(self, con, staged: str) -> None:
        con.unregister(staged.strip('"'))

    def _replace(self, table: str, rows: list[dict], json_columns: tuple[str, ...]) -> None:
        """One statement for all the rows (an Arrow table; a chunk's grades are hundreds of
        rows, a statement each took seconds); row by row when Arrow cannot type a column."""
        import pyarrow as pa

        cols, key = self.tables[table]["columns"], self.tables[table]["key"]
        rows = list({tuple(r.get(k) for k in key): r for r in rows}.values())  # the last of a key wins
        values = {c: [r.get(c) for r in rows] for c in cols}
        for c in json_columns:
            values[c] = [orjson.dumps(v).decode() if v is not None else None for v in values[c]]
        insert = f"INSERT OR REPLACE INTO {table} ({', '.join(cols)})"
        with self.connect() as con:
            try:
                batch = pa.table(values)  # noqa: F841  (read by the statement below)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                for row in zip(*(values[c] for c in cols)):
                    con.execute(f"{insert} VALUES ({', '.join('?' for _ in cols)})", list(row))
                return
            con.execute(f"{insert} SELECT {', '.join(cols)} FROM batch")

    def record_dead_letter(self, letter: dict, run_id: str) -> None:
        now = dt.datetime.now(dt.UTC)
        with self.connect() as con:
            con.execute(
                """
                INSERT INTO ops.dead_letters AS d
                    (game_date, endpoint, request_url, game_pk, kind, error, raw_object,
                     first_run_id, last_run_id, first_seen_at, last_attempt_at, attempts, resolved_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, NULL)
                ON CONFLICT (game_date, endpoint, request_url) DO UPDATE SET
                    kind = excluded.kind, error = excluded.error,
                    raw_object = coalesce(excluded.raw_object, d.raw_object),
                    last_run_id = excluded.last_run_id, last_attempt_at = excluded.last_attempt_at,
                    attempts = d.attempts + 1, resolved_at = NULL
                """,
                [
                    letter["game_date"],
                    letter["endpoint"],
                    letter["request_url"],
                    letter.get("game_pk"),
                    letter["kind"],
                    letter["error"],
                    letter.get("raw_object"),
                    run_id,
                    run_id,
                    now,
                    now,
                ],
            )

    def table_checksums(self) -> dict[str, str]:
        """Order-independent checksum of every table's content (for idempotency checks)."""
        out = {}
        with self.connect(read_only=True) as con:
            for table in self.tables:
                schema_name, name = table.split(".")
                out[table] = con.execute(
                    f"SELECT count(*) || ':' || coalesce(bit_xor(hash(t)), 0) FROM {schema_name}.{name} AS t"
                ).fetchone()[0]
        return out


# ------------------------------------------------------------------------------------
# BigQuery (production)
# ------------------------------------------------------------------------------------
@functools.cache
def bigquery_type(duckdb_type: str) -> str:
    """A column type of config/schema.yaml (DuckDB's spelling) in BigQuery's: TIMESTAMPTZ -> TIMESTAMP."""
    from sqlglot import exp

    return exp.DataType.build(duckdb_type, dialect="duckdb").sql(dialect="bigquery")


def quoted_name(table: str) -> str:
    """``raw.games`` as `raw`.`games` (a name of ours, from config/schema.yaml)."""
    return ".".join(f"`{part}`" for part in table.split("."))


def without_primary_key(create_table: str) -> str:
    """A BigQuery ``CREATE TABLE`` without its ``PRIMARY KEY ... NOT ENFORCED`` (for an emulator)."""
    from sqlglot import exp, parse_one

    create = parse_one(create_table, read="bigquery")
    create.find(exp.PrimaryKey).pop()
    return create.sql(dialect="bigquery")


def bigquery_client(project: str | None = None):
    """A BigQuery client for ``project`` (default ``MLB_BIGQUERY_PROJECT``): the environment's
    credentials (Composer's service account, a gcloud login), or, when ``MLB_BIGQUERY_API_ENDPOINT``
    names an emulator, that endpoint with anonymous credentials."""
    from google.cloud import bigquery

    project = project or settings.bigquery_project()
    endpoint = settings.bigquery_api_endpoint()
    if endpoint is None:
        return bigquery.Client(project=project)
    from google.auth.credentials import AnonymousCredentials

    return bigquery.Client(
        project=project, credentials=AnonymousCredentials(), client_options={"api_endpoint": endpoint}
    )


class BigQueryWarehouse(Warehouse):
    """The same tables on BigQuery. Statements arrive in DuckDB's dialect and are translated
    (:func:`to_bigquery`); a batch's rows of a table are written as Parquet to the lake, loaded
    into a staging dataset with one load job and merged with the same statement as on DuckDB (one
    MERGE job a table, its values bound as query parameters, limited to the batch's partitions). Runs on Composer; this
    repository's tests cannot reach BigQuery, so they check that it offers what the DuckDB
    warehouse offers and that our statements translate (see tests/test_warehouse.py)."""

    backend = "bigquery"
    STAGING_DATASET = "_mlb_staging"

    def __init__(self, project: str | None = None, client=None):
        """``client``: a ``google.cloud.bigquery.Client`` of one's own (else :func:`bigquery_client`)."""
        super().__init__()
        from google.cloud import bigquery

        self._bq = bigquery
        self.client = client or bigquery_client(project)
        # The Storage Read API (faster reads of large results) is Google's alone: not at an emulator.
        self._storage_api = settings.bigquery_api_endpoint() is None
        self._keys_rejected = False  # an emulator rejected PRIMARY KEY NOT ENFORCED (see _run_ddl)

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator:
        yield self.client  # BigQuery has no connection to hold; statements are jobs

    def _param(self, name: str | None, value):
        bq = self._bq
        if isinstance(value, (list, tuple)):
            if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                return bq.ArrayQueryParameter(name, "INT64", list(value))
            if all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in value):
                return bq.ArrayQueryParameter(name, "DATE", list(value))
            return bq.ArrayQueryParameter(name, "STRING", [str(v) for v in value])
        kind = (
            "BOOL"
            if isinstance(value, bool)
            else "INT64"
            if isinstance(value, int)
            else "FLOAT64"
            if isinstance(value, float)
            else "TIMESTAMP"
            if isinstance(value, dt.datetime)
            else "DATE"
            if isinstance(value, dt.date)
            else "STRING"
        )
        if kind == "STRING" and value is not None:
            value = str(value)
        return bq.ScalarQueryParameter(name, kind, value)

    def _run(self, sql: str, params: list | dict | None = None):
        """Run a statement already in BigQuery's dialect."""
        if isinstance(params, dict):
            query_params = [self._param(k, v) for k, v in params.items()]
        else:
            query_params = [self._param(None, v) for v in params or []]
        return self.client.query(sql, job_config=self._bq.QueryJobConfig(query_parameters=query_params)).result()

    def has_table(self, schema: str, table: str) -> bool:
        # the dataset name is ours (a dbt schema), not input
        rows = self._run(
            f"SELECT count(*) AS n FROM `{self.client.project}.{schema}`.INFORMATION_SCHEMA.TABLES "
            "WHERE table_name = ?",
            [table],
        )
        return bool(next(iter(rows))["n"])

    def execute(self, sql: str, params: list | None = None) -> None:
        self._run(to_bigquery(sql), params)

    def query(self, sql: str, params: list | None = None, con=None) -> list[dict]:
        return [dict(row.items()) for row in self._run(to_bigquery(sql), params)]

    def frame(self, sql: str, params: list | None = None, con=None):
        # through Arrow: RowIterator.to_dataframe is deprecated (google-cloud-bigquery 3.4x) in favour
        # of pandas-gbq, a dependency more for the same frame
        return self._run(to_bigquery(sql), params).to_arrow(create_bqstorage_client=self._storage_api).to_pandas()

    def _run_on(self, con, sql: str, params: list | None = None) -> None:
        self._run(to_bigquery(sql), params)

    def _run_ddl(self, con, statements: list[str]) -> None:
        from google.api_core.exceptions import BadRequest

        for statement in map(quoted_bigquery, statements):
            if self._keys_rejected and "NOT ENFORCED" in statement:
                statement = without_primary_key(statement)
            try:
                self._run(statement)
            except BadRequest:
                # bqemulator (1.4) rejects BigQuery's `PRIMARY KEY (...) NOT ENFORCED`; at an emulator
                # only, tables are created without their (informational, unenforced) keys. README.
                if settings.bigquery_api_endpoint() is None or "NOT ENFORCED" not in statement:
                    raise
                log.warning("the emulator rejects PRIMARY KEY ... NOT ENFORCED: tables are created without it")
                self._keys_rejected = True
                self._run(without_primary_key(statement))

    def _present_columns(self, con) -> dict[str, set[str]]:
        # dataset names are ours (schema.yaml), not input
        datasets = sorted({t.schema for t in self.schema.values()})
        sql = " UNION ALL ".join(
            f"SELECT table_schema, table_name, column_name FROM `{self.client.project}.{d}`.INFORMATION_SCHEMA.COLUMNS"
            for d in datasets
        )
        present: dict[str, set[str]] = {}
        for r in self._run(sql):
            present.setdefault(f"{r['table_schema']}.{r['table_name']}", set()).add(r["column_name"])
        return present

    STAGING_EXPIRATION = dt.timedelta(days=1)  # a staging table left by a killed load is gone a day later

    @functools.cached_property
    def _staging_dataset(self) -> str:
        return self.client.create_dataset(f"{self.client.project}.{self.STAGING_DATASET}", exists_ok=True).dataset_id

    @functools.cached_property
    def _staged_files(self) -> dict[str, str]:
        return {}  # staging table name -> its Parquet file in the lake

    def _stage(self, con, table: str, frame) -> str:
        """The batch's rows as Parquet in the lake (``<lake>/staging/<batch>/<table>.parquet``, through
        the same object storage as the raw zone), then ONE load job of that file into a staging table
        created first with the target's schema (and an expiry, for a load killed before it is dropped).
        A gs:// lake is loaded from its URI (no upload from the worker: BigQuery reads the bucket); a
        local lake's file is sent as a resumable upload (``load_table_from_file`` without a size; the
        emulator refuses ``load_table_from_dataframe``'s multipart upload)."""
        import uuid

        import pyarrow.parquet as pq
        from airflow.sdk import ObjectStoragePath

        batch = uuid.uuid4().hex[:16]
        path = ObjectStoragePath(settings.lake_url()) / "staging" / batch / f"{table}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            pq.write_table(frame.cast(arrow_schema(self.schema[table])), fh)
        name = f"{table.replace('.', '_')}_{batch}"
        staging = self._bq.Table(
            f"{self.client.project}.{self._staging_dataset}.{name}", schema=self.client.get_table(table).schema
        )
        staging.expires = dt.datetime.now(dt.UTC) + self.STAGING_EXPIRATION
        self.client.create_table(staging)
        self._staged_files[name] = str(path)
        job_config = self._bq.LoadJobConfig(
            source_format=self._bq.SourceFormat.PARQUET, write_disposition="WRITE_TRUNCATE"
        )
        staged = f'"{self._staging_dataset}"."{name}"'
        try:
            if str(path).startswith("gs://"):
                self.client.load_table_from_uri(str(path), staging, job_config=job_config).result()
            else:
                with path.open("rb") as fh:
                    self.client.load_table_from_file(fh, staging, job_config=job_config).result()
        except BaseException:
            self._unstage(con, staged)
            raise
        return staged

    def _unstage(self, con, staged: str) -> None:
        from airflow.sdk import ObjectStoragePath

        name = staged.split(".")[-1].strip('"')
        self.client.delete_table(f"{self.client.project}.{self._staging_dataset}.{name}", not_found_ok=True)
        path = ObjectStoragePath(self._staged_files.pop(name))
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # the batch's folder, once empty (a folder only on local disks)
            path.parent.rmdir()

    def _replace(self, table: str, rows: list[dict], json_columns: tuple[str, ...]) -> None:
        """One MERGE for all ``rows`` (one job, not one a row), each value a bound parameter cast to
        its column's type: a NULL parameter is typed STRING, which BigQuery will not put in an
        INT64 column (names from our schema)."""
        if not rows:
            return
        cols, key = self.tables[table]["columns"], self.tables[table]["key"]
        types = {c.name: bigquery_type(c.type) for c in self.schema[table].columns}

        def value(c: str, i: int) -> str:
            return f"PARSE_JSON(@{c}_{i})" if c in json_columns else f"CAST(@{c}_{i} AS {types[c]})"

        source = " UNION ALL ".join(
            "SELECT " + ", ".join(f"{value(c, i)} AS {c}" for c in cols) for i in range(len(rows))
        )
        params = {}
        for i, row in enumerate(rows):
            values = {c: row.get(c) for c in cols}
            for c in json_columns:
                values[c] = orjson.dumps(values[c]).decode() if values[c] is not None else None
            if values.get("game_date") is not None:
                values["game_date"] = dt.date.fromisoformat(str(values["game_date"])[:10])
            params.update({f"{c}_{i}": v for c, v in values.items()})
        self._run(
            f"MERGE {quoted_name(table)} t USING ({source}) s "
            f"ON {' AND '.join(f't.{k} = s.{k}' for k in key)} "
            f"WHEN MATCHED THEN UPDATE SET {', '.join(f'{c} = s.{c}' for c in cols)} "
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(cols)}) VALUES ({', '.join(f's.{c}' for c in cols)})",
            params,
        )

    def record_dead_letter(self, letter: dict, run_id: str) -> None:
        now = dt.datetime.now(dt.UTC)
        self._run(
            """
            MERGE `ops`.`dead_letters` d
            USING (SELECT @game_date AS game_date, @endpoint AS endpoint, @request_url AS request_url) s
            ON d.game_date = s.game_date AND d.endpoint = s.endpoint AND d.request_url = s.request_url
            WHEN MATCHED THEN UPDATE SET kind = @kind, error = @error,
                raw_object = coalesce(@raw_object, d.raw_object), last_run_id = @run_id,
                last_attempt_at = @now, attempts = d.attempts + 1, resolved_at = NULL
            WHEN NOT MATCHED THEN INSERT (game_date, endpoint, request_url, game_pk, kind, error, raw_object,
                first_run_id, last_run_id, first_seen_at, last_attempt_at, attempts, resolved_at)
              VALUES (@game_date, @endpoint, @request_url, @game_pk, @kind, @error, @raw_object,
                @run_id, @run_id, @now, @now, 1, NULL)
            """,
            {
                "game_date": dt.date.fromisoformat(str(letter["game_date"])),
                "endpoint": letter["endpoint"],
                "request_url": letter["request_url"],
                "game_pk": letter.get("game_pk"),
                "kind": letter["kind"],
                "error": letter["error"],
                "raw_object": letter.get("raw_object"),
                "run_id": run_id,
                "now": now,
            },
        )

    def table_checksums(self) -> dict[str, str]:
        out = {}
        for table in self.tables:
            [row] = self._run(
                f"SELECT count(*) || ':' || coalesce(BIT_XOR(FARM_FINGERPRINT(TO_JSON_STRING(t))), 0) "
                f"AS c FROM {quoted_name(table)} AS t"
            )
            out[table] = row["c"]
        return out


def created(warehouse: Warehouse) -> bool:
    """Whether there is a warehouse to read: a DuckDB file not there yet holds nothing, and opening
    it would create it (a dry run, a report, must not). BigQuery's datasets are taken as there."""
    return not isinstance(warehouse, DuckDBWarehouse) or warehouse.path.exists()


def open_warehouse() -> Warehouse:
    """The configured warehouse (``MLB_WAREHOUSE``: duckdb or bigquery)."""
    if settings.warehouse_backend() == "bigquery":
        return BigQueryWarehouse()
    return DuckDBWarehouse()
