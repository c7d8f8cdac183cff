"""Command-line arguments checked as they are read, for every command of the project.

A bad argument is one plain line on stderr naming it and what is wrong, and exit code 2,
never a traceback: argparse says so for a ``type=`` below that raises ``ArgumentTypeError``,
and :class:`Parser` keeps it to that one line (argparse would print the usage above it, which
a script reading stderr, or a person, then has to look past).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

FIRST_SEASON = 1876  # the National League's first: no year before it has MLB games


class Parser(argparse.ArgumentParser):
    """argparse, each error one line (``prog: error: ...``) and exit code 2; its subparsers too."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())}\n")


def date(value: str) -> dt.date:
    """``YYYY-MM-DD``."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def at_least(least: int):
    """A whole number of at least ``least`` (``--lookback-days -5`` is refused)."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or number < least:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least {least}")
        return number

    return parse


def year(value: str) -> int:
    """A season: a year from 1876 to next year."""
    last = dt.date.today().year + 1
    try:
        season = int(value)
    except ValueError:
        season = None
    if season is None or not FIRST_SEASON <= season <= last:
        raise argparse.ArgumentTypeError(f"{value!r} is not a season (a year from {FIRST_SEASON} to {last})")
    return season


def seasons(value: str) -> list[int]:
    """``2021-2024`` (a range, first to last) or ``2019,2021``."""
    try:
        if "-" in value:
            first, last = (year(part.strip()) for part in value.split("-", 1))
            if last < first:
                raise argparse.ArgumentTypeError(f"{value!r} ends before it starts")
            return list(range(first, last + 1))
        return [year(part.strip()) for part in value.split(",")]
    except argparse.ArgumentTypeError as exc:
        if "ends before" in str(exc):
            raise
        raise argparse.ArgumentTypeError(f"{value!r} is not seasons: give years, e.g. 2021-2024 or 2019,2021") from None


def folder(value: str) -> Path:
    """An existing directory."""
    if not Path(value).is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} is not a folder")
    return Path(value)


def file(value: str) -> Path:
    """An existing file."""
    if not Path(value).is_file():
        raise argparse.ArgumentTypeError(f"{value!r} is not a file")
    return Path(value)


def port(value: str) -> int:
    """A TCP port, 0 (any free one) to 65535."""
    number = at_least(0)(value)
    if number > 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (0 to 65535)")
    return number
