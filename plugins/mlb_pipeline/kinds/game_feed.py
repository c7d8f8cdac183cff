"""The live feed of a game (``/api/v1.1/game/{pk}/feed/live``): the game, its linescore, the
clubs' and players' box-score lines and every pitch (``raw.games``, ``raw.linescore_innings``,
``raw.team_lines``, ``raw.batting_lines``, ``raw.pitching_lines``, ``raw.pitches``).

Collected by ``collect_game_feeds`` for the games the plan lists (:func:`collect_feeds`:
bounded concurrency; every body written to the raw zone before anything is loaded, to
quarantine/ only when it cannot be parsed; when the API fails, the last good copy in the
raw zone serves). Loaded all at once (:func:`load`: one stage and one MERGE a table for every
game of the run), with the tables of every kind parsed from the same feed (``parses="game_feed"``:
:func:`parse_game`).
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
from typing import TYPE_CHECKING

from mlb_pipeline import kinds
from mlb_pipeline.kinds import Kind
from mlb_pipeline.kinds.schedule import phase_of
from mlb_pipeline.landing import LandedObject, Quarantined, RawZone
from mlb_pipeline.parse import FeedError, _get, _int, _num, _opt, decode_json
from mlb_pipeline.settings import load_config

if TYPE_CHECKING:
    from mlb_pipeline.run import Collected, Plan

log = logging.getLogger(__name__)

TABLES = ("games", "linescore_innings", "team_lines", "batting_lines", "pitching_lines", "pitches")


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
    }


def parse_game(doc: dict) -> dict[str, list[dict]]:
    """Rows of every table a live feed fills: the feed's own (:func:`parse_feed`) and those of
    the kinds parsed from it (their ``parse(doc)``)."""
    rows = parse_feed(doc)
    for derived in kinds.derived_from("game_feed"):
        rows.update(derived.parse(doc))
    return rows


def parse(doc: dict, scope: dict | None = None) -> dict[str, list[dict]]:
    return parse_feed(doc)


def _fallback(zone: RawZone, game: dict) -> tuple[LandedObject, dict] | None:
    """The newest parseable copy of a game's feed already in our raw zone, and its rows."""
    best, best_stamp = None, ""
    for url in zone.copies(game["game_pk"], game["official_date"], game["phase"], "feed_live"):
        try:
            doc = decode_json(zone.read(url), url)
            rows = parse_game(doc)
        except FeedError:
            continue
        stamp = str((doc.get("metaData") or {}).get("timeStamp", ""))
        final = doc["gameData"]["status"]["codedGameState"] in load_config("seasons")["final_coded_states"]
        key = f"{int(final)}{stamp}"
        if best is None or key > best_stamp:
            best, best_stamp = (LandedObject(url, "", written=False), rows), key
    return best


STAGE_BATCH = 32  # games whose rows become one Arrow table a table (one frame a game cost twice as much)


def _frames(games: list[tuple[dict, dict]]) -> dict:
    """Landed games' rows as one Arrow table a table (:func:`warehouse.typed_frame`), made as they
    land (in the collecting task or process). Raises ValueError (or KeyError, TypeError) when a
    game's rows do not fit the schema."""
    from mlb_pipeline.warehouse import typed_frame

    now = dt.datetime.now(dt.UTC)
    for item, rows in games:
        rows["games"][0]["raw_object"] = item["url"]
    frames = {}
    for table in kinds.GAME_TABLES:
        rows = [row for _, game_rows in games for row in game_rows.get(table, [])]
        sources = [item["source"] for item, game_rows in games for _ in game_rows.get(table, [])]
        frames[table] = typed_frame(f"raw.{table}", rows, now, sources)
    return frames


def _collect_one(client, zone: RawZone, game: dict) -> dict:
    from mlb_pipeline.source import NotFound, SourceError

    pk, date = game["game_pk"], game["official_date"]
    url = client.url("game", gamePk=pk)
    base = {"game_pk": pk, "official_date": date, "endpoint": "game", "request_url": url}
    try:
        resp = client.fetch("game", gamePk=pk)
    except NotFound:
        return {
            **base,
            "ok": False,
            "kind": "not_found",
            "raw_object": None,
            "error": f"the API has no live feed for game {pk} (404)",
        }
    except SourceError as exc:
        failure = {**base, "ok": False, "kind": "unavailable", "error": exc.reason, "raw_object": None}
        found = _fallback(zone, game)
        if found is None:
            return failure
        copy, rows = found
        log.warning(
            "game %s: API unavailable (%s); serving the last good copy from the raw zone: %s", pk, exc.reason, copy.url
        )
        return {
            **base,
            "ok": True,
            "url": copy.url,
            "sha256": copy.sha256,
            "written": False,
            "source": "raw_zone_fallback",
            "failure": failure,
            "_rows": rows,
        }
    # Write-through: the body is stored as received (in quarantine/ when it cannot be parsed)
    # before anything is loaded.
    try:
        landed, rows = zone.land_parsed(
            zone.game_key(pk, date, game["phase"], game["is_final"]),
            "feed_live",
            resp.body,
            lambda body: parse_game(decode_json(body, f"feed {pk}")),
            date=date,
            what=str(pk),
            url=resp.url,
        )
    except Quarantined as exc:
        return {
            **base,
            "request_url": resp.url,
            "ok": False,
            "kind": "unparseable",
            "error": exc.reason,
            "raw_object": exc.landed.url,
        }
    return {**base, "request_url": resp.url, "ok": True, "source": "statsapi", **landed.to_dict(), "_rows": rows}


def collect_feeds(client, zone: RawZone, plan: Plan, concurrency: int, stage: bool = True) -> Collected:
    """Fetch and land the live feed of every planned game; with ``stage``, stage their rows for
    :func:`load` (:class:`_Staging`; callers that load the feeds themselves do not)."""
    games = plan["collect"]
    staging = _Staging(games) if stage else None
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="feeds") as pool:
        for i, result in enumerate(pool.map(lambda game: _collect_one(client, zone, game), games)):
            rows = result.pop("_rows", None)
            if staging is not None:
                staging.add(i, result, rows)
            results.append(result)
    landed = [r for r in results if r["ok"]]
    failed = [r for r in results if not r["ok"]] + [r["failure"] for r in landed if "failure" in r]
    for f in failed:
        log.warning("game %s not collected from the API (%s): %s", f["game_pk"], f["kind"], f["error"])
    fallback = [r["game_pk"] for r in landed if r["source"] == "raw_zone_fallback"]
    if fallback:
        log.warning("FALLBACK: %d games served from the raw zone instead of the API: %s", len(fallback), fallback)
    log.info(
        "%s: %d feeds landed (%d new objects), %d failed",
        plan["game_date"],
        len(landed),
        sum(1 for r in landed if r["written"]),
        len(failed),
    )
    staged = staging.write(zone) if staging is not None else None
    return {"game_date": plan["game_date"], "landed": landed, "failed": failed, "staged": staged}


class _Staging:
    """The rows of every landed game, parsed as they landed, as one Parquet file a table
    (``staging/feeds/``): the load reads them instead of reading and parsing every feed again.
    Rows become Arrow tables :data:`STAGE_BATCH` games at a time as results come in; a game
    planned twice is staged once (its last copy). Nothing is staged when a landed game's rows
    could not be (its load then parses them all, and says why)."""

    def __init__(self, games: list[dict]):
        self.last = {g["game_pk"]: i for i, g in enumerate(games)}
        self.pending: list[tuple[dict, dict]] = []
        self.frames: list[dict] = []
        self.games: list[dict] = []
        self.broken = False

    def add(self, i: int, result: dict, rows: dict | None) -> None:
        if not result["ok"] or self.broken or self.last[result["game_pk"]] != i:
            return
        if rows is None or len(rows.get("games", [])) != 1:
            self.broken = True
            return
        self.pending.append((result, rows))
        self.games.append(
            {
                "game_pk": result["game_pk"],
                "official_date": rows["games"][0].get("official_date"),
                "rows": {t: len(rows.get(t, [])) for t in kinds.GAME_TABLES},
            }
        )
        if len(self.pending) >= STAGE_BATCH:
            self._convert()

    def _convert(self) -> None:
        try:
            self.frames.append(_frames(self.pending))
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("games %s: rows not staged (%s)", [r["game_pk"] for r, _ in self.pending], exc)
            self.broken = True
        self.pending = []

    def write(self, zone: RawZone) -> dict | None:
        if self.pending and not self.broken:
            self._convert()
        if self.broken or not self.games:
            return None
        import pyarrow as pa

        folder = zone.stage_frames(
            "feeds", {t: pa.concat_tables([frames[t] for frames in self.frames]) for t in kinds.GAME_TABLES}
        )
        return {"url": folder, "games": self.games}


def load(warehouse, zone: RawZone, plan: dict, collected: dict, con) -> dict:
    """Parse every landed game, then merge them all at once (one stage and one MERGE a table,
    :meth:`Warehouse.load_games`): rows per date and table, the failures (of collection and of
    load), the games loaded per date."""
    counts: dict[str, dict[str, int]] = {}
    loaded: dict[str, list[int]] = {}
    failed = list(collected["failed"])
    staged = collected.get("staged")
    if staged and {g["game_pk"] for g in staged["games"]} != {i["game_pk"] for i in collected["landed"]}:
        zone.unstage(staged["url"])  # staged for other games than those to load (a narrowed collection)
        staged = None
    frames = zone.staged_frames(staged["url"], kinds.GAME_TABLES) if staged else None
    if frames is not None:
        for game in staged["games"]:
            day_counts = counts.setdefault(game["official_date"], {})
            for table, n in game["rows"].items():
                day_counts[table] = day_counts.get(table, 0) + n
            loaded.setdefault(game["official_date"], []).append(game["game_pk"])
        warehouse.load_game_frames(frames, [g["game_pk"] for g in staged["games"]], con=con)
        zone.unstage(staged["url"])
        return {"counts": counts, "failed": failed, "loaded": loaded, "touched": sorted(loaded)}
    games = []
    for item in collected["landed"]:
        body = zone.read(item["url"])
        try:
            rows = parse_game(decode_json(body, f"feed {item['game_pk']}"))
        except FeedError as exc:  # the landed object is not what we collected: keep it, say so
            failed.append({**item, "kind": "unparseable", "error": str(exc), "raw_object": item["url"]})
            continue
        rows["games"][0]["raw_object"] = item["url"]
        date = rows["games"][0]["official_date"]
        day_counts = counts.setdefault(date, {})
        for table in kinds.GAME_TABLES:
            day_counts[table] = day_counts.get(table, 0) + len(rows.get(table, []))
        loaded.setdefault(date, []).append(item["game_pk"])
        games.append((item["game_pk"], rows, item["source"]))
    if games:
        warehouse.load_games(games, con=con)
    return {"counts": counts, "failed": failed, "loaded": loaded, "touched": sorted(loaded)}


def answered(plan: dict, collected: dict, loaded: dict[str, list[int]]) -> dict[str, list[str]]:
    """Feeds fetched from the API now and loaded, by date of the plan: their letters close."""
    return {
        date: [
            i["request_url"]
            for i in collected["landed"]
            if i["official_date"] == date and i["source"] == "statsapi" and i["game_pk"] in loaded.get(date, [])
        ]
        for date in plan["dates"]
    }


def missing(warehouse, game_date: str, lookback_days: int) -> dict[str, dict[int, str]]:
    """``{date: {game_pk: reason}}`` for the ``lookback_days`` before ``game_date``: games whose
    feed failed (open dead letters) or was collected before the game was final."""
    day = dt.date.fromisoformat(game_date)
    start = day - dt.timedelta(days=lookback_days)
    gaps: dict[str, dict[int, str]] = {}
    letters = warehouse.query(
        "SELECT game_date, game_pk, kind FROM ops.dead_letters "
        "WHERE resolved_at IS NULL AND game_pk IS NOT NULL AND endpoint = 'game' "
        "AND game_date >= ? AND game_date < ?",
        [start, day],
    )
    for r in letters:
        gaps.setdefault(_day(r["game_date"]), {})[int(r["game_pk"])] = f"retry: open dead letter ({r['kind']})"
    # Suspended games wait for the schedule to list their resumption.
    suspended = load_config("seasons")["suspended_coded_states"]
    not_final = warehouse.query(
        "SELECT official_date, game_pk, status_code FROM raw.games "
        "WHERE NOT is_final AND official_date >= ? AND official_date < ?",
        [start, day],
    )
    for r in not_final:
        if r["status_code"] in suspended:
            continue
        gaps.setdefault(_day(r["official_date"]), {})[int(r["game_pk"])] = "retry: collected before it was final"
    return gaps


def gaps(warehouse, start: dt.date, day: dt.date) -> list[dict]:
    """Backfill detection's gaps of this kind from ``start`` to ``day`` (both included): games
    not final in the warehouse (suspended and postponed ones are not gaps), and games whose
    feed is an open dead letter."""
    seasons = load_config("seasons")
    not_played = seasons["suspended_coded_states"] + seasons["postponed_coded_states"]
    out = [
        _gap(r["official_date"], r["game_pk"], f"not final in the warehouse (status {r['status_code']})", "incomplete")
        for r in warehouse.query(
            "SELECT official_date, game_pk, status_code FROM raw.games WHERE NOT is_final "
            "AND official_date >= ? AND official_date <= ? ORDER BY official_date, game_pk",
            [start, day],
        )
        if r["status_code"] not in not_played
    ]
    out += [
        _gap(r["game_date"], r["game_pk"], f"not loaded ({r['kind']}, open dead letter)", "collection")
        for r in warehouse.query(
            "SELECT game_date, game_pk, kind FROM ops.dead_letters WHERE resolved_at IS NULL AND endpoint = 'game' "
            "AND game_date >= ? AND game_date <= ? ORDER BY game_date, game_pk",
            [start, day],
        )
    ]
    return out


def _day(value) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)[:10]


def _gap(date, game_pk, reason: str, processor: str) -> dict:
    return {
        "date": _day(date),
        "game_pk": int(game_pk) if game_pk is not None else None,
        "reason": reason,
        "processor": processor,
    }


KIND = Kind(
    name="game_feed",
    tables=TABLES,
    collected_by="collect_game_feeds",
    parse=parse,
    quality=tuple(f"tables.{t}" for t in TABLES) + ("pitches_per_game", "pitch_types"),
    endpoints=("game",),
    missing=missing,
    gaps=gaps,
)


collect = collect_feeds
