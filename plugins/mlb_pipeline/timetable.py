"""The game-day timetable: one run per game day, named by that day.

A run collects game day D. Its logical date is D at 00:00 UTC and its data interval is
the UTC day [D, D+1); it becomes due the next morning, at ``run_at`` in ``timezone``
(02:00 America/New_York), when D's games are final. So:

* the scheduled run at 02:00 ET on D+1 collects D;
* ``airflow dags test mlb_daily_collection 2024-07-01`` collects 2024-07-01;
* ``airflow backfill create --from-date 2024-07-01 --to-date 2024-07-03`` creates exactly
  three runs, 07-01, 07-02 and 07-03: backfill takes the runs whose logical date lies in
  the (inclusive) range, and midnight logical dates line up with the dates typed.

``CronDataIntervalTimetable("0 2 * * *")`` gets the first two right but not the third: its
logical dates fall at 02:00 ET (06:00 UTC), so a backfill ending "2024-07-03" stops at
07-02. Registered with Airflow by ``plugins/mlb_pipeline_plugin.py``.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.timetables.base import DagRunInfo, DataInterval, Timetable


class GameDayTimetable(Timetable):
    def __init__(self, run_at: str = "02:00", timezone: str = "America/New_York"):
        hour, minute = (int(x) for x in run_at.split(":"))
        self.run_at, self.timezone = run_at, timezone
        self._run_time = dt.time(hour, minute)
        self.description = (
            f"One run per game day, due at {run_at} {timezone} the morning after; "
            f"logical date = the game day (00:00 UTC)"
        )

    @property
    def summary(self) -> str:
        return f"game days, at {self.run_at} ({self.timezone}) the next morning"

    # -- the two rules --------------------------------------------------------------
    @staticmethod
    def interval(day: dt.date) -> DataInterval:
        start = pendulum.datetime(day.year, day.month, day.day, tz="UTC")
        return DataInterval(start=start, end=start.add(days=1))

    def due(self, day: dt.date) -> pendulum.DateTime:
        nxt = day + dt.timedelta(days=1)
        local = pendulum.datetime(
            nxt.year, nxt.month, nxt.day, self._run_time.hour, self._run_time.minute, tz=self.timezone
        )
        return local.in_timezone("UTC")

    def latest_due_day(self, now: dt.datetime) -> dt.date:
        """The most recent game day whose run time has passed at ``now``."""
        local = pendulum.instance(now).in_timezone(self.timezone)
        back = 1 if local.time() >= self._run_time else 2
        return local.date() - dt.timedelta(days=back)

    # -- Timetable API --------------------------------------------------------------
    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        return self.interval(pendulum.instance(run_after).in_timezone("UTC").date())

    def next_dagrun_info(self, *, last_automated_data_interval: DataInterval | None, restriction) -> DagRunInfo | None:
        if last_automated_data_interval is not None:
            day = pendulum.instance(last_automated_data_interval.start).in_timezone("UTC").date() + dt.timedelta(days=1)
        else:
            if restriction.earliest is None:
                return None
            earliest = pendulum.instance(restriction.earliest).in_timezone("UTC")
            day = earliest.date() if earliest.time() == dt.time(0) else earliest.date() + dt.timedelta(days=1)
            if not restriction.catchup:
                day = max(day, self.latest_due_day(pendulum.now("UTC")))
        interval = self.interval(day)
        if restriction.latest is not None and interval.start > restriction.latest:
            return None
        return DagRunInfo(run_after=self.due(day), data_interval=interval)

    def serialize(self) -> dict:
        return {"run_at": self.run_at, "timezone": self.timezone}

    @classmethod
    def deserialize(cls, data: dict) -> GameDayTimetable:
        return cls(**data)
