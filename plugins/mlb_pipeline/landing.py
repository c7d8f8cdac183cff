"""The raw zone: every API response, stored as received, before it is parsed.

Layout (seed 001), under the lake root (a local folder or ``gs://bucket``):

    live/games/<gamePk>/<endpoint>-<sha>.json                       game in progress
    live/games/<gamePk>/<timecode>-<sha>[.patch].json               its versions, followed live (live.py)
    current/<phase>/games/<officialDate>/<gamePk>/<endpoint>-<sha>.json   once final
    current/<phase>/games/<officialDate>/<gamePk>/statcast_single_game-<sha>.csv   Savant, one game
    current/statcast/<officialDate>/statcast_date-<sha>.csv           Savant, every game of a date
    current/schedule/<date>/schedule-<sha>.json                     schedule of a day
    quarantine/<date>/<what>/<endpoint>-<sha>.json (+ .reason.json)  could not be parsed
    historical/<phase>/<year>/...                                   archived seasons
    staging/<batch>/<table>.parquet      BigQuery only: a batch's rows of a table, loaded with one
                                         load job and deleted after its MERGE (warehouse.py)
    staging/feeds/<batch>/<table>.parquet   the rows of the feeds a collection landed, parsed as
                                         they landed: its load reads them instead of parsing the
                                         feeds again, then deletes them (kinds/game_feed.py)

Object names carry a content hash, so re-collecting unchanged data writes nothing new
and a changed response (a stat correction) lands beside the old one. A body that cannot
be parsed goes to quarantine/ only (:meth:`RawZone.land_parsed`): everything under
current/ parses, and the end-of-season archival copies only those.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from airflow.sdk import ObjectStoragePath

from mlb_pipeline.parse import FeedError


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclasses.dataclass(frozen=True)
class LandedObject:
    url: str  # the object's location, e.g. file:///... or gs://...
    sha256: str
    written: bool  # False when an identical object was already there

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class Quarantined(FeedError):
    """A body that could not be parsed, stored in quarantine/ (``landed``) with the reason."""

    def __init__(self, reason: str, landed: LandedObject):
        super().__init__(reason)
        self.reason, self.landed = reason, landed


class RawZone:
    def __init__(self, root_url: str):
        self.root = ObjectStoragePath(root_url)

    # -- where things go ------------------------------------------------------------
    @staticmethod
    def game_key(game_pk: int, official_date: str, phase: str, final: bool) -> tuple[str, ...]:
        if not final:
            return ("live", "games", str(game_pk))
        return ("current", phase, "games", official_date, str(game_pk))

    @staticmethod
    def savant_date_key(date: str) -> tuple[str, ...]:
        return ("current", "statcast", date)

    @staticmethod
    def schedule_key(date: str) -> tuple[str, ...]:
        return ("current", "schedule", date)

    @staticmethod
    def schedule_range_key(first: str, last: str) -> tuple[str, ...]:
        """A backfill chunk's schedule, asked in one request (``startDate``/``endDate``)."""
        return ("current", "schedule", f"{first}_to_{last}")

    # -- writing --------------------------------------------------------------------
    def _put(self, parts: tuple[str, ...], name: str, body: bytes, suffix: str = ".json") -> LandedObject:
        sha = content_hash(body)
        target = self.root.joinpath(*parts) / f"{name}-{sha[:16]}{suffix}"
        if target.exists() and content_hash(target.read_bytes()) == sha:
            return LandedObject(str(target), sha, written=False)
        return self._write(target, body, sha)

    def put_named(self, parts: tuple[str, ...], filename: str, body: bytes) -> LandedObject:
        """Store ``body`` as ``filename``, a name that already says what it holds (a live
        game's version: its timecode and the hash of its feed); nothing is written when an
        object of that name is there."""
        target = self.root.joinpath(*parts) / filename
        if target.exists():
            return LandedObject(str(target), "", written=False)
        return self._write(target, body, content_hash(body))

    def _write(self, target, body: bytes, sha: str) -> LandedObject:
        folder = target.parent
        folder.mkdir(parents=True, exist_ok=True)
        if target.protocol in ("", "file", "local"):
            # Whole or not at all: another task may land the same body (a season's teams, asked
            # for every date of a chunk at once) and read it back while this one writes it. An
            # object store's upload is atomic already.
            partial = folder / f".{target.name}.{uuid.uuid4().hex[:8]}.partial"
            partial.write_bytes(body)
            partial.rename(target)
        else:
            target.write_bytes(body)
        return LandedObject(str(target), sha, written=True)

    def land(self, parts: tuple[str, ...], endpoint: str, body: bytes, suffix: str = ".json") -> LandedObject:
        """Store a response body exactly as received (Savant's CSV with ``suffix=".csv"``)."""
        return self._put(parts, endpoint, body, suffix)

    def land_parsed(
        self,
        parts: tuple[str, ...],
        endpoint: str,
        body: bytes,
        parse: Callable[[bytes], Any],
        *,
        date: str,
        what: str,
        url: str,
        suffix: str = ".json",
    ) -> tuple[LandedObject, Any]:
        """Parse ``body`` in memory, then store it: under ``parts`` when it parses (returning the
        object and what ``parse`` made of it), in quarantine/ with the reason when ``parse``
        raises :class:`FeedError` (raising :class:`Quarantined`). Either way the body is stored
        before anything is loaded, and a broken body never lands beside good ones."""
        try:
            parsed = parse(body)
        except FeedError as exc:
            raise Quarantined(str(exc), self.quarantine(date, what, endpoint, body, str(exc), url, suffix)) from exc
        return self._put(parts, endpoint, body, suffix), parsed

    def quarantine(
        self, date: str, what: str, endpoint: str, body: bytes, reason: str, url: str, suffix: str = ".json"
    ) -> LandedObject:
        """Keep a response we could not use, with the reason beside it."""
        parts = ("quarantine", date, what)
        landed = self._put(parts, endpoint, body, suffix)
        note = {
            "reason": reason,
            "request_url": url,
            "body_sha256": landed.sha256,
            "body_bytes": len(body),
            "quarantined_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        reason_path = ObjectStoragePath(landed.url[: -len(suffix)] + ".reason.json")
        reason_path.write_bytes(orjson.dumps(note, option=orjson.OPT_INDENT_2))
        return landed

    # -- reading --------------------------------------------------------------------
    @staticmethod
    def read(url: str) -> bytes:
        return ObjectStoragePath(url).read_bytes()

    # -- staged rows (not raw: rows parsed from what landed, read once by their load) -------
    def stage_frames(self, what: str, frames: dict) -> str:
        """Write Arrow tables as ``staging/<what>/<batch>/<name>.parquet``; returns the folder."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        folder = self.root / "staging" / what / uuid.uuid4().hex[:16]
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in frames.items():
            sink = pa.BufferOutputStream()  # one write a file (a file object is written in many small ones)
            pq.write_table(frame, sink)
            (folder / f"{name}.parquet").write_bytes(sink.getvalue().to_pybytes())
        return str(folder)

    @staticmethod
    def staged_frames(folder: str, names) -> dict | None:
        """The Arrow tables :meth:`stage_frames` wrote (``names``: those to read), or None when
        any is gone (a load run again after its staged rows were deleted)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        out, base = {}, ObjectStoragePath(folder)
        for name in names:
            try:  # one read a file (pyarrow reads a file object in many small ones)
                body = (base / f"{name}.parquet").read_bytes()
            except FileNotFoundError:
                return None
            out[name] = pq.read_table(pa.BufferReader(body))
        return out

    @staticmethod
    def unstage(folder: str) -> None:
        path = ObjectStoragePath(folder)
        if path.exists():
            path.rmdir(recursive=True)

    def copies(self, game_pk: int, official_date: str, phase: str, endpoint: str, suffix: str = ".json") -> list[str]:
        """Every stored copy of one game's response, final (current/) and live ones."""
        folders = [
            self.root.joinpath(*self.game_key(game_pk, official_date, phase, final=True)),
            self.root.joinpath(*self.game_key(game_pk, official_date, phase, final=False)),
        ]
        return [str(p) for folder in folders if folder.exists() for p in sorted(folder.glob(f"{endpoint}-*{suffix}"))]
