"""The model on real seasons, season by season (issue #22's report): docs/MODEL.md's table and
calibration plot.

    . scripts/env.sh && python benchmarks/bench_backtest.py [--source ../shared/fixtures/retrosheet]
        [--first 2016] [--last 2022] [--plot docs/model_calibration.png] [--ablation]

Into a fresh embedded warehouse: every Retrosheet season of ``--source`` loaded with the command,
the features built once (dbt), then for each season S from ``--first`` to ``--last`` the backtest
trained through S - 1 and walked through S (``backtest.run``: weekly retraining, the three
baselines). Prints a Markdown table (Brier, log loss, accuracy of the model and the baselines a
season, then pooled) and draws the pooled calibration of the model and of Elo to ``--plot``.
``--ablation`` then walks the same seasons once more for each family of features left out
(config/model.yaml's list less the family; for Elo, boosting from a constant instead), and for
each family game_features builds that the model does not read (added to the list), and prints
each one's Brier score beside the full model's: on the seasons up to 2018 (where the settings
were chosen) and on 2019 and later.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WHO = ("model", "elo", "log5", "always_home")
TUNED_THROUGH = 2018  # the settings of config/model.yaml were chosen on the seasons up to this one
# Families of features, by the pattern of their column names in config/model.yaml
FAMILIES = {
    "starters: their clubs' runs, FIP points, strikeouts and walks in their last 30 starts": r"starter_.*(30s|edge)$",
    "starters: their own ERA, WHIP, strikeout rate (Stats API lines; null for Retrosheet)": (
        r"starter_(era|whip|strikeout_rate)_"
    ),
    "strength carried across seasons (previous season regressed)": r"strength",
    "recent club form: run differential, win rate, games in 7-60 days; AVG/OBP/SLG 30 days": r"_(7|14|30|60)d(_edge)?$",
    "bullpen ERA, 30 days (null for Retrosheet without event files)": r"bullpen",
    "season to date and Pythagorean": r"season_|pythagorean",
    "rest days": r"rest_days",
    "calendar: day of week, month": r"^(day_of_week|month)$",
    "conditions at first pitch: temperature, wind, roof": r"^(temperature|wind_blowing_(out|in)|roof_closed)$",
}
# Built in features.game_features, left out of the model: what adding each would change
CANDIDATES = {
    "bullpen use: relievers in the last 3 days": ["home_relievers_used_3d", "away_relievers_used_3d"],
    "park: run factor and home edge of the previous 3 seasons": [
        "home_park_run_factor_3y",
        "home_home_field_edge_3y",
        "away_home_field_edge_3y",
    ],
    "travel: the club played its previous game in another park": ["home_travelled", "away_travelled"],
}


def ablation(wh, first: int, last: int, full) -> list[str]:
    """Each family left out in turn, against the full model on the same games: the table's lines."""
    import re

    from mlb_pipeline import backtest
    from mlb_pipeline.model import model_config

    def brier(predictions, early: bool) -> float:
        games = predictions[(predictions["season"] <= TUNED_THROUGH) == early]
        return float(((games["p_model"] - games["home_win"].astype(float)) ** 2).mean())

    cfg = model_config()
    seasons = list(range(first, last + 1))
    variants = {"Elo as the starting point (base_margin): boosting from a constant instead": {"base_margin": None}}
    for family, pattern in FAMILIES.items():
        variants[family] = {"features": [f for f in cfg["features"] if not re.search(pattern, f)]}
    for family, columns in CANDIDATES.items():
        variants[f"(added) {family}"] = {"features": [*cfg["features"], *columns]}
    full_early, full_late = brier(full, True), brier(full, False)
    lines = [
        f"| left out (or added) | columns | Brier {first}-{TUNED_THROUGH} | change | Brier {TUNED_THROUGH + 1}-{last} "
        "| change |",
        "|---|---|---|---|---|---|",
        f"| nothing (the model as configured) | {len(cfg['features'])} | {full_early:.4f} | | {full_late:.4f} | |",
    ]
    for family, change in variants.items():
        dropped = abs(len(cfg["features"]) - len(change.get("features", cfg["features"])))
        predictions = backtest.run(wh, first - 1, seasons, {**cfg, **change}).predictions
        early, late = brier(predictions, True), brier(predictions, False)
        lines.append(
            f"| {family} | {dropped or '-'} | {early:.4f} | {early - full_early:+.4f} | {late:.4f} | "
            f"{late - full_late:+.4f} |"
        )
    return lines


def plot(predictions, path: Path) -> None:
    """A reliability diagram of the pooled predictions: the model's and Elo's, in deciles."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.calibration import calibration_curve

    y = predictions["home_win"].astype(int).to_numpy()
    fig, ax = plt.subplots(figsize=(5.5, 5.5), dpi=110)
    ax.plot([0.25, 0.75], [0.25, 0.75], color="grey", linestyle="--", linewidth=1, label="perfectly calibrated")
    for who, colour in (("model", "tab:blue"), ("elo", "tab:orange")):
        p = predictions[f"p_{who}"].to_numpy()
        observed, predicted = calibration_curve(y, p, n_bins=10, strategy="quantile")
        ax.plot(predicted, observed, marker="o", color=colour, label=f"{who} ({np.mean((p - y) ** 2):.4f} Brier)")
    ax.set_xlim(0.25, 0.75)
    ax.set_ylim(0.25, 0.75)
    ax.set_xlabel("predicted home-win probability (decile mean)")
    ax.set_ylabel("observed home-win rate")
    seasons = sorted(predictions["season"].unique())
    ax.set_title(f"Calibration, {seasons[0]}-{seasons[-1]} pooled ({len(y):,} games)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=REPO.parent / "shared" / "fixtures" / "retrosheet")
    ap.add_argument("--first", type=int, default=2016)
    ap.add_argument("--last", type=int, default=2022)
    ap.add_argument("--plot", type=Path, default=REPO / "docs" / "model_calibration.png")
    ap.add_argument("--ablation", action="store_true", help="also leave out each family of features in turn")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-backtest-") as tmp:
        os.environ.update(
            MLB_DUCKDB_PATH=str(Path(tmp) / "warehouse.duckdb"),
            MLB_LAKE_URL=(Path(tmp) / "lake").as_uri(),
            MLB_WAREHOUSE="duckdb",
        )
        start = time.perf_counter()
        load = [sys.executable, "-m", "mlb_pipeline.backfill", "retrosheet", "--source", str(args.source)]
        subprocess.run(load, check=True, capture_output=True)
        loaded = time.perf_counter() - start
        import pandas as pd

        from mlb_pipeline import backtest
        from mlb_pipeline.backfill import rebuild_features
        from mlb_pipeline.warehouse import open_warehouse

        logging.disable(logging.INFO)
        rebuild_features()
        built = time.perf_counter() - start - loaded
        wh = open_warehouse()
        runs = [backtest.run(wh, season - 1, [season]) for season in range(args.first, args.last + 1)]
        took = time.perf_counter() - start
        pooled = backtest.Backtest(pd.concat([r.predictions for r in runs], ignore_index=True))
        ablated = ablation(wh, args.first, args.last, pooled.predictions) if args.ablation else []
    scores = pooled.scores()
    print(
        f"Retrosheet loaded in {loaded:.0f} s, features built in {built:.0f} s, {len(runs)} backtests; "
        f"{took:.0f} s in all.\n"
    )
    print("| season | games | " + " | ".join(f"{w} Brier" for w in WHO) + " | model log loss | model accuracy |")
    print("|---" * (len(WHO) + 4) + "|")
    for season, by in scores.items():
        print(
            f"| {season} | {by['model']['games']:,} | "
            + " | ".join(f"{by[w]['brier']:.4f}" for w in WHO)
            + f" | {by['model']['log_loss']:.4f} | {by['model']['accuracy']:.3f} |"
        )
    plot(pooled.predictions, args.plot)
    print(f"\ncalibration plot: {args.plot}")
    if ablated:
        print(f"\nAblation ({time.perf_counter() - start - took:.0f} s):\n")
        print("\n".join(ablated))


if __name__ == "__main__":
    main()
