"""Benchmark: a game day followed live (issue #24) against fixed 30-second full-feed polling, side
by side in one run: requests per game, bytes on the wire, versions stored, and the lag from a
game's Final to its rows landed in the warehouse.

    . scripts/env.sh && python benchmarks/bench_live.py [--games 15] [--speed 120] [--workdir DIR]

(after scripts/setup.sh: Airflow imports every DAG, and the daily one needs dbt's manifest.)

* the live follower: a real ``airflow standalone`` (LocalExecutor, SQLite metadata, our DAGs;
  tests/live_airflow.py, as tests/test_live_games.py starts it, scheduled runs on so asset
  events start ``mlb_land_final_games``) runs ``mlb_live_games`` for the day with
  ``{game_date, clock_speed}``: each game followed in the triggerer (a first full feed, then
  ``diffPatch``, a check every ``live.check_every_versions`` versions, one confirming poll after
  Final), every final game landed through the asset event;
* the baseline, in this process: a plain asyncio httpx poller that asks every game's full
  ``feed/live`` every 30 s of game time (30/speed real seconds), from the moment the follower
  first asks for that game until the game is Final (or called off), with httpx's default headers
  as the trigger sends them (``Accept-Encoding: gzip``, so the double gzips both).

Both ask the same double (the simulated league, seed 7, 2024-07-02: 15 games, one rained out, five
held up by rain) playing the day live on one clock, ``--speed`` times real time, from 75 minutes of
game time before the first start; each through a replay server of its own on that double, whose
request log counts each answer's body as sent (gzipped) and before gzip. The follower's requests
are told apart by URL: ``diffPatch`` polls (the one after its follow_game task ended: the
confirming poll), ``feed/live?timecode=`` checks, plain ``feed/live`` full feeds (after the task
ended: the landing run's). Mismatches: full feeds stored at a patch step's timecode (the
trigger's own counts, in the follow_game tasks' XComs, start again with a retried task). Versions
stored: the files under ``live/games/<gamePk>/``, against the same versions each kept as a full
feed (the double's documents, serialised as stored). Lag: the double's real time of the game's
Final to ``raw.games.ingested_at`` (DuckDB, read once Airflow is stopped), in real seconds:
Airflow's scheduling does not speed up with the clock.

At x120 a hand-back to the task (a state change, a check) pauses a game's polls for seconds, many
minutes of game time (a retry's 30 s: an hour), so the follower's measured requests are fewer than
it would make at real speed; a second table computes both pollers at x1 on the same timelines from
the same first polls (no pauses, every answer sized as the double sends it). Prints Markdown
tables for docs/BENCHMARKS.md (per game on stderr); ``--workdir`` keeps Airflow's logs and both
request logs (requests-*.json).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))
sys.path.insert(0, str(REPO / "devtools"))  # the API double (mlb_replay): never deployed
sys.path.insert(0, str(REPO / "tests"))

DAY = dt.date(2024, 7, 2)
LIVE, LAND = "mlb_live_games", "mlb_land_final_games"
RUN_ID = "live_day"
BASELINE_INTERVAL_S = 30  # game seconds between two full feeds of the baseline
LEAD = dt.timedelta(minutes=75)  # the clock starts this long before the first scheduled start
FEED = re.compile(r"/api/v1\.1/game/(\d+)/feed/live(/diffPatch)?(\?.*)?$")


def since(stamp: str | None) -> float | None:
    return None if stamp is None else dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def med(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def kb(n: float) -> str:
    return f"{n / 1e3:,.0f} kB" if n < 1e6 else f"{n / 1e6:,.1f} MB"


# ------------------------------------------------------------------ the baseline ----
class Baseline(threading.Thread):
    """Every game's full feed every ``interval`` real seconds, from the follower's first request
    for it (watched in ``follower_log``) until the feed says Final or called off; in a thread with
    its own event loop (its CPU time: ``cpu_s``)."""

    def __init__(self, url: str, pks: list[int], interval: float, follower_server, timeout: float):
        super().__init__(name="baseline-poller", daemon=True)
        self.url, self.pks, self.interval, self.follower, self.timeout = url, pks, interval, follower_server, timeout
        self.started: dict[int, float] = {}
        self.ended: dict[int, float] = {}
        self.late: list[float] = []  # how late each request left against its schedule
        self.cpu_s = 0.0
        self.error: BaseException | None = None

    def run(self):
        cpu = time.thread_time()
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            self.error = exc
        self.cpu_s = time.thread_time() - cpu

    async def _main(self):
        import httpx

        from mlb_pipeline.live import feed_url

        deadline = time.time() + self.timeout
        firsts: dict[int, asyncio.Future] = {pk: asyncio.get_running_loop().create_future() for pk in self.pks}

        async def watch():  # the follower's first request of each game, as the double logged it
            seen = 0
            while not all(f.done() for f in firsts.values()) and time.time() < deadline:
                log = self.follower.requests(r"/feed/live")
                for r in log[seen:]:
                    m = FEED.search(r["target"])
                    pk = int(m.group(1)) if m else None
                    if pk in firsts and not firsts[pk].done():
                        firsts[pk].set_result(r["time"])
                seen = len(log)
                await asyncio.sleep(0.05)

        async def poll(http, pk: int):
            t0 = await firsts[pk]
            self.started[pk] = t0
            url, n = feed_url(self.url, pk), 0
            while time.time() < deadline:
                at = t0 + n * self.interval
                await asyncio.sleep(max(0.0, at - time.time()))
                self.late.append(time.time() - at)
                response = await http.get(url)
                response.raise_for_status()
                n += 1
                if detailed_state(response.content) in ("Final", "Postponed", "Cancelled"):
                    self.ended[pk] = time.time()
                    return

        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:  # the trigger's defaults
            watcher = asyncio.create_task(watch())
            await asyncio.gather(*(poll(http, pk) for pk in self.pks))
            watcher.cancel()


def detailed_state(body: bytes) -> str:
    """``gameData.status.detailedState``: the first ``detailedState`` of a feed (metaData has none)."""
    at = body.find(b'"detailedState":"')
    return body[at + 17 : body.find(b'"', at + 17)].decode() if at >= 0 else ""


# ---------------------------------------------------------------------- Airflow ----
def triggerer_processes(pid: int) -> list:
    """The triggerer processes under ``pid`` (``airflow standalone``) and their children."""
    import psutil

    found = {}
    for p in psutil.Process(pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "triggerer" in " ".join(p.cmdline()):
                for q in [p, *p.children(recursive=True)]:
                    found[q.pid] = q
    return list(found.values())


def cpu_seconds(processes) -> dict[int, float]:
    import psutil

    out = {}
    for p in processes:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
    return out


def wait_until(what: str, done, timeout: float, airflow) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = done()
        if result:
            return result
        assert airflow.process.poll() is None, airflow.tail()
        time.sleep(3)
    raise RuntimeError(f"{what}: not done in {timeout:g}s\n{airflow.tail()}")


def xcom(airflow, dag_id: str, task_id: str, map_index: int = -1):
    import json

    response = airflow.client.get(
        f"/api/v2/dags/{dag_id}/dagRuns/{RUN_ID}/taskInstances/{task_id}/xcomEntries/return_value",
        params={"map_index": map_index},
    )
    if response.status_code == 404:
        return None
    response.raise_for_status()
    value = response.json()["value"]
    return json.loads(value) if isinstance(value, str) else value


def play_the_day(args, day, server, baseline_server, root: Path) -> dict:
    from live_airflow import LiveAirflow, standalone_env

    from mlb_replay.live import LiveClock

    env = standalone_env(root, server.url)
    env["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] = "True"  # asset events start the landing runs
    airflow = LiveAirflow(root, env)
    out: dict = {"env": env}
    try:
        t = time.monotonic()
        airflow.wait_until_ready()
        out["airflow_up_s"] = time.monotonic() - t
        for dag_id in (LIVE, LAND):
            airflow.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        server.clear_requests()
        baseline_server.clear_requests()
        day.clock = LiveClock(args.speed, day.first_start - LEAD)
        described = day.describe()
        out["described"] = {g["gamePk"]: g for g in described["games"]}
        finals = [g["final_real_time"] for g in described["games"] if g["final_real_time"]]
        day_s = max(finals) - day.clock.real_start
        print(f"{day.summary()}; the day lasts {day_s:.0f} s", file=sys.stderr, flush=True)
        baseline = Baseline(baseline_server.url, list(day.games), BASELINE_INTERVAL_S / args.speed, server, day_s + 300)
        baseline.start()
        import psutil

        triggerer = triggerer_processes(airflow.process.pid)
        cpu_before = cpu_seconds(triggerer)
        machine_before = psutil.cpu_times()
        self_before = time.process_time()
        airflow.api(
            "POST",
            f"/dags/{LIVE}/dagRuns",
            json={
                "dag_run_id": RUN_ID,
                "logical_date": f"{DAY}T14:00:00Z",
                "conf": {"game_date": DAY.isoformat(), "clock_speed": args.speed},
            },
        )

        def run_finished():
            run = airflow.api("GET", f"/dags/{LIVE}/dagRuns/{RUN_ID}")
            return run if run["state"] in ("success", "failed") else None

        out["run"] = wait_until("mlb_live_games", run_finished, day_s + 900, airflow)

        def landings_finished():
            runs = airflow.api("GET", f"/dags/{LAND}/dagRuns", params={"limit": 100})["dag_runs"]
            queued = airflow.api("GET", f"/dags/{LAND}/assets/queuedEvents")["queued_events"] if runs else []
            return runs if runs and not queued and all(r["state"] in ("success", "failed") for r in runs) else None

        out["landings"] = wait_until("the landing runs", landings_finished, 600, airflow)
        out["done_at"] = time.time()
        cpu_after = cpu_seconds(triggerer_processes(airflow.process.pid))
        out["triggerer_cpu_s"] = sum(cpu_after.values()) - sum(cpu_before.get(pid, 0.0) for pid in cpu_after)
        machine = psutil.cpu_times()
        busy = lambda c: c.user + c.system + c.nice + getattr(c, "irq", 0) + getattr(c, "softirq", 0)  # noqa: E731
        out["machine_busy_s"] = busy(machine) - busy(machine_before)
        out["self_cpu_s"] = time.process_time() - self_before
        out["day_wall_s"] = out["done_at"] - day.clock.real_start
        out["tis"] = airflow.api("GET", f"/dags/{LIVE}/dagRuns/{RUN_ID}/taskInstances", params={"limit": 100})[
            "task_instances"
        ]
        out["land_tis"] = {
            r["dag_run_id"]: airflow.api(
                "GET", f"/dags/{LAND}/dagRuns/{quote(r['dag_run_id'])}/taskInstances", params={"limit": 100}
            )["task_instances"]
            for r in out["landings"]
        }
        out["planned"] = xcom(airflow, LIVE, "plan_live_games")
        out["followed"] = {
            t["map_index"]: xcom(airflow, LIVE, "follow_game", t["map_index"])
            for t in out["tis"]
            if t["task_id"] == "follow_game"
        }
        baseline.join(timeout=60)
        if baseline.error is not None:
            raise RuntimeError(f"the baseline poller failed: {baseline.error!r}")
        out["baseline"] = baseline
    finally:
        airflow.stop()
    return out


# ------------------------------------------------------------------------ model ----
class Model:
    """What following a game costs at real speed (x1), computed on the double's timeline from the
    follower's first poll: polls at the configured interval of the state last seen, no hand-back
    pauses, every answer sized as the double sends it (orjson, gzipped above 1 kB)."""

    def __init__(self, day, live: dict, seasons: dict):
        self.day, self.live = day, live
        self.final, self.postponed = set(seasons["final_coded_states"]), set(seasons["postponed_coded_states"])
        self.every = int(live["check_every_versions"])
        self._full: dict[tuple[int, int], tuple[int, int]] = {}

    @staticmethod
    def wire(body: bytes) -> tuple[int, int]:
        import gzip

        return (len(gzip.compress(body, compresslevel=1)) if len(body) > 1024 else len(body)), len(body)

    def full(self, pk: int, i: int) -> tuple[int, int]:
        import orjson

        if (pk, i) not in self._full:
            self._full[pk, i] = self.wire(orjson.dumps(self.day.doc(pk, i)))
        return self._full[pk, i]

    def diff(self, pk: int, i: int, j: int) -> tuple[int, int]:
        game = self.day.games[pk]
        return self.wire(b"[" + b",".join(self.day._patch(game, k) for k in range(i, j)) + b"]")

    def state(self, pk: int, i: int) -> str:
        from mlb_pipeline.live import poll_state
        from mlb_replay.live import status

        return poll_state(status(self.day.timeline(pk)[i].state), self.final, self.postponed)

    def at(self, pk: int, moment: dt.datetime) -> int:
        import bisect

        return max(0, bisect.bisect_right([v.at for v in self.day.timeline(pk)], moment) - 1)

    def follower(self, pk: int, start: dt.datetime) -> dict:
        """The trigger's requests at x1: a poll at its state's interval, a check every
        ``check_every_versions`` versions and at Final, the confirming poll."""
        out = {"requests": 1, "checks": 0, "bytes": 0, "raw": 0}

        def add(size):
            out["bytes"], out["raw"] = out["bytes"] + size[0], out["raw"] + size[1]

        t, i = start, self.at(pk, start)
        add(self.full(pk, i))
        since, state = 0, self.state(pk, i)
        while state not in ("final", "cancelled"):
            t += dt.timedelta(seconds=float(self.live["poll_interval_s"][state]))
            j = self.at(pk, t)
            out["requests"] += 1
            add(self.diff(pk, i, j))
            since, i = since + j - i, j
            state = self.state(pk, i)
            if since >= self.every or (state == "final" and since):
                out["requests"], out["checks"], since = out["requests"] + 1, out["checks"] + 1, 0
                add(self.full(pk, i))
        if state == "final":  # the confirming poll: nothing new
            out["requests"] += 1
            add(self.diff(pk, i, i))
        return out

    def baseline(self, pk: int, start: dt.datetime) -> dict:
        out, t = {"requests": 0, "checks": 0, "bytes": 0, "raw": 0}, start
        while True:
            i = self.at(pk, t)
            size = self.full(pk, i)
            out["requests"], out["bytes"], out["raw"] = (
                out["requests"] + 1,
                out["bytes"] + size[0],
                out["raw"] + size[1],
            )
            if self.state(pk, i) in ("final", "cancelled"):
                return out
            t += dt.timedelta(seconds=BASELINE_INTERVAL_S)


# ---------------------------------------------------------------------- numbers ----
def game_of(target: str) -> int | None:
    m = FEED.search(target)
    return int(m.group(1)) if m else None


def measure(args, day, played: dict, follower_log: list[dict], baseline_log: list[dict], root: Path) -> dict:
    import duckdb
    import orjson

    from mlb_pipeline.settings import load_config

    live_cfg, seasons = load_config("pipeline")["live"], load_config("seasons")
    model = Model(day, live_cfg, seasons)
    planned = played["planned"] or []
    by_index = {i: int(g["game_pk"]) for i, g in enumerate(planned)}
    tis = {(t["task_id"], by_index.get(t["map_index"])): t for t in played["tis"]}
    followed = {by_index[i]: x for i, x in played["followed"].items() if x}
    described = played["described"]
    con = duckdb.connect(played["env"]["MLB_DUCKDB_PATH"], read_only=True)
    landed = {
        pk: (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).timestamp()
        for pk, at in con.execute("SELECT game_pk, ingested_at FROM raw.games WHERE is_final").fetchall()
    }
    state_rows = dict(con.execute("SELECT game_pk, count(*) FROM raw.live_game_state GROUP BY 1").fetchall())
    con.close()
    loads = []  # (its start, load_raw_tables' start and end)
    for run in played["landings"]:
        load = next((t for t in played["land_tis"][run["dag_run_id"]] if t["task_id"] == "load_raw_tables"), {})
        loads.append((since(run["start_date"]), since(load.get("start_date")), since(load.get("end_date"))))
    lake = root / "local" / "lake" / "live" / "games"
    games = {}
    for pk in day.games:
        follow, confirm = tis.get(("follow_game", pk)) or {}, tis.get(("confirm_final", pk)) or {}
        follow_end = since(follow.get("end_date")) or float("inf")
        kinds = {k: [0, 0, 0] for k in ("diffPatch", "full", "check", "confirm", "landing")}  # requests, bytes, raw
        polls = []
        for r in follower_log:
            m = FEED.search(r["target"])
            if not m or int(m.group(1)) != pk:
                continue
            if m.group(2):
                kind = "confirm" if r["time"] > follow_end else "diffPatch"
                polls.append(r["time"])
            elif m.group(3) and "timecode=" in m.group(3):
                kind = "check"
            else:
                kind = "full" if r["time"] <= follow_end else "landing"
            counts = kinds[kind]
            counts[0], counts[1], counts[2] = counts[0] + 1, counts[1] + r["bytes"], counts[2] + r["raw_bytes"]
        mine = [r for r in baseline_log if game_of(r["target"]) == pk]
        follower = [sum(kinds[k][n] for k in ("diffPatch", "full", "check", "confirm")) for n in range(3)]
        # versions stored, against each kept as a full feed; a full feed at a patch's timecode: a mismatch
        files = sorted((lake / str(pk)).iterdir()) if (lake / str(pk)).exists() else []
        index = day.games[pk].index
        codes = [v.timecode for v in day.timeline(pk)]
        stored = sorted({f.name.split("-")[0] for f in files})
        fulls = [f.name.split("-")[0] for f in files if not f.name.endswith(".patch.json")]
        patched = {f.name.split("-")[0] for f in files if f.name.endswith(".patch.json")}
        final_at = described[pk]["final_real_time"]
        timeline = described[pk]["timeline"]
        ended_at = final_at or timeline[-1]["real_time"]  # Final, or called off
        first = next((r["time"] for r in follower_log if game_of(r["target"]) == pk), None)
        landing = None  # the start of the landing run that loaded it
        for run_start, load_start, load_end in loads:
            if pk in landed and load_start and load_end and load_start - 1 <= landed[pk] <= load_end + 1:
                landing = run_start
        # pauses: a gap between two polls of a game, from its first pitch to its Final, over twice
        # the interval of its state (a hand-back to the task and its resume, a retry)
        first_pitch = next((v["real_time"] for v in timeline if v["state"] == "In Progress"), None)
        playing = [t for t in polls if first_pitch and final_at and first_pitch <= t <= final_at]
        pauses = [b - a for a, b in zip(playing, playing[1:]) if b - a > 2 * interval_at(a, timeline) / args.speed]
        start = day.clock.game_start + dt.timedelta(seconds=((first or 0) - day.clock.real_start) * day.clock.speed)
        stats = (followed.get(pk) or {}).get("stats") or {}
        games[pk] = {
            "state": follow.get("state"),
            "tries": (follow.get("try_number") or 1, confirm.get("try_number") or 1),
            "kinds": kinds,
            "follower": follower,
            "baseline": [len(mine), sum(r["bytes"] for r in mine), sum(r["raw_bytes"] for r in mine)],
            "model": {
                "design": model.follower(pk, start),
                "baseline": model.baseline(pk, start),
            }
            if first
            else None,
            "files": len(files),
            "disk": sum(f.stat().st_size for f in files),
            "full_size": sum(len(orjson.dumps(day.doc(pk, index[c]))) for c in stored),
            "complete": bool(stored) and stored == codes[codes.index(stored[0]) :],
            "versions": len(codes),
            "state_rows": state_rows.get(pk, 0),
            "mismatches": sum(c in patched for c in fulls),
            "extra_fulls": len(fulls) - 1 - sum(c in patched for c in fulls),
            "xcom": stats,
            "final_at": final_at,
            "ended_at": ended_at,
            "follow_end": since(follow.get("end_date")),
            "landed": landed.get(pk),
            "lag": landed[pk] - final_at if pk in landed and final_at else None,
            "landing_start": landing,
            "pauses": pauses,
            "rain": any(v["state"] == "Delayed: Rain" for v in timeline),
        }
    return games


def interval_at(moment: float, timeline: list[dict]) -> float:
    """The follower's interval (game seconds) in the state of the version current at ``moment``."""
    from mlb_pipeline.live import poll_state
    from mlb_pipeline.settings import load_config
    from mlb_replay.live import status

    seasons, live = load_config("seasons"), load_config("pipeline")["live"]
    state = next((v["state"] for v in reversed(timeline) if v["real_time"] <= moment), timeline[0]["state"])
    polled = poll_state(status(state), set(seasons["final_coded_states"]), set(seasons["postponed_coded_states"]))
    return float(live["poll_interval_s"][polled])


def report(args, played: dict, games: dict, follower_log: list[dict], wall_s: float) -> None:
    finals = [pk for pk, g in games.items() if g["final_at"]]
    n = len(games)
    count = lambda v: f"{v:,.0f}"  # noqa: E731

    def cells(f, fmt):
        return [fmt(med(f(games[pk]) for pk in finals)), fmt(sum(f(g) for g in games.values()))]

    def ratio(f, b):
        total_f, total_b = sum(f(g) for g in games.values()), sum(b(g) for g in games.values())
        return f"{total_f / total_b:.2f}" if total_b else ""

    print(
        f"\n{n} games of {DAY} (simulated league, seed 7; {len(finals)} played to Final, {n - len(finals)} "
        f"rained out), clock x{args.speed:g}; medians over the {len(finals)} final games, totals over the day.\n"
    )
    print(f"Measured (the doubles' request logs), x{args.speed:g}:\n")
    print(
        "| | live follower, median a game | live follower, day | 30-s full feeds, median a game "
        "| 30-s full feeds, day | follower / 30-s polling |"
    )
    print("|---|---|---|---|---|---|")
    rows = [
        ("requests", lambda g: g["follower"][0], lambda g: g["baseline"][0], count),
        ("bytes on the wire (gzip)", lambda g: g["follower"][1], lambda g: g["baseline"][1], kb),
        ("bytes before gzip", lambda g: g["follower"][2], lambda g: g["baseline"][2], kb),
    ]
    for label, f, b, fmt in rows:
        print(f"| {label} | " + " | ".join(cells(f, fmt) + cells(b, fmt) + [ratio(f, b)]) + " |")
    for kind, label in (
        ("diffPatch", "requests: diffPatch polls"),
        ("full", "requests: full feeds (the first; resyncs)"),
        ("check", "requests: checks (`feed/live?timecode=`)"),
        ("confirm", "requests: the confirming poll"),
    ):
        print(f"| {label} | " + " | ".join(cells(lambda g, k=kind: g["kinds"][k][0], count)) + " | | | |")
        if kind == "check":
            print("| bytes: checks | " + " | ".join(cells(lambda g: g["kinds"]["check"][1], kb)) + " | | | |")

    modelled = [g for g in games.values() if g["model"]]
    print("\nComputed for real games (x1, no hand-back pauses) on the same timelines from the same first polls:\n")
    print("| | follower (a check every 20 versions), median / day | 30-s full feeds, median / day | follower / 30-s |")
    print("|---|---|---|---|")
    for key, label, fmt in (
        ("requests", "requests", count),
        ("checks", "of which checks", count),
        ("bytes", "bytes on the wire (gzip)", kb),
        ("raw", "bytes before gzip", kb),
    ):
        out = []
        for which in ("design", "baseline"):
            f = lambda g, w=which, k=key: g["model"][w][k]  # noqa: E731
            out.append(
                f"{fmt(med(f(games[pk]) for pk in finals if games[pk]['model']))} / {fmt(sum(f(g) for g in modelled))}"
            )
        total = {w: sum(g["model"][w][key] for g in modelled) for w in ("design", "baseline")}
        out += [f"{total['design'] / total['baseline']:.2f}" if total["baseline"] else ""]
        print(f"| {label} | " + " | ".join(out) + " |")
    measured_b = [sum(g["baseline"][k] for g in modelled) for k in (0, 1)]
    model_b = [sum(g["model"]["baseline"][k] for g in modelled) for k in ("requests", "bytes")]
    print(
        f"\n(The model against the measured 30-s polling: {model_b[0]:,} requests and {kb(model_b[1])} computed, "
        f"{measured_b[0]:,} and {kb(measured_b[1])} measured.)"
    )

    print("\n| versions stored (`live/games/<gamePk>/`) | median a game | day |")
    print("|---|---|---|")
    for label, f, fmt in (
        ("versions published (the double's timeline)", lambda g: g["versions"], count),
        ("files stored (from the first version seen)", lambda g: g["files"], count),
        ("rows in raw.live_game_state", lambda g: g["state_rows"], count),
        ("bytes on disk (first full feed + patch steps)", lambda g: g["disk"], kb),
        ("bytes if every version were a full feed", lambda g: g["full_size"], kb),
    ):
        print(f"| {label} | " + " | ".join(cells(f, fmt)) + " |")
    disk, full = sum(g["disk"] for g in games.values()), sum(g["full_size"] for g in games.values())
    print(f"| on disk / all full | | {disk / full:.3f} |")
    complete = sum(g["complete"] for g in games.values())
    xchecks = sum(g["xcom"].get("checks", 0) for g in games.values())
    print(
        f"\nEvery version stored from the first seen: {complete} of {n} games. Checks against the full feed: "
        f"{sum(g['kinds']['check'][0] for g in games.values())} (the double's log; follow_game's XComs count "
        f"{xchecks}: a retried task counts afresh); mismatches {sum(g['mismatches'] for g in games.values())} "
        f"(full feeds stored at a patch step's timecode; XComs: "
        f"{sum(g['xcom'].get('mismatches', 0) for g in games.values())}), other full feeds stored "
        f"{sum(g['extra_fulls'] for g in games.values())}."
    )

    lags = [games[pk]["lag"] for pk in finals if games[pk]["lag"] is not None]
    print(f"\n| Final to rows landed (`raw.games.ingested_at`), real seconds at x{args.speed:g} | median | max |")
    print("|---|---|---|")
    parts = {
        "Final to follow_game done (its last polls, the hand-back, the task resumed)": lambda g: (
            g["follow_end"] - g["final_at"]
        ),
        "follow_game done to its landing run started (asset event, a landing run before it)": lambda g: (
            g["landing_start"] - g["follow_end"]
        ),
        "landing run started to rows landed (plan, collect, load)": lambda g: g["landed"] - g["landing_start"],
    }
    whole = [games[pk] for pk in finals if games[pk]["landing_start"] and games[pk]["follow_end"]]
    for label, f in parts.items():
        values = [f(g) for g in whole]
        print(f"| {label} | {med(values):.1f} s | {max(values):.1f} s |")
    print(f"| **Final to rows landed** | **{med(lags):.1f} s** | **{max(lags):.1f} s** |")
    durations: dict[str, list[float]] = {}
    land_retries = 0
    for run in played["landings"]:
        for t in played["land_tis"][run["dag_run_id"]]:
            land_retries += (t.get("try_number") or 1) - 1
            if t["start_date"] and t["end_date"]:
                durations.setdefault(t["task_id"], []).append(since(t["end_date"]) - since(t["start_date"]))
    print(
        f"\n{len(lags)} of {len(finals)} final games landed, in {len(played['landings'])} landing runs "
        f"({', '.join(sorted({r['state'] for r in played['landings']}))}); their steps, median: "
        + ", ".join(f"{k} {med(v):.1f} s" for k, v in durations.items())
        + "."
    )
    follow_retries = sum(g["tries"][0] - 1 for g in games.values())
    confirm_retries = sum(g["tries"][1] - 1 for g in games.values())
    pauses = [p for g in games.values() for p in g["pauses"]]
    print(
        f"\nRetries: follow_game {follow_retries} (in {sum(g['tries'][0] > 1 for g in games.values())} games, "
        f"up to try {max(g['tries'][0] for g in games.values())}), confirm_final {confirm_retries}, landing tasks "
        f"{land_retries}; the scheduler logged {played['changed_externally']} times that a task it found queued or "
        f"running had finished (Airflow's 'task state changed externally'). Pauses in a game's polls from its first "
        f"pitch to its Final (a gap over twice its state's interval): {len(pauses)}, median {med(pauses):.1f} s, "
        f"max {max(pauses, default=0):.1f} s real."
    )
    landing_reqs = sum(g["kinds"]["landing"][0] for g in games.values())
    others = [r for r in follower_log if not FEED.search(r["target"])]
    baseline = played["baseline"]
    print(
        f"\nRequests of the plan and the landing runs besides: {landing_reqs} final feeds, {len(others)} others "
        f"(schedules, Savant), {kb(sum(r['bytes'] for r in others))} on the wire. CPU: triggerer "
        f"{played['triggerer_cpu_s']:.0f} s over the day's {played['day_wall_s']:.0f} s; the machine (2 cores) "
        f"{played['machine_busy_s']:.0f} s busy ({100 * played['machine_busy_s'] / (2 * played['day_wall_s']):.0f} %); "
        f"this process (both doubles, the baseline) {played['self_cpu_s']:.0f} s, of which the baseline poller "
        f"{baseline.cpu_s:.0f} s; its requests left late by {med(baseline.late) * 1e3:.0f} ms median, "
        f"{max(baseline.late, default=0) * 1e3:.0f} ms max. Airflow up in {played['airflow_up_s']:.0f} s; the whole "
        f"run {wall_s / 60:.1f} min."
    )
    print(
        "\n| game | rain | follow_game | tries | versions | follower req | kB | 30-s req | kB | checks | lag s |",
        file=sys.stderr,
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|", file=sys.stderr)
    for pk, g in games.items():
        print(
            f"| {pk} | {'yes' if g['rain'] else ''} | {g['state']} | {g['tries'][0]}, {g['tries'][1]} | "
            f"{g['files']}/{g['versions']} | {g['follower'][0]} | {g['follower'][1] / 1e3:.0f} | "
            f"{g['baseline'][0]} | {g['baseline'][1] / 1e3:.0f} | {g['kinds']['check'][0]} | "
            f"{'' if g['lag'] is None else round(g['lag'], 1)} |",
            file=sys.stderr,
        )


def log_errors(root: Path) -> int:
    """Error lines of the task logs and the standalone's output, on stderr; the scheduler's
    'task state changed externally' errors counted."""
    hits, changed = [], 0
    for f in sorted((root / "airflow" / "logs").rglob("*.log")) + [root / "standalone.log"]:
        with contextlib.suppress(OSError):
            for line in f.read_text(errors="replace").splitlines():
                if "but the task instance's state attribute is" in line and "SchedulerJobRunner]" in line:
                    changed += 1
                if '"level":"error"' in line or "[error" in line or " ERROR " in line:
                    hits.append(f"{f.relative_to(root)}: {line[:300]}")
    print(f"\n{len(hits)} error lines in the logs", file=sys.stderr)
    for line in hits[:20]:
        print("  " + line, file=sys.stderr)
    return changed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--games", type=int, help="the first N games of the day by start (default: all 15)")
    ap.add_argument("--speed", type=float, default=120, help="the double's clock speed (default 120)")
    ap.add_argument("--workdir", help="a new folder to work in and keep (default: a temporary one)")
    args = ap.parse_args()

    import orjson

    from mlb_replay.live import LiveClock, LiveDay
    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    started = time.monotonic()
    league = League(7, [2024])
    # a clock for now; the real one is set when the run is triggered
    day = LiveDay(league, DAY, LiveClock(1e-6, dt.datetime(2024, 7, 2, 12, tzinfo=dt.UTC)), args.games)
    backend = SimulatedBackend(league, day)
    with (
        ReplayServer(backend) as server,
        ReplayServer(backend) as baseline_server,  # the same double, a request log of its own
        tempfile.TemporaryDirectory(prefix="bench-live-") as tmp,
    ):
        root = Path(args.workdir or tmp)
        root.mkdir(parents=True, exist_ok=not args.workdir)
        played = play_the_day(args, day, server, baseline_server, root)
        follower_log, baseline_log = server.requests(), baseline_server.requests()
        for name, log in (("follower", follower_log), ("baseline", baseline_log)):
            (root / f"requests-{name}.json").write_bytes(orjson.dumps(log))
        played["changed_externally"] = log_errors(root)
        games = measure(args, day, played, follower_log, baseline_log, root)
        report(args, played, games, follower_log, time.monotonic() - started)


if __name__ == "__main__":
    main()
