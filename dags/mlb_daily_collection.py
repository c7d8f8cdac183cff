"""
### MLB daily collection

Collects one game day from the MLB Stats API into the raw zone and the warehouse.

A run's game date is its logical date (GameDayTimetable): the run due at 02:00
America/New_York on D+1 collects day D; `airflow dags test mlb_daily_collection 2024-07-01`
and `airflow backfill create --dag-id mlb_daily_collection --from-date 2024-07-01
--to-date 2024-07-03` collect exactly those dates; a manual trigger may set `game_date`.

1. **plan_game_day**: the day's schedule (every game type), landed raw; from what the
   warehouse holds, the games to collect (not yet final there, the last 7 days' failed or
   unfinished games, games corrected since the last run) and those to skip, with reasons.
2. **collect_game_feeds**: every planned game's live feed, written to the raw zone as
   received (`current/<phase>/games/...` once final, `live/...` before); unparseable
   bodies are quarantined with their reason; when the API is down (retries exhausted or
   circuit open) the last good copy in the raw zone is used and the run says so.
   **collect_reference_data** (beside it): the season's teams, the day's standings,
   every club's active roster, transactions and player and team stats, landed raw.
   **collect_statcast** (beside it): Baseball Savant's Statcast CSV of every final game, one
   request a date (game by game only for a date at Savant's row cap);
   when Savant fails or has nothing yet, the feed's pitch data serves, and later runs ask
   Savant again.
3. **load_raw_tables**: every landed game merged into `raw.*` at once (one stage and one MERGE
   a table, `raw.games` last), then their Statcast pitches, the reference data, then
   `raw.players` (players first seen in a box score or roster);
   failures go to `ops.dead_letters`, each date's outcome to `ops.ingestion_runs`.
4. **grade_raw_data**: Great Expectations grades every table of the day A, B, C or F
   (`config/quality.yaml`: schema, completeness, player completeness, value ranges and the
   box-score identities); a failing batch's games are re-collected and graded again; A
   and B are promoted, C with a warning, F is not promoted and fails the task, naming the
   games and checks. Grades go to `ops.quality_grades`, Data Docs to the lake.
5. **check_day_complete**: fails, naming the games, when a final game is missing.
6. **check_feature_inputs** (strict mode, seed 002): fails, listing the missing dates and
   games, when the raw data of the longest feature window (60 days) has a gap (a date not
   collected, a game not final or not loaded, a day not graded A to C). Off with the
   `strict` param; backfill runs skip the features (rebuild them once afterwards).
7. **build_features**: the dbt project (`dbt/`) rendered by cosmos, one task a model,
   each a `dbt build` of the model and its tests; the feature tables rebuild the run's
   game date onward (`features_from`), never all history, unless the `full_refresh` param
   asks for a set-based rebuild of everything (after a backfill, or new columns).
8. **publish_dbt_docs**: `dbt docs generate`, published to `<lake>/dbt_docs` and shown
   in the Airflow UI under Browse.
9. **train_model**: when the training data changed, an XGBoost challenger learns from
   the last 3 seasons' games up to this date and replaces the champion only if it beats it
   on the games both held out (`config/model.yaml`); frozen in the postseason. The
   `champion_version` param rolls back to an earlier version instead.
10. **predict_games**: scores the predictions of this date's games (`ml.prediction_scores`,
   with the last 7 days) and predicts the next day's games with the champion
   (`ml.predictions`, with each prediction's top feature contributions).
11. **find_gaps** (beside grading, once the load is done, whatever its outcome): backfill
   detection (seed 004, the function of `python -m mlb_pipeline.gaps`) over the 30 days
   before the game date, reported per processor in the log and `ops.backfill_log`;
   **fill_gaps** then starts a run of this DAG for every date to collect or grade again
   (features off), or, when only features are missing, one run that rebuilds them from
   the oldest such date. They queue behind this run. Off with the `fill_gaps` param (then
   it only reports); backfill runs skip both.

12. **publish_report** (a teardown: once everything before it is done, whatever its
   outcome, and without deciding the run's state): the
   report page of the season to date (completeness of every date of the season calendar,
   grades by table and date, rows a day, the model against Elo and always-home over time,
   calibration, versions, the latest predictions' top contributions), published to
   `<lake>/reports/` and shown under Browse > MLB report (and the task's Report link).

**Alerts** (`config/pipeline.yaml`, `alerts`): a failed task (a grade-F batch included)
emails the on-call address with the reason and the link; so does a run not finished by
05:00 ET the morning after its game day, or still running 90 minutes after it was queued
(Deadline Alerts).
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG, Param

from mlb_pipeline.alerts import deadlines, task_failed
from mlb_pipeline.features import feature_task_group
from mlb_pipeline.kinds import COLLECTIONS, PLAN_TASK_ID
from mlb_pipeline.operators import (
    CheckDayCompleteOperator,
    CheckFeatureInputsOperator,
    CollectOperator,
    FindGapsOperator,
    GradeRawDataOperator,
    LoadRawTablesOperator,
    PlanGameDayOperator,
    PredictGamesOperator,
    PublishDbtDocsOperator,
    PublishReportOperator,
    TrainModelOperator,
)
from mlb_pipeline.settings import load_config
from mlb_pipeline.timetable import GameDayTimetable

CONFIG = load_config("pipeline")
TZ = CONFIG["schedules"]["timezone"]

with DAG(
    dag_id="mlb_daily_collection",
    schedule=GameDayTimetable(run_at=CONFIG["schedules"]["mlb_daily_collection"], timezone=TZ),
    start_date=pendulum.datetime(2015, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=CONFIG["daily"]["max_active_runs"],
    default_args={
        "retries": 2,
        "retry_delay": dt.timedelta(minutes=5),
        "owner": "mlb-data",
        "on_failure_callback": task_failed,
    },
    deadline=deadlines("mlb_daily_collection"),
    params={
        "game_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Game date",
            description="Collect this game date (YYYY-MM-DD) instead of the run's logical date. A date more "
            "than daily.max_days_ahead (config) after today is refused by plan_game_day, not retried.",
        ),
        "force": Param(
            False,
            type="boolean",
            title="Force re-collection",
            description="Fetch every game of the date again, even those already final in the warehouse.",
        ),
        "build_features": Param(
            True,
            type="boolean",
            title="Build the features",
            description="After collecting and grading, rebuild the feature tables (dbt) from this date on. "
            "Turn off to only collect.",
        ),
        "strict": Param(
            True,
            type="boolean",
            title="Strict mode",
            description="Build the features only when the raw data of the 60-day lookback window has no gaps "
            "(every game final, loaded and graded A to C). Turn off to build them anyway.",
        ),
        "full_refresh": Param(
            False,
            type="boolean",
            title="Rebuild all features",
            description="Rebuild the feature tables from scratch, set-based (dbt --full-refresh) instead of from "
            "the game date on: once after a backfill, or after the feature models gained columns.",
        ),
        "champion_version": Param(
            None,
            type=["null", "string"],
            pattern="^[0-9]{8}T[0-9]{12}Z$",
            title="Roll back the model to",
            description="A model version (python -m mlb_pipeline.model versions) to make the champion again, "
            "instead of training; the next day's games are predicted with it.",
        ),
        "fill_gaps": Param(
            True,
            type="boolean",
            title="Fill the gaps found",
            description=f"Start the runs that close the gaps found in the "
            f"{CONFIG['daily']['gap_lookback_days']} days before the game date (dates to collect or grade again, "
            "features missing). Off: only report them.",
        ),
    },
    tags=["mlb", "collection"],
    doc_md=__doc__,
) as dag:
    plan = PlanGameDayOperator(task_id=PLAN_TASK_ID)
    # collect_reference_data, collect_game_feeds, collect_statcast: one task a collection of the
    # registry of kinds (mlb_pipeline.kinds), side by side
    collect = [CollectOperator(collection=c.task_id) for c in COLLECTIONS]
    load = LoadRawTablesOperator(task_id="load_raw_tables")
    grade = GradeRawDataOperator(task_id="grade_raw_data", plan_task_id=plan.task_id)
    check = CheckDayCompleteOperator(task_id="check_day_complete", load_task_id=load.task_id)
    inputs = CheckFeatureInputsOperator(task_id="check_feature_inputs")
    features = feature_task_group(
        "build_features",
        dbt_vars={"features_from": "{{ ti.xcom_pull(task_ids='check_feature_inputs')['features_from'] }}"},
        full_refresh="{{ params.full_refresh }}",
    )
    docs = PublishDbtDocsOperator(task_id="publish_dbt_docs")
    train = TrainModelOperator(task_id="train_model", plan_task_id=plan.task_id)
    predict = PredictGamesOperator(task_id="predict_games")
    find_gaps = FindGapsOperator(task_id="find_gaps", trigger_rule="all_done")
    # A teardown: it runs whatever became of the tasks before it, and leaves the run's state to them.
    report = PublishReportOperator(task_id="publish_report").as_teardown()
    fill_gaps = TriggerDagRunOperator.partial(
        task_id="fill_gaps", trigger_dag_id=dag.dag_id, skip_when_already_exists=True
    ).expand_kwargs(find_gaps.output)

    plan >> collect >> load >> grade >> check >> inputs >> features >> [docs, train]
    train >> predict
    load >> find_gaps >> fill_gaps
    [docs, predict, find_gaps] >> report
