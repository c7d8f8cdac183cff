"""The simulated league's true probabilities, brought to model evaluation from outside production.

The pipeline trains and scores its model from the warehouse alone; only a simulated league
knows each game's true home-win probability, so only the test side asks the double for it.
Tests and benchmarks pass ``League.truth`` straight to ``mlb_pipeline.model.train``; the demo
prints the best possible Brier score beside the champion's with this module:

    python -m mlb_replay.truth --url http://127.0.0.1:8765
"""

from __future__ import annotations

import argparse
import datetime as dt
import urllib.error
import urllib.request

import orjson


def fetch(base_url: str, seasons: list[int]) -> dict[int, float] | None:
    """game_pk -> true home-win probability of every game of ``seasons``, from the double at
    ``base_url`` (``/__replay__/truth/<season>``); None when it serves recorded data (a 404)."""
    truth: dict[int, float] = {}
    for season in seasons:
        try:
            with urllib.request.urlopen(f"{base_url.rstrip('/')}/__replay__/truth/{season}", timeout=30) as resp:
                games = orjson.loads(resp.read())["games"]
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise
        truth.update({int(g["gamePk"]): float(g["homeWinProbability"]) for g in games})
    return truth


def champion_against_truth(warehouse, registry, truth: dict[int, float], until: dt.date | None = None) -> dict | None:
    """The champion's Brier score and the true probabilities' (the best possible) on the same
    games: the final games of ``features.game_features`` from the champion's cut-off (before
    ``until``, when given) that ``truth`` knows. None without a champion or such games."""
    from mlb_pipeline.model import elo_history, metrics, with_elo

    champion = registry.champion()
    if champion is None:
        return None
    version = registry.load(champion["version"])
    games = warehouse.frame(
        "SELECT * FROM features.game_features WHERE is_final AND home_win IS NOT NULL AND game_date >= ? "
        "AND game_date < ? ORDER BY game_date, game_pk",
        [version.cutoff, until or dt.date.max],
    )
    games = with_elo(games[games["game_pk"].isin(truth)], elo_history(warehouse))
    if games.empty:
        return None
    outcomes = games["home_win"].astype(int).to_numpy()
    return {
        "version": version.name,
        "from": version.cutoff.isoformat(),
        "games": len(games),
        "brier": metrics(version.predict(games), outcomes)["brier"],
        "true_probability_brier": metrics(games["game_pk"].map(truth).to_numpy(), outcomes)["brier"],
    }


def main(argv: list[str] | None = None) -> None:
    from mlb_pipeline.model import Registry
    from mlb_pipeline.settings import lake_url
    from mlb_pipeline.warehouse import open_warehouse

    ap = argparse.ArgumentParser(prog="python -m mlb_replay.truth", description=__doc__)
    ap.add_argument("--url", required=True, help="the double's address, e.g. http://127.0.0.1:8765")
    args = ap.parse_args(argv)
    registry = Registry(lake_url())
    champion = registry.champion()
    if champion is None:
        return
    seasons = registry.metadata(champion["version"])["training_window"]["seasons"]
    truth = fetch(args.url, seasons)
    if truth is None:
        print("True probabilities: none (the double serves recorded data)")
        return
    out = champion_against_truth(open_warehouse(), registry, truth)
    if out:
        print(
            f"On the {out['games']} final games from {out['from']}: champion Brier {out['brier']:.4f}, "
            f"the simulated league's true probabilities {out['true_probability_brier']:.4f} (the best possible)"
        )


if __name__ == "__main__":
    main()
