"""The sources: the MLB Stats API and Baseball Savant, each behind one configurable base URL.

The MLB-StatsAPI package knows every endpoint (its ``ENDPOINTS`` table: path template,
query parameters, required parameters) but hard-codes ``https://statsapi.mlb.com`` into
that table at import time and calls ``requests.get`` with no timeout and no retry. We keep
its table and do the HTTP ourselves with urllib3: our base URL, a timeout on every
request, gzip, and retries with exponential backoff that honour ``Retry-After`` (up to
a cap), and a deadline for a whole collection.

pybaseball likewise knows Savant's Statcast search URLs but fetches them with
``requests`` and no timeout against a hard-coded host; :class:`SavantClient` takes its URL
template and sends it through the same transport (and a circuit breaker of its own).

Responses come back as raw bytes so they can be written to the raw zone *before* they
are parsed (write-through).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import http.client
import logging
import threading
import time
from urllib.parse import urlencode

import urllib3
from statsapi.endpoints import BASE_URL as _PACKAGE_BASE_URL
from statsapi.endpoints import ENDPOINTS
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)


class SourceError(Exception):
    """A request to the source failed for good (after retries)."""

    def __init__(self, url: str, reason: str, status: int | None = None, body: bytes | None = None):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status
        self.body = body


class NotFound(SourceError):
    """The API answered 404: it has no such object. Never retried."""


class CircuitOpen(SourceError):
    """The source failed too often in a row; it is left alone for a cool-down."""


class DeadlinePassed(SourceError):
    """The collection ran out of time: this request was not started (a later run asks again)."""


@dataclasses.dataclass(frozen=True)
class ApiResponse:
    endpoint: str
    url: str
    status: int
    body: bytes
    fetched_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class ClientSettings:
    base_url: str
    connect_timeout_s: float = 5
    read_timeout_s: float = 30
    max_retries: int = 5
    backoff_factor_s: float = 1
    backoff_max_s: float = 16
    concurrency: int = 4
    # Minimum seconds between two requests from this client (0 = no limit).
    min_interval_s: float = 0
    # Circuit breaker: after this many requests in a row fail for good, skip the source
    # for breaker_reset_s seconds (callers then use their fallback).
    breaker_fail_max: int = 3
    breaker_reset_s: float = 60
    # A Retry-After longer than this is waited only this long (a 90 s answer must not stall us).
    retry_after_max_s: float = 30
    # Seconds a whole collection (one task's requests) may take; after it no request starts
    # and the games not yet asked fail with the reason (0 = no deadline).
    collection_deadline_s: float = 0

    @classmethod
    def from_config(cls, base_url: str, cfg: dict, extras: dict | None = None) -> ClientSettings:
        """Settings from ``config/pipeline.yaml`` and the connection's ``extras`` (strings,
        which override it). Extras that tune nothing are ignored with a warning naming
        them, never their values (an ``api_key`` is a secret)."""
        kinds = {f.name: f.type for f in dataclasses.fields(cls) if f.name != "base_url"}
        cast = {"int": int, "float": float}
        ignored = sorted(k for k in (extras or {}) if k not in kinds)
        if ignored:
            log.warning(
                "connection extras %s of %s are not client settings and are ignored (settings: %s)",
                ignored,
                base_url,
                sorted(kinds),
            )
        merged = {**cfg, **(extras or {})}
        return cls(base_url=base_url.rstrip("/"), **{k: cast[kinds[k]](v) for k, v in merged.items() if k in kinds})


def build_url(base_url: str, endpoint: str, params: dict) -> str:
    """URL of ``endpoint`` under ``base_url``, built from MLB-StatsAPI's endpoint table.

    Unknown parameters are an error (the package silently drops them, which hides bugs
    such as a misspelt ``playerPool``). Query parameters are sorted so that one request
    always has one URL.
    """
    ep = ENDPOINTS.get(endpoint)
    if ep is None:
        raise ValueError(f"unknown MLB Stats API endpoint {endpoint!r}")
    url = ep["url"].replace(_PACKAGE_BASE_URL, base_url.rstrip("/") + "/api/")
    path_params, query = {}, {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        spec = ep["path_params"].get(name)
        if spec is not None:
            if spec.get("type") == "bool":
                value = spec.get("True" if str(value).lower() == "true" else "False", "")
            path_params[name] = str(value)
        elif name in ep["query_params"]:
            query[name] = str(value)
        else:
            raise ValueError(f"{endpoint}: unknown parameter {name!r}")
    for name, spec in ep["path_params"].items():
        value = path_params.get(name)
        if value is None:
            if spec.get("required") and spec.get("default"):
                value = spec["default"]
            elif spec.get("required") and spec.get("type") != "bool":
                raise ValueError(f"{endpoint}: missing path parameter {name!r}")
            else:
                value = ""
        if value and spec.get("type") != "bool":
            value = ("/" if spec.get("leading_slash") else "") + value + ("/" if spec.get("trailing_slash") else "")
        url = url.replace("{" + name + "}", value)
    required_sets = [s for s in ep.get("required_params", [[]])]
    if required_sets and not any(all(p in query for p in s) for s in required_sets):
        raise ValueError(f"{endpoint}: needs one of the parameter sets {required_sets}")
    if query:
        url += "?" + urlencode(sorted(query.items()), safe=",")
    return url


class _Retry(Retry):
    """urllib3's Retry with ``Retry-After`` capped at ``retry_after_max`` seconds, and no
    retry (nor wait) past the collection's deadline (a ``time.monotonic()`` value)."""

    def __init__(self, *args, retry_after_max: float = 30, deadline=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.retry_after_max = retry_after_max
        self.deadline = deadline  # a callable giving the deadline, or None

    def new(self, **kw):
        kw.setdefault("retry_after_max", self.retry_after_max)
        kw.setdefault("deadline", self.deadline)
        return super().new(**kw)

    def get_retry_after(self, response):
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.retry_after_max)

    def _left(self) -> float | None:
        end = self.deadline() if self.deadline else None
        return None if end is None else end - time.monotonic()

    def sleep(self, response=None) -> None:
        left = self._left()
        if left is None:
            return super().sleep(response)
        wait = self.get_retry_after(response) if response is not None and self.respect_retry_after_header else None
        wait = wait or self.get_backoff_time()
        time.sleep(max(0.0, min(wait, left)))

    def is_exhausted(self) -> bool:
        left = self._left()
        return super().is_exhausted() or (left is not None and left <= 0)


class _Breaker:
    """A circuit breaker that guards requests without serialising them (pybreaker 1.4's
    ``call`` holds one lock for the whole request, so concurrent requests ran one at a
    time). Only the state changes take the lock: after ``fail_max`` requests in a row
    fail, requests are refused for ``reset_s``; then one trial request goes through and
    its outcome closes or re-opens the breaker."""

    def __init__(self, fail_max: int, reset_s: float):
        self.fail_max, self.reset_s = fail_max, reset_s
        self._lock = threading.Lock()
        self.failures = 0
        self._opened_at: float | None = None
        self._trial = False  # a half-open trial request is in flight

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "open" if time.monotonic() - self._opened_at < self.reset_s or self._trial else "half-open"

    def before(self) -> bool:
        """May a request start now? Once the cool-down is over, one (the trial) may."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._trial or time.monotonic() - self._opened_at < self.reset_s:
                return False
            self._trial = True
            return True

    def success(self) -> None:
        with self._lock:
            self.failures, self._opened_at, self._trial = 0, None, False

    def failure(self) -> None:
        with self._lock:
            self.failures += 1
            if self._trial or self.failures >= self.fail_max:
                self._opened_at, self._trial = time.monotonic(), False


class HttpSource:
    """A polite, retrying HTTP source with a circuit breaker of its own. Thread-safe."""

    def __init__(self, settings: ClientSettings):
        self.settings = settings
        self._deadline: float | None = None
        retry = _Retry(
            total=settings.max_retries,
            connect=settings.max_retries,
            read=settings.max_retries,
            status=settings.max_retries,
            other=settings.max_retries,
            backoff_factor=settings.backoff_factor_s,
            backoff_max=settings.backoff_max_s,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,
            retry_after_max=settings.retry_after_max_s,
            deadline=lambda: self._deadline,
        )
        self._http = urllib3.PoolManager(
            num_pools=4,
            maxsize=max(1, settings.concurrency),
            block=True,
            retries=retry,
            timeout=urllib3.Timeout(connect=settings.connect_timeout_s, read=settings.read_timeout_s),
            headers={"Accept-Encoding": "gzip", "User-Agent": "mlb-pipeline"},
        )
        self._pace_lock = threading.Lock()
        self._next_slot = 0.0
        self.breaker = _Breaker(settings.breaker_fail_max, settings.breaker_reset_s)

    @contextlib.contextmanager
    def collection(self):
        """One collection under ``collection_deadline_s``: once it has passed, no request
        (nor retry) starts; requests raise :class:`DeadlinePassed` at once."""
        seconds = self.settings.collection_deadline_s
        self._deadline = time.monotonic() + seconds if seconds > 0 else None
        try:
            yield self
        finally:
            self._deadline = None

    def _pace(self) -> None:
        if self.settings.min_interval_s <= 0:
            return
        with self._pace_lock:
            now = time.monotonic()
            wait = self._next_slot - now
            self._next_slot = max(now, self._next_slot) + self.settings.min_interval_s
        if wait > 0:
            time.sleep(wait)

    def get(self, endpoint: str, url: str) -> ApiResponse:
        """GET ``url``; return its body as received (gzip already decoded).

        Raises :class:`NotFound` for a 404, :class:`CircuitOpen` while the breaker is
        open, :class:`DeadlinePassed` after the collection's deadline, and
        :class:`SourceError` when the request failed for good."""
        if self._deadline is not None and time.monotonic() >= self._deadline:
            raise DeadlinePassed(
                url,
                f"the collection's deadline ({self.settings.collection_deadline_s:g} s) "
                "passed before this request started; a later run asks again",
            )
        if not self.breaker.before():
            raise CircuitOpen(
                url,
                f"circuit open after {self.settings.breaker_fail_max} failures in a row; "
                f"source skipped for {self.settings.breaker_reset_s:g} s",
            )
        try:
            resp = self._fetch(endpoint, url)
        except NotFound:
            self.breaker.success()  # the source answered; it has no such object
            raise
        except BaseException:
            self.breaker.failure()
            raise
        self.breaker.success()
        return resp

    def _fetch(self, endpoint: str, url: str) -> ApiResponse:
        self._pace()
        try:
            resp = self._http.request(
                "GET", url, preload_content=True, decode_content=True, enforce_content_length=True
            )
        except urllib3.exceptions.MaxRetryError as exc:
            reason = _failure_reason(exc, self.settings.max_retries)
            if self._deadline is not None and time.monotonic() >= self._deadline:
                reason = f"the collection's deadline passed while retrying; last: {reason}"
            raise SourceError(url, reason) from exc
        except urllib3.exceptions.HTTPError as exc:  # connection refused, reset, timeouts, ...
            raise SourceError(url, f"request failed after {self.settings.max_retries} retries: {exc!r}") from exc
        body = resp.data
        if resp.status == 404:
            raise NotFound(url, "404 Not Found", status=404, body=body)
        if resp.status != 200:
            raise SourceError(url, f"HTTP {resp.status} after retries", status=resp.status, body=body)
        return ApiResponse(endpoint, url, resp.status, body, dt.datetime.now(dt.UTC))

    def close(self) -> None:
        self._http.clear()


def _failure_reason(exc: urllib3.exceptions.MaxRetryError, retries: int) -> str:
    """Why the request failed for good, in words: a body shorter than its Content-Length
    (urllib3 raises IncompleteRead and retries it) is a truncated body, never data."""
    causes, seen = [exc.reason], 0
    while seen < len(causes) < 10:
        cause = causes[seen]
        seen += 1
        if isinstance(cause, http.client.IncompleteRead):  # urllib3's is one too
            got = cause.partial if isinstance(cause.partial, int) else len(cause.partial)
            return (
                f"truncated body: {got} bytes read, {cause.expected} more expected "
                f"(Content-Length), after {retries} retries"
            )
        causes += [
            c for c in (*getattr(cause, "args", ()), cause.__cause__, cause.__context__) if isinstance(c, BaseException)
        ]
    return f"request failed after {retries} retries: {exc!r}"


class StatsApiClient(HttpSource):
    """The MLB Stats API, endpoint by endpoint as MLB-StatsAPI names them."""

    def url(self, endpoint: str, **params) -> str:
        return build_url(self.settings.base_url, endpoint, params)

    def fetch(self, endpoint: str, **params) -> ApiResponse:
        return self.get(endpoint, self.url(endpoint, **params))


class SavantClient(HttpSource):
    """Baseball Savant's Statcast search, asked as pybaseball asks it: a date's pitches with
    ``statcast``'s date request, one game's with ``statcast_single_game``'s."""

    ENDPOINT = "statcast_single_game"
    DATE_ENDPOINT = "statcast_date"

    def game_url(self, game_pk: int) -> str:
        from pybaseball.statcast import _SC_SINGLE_GAME_REQUEST

        return self.settings.base_url + _SC_SINGLE_GAME_REQUEST.format(game_pk=int(game_pk))

    def fetch_game(self, game_pk: int) -> ApiResponse:
        """Every pitch of one game as Savant's CSV (only a header when it has none yet)."""
        return self.get(self.ENDPOINT, self.game_url(game_pk))

    def date_url(self, date: str) -> str:
        """pybaseball's request for one date (``statcast(date, date)``: every team, and the
        regular season, postseason and spring training)."""
        from pybaseball.statcast import _SC_SMALL_REQUEST

        day = dt.date.fromisoformat(str(date)[:10]).isoformat()
        return self.settings.base_url + _SC_SMALL_REQUEST.format(start_dt=day, end_dt=day, team="")

    def fetch_date(self, date: str) -> ApiResponse:
        """Every pitch of every game of a date as one CSV, cut silently at Savant's row cap."""
        return self.get(self.DATE_ENDPOINT, self.date_url(date))
