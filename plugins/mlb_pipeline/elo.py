"""Club Elo ratings, the baseline a game-outcome model must beat (issue #22).

As FiveThirtyEight described theirs for baseball: every club starts at the mean, the home club
gets a fixed edge in rating points, the winner takes ``k`` times the surprise from the loser
(times a margin-of-victory multiplier, corrected for the autocorrelation a favourite's big wins
would bring), and between seasons every rating goes part of the way back to the mean. No
pitchers: what Elo lacks is what a model adds.

Strictly before each game: a date's games are all predicted from the ratings at the start of the
date, then its results move the ratings (the second game of a doubleheader does not see the
first's result; no game sees one played at the same time). Settings: ``config/model.yaml``'s
``elo`` section.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from mlb_pipeline.settings import load_config


def elo_config() -> dict:
    return load_config("model")["elo"]


def win_probability(home_rating: float, away_rating: float, home_advantage: float) -> float:
    """The home club's chance: the logistic curve of the rating gap, 400 points a factor of 10."""
    return 1.0 / (1.0 + 10.0 ** (-(home_rating + home_advantage - away_rating) / 400.0))


def margin_multiplier(run_diff: int, winner_gap: float) -> float:
    """FiveThirtyEight's margin-of-victory multiplier: log of the margin, shrunk when the winner
    was already the stronger club (``winner_gap``: its rating gap, home edge included), so
    favourites' wins do not inflate their ratings (autocorrelation)."""
    return math.log(abs(run_diff) + 1.0) * 2.2 / (winner_gap * 0.001 + 2.2)


def elo_probabilities(
    games: Iterable[tuple], settings: dict | None = None, ratings: dict | None = None
) -> tuple[np.ndarray, dict]:
    """The home club's pre-game chance for each game, and the ratings after the last.

    ``games``: ``(season, game_date, home_club, away_club, home_score, away_score)`` in date order
    (clubs by any key that follows the franchise: the Stats API's club id); a game without a score
    (not played yet) is predicted and moves nothing. ``ratings``: where to start (default: every
    club at the mean, seasons regressed as they turn)."""
    cfg = {**elo_config(), **(settings or {})}
    k, edge, mean = float(cfg["k"]), float(cfg["home_advantage"]), float(cfg["mean"])
    keep, mov = 1.0 - float(cfg["season_regression"]), bool(cfg["margin_of_victory"])
    ratings = dict(ratings or {})
    season = ratings.pop("__season__", None)
    out: list[float] = []
    day: list[tuple] = []

    def settle(day: list[tuple]) -> None:
        changes: dict = {}
        for home, away, home_score, away_score, p in day:
            if home_score is None or away_score is None or home_score != home_score or away_score != away_score:
                continue  # not played (or NaN): predicted only
            result = 1.0 if home_score > away_score else 0.0 if home_score < away_score else 0.5
            multiplier = 1.0
            if mov and home_score != away_score:
                gap = ratings.get(home, mean) + edge - ratings.get(away, mean)
                multiplier = margin_multiplier(home_score - away_score, gap if result == 1.0 else -gap)
            delta = k * multiplier * (result - p)
            changes[home] = changes.get(home, 0.0) + delta
            changes[away] = changes.get(away, 0.0) - delta
        for club, change in changes.items():
            ratings[club] = ratings.get(club, mean) + change

    current_date = None
    for game_season, game_date, home, away, home_score, away_score in games:
        if game_date != current_date:
            settle(day)
            day, current_date = [], game_date
        if game_season != season:
            if season is not None:
                for club in ratings:
                    ratings[club] = mean + keep * (ratings[club] - mean)
            season = game_season
        p = win_probability(ratings.get(home, mean), ratings.get(away, mean), edge)
        out.append(p)
        day.append((home, away, home_score, away_score, p))
    settle(day)
    return np.asarray(out, dtype=float), {**ratings, "__season__": season}


def pregame_by_game(games, settings: dict | None = None) -> dict[int, float]:
    """The home club's pre-game chance for every game of ``games`` (a frame of
    ``features.game_features``' rows: ``game_pk, season, game_date, game_number, home_team_id,
    away_team_id, is_final, home_margin``), the ratings carried through all of them in date order.
    Only the margin moves a rating, so it stands in for the score (``home_margin`` to 0)."""
    import pandas as pd

    ordered = games.sort_values(["game_date", "game_number", "game_pk"])
    final = ordered["is_final"].astype(bool) & ordered["home_margin"].notna()
    margins = [int(m) if f else None for m, f in zip(ordered["home_margin"], final)]
    rows = zip(
        ordered["season"].astype(int),
        pd.to_datetime(ordered["game_date"]).dt.date,
        ordered["home_team_id"].astype(int),
        ordered["away_team_id"].astype(int),
        margins,
        [0 if m is not None else None for m in margins],
    )
    p, _ = elo_probabilities(rows, settings)
    return dict(zip(ordered["game_pk"].astype(int), p))
