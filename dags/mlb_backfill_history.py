"""
### MLB history backfill (bulk)

Loads years of history in chunks of dates, on demand (no schedule): *Trigger* with the
seasons or the dates to load. The same functions as `python -m mlb_pipeline.backfill
statsapi` (plugins/mlb_pipeline/backfill.py); for a few dates, `airflow backfill create` of
`mlb_daily_collection` does the daily path's work date by date (README, *Backfilling*).
With *Source* `retrosheet`, **load_retrosheet** loads Retrosheet's game logs and event files
from its folder (the seasons given, else every season there) instead, as `python -m
mlb_pipeline.backfill retrosheet` does.

1. **plan_chunks**: the range cut into chunks of `chunk_days` dates; chunks already complete
   (`ops.backfill_chunks`) are left out unless `force`. `dry_run` lists them and stops.
2. **chunk** (a task group mapped over the chunks, so workers take chunks in parallel):
   - **collect_statsapi** (pool `mlb_statsapi`): the chunk's schedule in one request, then every
     game's feed and the reference data, landed raw;
   - **collect_savant** (pool `mlb_savant`): Statcast pitches from Baseball Savant, landed raw;
   - **load_and_grade** (pool `mlb_warehouse`): one stage and one MERGE a table for the chunk,
     each date graded A/B/C/F, the chunk recorded.
3. **rebuild_wanted** → **build_features** → **retrain_model**: once every chunk is in (and if
   `rebuild`), the features rebuilt set-based (dbt `--full-refresh`) and one full training.

Safe to trigger again: complete chunks are skipped, the rest merge on primary keys.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import DAG, Param, task, task_group

from mlb_pipeline import backfill, kinds
from mlb_pipeline.alerts import deadlines, task_failed
from mlb_pipeline.features import feature_task_group
from mlb_pipeline.operators import TrainModelOperator
from mlb_pipeline.settings import load_config

CONFIG = load_config("pipeline")
HISTORY = CONFIG["history"]
POOLS = HISTORY["pools"]
KIND_NAMES = [k.name for k in kinds.KINDS if kinds.from_api(k)]

with DAG(
    dag_id="mlb_backfill_history",
    schedule=None,
    start_date=pendulum.datetime(2015, 1, 1, tz=CONFIG["schedules"]["timezone"]),
    catchup=False,
    max_active_runs=1,
    default_args={
        "retries": 2,
        "retry_delay": dt.timedelta(minutes=2),
        "owner": "mlb-data",
        "on_failure_callback": task_failed,
    },
    deadline=deadlines("mlb_backfill_history"),
    params={
        "source": Param(
            "statsapi",
            type="string",
            enum=["statsapi", "retrosheet"],
            title="Source",
            description="statsapi: the MLB Stats API and Baseball Savant, in chunks of dates. retrosheet: "
            "Retrosheet's files in the folder history.retrosheet_dir (the seasons below, else all there).",
        ),
        "retrosheet_dir": Param(
            None,
            type=["null", "string"],
            title="Retrosheet folder",
            description="With source retrosheet: the folder of the files (gamelogs/GLyyyy.TXT, events/yyyyeve.zip); "
            "empty: history.retrosheet_dir under MLB_DATA_DIR (on Composer the bucket's data/retrosheet).",
        ),
        "seasons": Param(
            None,
            type=["null", "array"],
            items={"type": "integer", "minimum": 1876, "maximum": 2100},
            title="Seasons",
            description="Load these seasons (e.g. [2021, 2022, 2023, 2024]), each the dates of its calendar's "
            "phases below; or give the dates below.",
        ),
        "from_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="From date",
            description="Load the dates from this one (YYYY-MM-DD) ...",
        ),
        "to_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="To date",
            description="... to this one, inclusive (at most yesterday).",
        ),
        "phases": Param(
            list(HISTORY["phases"]),
            type="array",
            items={"type": "string", "enum": ["spring_training", "regular_season", "postseason"]},
            title="Phases of the seasons",
            description="With seasons: the consecutive phases of each season's calendar to load "
            "(config/pipeline.yaml history.phases).",
        ),
        "kinds": Param(
            list(HISTORY["kinds"]),
            type="array",
            items={"type": "string", "enum": KIND_NAMES},
            title="Kinds of data",
            description="The kinds to collect (config/pipeline.yaml history.kinds).",
        ),
        "chunk_days": Param(
            HISTORY["chunk_days"],
            type="integer",
            minimum=1,
            maximum=62,
            title="Dates a chunk",
            description="Each chunk is one mapped task group: planned from one schedule request, loaded at once.",
        ),
        "force": Param(False, type="boolean", title="Force", description="Collect complete chunks and games again."),
        "dry_run": Param(False, type="boolean", title="Dry run", description="List the chunks to do; do nothing."),
        "rebuild": Param(
            True,
            type="boolean",
            title="Rebuild features and retrain",
            description="Once the chunks are in: dbt --full-refresh and one full training.",
        ),
    },
    tags=["mlb", "backfill"],
    doc_md=__doc__,
) as dag:

    @task
    def plan_chunks(params=None) -> list[dict]:
        return backfill.chunks_for_run(params)

    @task_group(group_id="chunk")
    def chunk(spec: dict):
        @task(pool=POOLS["statsapi"], map_index_template="{{ chunk_label }}")
        def collect_statsapi(spec: dict) -> dict:
            return backfill.airflow_collect(spec, "source")

        @task(pool=POOLS["savant"], map_index_template="{{ chunk_label }}")
        def collect_savant(spec: dict, started: dict) -> dict:
            return backfill.airflow_collect(spec, "savant", started)

        @task(pool=POOLS["warehouse"], map_index_template="{{ chunk_label }}")
        def load_and_grade(spec: dict, started: dict, savant: dict, run_id=None) -> dict:
            return backfill.airflow_finish(spec, started, savant, run_id)

        started = collect_statsapi(spec)
        load_and_grade(spec, started, collect_savant(spec, started))

    @task(pool=POOLS["warehouse"])
    def load_retrosheet(params=None) -> dict:
        return backfill.airflow_retrosheet(params)

    @task.short_circuit(ignore_downstream_trigger_rules=True, trigger_rule="none_failed")
    def rebuild_wanted(params=None) -> bool:
        return bool(params["rebuild"]) and not params["dry_run"]

    chunks = chunk.expand(spec=plan_chunks())
    features = feature_task_group("build_features", dbt_vars={}, full_refresh=True)
    [chunks, load_retrosheet()] >> rebuild_wanted() >> features
    features >> TrainModelOperator(task_id="retrain_model", full=True)
