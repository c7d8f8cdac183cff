"""Errors that cannot heal by waiting fail the task at once, with the reason (issue 18,
item 9): a corrupt warehouse file, a schedule the API refuses or keeps failing; a transient
error is raised as it is, for Airflow's retries. Each through a real operator's ``execute``."""

from __future__ import annotations

import time

import pytest
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from mlb_pipeline import operators
from mlb_pipeline.source import SourceError
from mlb_pipeline.warehouse import DuckDBWarehouse

FAST = "max_retries=2&backoff_factor_s=0.01&backoff_max_s=0.05&connect_timeout_s=1"


def plan(day: str = "2024-06-03"):
    return operators.PlanGameDayOperator(task_id="plan_game_day").execute({"params": {"game_date": day}})


@pytest.mark.unit
def test_every_operator_of_ours_is_wrapped():
    ours = [
        op
        for op in vars(operators).values()
        if isinstance(op, type) and issubclass(op, BaseOperator) and op.__module__ == operators.__name__
    ]
    assert len(ours) > 15
    for op in ours:
        assert getattr(op.execute, "fails_permanent_errors_at_once", False), op.__name__


@pytest.mark.unit
@pytest.mark.parametrize("damage", ["not_duckdb", "truncated"])
def test_a_corrupt_warehouse_fails_at_once_with_the_reason(damage, embedded, simulated, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MLB_STATSAPI", f"{simulated.url}?{FAST}")
    path = embedded / "warehouse.duckdb"
    if damage == "not_duckdb":
        path.write_bytes(b"this is not a database\n" * 100)
        said = "not a valid DuckDB database file"
    else:
        DuckDBWarehouse(path).ensure_schema()
        path.write_bytes(path.read_bytes()[:5000])
        said = "Could not read enough bytes"
    with pytest.raises(AirflowFailException, match="the warehouse file cannot be read") as failed:
        plan()
    assert said in str(failed.value) and "retrying will not help" in str(failed.value)


@pytest.mark.unit
@pytest.mark.parametrize("status", [500, 400])
def test_a_schedule_the_api_refuses_or_keeps_failing_fails_at_once(status, embedded, simulated, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MLB_STATSAPI", f"{simulated.url}?{FAST}")
    simulated.add_fault(r"/schedule", status=status)
    started = time.monotonic()
    with pytest.raises(AirflowFailException, match=f"HTTP {status}") as failed:
        plan()
    assert time.monotonic() - started < 30
    assert isinstance(failed.value.__cause__, SourceError) and "/schedule" in str(failed.value)


@pytest.mark.unit
def test_a_source_that_cannot_be_reached_is_left_to_the_retries(embedded, monkeypatch):
    from conftest import free_port

    monkeypatch.setenv("AIRFLOW_CONN_MLB_STATSAPI", f"http://127.0.0.1:{free_port()}?{FAST}")
    with pytest.raises(SourceError) as failed:  # no status: a blip may pass; not AirflowFailException
        plan()
    assert not isinstance(failed.value, AirflowFailException) and failed.value.status is None
