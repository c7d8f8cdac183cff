"""The demo's game days, run by a real scheduler, so that the Airflow UI shows them as it shows
any run: real durations, the grid, readable task logs (``airflow dags test`` runs tasks in its
own process and leaves neither). ``scripts/demo.sh`` starts the API double, then this:

- a temporary ``airflow standalone`` on the embedded default: one API worker, 4 task slots,
  and no scheduled runs of its own (the daily DAG is unpaused only while the demo runs, so it
  never schedules the real yesterday against the real API);
- one run a game day, in order, through Airflow's REST API (``mlb_pipeline.airflow_api``):
  every day collected and graded, the last also building the features (set-based), training
  the model, predicting the next day and publishing the report page;
- each day's state, time and grade as it ends, an estimate first;
- Airflow stopped at the end, the DAG paused again; ``make ui`` shows the runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DAG_ID = "mlb_daily_collection"
# Measured on the 2-core machine (docs/BENCHMARKS.md): a day collected and graded, the last day.
SECONDS_A_DAY, SECONDS_LAST_DAY, SECONDS_TO_START = 25, 180, 40


def game_days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s" if seconds >= 60 else f"{seconds:.0f} s"


def start_airflow(port: int, log: Path) -> subprocess.Popen:
    """``airflow standalone`` in its own process group, sized for a laptop."""
    env = {
        **os.environ,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://localhost:{port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "airflow", "standalone"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_airflow(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def wait_until_ready(process: subprocess.Popen, port: int, log: Path, timeout: float = 300):
    """Logged in to the REST API once it answers and the DAG is parsed."""
    import httpx

    from mlb_pipeline.airflow_api import AirflowApi, AirflowUnavailable

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"airflow standalone exited ({process.returncode}); its log: {log}")
        try:  # quietly, until the api-server answers at all
            httpx.get(f"http://localhost:{port}/api/v2/monitor/health", timeout=5).raise_for_status()
        except httpx.HTTPError:
            time.sleep(2)
            continue
        try:
            api = AirflowApi()
            api.dag_paused(DAG_ID)
            return api
        except AirflowUnavailable:
            time.sleep(3)
    raise SystemExit(f"Airflow did not come up in {timeout:.0f} s; its log: {log}")


def forget_earlier_runs(api, days: list[dt.date]) -> int:
    """Delete the runs an earlier demo (or ``airflow dags test``) left for these game days: a
    game day has one run, and the demo's replace them. How many were deleted."""
    first = dt.datetime.combine(days[0], dt.time(), dt.UTC)
    last = dt.datetime.combine(days[-1], dt.time(), dt.UTC)
    runs = api.runs_between(DAG_ID, first, last)
    for run in runs:
        api.delete_run(DAG_ID, run.dag_run_id)
    return len(runs)


def run_day(api, day: dt.date, conf: dict) -> tuple[str, float, str]:
    """Trigger the game day's run and wait for it: its state, seconds and grade."""
    from mlb_pipeline.gaps import Trigger

    run_id = api.trigger(Trigger(DAG_ID, conf), logical_date=dt.datetime.combine(day, dt.time(), dt.UTC))
    while (run := api.run(DAG_ID, run_id)).state not in ("success", "failed"):
        time.sleep(3)
    seconds = (run.end_date - run.start_date).total_seconds() if run.start_date and run.end_date else 0.0
    graded = api.returned(DAG_ID, run_id, "grade_raw_data") or {}
    state = getattr(run.state, "value", run.state)
    return state, seconds, (graded.get("grade") if isinstance(graded, dict) else None) or "none"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlb_demo", description=__doc__.splitlines()[0])
    parser.add_argument("first", type=dt.date.fromisoformat)
    parser.add_argument("last", type=dt.date.fromisoformat)
    parser.add_argument("--port", type=int, default=int(os.environ.get("MLB_DEMO_UI_PORT", "8080")))
    parser.add_argument("--logs", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.last < args.first:
        parser.error(f"the last day {args.last} is before the first {args.first}")
    days = game_days(args.first, args.last)
    # This process reads the api-server's address from Airflow's config, as the gaps command does.
    os.environ["AIRFLOW__API__BASE_URL"] = f"http://localhost:{args.port}"
    os.environ["AIRFLOW__API__PORT"] = str(args.port)
    estimate = SECONDS_TO_START + SECONDS_A_DAY * (len(days) - 1) + SECONDS_LAST_DAY
    print(f"==> {len(days)} game days through Airflow's scheduler: about {minutes(estimate)}", flush=True)
    log = args.logs / "airflow.log"
    airflow = start_airflow(args.port, log)
    failed = 0
    try:
        api = wait_until_ready(airflow, args.port, log)
        if forgotten := forget_earlier_runs(api, days):
            print(f"==> {forgotten} earlier run(s) of these days deleted: the demo's replace them", flush=True)
        was_paused = api.dag_paused(DAG_ID)
        api.set_paused(DAG_ID, False)
        try:
            for day in days:
                last = day == days[-1]
                # Earlier days collect and grade only, as a backfill would; the last rebuilds the
                # features of every date at once. No gap filling: the demo's range is the point.
                conf = {"build_features": last, "full_refresh": last, "fill_gaps": False}
                state, seconds, grade = run_day(api, day, conf)
                failed += state != "success"
                print(f"==> {day}: {state:<7} in {minutes(seconds):>12}, grade {grade}", flush=True)
        finally:
            api.set_paused(DAG_ID, was_paused)
    finally:
        stop_airflow(airflow)
    return failed


if __name__ == "__main__":
    sys.exit(main())
