"""Judging the game-outcome model on real seasons (issue #22): a walk forward through test
seasons, trained as production trains and retrained weekly as the weekly DAG would, beside three
baselines on the same games.

    python -m mlb_pipeline.model backtest --train-through 2018 --seasons 2019,2020,2021,2022 --csv FILE

Every test game is predicted by the version trained on the games before its week (the last
``training_seasons`` seasons that have any, :func:`model.train`: the same split, parameters and
features as production), with the features known before it (``features.game_features``, rebuilt
first with dbt over everything loaded: Retrosheet's seasons and the Stats API's alike). The
baselines, on the same games: *always home* at the training window's home-win rate, *log5* of the
clubs' season-to-date records with the configured home edge, and the project's *Elo* ratings
(:mod:`mlb_pipeline.elo`), carried through every loaded season before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import numpy as np
import pandas as pd

from mlb_pipeline.model import (
    ELO_COLUMN,
    ModelInputError,
    _dated,
    elo_history,
    log5,
    metrics,
    model_config,
    train,
    with_elo,
)

log = logging.getLogger(__name__)
BASELINES = ("elo", "log5", "always_home")


@dataclasses.dataclass
class Backtest:
    """One row a test game (``predictions``: the model's and the baselines' home-win chance,
    the outcome, the version that predicted it) and the scores."""

    predictions: pd.DataFrame

    def scores(self, bins: int = 10) -> dict:
        """Per season and pooled: the model's and each baseline's metrics (:func:`model.metrics`)."""
        out = {}
        groups = [(str(s), g) for s, g in self.predictions.groupby("season")] + [("pooled", self.predictions)]
        for name, games in groups:
            y = games["home_win"].astype(float).to_numpy()
            out[name] = {who: metrics(games[f"p_{who}"].to_numpy(), y, bins) for who in ("model", *BASELINES)}
        return out


def run(warehouse, train_through: int, seasons: list[int], cfg: dict | None = None) -> Backtest:
    """Walk forward through ``seasons``, a week at a time (see the module's docstring)."""
    cfg = cfg or model_config()
    if min(seasons) <= train_through:
        raise ModelInputError(f"the test seasons must come after --train-through {train_through}")
    first = train_through - int(cfg["training_seasons"]) + 1
    frame = _dated(
        warehouse.frame(
            "SELECT * FROM features.game_features WHERE is_final AND home_win IS NOT NULL "
            "AND season BETWEEN ? AND ? ORDER BY game_date, game_pk",
            [first, max(seasons)],
        )
    )
    frame = with_elo(frame, elo_history(warehouse))
    held = sorted(set(int(s) for s in frame["season"].unique()))
    missing = [s for s in [*range(first, train_through + 1), *seasons] if s not in held]
    if missing:
        raise ModelInputError(
            f"no final games of seasons {missing} in features.game_features (load them first: "
            "python -m mlb_pipeline.backfill retrosheet|statsapi ...)"
        )
    parts = []
    for season in seasons:
        games = frame[frame["season"] == season]
        week = min(games["game_date"])
        last = max(games["game_date"])
        while week <= last:
            upcoming = games[(games["game_date"] >= week) & (games["game_date"] < week + dt.timedelta(days=7))]
            if not upcoming.empty:
                parts.append(_predict_week(frame, upcoming, week, cfg))
            week += dt.timedelta(days=7)
    predictions = pd.concat(parts, ignore_index=True)
    return Backtest(predictions)


def _predict_week(frame: pd.DataFrame, upcoming: pd.DataFrame, week: dt.date, cfg: dict) -> pd.DataFrame:
    """The week's games predicted by a version trained on what was final before it, as production's
    window takes it: the last ``training_seasons`` seasons with games before the week."""
    before = frame[frame["game_date"] < week]
    latest = int(before["season"].max())
    window = before[before["season"] > latest - int(cfg["training_seasons"])]
    trained_at = dt.datetime.combine(week, dt.time(), tzinfo=dt.UTC) - dt.timedelta(seconds=1)
    version = train(window, cfg=cfg, trained_at=trained_at)
    home_rate = float(window["home_win"].astype(float).mean())
    pct = {side: upcoming[f"{side}_season_win_pct"].astype(float).fillna(0.5).to_numpy() for side in ("home", "away")}
    return pd.DataFrame(
        {
            "game_pk": upcoming["game_pk"].astype(int).to_numpy(),
            "game_date": upcoming["game_date"].to_numpy(),
            "season": upcoming["season"].astype(int).to_numpy(),
            "home_team_id": upcoming["home_team_id"].astype(int).to_numpy(),
            "away_team_id": upcoming["away_team_id"].astype(int).to_numpy(),
            "game_number": upcoming["game_number"].to_numpy(),
            "home_win": upcoming["home_win"].astype(bool).to_numpy(),
            "p_model": version.predict(upcoming),
            "p_elo": upcoming[ELO_COLUMN].to_numpy(dtype=float),
            "p_log5": log5(pct["home"], pct["away"], cfg["home_edge"]),
            "p_always_home": np.full(len(upcoming), home_rate),
            "model_version": version.name,
            "trained_through": max(window["game_date"]),
        }
    )


def write_csv(backtest: Backtest, warehouse, path: str) -> int:
    """One row a game: ``retro_game_id, game_date, home_team, away_team, game_number, p_home,
    model_version`` (Retrosheet's codes and game number where the game is Retrosheet's; the Stats
    API's club ids and game_pk otherwise)."""
    retro = warehouse.frame(
        "SELECT game_pk, retro_game_id, home_retro_team, away_retro_team, retro_game_number "
        "FROM staging.stg_retrosheet_games"
    )
    p = backtest.predictions.merge(retro, on="game_pk", how="left")
    p["retro_game_number"] = pd.to_numeric(p["retro_game_number"], errors="coerce")
    out = pd.DataFrame(
        {
            "retro_game_id": p["retro_game_id"].fillna(p["game_pk"].astype(str)),
            "game_date": p["game_date"],
            "home_team": p["home_retro_team"].fillna(p["home_team_id"].astype(str)),
            "away_team": p["away_retro_team"].fillna(p["away_team_id"].astype(str)),
            "game_number": p["retro_game_number"].fillna(p["game_number"]).astype(int),
            "p_home": p["p_model"].round(6),
            "model_version": p["model_version"],
        }
    )
    out.to_csv(path, index=False)
    return len(out)


def report(backtest: Backtest) -> str:
    """The scores as a plain table: Brier, log loss and accuracy a season and pooled, the model
    beside each baseline; then the pooled calibration of the model."""
    scores = backtest.scores()
    lines = ["season   games  who          Brier   log loss  accuracy"]
    for season, by_who in scores.items():
        for who in ("model", *BASELINES):
            m = by_who[who]
            lines.append(
                f"{season:<8} {m['games']:>5}  {who:<11}  {m['brier']:.4f}  {m['log_loss']:.4f}    {m['accuracy']:.3f}"
            )
    lines.append("")
    lines.append("calibration of the model, pooled: predicted   observed   games")
    for row in scores["pooled"]["model"]["calibration"]:
        lines.append(f"  {row['bin']:<9}  {row['mean_predicted']:.3f}      {row['observed']:.3f}   {row['games']:>5}")
    return "\n".join(lines)
