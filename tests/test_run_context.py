"""A run's context, resolved once: the game date as a date, the run id, backfill or not, the
params. Plain values in, no Airflow run needed."""

from __future__ import annotations

import datetime as dt
import types

import pytest

from mlb_pipeline.run import RunContext

pytestmark = pytest.mark.unit  # the whole module is of the unit tier (make unit)


def test_the_game_date_is_resolved_once_as_a_date():
    logical = dt.datetime(2024, 7, 1, 6, tzinfo=dt.UTC)
    scheduled = types.SimpleNamespace(run_type="scheduled", run_after=logical)
    run = RunContext.of({"params": {}, "logical_date": logical, "run_id": "r1", "dag_run": scheduled})
    assert (run.game_date, run.day, run.run_id, run.backfill) == (dt.date(2024, 7, 1), "2024-07-01", "r1", False)

    asked = RunContext.of({"params": {"game_date": "2024-06-30", "force": True}, "logical_date": logical})
    assert (asked.game_date, asked.params["force"]) == (dt.date(2024, 6, 30), True)

    # A manual run without a logical date collects the day before it was triggered (UTC).
    manual = types.SimpleNamespace(run_type="manual", run_after=dt.datetime(2024, 7, 2, 1, tzinfo=dt.UTC))
    assert RunContext.of({"params": {}, "logical_date": None, "dag_run": manual}).game_date == dt.date(2024, 7, 1)

    # Airflow hands the run type as an enum; a backfill run says so.
    backfill = types.SimpleNamespace(run_type=types.SimpleNamespace(value="backfill"), run_after=logical)
    assert RunContext.of({"params": None, "logical_date": logical, "dag_run": backfill}).backfill is True
