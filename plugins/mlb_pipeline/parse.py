"""Turn MLB Stats API responses into rows of the normalised raw tables.

Parsing is strict about structure and lenient about content: a response whose shape is
not what we expect raises :class:`FeedError` naming the missing part (the caller
quarantines the body, never half-loads it); a stat the API leaves out becomes NULL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

import orjson

from mlb_pipeline.kinds import game_conditions
from mlb_pipeline.settings import load_config

# Tables a game feed fills, in load order (the last two: kinds/game_conditions.py).
GAME_TABLES = ("games", "linescore_innings", "team_lines", "batting_lines", "pitching_lines", "pitches")
GAME_TABLES += game_conditions.TABLES


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


# ------------------------------------------------------------------------------------
# Schedule
# ------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ScheduledGame:
    game_pk: int
    official_date: str
    game_type: str
    season: str
    game_datetime: str
    coded_state: str
    abstract_state: str
    detailed_state: str
    home_team_id: int | None  # real schedules sometimes leave "teams" empty; the feed has them
    away_team_id: int | None
    game_number: int
    double_header: str
    resume_date: str | None = None  # a suspended game: the date it resumes on
    resumed_from: str | None = None  # a resumption: the date the game was suspended on

    @property
    def phase(self) -> str:
        return phase_of(self.game_type)

    @property
    def is_final(self) -> bool:
        return self.coded_state in load_config("seasons")["final_coded_states"]

    @property
    def is_postponed(self) -> bool:
        return self.coded_state in load_config("seasons")["postponed_coded_states"]

    @property
    def is_suspended(self) -> bool:
        return self.coded_state in load_config("seasons")["suspended_coded_states"]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def phase_of(game_type: str) -> str:
    types = load_config("seasons")["game_types"]
    if game_type not in types:
        raise FeedError(f"unknown gameType {game_type!r}")
    return types[game_type]["phase"]


def parse_schedule(doc: dict, date: str | None) -> list[ScheduledGame]:
    """Games whose officialDate is ``date`` (every game when ``date`` is None), in order,
    and the suspended games that resume on ``date`` (listed that day under their original
    officialDate). ``/api/v1/game/changes`` answers in the same shape."""
    what = f"schedule {date or 'of changed games'}"
    games = []
    for day in _get(doc, "dates", what):
        for g in _get(day, "games", what):
            official = _get(g, "officialDate", what)
            resumed_from = g.get("resumedFromDate") or (g.get("resumedFrom") or "")[:10] or None
            resumes_here = resumed_from is not None and day.get("date") == date
            if date is not None and official != date and not resumes_here:
                continue
            games.append(
                ScheduledGame(
                    game_pk=int(_get(g, "gamePk", what)),
                    official_date=official,
                    game_type=_get(g, "gameType", what),
                    season=str(_get(g, "season", what)),
                    game_datetime=_get(g, "gameDate", what),
                    coded_state=_get(g, "status.codedGameState", what),
                    abstract_state=_get(g, "status.abstractGameState", what),
                    detailed_state=_get(g, "status.detailedState", what),
                    home_team_id=_int(_opt(g, "teams", "home", "team", "id")),
                    away_team_id=_int(_opt(g, "teams", "away", "team", "id")),
                    game_number=int(g.get("gameNumber", 1)),
                    double_header=g.get("doubleHeader", "N"),
                    resume_date=g.get("resumeGameDate") or (g.get("resumeDate") or "")[:10] or None,
                    resumed_from=resumed_from,
                )
            )
    return games


# ------------------------------------------------------------------------------------
# Live feed -> rows
# ------------------------------------------------------------------------------------
BATTING_STATS = {
    "at_bats": "atBats",
    "plate_appearances": "plateAppearances",
    "runs": "runs",
    "hits": "hits",
    "doubles": "doubles",
    "triples": "triples",
    "home_runs": "homeRuns",
    "rbi": "rbi",
    "base_on_balls": "baseOnBalls",
    "intentional_walks": "intentionalWalks",
    "strike_outs": "strikeOuts",
    "hit_by_pitch": "hitByPitch",
    "stolen_bases": "stolenBases",
    "caught_stealing": "caughtStealing",
    "left_on_base": "leftOnBase",
    "sac_bunts": "sacBunts",
    "sac_flies": "sacFlies",
    "ground_into_double_play": "groundIntoDoublePlay",
    "total_bases": "totalBases",
}
PITCHING_STATS = {
    "outs": "outs",
    "batters_faced": "battersFaced",
    "hits": "hits",
    "runs": "runs",
    "earned_runs": "earnedRuns",
    "base_on_balls": "baseOnBalls",
    "strike_outs": "strikeOuts",
    "home_runs": "homeRuns",
    "hit_by_pitch": "hitByPitch",
    "number_of_pitches": "numberOfPitches",
    "strikes": "strikes",
    "balls": "balls",
    "wins": "wins",
    "losses": "losses",
    "saves": "saves",
    "holds": "holds",
    "blown_saves": "blownSaves",
    "games_started": "gamesStarted",
}
FIELDING_STATS = {"putouts": "putOuts", "assists": "assists", "errors": "errors"}
TEAM_BATTING = {
    "runs": "runs",
    "hits": "hits",
    "at_bats": "atBats",
    "home_runs": "homeRuns",
    "rbi": "rbi",
    "base_on_balls": "baseOnBalls",
    "strike_outs": "strikeOuts",
    "left_on_base": "leftOnBase",
}
TEAM_PITCHING = {
    "runs": "runs",
    "hits": "hits",
    "base_on_balls": "baseOnBalls",
    "strike_outs": "strikeOuts",
    "home_runs": "homeRuns",
    "outs": "outs",
}


def _int(value: Any) -> int | None:
    num = _num(value)
    return None if num is None else int(num)


def parse_feed(doc: dict) -> dict[str, list[dict]]:
    """Rows for every game table from one ``/api/v1.1/game/{pk}/feed/live`` response."""
    game_pk = doc.get("gamePk")
    what = f"feed {game_pk}"
    if game_pk is None:
        raise FeedError("feed: gamePk is missing")
    game = _get(doc, "gameData.game", what)
    status = _get(doc, "gameData.status", what)
    official_date = _get(doc, "gameData.datetime.officialDate", what)
    teams = {side: int(_get(doc, f"gameData.teams.{side}.id", what)) for side in ("home", "away")}
    linescore = _get(doc, "liveData.linescore", what)
    box_teams = _get(doc, "liveData.boxscore.teams", what)
    plays = _get(doc, "liveData.plays.allPlays", what)
    decisions = _opt(doc, "liveData", "decisions") or {}
    final_states = load_config("seasons")["final_coded_states"]

    games = [
        {
            "game_pk": int(game_pk),
            "official_date": official_date,
            "season": str(_get(game, "season", what)),
            "game_type": _get(game, "type", what),
            "phase": phase_of(_get(game, "type", what)),
            "game_number": _int(game.get("gameNumber")) or 1,
            "double_header": game.get("doubleHeader", "N"),
            "game_datetime": _get(doc, "gameData.datetime.dateTime", what),
            "day_night": _opt(doc, "gameData", "datetime", "dayNight"),
            "venue_id": _int(_opt(doc, "gameData", "venue", "id")),
            "home_team_id": teams["home"],
            "away_team_id": teams["away"],
            "home_score": _int(_opt(linescore, "teams", "home", "runs")),
            "away_score": _int(_opt(linescore, "teams", "away", "runs")),
            "home_hits": _int(_opt(linescore, "teams", "home", "hits")),
            "away_hits": _int(_opt(linescore, "teams", "away", "hits")),
            "home_errors": _int(_opt(linescore, "teams", "home", "errors")),
            "away_errors": _int(_opt(linescore, "teams", "away", "errors")),
            "innings": len(linescore.get("innings") or []),
            "status_code": _get(status, "codedGameState", what),
            "abstract_state": _get(status, "abstractGameState", what),
            "detailed_state": _get(status, "detailedState", what),
            "is_final": _get(status, "codedGameState", what) in final_states,
            "winning_pitcher_id": _int(_opt(decisions, "winner", "id")),
            "losing_pitcher_id": _int(_opt(decisions, "loser", "id")),
            "save_pitcher_id": _int(_opt(decisions, "save", "id")),
        }
    ]
    if games[0]["is_final"] and not plays:  # loaded, it would look final and never be asked again
        raise FeedError(f"{what}: a final game without plays (liveData.plays.allPlays is empty)")

    innings = []
    for inning in _get(linescore, "innings", what):
        for side in ("home", "away"):
            half = inning.get(side)
            if not half:  # bottom of the last inning not played
                continue
            innings.append(
                {
                    "game_pk": int(game_pk),
                    "official_date": official_date,
                    "inning": int(_get(inning, "num", what)),
                    "team_side": side,
                    "team_id": teams[side],
                    "runs": _int(half.get("runs")),
                    "hits": _int(half.get("hits")),
                    "errors": _int(half.get("errors")),
                    "left_on_base": _int(half.get("leftOnBase")),
                }
            )

    batting, pitching, team_lines = [], [], []
    for side in ("home", "away"):
        team = _get(box_teams, side, what)
        players = _get(team, "players", f"{what} boxscore {side}")
        tb = _opt(team, "teamStats", "batting") or {}
        tp = _opt(team, "teamStats", "pitching") or {}
        team_lines.append(
            {
                "game_pk": int(game_pk),
                "official_date": official_date,
                "team_side": side,
                "team_id": teams[side],
                **{col: _int(tb.get(api)) for col, api in TEAM_BATTING.items()},
                **{f"pitching_{col}": _int(tp.get(api)) for col, api in TEAM_PITCHING.items()},
                "number_of_pitches": _int(tp.get("numberOfPitches", tp.get("pitchesThrown"))),
                "putouts": sum(_int(_opt(p, "stats", "fielding", "putOuts")) or 0 for p in players.values()),
            }
        )
        pitcher_order = {pid: i + 1 for i, pid in enumerate(team.get("pitchers") or [])}
        for key, p in players.items():
            pid = int(_get(p, "person.id", f"{what} player {key}"))
            stats = p.get("stats") or {}
            base = {
                "game_pk": int(game_pk),
                "official_date": official_date,
                "team_side": side,
                "team_id": teams[side],
                "player_id": pid,
                "player_name": _opt(p, "person", "fullName"),
            }
            fielding = stats.get("fielding") or {}
            if stats.get("batting"):
                b = stats["batting"]
                order = p.get("battingOrder")
                batting.append(
                    {
                        **base,
                        "batting_order": int(order) if order and str(order).isdigit() else None,
                        "position": _opt(p, "position", "abbreviation"),
                        **{col: _int(b.get(api)) for col, api in BATTING_STATS.items()},
                        **{col: _int(fielding.get(api)) for col, api in FIELDING_STATS.items()},
                    }
                )
            if stats.get("pitching"):
                s = stats["pitching"]
                pitching.append(
                    {
                        **base,
                        "pitching_order": pitcher_order.get(pid),
                        "innings_pitched": s.get("inningsPitched"),
                        **{col: _int(s.get(api)) for col, api in PITCHING_STATS.items()},
                    }
                )

    pitches = []
    for play in plays:
        about = play.get("about") or {}
        matchup = play.get("matchup") or {}
        at_bat = _int(play.get("atBatIndex", about.get("atBatIndex")))
        if at_bat is None:
            raise FeedError(f"{what}: a play has no atBatIndex")
        for ev in play.get("playEvents") or []:
            if not ev.get("isPitch"):
                continue
            det, pd, hd = ev.get("details") or {}, ev.get("pitchData") or {}, ev.get("hitData") or {}
            pitches.append(
                {
                    "game_pk": int(game_pk),
                    "official_date": official_date,
                    "at_bat_index": at_bat,
                    "event_index": _int(_get(ev, "index", what)),
                    "pitch_number": _int(ev.get("pitchNumber")),
                    "play_id": ev.get("playId"),
                    "inning": _int(about.get("inning")),
                    "half_inning": about.get("halfInning"),
                    "batter_id": _int(_opt(matchup, "batter", "id")),
                    "pitcher_id": _int(_opt(matchup, "pitcher", "id")),
                    "pitch_type": _opt(det, "type", "code"),
                    "call_code": _opt(det, "call", "code"),
                    "call_description": _opt(det, "call", "description"),
                    "is_in_play": det.get("isInPlay"),
                    "is_strike": det.get("isStrike"),
                    "is_ball": det.get("isBall"),
                    "balls": _int(_opt(ev, "count", "balls")),
                    "strikes": _int(_opt(ev, "count", "strikes")),
                    "outs": _int(_opt(ev, "count", "outs")),
                    "start_speed": _num(pd.get("startSpeed")),
                    "end_speed": _num(pd.get("endSpeed")),
                    "spin_rate": _num(_opt(pd, "breaks", "spinRate")),
                    "spin_direction": _num(_opt(pd, "breaks", "spinDirection")),
                    "extension": _num(pd.get("extension")),
                    "zone": _int(pd.get("zone")),
                    "plate_x": _num(_opt(pd, "coordinates", "pX")),
                    "plate_z": _num(_opt(pd, "coordinates", "pZ")),
                    "sz_top": _num(pd.get("strikeZoneTop")),
                    "sz_bottom": _num(pd.get("strikeZoneBottom")),
                    "launch_speed": _num(hd.get("launchSpeed")),
                    "launch_angle": _num(hd.get("launchAngle")),
                    "total_distance": _num(hd.get("totalDistance")),
                    "trajectory": hd.get("trajectory"),
                    "start_time": ev.get("startTime"),
                }
            )
    return {
        "games": games,
        "linescore_innings": innings,
        "team_lines": team_lines,
        "batting_lines": batting,
        "pitching_lines": pitching,
        "pitches": pitches,
        **game_conditions.parse(doc),
    }


def row_hash(row: dict, exclude: Iterable[str] = ()) -> str:
    """Stable hash of a row's content, for change detection."""
    import hashlib

    payload = {k: v for k, v in sorted(row.items()) if k not in exclude}
    return hashlib.sha256(orjson.dumps(payload, default=str)).hexdigest()[:32]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------------------------
# Reference data: teams, standings, rosters
# ------------------------------------------------------------------------------------
def parse_teams(doc: dict, season: str) -> list[dict]:
    """``/api/v1/teams?sportId=1&season=S``: one row per club of the season."""
    what = f"teams {season}"
    rows = []
    for t in _get(doc, "teams", what):
        rows.append(
            {
                "season": str(season),
                "team_id": int(_get(t, "id", what)),
                "name": _get(t, "name", what),
                "abbreviation": t.get("abbreviation"),
                "team_name": t.get("teamName"),
                "location_name": t.get("locationName"),
                "league_id": _int(_opt(t, "league", "id")),
                "division_id": _int(_opt(t, "division", "id")),
                "venue_id": _int(_opt(t, "venue", "id")),
                "active": t.get("active"),
            }
        )
    return rows


def parse_standings(doc: dict, date: str) -> list[dict]:
    """``/api/v1/standings``: one row per team, as of ``date``."""
    what = f"standings {date}"
    rows = []
    for record in _get(doc, "records", what):
        for tr in _get(record, "teamRecords", what):
            rows.append(
                {
                    "standings_date": date,
                    "season": str(tr.get("season") or date[:4]),
                    "team_id": int(_get(tr, "team.id", what)),
                    "league_id": _int(_opt(record, "league", "id")),
                    "division_id": _int(_opt(record, "division", "id")),
                    "games_played": _int(tr.get("gamesPlayed")),
                    "wins": int(_get(tr, "wins", what)),
                    "losses": int(_get(tr, "losses", what)),
                    "winning_pct": _num(tr.get("winningPercentage")),
                    "games_back": tr.get("gamesBack"),
                    "division_rank": _int(tr.get("divisionRank")),
                    "league_rank": _int(tr.get("leagueRank")),
                    "runs_scored": _int(tr.get("runsScored")),
                    "runs_allowed": _int(tr.get("runsAllowed")),
                    "run_differential": _int(tr.get("runDifferential")),
                    "streak_code": _opt(tr, "streak", "streakCode"),
                }
            )
    return rows


def parse_roster(doc: dict, date: str, team_id: int, roster_type: str) -> list[dict]:
    """``/api/v1/teams/{id}/roster``: one row per player on the roster that day."""
    what = f"roster {team_id} {date}"
    return [
        {
            "roster_date": date,
            "roster_type": roster_type,
            "team_id": int(team_id),
            "player_id": int(_get(p, "person.id", what)),
            "player_name": _opt(p, "person", "fullName"),
            "jersey_number": p.get("jerseyNumber"),
            "position_code": _opt(p, "position", "code"),
            "position": _opt(p, "position", "abbreviation"),
            "status_code": _opt(p, "status", "code"),
        }
        for p in _get(doc, "roster", what)
    ]


PLAYER_STAT_COLUMNS = {
    "games_played": "gamesPlayed",
    "plate_appearances": "plateAppearances",
    "at_bats": "atBats",
    "runs": "runs",
    "hits": "hits",
    "home_runs": "homeRuns",
    "rbi": "rbi",
    "base_on_balls": "baseOnBalls",
    "strike_outs": "strikeOuts",
    "outs": "outs",
    "earned_runs": "earnedRuns",
}
TEAM_STAT_COLUMNS = {
    "games_played": "gamesPlayed",
    "runs": "runs",
    "hits": "hits",
    "home_runs": "homeRuns",
    "strike_outs": "strikeOuts",
    "base_on_balls": "baseOnBalls",
    "putouts": "putOuts",
    "errors": "errors",
}


def stat_splits(doc: dict, what: str) -> tuple[list[dict], int]:
    """The splits of a stats response and how many the API says there are in all."""
    blocks = _get(doc, "stats", what)
    if len(blocks) != 1:
        raise FeedError(f"{what}: expected one stats block, got {len(blocks)}")
    return _get(blocks[0], "splits", what), int(blocks[0].get("totalSplits", len(blocks[0]["splits"])))


def parse_player_stats(doc: dict, date: str, group: str) -> list[dict]:
    """``/api/v1/stats?stats=byDateRange&playerPool=ALL``: one row per player and club."""
    what = f"player {group} stats {date}"
    splits, _ = stat_splits(doc, what)
    return [
        {
            "stats_date": date,
            "stat_group": group,
            "player_id": int(_get(sp, "player.id", what)),
            "team_id": int(_get(sp, "team.id", what)),
            "player_name": _opt(sp, "player", "fullName"),
            **{col: _int(sp["stat"].get(api)) for col, api in PLAYER_STAT_COLUMNS.items()},
            "stats": orjson.dumps(_get(sp, "stat", what)).decode(),
        }
        for sp in splits
    ]


def parse_team_stats(doc: dict, date: str, group: str) -> list[dict]:
    """``/api/v1/teams/stats?stats=byDateRange``: one row per club that played."""
    what = f"team {group} stats {date}"
    splits, _ = stat_splits(doc, what)
    return [
        {
            "stats_date": date,
            "stat_group": group,
            "team_id": int(_get(sp, "team.id", what)),
            **{col: _int(sp["stat"].get(api)) for col, api in TEAM_STAT_COLUMNS.items()},
            "stats": orjson.dumps(_get(sp, "stat", what)).decode(),
        }
        for sp in splits
    ]


def parse_transactions(doc: dict, date: str) -> list[dict]:
    """``/api/v1/transactions?startDate=D&endDate=D``: one row per transaction."""
    what = f"transactions {date}"
    return [
        {
            "transaction_id": int(_get(t, "id", what)),
            "transaction_date": _get(t, "date", what),
            "effective_date": t.get("effectiveDate"),
            "resolution_date": t.get("resolutionDate"),
            "type_code": t.get("typeCode"),
            "type_desc": t.get("typeDesc"),
            "player_id": _int(_opt(t, "person", "id")),
            "player_name": _opt(t, "person", "fullName"),
            "from_team_id": _int(_opt(t, "fromTeam", "id")),
            "to_team_id": _int(_opt(t, "toTeam", "id")),
            "description": t.get("description"),
        }
        for t in _get(doc, "transactions", what)
    ]
