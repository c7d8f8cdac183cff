"""Benchmark: loading Retrosheet history (issue #22), the command a user runs.

    . scripts/env.sh && python benchmarks/bench_retrosheet.py [--source ../shared/fixtures/retrosheet] [--repeat 3]

Into a fresh embedded warehouse and lake each run, ``python -m mlb_pipeline.backfill retrosheet``
in a process of its own: the 13 seasons of game logs alone (goal: under 2 minutes), then the 2019
event files alone (every player's line of 2,429 games, chadwickpy's cwdaily in one process a
core). Wall time of the command, medians of ``--repeat``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def folder_of(source: Path, root: Path, what: str) -> Path:
    """A folder holding only ``what`` (``gamelogs`` or ``events``) of ``source``, linked."""
    target = root / what
    (target / what).mkdir(parents=True)
    for path in (source / what).iterdir():
        (target / what / path.name).symlink_to(path.resolve())
    return target


def load(folder: Path, root: Path) -> float:
    env = {
        **os.environ,
        "MLB_DUCKDB_PATH": str(root / "warehouse.duckdb"),
        "MLB_LAKE_URL": (root / "lake").as_uri(),
        "MLB_WAREHOUSE": "duckdb",
        "COLUMNS": "160",
    }
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mlb_pipeline.backfill", "retrosheet", "--source", str(folder)],
        env=env,
        capture_output=True,
        text=True,
    )
    took = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"the load failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=REPO.parent / "shared" / "fixtures" / "retrosheet")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import duckdb

    times: dict[str, list[float]] = {"gamelogs": [], "events": []}
    counts: dict[str, int] = {}
    for _ in range(args.repeat):
        for what in times:
            with tempfile.TemporaryDirectory(prefix="bench-retrosheet-") as tmp:
                root = Path(tmp)
                times[what].append(load(folder_of(args.source, root / "src", what), root))
                with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
                    table = "retrosheet_games" if what == "gamelogs" else "retrosheet_batting_lines"
                    counts[what] = con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]
    cores = os.cpu_count()
    print(f"`backfill retrosheet`, a fresh embedded warehouse each run, medians of {args.repeat}, {cores} cores.\n")
    print("| load | rows | median |\n|---|---|---|")
    gamelogs = statistics.median(times["gamelogs"])
    print(f"| game logs 2010-2022 (13 seasons) | {counts['gamelogs']:,} games | {gamelogs:.1f} s |")
    print(
        f"| event files 2019 (every player's line) | {counts['events']:,} batting lines | "
        f"{statistics.median(times['events']):.1f} s |"
    )


if __name__ == "__main__":
    main()
