"""The game-outcome model's yardsticks: forward-in-time splits, the metrics every model and
baseline is reported with, and the two baselines (issue #6).

Evaluation is always forward in time: a model is trained on games before a cut-off date and
scored on later games, never on a random split, because a game's features describe the
season up to that morning and a random split would let later games teach earlier ones.
Training, the registry and predictions build on these (issue #6, in progress).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mlb_pipeline.settings import load_config


class ModelInputError(ValueError):
    """The training or evaluation data cannot make a meaningful model (said why)."""


def forward_split(games: pd.DataFrame, holdout_fraction: float, date_column: str = "game_date"):
    """``(train, test, cutoff)``: the latest ``holdout_fraction`` of the games (whole dates,
    at least one) are the test set, every game of an earlier date is training data; ``cutoff``
    is the first test date. All test games are strictly later than all training games."""
    if not 0 < holdout_fraction < 1:
        raise ModelInputError(f"holdout_fraction must be between 0 and 1, not {holdout_fraction}")
    dates = pd.to_datetime(games[date_column]).dt.date
    unique = sorted(dates.unique())
    if len(unique) < 2:
        raise ModelInputError(f"a forward split needs games on at least two dates, got {len(unique)}")
    # the first date at which the remaining games are no more than the holdout fraction
    counts = dates.value_counts().sort_index()
    later = counts[::-1].cumsum()[::-1]  # games on or after each date
    candidates = [d for d in unique[1:] if later[d] <= holdout_fraction * len(games)]
    cutoff = candidates[0] if candidates else unique[-1]
    return games[dates < cutoff], games[dates >= cutoff], cutoff


def metrics(probabilities, outcomes, bins: int = 10) -> dict:
    """Accuracy (a probability >= 0.5 predicts a home win), Brier score, log loss and a
    calibration table (``bins`` equal-width bins of the predicted probability: games, mean
    predicted, observed home-win rate) for home-win ``probabilities`` against 0/1 ``outcomes``."""
    p = np.asarray(probabilities, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    if p.shape != y.shape or p.size == 0:
        raise ModelInputError(f"need as many probabilities as outcomes, and some: {p.size} and {y.size}")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ModelInputError("probabilities must lie in [0, 1]")
    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    which = np.minimum((p * bins).astype(int), bins - 1)
    table = [{"bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}", "games": int((which == b).sum()),
              "mean_predicted": float(p[which == b].mean()), "observed": float(y[which == b].mean())}
             for b in range(bins) if (which == b).any()]
    return {"games": int(y.size),
            "accuracy": float(((p >= 0.5) == (y == 1)).mean()),
            "brier": float(((p - y) ** 2).mean()),
            "log_loss": float(-(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)).mean()),
            "calibration": table}


def log5(home_win_pct, away_win_pct, home_edge: float):
    """Bill James' log5 probability that the home club wins, from the two clubs' win rates,
    with the home edge (the league's home-win rate between equal clubs) added in odds."""
    a = np.clip(np.asarray(home_win_pct, dtype=float), 1e-6, 1 - 1e-6)
    b = np.clip(np.asarray(away_win_pct, dtype=float), 1e-6, 1 - 1e-6)
    p = a * (1 - b) / (a * (1 - b) + b * (1 - a))
    odds = p / (1 - p) * (home_edge / (1 - home_edge))
    return odds / (1 + odds)


def baselines(train: pd.DataFrame, test: pd.DataFrame) -> dict:
    """The two baselines every model is reported against, on the same test games:
    *always the home team* (its probability the home-win rate of the training games), and
    *log5* of the clubs' season-to-date win rates with the configured home edge (0.5 for a
    club without a game yet this season)."""
    cfg = load_config("model")["game_outcome"]
    y = test["home_win"].astype(float).to_numpy()
    home_rate = float(train["home_win"].astype(float).mean())
    if math.isnan(home_rate):
        raise ModelInputError("no training games to take the home-win rate from")
    home = np.full(len(test), home_rate)
    pct = {side: test[f"{side}_season_win_pct"].astype(float).fillna(0.5).to_numpy() for side in ("home", "away")}
    return {"always_home": metrics(home, y, cfg["calibration_bins"]),
            "log5": metrics(log5(pct["home"], pct["away"], cfg["home_edge"]), y, cfg["calibration_bins"])}
