"""Alerts to the on-call, by email and in the team's chat: missed deadlines, failed tasks,
grade-F batches.

Airflow 3 replaced task SLAs with Deadline Alerts: each DAG declares its deadlines with
``deadlines(dag_id)``, and when a run misses one the scheduler queues
``deadline_missed`` on the executor. Failed tasks call ``task_failed`` (every DAG's
``on_failure_callback``). Both send through the Airflow SMTP connection named in
``config/pipeline.yaml`` (``alerts``) and post to the chat webhook (Slack or Google Chat)
of the chat connection beside it; where neither is defined (a laptop) the alert is logged
instead, so nothing breaks for want of a mail server.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import sys
from urllib.parse import quote
from zoneinfo import ZoneInfo

from airflow.sdk.definitions.deadline import BaseDeadlineReference

log = logging.getLogger(__name__)


def alerts_config() -> dict:
    from mlb_pipeline.settings import load_config

    return load_config("pipeline")["alerts"]


def run_link(dag_id: str, run_id: str, task_id: str | None = None) -> str:
    """The run (or the task's) page in the Airflow UI."""
    from airflow.configuration import conf

    base = conf.get("api", "base_url", fallback="http://localhost:8080/").rstrip("/")
    link = f"{base}/dags/{quote(dag_id)}/runs/{quote(run_id)}"
    return f"{link}/tasks/{quote(task_id)}" if task_id else link


class ConnectionUnreadable(RuntimeError):
    """An alert's connection cannot be read where the alert is sent (a deadline callback)."""


def send(subject: str, lines: list[str], link: str | None = None) -> bool:
    """Alert the on-call: email ``subject``, ``lines`` (plain text, a paragraph each) and the
    link (``email``), and post them to the team's chat (``post_to_chat``) where its connection
    is defined. True when at least one of them went out; False, having logged the alert,
    when neither is configured."""
    subject = f"{alerts_config()['subject_prefix']} {subject}"
    sent, refused = False, []
    for deliver in (email, post_to_chat):  # one refused connection does not stop the other
        try:
            sent = deliver(subject, lines, link) or sent
        except ConnectionUnreadable as error:
            refused.append(error)
    if refused:
        raise refused[0]
    return sent


def email(subject: str, lines: list[str], link: str | None = None) -> bool:
    """Email the alert to the on-call address; False, having logged it, when no SMTP
    connection is defined.

    Airflow 3.3's deadline callbacks hold a token the Execution API refuses connections to
    (apache/airflow#71192 adds one that may), so there the connection must come from the
    environment or a secrets backend; otherwise the callback fails with that reason and
    the alert, rather than lose it in silence."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    cfg = alerts_config()
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    if link:
        body += f'<p><a href="{html.escape(link, quote=True)}">{html.escape(link)}</a></p>'
    if _connection(cfg["smtp_conn_id"], "SMTP connection", "emailed", subject, lines) is None:
        return False
    with SmtpHook(smtp_conn_id=cfg["smtp_conn_id"]) as smtp:
        smtp.send_email_smtp(to=cfg["to"], from_email=cfg["from"], subject=subject, html_content=body)
    log.info("alert emailed to %s: %s", ", ".join(cfg["to"]), subject)
    return True


def chat_message(subject: str, lines: list[str], link: str | None = None) -> dict:
    """The webhook payload: Slack's incoming webhooks and Google Chat's both take
    ``{"text": ...}`` with ``*bold*`` and ``<url|label>`` links."""
    text = "\n".join([f"*{subject}*", *lines])
    if link:
        text += f"\n<{link}|Open in Airflow>"
    return {"text": text}


def post_to_chat(subject: str, lines: list[str], link: str | None = None) -> bool:
    """Post the alert to the chat webhook (Slack or Google Chat) whose URL is the password of
    the connection ``alerts.chat_conn_id`` (a webhook URL is a credential: it lives in a
    secrets backend or the environment, and is never logged). False, having logged why, when
    the connection is not defined or the webhook keeps failing: the email still goes."""
    import httpx
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

    cfg = alerts_config()
    conn = _connection(cfg["chat_conn_id"], "chat connection", "posted", subject, lines, quiet=True)
    if conn is None:
        return False
    url = conn.password or ""
    if not url.startswith(("https://", "http://")):
        log.error("the chat connection %r has no webhook URL as its password: alert not posted", cfg["chat_conn_id"])
        return False

    @retry(
        retry=retry_if_exception_type(httpx.HTTPError),
        stop=stop_after_attempt(cfg["chat_attempts"]),
        wait=wait_exponential(multiplier=0.5, max=8),
        reraise=True,
    )
    def post() -> None:
        httpx.post(url, json=chat_message(subject, lines, link), timeout=10).raise_for_status()

    try:
        post()
    except httpx.HTTPError as error:  # the response or error names the host, never the URL's secret path
        status = getattr(getattr(error, "response", None), "status_code", None)
        log.error(
            "alert not posted to the chat connection %r after %d attempts (%s%s): %s",
            cfg["chat_conn_id"],
            cfg["chat_attempts"],
            type(error).__name__,
            f" {status}" if status else "",
            subject,
        )
        return False
    log.info("alert posted to the chat connection %r: %s", cfg["chat_conn_id"], subject)
    return True


def _connection(conn_id: str, what: str, verb: str, subject: str, lines: list[str], quiet: bool = False):
    """The connection, or None (logged) when it is not defined; refused (a deadline callback
    in Airflow 3.3): ``ConnectionUnreadable``, with the alert, rather than lose it."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException, AirflowSecretsBackendAccessDenied

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        (log.debug if quiet else log.warning)(
            "no %s %r: alert not %s: %s | %s", what, conn_id, verb, subject, " | ".join(lines)
        )
        return None
    except AirflowSecretsBackendAccessDenied as error:
        raise ConnectionUnreadable(
            f"the {what} {conn_id!r} cannot be read here ({error}): Airflow 3.3's deadline callbacks "
            f"cannot read connections kept in the metadata database; define it as AIRFLOW_CONN_{conn_id.upper()} "
            f"or in a secrets backend (Composer: Secret Manager). Alert not {verb}: {subject} | " + " | ".join(lines)
        ) from error


# --- Deadlines -----------------------------------------------------------------------------


def daily_done_by_interval(done_by: str, timezone: str, today: dt.date) -> dt.timedelta:
    """How long after a game day's logical date (D 00:00 UTC) its run must be finished:
    ``done_by`` (e.g. 05:00) in ``timezone`` on D+1. The UTC offset of ``today`` is used,
    so the interval follows daylight saving time (the DAG is re-parsed when it changes)."""
    hour, minute = (int(part) for part in done_by.split(":"))
    local = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(hour, minute), ZoneInfo(timezone))
    midnight_utc = dt.datetime.combine(today, dt.time(), dt.UTC)
    return local.astimezone(dt.UTC) - midnight_utc


class DagRunLogicalDateUnlessBackfill(BaseDeadlineReference):
    """A run's logical date, as Airflow's ``DAGRUN_LOGICAL_DATE``, but no deadline at all for
    a backfill run: a past game day misses the morning deadline before it is queued, so the
    alert could only ever be noise, and (on SQLite) the scheduler would race ``airflow
    backfill create``'s clean-up of a partly created backfill over these rows. Registered
    with Airflow by ``mlb_pipeline_plugin``; evaluated by the scheduler when a run is created."""

    required_kwargs = {"dag_id", "run_id"}

    def _evaluate_with(self, *, session, dag_id: str, run_id: str) -> dt.datetime | None:
        from airflow.models import DagRun
        from airflow.utils.types import DagRunType
        from sqlalchemy import select

        run_type, logical_date = session.execute(
            select(DagRun.run_type, DagRun.logical_date).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
        ).one()
        return None if run_type == DagRunType.BACKFILL_JOB else logical_date


def under_dags_test() -> bool:
    """Parsed by ``airflow dags test``? Airflow 3.3.1's ``dag.test()`` cannot finish a
    successful run of a DAG with Deadline Alerts (it looks the alerts up by their encoded
    form instead of their id and raises), and a test run has no deadline to keep anyway."""
    return sys.argv[1:3] == ["dags", "test"]


def deadlines(dag_id: str) -> list | None:
    """The Deadline Alerts of ``dag_id``: finished within its expected duration of being
    queued (``alerts.expected_minutes``) and, for the daily DAG, finished by
    ``alerts.daily_done_by`` the morning after its game day (not for backfill runs). None
    under ``airflow dags test`` (see ``under_dags_test``)."""
    from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference, SyncCallback

    from mlb_pipeline.settings import load_config

    if under_dags_test():
        return None
    cfg = alerts_config()
    minutes = cfg["expected_minutes"][dag_id]
    alerts = [
        DeadlineAlert(
            reference=DeadlineReference.DAGRUN_QUEUED_AT,
            interval=dt.timedelta(minutes=minutes),
            callback=SyncCallback(
                deadline_missed,
                kwargs={
                    "kind": "slow",
                    "reason": f"still running {minutes:g} minutes after it was queued "
                    f"(expected duration, config/pipeline.yaml alerts.expected_minutes)",
                },
            ),
            name=f"{dag_id} slower than expected",
        )
    ]
    if dag_id == "mlb_daily_collection":
        timezone = load_config("pipeline")["schedules"]["timezone"]
        done_by = cfg["daily_done_by"]
        alerts.append(
            DeadlineAlert(
                reference=DagRunLogicalDateUnlessBackfill(),
                interval=daily_done_by_interval(done_by, timezone, dt.date.today()),
                callback=SyncCallback(
                    deadline_missed,
                    kwargs={
                        "kind": "done_by",
                        "reason": f"not finished by {done_by} {timezone} the morning after its game day",
                    },
                ),
                name=f"{dag_id} done by {done_by}",
            )
        )
    return alerts


def deadline_missed(context: dict, kind: str, reason: str) -> bool:
    """Deadline callback (runs on the executor): email that the run missed its deadline."""
    run = context.get("dag_run") or {}
    dag_id, run_id = run.get("dag_id", "?"), run.get("dag_run_id") or run.get("run_id", "?")
    deadline = (context.get("deadline") or {}).get("deadline_time")
    lines = [
        f"The run {run_id} of {dag_id} is {reason}.",
        f"Deadline: {deadline}. State now: {run.get('state')}. Run type: {run.get('run_type')}.",
        f"Logical date: {run.get('logical_date')}. Queued at: {run.get('queued_at')}. "
        f"Started: {run.get('start_date')}.",
        f"Params: {run.get('conf') or {}}.",
    ]
    what = "late" if kind == "done_by" else "slower than expected"
    return send(f"{dag_id} run {what}: {run_id}", lines, run_link(dag_id, run_id))


# --- Failures ------------------------------------------------------------------------------


def task_failed(context) -> bool:
    """``on_failure_callback`` of every task: email the failure, its reason and the link.
    A rejected batch (grade F) says so, with its date, in the subject."""
    ti, exc = context["ti"], context.get("exception")
    reason = str(exc) if exc is not None else "no exception recorded (see the log)"
    if len(reason) > 4000:
        reason = reason[:4000] + " ..."
    rejected = type(getattr(exc, "__cause__", None)).__name__ == "BatchRejected"
    game_date = (context.get("params") or {}).get("game_date") or context.get("ds")
    if rejected:  # "2024-06-13 graded F (regular_season): not promoted; games [...] ..."
        subject = f"{ti.dag_id}: {reason.splitlines()[0][:160]}"
    else:
        subject = f"task failed: {ti.dag_id}.{ti.task_id} ({context['run_id']})"
    lines = [
        f"{ti.dag_id}.{ti.task_id} failed in run {context['run_id']} (try {ti.try_number}, date {game_date}).",
        f"Reason: {reason}",
    ]
    return send(subject, lines, getattr(ti, "log_url", None) or run_link(ti.dag_id, context["run_id"], ti.task_id))
