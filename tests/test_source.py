"""URLs come from MLB-StatsAPI's endpoint table, under our base URL."""
from __future__ import annotations

import pytest

from mlb_pipeline.source import build_url


def test_urls_use_our_base_url():
    base = "http://127.0.0.1:9"
    assert build_url(base, "game", {"gamePk": 744914}) == "http://127.0.0.1:9/api/v1.1/game/744914/feed/live"
    assert build_url(base, "schedule", {"sportId": 1, "date": "2024-07-01"}) == \
        "http://127.0.0.1:9/api/v1/schedule?date=2024-07-01&sportId=1"
    assert build_url(base, "game_boxscore", {"gamePk": 1}) == "http://127.0.0.1:9/api/v1/game/1/boxscore"
    assert build_url(base, "season", {"seasonId": 2024, "sportId": 1}) == \
        "http://127.0.0.1:9/api/v1/seasons/2024?sportId=1"
    assert build_url(base + "/", "stats", {"stats": "season", "group": "hitting", "playerPool": "ALL",
                                           "limit": 5000}) == \
        "http://127.0.0.1:9/api/v1/stats?group=hitting&limit=5000&playerPool=ALL&stats=season"


def test_mistakes_are_errors_not_silently_dropped():
    with pytest.raises(ValueError, match="unknown parameter 'playerpool'"):
        build_url("http://x", "stats", {"stats": "season", "group": "hitting", "playerpool": "ALL"})
    with pytest.raises(ValueError, match="needs one of"):
        build_url("http://x", "schedule", {"date": "2024-07-01"})
    with pytest.raises(ValueError, match="unknown MLB Stats API endpoint"):
        build_url("http://x", "nope", {})
