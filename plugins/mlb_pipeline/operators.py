"""Airflow operators: thin wrappers that resolve a run's context and call plain functions.

The work itself lives in ``collect``, ``source``, ``landing`` and ``warehouse`` and is
tested without Airflow; here we only decide which date a run is about, where the API and
the storage are, and how a failure is reported.
"""
from __future__ import annotations

import datetime as dt
import logging

from airflow.sdk import BaseHook, BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException

log = logging.getLogger(__name__)


def game_date_for_run(context) -> str:
    """The game date a run collects: the ``game_date`` param if given, otherwise the
    calendar date (UTC) of the run's logical date. The 02:00 ET run on D+1 has logical
    date D (its data interval starts on D), and ``airflow dags test DAG 2024-07-01``
    collects 2024-07-01. A manual run with neither collects yesterday."""
    param = (context.get("params") or {}).get("game_date")
    if param:
        return dt.date.fromisoformat(str(param)).isoformat()
    logical = context.get("logical_date")
    if logical is not None:
        return logical.astimezone(dt.timezone.utc).date().isoformat()
    run_after = context["dag_run"].run_after
    return (run_after.astimezone(dt.timezone.utc).date() - dt.timedelta(days=1)).isoformat()


def stats_api_client():
    """A client for the API behind the ``mlb_statsapi`` connection (default: the real one)."""
    from mlb_pipeline.settings import load_config
    from mlb_pipeline.source import ClientSettings, StatsApiClient

    cfg = dict(load_config("pipeline")["source"])
    try:
        conn = BaseHook.get_connection(cfg["connection_id"])
        scheme = conn.conn_type if conn.conn_type in ("http", "https") else (conn.schema or "https")
        base_url = f"{scheme}://{conn.host}" + (f":{conn.port}" if conn.port else "")
        # The connection's extras may tune the client per environment, e.g.
        # AIRFLOW_CONN_MLB_STATSAPI='http://127.0.0.1:8765?concurrency=8&backoff_factor_s=0.1'
        cfg.update(conn.extra_dejson or {})
    except AirflowNotFoundException:
        base_url = cfg["default_base_url"]
    settings = ClientSettings.from_config(base_url, cfg)
    log.info("MLB Stats API at %s (timeout %gs, %d retries, concurrency %d)", base_url,
             settings.read_timeout_s, settings.max_retries, settings.concurrency)
    return StatsApiClient(settings)


def raw_zone():
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.settings import lake_url

    return RawZone(lake_url())


class PlanGameDayOperator(BaseOperator):
    """Fetch and land the schedule of the run's game date; decide, from what the warehouse
    holds, which games to collect (with recent gaps) and which to skip; push the plan."""

    ui_color = "#d6eaf8"

    def execute(self, context):
        from mlb_pipeline.collect import plan_day
        from mlb_pipeline.settings import load_config
        from mlb_pipeline.warehouse import open_warehouse

        warehouse = open_warehouse()
        params = context.get("params") or {}
        return plan_day(stats_api_client(), raw_zone(), game_date_for_run(context), warehouse,
                        lookback_days=load_config("pipeline")["daily"]["lookback_days"],
                        force=bool(params.get("force")))


class _CollectOperator(BaseOperator):
    """Runs one collection step over the plan pushed by ``plan_task_id``: API -> raw zone."""

    ui_color = "#d6eaf8"

    def __init__(self, *, plan_task_id: str, **kwargs):
        super().__init__(**kwargs)
        self.plan_task_id = plan_task_id

    def collect(self, client, zone, plan: dict, concurrency: int) -> dict:
        raise NotImplementedError

    def execute(self, context):
        from mlb_pipeline.settings import load_config

        plan = context["ti"].xcom_pull(task_ids=self.plan_task_id)
        client = stats_api_client()
        try:
            return self.collect(client, raw_zone(), plan, load_config("pipeline")["source"]["concurrency"])
        finally:
            client.close()


class CollectGameFeedsOperator(_CollectOperator):
    """Fetch every planned game's live feed and write it to the raw zone (write-through)."""

    def collect(self, client, zone, plan, concurrency):
        from mlb_pipeline.collect import collect_feeds

        return collect_feeds(client, zone, plan, concurrency)


class CollectReferenceDataOperator(_CollectOperator):
    """Fetch the season's teams, the day's standings, every club's active roster and the
    day's player and team stats, and write them to the raw zone (write-through)."""

    def collect(self, client, zone, plan, concurrency):
        from mlb_pipeline.reference import collect_reference

        return collect_reference(client, zone, plan, concurrency)


class LoadRawTablesOperator(BaseOperator):
    """Merge the landed responses into the warehouse's raw tables, one game per transaction."""

    ui_color = "#d5f5e3"

    def __init__(self, *, plan_task_id: str, collect_task_id: str, reference_task_id: str | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.plan_task_id, self.collect_task_id = plan_task_id, collect_task_id
        self.reference_task_id = reference_task_id

    def execute(self, context):
        from mlb_pipeline.collect import load_day
        from mlb_pipeline.warehouse import open_warehouse

        ti = context["ti"]
        reference = ti.xcom_pull(task_ids=self.reference_task_id) if self.reference_task_id else None
        return load_day(open_warehouse(), raw_zone(), ti.xcom_pull(task_ids=self.plan_task_id),
                        ti.xcom_pull(task_ids=self.collect_task_id), run_id=context["run_id"],
                        reference=reference)


class CheckDayCompleteOperator(BaseOperator):
    """Fail, without retrying, when a final game of the day is missing; say which and why."""

    ui_color = "#fdebd0"

    def __init__(self, *, load_task_id: str, **kwargs):
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.load_task_id = load_task_id

    def execute(self, context):
        from mlb_pipeline.collect import IncompleteDay, check_day

        summary = context["ti"].xcom_pull(task_ids=self.load_task_id)
        try:
            message = check_day(summary)
        except IncompleteDay as exc:
            log.error("%s", exc)
            raise AirflowFailException(str(exc)) from exc
        log.info(message)
        return message
