"""Airflow operators: thin wrappers that resolve a run's context and call plain functions.

The work itself lives in ``collect``, ``source``, ``landing`` and ``warehouse`` and is
tested without Airflow; here we only decide which date a run is about, where the API and
the storage are, and how a failure is reported.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging

from airflow.sdk import Asset, BaseHook, BaseOperator, BaseOperatorLink
from airflow.sdk.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowNotFoundException,
    AirflowSkipException,
)

from mlb_pipeline.lineage import DeclaresLineage
from mlb_pipeline.run import RunContext, game_date_of

log = logging.getLogger(__name__)


def game_date_for_run(context) -> str:
    """The game date a run collects, as YYYY-MM-DD (:func:`mlb_pipeline.run.game_date_of`)."""
    return game_date_of(context).isoformat()


# A game turned final while followed live (mlb_live_games): its event's extra names it, and
# mlb_land_final_games loads it within minutes rather than at the next 02:00 run.
FINAL_GAMES = Asset(name="mlb_final_games", uri="mlb://live/final-games")


def source_base_url(section: str = "source") -> tuple[str, dict, dict]:
    """The base URL of a source of ``config/pipeline.yaml``, its config and its connection's
    extras: the Airflow connection's address, or the real one when it is not defined."""
    from mlb_pipeline.settings import load_config

    cfg = dict(load_config("pipeline")[section])
    try:
        conn = BaseHook.get_connection(cfg["connection_id"])
    except AirflowNotFoundException:
        return cfg["default_base_url"], cfg, {}
    scheme = conn.conn_type if conn.conn_type in ("http", "https") else (conn.schema or "https")
    # The connection's extras may tune the client per environment, e.g.
    # AIRFLOW_CONN_MLB_STATSAPI='http://127.0.0.1:8765?concurrency=8&backoff_factor_s=0.1'
    return f"{scheme}://{conn.host}" + (f":{conn.port}" if conn.port else ""), cfg, conn.extra_dejson or {}


def source_client(section: str = "source", **overrides):
    """A client for the source configured in ``config/pipeline.yaml`` under ``section``
    (``source``: the MLB Stats API; ``savant``: Baseball Savant), reached through its
    Airflow connection, or its real address when the connection is not defined.
    ``overrides``: settings that win over the config and the connection's extras (the
    backfill's ``concurrency``)."""
    from mlb_pipeline.source import ClientSettings, SavantClient, StatsApiClient

    base_url, cfg, extras = source_base_url(section)
    settings = ClientSettings.from_config(base_url, cfg, {**extras, **overrides})
    log.info(
        "%s at %s (timeout %gs, %d retries, concurrency %d)",
        cfg["name"],
        base_url,
        settings.read_timeout_s,
        settings.max_retries,
        settings.concurrency,
    )
    return (SavantClient if section == "savant" else StatsApiClient)(settings)


def raw_zone():
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.settings import lake_url

    return RawZone(lake_url())


class PlanGameDayOperator(DeclaresLineage, BaseOperator):
    """Fetch and land the schedule of the run's game date; decide, from what the warehouse
    holds, which games to collect (with recent gaps) and which to skip; push the plan."""

    ui_color = "#d6eaf8"
    writes = ("lake:current/schedule",)

    def execute(self, context):
        from mlb_pipeline.collect import InvalidGameDate, check_game_date, plan_day
        from mlb_pipeline.settings import load_config
        from mlb_pipeline.warehouse import open_warehouse

        run = RunContext.of(context)
        try:  # a date no run should collect fails at once, before anything is written, and is not retried
            game_date = check_game_date(run.day)
        except InvalidGameDate as exc:
            raise AirflowFailException(str(exc)) from exc
        return plan_day(
            source_client(),
            raw_zone(),
            game_date,
            open_warehouse(),
            lookback_days=load_config("pipeline")["daily"]["lookback_days"],
            force=bool(run.params.get("force")),
            run_id=run.run_id,
        )


class CollectOperator(DeclaresLineage, BaseOperator):
    """Runs one collection task of the registry (``kinds.COLLECTIONS``) over the plan: API ->
    raw zone for the kinds it collects."""

    ui_color = "#d6eaf8"
    writes = ("lake:current",)

    def __init__(self, *, collection: str, **kwargs):
        from mlb_pipeline.kinds import COLLECTIONS

        self.collection = next(c for c in COLLECTIONS if c.task_id == collection)
        kwargs.setdefault("task_id", self.collection.task_id)
        kwargs.setdefault("doc", self.collection.doc)
        super().__init__(**kwargs)

    def execute(self, context):
        from mlb_pipeline.kinds import PLAN_TASK_ID, collection_module

        plan = context["ti"].xcom_pull(task_ids=PLAN_TASK_ID)
        client = source_client(self.collection.source)
        try:
            with client.collection():  # under the source's collection_deadline_s
                return collection_module(self.collection).collect(client, raw_zone(), plan, client.settings.concurrency)
        finally:
            client.close()


class LoadRawTablesOperator(DeclaresLineage, BaseOperator):
    """Merge the landed responses of every collection task of the registry into the
    warehouse's raw tables: the day in one batch, one stage and one MERGE a table."""

    ui_color = "#d5f5e3"
    reads = ("lake:current",)
    writes = ("raw.*", "ops.ingestion_runs", "ops.dead_letters")

    def execute(self, context):
        from mlb_pipeline.collect import load_day
        from mlb_pipeline.kinds import COLLECTIONS, PLAN_TASK_ID
        from mlb_pipeline.warehouse import open_warehouse

        ti = context["ti"]
        return load_day(
            open_warehouse(),
            raw_zone(),
            ti.xcom_pull(task_ids=PLAN_TASK_ID),
            {c.task_id: ti.xcom_pull(task_ids=c.task_id) for c in COLLECTIONS},
            run_id=context["run_id"],
        )


class GradeRawDataOperator(DeclaresLineage, BaseOperator):
    """Grade the day's raw data with Great Expectations (A, B, C or F); re-collect the games
    of a failing batch; promote it or fail naming the games and checks. Writes
    ``ops.quality_grades`` and the Data Docs (location in the log). ``only_planned``: grade
    only the games the plan collected (a landing run's)."""

    ui_color = "#e8daef"
    reads = ("raw.*",)
    writes = ("ops.quality_grades", "lake:quality/data_docs")

    def __init__(self, *, plan_task_id: str, only_planned: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.plan_task_id, self.only_planned = plan_task_id, only_planned

    def execute(self, context):
        from mlb_pipeline.collect import recollect_games
        from mlb_pipeline.quality import BatchRejected, grade_and_promote
        from mlb_pipeline.settings import lake_url
        from mlb_pipeline.warehouse import open_warehouse

        plan = context["ti"].xcom_pull(task_ids=self.plan_task_id)
        warehouse, zone = open_warehouse(), raw_zone()
        client = source_client()
        try:
            return grade_and_promote(
                warehouse,
                plan["game_date"],
                plan["season_phase"],
                context["run_id"],
                docs_url=lake_url().rstrip("/") + "/quality/data_docs",
                recollect=lambda pks: recollect_games(client, zone, warehouse, pks, client.settings.concurrency),
                games=[g["game_pk"] for g in plan["collect"]] if self.only_planned else None,
            )
        except BatchRejected as exc:
            log.error("%s", exc)
            raise AirflowFailException(str(exc)) from exc
        finally:
            client.close()


class CheckDayCompleteOperator(DeclaresLineage, BaseOperator):
    """Fail, without retrying, when a final game of the day is missing; say which and why."""

    ui_color = "#fdebd0"
    reads = ("raw.schedule", "raw.games")

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


def is_backfill(context) -> bool:
    return RunContext.of(context).backfill


class CheckFeatureInputsOperator(DeclaresLineage, BaseOperator):
    """Strict mode (seed 002), before the features are built: fail, naming the missing dates
    and games, when the raw data of the lookback window has gaps; otherwise push the dates
    dbt builds (``features_from``: the run's game date onward). Backfill runs skip the
    features (one set-based rebuild follows the backfill); ``strict=false`` turns it off."""

    ui_color = "#e8daef"
    reads = ("raw.schedule", "raw.games", "ops.ingestion_runs", "ops.quality_grades")

    def __init__(self, **kwargs):
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)

    def execute(self, context):
        from airflow.sdk.exceptions import AirflowSkipException

        from mlb_pipeline.features import lookback_days
        from mlb_pipeline.gaps import describe_feature_gaps, feature_window_gaps
        from mlb_pipeline.settings import load_config
        from mlb_pipeline.warehouse import open_warehouse

        run = RunContext.of(context)
        game_date, params = run.day, run.params
        if run.backfill:
            raise AirflowSkipException(
                f"backfill run for {game_date}: raw data only; rebuild the features once the backfill is "
                f"complete (README, 'Rebuilding features after a backfill')"
            )
        if params.get("build_features") is False:
            raise AirflowSkipException(f"build_features=false: {game_date} collected only, features not rebuilt")
        strict = params.get("strict")
        strict = load_config("pipeline")["features"]["strict"] if strict is None else bool(strict)
        days = lookback_days()
        if strict:
            gaps = feature_window_gaps(open_warehouse(), game_date, days)
            if gaps:
                message = describe_feature_gaps(gaps, game_date, days)
                log.error("%s", message)
                raise AirflowFailException(message)
            log.info("strict mode: the %d-day lookback window before %s is complete and graded", days, game_date)
        else:
            log.warning(
                "strict mode off for this run: features of %s are built without checking the %d-day lookback window",
                game_date,
                days,
            )
        return {"features_from": game_date}


class FindGapsOperator(DeclaresLineage, BaseOperator):
    """Backfill detection in every daily run, once its load is done (seed 004, the function the
    gaps command and the monthly audit use) over the days before the run's date: the report per
    processor in the log and ``ops.backfill_log``, and the runs that close the gaps
    (``gaps.gap_runs``) as the XCom the ``fill_gaps`` trigger expands over. Runs whose
    ``fill_gaps`` param is off only report; backfill runs skip it (the rest of their backfill
    is still running: the gaps command looks once it is done)."""

    ui_color = "#fadbd8"
    reads = ("raw.schedule", "raw.games", "ops.ingestion_runs", "ops.quality_grades")
    writes = ("ops.backfill_log",)

    def execute(self, context):
        import shlex

        from airflow.sdk.exceptions import AirflowSkipException

        from mlb_pipeline.gaps import (
            DAILY_DAG,
            backfill_candidates,
            daily_window,
            describe_candidates,
            gap_runs,
            record_detection,
        )
        from mlb_pipeline.seasons import calendars_between
        from mlb_pipeline.settings import load_config
        from mlb_pipeline.warehouse import open_warehouse

        run = RunContext.of(context)
        game_date, params = run.day, run.params
        if run.backfill:  # its own neighbours are still running: the gaps command looks afterwards
            raise AirflowSkipException(f"backfill run for {game_date}: gaps are found by the gaps command")
        days = load_config("pipeline")["daily"]["gap_lookback_days"]
        warehouse = open_warehouse()
        window = daily_window(warehouse, game_date, days)
        if window is None:
            log.info("no date before %s collected this season: no gaps to look for", game_date)
            return []
        end, lookback = window
        client = source_client()
        try:  # off-season dates are no gaps
            start = (dt.date.fromisoformat(end) - dt.timedelta(days=lookback)).isoformat()
            calendars = calendars_between(client, raw_zone(), start, end)
        finally:
            client.close()
        candidates = backfill_candidates(warehouse, *window, calendars=calendars)
        log.info("%s", describe_candidates(candidates, *window))
        fill = params.get("fill_gaps", True) is not False
        # A run that rebuilds every feature itself (full_refresh) needs no run to rebuild some.
        rebuild = params.get("build_features") is not False and not params.get("full_refresh")
        runs = gap_runs(candidates, game_date, rebuild_features=rebuild) if fill else []
        commands = [
            ["airflow", "dags", "trigger", DAILY_DAG, "--run-id", r["trigger_run_id"], "--conf", json.dumps(r["conf"])]
            for r in runs
        ]
        if any(i["date"] for items in candidates.values() for i in items):
            record_detection(
                warehouse,
                candidates,
                "runs started by the daily run" if runs else "reported by the daily run",
                commands,
            )
        if runs:
            log.info("starting %d run(s) to close them:\n%s", len(runs), "\n".join(shlex.join(c) for c in commands))
        elif not fill:
            log.info("nothing started: fill_gaps is off")
        return runs


class PublishDbtDocsOperator(DeclaresLineage, BaseOperator):
    """``dbt docs generate`` over the built warehouse, published to ``<lake>/dbt_docs``."""

    ui_color = "#d5f5e3"
    writes = ("lake:dbt_docs",)

    def execute(self, context):
        from mlb_pipeline.features import generate_docs

        return generate_docs()


class TrainModelOperator(DeclaresLineage, BaseOperator):
    """Train a challenger on the game features up to the run's game date, and promote it
    only when it beats the champion (``mlb_pipeline.model``). The daily run trains only when
    the training data changed (``full=False``); the weekly sync retrains in full. The
    ``champion_version`` param rolls back to that version instead of training. Bad inputs
    fail without retries; too little history skips (nothing to learn yet)."""

    ui_color = "#fdebd0"
    reads = ("features.game_features",)
    writes = ("ml.model_versions", "lake:models")

    def __init__(self, *, plan_task_id: str | None = None, full: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.plan_task_id = plan_task_id
        self.full = full

    def execute(self, context):
        from airflow.sdk.exceptions import AirflowSkipException

        from mlb_pipeline import model
        from mlb_pipeline.settings import lake_url
        from mlb_pipeline.warehouse import open_warehouse

        game_date = RunContext.of(context).game_date
        warehouse, registry = open_warehouse(), model.Registry(lake_url())
        warehouse.ensure_schema()
        rollback_to = (context.get("params") or {}).get("champion_version")
        if rollback_to:
            try:
                return model.rollback(warehouse, registry, rollback_to, who=f"run {context['run_id']}")
            except model.ModelInputError as exc:
                raise AirflowFailException(str(exc)) from exc
        plan = context["ti"].xcom_pull(task_ids=self.plan_task_id) if self.plan_task_id else None
        phase = (plan or {}).get("season_phase", "regular_season")
        try:
            result = model.train_and_register(
                warehouse,
                registry,
                game_date + dt.timedelta(days=1),
                context["run_id"],
                phase=phase,
                full=self.full,
            )
        except model.NotEnoughGames as exc:
            raise AirflowSkipException(f"{exc}: no model trained yet") from exc
        except model.ModelInputError as exc:
            log.error("training failed; the champion stays as it is: %s", exc)
            raise AirflowFailException(f"training failed, the champion stays: {exc}") from exc
        if result.get("report"):
            log.info("%s: %s", result["version"], result["report"])
        return result


class PredictGamesOperator(DeclaresLineage, BaseOperator):
    """Score the predictions of the run's game date against the outcomes
    (``ml.prediction_scores``), then predict the next day's games with the champion
    (``ml.predictions``)."""

    ui_color = "#fdebd0"
    reads = ("features.game_features", "ml.model_versions", "raw.games")
    writes = ("ml.predictions", "ml.prediction_scores")

    def execute(self, context):
        from airflow.sdk.exceptions import AirflowSkipException

        from mlb_pipeline import model
        from mlb_pipeline.settings import lake_url
        from mlb_pipeline.warehouse import open_warehouse

        game_date = RunContext.of(context).game_date
        warehouse, registry = open_warehouse(), model.Registry(lake_url())
        scored = model.score_predictions(warehouse, game_date)
        if registry.champion() is None:
            raise AirflowSkipException("no champion model yet: nothing to predict with")
        try:
            rows = model.predict_games(warehouse, registry, game_date + dt.timedelta(days=1), context["run_id"])
        except model.ModelInputError as exc:
            raise AirflowFailException(str(exc)) from exc
        return {
            "scored": {
                k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in (scored or {}).items()
            }
            or None,
            "predicted": [
                {k: r[k] for k in ("game_pk", "home_team_id", "away_team_id", "home_win_probability", "model_version")}
                for r in rows
            ],
        }


class ReportLink(BaseOperatorLink):
    """The task's report page, as the Airflow UI shows it (``mlb_pipeline_plugin``)."""

    name = "Report"

    def get_link(self, operator, *, ti_key) -> str:
        from mlb_pipeline.settings import reports_url

        pushed = ti_key.xcom_pull(task_ids=ti_key.task_id) if hasattr(ti_key, "xcom_pull") else None
        return reports_url((pushed or {}).get("report", "reports/index.html"))


class PublishReportOperator(DeclaresLineage, BaseOperator):
    """The report page of the season up to the run's game date (``mlb_pipeline.report``),
    published to ``<lake>/reports/``: completeness from the season calendar, grades, rows,
    the model against the baselines, calibration, versions and the latest contributions.
    Runs whatever became of the tasks before it (a failed day is when the page is read);
    backfill runs skip it (their last date's page would say little of the season)."""

    ui_color = "#d5f5e3"
    reads = (
        "raw.schedule",
        "raw.games",
        "ops.ingestion_runs",
        "ops.quality_grades",
        "ml.predictions",
        "ml.model_versions",
    )
    writes = ("lake:reports",)
    operator_extra_links = (ReportLink(),)

    def execute(self, context):
        from airflow.sdk.exceptions import AirflowSkipException

        from mlb_pipeline import report
        from mlb_pipeline.seasons import season_calendar
        from mlb_pipeline.settings import lake_url
        from mlb_pipeline.warehouse import open_warehouse

        if is_backfill(context):
            raise AirflowSkipException("a backfill run: no report page (the daily run after it publishes one)")
        game_date = RunContext.of(context).game_date
        client = source_client()
        try:
            calendar = season_calendar(client, raw_zone(), game_date.year)
        finally:
            client.close()
        data = report.gather(open_warehouse(), calendar, game_date)
        return {"report": report.publish(lake_url(), data), "score_summary": data["score_summary"]}


def previous_month(context) -> str:
    """The month a monthly run audits: the ``month`` param, or the calendar month before
    the run's logical date (the run on 1 July audits June)."""
    param = (context.get("params") or {}).get("month")
    if param:
        return str(param)
    logical = context.get("logical_date") or context["dag_run"].run_after
    first = logical.date().replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


class MonthlyAuditOperator(DeclaresLineage, BaseOperator):
    """Audit the warehouse (``mlb_pipeline.audit``): write the report to the lake and
    ``ops.audit_reports``, then fail, with the summary, if anything is wrong."""

    ui_color = "#fdebd0"
    reads = ("raw.*", "ops.quality_grades")
    writes = ("ops.audit_reports", "lake:audit")

    def __init__(self, **kwargs):
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)

    def execute(self, context):
        from mlb_pipeline import audit
        from mlb_pipeline.seasons import phase_on, season_calendar
        from mlb_pipeline.settings import lake_url
        from mlb_pipeline.warehouse import open_warehouse

        month = previous_month(context)
        params = context.get("params") or {}
        cfg = dict(audit.audit_config())
        if params.get("api_sample_size") is not None:
            cfg["api_sample_size"] = int(params["api_sample_size"])
        warehouse = open_warehouse()
        warehouse.ensure_schema()
        client = source_client()
        try:
            end = audit.month_bounds(month)[1]
            calendar = season_calendar(client, raw_zone(), end.year)
            phase = phase_on(calendar, end.isoformat())
            report = audit.run_audit(
                warehouse,
                client,
                month,
                in_season=phase in ("regular_season", "postseason"),
                cfg=cfg,
                calendar=calendar,
            )
        finally:
            client.close()
        location = audit.publish(warehouse, lake_url(), report)
        log.info("audit of %s: %s, report at %s", month, report["status"], location)
        if report["problems"]:
            summary = "\n".join(f"- {p}" for p in report["problems"])
            raise AirflowFailException(
                f"audit of {month}: {len(report['problems'])} problem(s); report at {location}\n{summary}"
            )
        return {"month": month, "status": report["status"], "report": location}


class PlanWeeklySyncOperator(BaseOperator):
    """The dates the weekly sync fetches again: the ``from_date``..``to_date`` params, or
    every date of the seasons to sync (``seasons``, ``full_history``, or the current and
    previous season) up to yesterday, from each season's calendar."""

    ui_color = "#d6eaf8"

    def execute(self, context):
        from mlb_pipeline import sync
        from mlb_pipeline.seasons import season_calendar

        params = context.get("params") or {}
        today = (context.get("logical_date") or context["dag_run"].run_after).date()
        if params.get("from_date") or params.get("to_date"):
            first = dt.date.fromisoformat(params.get("from_date") or params["to_date"])
            last = dt.date.fromisoformat(params.get("to_date") or params["from_date"])
            if last < first:
                raise AirflowFailException(f"to_date {last} is before from_date {first}")
            dates = [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
            seasons = sorted({int(d[:4]) for d in dates})
        else:
            seasons = sync.seasons_to_sync(today, params.get("seasons"), bool(params.get("full_history")))
            client = source_client()
            try:
                dates = [d for s in seasons for d in sync.season_dates(season_calendar(client, raw_zone(), s), today)]
            finally:
                client.close()
        log.info(
            "weekly sync of seasons %s: %d dates (%s .. %s)",
            seasons,
            len(dates),
            dates[0] if dates else "-",
            dates[-1] if dates else "-",
        )
        return {"seasons": seasons, "dates": dates, "dry_run": bool(params.get("dry_run"))}


class ResyncRawDataOperator(BaseOperator):
    """Fetch every game of the planned dates again; report the rows that changed (content
    hash), per table; merge them, filling gaps and rewriting only what changed."""

    ui_color = "#d6eaf8"

    def __init__(self, *, plan_task_id: str, **kwargs):
        super().__init__(**kwargs)
        self.plan_task_id = plan_task_id

    def execute(self, context):
        from mlb_pipeline.sync import resync_dates
        from mlb_pipeline.warehouse import open_warehouse

        plan = context["ti"].xcom_pull(task_ids=self.plan_task_id)
        client = source_client()
        try:
            return resync_dates(
                client,
                raw_zone(),
                open_warehouse(),
                plan["dates"],
                context["run_id"],
                client.settings.concurrency,
                dry_run=plan["dry_run"],
            )
        finally:
            client.close()


class RegradeOperator(BaseOperator):
    """Grade again, with Great Expectations, the synced dates whose data changed or that
    have no promoted grade; fail naming every date still rejected."""

    ui_color = "#e8daef"

    def __init__(self, *, plan_task_id: str, resync_task_id: str, **kwargs):
        super().__init__(**kwargs)
        self.plan_task_id, self.resync_task_id = plan_task_id, resync_task_id

    def execute(self, context):
        from airflow.sdk.exceptions import AirflowSkipException

        from mlb_pipeline.quality import BatchRejected, grade_and_promote
        from mlb_pipeline.settings import lake_url
        from mlb_pipeline.sync import dates_to_regrade
        from mlb_pipeline.warehouse import open_warehouse

        ti = context["ti"]
        plan, synced = ti.xcom_pull(task_ids=self.plan_task_id), ti.xcom_pull(task_ids=self.resync_task_id)
        if synced["dry_run"]:
            raise AirflowSkipException(f"dry run: {synced['rows_changed_total']} rows would change; nothing written")
        warehouse = open_warehouse()
        dates = dates_to_regrade(warehouse, plan["dates"], synced["changed_dates"])
        rejected, graded = [], {}
        for date in dates:
            try:
                graded[date] = grade_and_promote(
                    warehouse,
                    date,
                    synced["phases"].get(date, "regular_season"),
                    context["run_id"],
                    docs_url=lake_url().rstrip("/") + "/quality/data_docs",
                )["grade"]
            except BatchRejected as exc:
                rejected.append(str(exc).splitlines()[0])
        log.info("re-graded %d dates: %s", len(dates), graded)
        if rejected:
            raise AirflowFailException(
                f"{len(rejected)} of {len(dates)} re-graded dates not promoted:\n" + "\n".join(rejected)
            )
        return {"regraded": graded}


def season_to_archive(context) -> int:
    """The ``season`` param, or the season before the run's year (2 January archives the
    season that ended in the autumn)."""
    param = (context.get("params") or {}).get("season")
    if param:
        return int(param)
    return (context.get("logical_date") or context["dag_run"].run_after).year - 1


class CheckSeasonCompleteOperator(BaseOperator):
    """Fail, listing every gap, unless the season is 100% complete: every game the API's
    schedule of the season lists as played landed final, graded A to C and promoted, with
    its features."""

    ui_color = "#fdebd0"

    def __init__(self, **kwargs):
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)

    def execute(self, context):
        from mlb_pipeline.archive import completeness_problems, is_archived, scheduled_games
        from mlb_pipeline.warehouse import open_warehouse

        season = season_to_archive(context)
        warehouse = open_warehouse()
        warehouse.ensure_schema()
        problems = completeness_problems(warehouse, season, scheduled_games(season))
        if problems:
            raise AirflowFailException(
                f"season {season} is not complete, nothing archived: {len(problems)} gap(s)\n"
                + "\n".join(problems[:200])
            )
        log.info(
            "season %s is complete%s",
            season,
            " (already archived: this run verifies it)" if is_archived(warehouse, season) else "",
        )
        return {"season": season}


class ArchiveSeasonOperator(BaseOperator):
    """Copy the season from the current to the historical zone, verify every object by
    checksum, then mark it archived (manifests, ``ops.archives``)."""

    ui_color = "#d5f5e3"

    def __init__(self, **kwargs):
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)

    def execute(self, context):
        from mlb_pipeline import archive
        from mlb_pipeline.seasons import season_calendar
        from mlb_pipeline.settings import lake_url
        from mlb_pipeline.warehouse import open_warehouse

        season = season_to_archive(context)
        client = source_client()
        try:
            calendar = season_calendar(client, raw_zone(), season)
        finally:
            client.close()
        mapping = archive.season_objects(lake_url(), season, calendar)
        if (context.get("params") or {}).get("dry_run"):
            log.info(
                "dry run: %d objects of %s would be archived:\n%s",
                len(mapping),
                season,
                "\n".join(f"{s} -> {t}" for s, t in list(mapping.items())[:100]),
            )
            return {"season": season, "objects": len(mapping), "dry_run": True}
        try:
            copied = archive.copy_season(mapping)
        except archive.ArchiveConflict as exc:
            raise AirflowFailException(str(exc)) from exc
        marked = archive.mark_archived(open_warehouse(), lake_url(), season, copied["checksums"])
        return {
            **marked,
            "copied": copied["copied"],
            "already_archived": copied["already_archived"],
            "bytes": copied["bytes"],
        }


# --- Live games (mlb_live_games, mlb_land_final_games) --------------------------------------


class PlanLiveGamesOperator(DeclaresLineage, BaseOperator):
    """The game day's games to follow (its schedule landed raw); first, the live versions of
    games landed more than ``live.retention_days`` ago are pruned."""

    ui_color = "#fadbd8"
    writes = ("lake:current/schedule", "lake:live")

    def execute(self, context):
        from mlb_pipeline.collect import InvalidGameDate, check_game_date
        from mlb_pipeline.live import games_to_follow, prune_versions
        from mlb_pipeline.settings import load_config
        from mlb_pipeline.warehouse import open_warehouse

        try:
            game_date = check_game_date(RunContext.of(context).day)
        except InvalidGameDate as exc:
            raise AirflowFailException(str(exc)) from exc
        zone, warehouse = raw_zone(), open_warehouse()
        warehouse.ensure_schema()
        prune_versions(zone, warehouse, load_config("pipeline")["live"]["retention_days"])
        client = source_client()
        try:
            return games_to_follow(client, zone, game_date, warehouse)
        finally:
            client.close()


class FollowGameOperator(DeclaresLineage, BaseOperator):
    """Follow one game until it is final or called off: a :class:`~mlb_pipeline.live.GameFeedTrigger`
    polls it in the triggerer (no worker slot) at the interval of its state; at every change of
    state and every check the task takes the versions' rows into ``raw.live_game_state`` and
    defers again. Final: the asset event ``mlb_final_games`` (the game in its extra; the DAG
    gives the task that outlet) starts its landing. Called off: skipped. ``confirm``: the one
    poll a final game gets ``final`` seconds later; a change since (a scorer's correction) lands
    the game again."""

    ui_color = "#fadbd8"
    template_fields = ("game", "clock_speed")
    reads = ("lake:live",)
    writes = ("lake:live", "raw.live_game_state")

    def __init__(self, *, game, clock_speed=1.0, confirm: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.game, self.clock_speed, self.confirm = game, clock_speed, confirm

    def execute(self, context):
        from mlb_pipeline.live import followed_so_far
        from mlb_pipeline.warehouse import open_warehouse

        through, final_at = followed_so_far(open_warehouse(), self.game["game_pk"])
        if not self.confirm:
            self._defer(reported_through=through)
        if final_at is None:
            raise AirflowSkipException(f"game {self.game['game_pk']} was not followed to its end: nothing to confirm")
        self._defer(reported_through=through, next_poll_at=final_at.timestamp() + self._trigger().interval("final"))

    def _trigger(self, **state):
        from mlb_pipeline.live import GameFeedTrigger
        from mlb_pipeline.settings import lake_url, load_config

        seasons = load_config("seasons")
        return GameFeedTrigger(
            game=dict(self.game),
            base_url=source_base_url()[0],
            lake_url=lake_url(),
            live=load_config("pipeline")["live"],
            final_states=seasons["final_coded_states"],
            postponed_states=seasons["postponed_coded_states"],
            clock_speed=float(self.clock_speed or 1),
            confirm=self.confirm,
            **state,
        )

    def _defer(self, **state):
        self.defer(trigger=self._trigger(**state), method_name="resume")

    def resume(self, context, event: dict):
        from mlb_pipeline.live import load_state_rows
        from mlb_pipeline.warehouse import open_warehouse

        pk, status = event["game_pk"], event["status"]
        load_state_rows(open_warehouse(), event["rows"])
        log.info(
            "game %s: %s at %s (%d versions loaded; requests %s)",
            pk,
            event["detailed_state"] or status,
            event["timecode"],
            len(event["rows"]),
            event["stats"],
        )
        if status == "error":
            raise AirflowException(f"game {pk}: {event['error']}")
        if status == "cancelled":
            raise AirflowSkipException(f"game {pk}: {event['detailed_state']}, followed no further")
        if self.confirm:
            if not event["rows"]:
                raise AirflowSkipException(f"game {pk}: unchanged since it turned final")
            return self._final(context, event, corrected=True)
        if status == "final":
            return self._final(context, event, corrected=False)
        self._defer(
            reported_through=event["timecode"],
            checked_through=event["checked_through"],
            next_poll_at=event["next_poll_at"],
            stats=event["stats"],
        )

    def _final(self, context, event: dict, corrected: bool) -> dict:
        game = {**self.game, "game_pk": event["game_pk"], "timecode": event["timecode"], "corrected": corrected}
        context["outlet_events"][FINAL_GAMES].extra = game
        return {**game, "stats": event["stats"]}


class PlanFinalGamesOperator(DeclaresLineage, BaseOperator):
    """The plan of a landing run: the games of the asset events that started it (final while
    followed live), their dates' schedules asked again; games already final in the warehouse
    are skipped, unless the event says the game was corrected since."""

    ui_color = "#d6eaf8"
    writes = ("lake:current/schedule",)

    def execute(self, context):
        from mlb_pipeline.live import plan_final_games
        from mlb_pipeline.warehouse import open_warehouse

        events = (
            context["triggering_asset_events"].get(FINAL_GAMES, []) if context.get("triggering_asset_events") else []
        )
        finished = [dict(e.extra) for e in events if e.extra.get("game_pk")]
        finished += [dict(g) for g in (context["params"].get("games") or [])]
        if not finished:
            raise AirflowSkipException("no game turned final (a run without asset events or games)")
        client = source_client()
        try:
            return plan_final_games(client, raw_zone(), open_warehouse(), finished)
        finally:
            client.close()


# --- Permanent errors fail at once ---------------------------------------------------------


def fail_permanent_errors_at_once(execute):
    """Wrap an operator's ``execute``: an error that cannot heal by waiting
    (``failures.permanent_reason``) becomes ``AirflowFailException`` with the reason, so
    the task fails now instead of after its retries; any other error is raised as it is."""

    @functools.wraps(execute)
    def wrapper(self, *args, **kwargs):
        from mlb_pipeline.failures import permanent_reason

        try:
            return execute(self, *args, **kwargs)
        except AirflowFailException:
            raise
        except Exception as exc:
            reason = permanent_reason(exc)
            if reason is None:
                raise
            log.error("%s: not retried: %s", self.task_id, reason)
            raise AirflowFailException(reason) from exc

    wrapper.fails_permanent_errors_at_once = True
    return wrapper


def _apply_to_our_operators() -> None:
    """Every operator of this module (and any added later) gets the wrapper, once, on the
    ``execute`` it defines itself (inherited ones are wrapped where they are defined)."""
    for op in list(globals().values()):
        if (
            isinstance(op, type)
            and issubclass(op, BaseOperator)
            and op.__module__ == __name__
            and "execute" in op.__dict__
            and not getattr(op.__dict__["execute"], "fails_permanent_errors_at_once", False)
        ):
            op.execute = fail_permanent_errors_at_once(op.__dict__["execute"])


_apply_to_our_operators()
