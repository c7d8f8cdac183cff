"""Retrosheet history: the game logs (one row a game) and the event files (every player's line of
every game), loaded in bulk from files laid out as Retrosheet distributes them.

    DIR/gamelogs/GLyyyy.TXT     161 quoted fields a game (retrosheet.org/gamelogs/glfields.txt)
    DIR/events/yyyyeve.zip      the season's play-by-play (.EVA/.EVN), rosters (.ROS), TEAMyyyy

Not asked of an API: ``python -m mlb_pipeline.backfill retrosheet --source DIR`` (and the bulk
DAG's ``load_retrosheet`` task) lands each file in the raw zone as received
(``historical/retrosheet/<season>/``), parses it, and merges a season's rows with one statement a
table. Rows keep Retrosheet's own identities (game ids such as ``NYA201904010``: home team, date,
game number; its team codes and player ids) and say ``source = 'retrosheet'``; dbt maps them to
the Stats API's clubs.

The event files are read with chadwickpy, a pure-Python port of Chadwick's ``cwdaily`` (its output
is byte-identical to Chadwick's on every season): a player's batting and pitching line of a game
as the field's own tool computes it, earned runs included.

The information used here was obtained free of charge from and is copyrighted by Retrosheet.
Interested parties may contact Retrosheet at "www.retrosheet.org".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections import Counter

import orjson

from mlb_pipeline.kinds import Kind
from mlb_pipeline.parse import FeedError

SOURCE = "retrosheet"
TABLES = ("retrosheet_games", "retrosheet_batting_lines", "retrosheet_pitching_lines", "retrosheet_teams")
GAMELOG = re.compile(r"^GL(\d{4})\.TXT$", re.IGNORECASE)
EVENTS = re.compile(r"^(\d{4})eve\.zip$", re.IGNORECASE)

# A side's 28 totals, in the game log's order (fields 22-49 visiting, 50-77 home).
TEAM_TOTALS = (
    "at_bats", "hits", "doubles", "triples", "home_runs", "rbi", "sacrifice_hits", "sacrifice_flies",
    "hit_by_pitch", "walks", "intentional_walks", "strikeouts", "stolen_bases", "caught_stealing", "gidp",
    "catcher_interference", "left_on_base",
    "pitchers_used", "individual_earned_runs", "team_earned_runs", "wild_pitches", "balks",
    "putouts", "assists", "errors", "passed_balls", "double_plays", "triple_plays",
)  # fmt: skip
UMPIRES = ("home_plate", "first_base", "second_base", "third_base", "left_field", "right_field")
FIELDS = 161

# cwdaily's columns -> ours, for a player's batting and pitching line of a game.
BATTING = {
    "B_PA": "plate_appearances", "B_AB": "at_bats", "B_R": "runs", "B_H": "hits", "B_2B": "doubles",
    "B_3B": "triples", "B_HR": "home_runs", "B_RBI": "rbi", "B_BB": "walks", "B_IBB": "intentional_walks",
    "B_SO": "strikeouts", "B_GDP": "gidp", "B_HP": "hit_by_pitch", "B_SH": "sacrifice_hits",
    "B_SF": "sacrifice_flies", "B_SB": "stolen_bases", "B_CS": "caught_stealing",
}  # fmt: skip
PITCHING = {
    "P_GS": "started", "P_GF": "finished", "P_W": "win", "P_L": "loss", "P_SV": "save", "P_OUT": "outs",
    "P_TBF": "batters_faced", "P_AB": "at_bats", "P_R": "runs", "P_ER": "earned_runs", "P_H": "hits",
    "P_HR": "home_runs", "P_BB": "walks", "P_IBB": "intentional_walks", "P_SO": "strikeouts",
    "P_HP": "hit_batsmen", "P_WP": "wild_pitches", "P_BK": "balks", "P_PITCH": "pitches", "P_STRIKE": "strikes",
}  # fmt: skip
IDENTITY = ("GAME_ID", "GAME_DT", "GAME_CT", "TEAM_ID", "PLAYER_ID", "SLOT_CT", "SEQ_CT", "HOME_FL", "B_G", "P_G")


def _decode(body: bytes) -> str:
    """Retrosheet's files are ASCII in practice; a stray Latin-1 byte in a name is read as one."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("latin-1")


def _int(value: str, what: str) -> int | None:
    if value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise FeedError(f"{what}: {value!r} is not a number") from None


def _person(pid: str, name: str) -> tuple[str | None, str | None]:
    """An id and name pair of the game log; ``(none)`` and empty are missing."""
    if pid in ("", "(none)"):
        return None, None
    return pid, (name if name not in ("", "(none)") else None)


def parse_gamelog(body: bytes, what: str) -> list[dict]:
    """Rows of ``raw.retrosheet_games`` from a game log file (``what`` names it in errors).
    Raises :class:`FeedError` when a line is not a game log line (161 fields, a date, teams)."""
    rows, seen = [], set()
    for n, cells in enumerate(csv.reader(io.StringIO(_decode(body))), start=1):
        if not cells:
            continue
        where = f"{what} line {n}"
        if len(cells) != FIELDS:
            raise FeedError(f"{where}: {len(cells)} fields, a game log line has {FIELDS}")
        date, number, _, away, away_league, away_game, home, home_league, home_game = cells[:9]
        try:
            game_date = dt.date(int(date[:4]), int(date[4:6]), int(date[6:8]))
        except ValueError:
            raise FeedError(f"{where}: {date!r} is not a date (yyyymmdd)") from None
        if len(date) != 8 or not number.isdigit() or len(away) != 3 or len(home) != 3:
            raise FeedError(f"{where}: not a game ({date!r}, game {number!r}, {away!r} at {home!r})")
        game_id = f"{home}{date}{number}"
        if game_id in seen:
            raise FeedError(f"{where}: game {game_id} appears twice")
        seen.add(game_id)
        row = {
            "retro_game_id": game_id,
            "game_date": game_date.isoformat(),
            "season": date[:4],
            "game_number": int(number),
            "day_of_week": cells[2] or None,
            "away_team": away,
            "away_league": away_league or None,
            "away_team_game": _int(away_game, where),
            "home_team": home,
            "home_league": home_league or None,
            "home_team_game": _int(home_game, where),
            "away_score": _int(cells[9], where),
            "home_score": _int(cells[10], where),
            "length_outs": _int(cells[11], where),
            "day_night": cells[12] or None,
            "completion": cells[13] or None,
            "forfeit": cells[14] or None,
            "protest": cells[15] or None,
            "park_id": cells[16] or None,
            "attendance": _int(cells[17], where),
            "duration_minutes": _int(cells[18], where),
            "away_line_score": cells[19] or None,
            "home_line_score": cells[20] or None,
        }
        for side, first in (("away", 21), ("home", 49)):
            for i, name in enumerate(TEAM_TOTALS):
                row[f"{side}_{name}"] = _int(cells[first + i], where)
        umpires = []
        for i, position in enumerate(UMPIRES):
            pid, name = _person(cells[77 + 2 * i], cells[78 + 2 * i])
            if pid:
                umpires.append({"position": position, "umpire_id": pid, "name": name})
        row["umpires"] = orjson.dumps(umpires).decode()
        people = {
            "away_manager": 89, "home_manager": 91, "winning_pitcher": 93, "losing_pitcher": 95,
            "saving_pitcher": 97, "game_winning_rbi": 99, "away_starting_pitcher": 101, "home_starting_pitcher": 103,
        }  # fmt: skip
        for role, at in people.items():
            row[f"{role}_id"], row[f"{role}_name"] = _person(cells[at], cells[at + 1])
        for side, first in (("away", 105), ("home", 132)):
            lineup = []
            for slot in range(9):
                pid, name = _person(cells[first + 3 * slot], cells[first + 3 * slot + 1])
                lineup.append(
                    {
                        "slot": slot + 1,
                        "player_id": pid,
                        "name": name,
                        "position": _int(cells[first + 3 * slot + 2], where),
                    }
                )
            row[f"{side}_lineup"] = orjson.dumps(lineup).decode()
        row["additional_info"] = cells[159] or None
        row["acquisition_info"] = cells[160] or None
        rows.append(row)
    return rows


def parse_events(body: bytes, what: str, workers: int | None = None) -> dict[str, list[dict]]:
    """Rows of ``raw.retrosheet_batting_lines`` and ``raw.retrosheet_pitching_lines`` from a
    season's event files as distributed (``yyyyeve.zip``): every player's line of every game,
    computed by chadwickpy's ``cwdaily``, the event files read in ``workers`` processes (default:
    one a core; a season is about 40 s of one core). Raises :class:`FeedError` when the archive
    is not a season's event files."""
    import concurrent.futures
    import multiprocessing
    import os

    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except zipfile.BadZipFile as exc:
        raise FeedError(f"{what}: not a zip archive ({exc})") from None
    names = {n.upper(): n for n in archive.namelist()}
    teams = [n for n in names if n.startswith("TEAM")]
    events = sorted(n for n in names if n.endswith((".EVA", ".EVN", ".EVE", ".EVR")))
    if len(teams) != 1 or not events:
        raise FeedError(f"{what}: no TEAMyyyy file or no event files (.EVA/.EVN) in the archive")
    league = {n: archive.read(names[n]) for n in names if n.endswith(".ROS") or n == teams[0]}
    work = [(what, name, archive.read(names[name]), teams[0], league) for name in events]
    workers = min(len(work), workers or os.cpu_count() or 1)
    if workers > 1:  # spawned: safe inside an Airflow task and beside threads
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            parts = list(pool.map(_daily_rows, work))
    else:
        parts = [_daily_rows(w) for w in work]
    batting = [row for rows, _ in parts for row in rows]
    pitching = [row for _, rows in parts for row in rows]
    for table, rows in (("batting", batting), ("pitching", pitching)):
        twice = [k for k, n in Counter((r["retro_game_id"], r["player_id"]) for r in rows).items() if n > 1]
        if twice:
            raise FeedError(f"{what}: player {twice[0][1]} has two {table} lines in game {twice[0][0]}")
    return {"retrosheet_batting_lines": batting, "retrosheet_pitching_lines": pitching}


def _daily_rows(work: tuple) -> tuple[list[dict], list[dict]]:
    """One event file's batting and pitching lines (cwdaily), its rosters read from ``league``."""
    from chadwickpy.tools.daily import COLUMNS, daily_lines
    from chadwickpy.tools.tools import read_rosters

    what, name, data, team_file, league = work
    rosters = read_rosters(league[team_file], team_file[4:], lambda n: league.get(n.upper()))
    wanted = [*IDENTITY, *BATTING, *PITCHING]
    fields = tuple(COLUMNS.index(c) for c in wanted)
    try:
        lines = list(daily_lines(data, rosters, fields=fields))
    except (ValueError, KeyError, IndexError) as exc:
        raise FeedError(f"{what}: {name} could not be read ({exc})") from None
    batting, pitching = [], []
    for cells in csv.reader(lines):
        line = dict(zip(wanted, cells))
        where = f"{what} {name} {line['GAME_ID']} {line['PLAYER_ID']}"
        d = line["GAME_DT"]
        base = {
            "retro_game_id": line["GAME_ID"],
            "game_date": f"{d[:4]}-{d[4:6]}-{d[6:8]}",
            "season": d[:4],
            "team": line["TEAM_ID"],
            "player_id": line["PLAYER_ID"],
            "home": line["HOME_FL"] == "1",
        }
        if _int(line["B_G"], where):
            batting.append(
                {
                    **base,
                    "batting_slot": _int(line["SLOT_CT"], where),
                    "batting_sequence": _int(line["SEQ_CT"], where),
                    **{ours: _int(line[theirs], where) for theirs, ours in BATTING.items()},
                }
            )
        if _int(line["P_G"], where):
            row = {**base, **{ours: _int(line[theirs], where) for theirs, ours in PITCHING.items()}}
            for flag in ("started", "finished", "win", "loss", "save"):
                row[flag] = bool(row[flag])
            pitching.append(row)
    return batting, pitching


def season_files(source_dir) -> dict[int, dict[str, object]]:
    """The seasons a folder laid out as Retrosheet distributes holds: ``{season: {"gamelog": path,
    "events": path}}`` (either may be missing)."""
    from pathlib import Path

    found: dict[int, dict[str, object]] = {}
    for folder, pattern, what in (("gamelogs", GAMELOG, "gamelog"), ("events", EVENTS, "events")):
        for path in sorted((Path(source_dir) / folder).glob("*")):
            matched = pattern.match(path.name)
            if matched:
                found.setdefault(int(matched.group(1)), {})[what] = path
    return dict(sorted(found.items()))


def club_codes() -> dict[int, list[str]]:
    """The Stats API's franchise ids and Retrosheet's codes of each (config/retrosheet.yaml)."""
    from mlb_pipeline.settings import load_config

    clubs: dict[int, list[str]] = {}
    for code, team_id in load_config("retrosheet")["teams"].items():
        clubs.setdefault(int(team_id), []).append(code)
    return clubs


def parse(body: bytes, scope: dict) -> dict[str, list[dict]]:
    """A landed Retrosheet file's rows by table (``scope``: ``{"file": "gamelog"|"events", "what": ...}``)."""
    if scope["file"] == "gamelog":
        return {"retrosheet_games": parse_gamelog(body, scope["what"])}
    return parse_events(body, scope["what"])


KIND = Kind(
    name="retrosheet",
    tables=TABLES,
    collected_by="load_retrosheet",
    parse=parse,
)


def load_season(warehouse, zone, season: int, files: dict, con=None) -> dict:
    """Land a season's files in the raw zone as received (``historical/retrosheet/<season>/``;
    one that does not parse goes to quarantine with the reason, and loads nothing), then merge
    their rows with one statement a table over the season (rows of the season no longer in its
    files are deleted: a corrected release replaces the old). Returns rows by table and the
    problems."""
    from mlb_pipeline.landing import Quarantined

    items, problems, landed = [], [], {}
    for what in ("gamelog", "events"):
        path = files.get(what)
        if path is None:
            continue
        try:
            obj, rows = zone.land_parsed(
                ("historical", "retrosheet", str(season)),
                what,
                path.read_bytes(),
                lambda body, what=what, name=path.name: parse(body, {"file": what, "what": name}),
                date=str(season),
                what="retrosheet",
                url=path.resolve().as_uri(),
                suffix=path.suffix.lower(),
            )
        except Quarantined as exc:
            problems.append(f"{path.name}: quarantined ({exc.reason}): {exc.landed.url}")
            continue
        landed[what] = obj.url
        for table, table_rows in rows.items():
            if table == "retrosheet_games":
                for row in table_rows:
                    row["raw_object"] = obj.url
            items.append((f"raw.{table}", table_rows, {"season": str(season)}))
    if items:  # the franchises of Retrosheet's codes, as config/retrosheet.yaml says now
        for team_id, codes in club_codes().items():
            items.append(
                ("raw.retrosheet_teams", [{"retro_team": c, "team_id": team_id} for c in codes], {"team_id": team_id})
            )
    counts = warehouse.merge_tables(items, SOURCE, con=con) if items else {}
    return {"season": season, "rows": counts, "landed": landed, "problems": problems}
