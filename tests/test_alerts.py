"""Alert emails: failed tasks and rejected batches (through a real task run and a real SMTP
server), the deadline callback, and the deadlines every DAG declares. The deadline missed
under a real scheduler is in test_airflow_live.py."""

from __future__ import annotations

import datetime as dt

import pytest

from mlb_pipeline import alerts


@pytest.mark.unit
def test_the_morning_deadline_follows_daylight_saving_time():
    # Game day D's run has logical date D 00:00 UTC; 05:00 in New York on D+1 is 09:00 UTC
    # in summer (EDT) and 10:00 UTC in winter (EST).
    assert alerts.daily_done_by_interval("05:00", "America/New_York", dt.date(2024, 6, 13)) == dt.timedelta(hours=33)
    assert alerts.daily_done_by_interval("05:00", "America/New_York", dt.date(2024, 1, 10)) == dt.timedelta(hours=34)


def test_every_dag_declares_its_deadlines(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    from mlb_pipeline.settings import load_config

    bag = DagBag(dag_folder="dags")
    expected = load_config("pipeline")["alerts"]["expected_minutes"]
    assert set(expected) == set(bag.dags)
    for dag_id, dag in bag.dags.items():
        deadlines = {d.name: d for d in dag.deadline}
        slow = deadlines[f"{dag_id} slower than expected"]
        assert slow.interval == dt.timedelta(minutes=expected[dag_id])
        assert slow.callback.path == "mlb_pipeline.alerts.deadline_missed"
        for task in dag.tasks:
            assert task.on_failure_callback, f"{dag_id}.{task.task_id} emails nobody when it fails"
    assert "mlb_daily_collection done by 05:00" in {d.name for d in bag.dags["mlb_daily_collection"].deadline}


@pytest.mark.unit
def test_a_rejected_batch_emails_its_date_checks_and_link(inbox):
    # The failure of a real task reaches the inbox in test_daily_dag.py; here, what the email
    # of a rejected batch says (the context holds what a task's failure callback receives).
    from types import SimpleNamespace

    from airflow.sdk.exceptions import AirflowFailException

    from mlb_pipeline.quality import BatchRejected

    reason = (
        "2024-06-13 graded F (regular_season): not promoted; games [745001] still fail after 2 "
        "re-collections\nraw.linescore_innings F: line score runs = team runs [745001]"
    )
    try:
        raise AirflowFailException(reason) from BatchRejected(reason)
    except AirflowFailException as exc:
        rejected = exc
    ti = SimpleNamespace(
        dag_id="mlb_daily_collection",
        task_id="grade_raw_data",
        try_number=1,
        log_url="http://airflow.example/dags/mlb_daily_collection/runs/r1/tasks/grade_raw_data",
    )
    assert alerts.task_failed({"ti": ti, "exception": rejected, "run_id": "r1", "params": {}, "ds": "2024-06-13"})
    msg, body = inbox.wait_for(lambda subject, body: "graded F" in subject, timeout=10)
    assert msg["Subject"] == (
        "[mlb-pipeline] mlb_daily_collection: 2024-06-13 graded F (regular_season): not "
        "promoted; games [745001] still fail after 2 re-collections"
    )
    assert msg["To"] == "mlb-oncall@example.com"
    assert "raw.linescore_innings F: line score runs = team runs [745001]" in body
    assert ti.log_url in body


def _deadline_context(run_type: str) -> dict:
    # What the scheduler passes a deadline callback (airflow.models.deadline.Deadline.handle_miss).
    return {
        "dag_run": {
            "dag_id": "mlb_daily_collection",
            "dag_run_id": f"{run_type}__2024-06-13T00:00:00+00:00",
            "run_type": run_type,
            "state": "running",
            "logical_date": "2024-06-13T00:00:00Z",
            "queued_at": "2024-06-14T06:00:01Z",
            "start_date": "2024-06-14T06:00:02Z",
            "conf": {},
        },
        "deadline": {"id": "d1", "deadline_time": "2024-06-14T09:00:00Z"},
    }


@pytest.mark.unit
def test_a_late_run_is_emailed(inbox):
    sent = alerts.deadline_missed(_deadline_context("scheduled"), kind="done_by", reason="not finished by 05:00")
    assert sent
    msg, body = inbox.wait_for(lambda subject, body: "late" in subject, timeout=10)
    assert msg["Subject"] == "[mlb-pipeline] mlb_daily_collection run late: scheduled__2024-06-13T00:00:00+00:00"
    assert "is not finished by 05:00" in body and "Deadline: 2024-06-14T09:00:00Z" in body
    assert alerts.deadline_missed(_deadline_context("backfill"), kind="slow", reason="still running")
    assert len(inbox.messages) == 2


@pytest.mark.unit
def test_a_deadline_callback_refused_the_connection_fails_with_the_way_out_and_the_alert(monkeypatch):
    # What Airflow 3.3.1's Execution API answers a deadline callback asking for a connection
    # kept in the metadata database (seen in the season benchmark): an explicit denial.
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowSecretsBackendAccessDenied

    def denied(conn_id):
        raise AirflowSecretsBackendAccessDenied(f"Access denied for connection {conn_id!r} by Execution API")

    monkeypatch.setattr(BaseHook, "get_connection", staticmethod(denied))
    with pytest.raises(alerts.ConnectionUnreadable) as error:
        alerts.deadline_missed(_deadline_context("scheduled"), kind="done_by", reason="not finished by 05:00")
    message = str(error.value)
    assert "define it as AIRFLOW_CONN_MLB_SMTP or in a secrets backend" in message
    assert "Alert not emailed: [mlb-pipeline] mlb_daily_collection run late: scheduled__2024-06-13" in message
    assert "is not finished by 05:00" in message


def test_backfill_runs_get_no_morning_deadline(airflow_db):
    # Through Airflow's own round trip: the DAG file encodes the reference, the scheduler
    # decodes it (finding the class through our plugin) and evaluates it for each new run.
    from airflow.models.dag import DagModel
    from airflow.models.dagbundle import DagBundleModel
    from airflow.models.dagrun import DagRun
    from airflow.serialization.decoders import decode_deadline_reference
    from airflow.serialization.encoders import encode_deadline_reference
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunType
    from sqlalchemy import delete

    dag_id = "test_alerts_deadline"
    days = {
        run_type: dt.datetime(2024, 6, 13 + n, tzinfo=dt.UTC)
        for n, run_type in enumerate((DagRunType.SCHEDULED, DagRunType.MANUAL, DagRunType.BACKFILL_JOB))
    }
    reference = decode_deadline_reference(encode_deadline_reference(alerts.DagRunLogicalDateUnlessBackfill()))
    done_by = dt.timedelta(hours=33)
    with create_session() as session:
        session.merge(DagBundleModel(name="dags-folder"))
        session.flush()
        session.merge(DagModel(dag_id=dag_id, bundle_name="dags-folder"))
        for run_type, day in days.items():
            session.add(
                DagRun(dag_id=dag_id, run_id=f"{run_type}__{day.isoformat()}", run_type=run_type, logical_date=day)
            )
        session.flush()
        try:
            deadline = {
                run_type: reference.evaluate_with(
                    session=session, interval=done_by, dag_id=dag_id, run_id=f"{run_type}__{day.isoformat()}"
                )
                for run_type, day in days.items()
            }
        finally:
            session.execute(delete(DagRun).where(DagRun.dag_id == dag_id))
            session.execute(delete(DagModel).where(DagModel.dag_id == dag_id))
    assert deadline == {
        DagRunType.SCHEDULED: days[DagRunType.SCHEDULED] + done_by,
        DagRunType.MANUAL: days[DagRunType.MANUAL] + done_by,
        DagRunType.BACKFILL_JOB: None,
    }


@pytest.mark.unit
def test_without_an_smtp_connection_the_alert_is_logged(monkeypatch, caplog):
    monkeypatch.delenv("AIRFLOW_CONN_MLB_SMTP", raising=False)
    with caplog.at_level("WARNING", logger="mlb_pipeline.alerts"):
        assert alerts.send("probe", ["nothing to see"]) is False
    assert "no SMTP connection 'mlb_smtp': alert not emailed: [mlb-pipeline] probe" in caplog.text


@pytest.fixture(autouse=True)
def _no_stray_smtp(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_MLB_SMTP", raising=False)


def _documented_connections() -> list[str]:
    """The SMTP connection URLs the README's Alerts section gives."""
    import re

    from conftest import REPO

    return re.findall(r"AIRFLOW_CONN_MLB_SMTP='([^']+)'", (REPO / "README.md").read_text())


@pytest.mark.unit
def test_the_readme_documents_starttls_implicit_tls_and_a_plain_relay_and_the_config_one_of_them():
    import re

    from conftest import REPO

    forms = _documented_connections()
    assert [re.search(r":(\d+)", f.split("@")[-1]).group(1) for f in forms] == ["587", "465", "25"]
    config = re.search(r"AIRFLOW_CONN_MLB_SMTP='([^']+)'", (REPO / "config" / "pipeline.yaml").read_text())
    assert config.group(1) == forms[0]


@pytest.mark.unit
@pytest.mark.parametrize("form", range(3), ids=["starttls-587", "implicit-tls-465", "plain-relay-25"])
def test_each_documented_smtp_connection_sends(form, monkeypatch):
    """Each form exactly as the README gives it, only its host and port pointed at a local
    server speaking that form's protocol (with login over TLS, its certificate trusted)."""
    from conftest import Inbox

    url = _documented_connections()[form]
    tls, login = [("starttls", ("user", "password")), ("implicit", ("user", "password")), (None, None)][form]
    with Inbox(tls=tls, login=login) as box:
        if box.cert_file:
            monkeypatch.setenv("SSL_CERT_FILE", box.cert_file)  # verified, as a real server's would be
        host_port = "smtp.example.com:587" if form == 0 else "smtp.example.com:465" if form == 1 else "localhost:25"
        assert host_port in url
        monkeypatch.setenv("AIRFLOW_CONN_MLB_SMTP", url.replace(host_port, f"127.0.0.1:{box.port}"))
        assert alerts.send(f"form {form}", ["it arrived"])
        msg, body = box.wait_for(lambda subject, body: f"form {form}" in subject, timeout=10)
        assert "it arrived" in body


@pytest.mark.unit
def test_the_bare_url_once_documented_fails_against_starttls(monkeypatch):
    """Why the forms say which TLS: the hook's default is implicit TLS, which a STARTTLS port refuses."""
    import ssl

    from conftest import Inbox

    with Inbox(tls="starttls", login=("user", "password")) as box:
        monkeypatch.setenv("SSL_CERT_FILE", box.cert_file)
        monkeypatch.setenv("AIRFLOW_CONN_MLB_SMTP", f"smtp://user:password@127.0.0.1:{box.port}?timeout=5")
        with pytest.raises(ssl.SSLError, match="WRONG_VERSION_NUMBER"):
            alerts.send("bare", ["never"])
        assert box.messages == []


class ChatWebhook:
    """A local stand-in for a Slack or Google Chat incoming webhook: answers each POST with the
    next of ``statuses`` (then 200) and keeps what it was sent."""

    def __init__(self, statuses: list[int] | None = None):
        import http.server
        import json
        import threading

        self.statuses, self.received = list(statuses or []), []
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
                self.send_response(hook.statuses.pop(0) if hook.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T0/B0/s3cretT0ken"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def chat(monkeypatch):
    import json

    hook = ChatWebhook()
    # As a user defines it: the webhook URL is the connection's password (a credential).
    monkeypatch.setenv("AIRFLOW_CONN_MLB_CHAT", json.dumps({"conn_type": "http", "password": hook.url}))
    yield hook
    hook.close()


@pytest.mark.unit
def test_a_late_run_is_posted_to_the_chat_beside_the_email(inbox, chat):
    assert alerts.deadline_missed(_deadline_context("scheduled"), kind="done_by", reason="not finished by 05:00")
    inbox.wait_for(lambda subject, body: "late" in subject, timeout=10)
    [(path, content_type, payload)] = chat.received
    assert path == "/services/T0/B0/s3cretT0ken" and content_type == "application/json"
    subject = "[mlb-pipeline] mlb_daily_collection run late: scheduled__2024-06-13T00:00:00+00:00"
    lines = payload["text"].splitlines()
    assert lines[0] == f"*{subject}*"
    assert "The run scheduled__2024-06-13T00:00:00+00:00 of mlb_daily_collection is not finished by 05:00." in lines
    link = alerts.run_link("mlb_daily_collection", "scheduled__2024-06-13T00:00:00+00:00")
    assert link.endswith("/runs/scheduled__2024-06-13T00%3A00%3A00%2B00%3A00")
    assert lines[-1] == f"<{link}|Open in Airflow>"


@pytest.mark.unit
def test_a_failing_webhook_is_retried_then_logged_without_its_secret_and_the_email_still_goes(
    inbox, chat, monkeypatch, caplog
):
    import tenacity

    monkeypatch.setattr(tenacity.nap, "sleep", lambda seconds: None)  # the backoff, not waited out here
    chat.statuses = [500, 503]  # two failures, then the third attempt is taken
    assert alerts.send("probe", ["first"]) is True
    assert len(chat.received) == 3 and len(inbox.messages) == 1

    chat.statuses = [500, 500, 500]  # every attempt fails: logged, and the email alone goes
    with caplog.at_level("ERROR", logger="mlb_pipeline.alerts"):
        assert alerts.send("probe", ["second"]) is True
    assert "alert not posted to the chat connection 'mlb_chat' after 3 attempts (HTTPStatusError 500)" in caplog.text
    assert "s3cretT0ken" not in caplog.text
    assert len(chat.received) == 6 and len(inbox.messages) == 2

    # Neither connection: nothing sent, the alert logged.
    monkeypatch.delenv("AIRFLOW_CONN_MLB_CHAT")
    monkeypatch.delenv("AIRFLOW_CONN_MLB_SMTP")
    assert alerts.send("probe", ["third"]) is False and len(chat.received) == 6
