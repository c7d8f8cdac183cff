"""The warehouse's tables, defined once: ``config/schema.yaml``.

Each table is written there once (columns in DuckDB's spelling, key, date column, and
BigQuery's partitioning and clustering); the DDL of both warehouses is rendered from it
with sqlglot, so the two cannot drift apart. :func:`plan_migration` says what an existing
warehouse lacks: missing tables are created, missing columns added (forward only: nothing
is ever dropped or retyped). sqlglot is imported only when DDL is rendered, so importing
this module stays cheap for DAG files.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from mlb_pipeline.settings import load_config

_COLUMN_RE = re.compile(r"^(?P<type>.+?)(?P<not_null>\s+NOT\s+NULL)?(?:\s+DEFAULT\s+(?P<default>.+))?$", re.I)


class SchemaError(ValueError):
    """The schema definition is inconsistent, or a warehouse cannot be brought forward to it."""


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB's spelling: BIGINT, VARCHAR, TIMESTAMPTZ, JSON, VARCHAR[], ...
    not_null: bool = False
    default: str | None = None  # a SQL literal, e.g. 0 or 'none'

    def definition(self, nullable: bool = False) -> str:
        """``TYPE [NOT NULL] [DEFAULT x]`` in DuckDB's spelling (``nullable``: without NOT NULL)."""
        out = self.type
        if self.not_null and not nullable:
            out += " NOT NULL"
        if self.default is not None:
            out += f" DEFAULT {self.default}"
        return out


@dataclasses.dataclass(frozen=True)
class Table:
    name: str  # qualified: raw.games
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc: str = ""
    date_column: str | None = None  # the game date a row belongs to
    graded: bool = True  # raw tables with a date column are part of a game day's graded batch
    partition_by: str | None = None  # BigQuery only
    cluster_by: tuple[str, ...] = ()  # BigQuery only

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def parse_table(name: str, entry: dict) -> Table:
    """One entry of ``schema.yaml``, checked: key, date, partition and cluster columns exist."""
    columns = []
    for col, spec in entry["columns"].items():
        m = _COLUMN_RE.match(str(spec).strip())
        if not m:
            raise SchemaError(f"{name}.{col}: cannot read the column definition {spec!r}")
        columns.append(Column(col, m["type"].strip(), bool(m["not_null"]), m["default"]))
    table = Table(
        name=name,
        columns=tuple(columns),
        key=tuple(entry["key"]),
        doc=entry.get("doc", ""),
        date_column=entry.get("date_column"),
        graded=entry.get("graded", True),
        partition_by=entry.get("partition_by"),
        cluster_by=tuple(entry.get("cluster_by", ())),
    )
    named = [*table.key, *table.cluster_by, *[c for c in (table.date_column, table.partition_by) if c]]
    unknown = sorted(set(named) - set(table.column_names))
    if unknown:
        raise SchemaError(f"{name}: key, date, partition or cluster columns not among its columns: {unknown}")
    return table


@functools.cache
def load_schema() -> dict[str, Table]:
    """Every table of ``config/schema.yaml``, by qualified name, in creation order."""
    return {name: parse_table(name, entry) for name, entry in load_config("schema").items()}


# ------------------------------------------------------------------------------------
# DDL, rendered for a dialect ("duckdb" or "bigquery")
# ------------------------------------------------------------------------------------
def create_schema_sql(schema: str, dialect: str) -> str:
    return f"CREATE SCHEMA IF NOT EXISTS {schema}"  # the same in both dialects


def create_table_sql(table: Table, dialect: str) -> str:
    """``CREATE TABLE IF NOT EXISTS`` of one table. On BigQuery the key is NOT ENFORCED and
    the table is partitioned and clustered as its definition says."""
    from sqlglot import exp, parse_one

    columns = ", ".join(f"{c.name} {c.definition()}" for c in table.columns)
    create = parse_one(
        f"CREATE TABLE IF NOT EXISTS {table.name} ({columns}, PRIMARY KEY ({', '.join(table.key)}))", read="duckdb"
    )
    if dialect == "bigquery":
        create.find(exp.PrimaryKey).set("options", ["NOT ENFORCED"])
        properties = []
        if table.partition_by:
            properties.append(exp.PartitionedByProperty(this=exp.to_identifier(table.partition_by)))
        if table.cluster_by:
            properties.append(exp.ClusterProperty(expressions=[exp.column(c) for c in table.cluster_by]))
        if properties:
            create.set("properties", exp.Properties(expressions=properties))
    return create.sql(dialect=dialect)


def add_column_sql(table: Table, column: Column, dialect: str) -> str:
    """``ALTER TABLE ... ADD COLUMN`` for a column an existing table lacks: always nullable
    (neither warehouse adds a NOT NULL column to a table with rows), with its default if any."""
    from sqlglot import transpile

    sql = f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS {column.name} {column.definition(nullable=True)}"
    return transpile(sql, read="duckdb", write=dialect)[0]


def ddl(dialect: str, tables: dict[str, Table] | None = None) -> list[str]:
    """Every statement that creates the schemas and tables, in creation order."""
    tables = load_schema() if tables is None else tables
    schemas = list(dict.fromkeys(t.schema for t in tables.values()))
    return [create_schema_sql(s, dialect) for s in schemas] + [create_table_sql(t, dialect) for t in tables.values()]


# ------------------------------------------------------------------------------------
# Forward-only migrations
# ------------------------------------------------------------------------------------
@dataclasses.dataclass
class Migration:
    """What an existing warehouse lacks: tables to create, columns to add."""

    create: list[Table] = dataclasses.field(default_factory=list)
    add: list[tuple[Table, Column]] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.create or self.add)


def plan_migration(tables: dict[str, Table], present: dict[str, set[str]]) -> Migration:
    """Compare the definition with ``present`` (``{"raw.games": {column, ...}}``, what the
    warehouse holds). Columns the warehouse has and the definition does not are left alone
    (never dropped); a new NOT NULL column without a DEFAULT cannot fill the rows a table
    already has, so it is refused."""
    plan = Migration()
    for name, table in tables.items():
        if name not in present:
            plan.create.append(table)
            continue
        for column in table.columns:
            if column.name in present[name]:
                continue
            if column.not_null and column.default is None:
                raise SchemaError(
                    f"{name}.{column.name} is NOT NULL without a DEFAULT, and {name} already exists: "
                    "give the new column a DEFAULT, or make it nullable"
                )
            plan.add.append((table, column))
    return plan
