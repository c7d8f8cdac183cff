"""One simulated day through the daily DAG with its feature tasks: cosmos builds every dbt
model after grading, the docs site is published, and the next day's games (known from its
schedule) get feature rows. Its own file, so that pytest-xdist can run it beside the
simulated month of tests/test_features.py."""

from __future__ import annotations

import datetime as dt

from conftest import run_day

from mlb_pipeline.warehouse import DuckDBWarehouse


def test_the_daily_dag_builds_the_features_and_publishes_the_docs(daily_dag, embedded, simulated, league, monkeypatch):
    day = "2024-06-13"
    run, states = run_day(daily_dag, day, simulated, monkeypatch, features=True)
    assert run.state == "success", states
    dbt_tasks = {k: v for k, v in states.items() if k.startswith("build_features.")}
    # one task a model, and the tests of several models (relationships, leakage) after them
    assert {
        "build_features.game_features_model_build",
        "build_features.team_rolling_features_model_build",
        "build_features.stg_games_model_build",
    } <= set(dbt_tasks)
    assert any("no_feature_uses_a_game" in k for k in dbt_tasks)
    assert set(dbt_tasks.values()) == {"success"} and states["publish_dbt_docs"] == "success"

    wh = DuckDBWarehouse()
    n = len(league.played_on(dt.date.fromisoformat(day)))
    for table in ("games", "team_lines", "batting_lines", "pitching_lines", "pitches", "rosters"):
        raw = wh.query(f"SELECT count(*) n FROM raw.{table}")[0]["n"]
        assert wh.query(f"SELECT count(*) n FROM staging.stg_{table}")[0]["n"] == raw > 0
    team_games = wh.query(
        "SELECT count(*) n, sum(CASE WHEN won THEN 1 ELSE 0 END) w, "
        "sum(runs_scored) - sum(runs_allowed) diff FROM intermediate.int_team_games"
    )[0]
    assert team_games == {"n": 2 * n, "w": n, "diff": 0}  # every game has one winner; runs balance
    game_rows = wh.query(
        "SELECT count(*) n, count(home_win) decided, min(day_of_week) dow, "
        "count(*) FILTER (WHERE last_game_date_used >= game_date) leaks FROM features.game_features "
        "WHERE game_date = ?",
        [day],
    )[0]
    assert game_rows == {"n": n, "decided": n, "dow": dt.date.fromisoformat(day).isoweekday(), "leaks": 0}
    # The next day's games, known from its schedule (raw.schedule), have features and no outcome yet.
    following = dt.date.fromisoformat(day) + dt.timedelta(days=1)
    assert wh.query(
        "SELECT count(*) n, count(home_win) decided FROM features.game_features WHERE game_date = ?", [following]
    )[0] == {"n": len(league.played_on(following)), "decided": 0}
    # One day of games is too little to learn from: training and predictions skip, saying so.
    assert states["train_model"] == "skipped" and states["predict_games"] == "skipped"

    site = embedded / "lake" / "dbt_docs"
    assert {p.name for p in site.iterdir()} == {"index.html", "manifest.json", "catalog.json"}
    assert "model.mlb_pipeline.game_features" in (site / "catalog.json").read_text()
