"""The double plays a game day live, in accelerated time (issue #24): feeds change play by play,
``feed/live/diffPatch`` answers what changed, and the schedule, box and line scores and Savant
follow. The tests move a frozen clock (a LiveClock at a millionth of real speed) from version
to version."""

from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import urlencode

import jsonpatch
import orjson
import pytest
import urllib3
from identities import violations

from mlb_replay.__main__ import main
from mlb_replay.live import STATES, LiveClock, LiveDay, innings_so_far
from mlb_replay.server import SAVANT_DATE_QUERY, ReplayServer, SimulatedBackend
from mlb_replay.simulate import FINAL_AFTER, GAME_OVER_AFTER, League

# Seed 7, 2024-07-02: 15 games listed, one of them rained out that day (2401831, made up on
# 07-03 as the second game of a doubleheader), five held up by rain (2401818 for 49 minutes,
# after 72% of its plays). The test day plays four of them.
DATE = dt.date(2024, 7, 2)
RAINED, PLAIN, POSTPONED, LATER = 2401818, 2401819, 2401831, 2401823
GAMES = [RAINED, PLAIN, POSTPONED, LATER]
FROZEN = 1e-6  # a clock speed at which no version passes during a test

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def league():
    return League(7, [2024])


@pytest.fixture(scope="module")
def day(league):
    return LiveDay(league, DATE, None, GAMES)


@pytest.fixture(scope="module")
def server(league, day):
    with ReplayServer(SimulatedBackend(league, day)) as server:
        yield server


@pytest.fixture(scope="module")
def http():
    return urllib3.PoolManager()


def at(day: LiveDay, moment: dt.datetime) -> None:
    """Stop the day's clock at ``moment`` (game time)."""
    day.clock = LiveClock(FROZEN, moment)


def get(http, server, target: str):
    resp = http.request("GET", server.url + target)
    return resp.status, (
        orjson.loads(resp.data) if resp.status == 200 and not target.startswith("/statcast") else resp.data
    )


def states(day: LiveDay, pk: int) -> list[str]:
    """The game's states in order, each once a run."""
    out = []
    for v in day.timeline(pk):
        if not out or out[-1] != v.state:
            out.append(v.state)
    return out


# ------------------------------------------------------------------------ the clock ----
def test_the_clock_runs_speed_times_as_fast_as_real_time():
    start = dt.datetime(2024, 7, 2, 22, 30, tzinfo=dt.UTC)
    clock = LiveClock(600, start, real_start=time.time() - 10)  # 10 real seconds ago
    assert abs((clock.now() - start).total_seconds() - 6000) < 600 * 0.5  # 100 game minutes, give or take
    assert clock.real_time(start + dt.timedelta(minutes=10)) == pytest.approx(clock.real_start + 1)
    assert clock.now().tzinfo is not None
    for speed in (0, -1):
        with pytest.raises(ValueError, match="above 0"):
            LiveClock(speed, start)
    with pytest.raises(ValueError, match="timezone"):
        LiveClock(60, start.replace(tzinfo=None))


# -------------------------------------------------------------------- the timelines ----
def test_a_game_goes_through_the_apis_states_in_order(league, day):
    assert states(day, PLAIN) == ["Scheduled", "Pre-Game", "Warmup", "In Progress", "Game Over", "Final"]
    versions = day.timeline(PLAIN)
    start = day.games[PLAIN].start
    first = {v.state: v.at for v in reversed(versions)}
    assert (first["Pre-Game"], first["Warmup"]) == (start - dt.timedelta(minutes=90), start - dt.timedelta(minutes=20))
    # one version at first pitch, then one a completed play
    played = league.play(PLAIN)
    assert [v.plays for v in versions if v.state == "In Progress"] == list(range(len(played.plays) + 1))
    # timecodes as the API writes them, strictly increasing
    codes = [v.timecode for v in versions]
    assert all(re.fullmatch(r"\d{8}_\d{6}", c) for c in codes) and codes == sorted(set(codes))
    over, final = versions[-2:]
    assert over.at == played.clock + GAME_OVER_AFTER and final.at == over.at + FINAL_AFTER
    assert day.final_time(PLAIN) == final.at


def test_statuses_are_the_apis(day):
    want = {
        "Warmup": ("Live", "P", "PW"),
        "Delayed: Rain": ("Live", "I", "IR"),
        "Game Over": ("Final", "O", "O"),
        "Postponed": ("Final", "D", "DR"),
    }
    for state, (abstract, coded, code) in want.items():
        assert STATES[state][:3] == (abstract, coded, code)
    at(day, next(v.at for v in day.timeline(RAINED) if v.state == "Delayed: Rain"))
    feed = orjson.loads(day.feed(RAINED))["gameData"]["status"]
    assert feed == {
        "abstractGameState": "Live",
        "codedGameState": "I",
        "detailedState": "Delayed: Rain",
        "statusCode": "IR",
        "startTimeTBD": False,
        "reason": "Rain",
        "abstractGameCode": "L",
    }


def test_a_rain_delay_holds_up_the_versions_after_it(league, day):
    assert states(day, RAINED) == [
        "Scheduled",
        "Pre-Game",
        "Warmup",
        "In Progress",
        "Delayed: Rain",
        "In Progress",
        "Game Over",
        "Final",
    ]
    where, minutes = league.rain_delay(league.games[RAINED])
    versions = day.timeline(RAINED)
    i = next(i for i, v in enumerate(versions) if v.state == "Delayed: Rain")
    before, delayed, resumed, after = versions[i - 1 : i + 3]
    assert before.plays == delayed.plays == resumed.plays == after.plays - 1  # between two plays
    assert resumed.at - delayed.at == dt.timedelta(minutes=minutes) and 20 <= minutes <= 60
    plays = league.play(RAINED).plays
    end = dt.datetime.fromisoformat(plays[after.plays - 1]["about"]["endTime"].replace("Z", "+00:00"))
    assert after.at == end + dt.timedelta(minutes=minutes)  # the play is as simulated, published later
    assert (
        day.final_time(RAINED)
        == league.play(RAINED).clock + dt.timedelta(minutes=minutes) + GAME_OVER_AFTER + FINAL_AFTER
    )
    # about one game in five at open-air parks... of all games, in fact
    share = sum(league.rain_delay(g) is not None for g in league.games.values()) / len(league.games)
    assert 0.15 < share < 0.25


def test_the_final_version_is_the_leagues_feed(league, day):
    at(day, day.final_time(RAINED))
    assert day.feed(RAINED) == orjson.dumps(league.feed_doc(RAINED))
    stamp = league.feed_doc(RAINED)["metaData"]["timeStamp"]
    assert stamp == day.final_time(RAINED).strftime("%Y%m%d_%H%M%S")  # when it went Final, not its start
    # the stat books as the simulation went: the last play's line score is the final one
    played = day.games[RAINED].played
    assert innings_so_far(played.plays, played.innings) == [
        {k: v for k, v in inning.items() if v} for inning in played.innings
    ]


def test_applying_each_diff_patch_reproduces_every_version(league, day, server, http):
    """A client that polls at every version, then one that polls at every third: the JSON
    Patches applied in turn give each version, and in the end the final feed."""
    versions = day.timeline(RAINED)
    for stride in (1, 3):
        at(day, versions[0].at)
        _, doc = get(http, server, f"/api/v1.1/game/{RAINED}/feed/live")
        for v in [*versions[stride::stride], versions[-1]]:
            at(day, v.at)
            status, answer = get(
                http,
                server,
                f"/api/v1.1/game/{RAINED}/feed/live/diffPatch?startTimecode=" + doc["metaData"]["timeStamp"],
            )
            assert status == 200 and isinstance(answer, list)
            for step in answer:
                assert set(step) == {"diff"}
                doc = jsonpatch.apply_patch(doc, step["diff"])
            assert doc == get(http, server, f"/api/v1.1/game/{RAINED}/feed/live")[1]
            assert doc["metaData"]["timeStamp"] == v.timecode
            if v.plays and not v.final:  # the box score adds up at every play (no decisions yet)
                assert [x for x in violations(doc) if not x.startswith("decided")] == []
        assert doc == league.feed_doc(RAINED)


def test_diff_patch_is_empty_when_current_and_the_whole_feed_when_it_cannot_diff(day, server, http):
    versions = day.timeline(PLAIN)
    now = versions[30]
    at(day, now.at)
    base = f"/api/v1.1/game/{PLAIN}/feed/live"
    assert get(http, server, f"{base}/diffPatch?startTimecode={now.timecode}") == (200, [])
    current = get(http, server, base)[1]
    for unknown in ("20240702_000000", versions[31].timecode, "junk"):  # never one, not yet one
        assert get(http, server, f"{base}/diffPatch?startTimecode={unknown}") == (200, current)
    # endTimecode: up to that version
    status, steps = get(
        http, server, f"{base}/diffPatch?startTimecode={versions[20].timecode}&endTimecode={versions[25].timecode}"
    )
    assert status == 200 and len(steps) == 5
    # ?timecode: that version, if published; the timecodes so far
    assert (
        get(http, server, f"{base}?timecode={versions[10].timecode}")[1]["metaData"]["timeStamp"]
        == versions[10].timecode
    )
    assert get(http, server, f"{base}?timecode={versions[31].timecode}")[0] == 404
    assert get(http, server, f"{base}/timestamps")[1] == [v.timecode for v in versions[:31]]
    assert get(http, server, f"{base}/diffPatch?startTimecode=x&other=1")[0] == 404


def test_the_schedule_box_and_line_scores_follow_the_games(league, day, server, http):
    moment = day.games[RAINED].start + dt.timedelta(minutes=35)
    at(day, moment)
    status, doc = get(http, server, f"/api/v1/schedule?sportId=1&date={DATE}")
    games = {g["gamePk"]: g for g in doc["dates"][0]["games"]}
    assert status == 200 and sorted(games) == sorted(GAMES)  # only the games of the live day
    now = {pk: day.current(pk) for pk in GAMES}
    assert {pk: g["status"]["detailedState"] for pk, g in games.items()} == {pk: v.state for pk, v in now.items()}
    assert now[RAINED].state == "In Progress" and now[LATER].state == "Pre-Game"
    in_progress = sum(v.state == "In Progress" for v in now.values())
    assert doc["totalGamesInProgress"] == doc["dates"][0]["totalGamesInProgress"] == in_progress == 2
    line = get(http, server, f"/api/v1/game/{RAINED}/linescore")[1]
    box = get(http, server, f"/api/v1/game/{RAINED}/boxscore")[1]
    for side in ("home", "away"):
        assert games[RAINED]["teams"][side]["score"] == line["teams"][side]["runs"]
        assert box["teams"][side]["teamStats"]["batting"]["runs"] == line["teams"][side]["runs"]
        assert "isWinner" not in games[RAINED]["teams"][side] and "score" not in games[LATER]["teams"][side]
    assert line["currentInning"] < 9 and "isWinner" not in line["teams"]["home"]
    # a range of dates over the live day; and once the day is over, the schedule is the league's
    two_days = get(http, server, f"/api/v1/schedule?sportId=1&startDate=2024-07-01&endDate={DATE}")[1]
    assert two_days["dates"][1] == doc["dates"][0] and two_days["totalGames"] == 15 + 4
    at(day, max(day.final_time(pk) for pk in GAMES if pk != POSTPONED))
    games = get(http, server, f"/api/v1/schedule?sportId=1&date={DATE}")[1]["dates"][0]["games"]
    assert games == [league.schedule_game(g, DATE) for g in league.by_date[DATE] if g.game_pk in GAMES]
    assert get(http, server, f"/api/v1/game/{RAINED}/boxscore")[1] == league.boxscore_doc(RAINED)
    assert get(http, server, f"/api/v1/game/{RAINED}/linescore")[1] == league.linescore_doc(RAINED)


def test_savant_has_a_game_only_once_it_is_final(league, day, server, http):
    single = "/statcast_search/csv?all=true&type=details&game_pk={}"
    query = {**SAVANT_DATE_QUERY, "game_date_gt": str(DATE), "game_date_lt": str(DATE), "hfGT": "R|"}
    target = "/statcast_search/csv?" + urlencode(query)  # one date, as pybaseball's statcast() asks
    first, second = sorted((RAINED, PLAIN), key=day.final_time)
    at(day, day.final_time(first) - dt.timedelta(seconds=1))
    header = league.statcast_csv(first).splitlines(keepends=True)[0]
    assert get(http, server, single.format(first))[1] == header
    assert get(http, server, target)[1] == header
    at(day, day.final_time(first))
    assert get(http, server, single.format(first))[1] == league.statcast_csv(first)
    assert get(http, server, single.format(second))[1] == header
    rows = get(http, server, target)[1].splitlines()
    assert len(rows) == len(league.statcast_csv(first).splitlines())  # the final one's, nobody else's
    now = day.final_time(second)
    at(day, now)
    final = [pk for pk in GAMES if pk != POSTPONED and day.final_time(pk) <= now]
    assert len(final) >= 2 and len(get(http, server, target)[1].splitlines()) == 1 + sum(
        len(league.statcast_csv(pk).splitlines()) - 1 for pk in final
    )


def test_a_postponed_game_is_scheduled_then_postponed_and_never_final(league, day, server, http):
    versions = day.timeline(POSTPONED)
    start = day.games[POSTPONED].start
    assert [v.state for v in versions] == ["Scheduled", "Postponed"]
    assert versions[1].at == start - dt.timedelta(minutes=60) and day.final_time(POSTPONED) is None
    at(day, start - dt.timedelta(minutes=61))
    entry = next(
        g
        for g in get(http, server, f"/api/v1/schedule?sportId=1&date={DATE}")[1]["dates"][0]["games"]
        if g["gamePk"] == POSTPONED
    )
    assert entry["status"]["detailedState"] == "Scheduled" and "rescheduleDate" not in entry
    at(day, start + dt.timedelta(hours=8))
    entry = next(
        g
        for g in get(http, server, f"/api/v1/schedule?sportId=1&date={DATE}")[1]["dates"][0]["games"]
        if g["gamePk"] == POSTPONED
    )
    assert entry == league.schedule_game(league.games[POSTPONED], DATE)  # as the league lists it that day
    feed = get(http, server, f"/api/v1.1/game/{POSTPONED}/feed/live")[1]
    assert feed["gameData"]["status"] == entry["status"] and feed["liveData"]["plays"]["allPlays"] == []
    assert (
        get(http, server, "/statcast_search/csv?all=true&type=details&game_pk=" + str(POSTPONED))[1].count(b"\n") == 1
    )


def test_the_control_path_gives_each_games_timeline_in_real_time(day, server, http):
    at(day, day.first_start)
    status, live = get(http, server, "/__replay__/live")
    assert status == 200 and live["date"] == str(DATE) and live["speed"] == FROZEN
    assert live["game_time"].startswith(day.first_start.strftime("%Y-%m-%dT%H:%M"))
    assert [g["gamePk"] for g in live["games"]] == [RAINED, PLAIN, LATER, POSTPONED]  # by start
    rained = live["games"][0]
    assert rained["scheduled_start"] == "2024-07-02T23:05:00Z"
    assert [t["timecode"] for t in rained["timeline"]] == [v.timecode for v in day.timeline(RAINED)]
    assert {t["state"] for t in rained["timeline"]} == {
        "Scheduled",
        "Pre-Game",
        "Warmup",
        "In Progress",
        "Delayed: Rain",
        "Game Over",
        "Final",
    }
    assert rained["final_real_time"] == pytest.approx(day.clock.real_time(day.final_time(RAINED)))
    assert live["games"][3]["final_real_time"] is None


def test_other_dates_and_the_plain_double_answer_as_before(league, day, server, http):
    other = league.played_on(dt.date(2024, 7, 1))[0].game_pk
    assert get(http, server, f"/api/v1.1/game/{other}/feed/live")[1] == league.feed_doc(other)
    stamp = league.feed_doc(other)["metaData"]["timeStamp"]
    assert get(http, server, f"/api/v1.1/game/{other}/feed/live/timestamps")[1] == [stamp]
    assert get(http, server, f"/api/v1.1/game/{other}/feed/live/diffPatch?startTimecode={stamp}")[1] == []
    assert get(http, server, f"/api/v1.1/game/{other}/feed/live/diffPatch?startTimecode=1")[1] == league.feed_doc(other)
    assert get(http, server, "/api/v1/schedule?sportId=1&date=2024-07-01")[1] == league.schedule_doc(
        dt.date(2024, 7, 1), dt.date(2024, 7, 1)
    )
    with ReplayServer(SimulatedBackend(league)) as plain:
        assert get(http, plain, "/__replay__/live")[0] == 404
        assert get(http, plain, f"/api/v1/schedule?sportId=1&date={DATE}")[1] == league.schedule_doc(DATE, DATE)


def test_which_games_a_day_plays(league):
    everything = LiveDay(league, DATE, None)
    assert len(everything.games) == 15 and POSTPONED in everything.games
    first = LiveDay(league, DATE, None, 4)
    starts = sorted((game.start, pk) for pk, game in everything.games.items())
    assert list(first.games) == [pk for _, pk in starts[:4]]
    with pytest.raises(ValueError, match="not played on"):
        LiveDay(league, DATE, None, [RAINED, 1])
    with pytest.raises(ValueError, match="no games"):
        LiveDay(league, dt.date(2024, 12, 25), None)
    with pytest.raises(ValueError, match="today"):
        LiveDay(League(7, [2024], today=DATE), DATE, None)
    everything.clock = LiveClock(120, everything.first_start - dt.timedelta(minutes=35))
    assert everything.summary().startswith(
        "live day 2024-07-02: 15 games (1 postponed, 5 delayed by rain), first start 2024-07-02T23:05:00Z, "
        "last 2024-07-03T02:05:00Z; clock x120 from 2024-07-02T22:30:00Z"
    )


# ------------------------------------------------------------------------------ CLI ----
@pytest.mark.parametrize(
    "args, message",
    [
        (["--clock-speed", "0"], "argument --clock-speed: '0' is not a speed above 0"),
        (["--clock-speed", "-2"], "argument --clock-speed: '-2' is not a speed above 0"),
        (["--live", "2024-12-25", "--clock-speed", "120"], "argument --live: no games on 2024-12-25"),
        (["--live", "2023-07-02"], "argument --live: 2023-07-02 is not in the simulated seasons [2024]"),
        (["--live-from", "2024-07-02T22:00:00"], "argument --live-from: '2024-07-02T22:00:00' is not a UTC time"),
        (["--live-games", "0"], "argument --live-games: '0' is not a whole number of at least 1"),
    ],
)
def test_bad_live_arguments_are_one_line_and_exit_2(args, message, capsys):
    argv = ["--simulate", "--seed", "7", "--seasons", "2024", "--port", "0"]
    if "--live" not in args:
        argv += ["--live", str(DATE)]
    with pytest.raises(SystemExit) as stop:
        main(argv + args)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and message in err, err
