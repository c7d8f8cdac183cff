"""The GX Data Docs in the lake: every grading stays (a retry replaces its own), validations
are named by their game date and Airflow run id, and the pages fetch nothing from a CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from browser import needs_chromium, rendered_dom

from mlb_pipeline import quality

DAILY = "scheduled__2024-06-02T10:00:00+00:00"
MANUAL = "manual__2024-06-03T08:15:00+00:00"
SPEC = ("completeness", "ExpectColumnValuesToNotBeNull", {"column": "game_pk"})
# A reference that makes the browser fetch something: a script, a stylesheet, an image, a CSS url().
FETCHED = re.compile(r"<(?:script|img)[^>]*\ssrc=\"https?://|<link[^>]*\shref=\"https?://|url\(['\"]?https?://")


def _grade(docs: str, run_id: str, day: str, game_pks: list) -> str:
    grader = quality.Grader(docs, run_id)
    grader._validate("raw.games.v1", pd.DataFrame({"game_pk": game_pks}), [SPEC], day)
    return grader.build_docs()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """Three gradings in the lake: June 1st by the daily run, June 2nd by a manual run, and
    June 2nd again by that manual run (its task retried, now passing)."""
    folder = tmp_path_factory.mktemp("lake") / "quality" / "data_docs"
    docs = folder.as_uri()
    assert _grade(docs, DAILY, "2024-06-01", [1, 2]) == docs + "/index.html"
    _grade(docs, MANUAL, "2024-06-02", [3, None])
    _grade(docs, MANUAL, "2024-06-02", [3, 4])
    return folder


@pytest.mark.unit
def test_every_grading_stays_and_a_retry_replaces_its_own(site):
    pages = sorted(p.relative_to(site / "validations").parts[:4] for p in (site / "validations").rglob("*.html"))
    assert pages == [
        ("raw", "games", "v1", f"2024-06-01 {DAILY}"),
        ("raw", "games", "v1", f"2024-06-02 {MANUAL}"),
    ]
    index = (site / "index.html").read_text()
    assert index.count(f"2024-06-01 {DAILY}") == 1 and index.count(f"2024-06-02 {MANUAL}") == 1
    assert "__none__" not in index
    assert sorted(p.name for p in (site / "runs").iterdir()) == [
        "manual__2024-06-03T08_15_00+00_00 2024-06-02.json",
        "scheduled__2024-06-02T10_00_00+00_00 2024-06-01.json",
    ]
    assert (site / "index-2024-06.html").read_text().count("2024-06-0") >= 2


@pytest.mark.unit
def test_a_new_month_gets_its_own_index_page(tmp_path):
    docs = str(tmp_path / "docs")
    _grade(docs, DAILY, "2024-06-30", [1])
    _grade(docs, DAILY, "2024-07-01", [1])
    index = (tmp_path / "docs" / "index.html").read_text()
    assert "2024-07-01" in index and "2024-06-30" not in index  # the latest month's validations
    assert 'href="index-2024-06.html"' in index and 'href="index-2024-07.html"' in index
    assert "2024-06-30" in (tmp_path / "docs" / "index-2024-06.html").read_text()


@pytest.mark.unit
def test_the_pages_fetch_nothing_from_a_cdn(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 5  # index, its month, two validations, the suite
    for page in pages:
        assert not FETCHED.findall(page.read_text()), page
    static = site / "static"
    assert (static / "mlb" / "offline.css").exists() and (static / "images" / "logo-long.png").exists()


@needs_chromium
def test_the_pages_read_offline_in_a_browser(site, tmp_path):
    """The index's table is drawn in the page (GX's needed bootstrap-table from a CDN), and a
    validation page names its table, game date and run."""
    index = rendered_dom((site / "index.html").as_uri(), tmp_path)
    rows = re.findall(r"<tr>.*?</tr>", index, flags=re.S)
    assert sum(f"2024-06-01 {DAILY}" in r for r in rows) == 1 and sum(f"2024-06-02 {MANUAL}" in r for r in rows) == 1
    [page] = (site / "validations").rglob(f"2024-06-01 {DAILY}/*/*.html")
    dom = rendered_dom(page.as_uri(), tmp_path)
    assert "raw.games.v1" in dom and f"2024-06-01 {DAILY}" in dom
    assert 'class="fas fa-check-circle text-success"' in dom  # drawn by static/mlb/offline.css
