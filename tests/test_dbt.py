"""The dbt project builds (models, data tests, unit tests) on DuckDB over what the daily DAG
landed from the recorded real day, and parses with the BigQuery profile without a connection;
its docs describe every column, name each model's owner and the model that reads the features.
(The simulated day and month: tests/test_features.py.)"""

from __future__ import annotations

import json

import orjson
import yaml
from conftest import FIXTURES, REPO, dbt, needs_fixtures, run_day

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


def test_the_docs_describe_every_column_name_owners_and_the_models_exposure(embedded, tmp_path):
    """The docs site as analysts read it: every column of every model (the columns the warehouse
    really has, from the catalog of the models built over an empty warehouse) has a description,
    and a feature's says that it reads only earlier games; every model is in a group with an owner;
    the game-outcome model is an exposure of the features it reads; integers read as integers."""
    DuckDBWarehouse().ensure_schema()
    for command in (["run"], ["docs", "generate"]):
        result = dbt(*command, tmp_path=tmp_path)
        assert result.returncode == 0, result.stdout[-4000:]
    manifest = json.loads((tmp_path / "dbt-target" / "manifest.json").read_text())
    catalog = json.loads((tmp_path / "dbt-target" / "catalog.json").read_text())
    models = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    assert set(catalog["nodes"]) == set(models)

    undescribed = [
        f"{n['name']}.{column}"
        for key, n in models.items()
        for column in catalog["nodes"][key]["columns"]
        if not n["columns"].get(column, {}).get("description", "").strip()
    ]
    assert undescribed == [], f"{len(undescribed)} columns without a description: {undescribed[:20]}"
    # no description of a column the model does not have (a renamed column leaves none behind)
    stale = [
        f"{n['name']}.{c}"
        for key, n in models.items()
        for c in n["columns"]
        if c not in catalog["nodes"][key]["columns"]
    ]
    assert stale == []
    assert [n["name"] for n in models.values() if not n["description"].strip()] == []

    # A feature's description says which games it reads: only those before the row's date.
    features = {n["name"]: n for n in models.values() if n["path"].startswith("features/")}
    assert set(features) == {"team_rolling_features", "player_rolling_features", "starter_form", "game_features"}
    learned = yaml.safe_load((REPO / "config" / "model.yaml").read_text())["game_outcome"]["features"]
    assert set(learned) <= set(features["game_features"]["columns"])
    of_the_row = {  # a row's keys, and what the game itself is or holds (its conditions, outcome)
        "game_pk", "game_date", "as_of_date", "season", "game_type", "team_id", "player_id", "starter_key",
        "home_team_id", "away_team_id", "is_doubleheader", "game_number", "day_of_week", "month", "home_field",
        "home_starter_id", "away_starter_id", "home_travelled", "away_travelled", "temperature",
        "wind_blowing_out", "wind_blowing_in", "roof_closed", "last_game_date_used", "is_final", "home_win",
        "home_margin",
    }  # fmt: skip
    unsaid = [
        f"{name}.{c}"
        for name, n in features.items()
        for c in catalog["nodes"][n["unique_id"]]["columns"]
        if c not in of_the_row and "only earlier games" not in n["columns"][c]["description"]
    ]
    assert unsaid == [], "a feature's description must say it uses only earlier games"

    # Owners: every model is in a group, every group has an owner with an email.
    groups = {g["name"]: g for g in manifest["groups"].values()}
    assert {n["name"]: n["group"] for n in models.values() if n["group"] not in groups} == {}
    assert all(g["owner"].get("name") and g["owner"].get("email") for g in groups.values())

    # The game-outcome model: an ML exposure of the feature table it reads.
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    model = exposures["game_outcome_model"]
    assert model["type"] == "ml" and model["owner"]["email"] and "docs/MODEL.md" in model["description"]
    assert model["depends_on"]["nodes"] == ["model.mlb_pipeline.game_features"]

    # DuckDB sums integers to a 128-bit HUGEINT; the models cast them to bigint.
    huge = [
        f"{n['metadata']['name']}.{c['name']}"
        for n in catalog["nodes"].values()
        for c in n["columns"].values()
        if c["type"].upper() in ("HUGEINT", "INT128")
    ]
    assert huge == []
