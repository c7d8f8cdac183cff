"""Helpers every kind's parser shares: strict paths into a JSON response, lenient numbers.

Parsing is strict about structure and lenient about content: a response whose shape is
not what we expect raises :class:`FeedError` naming the missing part (the caller
quarantines the body, never half-loads it); a stat the API leaves out becomes NULL.
Each kind parses its own responses (``mlb_pipeline.kinds``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import orjson


class FeedError(ValueError):
    """A response is not shaped as the Stats API's responses are."""


def _get(obj: Any, path: str, what: str) -> Any:
    cur = obj
    for key in path.split("."):
        if not isinstance(cur, dict) or key not in cur:
            raise FeedError(f"{what}: {path} is missing")
        cur = cur[key]
    return cur


def _opt(obj: dict | None, *keys: str) -> Any:
    cur: Any = obj
    for key in keys:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur


def _num(value: Any) -> float | None:
    """The API writes some numbers as strings ('.250', '-.--'); keep real numbers only."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def decode_json(body: bytes, what: str) -> dict:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FeedError(f"{what}: body is not valid JSON ({exc}); {len(body)} bytes received") from exc
    if not isinstance(doc, dict):
        raise FeedError(f"{what}: expected a JSON object, got {type(doc).__name__}")
    return doc


def _int(value: Any) -> int | None:
    num = _num(value)
    return None if num is None else int(num)


def stat_splits(doc: dict, what: str) -> tuple[list[dict], int]:
    """The splits of a stats response and how many the API says there are in all."""
    blocks = _get(doc, "stats", what)
    if len(blocks) != 1:
        raise FeedError(f"{what}: expected one stats block, got {len(blocks)}")
    return _get(blocks[0], "splits", what), int(blocks[0].get("totalSplits", len(blocks[0]["splits"])))


def row_hash(row: dict, exclude: Iterable[str] = ()) -> str:
    """Stable hash of a row's content, for change detection."""
    import hashlib

    payload = {k: v for k, v in sorted(row.items()) if k not in exclude}
    return hashlib.sha256(orjson.dumps(payload, default=str)).hexdigest()[:32]


def row_hashes(rows: list[dict], names: list[str]) -> list[str]:
    """:func:`row_hash` of every row over ``names`` (a name a row lacks counts as None; a row
    holds no other key). A row that holds every name is hashed as it is, orjson sorting its
    keys: no dict is built a row (a chunk's load hashes hundreds of thousands of rows)."""
    import hashlib

    dumps, sha256, sort = orjson.dumps, hashlib.sha256, orjson.OPT_SORT_KEYS
    every, ordered = len(names), sorted(names)
    return [
        sha256(
            dumps(row, option=sort, default=str)
            if len(row) == every
            else dumps({n: row.get(n) for n in ordered}, default=str)
        ).hexdigest()[:32]
        for row in rows
    ]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------------------------
