"""The game-outcome model: its yardsticks with hand-checkable numbers (forward splits,
metrics, log5), then training, promotion, the registry and predictions on a simulated season.

The season is ``features.game_features`` of the simulated league (seed 7) built by the
pipeline, kept in tests/data (collecting a season takes half an hour; regenerate it with
``python benchmarks/bench_model.py --seasons 1 --write-snapshot`` after changing the
features; tests/test_features.py checks it has the columns the dbt model builds today).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlb_pipeline import model
from mlb_pipeline.model import ModelInputError, baselines, forward_split, log5, metrics
from mlb_pipeline.warehouse import DuckDBWarehouse
from mlb_replay.truth import champion_against_truth

SNAPSHOT = Path(__file__).parent / "data" / "simulated_game_features_2024.parquet"


def games(per_day: list[int]) -> pd.DataFrame:
    rows = []
    for n, count in enumerate(per_day):
        rows += [
            {"game_date": dt.date(2024, 5, 1) + dt.timedelta(days=n), "home_win": i % 2 == 0} for i in range(count)
        ]
    return pd.DataFrame(rows)


@pytest.mark.unit
def test_forward_split_holds_out_whole_later_dates():
    frame = games([3, 3, 3, 3, 3])  # 15 games on 5 dates
    train, test, cutoff = forward_split(frame, 0.2)
    assert cutoff == dt.date(2024, 5, 5) and len(test) == 3 and len(train) == 12
    assert train["game_date"].max() < test["game_date"].min()
    train, test, cutoff = forward_split(frame, 0.45)  # 6 games fit, 9 would not
    assert cutoff == dt.date(2024, 5, 4) and len(test) == 6
    with pytest.raises(ModelInputError, match="at least two dates"):
        forward_split(games([4]), 0.2)


@pytest.mark.unit
def test_metrics_of_a_coin_and_of_a_sure_thing():
    coin = metrics([0.5] * 4, [1, 0, 1, 1])
    assert coin["brier"] == 0.25 and math.isclose(coin["log_loss"], math.log(2))
    assert coin["accuracy"] == 0.75  # 0.5 counts as predicting the home club
    sure = metrics([0.9, 0.9, 0.1, 0.1], [1, 1, 0, 1])
    assert math.isclose(sure["brier"], (0.01 + 0.01 + 0.01 + 0.81) / 4) and sure["accuracy"] == 0.75
    assert [(c["bin"], c["games"], c["observed"]) for c in sure["calibration"]] == [
        ("0.1-0.2", 2, 0.5),
        ("0.9-1.0", 2, 1.0),
    ]
    with pytest.raises(ModelInputError):
        metrics([0.5, 1.2], [1, 0])


@pytest.mark.unit
def test_log5():
    assert math.isclose(log5(0.5, 0.5, 0.5), 0.5)
    assert math.isclose(log5(0.5, 0.5, 0.54), 0.54)  # equal clubs: just the home edge
    assert math.isclose(log5(0.6, 0.4, 0.5), 0.36 / (0.36 + 0.16))  # James' 0.692
    assert log5(0.4, 0.6, 0.54) < 0.5 < log5(0.6, 0.4, 0.54)


@pytest.mark.unit
def test_baselines_score_the_same_test_games():
    train = pd.DataFrame({"home_win": [True, True, True, False]})
    test = pd.DataFrame(
        {"home_win": [True, False], "home_season_win_pct": [0.6, None], "away_season_win_pct": [0.4, 0.5]}
    )
    out = baselines(train, test)
    assert out["always_home"]["games"] == out["log5"]["games"] == 2
    assert math.isclose(out["always_home"]["brier"], ((0.75 - 1) ** 2 + 0.75**2) / 2)
    p = [float(log5(0.6, 0.4, 0.54)), 0.54]  # an unknown win rate counts as 0.5
    assert math.isclose(out["log5"]["brier"], ((p[0] - 1) ** 2 + p[1] ** 2) / 2)


# ------------------------------------------------------------------------------------
# On a simulated season
# ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def season() -> pd.DataFrame:
    """The simulated season's game_features, with the Elo chance the model starts from (what
    model.training_frame adds), the ratings carried through the season's own games."""
    frame = pd.read_parquet(SNAPSHOT)
    return model.with_elo(frame.assign(game_date=pd.to_datetime(frame["game_date"]).dt.date))


@pytest.fixture(scope="module")
def simulated_league():
    """The simulated league the season was collected from: it alone knows the true probabilities."""
    from mlb_replay.simulate import League

    return League(7, [2024])


@pytest.fixture(scope="module")
def truth(simulated_league) -> dict[int, float]:
    return {t["gamePk"]: t["homeWinProbability"] for t in simulated_league.truth(2024)}


@pytest.fixture
def warehouse(embedded):
    """An embedded warehouse whose features.game_features is the simulated season."""
    wh = DuckDBWarehouse(embedded / "warehouse.duckdb")
    wh.ensure_schema()
    with wh.connect() as con:
        con.execute("CREATE SCHEMA features")
        con.execute("CREATE TABLE features.game_features AS SELECT * FROM read_parquet(?)", [str(SNAPSHOT)])
    return wh


@pytest.fixture
def registry(embedded):
    return model.Registry((embedded / "lake").as_uri())


def test_a_season_model_beats_both_baselines_on_later_games(season, truth):
    version = model.train(season[season["is_final"]], truth)
    m = version.metadata
    e, b = m["evaluation"], m["baselines"]
    # forward in time: every held-out game is later than every game it learnt from
    assert m["training_window"]["to"] < e["cutoff"] and e["games"] == m["training_window"]["held_out_games"] > 400
    for baseline in ("always_home", "log5"):
        assert e["brier"] < b[baseline]["brier"] and e["log_loss"] < b[baseline]["log_loss"], (baseline, e, b)
        assert e["accuracy"] > b[baseline]["accuracy"], (baseline, e, b)
        assert b[baseline]["games"] == e["games"]  # the same games
    # the true probabilities are the limit, and the model is not far from it
    assert e["true_probability_brier"] < e["brier"] < e["true_probability_brier"] + 0.005
    assert sum(c["games"] for c in e["calibration"]) == e["games"]


@pytest.mark.unit
def test_bad_inputs_get_clear_errors(season):
    final = season[season["is_final"]]
    with pytest.raises(ModelInputError, match="no final games"):
        model.train(final.iloc[0:0])
    with pytest.raises(model.NotEnoughGames, match="at least 60"):
        model.train(final.iloc[:30])
    with pytest.raises(ModelInputError, match=r"lacks feature columns \['home_pythagorean_win_pct'\]"):
        model.train(final.drop(columns=["home_pythagorean_win_pct"]))
    with pytest.raises(ModelInputError, match="same outcome"):
        model.train(final.assign(home_win=True))
    with pytest.raises(ModelInputError, match="lacks elo_home_win_probability"):
        model.train(final.drop(columns=[model.ELO_COLUMN]))


def test_registry_round_trip(season, registry):
    version = model.train(season[season["is_final"]])
    uri = registry.save(version)
    assert registry.versions() == [version.name] and uri.endswith(version.name)
    saved = json.loads((registry.root / version.name / "model.json").read_text())  # XGBoost's own JSON
    assert "learner" in saved
    loaded = registry.load(version.name)
    assert loaded.metadata == json.loads(json.dumps(version.metadata))
    games = season.tail(50)
    assert np.array_equal(loaded.predict(games), version.predict(games))
    meta = loaded.metadata
    assert {"training_window", "features", "data_checksum", "evaluation", "baselines", "libraries"} <= set(meta)
    assert meta["libraries"]["xgboost"] and len(meta["data_checksum"]) == 64
    with pytest.raises(ModelInputError, match="no version"):
        registry.load("20000101T000000000000Z")


def test_the_promotion_rule_in_both_directions(season):
    final = season[season["is_final"]]
    good = model.train(final)
    # a version that learnt from shuffled outcomes, from a constant rather than from Elo, knows
    # nothing about the games
    shuffled = final.assign(home_win=final["home_win"].sample(frac=1, random_state=1).to_numpy())
    bad = model.train(shuffled, cfg={**model.model_config(), "base_margin": None})
    assert bad.base_margin is None and good.base_margin == model.ELO_COLUMN
    bad.metadata["version"] = "20240101T000000000000Z"
    up = model.compare(bad, good, final, margin=0.001)
    assert up["promote"] and up["challenger_brier"] <= up["champion_brier"] - 0.001 and up["games"] > 400
    down = model.compare(good, bad, final, margin=0.001)
    assert not down["promote"] and "not better" in down["reason"]
    # better, but not by the margin: kept as a challenger
    assert not model.compare(bad, good, final, margin=1.0)["promote"]


def test_training_registers_a_challenger_and_promotes_only_a_better_one(
    warehouse, registry, truth, simulated_league, capsys
):
    first = model.train_and_register(warehouse, registry, dt.date(2024, 8, 1), "run-1", truth=truth)
    assert first["outcome"] == "promoted" and first["champion"] == first["version"]
    # The demo's best-possible line (python -m mlb_replay.truth) scores the champion's held-out
    # games, from the test side: the same games, the same Brier scores as the training reported.
    evaluation = registry.metadata(first["version"])["evaluation"]
    limit = champion_against_truth(warehouse, registry, truth, until=dt.date(2024, 8, 1))
    assert (limit["version"], limit["from"], limit["games"]) == (
        first["version"],
        evaluation["cutoff"],
        evaluation["games"],
    )
    assert limit["brier"] == pytest.approx(evaluation["brier"])
    assert limit["true_probability_brier"] == pytest.approx(evaluation["true_probability_brier"])
    # ...and what the demo prints, asking the double over HTTP (every final game from the cut-off)
    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.truth import main as print_truth

    capsys.readouterr()
    with ReplayServer(SimulatedBackend(simulated_league)) as double:
        print_truth(["--url", double.url])
    whole = champion_against_truth(warehouse, registry, truth)
    assert whole["games"] > limit["games"] and capsys.readouterr().out == (
        f"On the {whole['games']} final games from {evaluation['cutoff']}: champion Brier {whole['brier']:.4f}, "
        f"the simulated league's true probabilities {whole['true_probability_brier']:.4f} (the best possible)\n"
    )
    # nothing changed since: nothing is trained
    again = model.train_and_register(warehouse, registry, dt.date(2024, 8, 1), "run-2")
    assert again["outcome"] == "unchanged" and registry.versions() == [first["version"]]

    # a later run learns from more games; the rule decides on the games both held out
    later = model.train_and_register(warehouse, registry, dt.date(2024, 9, 30), "run-3", truth=truth)
    d = later["decision"]
    assert d["games"] > 400 and d["from"] == registry.metadata(later["version"])["evaluation"]["cutoff"]
    # The rule's numbers, computed here: each version's Brier score on the final games both held
    # out (from the later cut-off to the run's date). This one is worse: kept as a challenger.
    held_out = model.with_elo(
        warehouse.frame(
            "SELECT * FROM features.game_features WHERE is_final AND game_date >= ? AND game_date < ?",
            [d["from"], dt.date(2024, 9, 30)],
        ),
        model.elo_history(warehouse),
    )
    outcomes = held_out["home_win"].astype(int).to_numpy()
    brier = {
        v: float(((registry.load(v).predict(held_out) - outcomes) ** 2).mean())
        for v in (first["version"], later["version"])
    }
    assert d["games"] == len(held_out) and d["margin"] == model.model_config()["promotion_margin_brier"]
    assert (d["champion_brier"], d["challenger_brier"]) == (
        pytest.approx(brier[first["version"]]),
        pytest.approx(brier[later["version"]]),
    )
    assert brier[later["version"]] > brier[first["version"]] - d["margin"]
    assert later["outcome"] == "not_promoted" and later["champion"] == first["version"]
    rows = {r["version"]: r for r in warehouse.query("SELECT * FROM ml.model_versions")}
    assert set(rows) == {first["version"], later["version"]}
    assert [v for v, r in rows.items() if r["is_champion"]] == [later["champion"]]
    assert rows[later["version"]]["decision"] == d["reason"] and rows[later["version"]]["true_brier"] > 0
    # rolling back is one call (or the DAG's champion_version param), to any version kept
    other = later["version"]
    model.main(["rollback", other])  # python -m mlb_pipeline.model rollback VERSION
    assert registry.champion()["version"] == other
    model.main(["versions"])
    rolled, *listed = capsys.readouterr().out.splitlines()
    assert rolled == f"{other} is the champion (was {first['version']})"
    marked = [line for line in listed if line.startswith("* ")]
    assert listed[0].split()[:3] == ["version", "trained", "(UTC)"] and len(listed) == 4  # header, 2, legend
    assert len(marked) == 1 and marked[0].startswith(f"* {other}  ") and "  champion: " in marked[0]
    assert warehouse.query("SELECT version FROM ml.model_versions WHERE is_champion")[0]["version"] == other
    with pytest.raises(ModelInputError, match="not in the registry"):
        model.rollback(warehouse, registry, "20000101T000000000000Z")


def test_new_hyperparameters_are_something_new_to_learn(warehouse, registry, monkeypatch):
    first = model.train_and_register(warehouse, registry, dt.date(2024, 8, 1), "run-1")
    assert model.train_and_register(warehouse, registry, dt.date(2024, 8, 1), "run-2")["outcome"] == "unchanged"
    cfg = model.model_config()
    monkeypatch.setitem(cfg, "params", {**cfg["params"], "max_depth": 3})
    retrained = model.train_and_register(warehouse, registry, dt.date(2024, 8, 1), "run-3")
    # shallower trees do worse on the games both held out (the decision's numbers are checked above)
    assert retrained["outcome"] == "not_promoted" and retrained["version"] != first["version"]
    assert retrained["champion"] == registry.champion()["version"] == first["version"]
    assert registry.metadata(retrained["version"])["params"]["max_depth"] == 3


def test_a_failed_training_keeps_the_champion(warehouse, registry):
    first = model.train_and_register(warehouse, registry, dt.date(2024, 8, 1), "run-1")
    with warehouse.connect() as con:  # a feature column disappears
        con.execute("ALTER TABLE features.game_features DROP COLUMN away_slg_30d")
    with pytest.raises(ModelInputError, match="away_slg_30d"):
        model.train_and_register(warehouse, registry, dt.date(2024, 9, 1), "run-2", full=True)
    assert registry.versions() == [first["version"]] and registry.champion()["version"] == first["version"]


def test_the_champion_is_frozen_in_the_postseason(warehouse, registry):
    first = model.train_and_register(warehouse, registry, dt.date(2024, 8, 1), "run-1")
    frozen = model.train_and_register(warehouse, registry, dt.date(2024, 10, 5), "run-2", phase="postseason")
    assert frozen == {"outcome": "frozen", "champion": first["version"]} and len(registry.versions()) == 1


def test_the_registry_keeps_the_last_versions_and_the_champion(warehouse, registry, monkeypatch):
    names = [
        model.train_and_register(warehouse, registry, day, f"run-{n}", full=True)["version"]
        for n, day in enumerate([dt.date(2024, 7, 1), dt.date(2024, 7, 15), dt.date(2024, 8, 1)])
    ]
    champion = registry.champion()["version"]
    pruned = registry.prune(keep=1)
    assert registry.versions() == sorted({names[-1], champion}) and set(pruned) == set(names) - {names[-1], champion}
    model.mirror_versions(warehouse, registry)
    status = {r["version"]: r["status"] for r in warehouse.query("SELECT version, status FROM ml.model_versions")}
    assert {v for v, s in status.items() if s == "pruned"} == set(pruned)


def test_predictions_are_idempotent_and_scored_the_next_day(warehouse, registry, season):
    model.train_and_register(warehouse, registry, dt.date(2024, 9, 1), "run-1")
    day = min(d for d in season["game_date"] if d > dt.date(2024, 9, 1))
    played = season[season["game_date"] == day]
    with warehouse.connect() as con:  # the morning of that day: its games not played yet
        con.execute("UPDATE features.game_features SET is_final = false, home_win = NULL WHERE game_date = ?", [day])
    first = model.predict_games(warehouse, registry, day, "run-a")
    again = model.predict_games(warehouse, registry, day, "run-b")
    assert len(first) == len(again) == len(played) > 0
    stored = warehouse.query("SELECT game_pk, home_win_probability, top_contributions, run_id FROM ml.predictions")
    assert len(stored) == len(played) and {r["run_id"] for r in stored} == {"run-b"}  # replaced, not added
    assert [r["home_win_probability"] for r in first] == [r["home_win_probability"] for r in again]
    top = json.loads(stored[0]["top_contributions"])
    assert len(top) == 5 and abs(top[0]["contribution"]) >= abs(top[-1]["contribution"])
    assert top[0]["feature"] in registry.metadata(registry.champion()["version"])["features"]
    # what the demo prints: the champion against the baselines, and the most confident predictions
    from mlb_pipeline.summary import model_summary

    printed = "\n".join(model_summary(warehouse))
    assert f"champion {registry.champion()['version']}" in printed and "always home" in printed
    assert f"Predictions for {day}" in printed and printed.count("home win ") == 5

    # The next day the games are final in raw.games: the predictions are scored.
    with warehouse.connect() as con:
        for g in played.itertuples():
            con.execute(
                "INSERT INTO raw.games (game_pk, official_date, season, game_type, phase, home_team_id, "
                "away_team_id, home_score, away_score, status_code, is_final, ingested_at, source, "
                "content_hash) VALUES (?, ?, '2024', 'R', 'regular-season', ?, ?, ?, ?, 'F', true, now(), "
                "'test', '')",
                [g.game_pk, day, g.home_team_id, g.away_team_id, 1 + int(g.home_win), 1],
            )
    scored = model.score_predictions(warehouse, day)
    p = np.array([r["home_win_probability"] for r in first])
    y = played.set_index("game_pk").loc[[r["game_pk"] for r in first], "home_win"].astype(int).to_numpy()
    assert scored["games"] == scored["games_7d"] == len(played)
    assert math.isclose(scored["brier"], float(((p - y) ** 2).mean()))
    assert scored["accuracy"] == float(((p >= 0.5) == (y == 1)).mean())
    assert model.score_predictions(warehouse, day) is not None
    assert warehouse.query("SELECT count(*) n FROM ml.prediction_scores")[0]["n"] == 1
