"""Driving Airflow from outside it: create the backfills that close the gaps, wait for them,
and hold the scheduler off a DAG, through Airflow's REST API (v2) with the official client
(``apache-airflow-client``). Nothing here writes into Airflow's metadata tables or reads an
``airflow`` command's output; ``python -m mlb_pipeline.gaps`` uses it.

Where the API is and how to log in come from the Airflow connection ``backfill.api_connection_id``
(``AIRFLOW_CONN_AIRFLOW_API='http://user:password@host:8080'``; the extra
``sqlite_metadata=true`` says its metadata database is SQLite). Without that connection it is
the Airflow this environment configures, the embedded default: its api-server
(``[api] base_url``, else localhost on ``[api] port``), SimpleAuthManager's first admin with the
password ``airflow standalone`` generated (or no login in all-admins mode), its own database.
A JWT comes from ``/auth/token``, as Airflow 3's SimpleAuthManager documents; it is never logged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shlex
import time

from mlb_pipeline.gaps import Backfill, Trigger
from mlb_pipeline.settings import load_config


class AirflowUnavailable(RuntimeError):
    """Airflow cannot do what was asked now (its REST API unreachable, or a login refused)."""


class SchedulerNotRunning(AirflowUnavailable):
    """A backfill waits and nothing will run it: no scheduler is alive, or its DAG is paused."""


@dataclasses.dataclass(frozen=True)
class ApiAccess:
    """Where Airflow's REST API is, who logs in (no ``username``: all-admins mode), and whether
    its metadata database is SQLite (see :func:`held_by_the_scheduler`)."""

    base_url: str
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    sqlite_metadata: bool = False


def api_access() -> ApiAccess:
    """From the Airflow connection ``backfill.api_connection_id``, else the embedded default."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(load_config("pipeline")["backfill"]["api_connection_id"])
    except AirflowNotFoundException:
        return embedded_access()
    scheme = conn.conn_type if conn.conn_type in ("http", "https") else "http"
    base_url = (
        f"{scheme}://{conn.host}" + (f":{conn.port}" if conn.port else "") + (f"/{conn.schema}" if conn.schema else "")
    )
    return ApiAccess(
        base_url=base_url.rstrip("/"),
        username=conn.login or None,
        password=conn.password or None,
        sqlite_metadata=str((conn.extra_dejson or {}).get("sqlite_metadata", "false")).lower() == "true",
    )


def embedded_access() -> ApiAccess:
    """The api-server of the Airflow this environment configures (``airflow standalone``), logged
    in as SimpleAuthManager's first admin with the password it keeps in its passwords file."""
    from airflow.configuration import conf

    base_url = conf.get("api", "base_url", fallback=None) or f"http://localhost:{conf.getint('api', 'port')}"
    sqlite = conf.get("database", "sql_alchemy_conn").startswith("sqlite")
    if conf.getboolean("core", "simple_auth_manager_all_admins", fallback=False):
        return ApiAccess(base_url.rstrip("/"), sqlite_metadata=sqlite)
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

    admins = [u.username for u in SimpleAuthManager.get_users() if u.role.lower() == "admin"]
    try:
        passwords = SimpleAuthManager.get_passwords()
    except OSError:
        passwords = {}
    user = next((u for u in admins if u in passwords), None)
    if user is None:
        raise AirflowUnavailable(
            f"no login for Airflow's REST API at {base_url}: no admin of SimpleAuthManager has a password in "
            f"{SimpleAuthManager.get_generated_password_file()}; define the connection as "
            "AIRFLOW_CONN_AIRFLOW_API='http://user:password@host:port'"
        )
    return ApiAccess(base_url.rstrip("/"), user, passwords[user], sqlite_metadata=sqlite)


def access_token(access: ApiAccess) -> str:
    """A JWT from ``/auth/token``: ``POST`` with the user and password, or ``GET`` in
    SimpleAuthManager's all-admins mode."""
    import urllib3

    url = f"{access.base_url}/auth/token"
    try:
        if access.username:
            response = urllib3.request(
                "POST", url, json={"username": access.username, "password": access.password or ""}, timeout=30
            )
        else:
            response = urllib3.request("GET", url, timeout=30)
    except urllib3.exceptions.HTTPError as error:
        raise AirflowUnavailable(
            f"cannot reach Airflow's REST API at {access.base_url} ({type(error).__name__}): start Airflow "
            "(`airflow standalone`) or point the connection AIRFLOW_CONN_AIRFLOW_API at it"
        ) from None
    if response.status not in (200, 201):
        who = f"as {access.username!r}" if access.username else "without a login (all-admins mode)"
        raise AirflowUnavailable(f"Airflow's REST API at {access.base_url} refused a token {who}: {response.status}")
    return response.json()["access_token"]


def _transient(error: BaseException) -> bool:
    """Answers worth asking again (config ``backfill.api_retry_statuses``): 503 is how the API
    says SQLite's "database is locked" (Airflow has removed what it half created), 409 a
    backfill of the DAG still there."""
    from airflow_client.client.exceptions import ApiException

    statuses = load_config("pipeline")["backfill"]["api_retry_statuses"]
    return isinstance(error, ApiException) and error.status in statuses


class AirflowApi:
    """The few REST calls the gaps command makes, logged in once, each retried on a transient answer."""

    def __init__(self, access: ApiAccess | None = None):
        import airflow_client.client as client

        self.access = access or api_access()
        configuration = client.Configuration(host=self.access.base_url, access_token=access_token(self.access))
        self._client = client.ApiClient(configuration)
        self.backfills = client.BackfillApi(self._client)
        self.dags = client.DAGApi(self._client)
        self.dag_runs = client.DagRunApi(self._client)
        self.monitor = client.MonitorApi(self._client)

    def _call(self, method, *args, **kwargs):
        import tenacity
        import urllib3

        cfg = load_config("pipeline")["backfill"]

        @tenacity.retry(
            retry=tenacity.retry_if_exception(_transient),
            wait=tenacity.wait_fixed(cfg["api_retry_wait_s"]),
            stop=tenacity.stop_after_attempt(cfg["api_retry_attempts"]),
            before_sleep=lambda state: print(
                f"Airflow's REST API answered {state.outcome.exception().status}; trying again", flush=True
            ),
            reraise=True,
        )
        def attempt():
            return method(*args, **kwargs)

        try:
            return attempt()
        except urllib3.exceptions.HTTPError as error:
            raise AirflowUnavailable(
                f"cannot reach Airflow's REST API at {self.access.base_url} ({type(error).__name__})"
            ) from None

    def dag_paused(self, dag_id: str) -> bool:
        """Whether ``dag_id`` is paused (the scheduler starts none of its runs)."""
        from airflow_client.client.exceptions import NotFoundException

        try:
            return bool(self._call(self.dags.get_dag, dag_id).is_paused)
        except NotFoundException:
            raise AirflowUnavailable(
                f"Airflow at {self.access.base_url} has no DAG {dag_id} (not parsed yet?): start its dag-processor "
                "(`airflow standalone` does), then run this command again"
            ) from None

    def set_paused(self, dag_id: str, paused: bool) -> None:
        from airflow_client.client import DAGPatchBody

        self._call(self.dags.patch_dag, dag_id, DAGPatchBody(is_paused=paused), update_mask=["is_paused"])

    def running_backfills(self, dag_id: str) -> int:
        """How many backfills of ``dag_id`` are not completed (Airflow runs one at a time)."""
        running, offset, page = 0, 0, 100
        while True:
            found = self._call(self.backfills.list_backfills, dag_id, limit=page, offset=offset)
            running += sum(1 for b in found.backfills if b.completed_at is None)
            offset += page
            if offset >= found.total_entries:
                return running

    def scheduler_alive(self) -> bool:
        """The scheduler's health as Airflow reports it (a recent heartbeat of a running job)."""
        health = self._call(self.monitor.get_health)
        return health.scheduler is not None and health.scheduler.status == "healthy"

    def create_backfill(self, backfill: Backfill) -> int:
        """Create the backfill; its id."""
        import datetime as dt

        from airflow_client.client import BackfillPostBody, ReprocessBehavior

        def midnight(day: str) -> dt.datetime:
            return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=dt.UTC)

        body = BackfillPostBody(
            dag_id=backfill.dag_id,
            from_date=midnight(backfill.from_date),
            to_date=midnight(backfill.to_date),
            reprocess_behavior=ReprocessBehavior(backfill.reprocess_behavior),
        )
        return self._call(self.backfills.create_backfill, body).id

    def trigger(self, trigger: Trigger, logical_date=None) -> str:
        """Trigger a run of the DAG with ``trigger.conf`` (at ``logical_date``, a datetime:
        the game day it is the run of; by default now); its run id."""
        from airflow_client.client import TriggerDAGRunPostBody

        body = TriggerDAGRunPostBody(logical_date=logical_date, conf=trigger.conf)
        return self._call(self.dag_runs.trigger_dag_run, trigger.dag_id, body).dag_run_id

    def runs_between(self, dag_id: str, first, last) -> list:
        """The runs of ``dag_id`` whose logical dates lie from ``first`` to ``last`` (datetimes)."""
        found = self._call(self.dag_runs.get_dag_runs, dag_id, logical_date_gte=first, logical_date_lte=last, limit=100)
        return found.dag_runs

    def delete_run(self, dag_id: str, run_id: str) -> None:
        self._call(self.dag_runs.delete_dag_run, dag_id, run_id)

    def run(self, dag_id: str, run_id: str):
        """The run as the REST API describes it (state, start and end dates)."""
        return self._call(self.dag_runs.get_dag_run, dag_id, run_id)

    def returned(self, dag_id: str, run_id: str, task_id: str):
        """What a task of the run returned (its ``return_value`` XCom), or None."""
        import airflow_client.client as client
        from airflow_client.client.exceptions import NotFoundException

        try:
            entry = self._call(
                client.XComApi(self._client).get_xcom_entry,
                dag_id=dag_id,
                task_id=task_id,
                dag_run_id=run_id,
                xcom_key="return_value",
                deserialize=True,
                stringify=False,
            )
        except NotFoundException:
            return None
        value = entry.actual_instance if hasattr(entry, "actual_instance") else entry
        return getattr(value, "value", value)


def stop_if_paused(api: AirflowApi, dag_id: str) -> None:
    """Refuse to backfill a paused DAG: the backfill would wait, run by nobody."""
    if api.dag_paused(dag_id):
        raise SchedulerNotRunning(
            f"{dag_id} is paused, so no backfill of it would run: unpause it "
            f"(`airflow dags unpause {dag_id}`), then run this command again"
        )


def wait_for_backfills(
    api: AirflowApi, dag_id: str, poll_s: float = 5.0, scheduler_grace_s: float | None = None, saying: str = ""
) -> None:
    """Wait until ``dag_id`` has no running backfill (Airflow runs one per DAG at a time),
    printing ``saying`` once if there is one.

    Only a scheduler moves a backfill on: when none has been alive (``/monitor/health``) for
    ``scheduler_grace_s`` (config ``backfill.scheduler_grace_s``) this stops with an error
    rather than wait forever (the backfill stays; a scheduler started later finishes it, and
    the command run again backfills only what is still missing)."""
    if scheduler_grace_s is None:
        scheduler_grace_s = load_config("pipeline")["backfill"]["scheduler_grace_s"]
    last_alive = time.monotonic()
    while True:
        if not api.running_backfills(dag_id):
            return
        if saying:
            print(saying, flush=True)
            saying = ""
        if api.dag_paused(dag_id):
            raise SchedulerNotRunning(
                f"a backfill of {dag_id} is waiting, but the DAG is paused: unpause it "
                f"(`airflow dags unpause {dag_id}`), then run this command again"
            )
        now = time.monotonic()
        if api.scheduler_alive():
            last_alive = now
        elif now - last_alive > scheduler_grace_s:
            raise SchedulerNotRunning(
                f"a backfill of {dag_id} is waiting, but no Airflow scheduler has been "
                f"alive for {scheduler_grace_s:.0f} s: start one (`airflow scheduler`), "
                "then run this command again"
            )
        time.sleep(poll_s)


@contextlib.contextmanager
def held_by_the_scheduler(api: AirflowApi, dag_id: str):
    """On SQLite, keep the scheduler's hands off ``dag_id`` while a backfill is created.

    Airflow 3.3.1 commits a backfill's runs one by one on SQLite, and when a later one is
    refused "database is locked" it deletes those already made, possibly under the scheduler
    that is creating their task instances: the scheduler then exits (FOREIGN KEY failure,
    then ObjectDeletedError; seen in the season benchmark, docs/BENCHMARKS.md). The scheduler
    leaves the queued runs of a paused DAG alone, so the DAG is paused for the few seconds
    the creation takes, then set back as it was. Backfill runs have no morning deadline either
    (``alerts.DagRunLogicalDateUnlessBackfill``), so the scheduler is not marking theirs missed
    while they are deleted. Other databases (Composer's Postgres): nothing done."""
    if not api.access.sqlite_metadata:
        yield
        return
    was_paused = api.dag_paused(dag_id)
    api.set_paused(dag_id, True)
    try:
        yield
    finally:
        api.set_paused(dag_id, was_paused)


def run_backfills(api: AirflowApi, plan: list[Backfill | Trigger]) -> None:
    """Start the plan in order; each backfill waits for the one before it to finish."""
    for step in plan:
        if isinstance(step, Backfill):
            wait_for_backfills(api, step.dag_id, saying="Waiting for the previous backfill to finish...")
            print("Creating through Airflow's REST API: " + shlex.join(step.command()), flush=True)
            with held_by_the_scheduler(api, step.dag_id):
                backfill_id = api.create_backfill(step)
            print(f"Backfill {backfill_id} created.", flush=True)
        else:
            print("Triggering through Airflow's REST API: " + shlex.join(step.command()), flush=True)
            print(f"Run {api.trigger(step)} triggered.", flush=True)
