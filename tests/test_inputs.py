"""Answers and inputs the pipeline must not take at face value: an empty schedule for a day
other schedules list games on, a game date far ahead, gaps looked for in the off-season, and
bad arguments to the gaps command. The pipeline's functions against the simulated league
over real HTTP, no DAG runs."""

from __future__ import annotations

import datetime as dt

import pytest

from mlb_pipeline import collect, gaps
from mlb_pipeline.landing import RawZone
from mlb_pipeline.seasons import calendars_between
from mlb_pipeline.source import ClientSettings, StatsApiClient
from mlb_pipeline.warehouse import DuckDBWarehouse

EMPTY = '{"copyright": "", "totalItems": 0, "totalEvents": 0, "totalGames": 0, "totalGamesInProgress": 0, "dates": []}'


def parts(server, embedded):
    return (
        StatsApiClient(ClientSettings(server.url, backoff_factor_s=0)),
        RawZone((embedded / "lake").as_uri()),
        DuckDBWarehouse(embedded / "warehouse.duckdb"),
    )


def date_schedule(day: str) -> str:
    return rf"/api/v1/schedule\?date={day}&"


def test_an_empty_schedule_where_games_are_listed_fails_loudly(embedded, simulated, league):
    api, zone, wh = parts(simulated, embedded)
    # The run of 2024-06-09 records the schedule of the next day (16 games); nothing is collected here.
    plan = collect.plan_day(api, zone, "2024-06-09", wh)
    collect.load_day(wh, zone, plan, {"collect_game_feeds": {"landed": [], "failed": []}}, run_id="run_0609")
    listed = sorted(g.game_pk for g in league.played_on(dt.date(2024, 6, 10)))
    assert len(listed) == 16

    simulated.clear_requests()
    simulated.add_fault(date_schedule("2024-06-10"), body=EMPTY)
    with pytest.raises(
        collect.SuspiciousSchedule,
        match=r"the schedule of 2024-06-10 is empty after 3 tries, but "
        r"an earlier schedule \(raw.schedule\) lists 16 games on it",
    ) as failure:
        collect.plan_day(api, zone, "2024-06-10", wh, run_id="run_0610")
    assert str(listed) in str(failure.value)
    assert len(simulated.requests(date_schedule("2024-06-10"))) == 3  # asked, then asked again twice
    [letter] = wh.query("SELECT game_date, endpoint, kind, error FROM ops.dead_letters WHERE resolved_at IS NULL")
    assert (letter["game_date"], letter["endpoint"], letter["kind"]) == (
        dt.date(2024, 6, 10),
        "schedule",
        "empty_schedule",
    )
    assert wh.query(
        "SELECT status, games_scheduled, games_missing FROM ops.ingestion_runs WHERE game_date = ?",
        [dt.date(2024, 6, 10)],
    ) == [{"status": "failed", "games_scheduled": 16, "games_missing": 16}]
    # The gap finder (the gaps command, the daily run's find_gaps, strict mode) lists the date.
    found = gaps.backfill_candidates(wh, "2024-06-10", 1)["collection"]
    assert [(g["date"], g["reason"]) for g in found if g["game_pk"] is None] == [
        ("2024-06-10", f"its collection failed: {letter['error']}")
    ]
    assert "2024-06-10" in gaps.dates_to_recollect(gaps.backfill_candidates(wh, "2024-06-10", 1))
    assert [g["date"] for g in gaps.feature_window_gaps(wh, "2024-06-10", 1) if g["game_pk"] is None] == ["2024-06-10"]

    # Once the API lists the games again, the date plans them and its letter is closed.
    simulated.clear_faults()
    plan = collect.plan_day(api, zone, "2024-06-10", wh, run_id="run_0610")
    assert sorted(g["game_pk"] for g in plan["collect"]) == listed
    assert wh.query("SELECT count(*) n FROM ops.dead_letters WHERE resolved_at IS NULL")[0]["n"] == 0


def test_the_seasons_schedule_tells_an_empty_answer_from_an_off_day(embedded, simulated, league):
    api, zone, wh = parts(simulated, embedded)
    # No earlier schedule of 2024-06-12 in the warehouse: the season's schedule is asked.
    listed = sorted(g.game_pk for g in league.played_on(dt.date(2024, 6, 12)))
    simulated.add_fault(date_schedule("2024-06-12"), body=EMPTY)
    with pytest.raises(
        collect.SuspiciousSchedule,
        match=f"but the season's schedule lists {len(listed)} games "
        rf"on it: \[{listed[0]}, ",
    ):
        collect.plan_day(api, zone, "2024-06-12", wh)
    assert len(simulated.requests(r"/api/v1/schedule\?.*season=2024")) == 1
    assert list((embedded / "lake" / "current" / "reference" / "schedule" / "2024").glob("schedule_season-*.json"))
    # 2024-06-05 is a real off day of the regular season: the season lists nothing on it either.
    assert league.played_on(dt.date(2024, 6, 5)) == []
    plan = collect.plan_day(api, zone, "2024-06-05", wh)
    assert (plan["season_phase"], plan["dates"]["2024-06-05"]["games"]) == ("regular_season", [])
    assert len(simulated.requests(date_schedule("2024-06-05"))) == 1  # an off day is not asked again


@pytest.mark.unit
def test_a_game_date_far_ahead_is_refused_before_anything_is_written(embedded, simulated):
    from airflow.sdk.exceptions import AirflowFailException

    from mlb_pipeline.operators import PlanGameDayOperator

    api, zone, wh = parts(simulated, embedded)
    today = dt.date(2026, 12, 1)
    assert collect.check_game_date("2026-12-02", today=today) == "2026-12-02"  # tomorrow's early games
    with pytest.raises(collect.InvalidGameDate, match="2026-12-03 is more than 1 day"):
        collect.check_game_date("2026-12-03", today=today)
    with pytest.raises(collect.InvalidGameDate, match="2031-06-01 is more than 1 day"):
        collect.plan_day(api, zone, "2031-06-01", wh)
    with pytest.raises(AirflowFailException, match="2031-06-01 is more than 1 day"):  # failed, not retried
        PlanGameDayOperator(task_id="plan_game_day").execute({"params": {"game_date": "2031-06-01"}})
    assert simulated.requests() == []
    assert not (embedded / "lake").exists() and not (embedded / "warehouse.duckdb").exists()


@pytest.mark.unit
def test_off_season_dates_are_no_gaps(embedded, simulated):
    api, zone, wh = parts(simulated, embedded)
    wh.ensure_schema()
    wh.record_run(
        {
            "run_id": "r",
            "game_date": dt.date(2024, 9, 20),
            "started_at": dt.datetime.now(dt.UTC),
            "status": "complete",
            "table_counts": {},
            "errors": [],
        }
    )

    def runs(game_date: str) -> list[str]:
        end, days = gaps.daily_window(wh, game_date, 30)
        start = (dt.date.fromisoformat(end) - dt.timedelta(days=days)).isoformat()
        found = gaps.backfill_candidates(wh, end, days, calendars=calendars_between(api, zone, start, end))
        return [r["conf"]["game_date"] for r in gaps.gap_runs(found, game_date, rebuild_features=True)]

    assert runs("2024-12-15") == []  # the off-season: nothing to fill
    # Late in the postseason (it ends on 2024-11-05 in the simulated calendar) its dates are gaps, no later one.
    assert runs("2024-11-20") == [
        f"2024-{d}" for d in [f"10-{n}" for n in range(21, 32)] + [f"11-0{n}" for n in range(1, 6)]
    ]


@pytest.mark.unit
@pytest.mark.parametrize(
    "argv, error",
    [
        (["--lookback-days", "-5", "--dry-run"], "argument --lookback-days: '-5' is not a whole number of at least 0"),
        (["--end-date", "notadate", "--dry-run"], "argument --end-date: 'notadate' is not a date (YYYY-MM-DD)"),
        (["--max-dates", "0", "--dry-run"], "argument --max-dates: '0' is not a whole number of at least 1"),
    ],
)
def test_the_gaps_command_refuses_bad_arguments(argv, error, embedded, capsys):
    with pytest.raises(SystemExit) as done:
        gaps.main(argv)
    assert done.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == [f"python -m mlb_pipeline.gaps: error: {error}"]
    assert not (embedded / "warehouse.duckdb").exists()
