"""The dbt project builds (models, data tests, unit tests) on DuckDB over what the daily DAG
landed, real and simulated, and parses with the BigQuery profile without a connection."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO, needs_fixtures, run_day

from mlb_pipeline.warehouse import DuckDBWarehouse

DBT = str(Path(sys.executable).with_name("dbt"))
PROJECT = REPO / "dbt"


def dbt(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DBT, *args, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
         "--target-path", str(tmp_path / "dbt-target"), "--log-path", str(tmp_path / "dbt-logs")],
        env={**os.environ, "DBT_USE_COLORS": "false", **env}, capture_output=True, text=True, timeout=600)


def test_dbt_builds_on_a_simulated_day(daily_dag, embedded, simulated, league, monkeypatch, tmp_path):
    import datetime as dt

    day = "2024-06-13"
    run, states = run_day(daily_dag, day, simulated, monkeypatch)
    assert run.state == "success", states
    result = dbt("build", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "2 unit tests" in result.stdout and "ERROR=0" in result.stdout  # rest days, rolling windows
    assert "PASS no_feature_uses_a_game_of_its_own_date_or_later" in result.stdout

    wh = DuckDBWarehouse()
    n = len(league.played_on(dt.date.fromisoformat(day)))
    for table in ("games", "team_lines", "batting_lines", "pitching_lines", "pitches", "rosters"):
        raw = wh.query(f"SELECT count(*) n FROM raw.{table}")[0]["n"]
        assert wh.query(f"SELECT count(*) n FROM staging.stg_{table}")[0]["n"] == raw > 0
    team_games = wh.query("SELECT count(*) n, sum(CASE WHEN won THEN 1 ELSE 0 END) w, "
                          "sum(runs_scored) - sum(runs_allowed) diff FROM intermediate.int_team_games")[0]
    assert team_games == {"n": 2 * n, "w": n, "diff": 0}  # every game has one winner; runs balance
    assert wh.query("SELECT count(*) n FROM intermediate.int_starting_pitchers")[0]["n"] == 2 * n
    features = wh.query("SELECT count(*) n, count(DISTINCT team_id) teams, max(games_7d) g, "
                        "count(*) FILTER (WHERE last_game_date_used >= as_of_date) leaks "
                        "FROM features.team_rolling_features")[0]
    game_rows = wh.query("SELECT count(*) n, count(home_win) decided, min(day_of_week) dow, "
                         "count(*) FILTER (WHERE last_game_date_used >= game_date) leaks FROM features.game_features")[0]
    assert game_rows == {"n": n, "decided": n, "dow": dt.date.fromisoformat(day).isoweekday(), "leaks": 0}
    clubs = len({t for g in league.played_on(dt.date.fromisoformat(day)) for t in (g.home, g.away)})
    assert features == {"n": clubs, "teams": clubs, "g": 0, "leaks": 0}  # one day: nothing before it


@needs_fixtures
def test_dbt_builds_on_the_recorded_real_day(daily_dag, embedded, recorded, monkeypatch, tmp_path):
    run, states = run_day(daily_dag, "2024-07-01", recorded, monkeypatch)
    assert states["grade_raw_data"] == "success"  # the one real game is graded and promoted
    result = dbt("build", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    rows = DuckDBWarehouse().query("SELECT team_id, runs_scored, runs_allowed, is_home FROM "
                                   "intermediate.int_team_games ORDER BY is_home")
    assert [(r["runs_scored"], r["runs_allowed"], r["is_home"]) for r in rows] == [(3, 1, False), (1, 3, True)]


def test_dbt_parses_with_the_bigquery_profile(tmp_path):
    result = dbt("parse", tmp_path=tmp_path, MLB_WAREHOUSE="bigquery", MLB_BIGQUERY_PROJECT="example-project")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "bigquery" in result.stdout
