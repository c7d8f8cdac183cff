"""Benchmark: training the game-outcome model on one and on three simulated seasons.

    . scripts/env.sh && python benchmarks/bench_model.py [--seasons 1 3] [--repeat 3] [--write-snapshot]

For each size, takes the simulated regular seasons collected through the pipeline
(benchmarks/simulated.py; cached in .local/bench/, about half an hour a season the first
time), builds the feature tables with `dbt build --full-refresh`, then trains the model
(`mlb_pipeline.model.train`: the forward split, XGBoost, the held-out scores and both
baselines) ``--repeat`` times, each in a fresh process, and reports the median wall time
and the largest peak resident memory, with the held-out scores beside the baselines and
the true probabilities' Brier score (the limit).

``--write-snapshot`` also writes the one-season ``features.game_features`` to
tests/data/simulated_game_features_2024.parquet, the season tests/test_model.py trains on
(run it after changing the feature models).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from bench_features import dbt  # noqa: E402
from simulated import collected_seasons  # noqa: E402

SNAPSHOT = REPO / "tests" / "data" / "simulated_game_features_2024.parquet"
SIZES = {1: [2024], 3: [2022, 2023, 2024]}

TRAIN = """
import datetime as dt, json, resource, sys, time
import xgboost  # imported before the clock starts: the training is timed, not the import
from mlb_pipeline import model
from mlb_replay.simulate import League
from mlb_pipeline.warehouse import DuckDBWarehouse
years = {years!r}
truth = {{t["gamePk"]: t["homeWinProbability"] for y in years for t in League(7, years).truth(y)}}
frame = model.training_frame(DuckDBWarehouse({warehouse!r}), dt.date(years[-1] + 1, 1, 1), len(years))
t = time.perf_counter()
version = model.train(frame, truth)
seconds = time.perf_counter() - t
print(json.dumps({{"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "games": len(frame), "metadata": version.metadata}}, default=str))
"""


def features(years: list[int]) -> Path:
    """A copy of the seasons' warehouse with the feature tables built."""
    source, _ = collected_seasons(years)
    work = source.parent / "model-run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    warehouse = work / "warehouse.duckdb"
    shutil.copy(source, warehouse)
    from mlb_pipeline.warehouse import DuckDBWarehouse

    DuckDBWarehouse(warehouse).ensure_schema()  # tables added since the seasons were collected
    dbt("build", "--full-refresh", warehouse=warehouse)
    return warehouse


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seasons", type=int, nargs="+", default=[1, 3], choices=sorted(SIZES))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--write-snapshot", action="store_true")
    args = ap.parse_args()
    rows = []
    for n in args.seasons:
        warehouse = features(SIZES[n])
        if args.write_snapshot and n == 1:
            import duckdb

            SNAPSHOT.parent.mkdir(exist_ok=True)
            with duckdb.connect(str(warehouse), read_only=True) as con:  # DuckDB's own writer keeps the types
                con.execute(
                    f"COPY (SELECT * FROM features.game_features ORDER BY game_date, game_pk) "
                    f"TO '{SNAPSHOT}' (FORMAT parquet, COMPRESSION zstd)"
                )
            print(f"wrote {SNAPSHOT}")
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run(
                [sys.executable, "-c", TRAIN.format(years=SIZES[n], warehouse=str(warehouse))],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
        m = runs[0]["metadata"]
        e, b = m["evaluation"], m["baselines"]
        rows.append(
            f"| {n} ({', '.join(map(str, SIZES[n]))}) | {runs[0]['games']:,} | "
            f"{statistics.median(r['seconds'] for r in runs):.2f} s | "
            f"{max(r['peak_mb'] for r in runs):.0f} MB | "
            f"{e['games']} | {e['brier']:.4f} | {b['always_home']['brier']:.4f} | {b['log5']['brier']:.4f} | "
            f"{e.get('true_probability_brier', float('nan')):.4f} | {e['accuracy']:.3f} |"
        )
    print(
        "\n| seasons | games | training (median) | peak memory | held-out games | Brier | always home | log5 "
        "| true probabilities | accuracy |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
