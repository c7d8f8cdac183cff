"""The game-outcome model: train it, keep the champion honest, predict, and score (issue #6).

An XGBoost classifier of the home club's win probability, learnt from
``features.game_features`` (the final games of the last ``training_seasons`` seasons).

- **Forward in time, always**: a version learns from the games before its cut-off and is
  scored on the later ones (the latest ``holdout_fraction``), never on a random split: a
  game's features describe the season up to that morning, and a random split would let
  later games teach earlier ones. Every score sits beside two baselines on the same games.
- **Starting from Elo** (``base_margin``): the boosting starts from the club Elo rating's
  pre-game log-odds (``elo.py``) and learns what Elo lacks (starters, rest, form); Elo is
  computed over every game of ``features.game_features``, so a window of three seasons still
  starts from ratings carried through all history.
- **Champion and challenger**: each new version is a challenger; it replaces the champion
  only when its Brier score on the games *both* held out (after both cut-offs) is lower by
  ``promotion_margin_brier``. The champion is frozen in the postseason (seed 003).
- **Registry** in object storage, ``models/game_outcome/<version>/model.json`` (XGBoost's
  own JSON) and ``metadata.json``, with ``champion.json`` naming the champion; the table
  ``ml.model_versions`` mirrors it. Rolling back is pointing ``champion.json`` elsewhere.
- **Predictions** of the next game day's games in ``ml.predictions`` (one row per game and
  version, with the top ``pred_contribs``), scored a day later in ``ml.prediction_scores``.

Configuration: ``config/model.yaml``. Command line: ``python -m mlb_pipeline.model --help``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import math
import platform

import numpy as np
import orjson
import pandas as pd

from mlb_pipeline.settings import load_config

log = logging.getLogger(__name__)

MODEL_NAME = "game_outcome"
# The Elo baseline's pre-game home-win chance, added to every frame the model reads
ELO_COLUMN = "elo_home_win_probability"


def model_config() -> dict:
    return load_config("model")[MODEL_NAME]


class ModelInputError(ValueError):
    """The training or evaluation data cannot make a meaningful model (said why)."""


class NotEnoughGames(ModelInputError):
    """Too little history to learn from yet (the first days of a new warehouse)."""


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
    """Accuracy (a probability >= 0.5 predicts a home win), Brier score and log loss
    (scikit-learn's), and a calibration table (``bins`` equal-width bins of the predicted
    probability: games, mean predicted, observed home-win rate) for home-win
    ``probabilities`` against 0/1 ``outcomes``."""
    p = np.asarray(probabilities, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    if p.shape != y.shape or p.size == 0:
        raise ModelInputError(f"need as many probabilities as outcomes, and some: {p.size} and {y.size}")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ModelInputError("probabilities must lie in [0, 1]")
    from sklearn.metrics import accuracy_score, brier_score_loss, log_loss

    which = np.minimum((p * bins).astype(int), bins - 1)
    table = [
        {
            "bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}",
            "games": int((which == b).sum()),
            "mean_predicted": float(p[which == b].mean()),
            "observed": float(y[which == b].mean()),
        }
        for b in range(bins)
        if (which == b).any()
    ]
    return {
        "games": int(y.size),
        "accuracy": float(accuracy_score(y == 1, p >= 0.5)),
        "brier": float(brier_score_loss(y, p, pos_label=1)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "calibration": table,
    }


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
    cfg = model_config()
    y = test["home_win"].astype(float).to_numpy()
    home_rate = float(train["home_win"].astype(float).mean())
    if math.isnan(home_rate):
        raise ModelInputError("no training games to take the home-win rate from")
    home = np.full(len(test), home_rate)
    pct = {side: test[f"{side}_season_win_pct"].astype(float).fillna(0.5).to_numpy() for side in ("home", "away")}
    return {
        "always_home": metrics(home, y, cfg["calibration_bins"]),
        "log5": metrics(log5(pct["home"], pct["away"], cfg["home_edge"]), y, cfg["calibration_bins"]),
    }


# ------------------------------------------------------------------------------------
# Training data
# ------------------------------------------------------------------------------------
def training_frame(warehouse, as_of: dt.date, seasons: int) -> pd.DataFrame:
    """The final games before ``as_of`` of the last ``seasons`` seasons that have any (in
    January, the last one is the season just ended), with their Elo chance."""
    frame = warehouse.frame(
        "SELECT * FROM features.game_features WHERE is_final AND home_win IS NOT NULL AND game_date < ? "
        "AND season > (SELECT max(season) FROM features.game_features WHERE is_final AND game_date < ?) - ? "
        "ORDER BY game_date, game_pk",
        [as_of, as_of, seasons],
    )
    return with_elo(_dated(frame), elo_history(warehouse))


def elo_history(warehouse) -> pd.DataFrame:
    """Every game of ``features.game_features``: what the Elo ratings are carried through."""
    return warehouse.frame(
        "SELECT game_pk, season, game_date, game_number, home_team_id, away_team_id, is_final, home_margin "
        "FROM features.game_features"
    )


def with_elo(frame: pd.DataFrame, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """``frame`` with the Elo baseline's pre-game home-win chance of each game (``ELO_COLUMN``),
    the ratings carried through ``history`` (by default the frame's own games) in date order.
    Before each game means before its date: the ratings a date starts with (``elo.py``)."""
    from mlb_pipeline.elo import pregame_by_game

    chances = pregame_by_game(frame if history is None else history)
    return frame.assign(**{ELO_COLUMN: frame["game_pk"].astype(int).map(chances)})


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    """``game_date`` as dates (the drivers give timestamps)."""
    return frame.assign(game_date=pd.to_datetime(frame["game_date"]).dt.date)


def check_columns(frame: pd.DataFrame, features: list[str], what: str) -> None:
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise ModelInputError(
            f"the {what} lacks feature columns {missing} (is features.game_features current? "
            "a new column needs one `dbt build --full-refresh`)"
        )


def check_inputs(
    frame: pd.DataFrame, features: list[str], what: str = "training window", margin: str | None = None
) -> None:
    """Clear errors for data no model can honestly be learnt from (``margin``: the column the
    boosting starts from, when it does)."""
    if frame.empty:
        raise ModelInputError(f"the {what} has no final games")
    check_columns(frame, features, what)
    if margin and (margin not in frame.columns or frame[margin].isna().any()):
        raise ModelInputError(f"the {what} lacks {margin} for some games (read it with model.with_elo)")
    outcomes = set(frame["home_win"].astype(bool))
    if len(outcomes) < 2:
        raise ModelInputError(
            f"every game of the {what} ({len(frame)}) has the same outcome "
            f"(home_win={outcomes.pop()}): there is nothing to learn"
        )


def data_checksum(frame: pd.DataFrame, features: list[str], base_margin: str | None = None) -> str:
    """A digest of exactly what a model learns from: the games, their features, outcomes."""
    columns = ["game_pk", *features, *([base_margin] if base_margin else []), "home_win"]
    part = frame[columns].sort_values("game_pk").reset_index(drop=True)
    return hashlib.sha256(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes()).hexdigest()


def _matrix(frame: pd.DataFrame, features: list[str], label: str | None = None, base_margin: str | None = None):
    """XGBoost's matrix of ``features``; with ``base_margin`` (a probability column), the
    boosting starts from its log-odds rather than from a constant."""
    import xgboost as xgb

    start = None
    if base_margin:
        p = frame[base_margin].astype(float).clip(1e-6, 1 - 1e-6).to_numpy()
        start = np.log(p / (1 - p))
    return xgb.DMatrix(
        frame[features].astype(float).to_numpy(),
        feature_names=list(features),
        label=frame[label].astype(int).to_numpy() if label else None,
        base_margin=start,
    )


def predict(booster, frame: pd.DataFrame, features: list[str], base_margin: str | None = None) -> np.ndarray:
    return booster.predict(_matrix(frame, features, base_margin=base_margin))


# ------------------------------------------------------------------------------------
# Training: one version, scored forward in time beside the baselines
# ------------------------------------------------------------------------------------
@dataclasses.dataclass
class Version:
    """A trained model and what is known about it (``metadata`` is ``metadata.json``)."""

    booster: object
    metadata: dict

    @property
    def name(self) -> str:
        return self.metadata["version"]

    @property
    def features(self) -> list[str]:
        return self.metadata["features"]

    @property
    def cutoff(self) -> dt.date:
        return dt.date.fromisoformat(self.metadata["evaluation"]["cutoff"])

    @property
    def base_margin(self) -> str | None:
        return self.metadata.get("base_margin")

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return predict(self.booster, frame, self.features, self.base_margin)


def train(
    frame: pd.DataFrame,
    truth: dict[int, float] | None = None,
    cfg: dict | None = None,
    trained_at: dt.datetime | None = None,
) -> Version:
    """Train on the games before the forward split's cut-off; score the held-out games with
    the model and both baselines, from the data alone. ``truth`` (game_pk -> true home-win
    probability) exists only for a simulated league: tests and benchmarks take it from the
    API double and pass it in, so the held-out games' best possible Brier score is reported
    too; production never has it."""
    import xgboost as xgb

    cfg = cfg or model_config()
    features = list(cfg["features"])
    if 0 < len(frame) < cfg["min_training_games"]:
        raise NotEnoughGames(
            f"the training window has {len(frame)} final games; at least "
            f"{cfg['min_training_games']} are needed (config/model.yaml min_training_games)"
        )
    margin = cfg.get("base_margin")
    check_inputs(frame, features, margin=margin)
    learn, held_out, cutoff = forward_split(frame, cfg["holdout_fraction"])
    check_inputs(learn, features, "training part (before the cut-off)", margin)
    booster = xgb.train(
        dict(cfg["params"]),
        _matrix(learn, features, label="home_win", base_margin=margin),
        num_boost_round=cfg["num_boost_round"],
    )
    y = held_out["home_win"].astype(int).to_numpy()
    evaluation = {
        "cutoff": cutoff.isoformat(),
        **metrics(predict(booster, held_out, features, margin), y, cfg["calibration_bins"]),
    }
    base = baselines(learn, held_out)
    if truth:
        known = held_out["game_pk"].map(truth)
        if known.notna().all():
            evaluation["true_probability_brier"] = metrics(known.to_numpy(), y)["brier"]
    trained_at = trained_at or dt.datetime.now(dt.UTC)
    dates = pd.to_datetime(frame["game_date"]).dt.date
    metadata = {
        "model": MODEL_NAME,
        "version": trained_at.strftime("%Y%m%dT%H%M%S%fZ"),
        "trained_at": trained_at.isoformat(),
        "training_window": {
            "from": min(dates).isoformat(),
            "to": max(learn["game_date"]).isoformat(),
            "seasons": sorted(int(s) for s in frame["season"].unique()),
            "games": len(learn),
            "held_out_games": len(held_out),
        },
        "features": features,
        "base_margin": margin,
        "data_checksum": data_checksum(frame, features, margin),
        "params": dict(cfg["params"]),
        "num_boost_round": cfg["num_boost_round"],
        "holdout_fraction": cfg["holdout_fraction"],
        "evaluation": evaluation,
        "baselines": base,
        "libraries": {
            "xgboost": xgb.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
    }
    log.info(
        "trained %s on %d games (%s to %s); held out %d games from %s: %s",
        metadata["version"],
        len(learn),
        metadata["training_window"]["from"],
        metadata["training_window"]["to"],
        len(held_out),
        cutoff,
        report_line(metadata),
    )
    return Version(booster, metadata)


def report_line(metadata: dict) -> str:
    """Brier and accuracy of a version beside the baselines (and the limit, when known)."""
    e, b = metadata["evaluation"], metadata["baselines"]
    limit = f", true probabilities {e['true_probability_brier']:.4f}" if "true_probability_brier" in e else ""
    return (
        f"Brier {e['brier']:.4f} (always home {b['always_home']['brier']:.4f}, log5 {b['log5']['brier']:.4f}"
        f"{limit}); accuracy {e['accuracy']:.3f} (always home {b['always_home']['accuracy']:.3f}, "
        f"log5 {b['log5']['accuracy']:.3f}) on {e['games']} held-out games"
    )


def compare(champion: Version, challenger: Version, frame: pd.DataFrame, margin: float) -> dict:
    """Both versions' Brier scores on the games of ``frame`` that both held out (on or after
    both cut-offs), and whether the challenger wins by ``margin``."""
    common_from = max(champion.cutoff, challenger.cutoff)
    games = frame[pd.to_datetime(frame["game_date"]).dt.date >= common_from]
    out = {
        "champion": champion.name,
        "challenger": challenger.name,
        "games": len(games),
        "from": common_from.isoformat(),
        "margin": margin,
    }
    if games.empty:
        return {**out, "promote": False, "reason": "no games held out by both versions yet"}
    y = games["home_win"].astype(int).to_numpy()
    missing = [f for f in champion.features if f not in games.columns]
    if missing:
        return {**out, "promote": True, "reason": f"the champion's features {missing} no longer exist"}
    champ, chall = (metrics(v.predict(games), y)["brier"] for v in (champion, challenger))
    better = champ - chall >= margin
    return {
        **out,
        "champion_brier": champ,
        "challenger_brier": chall,
        "promote": better,
        "reason": (
            f"Brier {chall:.4f} against the champion's {champ:.4f} on {len(games)} games from "
            f"{common_from}: " + ("better by at least" if better else "not better by") + f" {margin}"
        ),
    }


# ------------------------------------------------------------------------------------
# The registry: object storage, mirrored in ml.model_versions
# ------------------------------------------------------------------------------------
class Registry:
    """``<lake>/models/game_outcome/<version>/{model.json,metadata.json}`` and
    ``champion.json``, through Airflow's ObjectStoragePath (local folder or gs://)."""

    def __init__(self, lake_url: str, path_class=None):
        """``path_class``: Airflow's ObjectStoragePath by default (its connections' credentials);
        a reader that must be quick can pass universal-pathlib's UPath, which ObjectStoragePath
        extends, and skip importing Airflow (seconds)."""
        if path_class is None:
            from airflow.sdk import ObjectStoragePath as path_class

        self.root = path_class(lake_url) / "models" / MODEL_NAME

    def save(self, version: Version) -> str:
        folder = self.root / version.name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.json").write_bytes(bytes(version.booster.save_raw("json")))
        (folder / "metadata.json").write_bytes(orjson.dumps(version.metadata, option=orjson.OPT_INDENT_2))
        return str(folder)

    def versions(self) -> list[str]:
        """Versions in the registry, oldest first."""
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "metadata.json").exists())

    def metadata(self, name: str) -> dict:
        return orjson.loads((self.root / name / "metadata.json").read_bytes())

    def load(self, name: str) -> Version:
        import xgboost as xgb

        if not (self.root / name / "model.json").exists():
            raise ModelInputError(f"no version {name!r} in the registry {self.root} (versions: {self.versions()})")
        booster = xgb.Booster()
        booster.load_model(bytearray((self.root / name / "model.json").read_bytes()))
        return Version(booster, self.metadata(name))

    def champion(self) -> dict | None:
        """``{"version", "since", "reason"}`` of the champion, or None before the first."""
        path = self.root / "champion.json"
        return orjson.loads(path.read_bytes()) if path.exists() else None

    def set_champion(self, name: str, reason: str) -> dict:
        if name not in self.versions():
            raise ModelInputError(f"no version {name!r} in the registry (versions: {self.versions()})")
        previous = self.champion()
        record = {
            "version": name,
            "since": dt.datetime.now(dt.UTC).isoformat(),
            "reason": reason,
            "previous": previous["version"] if previous else None,
        }
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "champion.json").write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2))
        return record

    def prune(self, keep: int) -> list[str]:
        """Remove all but the newest ``keep`` versions, never the champion."""
        champion = (self.champion() or {}).get("version")
        old = [v for v in self.versions()[:-keep] if v != champion] if keep > 0 else []
        for name in old:
            (self.root / name).rmdir(recursive=True)
        return old


def mirror_versions(warehouse, registry: Registry) -> int:
    """Make ``ml.model_versions`` say what the registry holds: every version in it, with its
    status, and the versions no longer in it as ``pruned``."""
    champion = (registry.champion() or {}).get("version")
    held = registry.versions()
    rows = []
    for name in held:
        m = registry.metadata(name)
        e, w = m["evaluation"], m["training_window"]
        status = "champion" if name == champion else ("retired" if m.get("was_champion") else "challenger")
        rows.append(
            {
                "model_name": MODEL_NAME,
                "version": name,
                "trained_at": dt.datetime.fromisoformat(m["trained_at"]),
                "run_id": m.get("run_id"),
                "status": status,
                "is_champion": name == champion,
                "training_from": dt.date.fromisoformat(w["from"]),
                "training_to": dt.date.fromisoformat(w["to"]),
                "cutoff": dt.date.fromisoformat(e["cutoff"]),
                "training_games": w["games"],
                "holdout_games": w["held_out_games"],
                "data_checksum": m["data_checksum"],
                "brier": e["brier"],
                "accuracy": e["accuracy"],
                "log_loss": e["log_loss"],
                "baseline_brier": {k: v["brier"] for k, v in m["baselines"].items()},
                "true_brier": e.get("true_probability_brier"),
                "decision": (m.get("decision") or {}).get("reason"),
                "uri": str(registry.root / name),
                "metadata": m,
            }
        )
    warehouse.upsert("ml.model_versions", rows, ("baseline_brier", "metadata"))
    gone = [
        r["version"]
        for r in warehouse.query(
            "SELECT version FROM ml.model_versions WHERE model_name = ? AND status <> 'pruned'", [MODEL_NAME]
        )
        if r["version"] not in held
    ]
    for name in gone:
        warehouse.execute(
            "UPDATE ml.model_versions SET status = 'pruned', is_champion = false WHERE model_name = ? AND version = ?",
            [MODEL_NAME, name],
        )
    return len(rows)


# ------------------------------------------------------------------------------------
# The training step: train a challenger, promote it or not, keep the registry tidy
# ------------------------------------------------------------------------------------
def train_and_register(
    warehouse,
    registry: Registry,
    as_of: dt.date,
    run_id: str,
    *,
    phase: str = "regular_season",
    full: bool = False,
    truth: dict[int, float] | None = None,
) -> dict:
    """What the training task does. Returns what happened (``outcome``: ``frozen``,
    ``unchanged``, ``promoted`` or ``not_promoted``) with the version's report.

    The champion is only ever replaced after the challenger is safely in the registry, so
    a failure anywhere leaves the current champion in place."""
    cfg = model_config()
    if phase == "postseason":
        log.info("postseason: the champion is frozen (seed 003); no training")
        return {"outcome": "frozen", "champion": (registry.champion() or {}).get("version")}
    frame = training_frame(warehouse, as_of, cfg["training_seasons"])
    if frame.empty:
        raise ModelInputError(
            f"no final games in features.game_features before {as_of} in the last "
            f"{cfg['training_seasons']} seasons: nothing to train on"
        )
    check_columns(frame, cfg["features"], "training window")
    versions = registry.versions()
    checksum = data_checksum(frame, cfg["features"], cfg.get("base_margin"))
    if not full and versions and _same_training(registry.metadata(versions[-1]), checksum, cfg):
        log.info(
            "neither the training data nor config/model.yaml changed since %s was trained (%s): nothing to train",
            versions[-1],
            checksum[:12],
        )
        return {"outcome": "unchanged", "champion": (registry.champion() or {}).get("version"), "latest": versions[-1]}
    challenger = train(frame, truth, cfg)
    challenger.metadata["run_id"] = run_id
    champion_name = (registry.champion() or {}).get("version")
    if champion_name is None:
        decision = {"promote": True, "reason": "the first version: no champion to beat"}
    else:
        decision = compare(registry.load(champion_name), challenger, frame, cfg["promotion_margin_brier"])
    challenger.metadata["decision"] = decision
    registry.save(challenger)
    if decision["promote"]:
        if champion_name:
            old = registry.metadata(champion_name)
            old["was_champion"] = True
            (registry.root / champion_name / "metadata.json").write_bytes(orjson.dumps(old, option=orjson.OPT_INDENT_2))
        registry.set_champion(challenger.name, decision["reason"])
        log.info("%s is the champion: %s", challenger.name, decision["reason"])
    else:
        log.warning("%s trained and kept as a challenger, NOT promoted: %s", challenger.name, decision["reason"])
    pruned = registry.prune(cfg["keep_versions"])
    mirror_versions(warehouse, registry)
    return {
        "outcome": "promoted" if decision["promote"] else "not_promoted",
        "version": challenger.name,
        "champion": registry.champion()["version"],
        "decision": decision,
        "pruned": pruned,
        "report": report_line(challenger.metadata),
    }


def _same_training(metadata: dict, checksum: str, cfg: dict) -> bool:
    """Would training now learn exactly what ``metadata``'s version learnt, the same way?"""
    return (
        metadata["data_checksum"] == checksum
        and metadata["features"] == list(cfg["features"])
        and metadata.get("base_margin") == cfg.get("base_margin")
        and metadata["params"] == dict(cfg["params"])
        and metadata["num_boost_round"] == cfg["num_boost_round"]
        and metadata.get("holdout_fraction") == cfg["holdout_fraction"]
    )


def rollback(warehouse, registry: Registry, version: str, who: str = "command line") -> dict:
    """Make an earlier version the champion again (it must still be in the registry)."""
    metadata = registry.metadata(version) if version in registry.versions() else None
    if metadata is None:
        raise ModelInputError(f"cannot roll back to {version!r}: not in the registry (versions: {registry.versions()})")
    record = registry.set_champion(version, f"rolled back by {who}")
    mirror_versions(warehouse, registry)
    log.warning("rolled back: %s is the champion again (was %s)", version, record["previous"])
    return record


# ------------------------------------------------------------------------------------
# Predictions and their scores
# ------------------------------------------------------------------------------------
def top_contributions(
    booster, frame: pd.DataFrame, features: list[str], k: int, base_margin: str | None = None
) -> list[list[dict]]:
    """Each row's ``k`` largest feature contributions (XGBoost ``pred_contribs``, in log-odds
    away from where the boosting started: the constant, or Elo's log-odds; features that do
    not move the prediction are left out)."""
    matrix = _matrix(frame, features, base_margin=base_margin)
    contribs = booster.predict(matrix, pred_contribs=True)[:, :-1]  # last column: the bias
    values = frame[features].astype(float).to_numpy()
    out = []
    for row, vals in zip(contribs, values):
        order = [i for i in np.argsort(-np.abs(row))[:k] if row[i] != 0]
        out.append(
            [
                {
                    "feature": features[i],
                    "value": None if math.isnan(vals[i]) else float(vals[i]),
                    "contribution": round(float(row[i]), 6),
                }
                for i in order
            ]
        )
    return out


def predict_games(warehouse, registry: Registry, game_date: dt.date, run_id: str, played: bool = False) -> list[dict]:
    """The champion's home-win probability for every game of ``game_date`` not yet final,
    into ``ml.predictions`` (one row per game and version: a rerun replaces its own rows).
    ``played``: its final games too, for a walk-forward record of dates already played
    (honest only with a champion trained before ``game_date``, as ``train_and_register``
    makes one)."""
    champion = registry.champion()
    if champion is None:
        raise ModelInputError("no champion yet: nothing can predict (the first training makes one)")
    version = registry.load(champion["version"])
    games = _dated(
        warehouse.frame(
            "SELECT * FROM features.game_features WHERE game_date = ? AND (? OR NOT is_final) ORDER BY game_pk",
            [game_date, played],
        )
    )
    games = with_elo(games, elo_history(warehouse))
    if games.empty:
        log.info("no games to predict on %s", game_date)
        return []
    check_columns(games, version.features, f"games of {game_date}")
    p = version.predict(games)
    contribs = top_contributions(
        version.booster, games, version.features, model_config()["top_contributions"], version.base_margin
    )
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "game_pk": int(g.game_pk),
            "model_version": version.name,
            "game_date": game_date,
            "home_team_id": int(g.home_team_id),
            "away_team_id": int(g.away_team_id),
            "home_win_probability": float(prob),
            "top_contributions": c,
            "predicted_at": now,
            "run_id": run_id,
        }
        for g, prob, c in zip(games.itertuples(), p, contribs)
    ]
    warehouse.upsert("ml.predictions", rows, ("top_contributions",))
    log.info("%d games of %s predicted by %s", len(rows), game_date, version.name)
    return rows


def score_predictions(warehouse, game_date: dt.date) -> dict | None:
    """Score the predictions of ``game_date``'s games against their outcomes, with the
    rolling 7 days to that date, into ``ml.prediction_scores``. The prediction a game is
    scored by is its latest (the one published before it was played)."""
    frame = warehouse.frame(
        "SELECT p.game_pk, p.game_date, p.model_version, p.home_win_probability, p.predicted_at, "
        "g.home_score, g.away_score FROM ml.predictions AS p JOIN raw.games AS g ON g.game_pk = p.game_pk "
        "WHERE g.is_final AND p.game_date BETWEEN ? AND ?",
        [game_date - dt.timedelta(days=6), game_date],
    )
    if frame.empty:
        return None
    frame = frame.sort_values("predicted_at").groupby("game_pk").tail(1)
    frame["home_win"] = (frame["home_score"] > frame["away_score"]).astype(int)
    day = frame[pd.to_datetime(frame["game_date"]).dt.date == game_date]
    if day.empty:
        return None
    score = lambda f: metrics(f["home_win_probability"], f["home_win"])  # noqa: E731
    d, w = score(day), score(frame)
    row = {
        "game_date": game_date,
        "games": d["games"],
        "accuracy": d["accuracy"],
        "brier": d["brier"],
        "games_7d": w["games"],
        "accuracy_7d": w["accuracy"],
        "brier_7d": w["brier"],
        "model_versions": sorted(day["model_version"].unique().tolist()),
        "scored_at": dt.datetime.now(dt.UTC),
    }
    warehouse.upsert("ml.prediction_scores", [row], ("model_versions",))
    log.info(
        "predictions of %s: %d games, accuracy %.3f, Brier %.4f; last 7 days: %d games, accuracy %.3f, Brier %.4f",
        game_date,
        d["games"],
        d["accuracy"],
        d["brier"],
        w["games"],
        w["accuracy"],
        w["brier"],
    )
    return row


# ------------------------------------------------------------------------------------
# Command line: list versions, roll back
# ------------------------------------------------------------------------------------
def version_rows(registry: Registry) -> list[dict]:
    """Each version of the registry, oldest first, from its metadata alone (no model is loaded):
    when trained, on which games, its scores beside the baselines', and the decision taken."""
    champion = (registry.champion() or {}).get("version")
    rows = []
    for name in registry.versions():
        m = registry.metadata(name)
        e, w = m["evaluation"], m["training_window"]
        rows.append(
            {
                "version": name,
                "status": "champion" if name == champion else ("retired" if m.get("was_champion") else "challenger"),
                "trained_at": m["trained_at"],
                "training_from": w["from"],
                "training_to": w["to"],
                "held_out_games": e["games"],
                "brier": e["brier"],
                "log_loss": e["log_loss"],
                "accuracy": e["accuracy"],
                "baseline_brier": {k: v["brier"] for k, v in m["baselines"].items()},
                "promoted": (m.get("decision") or {}).get("promote"),
                "decision": (m.get("decision") or {}).get("reason"),
            }
        )
    return rows


def describe_versions(rows: list[dict]) -> str:
    """``model versions``: a table with a header, the champion marked ``*``."""
    if not rows:
        return "No versions in the registry yet (the first training makes one)."
    lines = [
        f"  {'version':<22}  {'trained (UTC)':<16}  {'trained on':<22}  {'held out':>8}  "
        f"{'Brier':>6}  {'home':>6}  {'log5':>6}  {'acc.':>5}  decision"
    ]
    for r in rows:
        base = r["baseline_brier"]
        trained = dt.datetime.fromisoformat(r["trained_at"]).astimezone(dt.UTC)
        lines.append(
            f"{'*' if r['status'] == 'champion' else ' '} {r['version']:<22}  {trained:%Y-%m-%d %H:%M}  "
            f"{r['training_from'] + '..' + r['training_to']:<22}  {r['held_out_games']:>8,}  {r['brier']:>6.4f}  "
            f"{base.get('always_home', math.nan):>6.4f}  {base.get('log5', math.nan):>6.4f}  "
            f"{r['accuracy']:>5.3f}  {r['status']}: {r['decision'] or 'no decision recorded'}"
        )
    lines.append("home, log5: the baselines' Brier scores on the same held-out games; * the champion")
    return "\n".join(lines)


def main(argv: list[str] | None = None, prog: str = "python -m mlb_pipeline.model") -> int:
    from mlb_pipeline import arguments
    from mlb_pipeline.settings import lake_url

    ap = arguments.Parser(prog=prog, description="The game-outcome model's registry.")
    sub = ap.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("versions", help="list the versions in the registry, the champion marked")
    listing.add_argument("--json", action="store_true", help="one object a version, as JSON")
    back = sub.add_parser("rollback", help="make an earlier version the champion again")
    back.add_argument("version", help="a version of the registry (see: versions)")
    test = sub.add_parser("backtest", help="walk forward through real seasons beside the baselines (issue #22)")
    test.add_argument(
        "--train-through", type=arguments.year, required=True, help="the last season of the first training"
    )
    test.add_argument(
        "--seasons", type=arguments.seasons, required=True, help="the test seasons: 2019,2020 or 2019-2022"
    )
    test.add_argument("--csv", help="write one row a game here")
    test.add_argument("--no-rebuild", action="store_true", help="use features.game_features as it is (no dbt)")
    args = ap.parse_args(argv)
    if args.command == "backtest":
        return _backtest(ap, args)
    # The registry read through universal-pathlib's UPath, which Airflow's ObjectStoragePath extends:
    # listing and checking versions needs no Airflow (seconds to import); rolling back writes through it.
    from upath import UPath

    if args.command == "versions":
        import json

        rows = version_rows(Registry(lake_url(), UPath))
        print(json.dumps(rows, indent=2) if args.json else describe_versions(rows))
        return 0
    held = Registry(lake_url(), UPath).versions()
    if args.version not in held:
        ap.error(
            f"argument version: no version {args.version!r} in the registry {lake_url()} "
            f"(versions: {', '.join(held) or 'none yet'})"
        )
    from mlb_pipeline.warehouse import open_warehouse

    registry, warehouse = Registry(lake_url()), open_warehouse()
    warehouse.ensure_schema()
    record = rollback(warehouse, registry, args.version)
    print(f"{record['version']} is the champion (was {record['previous']})")
    return 0


def _backtest(ap, args) -> int:
    from mlb_pipeline import backtest
    from mlb_pipeline.backfill import rebuild_features
    from mlb_pipeline.warehouse import open_warehouse

    seasons = args.seasons
    if min(seasons) <= args.train_through:
        ap.error(f"argument --seasons: the test seasons must come after --train-through {args.train_through}")
    if not args.no_rebuild:
        print("building the features over everything loaded (dbt build --full-refresh)...", flush=True)
        rebuild_features()
    warehouse = open_warehouse()
    try:
        result = backtest.run(warehouse, args.train_through, seasons)
    except ModelInputError as exc:
        ap.exit(1, f"{ap.prog}: {exc}\n")
    print(backtest.report(result))
    if args.csv:
        print(f"{backtest.write_csv(result, warehouse, args.csv)} games written to {args.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
