"""Airflow as our users drive it: a real ``airflow standalone`` (scheduler, dag-processor,
triggerer and api-server over a SQLite metadata database, LocalExecutor), started by the
test. Through the REST API: trigger the daily DAG with Params for a simulated date and
wait for it; a local SMTP server receives the Deadline Alert of the run that outlived its
expected duration. Then the gaps command, without ``--dry-run`` and with no connection set
(the embedded default: it logs in to this Airflow's REST API as SimpleAuthManager's admin),
finds three uncollected dates and creates their backfills through the REST API, and the
scheduler runs them: raw data landed and graded, the features skipped as backfill runs do."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
from conftest import Inbox
from live_airflow import DAG_ID, LiveAirflow, standalone_env

pytestmark = pytest.mark.xdist_group("live_airflow")  # one Airflow for the module's tests

TRIGGERED = "2024-05-10"
BACKFILLED = ["2024-05-07", "2024-05-08", "2024-05-09"]


@pytest.fixture(scope="module")
def live(tmp_path_factory, sim_server):
    root = tmp_path_factory.mktemp("live-airflow")
    inbox = Inbox().__enter__()
    # An expected duration for the daily DAG (0.6 s after queued) that no run can keep, however
    # fast the machine: the deadline is missed whenever the run ends after it (Airflow prunes
    # only deadlines a run finished before), so the alert does not hang on the run being slow.
    env = standalone_env(root, sim_server.url, inbox.connection_uri, expected_minutes={DAG_ID: 0.01})
    airflow = LiveAirflow(root, env)
    airflow.inbox = inbox
    try:
        airflow.wait_until_ready()
        yield airflow
    finally:
        airflow.stop()
        inbox.__exit__(None, None, None)


def lineage_events(live, complete, timeout: float = 90) -> list[dict]:
    """The OpenLineage events of the daily DAG's tasks written so far (a file each), waiting
    until ``complete(events)`` holds: the listener may write a task's last event just after
    the run is seen finished."""
    import json

    from live_airflow import lineage_dir

    deadline = time.monotonic() + timeout
    while True:
        events = [json.loads(p.read_text()) for p in sorted(lineage_dir(live.root).glob("event-*.json"))]
        events = [e for e in events if e.get("job", {}).get("name", "").startswith(f"{DAG_ID}.")]
        if complete(events) or time.monotonic() > deadline:
            return events
        time.sleep(2)


def _warehouse(live):
    import duckdb

    return duckdb.connect(live.env["MLB_DUCKDB_PATH"], read_only=True)


def test_trigger_through_the_rest_api_then_backfill_what_the_gaps_command_finds(live, league):
    # A user unpauses the DAG and triggers it with Params, as the UI's trigger form does.
    live.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})
    run = live.api(
        "POST",
        f"/dags/{DAG_ID}/dagRuns",
        json={"logical_date": None, "conf": {"game_date": TRIGGERED, "build_features": False}},
    )
    finished = live.wait_for_run(run["dag_run_id"])
    states = live.task_states(run["dag_run_id"])
    assert finished["state"] == "success", (states, live.tail())
    assert states["grade_raw_data"] == "success" and states["check_feature_inputs"] == "skipped"

    games = {g.game_pk for g in league.played_on(dt.date.fromisoformat(TRIGGERED))}
    with _warehouse(live) as con:
        stored = {
            pk for (pk,) in con.execute("SELECT game_pk FROM raw.games WHERE official_date = ?", [TRIGGERED]).fetchall()
        }
        grades = con.execute(
            "SELECT DISTINCT batch_grade, promoted FROM ops.quality_grades WHERE game_date = ?", [TRIGGERED]
        ).fetchall()
    assert stored == games and len(games) > 10
    assert grades == [("A", True)]

    # What the demo (devtools/mlb_demo.py) reads of each run through the REST API client.
    from mlb_pipeline.airflow_api import AirflowApi, ApiAccess

    api = AirflowApi(ApiAccess(live.url, "tester", "s3cret", sqlite_metadata=True))
    described = api.run(DAG_ID, run["dag_run_id"])
    assert getattr(described.state, "value", described.state) == "success" and described.end_date
    assert api.returned(DAG_ID, run["dag_run_id"], "grade_raw_data")["grade"] == "A"
    assert api.returned(DAG_ID, run["dag_run_id"], "check_feature_inputs") is None  # skipped: nothing

    # The run's report page: under Browse in the UI, from the lake, and the task's Report link.
    assert states["publish_report"] == "success"
    page = live.client.get("/mlb-reports/reports/index.html")
    assert page.status_code == 200 and f"season 2024 through {TRIGGERED}</h1>" in page.text
    views = [v for p in live.api("GET", "/plugins")["plugins"] for v in p.get("external_views") or []]
    assert {"name": "MLB report", "href": "/mlb-reports/reports/index.html"}.items() <= next(
        v for v in views if v["name"] == "MLB report"
    ).items()
    links = live.api("GET", f"/dags/{DAG_ID}/dagRuns/{quote(run['dag_run_id'])}/taskInstances/publish_report/links")
    links = links["extra_links"]
    assert links == {"Report": f"{live.url}/mlb-reports/reports/daily/{TRIGGERED}.html"}, links
    assert live.client.get(links["Report"]).status_code == 200

    # Lineage: a start and an end event of every task that ran, with what our tasks read and wrote.
    ran = {task for task, state in states.items() if state == "success"}
    events = lineage_events(live, lambda found: ran <= {e["job"]["name"].split(".", 1)[1] for e in found})
    ends = {e["job"]["name"].split(".", 1)[1]: e for e in events if e["eventType"] == "COMPLETE"}
    starts = {e["job"]["name"].split(".", 1)[1] for e in events if e["eventType"] == "START"}
    assert ran <= set(ends) and ran <= starts, (ran - set(ends), ran - starts)
    warehouse = f"duckdb://{live.env['MLB_DUCKDB_PATH']}"
    load = {(d["namespace"], d["name"]) for d in ends["load_raw_tables"]["outputs"]}
    assert {(warehouse, "raw.games"), (warehouse, "raw.pitches"), (warehouse, "ops.ingestion_runs")} <= load
    assert {(d["namespace"], d["name"]) for d in ends["grade_raw_data"]["outputs"]} >= {
        (warehouse, "ops.quality_grades")
    }
    lake = live.env["MLB_LAKE_URL"].removeprefix("file://")
    assert [(d["namespace"], d["name"]) for d in ends["publish_report"]["outputs"]] == [("file", f"{lake}/reports")]
    assert all(e["job"]["namespace"] == "mlb-pipeline" for e in events)

    # The run outlived its expected duration (0.6 s here): the Deadline Alert's email.
    msg, body = live.inbox.wait_for(
        lambda subject, body: "slower than expected" in subject and run["dag_run_id"] in subject, timeout=180
    )
    assert msg["Subject"] == f"[mlb-pipeline] {DAG_ID} run slower than expected: {run['dag_run_id']}"
    assert "is still running 0.01 minutes after it was queued" in body
    assert f"{live.url}/dags/{DAG_ID}/runs/{quote(run['dag_run_id'])}" in body

    # Three dates never collected: the gaps command finds them and backfills them, here two
    # dates at most a backfill: the second backfill waits for the first (one at a time per DAG).
    command = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlb_pipeline.gaps",
            "--lookback-days",
            "2",
            "--end-date",
            BACKFILLED[-1],
            "--max-dates",
            "2",
        ],
        env=live.env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert command.returncode == 0, command.stdout + command.stderr
    creating = "Creating through Airflow's REST API: airflow backfill create --dag-id"
    first = f"{creating} {DAG_ID} --from-date {BACKFILLED[0]} --to-date {BACKFILLED[1]} --reprocess-behavior completed"
    second = f"{creating} {DAG_ID} --from-date {BACKFILLED[2]} --to-date {BACKFILLED[2]} --reprocess-behavior completed"
    out = command.stdout
    assert (
        first in out
        and second in out
        and out.index(first) < out.index("Waiting for the previous backfill to finish") < out.index(second)
    ), out
    deadline = time.monotonic() + 900
    while True:
        runs = live.api("GET", f"/dags/{DAG_ID}/dagRuns", params={"run_type": "backfill", "limit": 10})["dag_runs"]
        if len(runs) == 3 and all(r["state"] in ("success", "failed") for r in runs):
            break
        assert time.monotonic() < deadline, (runs, live.tail())
        time.sleep(5)
    assert sorted(r["logical_date"][:10] for r in runs) == BACKFILLED
    assert out.count(" created.") == 2  # each backfill's id, as Airflow's REST API answered
    # On SQLite the DAG was paused while each backfill was created, and set back as it was.
    assert live.api("GET", f"/dags/{DAG_ID}")["is_paused"] is False
    for r in runs:
        states = live.task_states(r["dag_run_id"])
        assert r["state"] == "success", (r, states)
        # Backfill runs land and grade the raw data; the features wait for one set-based rebuild.
        assert states["grade_raw_data"] == "success" and states["check_feature_inputs"] == "skipped"
        assert states["train_model"] == states["publish_report"] == "skipped"

    with _warehouse(live) as con:
        per_date = dict(
            con.execute(
                "SELECT CAST(official_date AS VARCHAR), count(*) FROM raw.games WHERE official_date BETWEEN ? AND ? "
                "GROUP BY 1",
                [BACKFILLED[0], BACKFILLED[-1]],
            ).fetchall()
        )
        logged = con.execute(
            "SELECT DISTINCT processor, CAST(game_date AS VARCHAR), action FROM ops.backfill_log ORDER BY 2"
        ).fetchall()
    assert per_date == {d: len(league.played_on(dt.date.fromisoformat(d))) for d in BACKFILLED}
    assert logged == [("collection", d, "backfill_created") for d in BACKFILLED]

    # Asked again, the command finds the raw data complete; what is left is the one set-based
    # rebuild of the features that follows a backfill (seed 002).
    again = subprocess.run(
        [sys.executable, "-m", "mlb_pipeline.gaps", "--lookback-days", "2", "--end-date", BACKFILLED[-1], "--dry-run"],
        env=live.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    for processor in ("collection", "incomplete", "grading"):
        assert f"  {processor:<11} all processed" in again.stdout, again.stdout
    assert "airflow backfill create" not in again.stdout
    assert (
        f'airflow dags trigger {DAG_ID} --conf \'{{"game_date": "{BACKFILLED[-1]}", "full_refresh": true}}\''
        in again.stdout
    ), again.stdout
