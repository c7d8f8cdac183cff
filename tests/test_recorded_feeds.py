"""Every real recorded feed parses and loads; counts are checked against the JSON itself."""

from __future__ import annotations

import pytest
from conftest import RECORDED_FEEDS, load_fixture, needs_fixtures
from identities import violations

pytestmark = [needs_fixtures, pytest.mark.unit]


def expected_counts(feed: dict) -> dict:
    """Computed straight from the JSON, without our parser."""
    box = feed["liveData"]["boxscore"]["teams"]
    players = [p for side in ("home", "away") for p in box[side]["players"].values()]
    innings = feed["liveData"]["linescore"]["innings"]
    return {
        "games": 1,
        "team_lines": 2,
        "batting_lines": sum(1 for p in players if p["stats"].get("batting")),
        "pitching_lines": sum(1 for p in players if p["stats"].get("pitching")),
        "linescore_innings": sum(1 for i in innings for side in ("home", "away") if i.get(side)),
        "pitches": sum(
            1 for play in feed["liveData"]["plays"]["allPlays"] for ev in play["playEvents"] if ev.get("isPitch")
        ),
        "game_conditions": 1,
        "officials": len(feed["liveData"]["boxscore"]["officials"]),
    }


@pytest.mark.parametrize("game_pk", RECORDED_FEEDS)
def test_recorded_feed_parses_and_loads(game_pk, embedded):
    from mlb_pipeline.kinds.game_feed import parse_game
    from mlb_pipeline.warehouse import DuckDBWarehouse

    feed = load_fixture(f"feed_live/{game_pk}.json")
    assert violations(feed) == []  # the real data obeys the identities our simulator copies
    rows = parse_game(feed)
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    counts = wh.load_game(game_pk, rows, source="statsapi")
    expected = expected_counts(feed)
    assert counts == expected
    for table, n in expected.items():
        assert wh.query(f"SELECT count(*) AS n FROM raw.{table} WHERE game_pk = ?", [game_pk])[0]["n"] == n

    line = feed["liveData"]["linescore"]["teams"]
    game = wh.query("SELECT * FROM raw.games WHERE game_pk = ?", [game_pk])[0]
    assert (game["home_score"], game["away_score"]) == (line["home"]["runs"], line["away"]["runs"])
    assert game["official_date"].isoformat() == feed["gameData"]["datetime"]["officialDate"]
    assert game["home_team_id"] == feed["gameData"]["teams"]["home"]["id"]
    assert game["status_code"] == "F" and game["is_final"]
    # Team totals in the warehouse equal the box score's team totals.
    for side in ("home", "away"):
        team = feed["liveData"]["boxscore"]["teams"][side]["teamStats"]
        sums = wh.query(
            "SELECT sum(runs) r, sum(hits) h, sum(at_bats) ab FROM raw.batting_lines "
            "WHERE game_pk = ? AND team_side = ?",
            [game_pk, side],
        )[0]
        assert (sums["r"], sums["h"], sums["ab"]) == (
            team["batting"]["runs"],
            team["batting"]["hits"],
            team["batting"]["atBats"],
        )
        outs = wh.query(
            "SELECT sum(outs) o, sum(number_of_pitches) p FROM raw.pitching_lines WHERE game_pk = ? AND team_side = ?",
            [game_pk, side],
        )[0]
        assert outs["o"] == team["pitching"]["outs"]
        assert outs["p"] == team["pitching"]["numberOfPitches"]


def test_trimmed_feed_is_parsed_but_not_served(recorded):
    """The recorders trimmed 715720 to two plays: we can parse its shape, the server will not serve it."""
    from mlb_pipeline.kinds.game_feed import parse_feed
    from mlb_pipeline.source import ClientSettings, NotFound, StatsApiClient

    rows = parse_feed(load_fixture("feed_live/715720.TRIMMED.json"))
    assert rows["games"][0]["game_type"] == "W" and rows["games"][0]["phase"] == "post-season"
    client = StatsApiClient(ClientSettings(recorded.url))
    with pytest.raises(NotFound):
        client.fetch("game", gamePk=715720)
