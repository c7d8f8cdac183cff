"""A followed game's versions (mlb_pipeline.live), without Airflow: stored once, rebuilt from
patches after a restart, checked against full feeds, bad answers quarantined."""

from __future__ import annotations

import copy
import datetime as dt

import jsonpatch
import pytest
from conftest import load_fixture, needs_fixtures

from mlb_pipeline.landing import RawZone
from mlb_pipeline.live import FollowedGame, NotAFeed, PatchFailed, feed_sha, poll_state

FINAL, POSTPONED = {"F", "O"}, {"D"}
NOW = dt.datetime(2024, 7, 1, 23, 0, tzinfo=dt.UTC)


def versions_of(final: dict) -> list[dict]:
    """A real final feed (744914) as it looked before: pre-game, warm-up, three points of the game,
    a rain delay, game over, final; each with its own timecode."""
    out = []
    plays = final["liveData"]["plays"]["allPlays"]
    steps = [
        ("Pre-Game", "P", "P", "Preview", 0),
        ("Warmup", "P", "PW", "Live", 0),
        ("In Progress", "I", "I", "Live", 10),
        ("In Progress", "I", "I", "Live", 30),
        ("Delayed: Rain", "I", "IR", "Live", 30),
        ("In Progress", "I", "I", "Live", 50),
        ("Game Over", "O", "O", "Final", len(plays)),
        ("Final", "F", "F", "Final", len(plays)),
    ]
    for n, (detailed, coded, code, abstract, done) in enumerate(steps):
        doc = copy.deepcopy(final)
        doc["gameData"]["status"].update(
            detailedState=detailed, codedGameState=coded, statusCode=code, abstractGameState=abstract
        )
        doc["liveData"]["plays"]["allPlays"] = plays[:done]
        doc["metaData"]["timeStamp"] = f"20240701_23{n:02d}00"
        out.append(doc)
    return out


def steps_between(docs: list[dict]) -> list[dict]:
    return [{"diff": jsonpatch.make_patch(a, b).patch} for a, b in zip(docs, docs[1:])]


def follower(lake) -> FollowedGame:
    return FollowedGame(RawZone(lake.as_uri()), 744914, "2024-07-01", FINAL, POSTPONED)


@needs_fixtures
def test_every_version_is_stored_once_and_rebuilt_after_a_restart(tmp_path):
    docs = versions_of(load_fixture("feed_live/744914.json"))
    game = follower(tmp_path)
    assert game.take_full(docs[0], NOW) and not game.take_full(docs[0], NOW)  # an unchanged poll writes nothing
    steps = steps_between(docs)
    assert game.take_steps(steps[:3], NOW) == 3
    assert game.take_steps([], NOW) == 0
    assert game.doc == docs[3] and game.sha == feed_sha(docs[3])
    states = [r["poll_state"] for r in game.take_rows()]
    assert states == ["pre_game", "warm_up", "in_progress", "in_progress"]

    # the triggerer dies; a new one rebuilds the game from what is stored, then goes on
    again = follower(tmp_path)
    again.restore(reported_through=docs[1]["metaData"]["timeStamp"])
    assert again.doc == docs[3] and again.timecode == "20240701_230300"
    assert [r["timecode"] for r in again.take_rows()] == ["20240701_230200", "20240701_230300"]
    assert again.take_steps(steps[3:], NOW) == 4
    assert again.doc == docs[-1] and again.state == "final"
    rows = again.take_rows()
    assert [r["poll_state"] for r in rows] == [
        "delayed",
        "in_progress",
        "in_progress",
        "final",
    ]  # Game Over is not Final
    last = rows[-1]
    assert (last["inning"], last["away_score"], last["home_score"]) == (9, 3, 1)
    assert last["last_play"] and last["raw_object"].endswith(".patch.json")

    stored = sorted(p.name for p in (tmp_path / "live" / "games" / "744914").iterdir())
    assert len(stored) == len(docs) == len(set(stored))
    assert stored[0].endswith(f"-{feed_sha(docs[0])}.json") and all(n.endswith(".patch.json") for n in stored[1:])
    # each patch step is kept as received; the versions' full feeds are a few times larger
    assert sum((tmp_path / "live" / "games" / "744914" / n).stat().st_size for n in stored[1:]) < 4 * len(
        (tmp_path / "live" / "games" / "744914" / stored[0]).read_bytes()
    )


@needs_fixtures
def test_a_check_against_the_full_feed_counts_and_repairs_a_difference(tmp_path):
    docs = versions_of(load_fixture("feed_live/744914.json"))
    game = follower(tmp_path)
    game.take_full(docs[0], NOW)
    game.take_steps(steps_between(docs[:3]), NOW)
    assert game.versions == 2 and game.check(copy.deepcopy(docs[2]), NOW) and game.versions == 0
    wrong = copy.deepcopy(docs[2])
    wrong["liveData"]["linescore"]["teams"]["home"]["runs"] = 99
    assert not game.check(wrong, NOW)  # the full feed wins, and is stored as that version
    assert game.doc == wrong and [r["home_score"] for r in game.take_rows()][-1] == 99
    restored = follower(tmp_path)
    restored.restore(None)
    assert restored.doc == wrong  # at one timecode the full feed comes after the patch it corrects


@needs_fixtures
def test_a_step_that_does_not_apply_and_answers_that_are_not_feeds(tmp_path):
    docs = versions_of(load_fixture("feed_live/744914.json"))
    game = follower(tmp_path)
    game.take_full(docs[0], NOW)
    real = load_fixture("feed_live/533993.diffPatch_startTimecode_20180308_231854.json")  # another game's steps
    with pytest.raises(PatchFailed, match="does not apply to 20240701_230000"):
        game.take_steps(real, NOW)
    assert game.doc == docs[0]  # nothing half-applied
    for bad in ({"copyright": "x"}, []):
        with pytest.raises(NotAFeed):
            game.take_full(bad, NOW)
    with pytest.raises(NotAFeed):
        game.take_steps([{"op": "replace"}], NOW)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (
            {"abstractGameState": "Preview", "codedGameState": "S", "statusCode": "S", "detailedState": "Scheduled"},
            "pre_game",
        ),
        (
            {"abstractGameState": "Preview", "codedGameState": "P", "statusCode": "P", "detailedState": "Pre-Game"},
            "pre_game",
        ),
        (
            {
                "abstractGameState": "Preview",
                "codedGameState": "P",
                "statusCode": "PR",
                "detailedState": "Delayed Start: Rain",
            },
            "delayed",
        ),
        (
            {"abstractGameState": "Live", "codedGameState": "P", "statusCode": "PW", "detailedState": "Warmup"},
            "warm_up",
        ),
        (
            {"abstractGameState": "Live", "codedGameState": "I", "statusCode": "I", "detailedState": "In Progress"},
            "in_progress",
        ),
        (
            {"abstractGameState": "Live", "codedGameState": "I", "statusCode": "IR", "detailedState": "Delayed: Rain"},
            "delayed",
        ),
        (
            {"abstractGameState": "Final", "codedGameState": "O", "statusCode": "O", "detailedState": "Game Over"},
            "in_progress",
        ),
        ({"abstractGameState": "Final", "codedGameState": "F", "statusCode": "F", "detailedState": "Final"}, "final"),
        (
            {"abstractGameState": "Final", "codedGameState": "D", "statusCode": "DR", "detailedState": "Postponed"},
            "cancelled",
        ),
        (
            {
                "abstractGameState": "Final",
                "codedGameState": "U",
                "statusCode": "UR",
                "detailedState": "Suspended: Rain",
            },
            "cancelled",
        ),
    ],
)
def test_the_state_of_a_game_sets_how_often_it_is_asked(status, state):
    assert poll_state(status, FINAL, POSTPONED) == state
