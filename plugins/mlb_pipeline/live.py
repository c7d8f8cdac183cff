"""Games followed while they are played (seed 001's live bucket): every version of a game's
feed kept, only what changed asked of the API.

A game's feed is asked in full once; after that ``feed/live/diffPatch?startTimecode=<the
version we hold>`` answers with the JSON Patch steps (RFC 6902) that lead to every later
version, applied with ``jsonpatch``. Each version is written through to the raw zone before
it is used, under ``live/games/<gamePk>/``:

    <timecode>-<sha>.json         a full feed: the first, and a check that differed
    <timecode>-<sha>.patch.json   one patch step as received, onto the version before it

``<sha>`` hashes the version's whole feed (canonical JSON), whichever way it arrived, so an
unchanged poll writes nothing and a version is stored once. Every ``check_every_versions``
versions, when a step does not apply and when the game turns final, a full feed is asked and
compared with the rebuilt one; a difference is counted, stored and followed from there.

:class:`FollowedGame` is the bookkeeping (plain, tested without Airflow); :class:`GameFeedTrigger`
polls in Airflow's triggerer at the interval of the game's state (``config/pipeline.yaml``:
``live``), holding no worker slot, and hands back to its task at every change of state and
every check, so the warehouse's ``raw.live_game_state`` follows the game.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from airflow.triggers.base import BaseTrigger, TriggerEvent

log = logging.getLogger(__name__)

FULL, PATCH = ".json", ".patch.json"
STAT_KEYS = ("polls", "full", "patches", "bytes", "checks", "mismatches", "resyncs")


def feed_sha(doc: dict) -> str:
    """The hash of a feed's content, however its keys were ordered on the wire."""
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def timecode_of(doc: dict) -> str:
    return str((doc.get("metaData") or {}).get("timeStamp") or "")


def poll_state(status: dict, final_states: set[str], postponed_states: set[str]) -> str:
    """Seed 001's state of a game, which sets how often it is asked: ``pre_game``,
    ``warm_up``, ``in_progress``, ``delayed``, ``final`` or ``cancelled`` (postponed, cancelled
    or suspended: nothing more today). "Game Over" is not final yet: the official Final follows."""
    coded, detailed = status.get("codedGameState", ""), status.get("detailedState", "")
    code = status.get("statusCode", "")
    if coded in postponed_states or coded in ("C", "U", "T") or detailed.startswith(("Postponed", "Cancelled")):
        return "cancelled"
    if coded == "F" or (coded in final_states and coded != "O"):
        return "final"
    if "Delayed" in detailed or (code.startswith("I") and len(code) > 1) or code.startswith("PR"):
        return "delayed"
    if code == "PW" or detailed == "Warmup":
        return "warm_up"
    if status.get("abstractGameState") == "Live" or coded == "O":
        return "in_progress"
    return "pre_game"


def state_row(doc: dict, official_date: str, url: str, polled_at: dt.datetime, state: str) -> dict:
    """A version of a game as ``raw.live_game_state`` holds it."""
    status = doc["gameData"]["status"]
    live = doc.get("liveData") or {}
    line = live.get("linescore") or {}
    teams = line.get("teams") or {}
    plays = (live.get("plays") or {}).get("allPlays") or []
    described = [p for p in plays if (p.get("result") or {}).get("description")]
    return {
        "game_pk": int(doc["gamePk"]),
        "official_date": official_date,
        "timecode": timecode_of(doc),
        "polled_at": polled_at,
        "abstract_state": status.get("abstractGameState"),
        "coded_state": status.get("codedGameState"),
        "detailed_state": status.get("detailedState"),
        "poll_state": state,
        "inning": line.get("currentInning"),
        "inning_half": line.get("inningHalf"),
        "outs": line.get("outs"),
        "away_score": (teams.get("away") or {}).get("runs"),
        "home_score": (teams.get("home") or {}).get("runs"),
        "last_play": described[-1]["result"]["description"] if described else None,
        "raw_object": url,
    }


class PatchFailed(ValueError):
    """A patch step that does not apply to the version we hold."""


class NotAFeed(ValueError):
    """A body that is not a game's feed (nor a list of patch steps)."""


@dataclasses.dataclass
class FollowedGame:
    """One game's versions in the raw zone and the feed rebuilt from them.

    ``state_rows`` collects the rows of versions not yet handed to the warehouse; the
    caller takes them with :meth:`take_rows`."""

    zone: Any  # landing.RawZone
    game_pk: int
    official_date: str
    final_states: set[str]
    postponed_states: set[str]
    doc: dict | None = None
    sha: str | None = None
    versions: int = 0  # versions seen since the last check against a full feed
    checked_through: str | None = None  # the last version checked against (or taken as) a full feed
    state_rows: list[dict] = dataclasses.field(default_factory=list)

    @property
    def folder(self):
        return self.zone.root.joinpath("live", "games", str(self.game_pk))

    @property
    def timecode(self) -> str | None:
        return timecode_of(self.doc) if self.doc else None

    @property
    def state(self) -> str:
        if self.doc is None:
            return "pre_game"
        return poll_state(self.doc["gameData"]["status"], self.final_states, self.postponed_states)

    # -- restoring ------------------------------------------------------------------
    def stored(self) -> list[tuple[str, str, str, Any]]:
        """The stored versions, oldest first: (timecode, sha, kind, path); at one timecode a
        full feed comes after the patch step it corrects."""
        folder = self.folder
        try:  # asked afresh: a listing cached in this process (fsspec) would miss the versions written since
            names = folder.fs.ls(folder.path, detail=False, refresh=True)
        except FileNotFoundError:
            return []
        out = []
        for path in (folder / name.rstrip("/").rsplit("/", 1)[-1] for name in names):
            name = path.name
            kind = PATCH if name.endswith(PATCH) else FULL if name.endswith(FULL) else None
            stem = name[: -len(kind)] if kind else ""
            timecode, _, sha = stem.rpartition("-")
            if kind is None or len(timecode) != 15 or timecode[8] != "_" or not sha:
                continue  # not a version (a feed the daily run landed while the game was live)
            out.append((timecode, sha, kind, path))
        return sorted(out, key=lambda v: (v[0], v[2] == FULL))

    def restore(self, reported_through: str | None, checked_through: str | None = None) -> None:
        """Rebuild the current feed from the stored versions (after a restart of the
        triggerer, or a new deferral), with the rows of versions after ``reported_through``;
        the versions after ``checked_through`` count towards the next check."""
        import jsonpatch

        versions = self.stored()
        fulls = [i for i, v in enumerate(versions) if v[2] == FULL]
        if not fulls:
            return
        first = fulls[-1]
        self.doc = orjson.loads(versions[first][3].read_bytes())
        self.checked_through = max(versions[first][0], checked_through or "")
        self._restored_row(versions[first], reported_through)
        for version in versions[first + 1 :]:
            step = orjson.loads(version[3].read_bytes())
            self.doc = jsonpatch.apply_patch(self.doc, step["diff"], in_place=True)
            self._restored_row(version, reported_through)
        self.versions = sum(1 for v in versions[first + 1 :] if v[0] > self.checked_through)
        self.sha = feed_sha(self.doc)

    def _restored_row(self, version, reported_through: str | None) -> None:
        timecode, _, _, path = version
        if reported_through is None or timecode > reported_through:
            stamp = path.stat().st_mtime  # written as it was received; gcsfs says when as a datetime
            stamp = stamp if isinstance(stamp, dt.datetime) else dt.datetime.fromtimestamp(stamp, dt.UTC)
            self.state_rows.append(state_row(self.doc, self.official_date, str(path), stamp, self.state))

    # -- what a poll brought ----------------------------------------------------------
    def _store(self, name: str, body: bytes) -> tuple[str, bool]:
        landed = self.zone.put_named(("live", "games", str(self.game_pk)), name, body)
        return landed.url, landed.written

    def take_full(self, doc: dict, polled_at: dt.datetime) -> bool:
        """A full feed: a new version unless we hold it already. Returns whether it was new."""
        if not isinstance(doc, dict) or "gameData" not in doc or "status" not in doc["gameData"]:
            raise NotAFeed(f"game {self.game_pk}: the answer is not a game feed")
        sha = feed_sha(doc)
        if sha == self.sha:
            return False
        url, _ = self._store(f"{timecode_of(doc)}-{sha}{FULL}", orjson.dumps(doc))
        self.doc, self.sha, self.versions, self.checked_through = doc, sha, 0, timecode_of(doc)
        self.state_rows.append(state_row(doc, self.official_date, url, polled_at, self.state))
        return True

    def take_steps(self, steps: list, polled_at: dt.datetime) -> int:
        """Patch steps, each onto the version before it; each stored before the next is
        applied. Raises :class:`PatchFailed` at a step that does not apply (the steps before it
        are kept)."""
        import jsonpatch
        import jsonpointer

        new = 0
        for step in steps:
            if not isinstance(step, dict) or not isinstance(step.get("diff"), list):
                raise NotAFeed(f"game {self.game_pk}: a patch step is not {{'diff': [...]}}")
            try:
                doc = jsonpatch.apply_patch(self.doc, step["diff"])
            except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
                raise PatchFailed(
                    f"game {self.game_pk}: a patch step does not apply to {self.timecode} ({exc})"
                ) from exc
            sha = feed_sha(doc)
            if sha == self.sha:
                continue
            url, _ = self._store(f"{timecode_of(doc)}-{sha}{PATCH}", orjson.dumps(step))
            self.doc, self.sha = doc, sha
            self.versions += 1
            new += 1
            self.state_rows.append(state_row(doc, self.official_date, url, polled_at, self.state))
        return new

    def check(self, doc: dict, polled_at: dt.datetime) -> bool:
        """Compare the rebuilt feed with the full feed of the same version (``?timecode=``); on
        a difference the full one replaces it (stored as a version of its own) and the game
        goes on from it. Returns whether they were equal."""
        if not isinstance(doc, dict) or "gameData" not in doc or "status" not in doc["gameData"]:
            raise NotAFeed(f"game {self.game_pk}: the answer is not a game feed")
        self.versions, self.checked_through = 0, self.timecode
        if feed_sha(doc) == self.sha:
            return True
        self.sha = None  # the same version, rebuilt wrong
        self.state_rows = [r for r in self.state_rows if r["timecode"] != timecode_of(doc)]
        self.take_full(doc, polled_at)
        return False

    def take_rows(self) -> list[dict]:
        rows, self.state_rows = self.state_rows, []
        return rows


# ------------------------------------------------------------------------------------
# A game day's plan, the landing of final games, pruning
# ------------------------------------------------------------------------------------
def games_to_follow(client, zone, game_date: str, warehouse) -> list[dict]:
    """The games of ``game_date`` to follow: every game its schedule lists (landed raw), less
    those postponed, already final in the warehouse (a run started again) or resumed from an
    earlier date; each as ``{game_pk, official_date, phase}``."""
    from mlb_pipeline.collect import land_schedule
    from mlb_pipeline.gaps import final_games_loaded

    warehouse.ensure_schema()
    games = land_schedule(client, zone, game_date)["games"]
    done = final_games_loaded(warehouse, [g["game_pk"] for g in games])
    out = []
    for g in games:
        why = (
            "postponed"
            if g["is_postponed"]
            else "already final in the warehouse"
            if g["game_pk"] in done
            else f"resumption of a game of {g['resumed_from']}"
            if g["resumed_from"]
            else None
        )
        if why:
            log.info("game %s: not followed (%s)", g["game_pk"], why)
        else:
            out.append({"game_pk": g["game_pk"], "official_date": g["official_date"], "phase": g["phase"]})
    log.info("%s: %d of %d games to follow", game_date, len(out), len(games))
    return out


def plan_final_games(client, zone, warehouse, finished: list[dict]) -> dict:
    """The plan of a landing run (the daily run's plan, for the games that turned final):
    each of their dates' schedule asked again (landed raw), the games final there and not yet
    final in the warehouse to collect (or corrected since it was landed). ``finished``: the
    asset events' extras."""
    from mlb_pipeline.collect import land_schedule
    from mlb_pipeline.gaps import final_games_loaded

    warehouse.ensure_schema()
    wanted: dict[str, set[int]] = {}
    corrected = {int(e["game_pk"]) for e in finished if e.get("corrected")}
    for event in finished:
        wanted.setdefault(event["official_date"], set()).add(int(event["game_pk"]))
    dates = {date: land_schedule(client, zone, date) for date in sorted(wanted)}
    done = final_games_loaded(warehouse, sorted({pk for pks in wanted.values() for pk in pks}))
    collect, skipped = [], []
    for date, day in dates.items():
        by_pk = {g["game_pk"]: g for g in day["games"]}
        for pk in sorted(wanted[date]):
            game = by_pk.get(pk)
            if game is None or not game["is_final"]:
                skipped.append({"game_pk": pk, "reason": f"not final in the schedule of {date}"})
            elif pk in corrected:
                collect.append(dict(game, reason="changed after it turned final (the confirming poll)"))
            elif pk in done:
                skipped.append({"game_pk": pk, "reason": "already final in the warehouse"})
            else:
                collect.append(dict(game, reason="turned final while followed live"))
    for s in skipped:
        log.info("skip game %s: %s", s["game_pk"], s["reason"])
    first = min(dates) if dates else None
    return {
        "game_date": first,
        "season_phase": dates[first]["games"][0]["phase"] if first and dates[first]["games"] else "regular_season",
        "dates": dates,
        "next_day": None,
        "collect": collect,
        "skipped": skipped,
        "statcast_retry": [],
        "reference_retry": {},
    }


def followed_so_far(warehouse, game_pk: int) -> tuple[str | None, dt.datetime | None]:
    """The last version of a game in ``raw.live_game_state`` and when it was seen final: where
    its (re)started task goes on from."""
    [row] = warehouse.query(
        "SELECT max(timecode) AS timecode, max(CASE WHEN poll_state = 'final' THEN polled_at END) AS final_at "
        "FROM raw.live_game_state WHERE game_pk = ?",
        [int(game_pk)],
    )
    return row["timecode"], row["final_at"]


def load_state_rows(warehouse, rows: list[dict]) -> int:
    """A trigger's rows (JSON: times and dates as text) into ``raw.live_game_state``, one scope a
    version (its key): a version loaded twice, by a retried task, replaces itself."""
    if not rows:
        return 0
    items = []
    for r in rows:
        row = {**r, "polled_at": dt.datetime.fromisoformat(r["polled_at"]), "official_date": str(r["official_date"])}
        items.append(("raw.live_game_state", [row], {"game_pk": row["game_pk"], "timecode": row["timecode"]}))
    warehouse.merge_tables(items, source="statsapi_live")
    return len(rows)


def prune_versions(zone, warehouse, retention_days: int, now: dt.datetime | None = None) -> list[int]:
    """Delete the live versions of games final in the warehouse that were loaded more than
    ``retention_days`` ago (their final feed is in current/, graded with the day). Returns the
    games pruned."""
    now = now or dt.datetime.now(dt.UTC)
    folder = zone.root.joinpath("live", "games")
    followed = [int(p.name) for p in folder.iterdir() if p.name.isdigit()] if folder.exists() else []
    if not followed:
        return []
    rows = warehouse.query(
        "SELECT game_pk FROM raw.games WHERE is_final AND list_contains(?, game_pk) AND ingested_at < ?",
        [followed, now - dt.timedelta(days=retention_days)],
    )
    pruned = sorted(int(r["game_pk"]) for r in rows)
    for pk in pruned:
        folder.joinpath(str(pk)).rmdir(recursive=True)
    if pruned:
        log.info(
            "pruned the live versions of %d games landed over %d days ago: %s", len(pruned), retention_days, pruned
        )
    return pruned


# ------------------------------------------------------------------------------------
# The trigger: the polling loop, in Airflow's triggerer
# ------------------------------------------------------------------------------------
def feed_url(base_url: str, game_pk: int) -> str:
    from mlb_pipeline.source import build_url

    return build_url(base_url, "game", {"gamePk": game_pk})


def diff_url(base_url: str, game_pk: int, start_timecode: str) -> str:
    """``feed/live/diffPatch`` from a version. MLB-StatsAPI's table lists endTimecode as
    required too; the API answers with startTimecode alone (the recorded answer of game 533993)."""
    from urllib.parse import urlencode

    return f"{feed_url(base_url, game_pk)}/diffPatch?{urlencode({'startTimecode': start_timecode})}"


class GameFeedTrigger(BaseTrigger):
    """Polls one game at the interval of its state (divided by ``clock_speed``: a double
    playing games faster than real time) until its state changes, a check is due, or it ends;
    then hands back to the task with what it saw (``confirm``: after one poll). Its state is
    its arguments and the versions in the raw zone: a triggerer restarted anywhere goes on
    where it was."""

    def __init__(
        self,
        *,
        game: dict,
        base_url: str,
        lake_url: str,
        live: dict,
        final_states: list[str],
        postponed_states: list[str],
        clock_speed: float = 1.0,
        confirm: bool = False,
        reported_through: str | None = None,
        checked_through: str | None = None,
        next_poll_at: float = 0.0,
        stats: dict | None = None,
    ):
        super().__init__()
        self.game, self.base_url, self.lake_url, self.live = game, base_url, lake_url, live
        self.final_states, self.postponed_states = final_states, postponed_states
        self.clock_speed, self.next_poll_at = float(clock_speed), next_poll_at
        self.reported_through, self.checked_through = reported_through, checked_through
        self.stats, self.confirm = dict(stats or {}), confirm

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "game": self.game,
                "base_url": self.base_url,
                "lake_url": self.lake_url,
                "live": self.live,
                "final_states": self.final_states,
                "postponed_states": self.postponed_states,
                "clock_speed": self.clock_speed,
                "confirm": self.confirm,
                "reported_through": self.reported_through,
                "checked_through": self.checked_through,
                "next_poll_at": self.next_poll_at,
                "stats": self.stats,
            },
        )

    def interval(self, state: str) -> float:
        return float(self.live["poll_interval_s"][state]) / self.clock_speed

    async def run(self) -> AsyncIterator[TriggerEvent]:
        import httpx

        from mlb_pipeline.landing import RawZone

        game = FollowedGame(
            RawZone(self.lake_url),
            int(self.game["game_pk"]),
            self.game["official_date"],
            set(self.final_states),
            set(self.postponed_states),
        )
        started = time.time()
        await asyncio.to_thread(game.restore, self.reported_through, self.checked_through)
        stats = {k: self.stats.get(k, 0) for k in STAT_KEYS}
        started_in, checks = game.state, stats["checks"]
        next_at = self.next_poll_at
        timeout = httpx.Timeout(float(self.live["request_timeout_s"]))
        async with httpx.AsyncClient(timeout=timeout) as http:
            while True:
                await asyncio.sleep(max(0.0, next_at - time.time()))
                polled_at = dt.datetime.now(dt.UTC)
                try:
                    if game.doc is None:
                        await self._full(http, game, stats, polled_at)
                    else:
                        await self._changes(http, game, stats, polled_at)
                    if game.doc is not None and (
                        game.versions >= int(self.live["check_every_versions"])
                        or (game.state == "final" and game.versions)
                    ):
                        await self._check(http, game, stats, polled_at)
                except (httpx.HTTPError, NotAFeed) as exc:
                    yield TriggerEvent(self._event("error", game, stats, next_at, error=str(exc)))
                    return
                state = game.state
                next_at = time.time() + self.interval(state)
                if self.confirm or state != started_in or state in ("final", "cancelled") or stats["checks"] > checks:
                    # Not within seconds of the deferral: Airflow 3.3 can fail a task whose trigger
                    # fires before the scheduler has seen it defer (apache/airflow#67287, #72716).
                    await asyncio.sleep(max(0.0, started + float(self.live["min_deferral_s"]) - time.time()))
                    yield TriggerEvent(self._event(state, game, stats, next_at))
                    return

    async def _get(self, http, url: str, stats: dict) -> tuple[Any, bytes]:
        """One request, retried on connection errors and 429/5xx answers with exponential
        backoff; its JSON and body. A body that is not JSON is quarantined with the reason."""
        import httpx
        from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

        def transient(exc: BaseException) -> bool:
            if isinstance(exc, httpx.HTTPStatusError):
                return exc.response.status_code == 429 or exc.response.status_code >= 500
            return isinstance(exc, httpx.TransportError)

        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(int(self.live["max_retries"]) + 1),
            wait=wait_exponential(multiplier=float(self.live["backoff_factor_s"]), max=16),
            retry=retry_if_exception(transient),
            reraise=True,
        ):
            with attempt:
                response = await http.get(url)
                stats["polls"] += 1
                stats["bytes"] += int(response.headers.get("content-length") or len(response.content))
                response.raise_for_status()
        try:
            return orjson.loads(response.content), response.content
        except orjson.JSONDecodeError as exc:
            raise await self._quarantined(
                url, response.content, NotAFeed(f"{url} answered with a body that is not JSON ({exc})")
            ) from exc

    async def _quarantined(self, url: str, body: bytes, exc: Exception) -> Exception:
        from mlb_pipeline.landing import RawZone

        zone = RawZone(self.lake_url)
        what = f"live_game_{self.game['game_pk']}"
        await asyncio.to_thread(zone.quarantine, self.game["official_date"], what, "feed_live", body, str(exc), url)
        return exc

    async def _full(self, http, game: FollowedGame, stats: dict, polled_at) -> None:
        """The current feed, in full: the first version, or after a step that did not apply."""
        url = feed_url(self.base_url, game.game_pk)
        doc, body = await self._get(http, url, stats)
        stats["full"] += 1
        try:
            await asyncio.to_thread(game.take_full, doc, polled_at)
        except NotAFeed as exc:
            raise await self._quarantined(url, body, exc) from exc

    async def _check(self, http, game: FollowedGame, stats: dict, polled_at) -> None:
        """The full feed of the version we hold, compared with the one rebuilt from patches."""
        url = f"{feed_url(self.base_url, game.game_pk)}?timecode={game.timecode}"
        doc, body = await self._get(http, url, stats)
        stats["full"] += 1
        stats["checks"] += 1
        try:
            same = await asyncio.to_thread(game.check, doc, polled_at)
        except NotAFeed as exc:
            raise await self._quarantined(url, body, exc) from exc
        if not same:
            stats["mismatches"] += 1
            log.warning(
                "game %s: the feed rebuilt from patches differed from the full feed at %s", game.game_pk, game.timecode
            )

    async def _changes(self, http, game: FollowedGame, stats: dict, polled_at) -> None:
        url = diff_url(self.base_url, game.game_pk, game.timecode)
        answer, body = await self._get(http, url, stats)
        stats["patches"] += 1
        try:
            if isinstance(answer, dict):  # the API could not diff from our version: a full feed
                await asyncio.to_thread(game.take_full, answer, polled_at)
            elif isinstance(answer, list):
                await asyncio.to_thread(game.take_steps, answer, polled_at)
            else:
                raise NotAFeed(f"game {game.game_pk}: diffPatch answered with {type(answer).__name__}")
        except NotAFeed as exc:
            raise await self._quarantined(url, body, exc) from exc
        except PatchFailed as exc:
            stats["resyncs"] += 1
            log.warning("%s; asking the full feed", exc)
            await self._full(http, game, stats, polled_at)

    def _event(self, status: str, game: FollowedGame, stats: dict, next_at: float, error: str | None = None) -> dict:
        rows = [
            {**r, "polled_at": r["polled_at"].isoformat(), "official_date": str(r["official_date"])}
            for r in game.take_rows()
        ]
        return {
            "status": status,
            "game_pk": game.game_pk,
            "timecode": game.timecode,
            "checked_through": game.checked_through,
            "detailed_state": game.doc["gameData"]["status"].get("detailedState") if game.doc else None,
            "rows": rows,
            "next_poll_at": next_at,
            "stats": stats,
            "error": error,
        }
