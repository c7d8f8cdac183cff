"""The dbt project builds (models, data tests, unit tests) on DuckDB over what the daily DAG
landed from the recorded real day, and parses with the BigQuery profile without a connection.
(The simulated day and month: tests/test_features.py.)"""

from __future__ import annotations

import orjson
from conftest import FIXTURES, dbt, needs_fixtures, run_day

from mlb_pipeline.warehouse import DuckDBWarehouse


@needs_fixtures
def test_dbt_builds_on_the_recorded_real_day(daily_dag, embedded, recorded, monkeypatch, tmp_path):
    # Only one of the day's three games is recorded, and a day with games missing is never
    # promoted: the schedule served lists the recorded game alone.
    schedule = orjson.loads((FIXTURES / "schedule" / "2024-07-01.json").read_bytes())
    for day in schedule["dates"]:
        day["games"] = [g for g in day["games"] if g["gamePk"] == 744914]
    recorded.add_fault(r"/schedule\?(?=.*date=2024-07-01)", body=orjson.dumps(schedule).decode())
    run, states = run_day(daily_dag, "2024-07-01", recorded, monkeypatch)
    assert states["grade_raw_data"] == "success"  # the one real game is graded and promoted
    result = dbt("build", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    rows = DuckDBWarehouse().query(
        "SELECT team_id, runs_scored, runs_allowed, is_home FROM intermediate.int_team_games ORDER BY is_home"
    )
    assert [(r["runs_scored"], r["runs_allowed"], r["is_home"]) for r in rows] == [(3, 1, False), (1, 3, True)]
    # The game's conditions and umpires came with its feed, through the daily DAG's load, and
    # reach the features: 69 F, "8 mph, Out To CF" (blowing out), Rogers Centre's roof open.
    wh = DuckDBWarehouse()
    assert wh.query("SELECT count(*) n FROM raw.game_conditions WHERE game_pk = 744914")[0]["n"] == 1
    assert [r["position"] for r in wh.query("SELECT position FROM staging.stg_officials ORDER BY umpire_id")] == [
        "Home Plate", "Second Base", "Third Base", "First Base"
    ]  # fmt: skip
    assert wh.query(
        "SELECT temperature, wind_blowing_out, wind_blowing_in, roof_closed FROM features.game_features "
        "WHERE game_pk = 744914"
    ) == [{"temperature": 69, "wind_blowing_out": 1, "wind_blowing_in": 0, "roof_closed": 0}]


def test_dbt_parses_with_the_bigquery_profile(tmp_path):
    result = dbt("parse", tmp_path=tmp_path, MLB_WAREHOUSE="bigquery", MLB_BIGQUERY_PROJECT="example-project")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "bigquery" in result.stdout
