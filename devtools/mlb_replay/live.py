"""A game day played live, in accelerated time: each game's feed changes play by play.

The pipeline follows games while they are played (issue #24): it polls a game's
``feed/live/diffPatch`` for what changed since the version it has. :class:`LiveDay` gives each
game of a date a timeline of versions of its feed, in the order of the real API's states, at
game times that a :class:`LiveClock` maps to real ones; the server (mlb_replay.server) answers
with the version current at the clock's now. A game's last version is the league's own final
feed (``League.feed_doc``), byte for byte: following a game live ends where collecting it
after the fact does.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import threading
import time

import jsonpatch
import orjson

from mlb_replay.simulate import FINAL_AFTER, GAME_OVER_AFTER, SAVANT_COLUMNS, Game, League, PlayedGame, _ordinal

TIMECODE = "%Y%m%d_%H%M%S"  # the API's timecodes: UTC, to the second
# When a game's feed changes state, from its scheduled start (In Progress: at first pitch, then
# at the end of each play; Game Over and Final: simulate.GAME_OVER_AFTER and FINAL_AFTER).
SCHEDULED_FROM = dt.timedelta(hours=3)
PRE_GAME_FROM = dt.timedelta(minutes=90)
WARMUP_FROM = dt.timedelta(minutes=20)
FIRST_PITCH_AFTER = dt.timedelta(minutes=5)  # as the simulation plays it (PlayedGame.clock)
POSTPONED_FROM = dt.timedelta(minutes=60)
DELAY_AFTER_PLAY = dt.timedelta(seconds=30)  # the rain comes this long after a play ends
# detailedState: (abstractGameState, codedGameState, statusCode, abstractGameCode), as the API has them
STATES = {
    "Scheduled": ("Preview", "S", "S", "P"),
    "Pre-Game": ("Preview", "P", "P", "P"),
    "Warmup": ("Live", "P", "PW", "L"),
    "In Progress": ("Live", "I", "I", "L"),
    "Delayed: Rain": ("Live", "I", "IR", "L"),
    "Game Over": ("Final", "O", "O", "F"),
    "Final": ("Final", "F", "F", "F"),
    "Postponed": ("Final", "D", "DR", "F"),
}
HITS = {"single", "double", "triple", "home_run"}
SAVANT_HEADER = (",".join(SAVANT_COLUMNS) + "\n").encode()  # what Savant has of a game not final yet


def status(state: str) -> dict:
    """A feed's (and the schedule's) ``status`` in ``state`` (a detailedState)."""
    abstract, coded, code, abstract_code = STATES[state]
    out = {
        "abstractGameState": abstract,
        "codedGameState": coded,
        "detailedState": state,
        "statusCode": code,
        "startTimeTBD": False,
    }
    if code in ("IR", "DR"):
        out["reason"] = "Rain"
    out["abstractGameCode"] = abstract_code
    return out


class _DiffWithoutMoves(jsonpatch.DiffBuilder):
    """jsonpatch's diff without its move detection, which can give a move a stale list index
    (python-json-patch #124, #138, #179; it happened on these feeds): adds, removes, replaces."""

    def store_index(self, value, index, st):
        pass

    def take_index(self, value, st):
        return None


def make_patch(src: dict, dst: dict) -> list[dict]:
    """RFC 6902 operations from ``src`` to ``dst``: jsonpatch.make_patch's, without moves, values
    compared with orjson (3 ms a step of a feed rather than 7)."""
    builder = _DiffWithoutMoves(src, dst, orjson.dumps)
    builder._compare_values("", None, src, dst)  # as jsonpatch.JsonPatch.from_diff does
    return list(builder.execute())


def _utc(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _z(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class LiveClock:
    """Game time (UTC) running ``speed`` times as fast as real time: it shows ``game_start`` at
    ``real_start`` (epoch seconds, default now)."""

    def __init__(self, speed: float, game_start: dt.datetime, real_start: float | None = None):
        if not speed > 0:
            raise ValueError(f"clock speed must be above 0, not {speed}")
        if game_start.tzinfo is None:
            raise ValueError("game_start must be timezone-aware (UTC)")
        self.speed = speed
        self.game_start = game_start.astimezone(dt.UTC)
        self.real_start = time.time() if real_start is None else real_start

    def now(self) -> dt.datetime:
        return self.game_start + dt.timedelta(seconds=(time.time() - self.real_start) * self.speed)

    def real_time(self, game_dt: dt.datetime) -> float:
        """The epoch seconds at which the clock shows ``game_dt``."""
        return self.real_start + (game_dt - self.game_start).total_seconds() / self.speed


@dataclasses.dataclass(frozen=True)
class Version:
    """One version of a game's feed: published at game time ``at``, after ``plays`` plays
    (None: before the first pitch); ``final``: the finished game's feed, decisions and all."""

    at: dt.datetime
    state: str
    plays: int | None
    final: bool = False

    @property
    def timecode(self) -> str:
        return self.at.strftime(TIMECODE)


class _SoFar:
    """A game after its first ``k`` plays, with what ``PlayedGame.feed`` reads of a played game."""

    def __init__(self, played: PlayedGame, k: int, first_pitch: dt.datetime):
        self.plays = played.plays[:k]
        books = played.books[k - 1] if k else None
        self.bat = books["bat"] if books else {}
        self.pit = books["pit"] if books else {}
        self.fld = books["fld"] if books else {}
        self.runs = books["runs"] if books else {"home": 0, "away": 0}
        self.pitchers_used = books["pitchers_used"] if books else {s: p[:1] for s, p in played.pitchers_used.items()}
        self.lineup = played.lineup
        self.innings = innings_so_far(self.plays, played.innings) or [{"num": 1, "ordinalNum": _ordinal(1)}]
        self.clock = _utc(self.plays[-1]["about"]["endTime"]) if k else first_pitch

    def decisions(self) -> dict:
        return {}  # none until the game is over


def innings_so_far(plays: list[dict], final: list[dict]) -> list[dict]:
    """The line score's innings after ``plays``: runs and hits from the plays, a half-inning's
    men left on base once it is over (from the finished game's ``final`` innings)."""
    lines: list[dict] = []
    score = {"away": 0, "home": 0}
    for play in plays:
        n, side = play["about"]["inning"], "away" if play["about"]["isTopInning"] else "home"
        if len(lines) < n:
            lines.append({"num": n, "ordinalNum": _ordinal(n)})
        half = lines[-1].setdefault(side, {"runs": 0, "hits": 0, "errors": 0, "leftOnBase": 0})
        runs = play["result"][f"{side}Score"]
        half["runs"] += runs - score[side]
        score[side] = runs
        half["hits"] += play["result"]["eventType"] in HITS
        if play["count"]["outs"] == 3:
            half["leftOnBase"] = final[n - 1][side]["leftOnBase"]
    return lines


@dataclasses.dataclass
class _Game:
    g: Game
    listed: Game  # as its date lists it (a postponed game: on the day it was rained out)
    start: dt.datetime
    played: PlayedGame | None = None
    versions: list[Version] | None = None
    times: list[dt.datetime] = dataclasses.field(default_factory=list)
    index: dict[str, int] = dataclasses.field(default_factory=dict)  # timecode -> version
    patches: list[bytes | None] = dataclasses.field(default_factory=list)  # step k: v_k -> v_k+1
    docs: dict[int, dict] = dataclasses.field(default_factory=dict)  # the last two built
    current: tuple[int, bytes] | None = None  # the latest version served whole, serialized


class LiveDay:
    """The games the league lists on ``date``, played live by ``clock``. ``games``: the first N
    by scheduled start (then gamePk), or a list of gamePks; the date's schedule and Savant CSV
    then list only those. Suspended games (suspended or resumed that day) are not played live:
    they answer as the league does. ``clock`` may be set later (the CLI's default starts from
    :attr:`first_start`). Timelines and feed versions are built when first asked."""

    def __init__(self, league: League, date: dt.date, clock: LiveClock | None, games: int | list[int] | None = None):
        self.league, self.date, self.clock = league, date, clock
        self.whole_day = games is None
        candidates = []
        for g in league.by_date.get(date, []):
            if g.resumed_on is not None:
                continue
            listed = g if g.postponed_from != date else dataclasses.replace(g, official_date=date, postponed_from=None)
            candidates.append(_Game(g, listed, _utc(league.schedule_game(g, date, scores=False)["gameDate"])))
        candidates.sort(key=lambda game: (game.start, game.g.game_pk))
        if isinstance(games, int):
            candidates = candidates[:games]
        elif games is not None:
            unknown = set(games) - {game.g.game_pk for game in candidates}
            if unknown:
                raise ValueError(f"not played on {date}: {sorted(unknown)}")
            candidates = [game for game in candidates if game.g.game_pk in set(games)]
        if not candidates:
            raise ValueError(f"no games to play on {date}")
        unplayed = [
            game.g.game_pk for game in candidates if game.g.official_date == date and not league.is_final(game.g)
        ]
        if unplayed:
            raise ValueError(f"the league's today ({league.today}) must be after {date}: games {unplayed} are unplayed")
        self.games = {game.g.game_pk: game for game in candidates}
        self._lock = threading.RLock()

    @property
    def first_start(self) -> dt.datetime:
        return min(game.start for game in self.games.values())

    def plays(self, game_pk: int) -> bool:
        """Whether this day plays the game live."""
        return game_pk in self.games

    # ------------------------------------------------------------------ timelines ----
    def timeline(self, game_pk: int) -> list[Version]:
        game = self.games[game_pk]
        with self._lock:
            if game.versions is None:
                game.versions = self._versions(game)
                game.times = [v.at for v in game.versions]
                game.index = {v.timecode: i for i, v in enumerate(game.versions)}
                game.patches = [None] * (len(game.versions) - 1)
                assert len(game.index) == len(game.versions), "two versions in one second"
            return game.versions

    def _versions(self, game: _Game) -> list[Version]:
        start = game.start
        out = [Version(start - SCHEDULED_FROM, "Scheduled", None)]
        if game.g.postponed_from == self.date:
            return [*out, Version(start - POSTPONED_FROM, "Postponed", None)]
        played = game.played = self.league.replay(game.g.game_pk, books=True)
        out += [
            Version(start - PRE_GAME_FROM, "Pre-Game", None),
            Version(start - WARMUP_FROM, "Warmup", None),
            Version(start + FIRST_PITCH_AFTER, "In Progress", 0),
        ]
        delay = self.league.rain_delay(game.g)
        n = len(played.plays)
        rained_after = 1 + int(delay[0] * (n - 2)) if delay else None
        held = dt.timedelta(0)
        for k, play in enumerate(played.plays, start=1):
            end = _utc(play["about"]["endTime"]) + held
            out.append(Version(end, "In Progress", k))
            if k == rained_after:  # the later versions wait for the rain to stop
                held = dt.timedelta(minutes=delay[1])
                out.append(Version(end + DELAY_AFTER_PLAY, "Delayed: Rain", k))
                out.append(Version(end + DELAY_AFTER_PLAY + held, "In Progress", k))
        final = self.league.final_time(game.g, played)
        out.append(Version(final - FINAL_AFTER, "Game Over", n, final=True))
        out.append(Version(final, "Final", n, final=True))
        assert out[-2].at == played.clock + held + GAME_OVER_AFTER
        return out

    def _now_index(self, game: _Game) -> int:
        """The version current at the clock's now (the first one before it)."""
        self.timeline(game.g.game_pk)
        return max(0, bisect.bisect_right(game.times, self.clock.now()) - 1)

    def current(self, game_pk: int) -> Version:
        game = self.games[game_pk]
        return self.timeline(game_pk)[self._now_index(game)]

    def final_time(self, game_pk: int) -> dt.datetime | None:
        last = self.timeline(game_pk)[-1]
        return last.at if last.state == "Final" else None

    # ---------------------------------------------------------------- documents ----
    def doc(self, game_pk: int, i: int) -> dict:
        """Version ``i`` of the game's feed (shared: do not change it)."""
        game = self.games[game_pk]
        self.timeline(game_pk)
        with self._lock:
            if i not in game.docs:
                while len(game.docs) >= 2:
                    game.docs.pop(next(iter(game.docs)))
                game.docs[i] = self._build(game, game.versions[i])
            return game.docs[i]

    def _build(self, game: _Game, v: Version) -> dict:
        if v.final:
            doc = self.league.feed_doc(game.g.game_pk)
        elif v.plays is None:
            doc = PlayedGame.feed(self.league, game.listed, None)
        else:
            doc = PlayedGame.feed(self.league, game.g, _SoFar(game.played, v.plays, game.start + FIRST_PITCH_AFTER))
            line = doc["liveData"]["linescore"]
            if v.plays:
                last = doc["liveData"]["plays"]["allPlays"][-1]
                line["outs"] = last["count"]["outs"]
                if line["outs"] == 3:
                    line["inningState"] = "Middle" if last["about"]["isTopInning"] else "End"
            else:
                line["outs"] = 0
        doc["gameData"]["status"] = status(v.state)
        doc["metaData"]["timeStamp"] = v.timecode
        return doc

    def current_doc(self, game_pk: int) -> dict:
        return self.doc(game_pk, self._now_index(self.games[game_pk]))

    def _published(self, game: _Game, timecode: str) -> int | None:
        i = game.index.get(timecode)
        return i if i is not None and i <= self._now_index(game) else None

    # ---------------------------------------------------------------- responses ----
    def feed(self, game_pk: int, timecode: str | None = None) -> bytes | None:
        """``feed/live``: the current version, or the version of ``timecode`` (None if there is
        no such version yet)."""
        game = self.games[game_pk]
        self.timeline(game_pk)
        i = self._now_index(game) if timecode is None else self._published(game, timecode)
        if i is None:
            return None
        with self._lock:
            if game.current is not None and game.current[0] == i:
                return game.current[1]
            body = orjson.dumps(self.doc(game_pk, i))
            if timecode is None:  # polls ask for the current one again and again
                game.current = (i, body)
            return body

    def diff_patch(self, game_pk: int, start: str | None, end: str | None = None) -> bytes | None:
        """``feed/live/diffPatch``: from the version of ``start`` to the current one (or to that of
        ``end``), one ``{"diff": [RFC 6902 operations]}`` a step; the whole feed, as the API
        answers, when ``start`` is no version it has published. None if ``end`` is none."""
        game = self.games[game_pk]
        self.timeline(game_pk)
        j = self._now_index(game) if end is None else self._published(game, end)
        if j is None:
            return None
        i = None if start is None else self._published(game, start)
        if i is None or i > j:
            return self.feed(game_pk, game.versions[j].timecode)
        return b"[" + b",".join(self._patch(game, k) for k in range(i, j)) + b"]"

    def _patch(self, game: _Game, k: int) -> bytes:
        """Step ``k`` (version k to k + 1), computed once."""
        with self._lock:
            if game.patches[k] is None:
                ops = make_patch(self.doc(game.g.game_pk, k), self.doc(game.g.game_pk, k + 1))
                game.patches[k] = b'{"diff":' + orjson.dumps(ops) + b"}"
            return game.patches[k]

    def timestamps(self, game_pk: int) -> list[str]:
        """``feed/live/timestamps``: the timecodes published so far."""
        game = self.games[game_pk]
        return [v.timecode for v in self.timeline(game_pk)[: self._now_index(game) + 1]]

    def is_final(self, game_pk: int) -> bool:
        return self.current(game_pk).state == "Final"

    @staticmethod
    def _runs(game: _Game, v: Version) -> dict | None:
        """The score at version ``v`` (None before the first pitch)."""
        if v.plays is None:
            return None
        return game.played.books[v.plays - 1]["runs"] if v.plays else {"home": 0, "away": 0}

    def schedule_entry(self, game_pk: int, scores: bool = True, probable: bool = False) -> dict:
        """The game as the schedule lists it now: its current state; its score once under way."""
        game = self.games[game_pk]
        v = self.current(game_pk)
        entry = self.league.schedule_game(game.g, self.date, scores=False, probable=probable)
        entry["status"] = status(v.state)
        if v.state == "Scheduled":  # not rained out yet
            entry.pop("rescheduleDate", None)
            entry.pop("rescheduleGameDate", None)
        runs = self._runs(game, v) if scores else None
        for side, team in list(entry["teams"].items()) if runs else []:
            other = runs["away" if side == "home" else "home"]
            scored = {"score": runs[side], **({"isWinner": runs[side] > other} if v.final else {})}
            keys = list(team)
            at = keys.index("leagueRecord") + 1
            entry["teams"][side] = {**{k: team[k] for k in keys[:at]}, **scored, **{k: team[k] for k in keys[at:]}}
        return entry

    def schedule(self, doc: dict, types: set[str] | None, scores: bool, probable: bool) -> dict:
        """A schedule document with the live date's games as they stand now (those this day plays:
        with ``games``, only those)."""
        games = []
        for g in self.league.by_date.get(self.date, []):
            if types and g.game_type not in types:
                continue
            if g.game_pk in self.games:
                games.append(self.schedule_entry(g.game_pk, scores, probable))
            elif self.whole_day and g.resumed_on is not None:  # a suspended game: as the league lists it
                games.append(self.league.schedule_game(g, self.date, scores, probable))
        dates = [d for d in doc["dates"] if d["date"] != self.date.isoformat()]
        if games:
            live = sum(game["status"]["abstractGameState"] == "Live" for game in games)
            dates.append(
                {
                    "date": self.date.isoformat(),
                    "totalItems": len(games),
                    "totalEvents": 0,
                    "totalGames": len(games),
                    "totalGamesInProgress": live,
                    "games": games,
                    "events": [],
                }
            )
            dates.sort(key=lambda d: d["date"])
        totals = {
            k: sum(d[k] for d in dates) for k in ("totalItems", "totalEvents", "totalGames", "totalGamesInProgress")
        }
        return {**doc, **totals, "dates": dates}

    def statcast_csv(self, game_pk: int) -> bytes:
        """Savant's CSV of the game: its pitches once it is Final, the header until then."""
        return self.league.statcast_csv(game_pk) if self.is_final(game_pk) else SAVANT_HEADER

    def statcast_games(self, types: frozenset[str]) -> list[bytes]:
        """The CSVs of the date's games (those this day lists) of ``types`` for Savant's date search."""
        out = []
        for g in self.league.played_on(self.date):
            if g.game_type not in types:
                continue
            if g.game_pk in self.games:
                out.append(self.statcast_csv(g.game_pk))
            elif self.whole_day:
                out.append(self.league.statcast_csv(g.game_pk))
        return out

    # -------------------------------------------------------------------- control ----
    def describe(self) -> dict:
        """``/__replay__/live``: the clock, and each game's timeline in game and real time."""
        clock = self.clock
        games = []
        for pk, game in self.games.items():
            final = self.final_time(pk)
            games.append(
                {
                    "gamePk": pk,
                    "scheduled_start": _z(game.start),
                    "timeline": [
                        {
                            "timecode": v.timecode,
                            "state": v.state,
                            "game_time": _z(v.at),
                            "real_time": clock.real_time(v.at),
                        }
                        for v in self.timeline(pk)
                    ],
                    "final_real_time": None if final is None else clock.real_time(final),
                }
            )
        return {
            "date": self.date.isoformat(),
            "speed": clock.speed,
            "game_time": clock.now().isoformat().replace("+00:00", "Z"),
            "real_time": time.time(),
            "games": games,
        }

    def summary(self) -> str:
        starts = sorted(game.start for game in self.games.values())
        postponed = sum(game.g.postponed_from == self.date for game in self.games.values())
        rained = sum(any(v.state == "Delayed: Rain" for v in self.timeline(pk)) for pk in self.games)
        finals = [t for t in map(self.final_time, self.games) if t is not None]
        last_final = max(finals) if finals else None
        out = (
            f"live day {self.date}: {len(self.games)} games ({postponed} postponed, {rained} delayed by rain), "
            f"first start {_z(starts[0])}, last {_z(starts[-1])}; clock x{self.clock.speed:g} from "
            f"{_z(self.clock.game_start)}"
        )
        if last_final is not None:
            minutes = (self.clock.real_time(last_final) - self.clock.real_start) / 60
            out += f"; last Final at {_z(last_final)}, {minutes:.1f} real minutes in"
        return out
