"""Game conditions and officials (plugins/mlb_pipeline/kinds/game_conditions.py): every
recorded live feed parses into one conditions row and one row an umpire, each value read
back from the JSON itself; the simulated feeds carry the same, plausibly; and each of the
kind's quality rules fails on a bad value of a real recorded day."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import RECORDED_FEEDS, load_fixture, needs_fixtures

from mlb_pipeline import quality
from mlb_pipeline.kinds import game_conditions
from mlb_pipeline.kinds.game_feed import parse_game
from mlb_pipeline.warehouse import DuckDBWarehouse

ALL_RECORDED = (*RECORDED_FEEDS, "715720.TRIMMED")  # the trimmed World Series game has six umpires


@needs_fixtures
@pytest.mark.parametrize("feed_name", ALL_RECORDED)
def test_every_recorded_feed_parses_its_conditions_and_officials(feed_name):
    feed = load_fixture(f"feed_live/{feed_name}.json")
    data, officials = feed["gameData"], feed["liveData"]["boxscore"]["officials"]
    rows = game_conditions.parse(feed)
    assert parse_game(feed)["game_conditions"] == rows["game_conditions"]  # the game's parse carries them
    [row] = rows["game_conditions"]
    speed, direction = data["weather"]["wind"].split(" mph, ")
    assert row == {
        "game_pk": feed["gamePk"],
        "official_date": data["datetime"]["officialDate"],
        "venue_id": data["venue"]["id"],
        "venue_name": data["venue"]["name"],
        "venue_capacity": data["venue"]["fieldInfo"]["capacity"],
        "roof_type": data["venue"]["fieldInfo"]["roofType"],
        "day_night": data["datetime"]["dayNight"],
        "weather_condition": data["weather"]["condition"],
        "temperature": int(data["weather"]["temp"]),
        "wind": data["weather"]["wind"],
        "wind_speed": int(speed),
        "wind_direction": direction,
        "attendance": data["gameInfo"]["attendance"],
        "game_duration_minutes": data["gameInfo"]["gameDurationMinutes"],
    }
    assert all(v is not None for v in row.values()), row  # every recorded feed has every field
    assert [(o["position"], o["umpire_id"], o["umpire_name"]) for o in rows["officials"]] == [
        (o["officialType"], o["official"]["id"], o["official"]["fullName"]) for o in officials
    ]
    positions = [o["position"] for o in rows["officials"]]
    assert positions[:4] == ["Home Plate", "First Base", "Second Base", "Third Base"]
    assert len(positions) == (6 if data["game"]["type"] == "W" else 4)


def test_wind_text_splits_into_speed_and_direction():
    assert game_conditions.wind_parts("8 mph, Out To CF") == (8, "Out To CF")
    assert game_conditions.wind_parts("13 mph, In From LF.") == (13, "In From LF")
    assert game_conditions.wind_parts("0 mph, Calm") == (0, "Calm")
    assert game_conditions.wind_parts("") == (None, None)
    assert game_conditions.wind_parts(None) == (None, None)
    assert game_conditions.wind_parts("breezy") == (None, None)


def test_a_feed_not_yet_played_gives_a_conditions_row_of_nulls_and_no_umpires():
    """A scheduled game's feed has its venue but no weather, crowd or umpires yet."""
    from mlb_replay.simulate import League

    league = League(11, [2024], today=dt.date(2024, 6, 11))
    pk = next(pk for pk, g in sorted(league.games.items()) if not league.is_final(g) and g.game_type == "R")
    feed = league.feed_doc(pk)
    rows = game_conditions.parse(feed)
    [row] = rows["game_conditions"]
    assert row["venue_id"] == feed["gameData"]["venue"]["id"] and row["day_night"] in ("day", "night")
    assert row["temperature"] is row["attendance"] is row["game_duration_minutes"] is None
    assert rows["officials"] == []


def test_simulated_feeds_carry_plausible_conditions_deterministically(league):
    from mlb_replay.simulate import League

    final = [pk for pk, g in sorted(league.games.items()) if league.is_final(g) and g.game_type == "R"][::150][:12]
    again = League(league.seed, league.seasons, league.today)
    for pk in final:
        rows = parse_game(league.feed_doc(pk))
        [row] = rows["game_conditions"]
        assert rows["game_conditions"] == parse_game(again.feed_doc(pk))["game_conditions"]  # from the seed
        assert None not in row.values(), row
        assert 0 < row["attendance"] <= row["venue_capacity"]
        assert 35 <= row["temperature"] <= 105 and 90 <= row["game_duration_minutes"] <= 300
        if row["roof_type"] == "Dome":
            assert row["weather_condition"] == "Dome" and row["wind_speed"] == 0
        assert [o["position"] for o in rows["officials"]] == ["Home Plate", "First Base", "Second Base", "Third Base"]
        assert len({o["umpire_id"] for o in rows["officials"]}) == 4


# ------------------------------------------------------------------------------------
# Quality rules, each on a bad value of the recorded 2024-07-01 (game 744914)
# ------------------------------------------------------------------------------------
DAY = "2024-07-01"


@pytest.fixture(scope="module")
def grader():
    return quality.Grader()


@pytest.fixture
def recorded_day(embedded):
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    wh.load_game(744914, parse_game(load_fixture("feed_live/744914.json")), source="statsapi")
    columns = {
        t.split(".", 1)[1]: [c for c in s["columns"] if c not in ("ingested_at", "source", "content_hash")]
        for t, s in wh.tables.items()
        if t.startswith("raw.")
    }
    return wh, columns


def _grade(grader, frames, columns, table):
    return {g.table: g for g in grader.grade_day(frames, columns, "regular_season", DAY)}[table]


@needs_fixtures
@pytest.mark.parametrize(
    "mutation, table, failed_column",
    [
        ("temperature of 140 degrees", "game_conditions", "temperature"),
        ("attendance above capacity", "game_conditions", "attendance_share"),
        ("an umpire missing", "officials", "umpires"),
    ],
)
def test_each_conditions_rule_fails_on_a_bad_value(recorded_day, grader, mutation, table, failed_column):
    wh, columns = recorded_day
    frames = quality.read_batch(wh, DAY)
    assert len(frames["game_conditions"]) == 1 and len(frames["officials"]) == 4  # the graded batch has them
    # (as recorded it grades A: test_quality.py::test_every_real_recorded_game_grades_a)
    if mutation == "temperature of 140 degrees":
        frames["game_conditions"].loc[0, "temperature"] = 140
    elif mutation == "attendance above capacity":
        capacity = frames["game_conditions"].loc[0, "venue_capacity"]
        frames["game_conditions"].loc[0, "attendance"] = int(capacity * 1.2)
    else:
        frames["officials"] = frames["officials"].iloc[1:]
    grade = _grade(grader, frames, columns, table)
    assert grade.grade != "A"
    [failure] = grade.failed
    assert (failure["expectation"], failure["kwargs"]["column"]) == ("ExpectColumnValuesToBeBetween", failed_column)
    assert failure["games"] == [744914]
