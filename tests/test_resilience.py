"""The collector survives the API failing: circuit breaker, raw-zone fallback, dead letters
retried by later runs, games collected before they were final, a polite rate limit."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from conftest import run_day

from mlb_pipeline.collect import collect_feeds, load_day, plan_day
from mlb_pipeline.landing import RawZone
from mlb_pipeline.settings import lake_url
from mlb_pipeline.source import CircuitOpen, ClientSettings, SourceError, StatsApiClient
from mlb_pipeline.warehouse import DuckDBWarehouse
from mlb_replay.server import ReplayServer, SimulatedBackend
from mlb_replay.simulate import League

FAST = "backoff_factor_s=0.01&backoff_max_s=0.02"


@pytest.mark.unit
def test_breaker_opens_after_three_failures_and_then_skips_the_source(simulated):
    simulated.add_fault(r"/feed/live", status=500)
    client = StatsApiClient(
        ClientSettings(simulated.url, max_retries=1, backoff_factor_s=0.01, breaker_fail_max=3, breaker_reset_s=60)
    )
    errors = []
    for pk in range(2400700, 2400706):
        try:
            client.fetch("game", gamePk=pk)
        except SourceError as exc:
            errors.append(type(exc))
    assert errors == [SourceError, SourceError, SourceError, CircuitOpen, CircuitOpen, CircuitOpen]
    assert len(simulated.requests("/feed/live")) == 3 * 2  # three games, two tries each; then none


def _fetch_all(client: StatsApiClient, n: int, concurrency: int) -> float:
    """Seconds to make ``n`` requests with ``concurrency`` at once. The season's teams: a small
    answer, so the source's delay is what is timed, not the double building game feeds on a
    machine busy with the other tests."""
    import concurrent.futures

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(lambda _: client.fetch("teams", sportId=1, season=2024), range(n)))
    return time.monotonic() - start


@pytest.mark.unit
def test_the_breaker_does_not_serialise_concurrent_requests(simulated):
    """pybreaker's call() held one lock for the whole request: 4 at once took as long as 1."""
    simulated.add_fault(r"/api/v1/teams", delay_s=0.2)
    one = _fetch_all(StatsApiClient(ClientSettings(simulated.url, concurrency=1)), 12, 1)
    four = _fetch_all(StatsApiClient(ClientSettings(simulated.url, concurrency=4)), 12, 4)
    assert one >= 12 * 0.2 and four < one / 2.5, (one, four)  # serialised, both would be ~2.4 s


@pytest.mark.unit
def test_the_breaker_closes_after_its_cool_down_and_reopens_on_a_failed_trial(league):
    from mlb_replay.server import ReplayServer, SimulatedBackend

    with ReplayServer(SimulatedBackend(league)) as simulated:  # its own: no other test's requests counted
        _breaker_cycle(simulated)


def _breaker_cycle(simulated) -> None:
    client = StatsApiClient(ClientSettings(simulated.url, max_retries=0, breaker_fail_max=2, breaker_reset_s=0.5))
    simulated.add_fault(r"/feed/live", status=500)
    for _ in range(2):
        with pytest.raises(SourceError, match="HTTP 500"):
            client.fetch("game", gamePk=2400712)
    with pytest.raises(CircuitOpen):
        client.fetch("game", gamePk=2400712)
    assert len(simulated.requests("/feed/live")) == 2
    time.sleep(0.6)
    with pytest.raises(SourceError, match="HTTP 500"):  # the trial request fails: open again
        client.fetch("game", gamePk=2400712)
    with pytest.raises(CircuitOpen):
        client.fetch("game", gamePk=2400712)
    simulated.clear_faults()
    time.sleep(0.6)
    client.fetch("game", gamePk=2400712)  # the trial succeeds: closed
    client.fetch("game", gamePk=2400713)
    assert client.breaker.state == "closed" and len(simulated.requests("/feed/live")) == 5


def test_the_collection_deadline_stops_new_requests_and_leaves_dead_letters(embedded, simulated, league):
    """A slow source and a small deadline: the requests under way finish, no new one starts,
    the games not asked are failures with the reason (dead letters, asked again later)."""
    day = "2024-06-19"
    wh, zone = DuckDBWarehouse(), RawZone(lake_url())
    n = len(league.played_on(dt.date.fromisoformat(day)))
    client = StatsApiClient(ClientSettings(simulated.url, collection_deadline_s=0.9, concurrency=2))
    plan = plan_day(client, zone, day, wh)
    simulated.add_fault(r"/feed/live", delay_s=1.0)
    start = time.monotonic()
    with client.collection():
        collected = collect_feeds(client, zone, plan, 2)
    took = time.monotonic() - start
    asked = len(simulated.requests("/feed/live"))
    # Without the deadline: 15 games x 1 s / 2 = 7.5 s. With it, the first two requests (and on a
    # loaded machine perhaps two more started before 0.9 s) finish, and nothing else starts.
    assert took < 4.5 and asked <= 4 < n, (took, asked)
    late = [f for f in collected["failed"] if "deadline" in f["error"]]
    assert len(late) == n - len(collected["landed"]) == n - asked
    load_day(wh, zone, plan, {"collect_game_feeds": collected}, run_id="deadline")
    letters = wh.query("SELECT count(*) n FROM ops.dead_letters WHERE resolved_at IS NULL AND error LIKE '%deadline%'")
    assert letters == [{"n": n - asked}]
    with client.collection():  # a new collection has a new deadline
        client.fetch("game", gamePk=plan["collect"][0]["game_pk"])


def test_api_outage_is_served_from_the_raw_zone_and_said_so(
    daily_dag, embedded, simulated, league, monkeypatch, caplog
):
    day = "2024-06-17"
    run, _ = run_day(daily_dag, day, simulated, monkeypatch, FAST)
    assert run.state == "success"
    simulated.add_fault(r"/feed/live", status=500)  # the feed endpoint goes down for good
    simulated.clear_requests()
    caplog.clear()
    run, states = run_day(daily_dag, day, simulated, monkeypatch, FAST, force=True)
    assert run.state == "success", states  # every game had a good final copy in the raw zone

    n = len(league.played_on(dt.date.fromisoformat(day)))
    feed_requests = simulated.requests("/feed/live")
    assert len(feed_requests) < n * 6  # the breaker stopped the hammering
    wh = DuckDBWarehouse()
    assert wh.query("SELECT source, count(*) n FROM raw.games GROUP BY source") == [
        {"source": "raw_zone_fallback", "n": n}
    ]
    latest = wh.query(
        "SELECT used_fallback, status FROM ops.ingestion_runs WHERE game_date = ? ORDER BY finished_at DESC LIMIT 1",
        [day],
    )[0]
    assert latest == {"used_fallback": True, "status": "complete"}
    letters = wh.query("SELECT kind, count(*) n FROM ops.dead_letters WHERE resolved_at IS NULL GROUP BY kind")
    assert letters == [{"kind": "unavailable", "n": n}]
    assert any("FALLBACK" in r.getMessage() for r in caplog.records)

    # The API comes back: the next run fetches from it again and resolves the letters.
    simulated.clear_faults()
    run, _ = run_day(daily_dag, day, simulated, monkeypatch, FAST, force=True)
    assert run.state == "success"
    assert wh.query("SELECT source, count(*) n FROM raw.games GROUP BY source") == [{"source": "statsapi", "n": n}]
    assert wh.query("SELECT count(*) n FROM ops.dead_letters WHERE resolved_at IS NULL")[0]["n"] == 0


def test_a_later_run_retries_the_games_an_earlier_run_missed(daily_dag, embedded, simulated, league, monkeypatch):
    first, later = dt.date(2024, 6, 18), dt.date(2024, 6, 20)
    victim = league.played_on(first)[3].game_pk
    simulated.add_fault(rf"/game/{victim}/feed/live", status=404)
    run, _ = run_day(daily_dag, first.isoformat(), simulated, monkeypatch, FAST)
    assert run.state == "failed"
    simulated.clear_faults()
    simulated.clear_requests()
    run, _ = run_day(daily_dag, later.isoformat(), simulated, monkeypatch, FAST)
    assert run.state == "success"
    # It fetched the missed game, and not one of the games it already had.
    fetched = {int(r["target"].split("/")[4]) for r in simulated.requests("/feed/live")}
    assert fetched == {victim} | {g.game_pk for g in league.played_on(later)}
    wh = DuckDBWarehouse()
    assert wh.query("SELECT count(*) n FROM raw.games WHERE game_pk = ?", [victim])[0]["n"] == 1
    statuses = wh.query("SELECT arg_max(status, finished_at) s FROM ops.ingestion_runs WHERE game_date = ?", [first])
    assert statuses == [{"s": "complete"}]


def test_a_game_collected_before_it_was_final_is_collected_again(daily_dag, embedded, monkeypatch):
    day = dt.date(2024, 6, 24)
    early = League(seed=11, seasons=[2024], today=day)  # the games of `day` have not been played yet
    with ReplayServer(SimulatedBackend(early)) as server:
        run, _ = run_day(daily_dag, day.isoformat(), server, monkeypatch, FAST)
    assert run.state == "failed"  # the day is not final yet, and the run says so
    wh = DuckDBWarehouse()
    assert {r["is_final"] for r in wh.query("SELECT is_final FROM raw.games")} == {False}
    late = League(seed=11, seasons=[2024])
    with ReplayServer(SimulatedBackend(late)) as server:
        run, _ = run_day(daily_dag, (day + dt.timedelta(days=1)).isoformat(), server, monkeypatch, FAST)
    assert run.state == "success"
    rows = wh.query("SELECT is_final, count(*) n FROM raw.games WHERE official_date = ? GROUP BY is_final", [day])
    assert rows == [{"is_final": True, "n": len(late.played_on(day))}]


@pytest.mark.unit
def test_client_side_rate_limit(simulated):
    client = StatsApiClient(ClientSettings(simulated.url, min_interval_s=0.1))
    start = time.monotonic()
    for _ in range(5):
        client.fetch("season", seasonId=2024, sportId=1)
    assert time.monotonic() - start >= 0.4


def test_a_body_landed_by_many_tasks_at_once_is_read_whole_by_each(tmp_path):
    """The same response landed by several tasks at the same moment (a season's teams, asked for
    every date of a chunk at once) and read back by each at once: every read gets the whole body,
    never a file still being written, and one object is left."""
    import concurrent.futures
    import hashlib
    import threading

    body = b'{"teams": [' + b",".join(b'{"id": %d, "name": "club"}' % i for i in range(100000)) + b"]}"
    for attempt in range(20):
        zone, start = RawZone((tmp_path / str(attempt)).as_uri()), threading.Barrier(8)

        def land_and_read(_, zone=zone, start=start):
            start.wait()  # all at once
            landed = zone.land(("current", "reference", "teams", "2024"), "teams", body)
            return len(zone.read(landed.url))

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(land_and_read, range(8))) == {len(body)}
        folder = tmp_path / str(attempt) / "current" / "reference" / "teams" / "2024"
        assert [p.name for p in folder.iterdir()] == [f"teams-{hashlib.sha256(body).hexdigest()[:16]}.json"]
