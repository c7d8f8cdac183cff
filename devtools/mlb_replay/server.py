"""A local double of the MLB Stats API and Baseball Savant, served over real HTTP on 127.0.0.1.

Two backends answer requests in the API's URL scheme: :class:`RecordedBackend` serves
real recorded responses from a folder, :class:`SimulatedBackend` a seeded simulated
league. Anything they cannot answer gets the API's own 404 body, never a made-up answer.

Faults can be injected per request pattern (status codes with Retry-After, latency,
truncated bodies, bodies cut at a line or shorter than their Content-Length, dropped
connections), in code or over HTTP at ``/__replay__/faults``; every request is logged at
``/__replay__/requests``, with the bytes of its answer's body (as sent and before gzip), so
tests can count retries and benchmarks the bytes transferred.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gzip
import ipaddress
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import orjson
import yaml

from mlb_replay.live import LiveDay
from mlb_replay.simulate import League

IGNORED_QUERY = {"language"}


def _error_body(number: int, message: str) -> bytes:
    return orjson.dumps(
        {
            "messageNumber": number,
            "message": message,
            "timestamp": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
            "traceId": None,
        },
        option=orjson.OPT_INDENT_2,
    )


NOT_FOUND = (404, None)
SAVANT_PATH = "/statcast_search/csv"


def savant_game(path: str, query: dict[str, str]) -> int | None:
    """The game of a Savant single-game request as pybaseball's ``statcast_single_game``
    sends it (``?all=true&type=details&game_pk=N``); None for any other request."""
    if path != SAVANT_PATH or set(query) != {"all", "type", "game_pk"}:
        return None
    if query["all"] != "true" or query["type"] != "details" or not query["game_pk"].isdigit():
        return None
    return int(query["game_pk"])


# pybaseball's date request (``statcast(start_dt, end_dt)``): these parameters with these
# values, plus ``game_date_gt``/``game_date_lt`` (one date: both the same) and ``hfGT``.
SAVANT_DATE_QUERY = {
    **dict.fromkeys(
        [
            "hfPT",
            "hfAB",
            "hfBBT",
            "hfPR",
            "hfZ",
            "stadium",
            "hfBBL",
            "hfNewZones",
            "hfSea",
            "hfSit",
            "hfOuts",
            "opponent",
            "pitcher_throws",
            "batter_stands",
            "hfSA",
            "team",
            "position",
            "hfRO",
            "home_road",
            "hfFlag",
            "metric_1",
            "hfInn",
        ],
        "",
    ),
    "all": "true",
    "player_type": "pitcher",
    "min_pitches": "0",
    "min_results": "0",
    "group_by": "name",
    "sort_col": "pitches",
    "player_event_sort": "h_launch_speed",
    "sort_order": "desc",
    "min_abs": "0",
    "type": "details",
}
# hfGT's groups (pybaseball sends "R|PO|S|=": regular season, postseason, spring training)
SAVANT_GAME_TYPES = {"R": {"R"}, "PO": {"F", "D", "L", "W"}, "S": {"S"}}
SAVANT_DEFAULT_TYPES = frozenset("RFDLWS")


def savant_date(path: str, query: dict[str, str]) -> tuple[dt.date, frozenset[str]] | None:
    """The date and game types of a Savant date request as pybaseball's ``statcast`` sends it
    for one date; None for any other request (another parameter or value, a range of dates)."""
    if path != SAVANT_PATH or set(query) != {*SAVANT_DATE_QUERY, "game_date_gt", "game_date_lt", "hfGT"}:
        return None
    if any(query[k] != v for k, v in SAVANT_DATE_QUERY.items()) or query["game_date_gt"] != query["game_date_lt"]:
        return None
    groups = [g for g in query["hfGT"].rstrip("=").split("|") if g]
    if not groups or any(g not in SAVANT_GAME_TYPES for g in groups):
        return None
    try:
        day = dt.date.fromisoformat(query["game_date_gt"])
    except ValueError:
        return None
    return day, frozenset().union(*(SAVANT_GAME_TYPES[g] for g in groups))


def savant_day_csv(games: list[bytes]) -> bytes:
    """One date's CSV from its games' CSVs: one header, then the games' rows interleaved (the
    games are played at the same time and Savant lists the newest pitch first, whatever the
    game), each game's rows in their own order."""
    import itertools

    split = [body.splitlines(keepends=True) for body in games]
    header = next((lines[0] for lines in split if lines), b"")
    rows = [line for group in itertools.zip_longest(*(lines[1:] for lines in split)) for line in group if line]
    return header + b"".join(rows)


def _savant_dates(data: bytes) -> set[str]:
    """The game dates a recorded Savant CSV holds."""
    import csv
    import io

    return {row.get("game_date", "") for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}


def _savant_games(data: bytes) -> dict[int, bytes]:
    """Split a recorded Savant CSV into one CSV a game (header + that game's lines, as
    recorded). Files whose rows span lines are not split."""
    import csv
    import io

    text = data.decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) != len(lines) or not rows or "game_pk" not in rows[0]:
        return {}
    col = rows[0].index("game_pk")
    games: dict[int, list[str]] = {}
    for line, row in zip(lines[1:], rows[1:]):
        games.setdefault(int(row[col]), []).append(line)
    return {pk: (lines[0] + "".join(body)).encode() for pk, body in games.items()}


# ------------------------------------------------------------------------------------
# Backends: (path, query) -> (status, body) or None
# ------------------------------------------------------------------------------------
def _without_starters(doc: dict) -> dict:
    """A schedule as the API lists it without ``hydrate=probablePitcher``: no announced starters."""
    for listed in doc.get("dates", []):
        for game in listed.get("games", []):
            for side in (game.get("teams") or {}).values():
                side.pop("probablePitcher", None)
    return doc


class RecordedBackend:
    """Real responses from a folder laid out as ``../shared/fixtures/mlb`` is."""

    def __init__(self, folder: str | Path, routes_file: Path | None = None):
        self.folder = Path(folder)
        rules = yaml.safe_load((routes_file or Path(__file__).with_name("recorded_routes.yaml")).read_text())
        self.index: dict[tuple[str, frozenset], Path] = {}
        self.savant: dict[int, tuple[int, Path]] = {}  # game_pk -> (games in the file, file)
        self.savant_dates: dict[dt.date, tuple[int, Path]] = {}  # date -> (games in the file, file)
        files = sorted(
            p for p in self.folder.rglob("*") if p.is_file() and p.name.endswith((".json", ".json.gz", ".csv"))
        )
        for rule in rules:
            pattern = re.compile(rule["file"])
            for f in files:
                m = pattern.fullmatch(f.relative_to(self.folder).as_posix())
                if not m:
                    continue
                if rule.get("savant_whole_games"):
                    games = _savant_games(f.read_bytes())
                    for pk in games:  # the recording that holds the fewest games answers
                        if pk not in self.savant or len(games) < self.savant[pk][0]:
                            self.savant[pk] = (len(games), f)
                    dates = _savant_dates(f.read_bytes()) if games else set()
                    if len(dates) == 1:  # the recording of a date that holds the most games answers for it
                        day = dt.date.fromisoformat(dates.pop())
                        if day not in self.savant_dates or len(games) > self.savant_dates[day][0]:
                            self.savant_dates[day] = (len(games), f)
                    continue
                if rule.get("savant_date"):  # a whole date's CSV as exported (export.py)
                    self.savant_dates[dt.date.fromisoformat(m["date"])] = (10**6, f)
                    continue
                groups = m.groupdict()
                path = rule["path"].format(**groups)
                query = frozenset((k, str(v).format(**groups)) for k, v in (rule.get("query") or {}).items())
                self.index.setdefault((path, query), f)

    def respond(self, path: str, query: dict[str, str]) -> tuple[int, bytes] | None:
        asked = savant_date(path, query)
        if asked is not None:  # recordings hold pybaseball's default game types only
            day, types = asked
            return (
                (200, self.savant_dates[day][1].read_bytes())
                if types == SAVANT_DEFAULT_TYPES and day in self.savant_dates
                else None
            )
        pk = savant_game(path, query)
        if pk is not None and pk in self.savant:  # else a one-game file, if any (export.py)
            n, f = self.savant[pk]
            data = f.read_bytes()
            return 200, data if n == 1 else _savant_games(data)[pk]
        key = (path, frozenset(query.items()))
        f = self.index.get(key)
        starters = path == "/api/v1/schedule" and query.get("hydrate") == "probablePitcher"
        if f is None and starters:
            # A schedule with its announced starters: the recording answers (an exported one lists
            # them; one recorded without the hydration lists none, as the API does for games whose
            # starters are not announced). No other hydration is served.
            f = self.index.get((path, frozenset((k, v) for k, v in query.items() if k != "hydrate")))
        if f is None:
            return self._schedule_range(path, query)
        data = self._read(f)
        if path == "/api/v1/schedule" and not starters and b"probablePitcher" in data:
            return 200, orjson.dumps(_without_starters(orjson.loads(data)))  # asked without the hydration
        return 200, data

    @staticmethod
    def _read(f: Path) -> bytes:
        data = f.read_bytes()
        return gzip.decompress(data) if f.name.endswith(".gz") else data

    def _schedule_range(self, path: str, query: dict[str, str]) -> tuple[int, bytes] | None:
        """A schedule of ``startDate..endDate`` not recorded as such, put together from the
        recorded (or exported) schedule of each of its dates, as the API lists them: every
        date with games in order, the totals summed. None unless every date is there."""
        starters = query.get("hydrate") == "probablePitcher"
        asked = set(query) - ({"hydrate"} if starters else set())  # the one hydration served
        if path != "/api/v1/schedule" or asked != {"sportId", "startDate", "endDate"}:
            return None
        try:
            first, last = dt.date.fromisoformat(query["startDate"]), dt.date.fromisoformat(query["endDate"])
        except ValueError:
            return None
        doc = {"totalItems": 0, "totalEvents": 0, "totalGames": 0, "totalGamesInProgress": 0, "dates": []}
        day = first
        while day <= last:
            f = self.index.get((path, frozenset({"sportId": "1", "date": day.isoformat()}.items())))
            if f is None:
                return None
            part = orjson.loads(self._read(f))
            doc.setdefault("copyright", part.get("copyright"))
            for k in ("totalItems", "totalEvents", "totalGames", "totalGamesInProgress"):
                doc[k] += part.get(k, 0)
            doc["dates"] += (part if starters else _without_starters(part)).get("dates", [])
            day += dt.timedelta(days=1)
        return 200, orjson.dumps(doc)


class SimulatedBackend:
    """A simulated league answering the endpoints the pipeline uses; with ``live``, the games of
    its date as they stand at its clock's now (mlb_replay.live), the other dates as before."""

    ROUTES = [
        (re.compile(r"/api/v1\.1/game/(\d+)/feed/live"), "feed"),
        (re.compile(r"/api/v1\.1/game/(\d+)/feed/live/diffPatch"), "diff_patch"),
        (re.compile(r"/api/v1\.1/game/(\d+)/feed/live/timestamps"), "timestamps"),
        (re.compile(r"/api/v1/game/(\d+)/boxscore"), "boxscore"),
        (re.compile(r"/api/v1/game/(\d+)/linescore"), "linescore"),
        (re.compile(r"/api/v1/schedule"), "schedule"),
        (re.compile(r"/api/v1/teams"), "teams"),
        (re.compile(r"/api/v1/teams/(\d+)/roster"), "roster"),
        (re.compile(r"/api/v1/standings"), "standings"),
        (re.compile(r"/api/v1/stats"), "player_stats"),
        (re.compile(r"/api/v1/transactions"), "transactions"),
        (re.compile(r"/api/v1/game/changes"), "changes"),
        (re.compile(r"/api/v1/teams/stats"), "team_stats"),
        (re.compile(r"/api/v1/seasons/(\d{4})"), "seasons"),
        (re.compile(r"/__replay__/truth/(\d{4})"), "truth"),
    ]

    def __init__(self, league: League, live: LiveDay | None = None):
        self.league = league
        self.live = live

    def _live(self, pk: int | str | None) -> bool:
        return self.live is not None and pk is not None and self.live.plays(int(pk))

    def respond(self, path: str, query: dict[str, str]) -> tuple[int, bytes] | None:
        if path == SAVANT_PATH:
            asked = savant_date(path, query)
            if asked is not None:
                day, types = asked
                if self.live is not None and day == self.live.date:
                    return 200, savant_day_csv(self.live.statcast_games(types))
                games = [g for g in self.league.played_on(day) if g.game_type in types]
                return 200, savant_day_csv([self.league.statcast_csv(g.game_pk) for g in games])
            pk = savant_game(path, query)
            if self._live(pk):
                return 200, self.live.statcast_csv(pk)
            body = None if pk is None else self.league.statcast_csv(pk)
            return None if body is None else (200, body)
        for pattern, name in self.ROUTES:
            m = pattern.fullmatch(path)
            if m:
                doc = getattr(self, f"_{name}")(query, *m.groups())
                if doc is None:
                    return None
                return 200, doc if isinstance(doc, bytes) else orjson.dumps(doc)
        return None

    def _feed(self, query, pk):
        if set(query) - {"timecode"}:
            return None
        if self._live(pk):
            return self.live.feed(int(pk), query.get("timecode"))
        return self.league.feed_doc(int(pk))

    def _diff_patch(self, query, pk):
        """Only what changed since ``startTimecode``; outside the live day a game has one version,
        its feed as it is (``[]`` from its own timecode, else the whole feed)."""
        if set(query) - {"startTimecode", "endTimecode"}:
            return None
        if self._live(pk):
            return self.live.diff_patch(int(pk), query.get("startTimecode"), query.get("endTimecode"))
        doc = self.league.feed_doc(int(pk))
        stamp = None if doc is None else doc["metaData"]["timeStamp"]
        if doc is None or query.get("endTimecode", stamp) != stamp:
            return None
        return [] if query.get("startTimecode") == stamp else doc

    def _timestamps(self, query, pk):
        if query:
            return None
        if self._live(pk):
            return self.live.timestamps(int(pk))
        doc = self.league.feed_doc(int(pk))
        return None if doc is None else [doc["metaData"]["timeStamp"]]

    def _boxscore(self, query, pk):
        if query:
            return None
        if self._live(pk):
            return self.league.boxscore_of(self.live.current_doc(int(pk)))
        return self.league.boxscore_doc(int(pk))

    def _linescore(self, query, pk):
        if query:
            return None
        if self._live(pk):
            return self.league.linescore_of(self.live.current_doc(int(pk)))
        return self.league.linescore_doc(int(pk))

    def _schedule(self, query):
        q = dict(query)
        if q.pop("sportId", None) != "1":
            return None
        types = q.pop("gameType", None) or q.pop("gameTypes", None)
        season = q.pop("season", None)
        probable = q.get("hydrate") == "probablePitcher"  # the announced starters: the one hydration served
        if probable:
            del q["hydrate"]
        try:
            if "date" in q:
                start = end = dt.date.fromisoformat(q.pop("date"))
            elif season is not None:  # the whole season, listed without scores (see schedule_doc)
                days = [d for d, games in self.league.by_date.items() if games[0].season == int(season)]
                if not days:
                    return None
                start, end = min(days), max(days)
            else:
                start, end = dt.date.fromisoformat(q.pop("startDate")), dt.date.fromisoformat(q.pop("endDate"))
        except (KeyError, ValueError):
            return None
        if q:  # a parameter we do not simulate: do not pretend
            return None
        types = set(types.split(",")) if types else None
        doc = self.league.schedule_doc(start, end, types, scores=season is None, probable=probable)
        if self.live is not None and start <= self.live.date <= end:
            doc = self.live.schedule(doc, types, scores=season is None, probable=probable)
        return doc

    def _teams(self, query):
        if query.get("sportId") != "1" or set(query) - {"sportId", "season"}:
            return None
        season = int(query.get("season", self.league.seasons[-1]))
        return self.league.teams_doc(season) if season in self.league.seasons else None

    def _roster(self, query, team_id):
        if set(query) - {"rosterType", "date"}:
            return None
        try:
            day = dt.date.fromisoformat(query["date"])
        except (KeyError, ValueError):
            return None
        return self.league.roster_doc(int(team_id), day, query.get("rosterType", "active"))

    def _standings(self, query):
        if query.get("leagueId") != "103,104" or query.get("standingsTypes", "regularSeason") != "regularSeason":
            return None
        if set(query) - {"leagueId", "season", "date", "standingsTypes"}:
            return None
        try:
            season = int(query["season"])
            day = dt.date.fromisoformat(query["date"]) if "date" in query else dt.date(season, 12, 31)
        except (KeyError, ValueError):
            return None
        return self.league.standings_doc(season, day)

    @staticmethod
    def _date_range(q: dict) -> tuple[dt.date, dt.date] | None:
        try:
            return dt.date.fromisoformat(q.pop("startDate")), dt.date.fromisoformat(q.pop("endDate"))
        except (KeyError, ValueError):
            return None

    def _player_stats(self, query):
        q = dict(query)
        if q.pop("stats", None) != "byDateRange" or q.pop("playerPool", None) != "ALL":
            return None
        if q.pop("sportIds", "1") != "1":
            return None
        group, span = q.pop("group", None), self._date_range(q)
        try:
            limit = int(q.pop("limit")) if "limit" in q else None
            offset = int(q.pop("offset", 0))
        except ValueError:
            return None
        q.pop("season", None)
        if q or span is None:
            return None
        return self.league.player_stats_doc(group, *span, limit, offset)

    def _changes(self, query):
        q = dict(query)
        if q.pop("sportId", "1") != "1":
            return None
        try:
            since = dt.datetime.fromisoformat(q.pop("updatedSince").replace("Z", "+00:00"))
        except (KeyError, ValueError):
            return None
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        return None if q else self.league.changes_doc(since)

    def _transactions(self, query):
        q = dict(query)
        span = self._date_range(q)
        return None if q or span is None else self.league.transactions_doc(*span)

    def _team_stats(self, query):
        q = dict(query)
        if q.pop("stats", None) != "byDateRange" or q.pop("sportIds", "1") != "1":
            return None
        group, span = q.pop("group", None), self._date_range(q)
        q.pop("season", None)
        if q or span is None:
            return None
        return self.league.team_stats_doc(group, *span)

    def _seasons(self, query, season):
        return self.league.seasons_doc(int(season)) if query.get("sportId") == "1" else None

    def _truth(self, query, season):
        return {"season": int(season), "games": self.league.truth(int(season))}


# ------------------------------------------------------------------------------------
# Faults
# ------------------------------------------------------------------------------------
@dataclasses.dataclass
class Fault:
    """What to do to requests whose path+query matches ``pattern`` (a regex)."""

    pattern: str
    status: int | None = None  # answer with this status instead (429, 500, 503, ...)
    retry_after: float | None = None  # seconds, sent as Retry-After
    delay_s: float = 0.0  # latency before answering
    truncate: bool = False  # send only the first half of the body (valid HTTP, broken JSON)
    # Keep the first line (a CSV's header) and the first half of the other lines: a body cut
    # at a row boundary, which parses cleanly and is simply short.
    truncate_lines: bool = False
    # Announce the whole body's Content-Length, send half of its bytes, then close: a body
    # cut in transit.
    short_body: bool = False
    # Keep the first line (a CSV's header) and this many more: a response cut at Savant's row cap.
    max_rows: int | None = None
    drop: bool = False  # close the connection without answering
    # Answer 200 with this body instead of the backend's: an HTML page, an edited feed, '{"dates": []}'.
    body: str | None = None
    times: int | None = None  # how many requests it applies to (None: all)

    def matches(self, target: str) -> bool:
        return (self.times is None or self.times > 0) and re.search(self.pattern, target) is not None


# ------------------------------------------------------------------------------------
# The server
# ------------------------------------------------------------------------------------
class ReplayServer:
    def __init__(self, backend, host: str = "127.0.0.1", port: int = 0):
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the replay server binds to loopback only, not {host}")
        self.backend = backend
        self.faults: list[Fault] = []
        self.log: list[dict] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- control --------------------------------------------------------------------
    def add_fault(self, pattern: str, **kw) -> Fault:
        fault = Fault(pattern, **kw)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def requests(self, pattern: str = "") -> list[dict]:
        with self._lock:
            return [r for r in self.log if re.search(pattern, r["target"])]

    def clear_requests(self) -> None:
        with self._lock:
            self.log.clear()

    def _take_fault(self, target: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(target):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> ReplayServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="replay-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- HTTP -----------------------------------------------------------------------
    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without TCP_NODELAY, Nagle and the
            # client's delayed ACK add ~40 ms to every keep-alive response.
            disable_nagle_algorithm = True

            def log_message(self, fmt, *args):  # quiet; the request log is in memory
                pass

            def _send(
                self, status: int, body: bytes, headers: dict | None = None, short: bool = False, record=None
            ) -> None:
                """``record``: (target, fault): the request is logged, with the body's bytes sent."""
                size = len(body)
                gz = "gzip" in (self.headers.get("Accept-Encoding") or "") and len(body) > 1024
                if gz:
                    body = gzip.compress(body, compresslevel=1)
                if record is not None:
                    self._record(*record, status, sent=len(body) // 2 if short else len(body), size=size)
                self.send_response(status)
                csv_body = status == 200 and urlsplit(self.path).path == SAVANT_PATH
                self.send_header(
                    "Content-Type", "text/csv;charset=UTF-8" if csv_body else "application/json;charset=UTF-8"
                )
                if gz:
                    self.send_header("Content-Encoding", "gzip")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if short:  # fewer bytes than announced, then the connection closes
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def _record(
                self, target: str, fault: Fault | None, status: int | str, sent: int = 0, size: int = 0
            ) -> None:
                """One request in the log; ``bytes``: its body as sent (gzipped if the client
                accepted it), ``raw_bytes``: before compression."""
                with server._lock:
                    server.log.append(
                        {
                            "target": target,
                            "status": status,
                            "time": time.time(),
                            "fault": dataclasses.asdict(fault) if fault else None,
                            "bytes": sent,
                            "raw_bytes": size,
                        }
                    )

            def do_GET(self):
                parts = urlsplit(self.path)
                if parts.path.startswith("/__replay__/") and not parts.path.startswith("/__replay__/truth"):
                    return self._control("GET", parts.path)
                target = self.path
                fault = server._take_fault(target)
                if fault and fault.delay_s:
                    time.sleep(fault.delay_s)
                if fault and fault.drop:
                    self._record(target, fault, "dropped")
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(2)
                    return
                if fault and fault.status:
                    headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
                    return self._send(
                        fault.status, _error_body(1, "Internal error occurred"), headers, record=(target, fault)
                    )
                query = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in IGNORED_QUERY}
                answer = (
                    (200, fault.body.encode())
                    if fault and fault.body is not None
                    else server.backend.respond(parts.path, query)
                )
                if answer is None:
                    return self._send(404, _error_body(10, "Object not found"), record=(target, fault))
                status, body = answer
                if fault and fault.truncate:
                    body = body[: len(body) // 2]
                if fault and fault.truncate_lines:
                    lines = body.splitlines(keepends=True)
                    body = b"".join(lines[: 1 + (len(lines) - 1) // 2])
                if fault and fault.max_rows is not None:
                    body = b"".join(body.splitlines(keepends=True)[: 1 + fault.max_rows])
                self._send(status, body, short=bool(fault and fault.short_body), record=(target, fault))

            def _control(self, method: str, path: str):
                if path == "/__replay__/requests" and method == "GET":
                    return self._send(200, orjson.dumps(server.requests()))
                if path == "/__replay__/requests" and method == "DELETE":
                    server.clear_requests()
                    return self._send(200, b"{}")
                if path == "/__replay__/faults" and method == "POST":
                    length = int(self.headers.get("Content-Length") or 0)
                    for spec in orjson.loads(self.rfile.read(length) or b"[]"):
                        server.add_fault(**spec)
                    return self._send(200, b"{}")
                if path == "/__replay__/faults" and method == "DELETE":
                    server.clear_faults()
                    return self._send(200, b"{}")
                if path == "/__replay__/live" and method == "GET":
                    live = getattr(server.backend, "live", None)
                    if live is not None:
                        return self._send(200, orjson.dumps(live.describe()))
                if path == "/__replay__/health":
                    return self._send(200, b'{"status": "ok"}')
                return self._send(404, _error_body(10, "Object not found"))

            def do_POST(self):
                return self._control("POST", urlsplit(self.path).path)

            def do_DELETE(self):
                return self._control("DELETE", urlsplit(self.path).path)

        return Handler
