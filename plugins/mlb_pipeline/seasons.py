"""The season calendar: which phase of the season a date falls in.

Read from the Stats API's seasons endpoint (landed raw like every response); when the
API cannot answer, the approximate bounds in ``config/seasons.yaml`` are used, and the
calendar says which source it came from. Never from constants in code.
"""

from __future__ import annotations

import logging

from mlb_pipeline.kinds.schedule import parse_schedule
from mlb_pipeline.landing import RawZone
from mlb_pipeline.parse import FeedError, decode_json
from mlb_pipeline.settings import load_config
from mlb_pipeline.source import SourceError, StatsApiClient

log = logging.getLogger(__name__)
PHASES = ("spring_training", "regular_season", "postseason")
_API_FIELDS = {
    "spring_training": ("springStartDate", "springEndDate"),
    "regular_season": ("regularSeasonStartDate", "regularSeasonEndDate"),
    "postseason": ("postSeasonStartDate", "postSeasonEndDate"),
}


def parse_seasons(doc: dict, season: int) -> dict:
    what = f"seasons {season}"
    entries = [s for s in doc.get("seasons") or [] if str(s.get("seasonId")) == str(season)]
    if not entries:
        raise FeedError(f"{what}: no entry for season {season}")
    entry = entries[0]
    phases = {}
    for phase, (start, end) in _API_FIELDS.items():
        if start not in entry or end not in entry:
            raise FeedError(f"{what}: {start}/{end} missing")
        phases[phase] = (entry[start], entry[end])
    return {"season": season, "source": "statsapi", "phases": phases, "all_star": entry.get("allStarDate")}


def fallback_calendar(season: int) -> dict:
    bounds = load_config("seasons")["calendar_fallback"]
    return {
        "season": season,
        "source": "config",
        "all_star": None,
        "phases": {p: (f"{season}-{bounds[p]['start']}", f"{season}-{bounds[p]['end']}") for p in PHASES},
    }


def season_calendar(client: StatsApiClient, zone: RawZone | None, season: int) -> dict:
    """The API's calendar of ``season``, landed raw in ``zone`` (``None``: asked, not landed, for a
    dry run, which writes nothing); config/seasons.yaml's when the API cannot say."""
    try:
        resp = client.fetch("season", seasonId=season, sportId=1)
        if zone is None:
            return parse_seasons(decode_json(resp.body, f"seasons {season}"), season)
        return zone.land_parsed(
            ("current", "reference", "seasons", str(season)),
            "season",
            resp.body,
            lambda body: parse_seasons(decode_json(body, f"seasons {season}"), season),
            date=str(season),
            what="seasons",
            url=resp.url,
        )[1]
    except (SourceError, FeedError) as exc:
        log.warning("season %s calendar not available from the API (%s); using config/seasons.yaml", season, exc)
        return fallback_calendar(season)


def landed_calendar(lake_root: str, season: int) -> dict:
    """The calendar of ``season`` the pipeline last landed (every daily run asks the API for it), or
    config/seasons.yaml's: read only, no request. What a command that must not ask the API (the
    gaps command, a dry run) knows of the season; config's bounds alone run days past the real
    postseason (to 5 November) and would call those dates gaps."""
    from airflow.sdk import ObjectStoragePath

    folder = ObjectStoragePath(lake_root.rstrip("/")) / "current" / "reference" / "seasons" / str(season)
    landed = sorted(folder.glob("season-*.json"), key=lambda p: p.stat().st_mtime) if folder.exists() else []
    for path in reversed(landed):
        try:
            return parse_seasons(decode_json(path.read_bytes(), f"seasons {season}"), season)
        except FeedError:
            continue
    return fallback_calendar(season)


def calendars_between(client: StatsApiClient, zone: RawZone, start: str, end: str) -> dict[int, dict]:
    """The calendar of every season from ``start`` to ``end`` (dates), by year."""
    return {year: season_calendar(client, zone, year) for year in range(int(start[:4]), int(end[:4]) + 1)}


def phase_on(calendar: dict, date: str) -> str:
    """``spring_training``, ``regular_season``, ``postseason`` or ``off_season``."""
    for phase in PHASES:
        start, end = calendar["phases"][phase]
        if start <= date <= end:
            return phase
    return "off_season"


def season_schedule(client: StatsApiClient, zone: RawZone, season: int) -> list[dict]:
    """Every game of ``season`` the API lists, of every game type we collect, landed raw
    (``current/reference/schedule/<season>/``). A second opinion on any one date's schedule
    (an empty answer for a date it lists games on) and what the archive checks a season
    against. An unparseable answer is quarantined and raised (``FeedError``)."""
    types = load_config("seasons")["collected_game_types"]
    resp = client.fetch("schedule", sportId=1, season=season, gameTypes=types)
    _, games = zone.land_parsed(
        ("current", "reference", "schedule", str(season)),
        "schedule_season",
        resp.body,
        lambda body: parse_schedule(decode_json(body, f"schedule of season {season}"), None),
        date=f"{season}-season",
        what="schedule",
        url=resp.url,
    )
    return [
        g.to_dict() | {"is_final": g.is_final, "is_postponed": g.is_postponed, "phase": g.phase}
        for g in games
        if g.game_type in types and str(g.season) == str(season)
    ]
