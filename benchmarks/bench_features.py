"""Benchmark: rebuilding the feature tables after a backfill, day after day against set-based.

    . scripts/env.sh && python benchmarks/bench_features.py [--season 2024] [--days N] [--parse-only]

Collects, loads and grades a simulated season once (the pipeline's own functions against the
in-process replay server; cached in .local/bench/season-<year>/, which takes about half an
hour the first time), then times, on copies of that warehouse:

* set-based: one `dbt run` of the feature models with `--full-refresh` (the whole season in
  one query a model), and one windowed run over the whole range (`features_from/_to`);
* day after day (seed 002's way): one `dbt run` a game date with `features_from = features_to
  = D`, in date order, as a backfill's daily runs would.

Each path ends with the same feature tables (checked by checksum). Peak memory is the largest
resident set of any dbt process. Prints a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))
sys.path.insert(0, str(REPO / "tests"))
DBT = str(Path(sys.executable).with_name("dbt"))
FEATURES = ("team_rolling_features", "player_rolling_features", "game_features")


def dbt(*args: str, warehouse: Path) -> float:
    """Run dbt on ``warehouse``; return its wall time."""
    project = REPO / "dbt"
    t = time.perf_counter()
    result = subprocess.run(
        [
            DBT,
            *args,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(warehouse.parent / "dbt-target"),
            "--log-path",
            str(warehouse.parent / "dbt-logs"),
        ],
        env={**os.environ, "MLB_DUCKDB_PATH": str(warehouse), "DBT_USE_COLORS": "false"},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:])
    return time.perf_counter() - t


def checksums(warehouse: Path) -> dict:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            t: con.execute(
                f"SELECT count(*), md5(string_agg(x::varchar, '|' ORDER BY x::varchar)) FROM features.{t} AS x"
            ).fetchone()
            for t in FEATURES
        }


def season(year: int, days: int | None) -> tuple[Path, list[str]]:
    """The simulated regular season, collected once and cached (benchmarks/simulated.py)."""
    from simulated import collected_seasons

    return collected_seasons([year], days)


PARSE = """
import time, airflow.sdk
from airflow.dag_processing.dagbag import DagBag
t = time.perf_counter(); bag = DagBag(dag_folder={path!r}); print(time.perf_counter() - t, len(bag.dags))
"""


def dag_parse_seconds(repeat: int = 5) -> float:
    """Median time to parse the daily DAG file (cosmos renders the dbt tasks from the
    manifest) in a fresh process with Airflow already imported, as the dag-processor does."""
    times = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", PARSE.format(path=str(REPO / "dags" / "mlb_daily_collection.py"))],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[-2:]
        assert out[1] == "1", out
        times.append(float(out[0]))
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--season", type=int, default=2024)
    ap.add_argument("--days", type=int, default=None, help="only the first N days of the season")
    ap.add_argument("--parse-only", action="store_true", help="only time parsing the daily DAG file")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(f"parse dags/mlb_daily_collection.py (median of 5 fresh processes): {dag_parse_seconds():.2f} s")
    if args.parse_only:
        return
    source, dates = season(args.season, args.days)

    import duckdb

    with duckdb.connect(str(source), read_only=True) as con:
        games = con.execute("SELECT count(*) FROM raw.games WHERE is_final").fetchone()[0]
    work = source.parent / "runs"
    shutil.rmtree(work, ignore_errors=True)

    def fresh(name: str) -> Path:
        (work / name).mkdir(parents=True)
        shutil.copy(source, work / name / "warehouse.duckdb")
        path = work / name / "warehouse.duckdb"
        dbt("run", "--select", "path:models/staging path:models/intermediate", warehouse=path)  # views
        return path

    full = fresh("full")
    full_s = dbt("run", "--select", "path:models/features", "--full-refresh", warehouse=full)
    ranged = fresh("range")
    dbt(
        "run",
        "--select",
        "path:models/features",
        "--full-refresh",
        "--vars",
        f"{{features_from: '{dates[0]}'}}",
        warehouse=ranged,
    )
    range_s = dbt(
        "run",
        "--select",
        "path:models/features",
        "--vars",
        f"{{features_from: '{dates[0]}', features_to: '{dates[-1]}'}}",
        warehouse=ranged,
    )
    daily = fresh("daily")
    per_day = [
        dbt(
            "run",
            "--select",
            "path:models/features",
            "--vars",
            f"{{features_from: '{d}', features_to: '{d}'}}",
            warehouse=daily,
        )
        for d in dates
    ]
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    same = checksums(full) == checksums(ranged) == checksums(daily)

    print(
        f"\n{len(dates)} game dates, {games} final games (simulated {args.season}, seed 7); "
        f"feature tables identical on all three paths: {same}\n"
    )
    print("| path | dbt runs | wall time | per date |")
    print("|---|---|---|---|")
    print(f"| set-based, `--full-refresh` | 1 | {full_s:.1f} s | |")
    print(f"| set-based, window `features_from..features_to` over the season | 1 | {range_s:.1f} s | |")
    print(
        f"| day after day, `features_from = features_to = D` | {len(per_day)} | {sum(per_day):.1f} s "
        f"| median {statistics.median(per_day):.2f} s |"
    )
    print(
        f"\nday after day / set-based (full refresh): {sum(per_day) / full_s:.0f}x; "
        f"peak memory of any dbt process: {peak_mb:.0f} MB"
    )
    if not same:
        raise SystemExit("the three paths built different feature tables")


if __name__ == "__main__":
    main()
