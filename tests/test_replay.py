"""The MLB Stats API double: recorded and simulated modes, and fault injection, over HTTP."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time

import orjson
import pytest
import urllib3
from conftest import FIXTURES, load_fixture, needs_fixtures
from identities import violations

from mlb_pipeline.source import ClientSettings, SourceError, StatsApiClient
from mlb_replay.server import RecordedBackend, ReplayServer
from mlb_replay.truth import fetch as fetch_truth

pytestmark = pytest.mark.unit  # the whole module is of the unit tier (make unit)


def fast_client(url: str, **kw) -> StatsApiClient:
    return StatsApiClient(ClientSettings(url, backoff_factor_s=0.01, backoff_max_s=0.05, **kw))


# ------------------------------------------------------------------ recorded mode ----
@needs_fixtures
def test_recorded_answers_are_the_recorded_bytes(recorded):
    client = fast_client(recorded.url)
    assert client.fetch("game", gamePk=744914).body == (FIXTURES / "feed_live/744914.json").read_bytes()
    assert (
        client.fetch("schedule", sportId=1, date="2024-07-01").body
        == (FIXTURES / "schedule/2024-07-01.json").read_bytes()
    )
    # A gzipped recording is served as the JSON it holds.
    assert orjson.loads(client.fetch("game", gamePk=747175).body)["gamePk"] == 747175


@needs_fixtures
def test_unknown_requests_get_the_apis_404(recorded):
    http = urllib3.PoolManager()
    for target in (
        "/api/v1.1/game/744840/feed/live",  # scheduled that day, never recorded
        "/api/v1/schedule?sportId=1&date=2024-07-02",  # a day nobody recorded
        "/api/v1/schedule?sportId=1&date=2024-07-01&hydrate=linescore",
    ):  # other params
        resp = http.request("GET", recorded.url + target)
        assert resp.status == 404
        body = orjson.loads(resp.data)
        assert body["messageNumber"] == 10 and body["message"] == "Object not found"


def test_binds_to_loopback_only():
    with pytest.raises(ValueError, match="loopback"):
        ReplayServer(RecordedBackend(FIXTURES if FIXTURES.exists() else "."), host="0.0.0.0")


# ------------------------------------------------------------------ fault injection ----
def test_503_then_success_is_retried(simulated):
    simulated.add_fault(r"/feed/live", status=503, times=2)
    client = fast_client(simulated.url)
    pk = 2400600
    assert orjson.loads(client.fetch("game", gamePk=pk).body)["gamePk"] == pk
    statuses = [r["status"] for r in simulated.requests(f"/game/{pk}/")]
    assert statuses == [503, 503, 200]


def test_retry_after_is_honoured(simulated):
    simulated.add_fault(r"/api/v1/teams", status=429, retry_after=1, times=1)
    client = fast_client(simulated.url)
    start = time.monotonic()
    client.fetch("teams", sportId=1, season=2024)
    assert time.monotonic() - start >= 1.0  # the client waited as told, not its own 0.01 s backoff
    assert [r["status"] for r in simulated.requests("/teams")] == [429, 200]


def test_gives_up_after_five_retries(simulated):
    simulated.add_fault(r"/feed/live", status=500)
    with pytest.raises(SourceError, match="HTTP 500 after retries"):
        fast_client(simulated.url).fetch("game", gamePk=2400601)
    assert len(simulated.requests("/game/2400601/")) == 6  # one try and five retries


def test_dropped_connection_and_latency_are_survived(simulated):
    simulated.add_fault(r"/feed/live", drop=True, times=1)
    simulated.add_fault(r"/feed/live", delay_s=0.3, times=1)
    body = fast_client(simulated.url).fetch("game", gamePk=2400602).body
    assert orjson.loads(body)["gamePk"] == 2400602
    assert [r["status"] for r in simulated.requests("/game/2400602/")] == ["dropped", 200]


def test_read_timeout_is_enforced(simulated):
    simulated.add_fault(r"/feed/live", delay_s=1.0)
    client = StatsApiClient(ClientSettings(simulated.url, read_timeout_s=0.2, max_retries=1, backoff_factor_s=0.01))
    with pytest.raises(SourceError, match="request failed"):
        client.fetch("game", gamePk=2400603)


def test_truncated_body_arrives_as_broken_json(simulated):
    from mlb_pipeline.parse import FeedError, decode_json

    simulated.add_fault(r"/feed/live", truncate=True, times=1)
    body = fast_client(simulated.url).fetch("game", gamePk=2400604).body
    with pytest.raises(FeedError, match="not valid JSON"):
        decode_json(body, "feed 2400604")


def test_retry_after_is_capped(simulated):
    simulated.add_fault(r"/api/v1/teams", status=429, retry_after=90, times=1)
    client = fast_client(simulated.url, retry_after_max_s=0.5)
    start = time.monotonic()
    client.fetch("teams", sportId=1, season=2024)
    assert 0.5 <= time.monotonic() - start < 5  # waited the cap, not 90 s
    assert [r["status"] for r in simulated.requests("/teams")] == [429, 200]


def test_body_cut_at_a_line_keeps_the_header_and_half_the_rows(simulated, league):
    pk = league.played_on(dt.date(2024, 6, 10))[0].game_pk
    url = simulated.url + f"/statcast_search/csv?all=true&type=details&game_pk={pk}"
    whole = urllib3.request("GET", url).data.splitlines(keepends=True)
    simulated.add_fault(r"/statcast_search/", truncate_lines=True, times=1)
    cut = urllib3.request("GET", url).data.splitlines(keepends=True)
    assert cut == whole[: 1 + (len(whole) - 1) // 2] and len(cut) > 100  # whole lines, header first


@pytest.mark.parametrize(
    "endpoint, params",
    [
        ("game", {"gamePk": 2400605}),  # gzip-encoded
        ("season", {"seasonId": 2024, "sportId": 1}),
    ],
)  # plain
def test_body_shorter_than_its_content_length_is_retried_then_a_truncated_body(simulated, endpoint, params):
    target = r"/game/2400605/feed/live|/seasons/2024"
    simulated.add_fault(target, short_body=True, times=1)
    body = fast_client(simulated.url).fetch(endpoint, **params).body  # retried: the second answer is whole
    assert orjson.loads(body)
    assert [r["status"] for r in simulated.requests(target)] == [200, 200]
    simulated.clear_requests()
    simulated.add_fault(target, short_body=True)
    with pytest.raises(SourceError, match=r"truncated body: \d+ bytes read, \d+ more expected"):
        fast_client(simulated.url, max_retries=2).fetch(endpoint, **params)
    assert len(simulated.requests(target)) == 3  # one try and two retries, never data


def test_faults_can_be_set_over_http(simulated):
    http = urllib3.PoolManager()
    http.request(
        "POST",
        simulated.url + "/__replay__/faults",
        body=orjson.dumps([{"pattern": "/api/v1/seasons", "status": 503, "times": 1}]),
    )
    assert http.request("GET", simulated.url + "/api/v1/seasons/2024?sportId=1", retries=False).status == 503
    assert http.request("GET", simulated.url + "/api/v1/seasons/2024?sportId=1").status == 200
    log = orjson.loads(http.request("GET", simulated.url + "/__replay__/requests").data)
    assert [r["status"] for r in log if "/seasons/" in r["target"]] == [503, 200]


def test_the_log_counts_the_bytes_of_each_answer_as_sent(simulated):
    target = "/api/v1.1/game/2400605/feed/live"
    plain = urllib3.request("GET", simulated.url + target, headers={"Accept-Encoding": "identity"})
    zipped = urllib3.request("GET", simulated.url + target, headers={"Accept-Encoding": "gzip"}, decode_content=False)
    assert zipped.headers["Content-Encoding"] == "gzip" and len(zipped.data) < len(plain.data) / 3
    simulated.add_fault(target, status=503, times=1)
    urllib3.request("GET", simulated.url + target, retries=False)
    log = [(r["status"], r["bytes"], r["raw_bytes"]) for r in simulated.requests(target)]
    assert log[:2] == [(200, len(plain.data), len(plain.data)), (200, len(zipped.data), len(plain.data))]
    assert log[2][0] == 503 and 0 < log[2][1] == log[2][2] < 200


# ------------------------------------------------------------------ simulated mode ----
def test_simulated_season_has_the_real_calendars_shape(league):
    games = [g for g in league.games.values() if g.season == 2024]
    regular = [g for g in games if g.game_type == "R"]
    assert len(regular) == 2430
    per_team = {}
    for g in regular:
        per_team[g.home] = per_team.get(g.home, 0) + 1
        per_team[g.away] = per_team.get(g.away, 0) + 1
    assert len(per_team) == 30 and set(per_team.values()) == {162}
    assert min(g.official_date for g in regular).month == 3
    assert max(g.official_date for g in regular).month == 9
    spring = [g for g in games if g.game_type == "S"]
    assert spring and max(g.official_date for g in spring) < min(g.official_date for g in regular)
    post = [g for g in games if g.game_type in "FDLW"]
    assert {g.game_type for g in post} == set("FDLW")
    assert min(g.official_date for g in post).month == 10
    assert sum(1 for g in post if g.game_type == "W") in (4, 5, 6, 7)
    assert any(g.double_header == "S" and g.game_number == 2 for g in regular)


def test_simulation_is_deterministic():
    from mlb_replay.simulate import League

    a, b = League(5, [2024]), League(5, [2024])
    pk = sorted(a.games)[1000]
    assert orjson.dumps(a.feed_doc(pk)) == orjson.dumps(b.feed_doc(pk))
    assert League(6, [2024]).truth(2024) != a.truth(2024)


@needs_fixtures
def test_true_probabilities_are_fetched_from_the_simulated_double_only(simulated, league, recorded):
    """The test side's way to the truth (mlb_replay.truth.fetch): every game of the season from a
    simulated league, and none at all from recorded data (the real API has no such thing)."""
    truth = fetch_truth(simulated.url, [2024])
    assert truth == {t["gamePk"]: t["homeWinProbability"] for t in league.truth(2024)} and len(truth) > 2400
    assert fetch_truth(recorded.url, [2024]) is None


def test_true_probabilities_drive_outcomes(league):
    truth = league.truth(2024)
    assert all(0 < t["homeWinProbability"] < 1 for t in truth)
    outcomes = [league.games[t["gamePk"]].home_wins for t in truth]
    # Home teams win about as often as the true probabilities say...
    assert abs(statistics.mean(outcomes) - statistics.mean(t["homeWinProbability"] for t in truth)) < 0.03
    # ...and the truth beats a coin flip by a clear margin (Brier score).
    brier = statistics.mean((t["homeWinProbability"] - o) ** 2 for t, o in zip(truth, outcomes))
    assert brier < 0.25 - 0.005


def test_simulated_box_scores_obey_the_identities(league):
    pks = sorted(league.games)
    sample = pks[::60] + [g.game_pk for g in league.games.values() if g.game_type == "W"]
    for pk in sample:
        feed = league.feed_doc(pk)
        assert violations(feed) == [], pk
        line = feed["liveData"]["linescore"]["teams"]
        home_won = line["home"]["runs"] > line["away"]["runs"]
        assert home_won == league.games[pk].home_wins


def test_west_coast_night_games_start_on_the_next_utc_day(league):
    day = dt.date(2024, 7, 1)
    sched = league.schedule_doc(day, day)
    games = sched["dates"][0]["games"]
    assert all(g["officialDate"] == "2024-07-01" for g in games)
    late = [g for g in games if g["gameDate"].startswith("2024-07-02")]
    early = [g for g in games if g["gameDate"].startswith("2024-07-01")]
    assert late and early  # both kinds exist, and both belong to 2024-07-01


# ------------------------------------------------------ simulated vs recorded shape ----
def key_paths(doc, prefix="") -> dict[str, set[str]]:
    """Every key path of a JSON document, lists collapsed to [] and player ids to ID*,
    with the kinds of value seen there (null matches anything)."""
    out: dict[str, set[str]] = {}

    def walk(node, path):
        kind = (
            "null"
            if node is None
            else "bool"
            if isinstance(node, bool)
            else "number"
            if isinstance(node, (int, float))
            else type(node).__name__
        )
        out.setdefault(path, set()).add(kind)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{re.sub(r'^ID[0-9]+$', 'ID*', k)}")
        elif isinstance(node, list):
            for v in node:
                walk(v, f"{path}[]")

    walk(doc, prefix)
    return out


def merged_paths(docs) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for d in docs:
        for k, v in key_paths(d).items():
            out.setdefault(k, set()).update(v)
    return out


@needs_fixtures
@pytest.mark.parametrize("endpoint", ["schedule", "feed", "boxscore", "linescore", "teams", "seasons"])
def test_simulated_responses_have_the_recorded_structure(endpoint, league):
    day = dt.date(2024, 7, 1)
    pk = league.played_on(day)[0].game_pk
    feeds = [
        "feed_live/744914.json",
        "feed_live/745218.json",
        "feed_live/745927.json",
        "feed_live/747175.json",
        "feed_live/717055.json",
    ]
    recorded = {
        "schedule": ["schedule/2024-07-01.json", "schedule/2022-04-07.json"],
        "feed": feeds,
        "boxscore": ["boxscore/744914.json", "boxscore/747175.json"],
        "linescore": ["linescore/744914.json", "linescore/747175.json"],
        "teams": ["teams/teams_sportId1_season2024.json", "teams/ds_teams_sportId1_2026.json"],
        "seasons": ["meta/ds_seasons.json"],
    }[endpoint]
    simulated = {
        "schedule": lambda: league.schedule_doc(day, day),
        "feed": lambda: league.feed_doc(pk),
        "boxscore": lambda: league.boxscore_doc(pk),
        "linescore": lambda: league.linescore_doc(pk),
        "teams": lambda: league.teams_doc(2024),
        "seasons": lambda: league.seasons_doc(2024),
    }[endpoint]()
    real = merged_paths(load_fixture(f) for f in recorded)
    sim = key_paths(simulated)
    invented = sorted(p for p in sim if p not in real)
    assert invented == [], f"simulated {endpoint} has keys the real API never sends: {invented[:10]}"
    clashes = {
        p: (sim[p], real[p]) for p in sim if "null" not in real[p] and "null" not in sim[p] and not sim[p] <= real[p]
    }
    assert clashes == {}, f"simulated {endpoint} has values of other kinds than the real API: {clashes}"


@needs_fixtures
def test_simulated_feeds_fill_every_column_real_feeds_fill(league):
    """No skeleton: each raw-table column that real feeds fill, simulated feeds fill too."""
    from mlb_pipeline.kinds.game_feed import parse_game

    def filled(rows_by_table):
        return {(t, c) for t, rows in rows_by_table.items() for r in rows for c, v in r.items() if v is not None}

    real = set().union(*(filled(parse_game(load_fixture(f"feed_live/{pk}.json"))) for pk in (744914, 745218, 747175)))
    sim = set().union(*(filled(parse_game(league.feed_doc(pk))) for pk in sorted(league.games)[600:603]))
    assert sorted(real - sim) == []
