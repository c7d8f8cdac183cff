"""URLs come from MLB-StatsAPI's endpoint table, under our base URL."""

from __future__ import annotations

import logging

import pytest

from mlb_pipeline.operators import source_client
from mlb_pipeline.source import build_url

pytestmark = pytest.mark.unit  # the whole module is of the unit tier (make unit)


def test_urls_use_our_base_url():
    base = "http://127.0.0.1:9"
    assert build_url(base, "game", {"gamePk": 744914}) == "http://127.0.0.1:9/api/v1.1/game/744914/feed/live"
    assert (
        build_url(base, "schedule", {"sportId": 1, "date": "2024-07-01"})
        == "http://127.0.0.1:9/api/v1/schedule?date=2024-07-01&sportId=1"
    )
    assert build_url(base, "game_boxscore", {"gamePk": 1}) == "http://127.0.0.1:9/api/v1/game/1/boxscore"
    assert (
        build_url(base, "season", {"seasonId": 2024, "sportId": 1})
        == "http://127.0.0.1:9/api/v1/seasons/2024?sportId=1"
    )
    assert (
        build_url(base + "/", "stats", {"stats": "season", "group": "hitting", "playerPool": "ALL", "limit": 5000})
        == "http://127.0.0.1:9/api/v1/stats?group=hitting&limit=5000&playerPool=ALL&stats=season"
    )


def test_mistakes_are_errors_not_silently_dropped():
    with pytest.raises(ValueError, match="unknown parameter 'playerpool'"):
        build_url("http://x", "stats", {"stats": "season", "group": "hitting", "playerpool": "ALL"})
    with pytest.raises(ValueError, match="needs one of"):
        build_url("http://x", "schedule", {"date": "2024-07-01"})
    with pytest.raises(ValueError, match="unknown MLB Stats API endpoint"):
        build_url("http://x", "nope", {})


def test_connection_extras_that_tune_nothing_are_named_never_shown(monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW_CONN_MLB_STATSAPI", "http://127.0.0.1:9?api_key=s3cr3t-value&concurrency=8")
    with caplog.at_level(logging.WARNING):
        client = source_client("source")
    assert client.settings.concurrency == 8 and client.settings.base_url == "http://127.0.0.1:9"
    [warning] = [r.getMessage() for r in caplog.records if "not client settings" in r.getMessage()]
    assert "'api_key'" in warning and "concurrency" not in warning.split("ignored")[0]
    assert "s3cr3t" not in caplog.text
