"""GameDayTimetable: a run per game day, due the next morning, named by the game day."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import pendulum
import pytest
from airflow.timetables.base import TimeRestriction

from mlb_pipeline.timetable import GameDayTimetable

UTC = dt.UTC


def runs(timetable, earliest, latest, catchup=True):
    restriction = TimeRestriction(earliest, latest, catchup)
    info, out = None, []
    while (info := timetable.next_dagrun_info_v2(last_dagrun_info=info, restriction=restriction)) is not None:
        out.append(info)
    return out


@pytest.mark.unit
def test_the_run_due_at_2am_eastern_collects_the_day_before():
    tt = GameDayTimetable("02:00", "America/New_York")
    [info] = runs(tt, pendulum.datetime(2024, 7, 1, tz="UTC"), pendulum.datetime(2024, 7, 1, tz="UTC"))
    assert info.logical_date == pendulum.datetime(2024, 7, 1, tz="UTC")
    assert info.run_after == pendulum.datetime(2024, 7, 2, 2, 0, tz="America/New_York")  # 06:00 UTC in July
    [winter] = runs(tt, pendulum.datetime(2024, 12, 1, tz="UTC"), pendulum.datetime(2024, 12, 1, tz="UTC"))
    assert winter.run_after == pendulum.datetime(2024, 12, 2, 7, 0, tz="UTC")  # 02:00 EST


@pytest.mark.unit
def test_a_date_range_gives_exactly_those_game_days():
    tt = GameDayTimetable()
    infos = runs(tt, pendulum.datetime(2024, 7, 1, tz="UTC"), pendulum.datetime(2024, 7, 3, tz="UTC"))
    assert [i.logical_date.date().isoformat() for i in infos] == ["2024-07-01", "2024-07-02", "2024-07-03"]


@pytest.mark.unit
def test_manual_runs_and_the_latest_due_day():
    tt = GameDayTimetable()
    interval = tt.infer_manual_data_interval(run_after=pendulum.datetime(2024, 7, 1, tz="UTC"))
    assert (interval.start, interval.end) == (
        pendulum.datetime(2024, 7, 1, tz="UTC"),
        pendulum.datetime(2024, 7, 2, tz="UTC"),
    )
    assert tt.latest_due_day(dt.datetime(2024, 7, 2, 6, 30, tzinfo=UTC)) == dt.date(2024, 7, 1)  # 02:30 ET
    assert tt.latest_due_day(dt.datetime(2024, 7, 2, 5, 30, tzinfo=UTC)) == dt.date(2024, 6, 30)  # 01:30 ET
    assert GameDayTimetable.deserialize(tt.serialize()).serialize() == tt.serialize()


def test_airflow_backfill_create_plans_exactly_the_dates_typed(airflow_db):
    """The real CLI, on the serialised DAG, with the timetable found through our plugin."""
    env = os.environ.copy()
    subprocess.run([sys.executable, "-m", "airflow", "dags", "reserialize"], check=True, capture_output=True, env=env)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "airflow",
            "backfill",
            "create",
            "--dag-id",
            "mlb_daily_collection",
            "--from-date",
            "2023-05-01",
            "--to-date",
            "2023-05-03",
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    planned = re.findall(r"^\| (\d{4}-\d{2}-\d{2}) 00:00:00\+00:00", proc.stdout, re.M)
    assert planned == ["2023-05-01", "2023-05-02", "2023-05-03"], proc.stdout[-2000:]
