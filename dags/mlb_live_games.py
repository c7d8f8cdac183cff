"""
### MLB live games

Follows every game of a game day while it is played, so the raw zone keeps every version of
its feed and a finished game lands within minutes instead of at the next 02:00 run.

A run's game date is its logical date (10:00 America/New_York, `live.start_at`); a manual
trigger may set `game_date`.

1. **plan_live_games**: the day's schedule, landed raw; the games to follow (not postponed, not
   already final in the warehouse). First, the live versions of games landed more than
   `live.retention_days` ago are deleted.
2. **follow_game** (one a game): a deferrable task. Its trigger polls the game in Airflow's
   triggerer, holding no worker slot, at the interval of the game's state (`live.poll_interval_s`:
   pre-game 5 min, warm-up 1 min, in progress 30 s, delayed 2 min), asking the API only for
   what changed (`diffPatch`, JSON Patch) after a first full feed, and checking the rebuilt
   feed against a full one every `live.check_every_versions` versions. Every version is
   written to `live/games/<gamePk>/` before it is used; at each change of state and each check
   the task loads their rows into `raw.live_game_state` and defers again. When the game is
   final it emits the asset event **mlb_final_games**, which starts `mlb_land_final_games`:
   the game's raw tables, Statcast and grading within minutes. A postponed or suspended game
   is skipped. A restarted triggerer goes on from the versions in the raw zone.
3. **confirm_final** (one a game, once every game is done): one more poll of each final game,
   `live.poll_interval_s.final` after it turned final; a change since (a scorer's correction)
   is stored and lands the game again.

**Alerts**: a failed task emails the on-call address; so does a run still going 20 hours after
it was queued (`alerts.expected_minutes`), and a landing run after 15 minutes.

The `clock_speed` param divides every interval: for a double that plays games faster than
real time (`python -m mlb_replay --live DATE --clock-speed 120`).
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import DAG, CronTriggerTimetable, Param

from mlb_pipeline.alerts import deadlines, task_failed
from mlb_pipeline.operators import FINAL_GAMES, FollowGameOperator, PlanLiveGamesOperator
from mlb_pipeline.settings import load_config

CONFIG = load_config("pipeline")
TZ = CONFIG["schedules"]["timezone"]
HOUR, MINUTE = CONFIG["live"]["start_at"].split(":")

with DAG(
    dag_id="mlb_live_games",
    schedule=CronTriggerTimetable(f"{int(MINUTE)} {int(HOUR)} * * *", timezone=TZ),
    start_date=pendulum.datetime(2015, 1, 1, tz=TZ),
    catchup=False,
    # a day's games may run past the next morning's start; two days never follow one game
    max_active_runs=2,
    default_args={
        "retries": 3,
        "retry_delay": dt.timedelta(seconds=30),
        "owner": "mlb-data",
        "on_failure_callback": task_failed,
    },
    deadline=deadlines("mlb_live_games"),
    params={
        "game_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Game date",
            description="Follow the games of this date (YYYY-MM-DD) instead of the run's logical date.",
        ),
        "clock_speed": Param(
            1,
            type="number",
            minimum=1,
            title="Clock speed",
            description="Divide every poll interval by this: 1 for real games; a double playing games "
            "N times faster than real time needs N.",
        ),
    },
    tags=["mlb", "live"],
    doc_md=__doc__,
) as dag:
    plan = PlanLiveGamesOperator(task_id="plan_live_games")
    follow = FollowGameOperator.partial(
        task_id="follow_game", outlets=[FINAL_GAMES], clock_speed="{{ params.clock_speed }}"
    ).expand(game=plan.output)
    confirm = FollowGameOperator.partial(
        task_id="confirm_final",
        confirm=True,
        outlets=[FINAL_GAMES],
        clock_speed="{{ params.clock_speed }}",
        trigger_rule="all_done",
    ).expand(game=plan.output)

    plan >> follow >> confirm
