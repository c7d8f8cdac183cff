"""The report page's parts without Airflow: on an empty warehouse (the first morning of a
deployment) every section says it has nothing yet rather than failing; date ranges; and the
Airflow UI's app that serves the lake's pages, which serves the pages and nothing else. The
page of a simulated month, opened in chromium, is in test_features.py; the app inside a real
Airflow in test_airflow_live.py."""

from __future__ import annotations

import datetime as dt

import pytest

from mlb_pipeline import report
from mlb_pipeline.seasons import fallback_calendar

pytestmark = pytest.mark.unit


def test_date_ranges_join_consecutive_dates():
    dates = ["2024-05-03", "2024-05-01", "2024-05-02", "2024-05-07", "2024-05-09", "2024-05-08", "2024-05-02"]
    assert report.date_ranges(dates) == ["2024-05-01 .. 2024-05-03", "2024-05-07 .. 2024-05-09"]
    assert report.date_ranges(["2024-06-01"]) == ["2024-06-01"] and report.date_ranges([]) == []


def test_an_empty_warehouse_gets_a_page_that_says_so(embedded):
    from mlb_pipeline.warehouse import DuckDBWarehouse

    wh = DuckDBWarehouse()
    wh.ensure_schema()
    data = report.gather(wh, fallback_calendar(2024), dt.date(2024, 4, 2))
    assert [d["state"] for d in data["completeness"]] == ["not collected"] * 8  # 26 March .. 2 April
    assert data["scores"] == data["models"] == data["grades"] == [] and data["score_summary"] is None
    page = report.render_html(data)
    for says in (
        "8 date(s) to collect: 2024-03-26 .. 2024-04-02.",
        "Nothing graded yet.",
        "No predicted game has been played yet.",
        "No model trained yet.",
        "No predictions yet.",
    ):
        assert says in page, says
    assert page.count('class="marks"') == 1  # only the calendar's chart has anything to draw
    # Before opening day: no dates yet, and a page all the same.
    assert report.gather(wh, fallback_calendar(2024), dt.date(2024, 3, 1))["completeness"] == []
    assert "The season has not started." in report.render_html(
        report.gather(wh, fallback_calendar(2024), dt.date(2024, 3, 1))
    )


def test_the_ui_app_serves_the_lakes_pages_and_nothing_else(embedded):
    from fastapi.testclient import TestClient

    from mlb_pipeline.reports_app import create_app

    lake = embedded / "lake"
    (lake / "reports").mkdir(parents=True)
    (lake / "reports" / "index.html").write_text("<h1>the report</h1>")
    (lake / "audit" / "2024-05").mkdir(parents=True)
    (lake / "audit" / "2024-05" / "report.json").write_text('{"status": "passed"}')
    (lake / "models").mkdir()
    (lake / "models" / "secret.html").write_text("not a report")
    client = TestClient(create_app(), root_path="/mlb-reports")

    page = client.get("/reports/index.html")
    assert page.status_code == 200 and page.text == "<h1>the report</h1>"
    assert page.headers["content-type"].startswith("text/html")
    assert client.get("/audit/2024-05/report.json").json() == {"status": "passed"}
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 307 and home.headers["location"] == "/mlb-reports/reports/index.html"
    for path in ("/models/secret.html", "/reports/../models/secret.html", "/reports/missing.html", "/reports/x.py"):
        assert client.get(path).status_code == 404, path
