"""Every DAG imports cleanly, stays cheap to parse, and has the schedule it promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import pytest
from conftest import REPO

DAG_IDS = {
    "mlb_daily_collection",
    "mlb_weekly_sync",
    "mlb_end_of_season_archival",
    "mlb_monthly_audit",
    "mlb_backfill_history",
    "mlb_live_games",
    "mlb_land_final_games",
}
pytestmark = pytest.mark.xdist_group("dagbag")  # one parse of the DAGs folder for the module

HEAVY = [
    "pandas",
    "duckdb",
    "great_expectations",
    "xgboost",
    "statsapi",
    "pybaseball",
    "dbt",
    "urllib3",
    "google.cloud.bigquery",
]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bag = DagBag(dag_folder=str(REPO / "dags"))
    ours = [w for w in caught if str(REPO / "dags") in str(w.filename) or "mlb_pipeline" in str(w.filename)]
    return bag, ours


def test_every_dag_imports_without_errors_or_warnings(dagbag):
    bag, ours = dagbag
    assert bag.import_errors == {}
    assert ours == [], [str(w.message) for w in ours]
    assert set(bag.dag_ids) == DAG_IDS


def test_schedules_follow_config(dagbag):
    bag, _ = dagbag
    daily = bag.dags["mlb_daily_collection"].timetable
    assert (daily.run_at, daily.timezone) == ("02:00", "America/New_York")
    expected = {
        "mlb_weekly_sync": "0 2 * * 0",
        "mlb_end_of_season_archival": "0 1 2 1 *",
        "mlb_monthly_audit": "0 4 1 * *",
        "mlb_live_games": "0 10 * * *",
    }
    for dag_id, cron in expected.items():
        timetable = bag.dags[dag_id].timetable
        assert timetable.expression == cron
        assert str(getattr(timetable.timezone, "name", timetable.timezone)) == "America/New_York"


def test_daily_dag_steps_and_game_date():
    import datetime as dt

    from airflow.dag_processing.dagbag import DagBag

    from mlb_pipeline.operators import game_date_for_run

    dag = DagBag(dag_folder=str(REPO / "dags" / "mlb_daily_collection.py")).dags["mlb_daily_collection"]
    upstream = {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks}
    assert upstream == {
        "plan_game_day": [],
        "collect_game_feeds": ["plan_game_day"],
        "collect_reference_data": ["plan_game_day"],
        "collect_statcast": ["plan_game_day"],
        "load_raw_tables": ["collect_game_feeds", "collect_reference_data", "collect_statcast"],
        "grade_raw_data": ["load_raw_tables"],
        "check_day_complete": ["grade_raw_data"],
        "check_feature_inputs": ["check_day_complete"],
        "predict_games": ["train_model"],
        "find_gaps": ["load_raw_tables"],
        "fill_gaps": ["find_gaps"],
        "publish_report": ["find_gaps", "predict_games", "publish_dbt_docs"],
    } | {
        k: v for k, v in upstream.items() if k.startswith("build_features.") or k in ("publish_dbt_docs", "train_model")
    }
    # cosmos renders one task a dbt model (its tests inside), in the models' dependency order,
    # after strict mode; tests of several models run after all of them.
    dbt = {k: v for k, v in upstream.items() if k.startswith("build_features.")}
    assert dbt["build_features.stg_games_model_build"] == ["check_feature_inputs"]
    assert "build_features.no_feature_uses_a_game_of_its_own_date_or_later_test" in upstream["publish_dbt_docs"]
    assert all(t.startswith("build_features.") for t in upstream["publish_dbt_docs"])
    assert upstream["train_model"] == upstream["publish_dbt_docs"]  # the model learns from the built features
    # Gap detection runs whatever the load's outcome, and is not a leaf that could hide a
    # failed step: the run still fails when the day does.
    assert dag.get_task("find_gaps").trigger_rule == "all_done"
    # The report page runs whatever became of the run, as a teardown: it leaves the run's state
    # to the work before it (a failed day still fails the run: test_daily_dag).
    report = dag.get_task("publish_report")
    assert report.is_teardown and not report.on_failure_fail_dagrun
    assert {t.task_id for t in dag.leaves} == {"publish_report", "fill_gaps"}
    assert "build_features.team_rolling_features_model_build" in dbt["build_features.game_features_model_build"]
    assert sorted(dbt["build_features.no_feature_uses_a_game_of_its_own_date_or_later_test"]) == [
        f"build_features.{m}_model_build"
        for m in ("game_features", "player_rolling_features", "starter_form", "team_rolling_features")
    ]
    logical = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
    assert game_date_for_run({"params": {}, "logical_date": logical}) == "2024-07-01"
    assert game_date_for_run({"params": {"game_date": "2024-06-30"}, "logical_date": logical}) == "2024-06-30"


def test_dag_files_do_not_import_heavy_libraries_at_top_level():
    """Parsing a DAG file must not pull in pandas, DuckDB, GX, XGBoost, dbt or HTTP clients.

    Measured in a fresh interpreter; the parse time of each file is reported too.
    """
    code = f"""
import json, sys, time, importlib.util
sys.path.insert(0, {str(REPO / "plugins")!r})
import airflow.sdk  # the baseline every DAG file pays
base = set(sys.modules)
out = {{}}
for name in {sorted(DAG_IDS)!r}:
    t = time.perf_counter()
    spec = importlib.util.spec_from_file_location(name, {str(REPO / "dags")!r} + '/' + name + '.py')
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    out[name] = round(time.perf_counter() - t, 4)
new = sorted(set(sys.modules) - base)
print(json.dumps({{"parse_s": out, "new_modules": new}}))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy(), check=True
    )
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    print("DAG file parse times (s):", report["parse_s"])
    # cosmos reads the dbt manifest through Airflow's ObjectStoragePath, whose filesystem registry
    # imports the Google provider's GCS filesystem, and urllib3 with it: the price of rendering the
    # dbt tasks at parse time (about 1.9 s, docs/BENCHMARKS.md). Nothing else heavy may load.
    registry = "airflow.providers.google.cloud.fs.gcs" in report["new_modules"]
    heavy = [h for h in HEAVY if not (registry and h == "urllib3")]
    loaded_heavy = [m for m in report["new_modules"] if any(m == h or m.startswith(h + ".") for h in heavy)]
    assert loaded_heavy == []


def test_the_other_dags_steps_and_their_typed_params(dagbag):
    from airflow.sdk.definitions.param import ParamValidationError

    bag, _ = dagbag
    steps = {
        dag_id: {
            t.task_id: sorted(t.upstream_task_ids)
            for t in bag.dags[dag_id].tasks
            if not t.task_id.startswith("build_features.")
        }
        for dag_id in DAG_IDS - {"mlb_daily_collection"}  # its steps: test_daily_dag_steps_and_game_date
    }
    weekly = steps["mlb_weekly_sync"]
    assert {k: v for k, v in weekly.items() if k != "retrain_model"} == {
        "plan_sync": [],
        "resync_raw_data": ["plan_sync"],
        "regrade_changed": ["resync_raw_data"],
    }
    assert all(t.startswith("build_features.") for t in weekly["retrain_model"])
    assert steps["mlb_end_of_season_archival"] == {
        "check_season_complete": [],
        "archive_season": ["check_season_complete"],
    }
    assert steps["mlb_monthly_audit"] == {"audit_warehouse": []}
    assert steps["mlb_live_games"] == {
        "plan_live_games": [],
        "follow_game": ["plan_live_games"],
        "confirm_final": ["follow_game", "plan_live_games"],
    }
    assert steps["mlb_land_final_games"] == {
        "plan_game_day": [],
        "collect_game_feeds": ["plan_game_day"],
        "collect_statcast": ["plan_game_day"],
        "load_raw_tables": ["collect_game_feeds", "collect_statcast"],
        "grade_raw_data": ["load_raw_tables"],
    }
    # a game turned final starts its landing: the live DAG's tasks emit what the landing waits for
    waits_for = {a.name for a in bag.dags["mlb_land_final_games"].timetable.asset_condition.objects}
    for task_id in ("follow_game", "confirm_final"):
        assert (
            {a.name for a in bag.dags["mlb_live_games"].get_task(task_id).outlets} == waits_for == {"mlb_final_games"}
        )
    history = steps["mlb_backfill_history"]
    assert {k: v for k, v in history.items() if k != "retrain_model"} == {
        "plan_chunks": [],
        "chunk.collect_statsapi": ["plan_chunks"],
        "chunk.collect_savant": ["chunk.collect_statsapi", "plan_chunks"],
        "chunk.load_and_grade": ["chunk.collect_savant", "chunk.collect_statsapi", "plan_chunks"],
        "load_retrosheet": [],
        "rebuild_wanted": ["chunk.load_and_grade", "load_retrosheet"],
    }
    pools = {
        t.task_id: t.pool
        for t in bag.dags["mlb_backfill_history"].tasks
        if t.task_id.startswith("chunk.") or t.task_id == "load_retrosheet"
    }
    assert pools == {
        "chunk.collect_statsapi": "mlb_statsapi",
        "chunk.collect_savant": "mlb_savant",
        "chunk.load_and_grade": "mlb_warehouse",
        "load_retrosheet": "mlb_warehouse",
    }

    # Every DAG's trigger form: defaults valid, bad input refused with the reason.
    for dag in bag.dags.values():
        dag.params.validate()
        for name in dag.params:
            param = dag.params.get_param(name)
            assert param.schema.get("title") and param.description, f"{dag.dag_id}.{name} has no help text"
    bad = {
        ("mlb_monthly_audit", "month"): "2024-13",
        ("mlb_weekly_sync", "seasons"): [2014],
        ("mlb_weekly_sync", "from_date"): "yesterday",
        ("mlb_end_of_season_archival", "season"): "last",
        ("mlb_daily_collection", "game_date"): "2024-02-30",
        ("mlb_daily_collection", "strict"): "maybe",
        ("mlb_backfill_history", "kinds"): ["games"],
        ("mlb_backfill_history", "chunk_days"): 0,
        ("mlb_backfill_history", "source"): "lahman",
        ("mlb_live_games", "clock_speed"): 0,
        ("mlb_land_final_games", "games"): "745927",
    }
    for (dag_id, name), value in bad.items():
        with pytest.raises(ParamValidationError):
            bag.dags[dag_id].params.get_param(name).resolve(value)
    assert bag.dags["mlb_weekly_sync"].params.get_param("seasons").resolve([2023, 2024]) == [2023, 2024]
