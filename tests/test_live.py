"""A followed game's versions (mlb_pipeline.live), without Airflow: stored once, rebuilt from
patches after a restart, checked against full feeds, bad answers quarantined."""

from __future__ import annotations

import copy
import datetime as dt
import time

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


# ------------------------------------------------------------------------------------
# The trigger against the double playing a day live (no Airflow: the task's loop is below)
# ------------------------------------------------------------------------------------
SPEED = 600  # ten minutes of game time a second: the test day in about 40 s
DAY = dt.date(2024, 7, 2)  # seed 7: 2401818 held up by rain 49 min, 2401831 rained out
GAMES = [2401818, 2401819, 2401831, 2401823]


crashes: list[dict] = []


async def follow(
    game: dict, server_url: str, lake: str, crash_after: float | None = None, speed: float = SPEED
) -> tuple[list, dict]:
    """What FollowGameOperator does with its trigger, as Airflow would run it: defer, take the
    event's rows, defer again from where it was. ``crash_after``: the first trigger is killed
    after this many seconds and started again from its serialised arguments (a triggerer
    restart), as the triggerer would."""
    import asyncio

    from mlb_pipeline.live import GameFeedTrigger
    from mlb_pipeline.settings import load_config

    seasons = load_config("seasons")
    base = {
        "game": game,
        "base_url": server_url,
        "lake_url": lake,
        "live": load_config("pipeline")["live"] | {"min_deferral_s": 0},  # no scheduler to race here
        "final_states": seasons["final_coded_states"],
        "postponed_states": seasons["postponed_coded_states"],
        "clock_speed": speed,
    }
    state: dict = {}
    rows: list[dict] = []
    crash_at = None if crash_after is None else time.time() + crash_after
    while True:
        trigger = GameFeedTrigger(**base, **state)
        classpath, kwargs = trigger.serialize()
        run = trigger.run().__anext__()
        if crash_at is not None and crash_at < time.time() + 60:
            try:
                event = await asyncio.wait_for(run, max(0.0, crash_at - time.time()))
            except TimeoutError:  # killed mid-game: a new triggerer starts it from its arguments
                crash_at = None
                crashes.append(kwargs)
                assert classpath == "mlb_pipeline.live.GameFeedTrigger"
                event = await GameFeedTrigger(**kwargs).run().__anext__()
        else:
            event = await run
        event = event.payload
        rows += event["rows"]
        assert event["status"] != "error", event["error"]
        if event["status"] in ("final", "cancelled"):
            break
        state = {k: event[k] for k in ("checked_through", "next_poll_at", "stats")} | {
            "reported_through": event["timecode"]
        }
    if event["status"] == "final":  # confirm_final: one poll, `final` seconds later
        after = time.time() + base["live"]["poll_interval_s"]["final"] / speed
        confirm = GameFeedTrigger(**base, confirm=True, reported_through=event["timecode"], next_poll_at=after)
        confirmed = (await confirm.run().__anext__()).payload
        assert confirmed["rows"] == []  # nothing changed after Final
    return rows, event


def test_the_trigger_follows_a_live_day_state_by_state_and_keeps_every_version(tmp_path):
    import asyncio

    from mlb_pipeline.settings import load_config
    from mlb_replay.live import LiveClock, LiveDay
    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    league = League(7, [2024])
    day = LiveDay(league, DAY, None, GAMES)
    lake = (tmp_path / "lake").as_uri()
    with ReplayServer(SimulatedBackend(league, day)) as server:
        day.clock = LiveClock(SPEED, day.first_start - dt.timedelta(minutes=35))

        async def whole_day():
            games = [{"game_pk": pk, "official_date": DAY.isoformat(), "phase": "regular_season"} for pk in GAMES]
            crash = {2401818: 8.0}  # the rain-delayed game's trigger dies mid-game
            return await asyncio.gather(*(follow(g, server.url, lake, crash.get(g["game_pk"])) for g in games))

        results = dict(zip(GAMES, asyncio.run(whole_day())))
        assert len(crashes) == 1
        described = {g["gamePk"]: g for g in day.describe()["games"]}
        log = server.requests(r"/game/\d+/feed/live")

    intervals = load_config("pipeline")["live"]["poll_interval_s"]
    for pk, (rows, event) in results.items():
        timeline = described[pk]["timeline"]
        stored = sorted(p.name for p in (tmp_path / "lake" / "live" / "games" / str(pk)).iterdir())
        stored_codes = [n.split("-")[0] for n in stored]
        codes = [v["timecode"] for v in timeline]
        # every version from the first one seen is stored, once, whichever way it came
        assert stored_codes == codes[codes.index(stored_codes[0]) :], pk
        assert [r["timecode"] for r in rows] == stored_codes
        seen = [
            s for i, s in enumerate(r["detailed_state"] for r in rows) if i == 0 or s != rows[i - 1]["detailed_state"]
        ]
        if pk == 2401831:
            assert event["status"] == "cancelled" and seen == ["Postponed"] or seen[-1] == "Postponed"
            continue
        expected = ["Pre-Game", "Warmup", "In Progress", "Game Over", "Final"]
        if pk == 2401818:
            expected[3:3] = ["Delayed: Rain", "In Progress"]
            states = [v["state"] for v in timeline]
            died = codes.index(crashes[0]["reported_through"])  # its trigger died mid-game, and lost nothing
            assert states.index("In Progress") <= died < states.index("Game Over")
        if seen[0] == "Scheduled":  # a later game: followed from before its pre-game
            expected.insert(0, "Scheduled")
        assert seen == expected, (pk, seen)
        assert (
            event["stats"]["mismatches"] == 0 and len(stored) // 20 <= event["stats"]["checks"] <= len(stored) // 20 + 2
        )
        # the feed rebuilt from the stored versions is the final feed
        rebuilt = FollowedGame(RawZone(lake), pk, DAY.isoformat(), FINAL, POSTPONED)
        rebuilt.restore(None)
        assert rebuilt.doc == league.feed_doc(pk)

        # polls follow the state (the full-feed checks ride on a poll), none after Final but the confirming one
        polls = [
            r for r in log if f"/game/{pk}/" in r["target"] and "timecode=" not in r["target"].split("diffPatch")[0]
        ]
        real = [(v["real_time"], v["state"]) for v in timeline]

        def state_at(t: float, real=real) -> str:
            now = [s for at, s in real if at <= t]
            return now[-1] if now else "Scheduled"

        key = {"Scheduled": "pre_game", "Pre-Game": "pre_game", "Warmup": "warm_up", "In Progress": "in_progress"}
        key |= {"Delayed: Rain": "delayed", "Game Over": "in_progress", "Final": "final"}

        def shortest(t: float, real=real, key=key, state_at=state_at) -> float:
            """The shortest interval of the states the game was in while a poll logged at ``t`` was
            answered: the log says when the answer went out, the version it carried may be older."""
            seen = {state_at(t), state_at(t - 0.5)} | {s for at, s in real if t - 0.5 < at <= t}
            return min(intervals[key[s]] for s in seen) / SPEED

        for a, b in zip(polls, polls[1:]):
            assert b["time"] - a["time"] >= 0.5 * shortest(a["time"]), (pk, a, b)
        final_at = described[pk]["final_real_time"]
        after = [r for r in polls if r["time"] > final_at]
        assert len(after) == 2, after  # the poll that found it Final, and the confirming one
        assert after[1]["time"] - after[0]["time"] >= 0.9 * intervals["final"] / SPEED
