"""The sources: the MLB Stats API and Baseball Savant, each behind one configurable base URL.

The MLB-StatsAPI package knows every endpoint (its ``ENDPOINTS`` table: path template,
query parameters, required parameters) but hard-codes ``https://statsapi.mlb.com`` into
that table at import time and calls ``requests.get`` with no timeout and no retry. We keep
its table and do the HTTP ourselves with urllib3: our base URL, a timeout on every
request, gzip, and retries with exponential backoff that honour ``Retry-After``.

pybaseball likewise knows Savant's Statcast search URLs but fetches them with
``requests`` and no timeout against a hard-coded host; :class:`SavantClient` takes its URL
template and sends it through the same transport (and a circuit breaker of its own).

Responses come back as raw bytes so they can be written to the raw zone *before* they
are parsed (write-through).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from urllib.parse import urlencode

import pybreaker
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

    @classmethod
    def from_config(cls, base_url: str, cfg: dict) -> "ClientSettings":
        """Settings from ``config/pipeline.yaml`` (and connection extras, which are strings)."""
        kinds = {f.name: f.type for f in dataclasses.fields(cls) if f.name != "base_url"}
        cast = {"int": int, "float": float}
        return cls(base_url=base_url.rstrip("/"),
                   **{k: cast[kinds[k]](v) for k, v in cfg.items() if k in kinds})


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


class HttpSource:
    """A polite, retrying HTTP source with a circuit breaker of its own. Thread-safe."""

    def __init__(self, settings: ClientSettings):
        self.settings = settings
        retry = Retry(
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
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=settings.breaker_fail_max, reset_timeout=settings.breaker_reset_s,
            exclude=[NotFound], throw_new_error_on_trip=False, name=settings.base_url)

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
        open, and :class:`SourceError` when the request failed for good."""
        try:
            return self.breaker.call(self._fetch, endpoint, url)
        except pybreaker.CircuitBreakerError as exc:
            raise CircuitOpen(url, f"circuit open after {self.settings.breaker_fail_max} failures in a row; "
                                   f"source skipped for {self.settings.breaker_reset_s:g} s") from exc

    def _fetch(self, endpoint: str, url: str) -> ApiResponse:
        self._pace()
        try:
            resp = self._http.request("GET", url, preload_content=True, decode_content=True)
        except urllib3.exceptions.HTTPError as exc:  # connection refused, reset, timeouts, ...
            raise SourceError(url, f"request failed after {self.settings.max_retries} retries: {exc!r}") from exc
        body = resp.data
        if resp.status == 404:
            raise NotFound(url, "404 Not Found", status=404, body=body)
        if resp.status != 200:
            raise SourceError(url, f"HTTP {resp.status} after retries", status=resp.status, body=body)
        return ApiResponse(endpoint, url, resp.status, body, dt.datetime.now(dt.timezone.utc))

    def close(self) -> None:
        self._http.clear()


class StatsApiClient(HttpSource):
    """The MLB Stats API, endpoint by endpoint as MLB-StatsAPI names them."""

    def url(self, endpoint: str, **params) -> str:
        return build_url(self.settings.base_url, endpoint, params)

    def fetch(self, endpoint: str, **params) -> ApiResponse:
        return self.get(endpoint, self.url(endpoint, **params))


class SavantClient(HttpSource):
    """Baseball Savant's Statcast search, as pybaseball's ``statcast_single_game`` asks it."""

    ENDPOINT = "statcast_single_game"

    def game_url(self, game_pk: int) -> str:
        from pybaseball.statcast import _SC_SINGLE_GAME_REQUEST

        return self.settings.base_url + _SC_SINGLE_GAME_REQUEST.format(game_pk=int(game_pk))

    def fetch_game(self, game_pk: int) -> ApiResponse:
        """Every pitch of one game as Savant's CSV (only a header when it has none yet)."""
        return self.get(self.ENDPOINT, self.game_url(game_pk))
