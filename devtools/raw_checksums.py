"""Compare the raw tables of two DuckDB warehouses by content: a reshaping of the code must
leave them as they were (issue #19). Ingestion times differ run to run and are left out.

    python devtools/raw_checksums.py BEFORE.duckdb AFTER.duckdb [--ignore raw_object,...]

Prints one line a table (rows and an order-independent hash of every row's other columns)
and exits 1 when a table both warehouses have differs.
"""

from __future__ import annotations

import argparse
import sys

import duckdb


def checksums(path: str, ignore: set[str]) -> dict[str, tuple[str, list[str]]]:
    con = duckdb.connect(path, read_only=True)
    out = {}
    tables = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' ORDER BY 1"
    ).fetchall()
    for (table,) in tables:
        columns = [
            c
            for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ? "
                "ORDER BY ordinal_position",
                [table],
            ).fetchall()
            if c != "ingested_at" and c not in ignore
        ]
        row = ", ".join(f'"{c}"' for c in columns)  # identifiers from the warehouse's own catalog
        value = con.execute(
            f"SELECT count(*) || ':' || coalesce(bit_xor(hash(struct_pack({row}))), 0) FROM raw.{table}"
        ).fetchone()[0]
        out[table] = (value, columns)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--ignore", default="", help="columns to leave out, comma-separated")
    args = parser.parse_args(argv)
    ignore = {c for c in args.ignore.split(",") if c}
    before, after = checksums(args.before, ignore), checksums(args.after, ignore)
    differ = 0
    for table in sorted(before.keys() | after.keys()):
        if table not in before or table not in after:
            print(f"{table:20} only in {'after' if table in after else 'before'}")
            continue
        same = before[table] == after[table]
        differ += not same
        print(f"{table:20} {'same' if same else 'DIFFERS'}  {before[table][0]}  {after[table][0]}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
