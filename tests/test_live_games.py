"""Games followed live by a real Airflow (scheduler, triggerer, api-server): the double plays
a day of four games at 120 times real speed, mlb_live_games follows each in the triggerer,
the triggerer is killed mid-game and started again, every final game lands within two
minutes through the asset event, and the next 02:00 run finds nothing left to collect: the
raw tables equal those of the same day collected only at 02:00."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
from conftest import collect_days
from live_airflow import LiveAirflow, standalone_env

pytestmark = pytest.mark.xdist_group("live_games")  # an Airflow of its own

SPEED = 120  # two minutes of game time a second: the day in about 2 min 35 s
DAY = dt.date(2024, 7, 2)  # seed 7: 2401818 held up by rain 49 min, 2401831 rained out
GAMES = [2401818, 2401819, 2401831, 2401823]
FINAL = [2401818, 2401819, 2401823]
LIVE, LAND = "mlb_live_games", "mlb_land_final_games"


def triggerers(pid: int) -> list:
    """The triggerer processes under ``pid`` (``airflow standalone``), their own children with them."""
    import psutil

    found = []
    for p in psutil.Process(pid).children(recursive=True):
        try:
            if "triggerer" in " ".join(p.cmdline()):
                found += [p, *p.children(recursive=True)]
        except psutil.Error:  # gone, or a zombie (a task process just finished)
            continue
    return found


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    """The live day, followed by Airflow from its start to its end; then Airflow stopped."""
    from mlb_replay.live import LiveClock, LiveDay
    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    root = tmp_path_factory.mktemp("live-games")
    league = League(7, [2024])
    day = LiveDay(league, DAY, LiveClock(1e-6, dt.datetime(2024, 7, 2, 12, tzinfo=dt.UTC)), GAMES)
    with ReplayServer(SimulatedBackend(league, day)) as server:
        env = standalone_env(root, server.url)
        env.update(
            {
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "True",  # asset events start runs
                "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
                "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "5",
            }
        )
        airflow = LiveAirflow(root, env)
        triggerer, triggerer_log = None, open(root / "triggerer.log", "wb")  # noqa: SIM115 (closed below)
        try:
            airflow.wait_until_ready()
            for dag_id in (LIVE, LAND):
                airflow.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
            server.clear_requests()
            # Pre-Game from 75 minutes before the first start: half a minute for the tasks to start
            day.clock = LiveClock(SPEED, day.first_start - dt.timedelta(minutes=75))
            run = airflow.api(
                "POST",
                f"/dags/{LIVE}/dagRuns",
                json={
                    "dag_run_id": "live_day",
                    "logical_date": f"{DAY}T14:00:00Z",
                    "conf": {"game_date": DAY.isoformat(), "clock_speed": SPEED},
                },
            )
            # mid-game (an hour after the first pitch), the triggerer dies and another starts
            first_pitch = day.clock.real_time(day.first_start + dt.timedelta(minutes=65))
            time.sleep(max(0.0, first_pitch - time.time()))
            killed = triggerers(airflow.process.pid)
            assert killed, "no triggerer under airflow standalone"
            for p in killed:
                p.kill()
            killed_at = time.time()
            time.sleep(3)
            triggerer = subprocess.Popen(
                [sys.executable, "-m", "airflow", "triggerer"],
                env=env,
                cwd=root,
                stdout=triggerer_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            finished = wait_for(airflow, LIVE, run["dag_run_id"], timeout=600)
            landings = wait_for_landings(airflow, timeout=300)
            tasks = airflow.api("GET", f"/dags/{LIVE}/dagRuns/live_day/taskInstances", params={"limit": 100})
        finally:
            if triggerer is not None:
                os.killpg(triggerer.pid, signal.SIGTERM)
                triggerer.wait(60)
            triggerer_log.close()
            airflow.stop()
        yield {
            "root": root,
            "env": env,
            "day": day,
            "server": server,
            "described": {g["gamePk"]: g for g in day.describe()["games"]},
            "log": server.requests(),
            "run": finished,
            "tasks": tasks["task_instances"],
            "landings": landings,
            "killed_at": killed_at,
        }


def wait_for(airflow, dag_id: str, run_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = airflow.api("GET", f"/dags/{dag_id}/dagRuns/{quote(run_id)}")
        if run["state"] in ("success", "failed"):
            return run
        time.sleep(3)
    raise AssertionError(f"{dag_id} {run_id} not finished in {timeout:g}s\n{airflow.tail()}")


def wait_for_landings(airflow, timeout: float) -> list[dict]:
    """The landing runs, once every one has finished and no asset event waits for another."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = airflow.api("GET", f"/dags/{LAND}/dagRuns", params={"limit": 100})["dag_runs"]
        queued = airflow.api("GET", f"/dags/{LAND}/assets/queuedEvents")["queued_events"] if runs else []
        if runs and not queued and all(r["state"] in ("success", "failed") for r in runs):
            return runs
        time.sleep(3)
    raise AssertionError(f"the landing runs did not finish in {timeout:g}s\n{airflow.tail()}")


def test_each_game_is_followed_from_pre_game_to_final_and_lands_within_two_minutes(played):
    import duckdb

    assert played["run"]["state"] == "success"
    states = {(t["task_id"], t["map_index"]): t["state"] for t in played["tasks"]}
    assert sorted(s for (task, _), s in states.items() if task == "follow_game") == ["skipped"] + ["success"] * 3
    assert {r["state"] for r in played["landings"]} == {"success"}

    con = duckdb.connect(played["env"]["MLB_DUCKDB_PATH"], read_only=True)
    rows = con.execute(
        "SELECT game_pk, timecode, detailed_state, raw_object FROM raw.live_game_state ORDER BY game_pk, timecode"
    ).fetchall()
    lake = played["root"] / "local" / "lake" / "live" / "games"
    for pk in GAMES:
        timeline = played["described"][pk]["timeline"]
        codes = [v["timecode"] for v in timeline]
        mine = [r for r in rows if r[0] == pk]
        stored = sorted(p.name.split("-")[0] for p in (lake / str(pk)).iterdir())
        # every version from the first seen, stored once and loaded once, the triggerer's death notwithstanding
        assert stored == [r[1] for r in mine] == codes[codes.index(stored[0]) :], pk
        seen = [s for i, (_, _, s, _) in enumerate(mine) if i == 0 or s != mine[i - 1][2]]
        assert seen[0] in ("Scheduled", "Pre-Game") and seen[-1] == ("Postponed" if pk == 2401831 else "Final"), seen
        if pk == 2401818:
            assert "Delayed: Rain" in seen

    # final games landed through the asset event within two minutes of turning final, and graded
    landed = dict(con.execute("SELECT game_pk, ingested_at FROM raw.games WHERE is_final").fetchall())
    assert sorted(landed) == FINAL
    lags = {pk: landed[pk].timestamp() - played["described"][pk]["final_real_time"] for pk in FINAL}
    assert all(0 < lag <= 120 for lag in lags.values()), lags
    graded = con.execute(
        "SELECT DISTINCT run_id FROM ops.quality_grades WHERE game_date = ? AND table_name = 'games' AND promoted",
        [DAY],
    ).fetchall()
    assert {r for (r,) in graded} <= {r["dag_run_id"] for r in played["landings"]} and graded
    con.close()

    # no game polled twice at once: a poll of a game never follows the one before within half the
    # shortest interval (two followers of one game would), the triggerer's restart included
    for pk in GAMES:
        polls = [r["time"] for r in played["log"] if f"/game/{pk}/feed/live/diffPatch" in r["target"]]
        gaps = [b - a for a, b in zip(polls, polls[1:])]
        assert min(gaps) >= 0.5 * 30 / SPEED, (pk, min(gaps))
        down = [g for a, g in zip(polls, gaps) if a <= played["killed_at"] <= a + g]
        assert pk == 2401831 or down, pk  # it was being followed when the triggerer died


def test_the_next_0200_run_collects_nothing_new_and_the_tables_equal_a_day_collected_at_0200(played, tmp_path):
    import json

    from raw_checksums import checksums

    env, server = played["env"], played["server"]
    server.clear_requests()
    conf = {"game_date": DAY.isoformat(), "build_features": False, "fill_gaps": False, "strict": False}
    done = subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "test", "mlb_daily_collection", "--conf", json.dumps(conf)],
        env=env,
        cwd=played["root"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    feeds = [r["target"] for r in server.requests(r"/feed/live")]
    assert not [f for f in feeds if any(str(pk) in f for pk in FINAL)], feeds
    assert "already final in the warehouse" in done.stdout + done.stderr

    # the same day, collected only by the 02:00 path, in a warehouse of its own
    collect_days(server, tmp_path / "only_0200.duckdb", (tmp_path / "lake").as_uri(), [DAY.isoformat()])
    # where each lake keeps its copy, and the row hashes that include it
    ignore = {"raw_object", "schedule_object", "content_hash"}
    live, only_0200 = checksums(env["MLB_DUCKDB_PATH"], ignore), checksums(str(tmp_path / "only_0200.duckdb"), ignore)
    assert set(live) == set(only_0200)
    assert only_0200.pop("live_game_state")[0].startswith("0:") and not live.pop("live_game_state")[0].startswith("0:")
    differ = {t for t in only_0200 if live[t][0] != only_0200[t][0]}
    assert not differ, {t: (live[t][0], only_0200[t][0]) for t in differ}
