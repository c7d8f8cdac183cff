"""Grading a game day's raw data with Great Expectations: A, B, C or F (seed 003).

A batch is one game date: its final games (every game table), their Statcast pitches, and
the day's player and team stats, transactions, rosters and standings. Each table is
validated by a suite generated from ``config/quality.yaml`` and scored on four dimensions:

- **schema**: the batch has exactly the table's columns (1 or 0);
- **completeness**: share of required values that are present;
- **player completeness**: share of the players in the day's box scores (everyone who
  batted or pitched, from the pitch-by-pitch data) who have a batting or pitching line,
  and a row in the day's player stats when those were collected;
- **value ranges**: share of values inside their ranges and sets, of aggregate checks
  (team count, roster sizes, pitches per game) that pass, and of the per-game
  consistency identities (line score vs. runs, player lines vs. team totals, batting vs.
  the other side's pitching, outs vs. putouts, pitches vs. pitch counts, decisions).

The weighted score and the phase's thresholds give the grade; a failed identity makes it
F whatever the score, because an inconsistent game must be collected again. Everything
runs through GX (``ValidationDefinition.run``), so every result is in the Data Docs.
A backfill grades a chunk of dates with :func:`grade_dates`: the same grades, each suite
run once over the rows of all the dates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
import os
import re
import shutil
import tempfile
import weakref

import pandas as pd

from mlb_pipeline.kinds import GAME_TABLES, KINDS
from mlb_pipeline.schema import load_schema
from mlb_pipeline.settings import load_config

log = logging.getLogger(__name__)

DIMENSIONS = ("schema", "completeness", "player_completeness", "value_ranges")
GRADE_ORDER = "ABCF"


# ------------------------------------------------------------------------------------
# The batch: one game date's rows, read from the warehouse
# ------------------------------------------------------------------------------------
# Every graded raw table of config/schema.yaml (those with a date_column): a game's tables only
# of the day's final games, the others by their date column.
BATCH_QUERIES = {
    name.split(".", 1)[1]: (
        f"SELECT * FROM {name} WHERE {t.date_column} = ? AND is_final"
        if name == "raw.games"
        else f"SELECT t.* FROM {name} AS t JOIN raw.games AS g USING (game_pk) WHERE g.official_date = ? AND g.is_final"
        if "game_pk" in t.key
        else f"SELECT * FROM {name} WHERE {t.date_column} = ?"
    )
    for name, t in load_schema().items()
    if t.schema == "raw" and t.date_column and t.graded
}


# The same batches of several dates in one statement a table, each row with its batch's date.
def _chunk_query(name: str, date_column: str, key: tuple, marks: str) -> str:
    if name == "raw.games":
        return f"SELECT *, {date_column} AS batch_date FROM {name} WHERE {date_column} IN ({marks}) AND is_final"
    if "game_pk" in key:
        return (
            f"SELECT t.*, g.official_date AS batch_date FROM {name} AS t JOIN raw.games AS g USING (game_pk) "
            f"WHERE g.official_date IN ({marks}) AND g.is_final"
        )
    return f"SELECT *, {date_column} AS batch_date FROM {name} WHERE {date_column} IN ({marks})"


def read_batches(warehouse, game_dates: list[str]) -> dict[str, dict[str, pd.DataFrame]]:
    """Every date's batch, as :func:`read_batch` reads it, with one query a table for all the
    dates (bound as a list of ``?``): a backfill grades chunks of dates."""
    days = [dt.date.fromisoformat(d) for d in game_dates]
    if not days:
        return {}
    marks = ", ".join("?" * len(days))
    meta = {"ingested_at", "source", "content_hash"}
    out: dict[str, dict[str, pd.DataFrame]] = {d: {} for d in game_dates}
    for name, t in load_schema().items():
        if name.split(".", 1)[1] not in BATCH_QUERIES:
            continue
        frame = warehouse.frame(_chunk_query(name, t.date_column, t.key, marks), days)
        dates = pd.to_datetime(frame["batch_date"]).dt.strftime("%Y-%m-%d")
        frame = frame[[c for c in frame.columns if c not in meta and c != "batch_date"]]
        for d in game_dates:
            out[d][name.split(".", 1)[1]] = frame[(dates == d).to_numpy()].reset_index(drop=True)
    return out


def read_batch(warehouse, game_date: str) -> dict[str, pd.DataFrame]:
    """Every table's rows of ``game_date`` (the statements are ours; the date is bound)."""
    day = dt.date.fromisoformat(game_date)
    meta = {"ingested_at", "source", "content_hash"}
    frames = {}
    for table, sql in BATCH_QUERIES.items():
        frame = warehouse.frame(sql, [day])
        frames[table] = frame[[c for c in frame.columns if c not in meta]]
    return frames


# ------------------------------------------------------------------------------------
# Derived frames: consistency identities, player completeness, aggregates
# ------------------------------------------------------------------------------------
def _by_side(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    frame = frame.reindex(columns=["game_pk", "team_side", *cols])  # a missing column adds up to nothing
    if frame.empty:
        return pd.DataFrame(columns=["game_pk", "team_side", *cols]).set_index(["game_pk", "team_side"])
    return frame.groupby(["game_pk", "team_side"])[cols].sum(min_count=1)


def identities(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per game, side and identity: ``expected`` (the box score's total) against
    ``actual`` (what the detail rows add up to), and the table whose rows are checked."""
    games = frames["games"]
    team = frames["team_lines"].reindex(
        columns=[
            "game_pk",
            "team_side",
            "runs",
            "hits",
            "at_bats",
            "home_runs",
            "rbi",
            "base_on_balls",
            "strike_outs",
            "putouts",
            *(f"pitching_{s}" for s in ("runs", "hits", "base_on_balls", "strike_outs")),
        ]
    )
    if games.empty:
        return pd.DataFrame(columns=["game_pk", "team_side", "check", "table", "expected", "actual"])
    rows = []
    sides = pd.DataFrame(
        [(g, s) for g in games["game_pk"] for s in ("home", "away")], columns=["game_pk", "team_side"]
    ).set_index(["game_pk", "team_side"])
    team = team.set_index(["game_pk", "team_side"]).reindex(sides.index)
    other = team.rename(index={"home": "away", "away": "home"}, level="team_side").reindex(sides.index)
    innings = _by_side(frames["linescore_innings"], ["runs", "hits"]).reindex(sides.index)
    batting = _by_side(frames["batting_lines"], ["runs", "hits", "at_bats", "home_runs", "rbi"]).reindex(sides.index)
    pitching = _by_side(frames["pitching_lines"], ["outs", "number_of_pitches"]).reindex(sides.index)
    pitches = frames["pitches"].reindex(columns=["game_pk", "half_inning"])
    thrown = pd.Series(0, index=sides.index, dtype="int64")
    if not pitches.empty:  # the home side pitches in the top halves
        side = pitches["half_inning"].map({"top": "home", "bottom": "away"})
        counted = pitches.assign(team_side=side).groupby(["game_pk", "team_side"]).size()
        thrown = counted.reindex(sides.index).fillna(0)
    score = games.reindex(
        columns=["game_pk", "home_score", "away_score", "winning_pitcher_id", "losing_pitcher_id"]
    ).set_index("game_pk")

    def add(check: str, table: str, expected: pd.Series, actual: pd.Series) -> None:
        for (pk, side), e in expected.items():
            rows.append((pk, side, check, table, e, actual.get((pk, side))))

    add("line score runs = team runs", "linescore_innings", team["runs"], innings["runs"])
    add("line score hits = team hits", "linescore_innings", team["hits"], innings["hits"])
    for stat in ("runs", "hits", "at_bats", "home_runs", "rbi"):
        add(f"players' {stat} = team {stat}", "batting_lines", team[stat], batting[stat])
    for stat in ("runs", "hits", "base_on_balls", "strike_outs"):
        add(f"batting {stat} = other side's pitching {stat}", "team_lines", team[stat], other[f"pitching_{stat}"])
    add("pitchers' outs = fielders' putouts", "pitching_lines", team["putouts"], pitching["outs"])
    add("pitches in play events = pitchers' pitch counts", "pitches", pitching["number_of_pitches"], thrown)
    for pk, g in score.iterrows():
        runs = {"home": g["home_score"], "away": g["away_score"]}
        for side in ("home", "away"):
            rows.append((pk, side, "team runs = final score", "games", team["runs"].get((pk, side)), runs[side]))
        decided = runs["home"] != runs["away"]
        both = pd.notna(g["winning_pitcher_id"]) and pd.notna(g["losing_pitcher_id"])
        rows.append((pk, "", "one winning and one losing pitcher", "games", int(decided), int(decided and both)))
    out = pd.DataFrame(rows, columns=["game_pk", "team_side", "check", "table", "expected", "actual"])
    for c in ("expected", "actual"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    return out


def statcast_identity(frames: dict[str, pd.DataFrame], tolerance: int) -> pd.DataFrame:
    """One row per game with Savant pitches: ``expected`` (the feed's pitch count, the larger
    of its pitch events and its pitchers' pitch counts) against ``actual`` (Savant's rows),
    and their ``difference``, which may be at most ``tolerance``."""
    columns = ["game_pk", "team_side", "check", "table", "expected", "actual", "difference"]
    savant = frames["statcast_pitches"].reindex(columns=["game_pk"])
    if savant.empty or frames["games"].empty:
        return pd.DataFrame(columns=columns)
    actual = savant.groupby("game_pk").size()
    box = (
        frames["pitching_lines"]
        .reindex(columns=["game_pk", "number_of_pitches"])
        .groupby("game_pk")["number_of_pitches"]
        .sum(min_count=1)
    )
    thrown = frames["pitches"].reindex(columns=["game_pk"]).groupby("game_pk").size()
    games = [pk for pk in frames["games"]["game_pk"] if pk in actual.index]
    expected = [max(float(box.get(pk, 0) if pd.notna(box.get(pk, 0)) else 0), float(thrown.get(pk, 0))) for pk in games]
    out = pd.DataFrame(
        {
            "game_pk": games,
            "team_side": "",
            "check": f"Savant pitches = feed pitches (within {tolerance})",
            "table": "statcast_pitches",
            "expected": expected,
            "actual": [float(actual[pk]) for pk in games],
        },
        columns=columns[:-1],
    )
    out["difference"] = (out["expected"] - out["actual"]).abs()
    return out


def players(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every player who batted or pitched in the day's games, and whether a box-score line
    and (when the day's player stats were collected) a stats row account for them."""
    pitches = frames["pitches"].reindex(columns=["game_pk", "batter_id", "pitcher_id"])
    if pitches.empty:
        return pd.DataFrame(columns=["player_id", "role", "has_line", "has_stats"])
    seen = (
        pd.concat(
            [
                pitches[["game_pk", "batter_id"]].rename(columns={"batter_id": "player_id"}).assign(role="batting"),
                pitches[["game_pk", "pitcher_id"]].rename(columns={"pitcher_id": "player_id"}).assign(role="pitching"),
            ]
        )
        .dropna()
        .drop_duplicates()
    )
    lines = pd.concat(
        [
            frames["batting_lines"].reindex(columns=["game_pk", "player_id"]).assign(role="batting"),
            frames["pitching_lines"].reindex(columns=["game_pk", "player_id"]).assign(role="pitching"),
        ]
    )
    keys = set(map(tuple, lines[["game_pk", "player_id", "role"]].astype(str).to_numpy()))
    seen["has_line"] = [k in keys for k in map(tuple, seen[["game_pk", "player_id", "role"]].astype(str).to_numpy())]
    stats = frames["player_stats"]
    if stats.empty:
        seen["has_stats"] = True  # not collected for this day: only the lines are checked
    else:
        group = {"batting": "hitting", "pitching": "pitching"}
        stats = stats.reindex(columns=["player_id", "stat_group"]).dropna()
        have = set(zip(stats["player_id"].astype("int64"), stats["stat_group"]))
        seen["has_stats"] = [(int(p), group[r]) in have for p, r in zip(seen["player_id"], seen["role"])]
    return seen.reset_index(drop=True)


def roster_sizes(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rosters = frames["rosters"]
    active = rosters[rosters["roster_type"] == "active"] if not rosters.empty else rosters
    return (
        active.groupby("team_id").size().rename("players").reset_index()
        if not active.empty
        else pd.DataFrame(columns=["team_id", "players"])
    )


def pitches_per_game(frame: pd.DataFrame) -> pd.DataFrame:
    return (
        frame.groupby("game_pk").size().rename("pitches").reset_index()
        if not frame.empty
        else pd.DataFrame(columns=["game_pk", "pitches"])
    )


# ------------------------------------------------------------------------------------
# Suites
# ------------------------------------------------------------------------------------
def _phase_rules(phase: str) -> dict:
    cfg = load_config("quality")
    return cfg["phases"].get(phase) or cfg["phases"][cfg["default_phase"]]


def _roster_bounds(phase: str, game_date: str) -> list[int]:
    sizes = load_config("quality")["roster_size"]
    if phase == "postseason":
        return sizes["postseason"]
    if phase == "spring_training":
        return sizes["spring_training"]
    return sizes["september"] if game_date[5:7] == "09" else sizes["regular_season"]


def suite_specs(table: str, columns: list[str]) -> list[tuple[str, str, dict]]:
    """``(dimension, expectation class, kwargs)`` for one table's suite."""
    import great_expectations as gx

    cfg = load_config("quality")
    spec = cfg["tables"][table]
    out = [("schema", "ExpectTableColumnsToMatchSet", {"column_set": columns, "exact_match": True})]
    out += [("completeness", "ExpectColumnValuesToNotBeNull", {"column": c}) for c in spec.get("required", [])]
    out += [
        ("value_ranges", "ExpectColumnValuesToBeBetween", {"column": c, "min_value": lo, "max_value": hi})
        for c, (lo, hi) in (spec.get("between") or {}).items()
    ]
    for c, allowed in (spec.get("in_set") or {}).items():
        values = cfg[allowed] if isinstance(allowed, str) else allowed
        out.append(("value_ranges", "ExpectColumnValuesToBeInSet", {"column": c, "value_set": values}))
    unknown = [cls for _, cls, _ in out if not hasattr(gx.expectations, cls)]
    if unknown:
        raise ValueError(f"config/quality.yaml, table {table}: no such GX expectation {unknown}")
    return out


# Aggregate checks on derived frames, graded with the table they describe.
def derived_checks(frames: dict[str, pd.DataFrame], phase: str, game_date: str) -> list[dict]:
    cfg = load_config("quality")
    n_games = len(frames["games"])
    playing = set(frames["games"]["home_team_id"]).union(frames["games"]["away_team_id"]) if n_games else set()
    checks = [
        {
            "table": "rosters",
            "name": "roster_sizes",
            "frame": roster_sizes(frames),
            "expectations": [
                (
                    "value_ranges",
                    "ExpectColumnValuesToBeBetween",
                    dict(
                        column="players",
                        min_value=_roster_bounds(phase, game_date)[0],
                        max_value=_roster_bounds(phase, game_date)[1],
                    ),
                )
            ],
            "applies": not frames["rosters"].empty,
        },
        {
            "table": "rosters",
            "name": "roster_teams",
            "frame": frames["rosters"],
            "expectations": [
                (
                    "value_ranges",
                    "ExpectColumnUniqueValueCountToBeBetween",
                    dict(column="team_id", min_value=30, max_value=30),
                )
            ],
            "applies": not frames["rosters"].empty,
        },
        {
            "table": "standings",
            "name": "standings_teams",
            "frame": frames["standings"],
            "expectations": [
                (
                    "value_ranges",
                    "ExpectColumnUniqueValueCountToBeBetween",
                    dict(column="team_id", min_value=30, max_value=30),
                )
            ],
            "applies": not frames["standings"].empty,
        },
        {
            "table": "team_stats",
            "name": "team_stats_teams",
            "frame": frames["team_stats"],
            "expectations": [
                (
                    "value_ranges",
                    "ExpectColumnUniqueValueCountToBeBetween",
                    dict(column="team_id", min_value=len(playing), max_value=len(playing)),
                )
            ],
            "applies": not frames["team_stats"].empty,
        },
        {
            "table": "transactions",
            "name": "transactions_dates",
            "frame": pd.DataFrame(
                {"transaction_date": frames["transactions"]["transaction_date"].astype(str).str[:10]}
            ),
            "expectations": [
                ("value_ranges", "ExpectColumnValuesToBeInSet", dict(column="transaction_date", value_set=[game_date]))
            ],
            "applies": not frames["transactions"].empty,
        },
    ]
    limits = cfg["pitches_per_game"]
    for table in ("pitches", "statcast_pitches"):
        frame = pitches_per_game(frames[table])
        checks.append(
            {
                "table": table,
                "name": f"{table}_per_game",
                "frame": frame,
                "expectations": [
                    (
                        "value_ranges",
                        "ExpectColumnValuesToBeBetween",
                        dict(column="pitches", min_value=limits["error_below"]),
                    )
                ],
                "warn": [("ExpectColumnValuesToBeBetween", dict(column="pitches", min_value=limits["warn_below"]))],
                "applies": not frame.empty,
            }
        )
    if _phase_rules(phase).get("savant_required") and n_games:
        have = set(frames["statcast_pitches"]["game_pk"]) if not frames["statcast_pitches"].empty else set()
        cover = pd.DataFrame(
            {"game_pk": frames["games"]["game_pk"], "has_savant": [pk in have for pk in frames["games"]["game_pk"]]}
        )
        checks.append(
            {
                "table": "statcast_pitches",
                "name": "savant_coverage",
                "frame": cover,
                "expectations": [
                    ("completeness", "ExpectColumnValuesToBeInSet", dict(column="has_savant", value_set=[True]))
                ],
                "applies": True,
            }
        )
    savant = statcast_identity(frames, cfg["statcast_pitch_tolerance"])
    if not savant.empty:
        checks.append(
            {
                "table": "statcast_pitches",
                "name": "statcast_pitches_identities",
                "frame": savant,
                "identity": True,
                "applies": True,
                "expectations": [
                    (
                        "value_ranges",
                        "ExpectColumnValuesToBeBetween",
                        dict(column="difference", max_value=cfg["statcast_pitch_tolerance"]),
                    )
                ],
            }
        )
    for kind in KINDS:  # a kind's own aggregate checks (kinds/<kind>.py)
        if kind.checks:
            checks += kind.checks(frames, cfg)
    ids = identities(frames)
    for table in GAME_TABLES:
        part = ids[ids["table"] == table].reset_index(drop=True)
        if not part.empty:
            checks.append(
                {
                    "table": table,
                    "name": f"{table}_identities",
                    "frame": part,
                    "identity": True,
                    "expectations": [
                        (
                            "value_ranges",
                            "ExpectColumnPairValuesToBeEqual",
                            dict(column_A="expected", column_B="actual"),
                        )
                    ],
                    "applies": True,
                }
            )
    people = players(frames)
    for table, col in (("batting_lines", "has_line"), ("pitching_lines", "has_line"), ("player_stats", "has_stats")):
        role = {"batting_lines": "batting", "pitching_lines": "pitching"}.get(table)
        part = people[people["role"] == role] if role else people
        checks.append(
            {
                "table": table,
                "name": f"{table}_players",
                "frame": part.reset_index(drop=True),
                "expectations": [
                    ("player_completeness", "ExpectColumnValuesToBeInSet", dict(column=col, value_set=[True]))
                ],
                "applies": not part.empty and (table != "player_stats" or not frames["player_stats"].empty),
            }
        )
    return checks


# ------------------------------------------------------------------------------------
# Grading
# ------------------------------------------------------------------------------------
@dataclasses.dataclass
class TableGrade:
    table: str
    rows: int
    grade: str
    score: float
    scores: dict[str, float]
    failed: list[dict]
    warnings: list[str]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _fraction(result) -> float:
    """Share of the checked values that passed (1 or 0 for table-level expectations)."""
    pct = (result.result or {}).get("unexpected_percent")
    if pct is None or not (result.result or {}).get("element_count"):
        return 1.0 if result.success else 0.0
    return max(0.0, 1.0 - float(pct) / 100.0)


def grade_of(scores: dict[str, float], phase: str, gate: bool) -> tuple[str, float]:
    """The weighted score and the grade it earns in ``phase``; ``gate`` (a failed
    identity) makes it F."""
    cfg = load_config("quality")
    rules = _phase_rules(phase)
    score = sum(cfg["weights"][d] * scores[d] for d in DIMENSIONS)
    players = scores["player_completeness"]
    if gate or scores["schema"] < 1.0:
        return "F", score
    for grade in "ABC":
        if score >= rules[grade]["score"] - 1e-9 and players >= rules[grade]["players"] - 1e-9:
            return grade, score
    return "F", score


@dataclasses.dataclass
class _Part:
    """One validation of a table's grade: a suite's ``specs`` over ``frame``; ``warn`` the
    derived check it only warns for."""

    name: str
    frame: pd.DataFrame
    specs: list[tuple[str, str, dict]]
    warn: dict | None = None


def _plan(
    frames: dict[str, pd.DataFrame], columns: dict[str, list[str]], phase: str, game_date: str
) -> list[tuple[str, pd.DataFrame, list[_Part]]]:
    """The validations that grade a batch, in order: ``(table, its frame, parts)`` for every
    graded table (one collected on the day, or one a day of games requires)."""
    version = load_config("quality")["suite_version"]
    checks = derived_checks(frames, phase, game_date)
    required = set(GAME_TABLES) if not frames["games"].empty else set()
    if required and _phase_rules(phase).get("savant_required"):
        required.add("statcast_pitches")
    plan = []
    for table, frame in frames.items():
        if frame.empty and table not in required:
            continue  # nothing collected for this table on this day: nothing to grade
        mine = [c for c in checks if c["table"] == table and c["applies"]]
        parts = [_Part(f"raw.{table}.v{version}", frame, suite_specs(table, columns[table]))]
        parts += [_Part(f"raw.{table}.{c['name']}.v{version}", c["frame"], c["expectations"]) for c in mine]
        parts += [
            _Part(f"raw.{table}.{c['name']}_warning.v{version}", c["frame"], [("value_ranges", cls, kwargs)], c)
            for c in mine
            for cls, kwargs in c.get("warn") or []
        ]
        plan.append((table, frame, parts))
    return plan


def _table_grades(plan: list, results: list[list[list]], phase: str) -> list[TableGrade]:
    """Every planned table's grade from its parts' results (``results[table][part]``)."""
    version = load_config("quality")["suite_version"]
    grades = []
    for (table, frame, parts), done in zip(plan, results):
        got = {d: [] for d in DIMENSIONS}
        failed, warnings, gate = [], [], False
        for part, res in zip(parts, done):
            if part.warn is not None:
                if not res[0].success:
                    low = part.specs[0][2]["min_value"]
                    short = part.frame[part.frame["pitches"] < low]
                    warnings.append(
                        f"{table}: games with fewer than {low} pitches "
                        f"(short but possible): {sorted(short['game_pk'].tolist())}"
                    )
                continue
            for spec, r in zip(part.specs, res):
                got[spec[0]].append(_fraction(r) if not frame.empty else 0.0)
                if not r.success:
                    failed.append(_describe(table, part.name, spec, r, part.frame))
                    gate = gate or part.name.endswith(f"_identities.v{version}")
        scores = {d: (sum(v) / len(v) if v else 1.0) for d, v in got.items()}
        grade, score = grade_of(scores, phase, gate)
        grades.append(
            TableGrade(
                table,
                len(frame),
                grade,
                round(score, 4),
                {k: round(v, 4) for k, v in scores.items()},
                failed,
                warnings,
            )
        )
    return grades


# Row-by-row expectations whose result splits by date, and what GX counts as checked rows:
# every row, the non-null values, or the pairs not both missing (ignore_row_if's default).
ROW_EXPECTATIONS = {
    "ExpectColumnValuesToNotBeNull": "rows",
    "ExpectColumnValuesToBeBetween": "values",
    "ExpectColumnValuesToBeInSet": "values",
    "ExpectColumnPairValuesToBeEqual": "pairs",
}


@dataclasses.dataclass
class _DateResult:
    """One date's share of a row-by-row expectation's result (what grading reads of it)."""

    success: bool
    result: dict


# Expectations on a frame as a whole whose observed value is what GX's pandas metric computes
# (column.distinct_values.count: ``nunique``): several dates' values are checked in one frame.
FRAME_VALUES = {"ExpectColumnUniqueValueCountToBeBetween": lambda column: column.nunique()}


def _by_value(spec: tuple, frames: list[pd.DataFrame]) -> bool:
    _, cls, kwargs = spec
    return (
        cls in FRAME_VALUES
        and set(kwargs) <= {"column", "min_value", "max_value"}
        and any(kwargs.get(k) is not None for k in ("min_value", "max_value"))
        and all(kwargs["column"] in f.columns for f in frames)
    )


def _dates_label(dates: list[str]) -> str:
    """How the Data Docs name a validation of these dates: ``first to last``. GX parses a run
    name as a time to title its page, and ``first..last`` parsed as a time with an offset of
    days: the page failed to render."""
    return f"{min(dates)} to {max(dates)}" if len(dates) > 1 else "".join(dates)


def _splittable(spec: tuple, frames: list[pd.DataFrame]) -> bool:
    """Whether one validation over all ``frames`` gives each its own result."""
    _, cls, kwargs = spec
    if cls == "ExpectTableColumnsToMatchSet":  # the same query's columns on every date
        return all(list(f.columns) == list(frames[0].columns) for f in frames)
    cols = [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B")]
    return (
        cls in ROW_EXPECTATIONS
        and kwargs.get("ignore_row_if", "both_values_are_missing") == "both_values_are_missing"
        and all(c in f.columns for f in frames for c in cols if c)
    )


def _split_result(res, spec: tuple, frames: list[pd.DataFrame], sizes: list[int]) -> list | None:
    """Each frame's result from one result over them all, as GX computes it on that frame
    alone: its unexpected rows (GX's COMPLETE index list) over its own checked rows.
    None when GX gave no such list (the expectation raised)."""
    _, cls, kwargs = spec
    r = res.result or {}
    if cls == "ExpectTableColumnsToMatchSet":
        return [res] * len(frames) if "observed_value" in r else None
    unexpected = sorted(r.get("unexpected_index_list") or [])
    if "element_count" not in r or len(unexpected) != (r.get("unexpected_count") or 0):
        return None
    out, start = [], 0
    for frame, n in zip(frames, sizes):
        local = [i - start for i in unexpected if start <= i < start + n]
        checked = ROW_EXPECTATIONS[cls]
        if checked == "rows":
            considered = n
        elif checked == "pairs":
            considered = int((frame[kwargs["column_A"]].notna() | frame[kwargs["column_B"]].notna()).sum())
        else:
            considered = int(frame[kwargs["column"]].notna().sum())
        u = len(local)
        vacuous = n == 0 or considered == 0
        out.append(
            _DateResult(
                success=vacuous or (considered - u) / considered >= kwargs.get("mostly", 1.0),
                result={
                    "element_count": n,
                    "unexpected_count": u,
                    "unexpected_percent": None if vacuous else u / considered * 100,
                    "unexpected_index_list": local,
                },
            )
        )
        start += n
    return out


class Grader:
    """Runs the suites through one Great Expectations context (in memory), whose Data Docs
    site is built in a temporary folder and published to ``docs_url`` (a folder, or
    ``gs://bucket/prefix``: GX 1.x writes sites to local folders only), with the validations
    of earlier gradings kept (:mod:`mlb_pipeline.data_docs`). Every validation's run name is
    its dates and ``run_id`` (the Airflow run's), so the Data Docs say what was graded when."""

    def __init__(self, docs_url: str | None = None, run_id: str | None = None):
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        # GX sets this module's logger to INFO on import: one line a Grader about a temporary folder.
        logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)

        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.docs_url = docs_url
        self.run_id = run_id
        self.started = dt.datetime.now(dt.UTC)
        self._labels: set[str] = set()
        self._staged_docs = tempfile.mkdtemp(prefix="mlb-data-docs-") if docs_url else None
        if self._staged_docs:  # a worker grades every day: its local copy goes with the Grader
            from mlb_pipeline.data_docs import site_config

            weakref.finalize(self, shutil.rmtree, self._staged_docs, ignore_errors=True)
            self.context.variables.data_docs_sites = {"lake": site_config(self._staged_docs)}
        self.source = self.context.data_sources.add_pandas("warehouse")
        self._runs = itertools.count(1)

    def _validate(self, name: str, frame: pd.DataFrame, specs: list[tuple[str, str, dict]], label: str = "") -> list:
        """``specs``' results over ``frame``, in their order; ``label`` (the dates graded) names the
        validation and, with the run id, is its run name in the Data Docs (GX shows a result
        without one as ``__none__``)."""
        from great_expectations.core.run_identifier import RunIdentifier

        gx = self.gx
        self._labels.add(label)
        suite = self.context.suites.add_or_update(
            gx.ExpectationSuite(
                name=name,
                expectations=[
                    getattr(gx.expectations, cls)(**kwargs, meta={"dimension": dimension})
                    for dimension, cls, kwargs in specs
                ],
            )
        )
        # One asset and batch definition per suite, a validation definition per run (listing
        # them all to name a new one made a long-lived Grader quadratic).
        try:
            asset = self.source.get_asset(name)
            batch = asset.get_batch_definition(name)
        except LookupError:
            asset = self.source.add_dataframe_asset(name)
            batch = asset.add_batch_definition_whole_dataframe(name)
        vd = self.context.validation_definitions.add(
            gx.ValidationDefinition(
                name=f"{name}{f' {label}' if label else ''} #{next(self._runs)}", data=batch, suite=suite
            )
        )
        result = vd.run(
            batch_parameters={"dataframe": frame.reset_index(drop=True)},
            run_id=RunIdentifier(
                run_name=" ".join(filter(None, [label, self.run_id])) or None, run_time=dt.datetime.now(dt.UTC)
            ),
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": None,
                "partial_unexpected_count": 10,
            },
        )
        # GX groups the results by column, not in the suite's order; callers pair them with
        # their specs, so give them back in the suite's order.
        order = {e.id: i for i, e in enumerate(suite.expectations)}
        return sorted(result.results, key=lambda r: order[r.expectation_config.id])

    def grade_day(
        self, frames: dict[str, pd.DataFrame], columns: dict[str, list[str]], phase: str, game_date: str
    ) -> list[TableGrade]:
        """Grade every table of the batch. ``columns`` are the tables' expected columns."""
        plan = _plan(frames, columns, phase, game_date)
        results = [[self._validate(p.name, p.frame, p.specs, game_date) for p in parts] for _, _, parts in plan]
        return _table_grades(plan, results, phase)

    def grade_days(
        self, batches: dict[str, dict[str, pd.DataFrame]], columns: dict[str, list[str]], phases: dict[str, str]
    ) -> dict[str, list[TableGrade]]:
        """Grade the batches of several dates (``read_batches``) as :meth:`grade_day` grades each,
        running each suite once over the rows of all the dates: GX costs about the same an
        expectation whatever the frame's size. A row-by-row expectation's result is split by
        date (its unexpected rows counted per date, over the denominator GX uses); a count over
        a whole frame (unique teams) is checked on a frame of each date's count; the column
        set is the same on every date (one query's); anything else runs on each date's frame.
        Suites whose expectations differ by date (the transactions' date) run once a date."""
        plans = {d: _plan(frames, columns, phases[d], d) for d, frames in batches.items()}
        label = _dates_label(list(batches))
        groups: dict[tuple, list] = {}  # one validation a suite and set of expectations: its dates' parts
        for d, plan in plans.items():
            for i, (_, _, parts) in enumerate(plan):
                for j, p in enumerate(parts):
                    groups.setdefault((p.name, repr(p.specs)), []).append((d, i, j, p))
        results = {d: [[None] * len(parts) for _, _, parts in plan] for d, plan in plans.items()}
        for members in groups.values():
            name, specs = members[0][3].name, members[0][3].specs
            frames, dates = [m[3].frame for m in members], [m[0] for m in members]
            for (d, i, j, _), res in zip(members, self._validate_dates(name, frames, specs, label, dates)):
                results[d][i][j] = res
        return {d: _table_grades(plan, results[d], phases[d]) for d, plan in plans.items()}

    def _validate_dates(
        self, name: str, frames: list[pd.DataFrame], specs: list, label: str, dates: list[str]
    ) -> list[list]:
        """One suite's results for each of ``frames`` (the ``dates``' frames), in the specs' order;
        ``label`` names the validations over them all, each date the one of its own frame."""
        label = label if len(frames) > 1 else dates[0]
        out = [[None] * len(specs) for _ in frames]
        split = [k for k, s in enumerate(specs) if _splittable(s, frames)]
        if split:
            sizes = [len(f) for f in frames]
            both = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            done = self._validate(name, both, [specs[k] for k in split], label)
            for k, res in zip(split, done):
                per_date = _split_result(res, specs[k], frames, sizes)
                if per_date is None:  # GX could not evaluate it: judged date by date below
                    continue
                for f, r in enumerate(per_date):
                    out[f][k] = r
        for k, spec in enumerate(specs):
            if len(frames) > 1 and _by_value(spec, frames) and any(r[k] is None for r in out):
                for f, res in enumerate(self._validate_values(name, frames, spec, label) or []):
                    out[f][k] = res
        for f, frame in enumerate(frames):
            rest = [k for k in range(len(specs)) if out[f][k] is None]
            if rest:
                for k, res in zip(rest, self._validate(name, frame, [specs[k] for k in rest], dates[f])):
                    out[f][k] = res
        return out

    def _validate_values(self, name: str, frames: list[pd.DataFrame], spec: tuple, label: str) -> list | None:
        """A whole-frame expectation judged for every frame with one validation: each frame's
        observed value (as GX computes it) in a row, checked against the same bounds."""
        dimension, cls, kwargs = spec
        values = pd.DataFrame({"observed": [int(FRAME_VALUES[cls](f[kwargs["column"]])) for f in frames]})
        bounds = {k: kwargs[k] for k in ("min_value", "max_value") if kwargs.get(k) is not None}
        check = (dimension, "ExpectColumnValuesToBeBetween", {"column": "observed", **bounds})
        [res] = self._validate(f"{name}.by_date", values, [check], label)
        if "unexpected_index_list" not in (res.result or {}):
            return None  # GX could not evaluate it: judged frame by frame
        bad = set(res.result["unexpected_index_list"])
        return [_DateResult(i not in bad, {"observed_value": v}) for i, v in enumerate(values["observed"].tolist())]

    def build_docs(self) -> str | None:
        """Publish this Grader's validations to the Data Docs; the URL of their index. A
        grading is recorded as its run id and dates (or its start, without a run id), so
        building it again replaces it."""
        if not self.docs_url:
            return None
        from mlb_pipeline.data_docs import publish

        dates = sorted(set(re.findall(r"\d{4}-\d{2}-\d{2}", " ".join(self._labels))))
        record = f"{self.run_id or self.started.strftime('%Y%m%dT%H%M%S.%fZ')} {_dates_label(dates) if dates else ''}"
        return publish(self.context, self._staged_docs, self.docs_url, record.strip())


def _describe(table: str, suite: str, spec: tuple, res, frame: pd.DataFrame) -> dict:
    """A failed expectation in words: which check, on what, and the rows it failed on."""
    dimension, cls, kwargs = spec
    detail = {k: v for k, v in kwargs.items() if k not in ("column_set", "value_set")}
    out = {"table": table, "suite": suite, "dimension": dimension, "expectation": cls, "kwargs": detail}
    result = res.result or {}
    idx = result.get("unexpected_index_list") or result.get("partial_unexpected_index_list") or []
    if "_identities.v" in suite and idx:
        rows = frame.loc[[i for i in idx if i in frame.index]]
        out["games"] = sorted({int(pk) for pk in rows["game_pk"]})
        out["checks"] = [
            f"game {int(r.game_pk)} {r.team_side}: {r.check}: expected {r.expected:g}, got "
            f"{'nothing' if pd.isna(r.actual) else format(r.actual, 'g')}"
            for r in rows.itertuples()
        ]
    elif "game_pk" in frame.columns and idx:
        out["games"] = sorted(
            {int(pk) for pk in frame.loc[[i for i in idx if i in frame.index], "game_pk"] if pd.notna(pk)}
        )
    if result.get("observed_value") is not None and cls.startswith("ExpectTable"):
        out["observed"] = [str(v) for v in result["observed_value"]]
    elif result.get("observed_value") is not None:
        out["observed"] = str(result["observed_value"])
    if result.get("unexpected_count"):
        out["unexpected_count"] = int(result["unexpected_count"])
    return out


def day_grade(grades: list[TableGrade]) -> str:
    """The batch's grade: its worst table's."""
    return max((g.grade for g in grades), key=GRADE_ORDER.index, default="A")


# ------------------------------------------------------------------------------------
# The daily step: grade, re-collect what fails, promote or refuse
# ------------------------------------------------------------------------------------
class BatchRejected(RuntimeError):
    """A game day's batch still earns a grade its phase does not promote."""


def failing_games(grades: list[TableGrade]) -> list[int]:
    return sorted({pk for g in grades if g.grade == "F" for f in g.failed for pk in f.get("games", [])})


def _failure_lines(grades: list[TableGrade]) -> list[str]:
    lines = []
    for g in grades:
        if g.grade not in ("A",):
            for f in g.failed:
                what = "; ".join(f.get("checks", [])[:5]) or f"{f['expectation']} {f['kwargs']}" + (
                    f" games {f['games']}" if f.get("games") else ""
                ) + (f" observed {f['observed']}" if f.get("observed") else "")
                lines.append(f"  raw.{g.table} ({g.grade}, {f['dimension']}): {what}")
    return lines


def scheduled_finals(warehouse, game_date: str) -> pd.DataFrame:
    """The final games the date's schedule lists (``raw.schedule``), each with whether
    ``raw.games`` holds it as final. A resumption counts on the date it was suspended on."""
    return scheduled_finals_of(warehouse, [game_date])[game_date]


def scheduled_finals_of(warehouse, game_dates: list[str]) -> dict[str, pd.DataFrame]:
    """:func:`scheduled_finals` of several dates, in one query."""
    final = set(load_config("seasons")["final_coded_states"])
    rows = warehouse.query(
        "SELECT s.official_date, s.game_pk, s.coded_state, g.game_pk IS NOT NULL AS loaded FROM raw.schedule AS s "
        "LEFT JOIN raw.games AS g ON g.game_pk = s.game_pk AND g.is_final "
        f"WHERE s.official_date IN ({', '.join('?' * len(game_dates))}) AND s.resumed_from IS NULL "
        "ORDER BY s.official_date, s.game_pk",
        [dt.date.fromisoformat(d) for d in game_dates],
    )
    return {
        d: pd.DataFrame(
            [
                {"game_pk": int(r["game_pk"]), "loaded": bool(r["loaded"])}
                for r in rows
                if r["coded_state"] in final and str(r["official_date"])[:10] == d
            ],
            columns=["game_pk", "loaded"],
        )
        for d in game_dates
    }


SCHEDULED_GAMES = ("completeness", "ExpectColumnValuesToBeInSet", {"column": "loaded", "value_set": [True]})


def _scheduled_games_judged(grader: Grader, warehouse, game_dates: list[str]) -> dict[str, tuple]:
    """Each date's scheduled finals and their GX result, with one validation for all the dates."""
    frames = {d: f for d, f in scheduled_finals_of(warehouse, game_dates).items() if not f.empty}
    name = f"raw.games.scheduled_games.v{load_config('quality')['suite_version']}"
    label = _dates_label(game_dates)
    done = grader._validate_dates(name, list(frames.values()), [SCHEDULED_GAMES], label, list(frames)) if frames else []
    return {d: (frames[d], res) for d, [res] in zip(frames, done)} | {d: None for d in game_dates if d not in frames}


def _check_scheduled_games(
    grader: Grader, warehouse, game_date: str, phase: str, grades: list[TableGrade], judged=False, games=None
) -> list[int]:
    """Grade the batch's completeness against the day's schedule: the batch reads only the
    games in ``raw.games``, so a day whose games failed to load graded well on what was left.
    A final game of the schedule missing from ``raw.games`` makes the games table F (added
    when nothing was loaded). Returns the missing games. ``judged``: the date's
    ``_scheduled_games_judged`` (None when it has no scheduled finals), for many dates."""
    name = f"raw.games.scheduled_games.v{load_config('quality')['suite_version']}"
    spec = SCHEDULED_GAMES
    if judged is False:
        frame = scheduled_finals(warehouse, game_date)
        if games is not None:
            frame = frame[frame["game_pk"].isin([int(pk) for pk in games])].reset_index(drop=True)
        judged = (frame, grader._validate(name, frame, [spec], game_date)[0]) if not frame.empty else None
    if judged is None:
        return []
    frame, res = judged
    missing = sorted(int(pk) for pk in frame.loc[~frame["loaded"], "game_pk"])
    if res.success and not missing:
        return []
    failure = dict(
        _describe("games", name, spec, res, frame),
        games=missing,
        checks=[f"final in the schedule, not in raw.games: games {missing}"],
    )
    games = next((g for g in grades if g.table == "games"), None)
    if games is None:
        games = TableGrade("games", 0, "F", 0.0, {d: 1.0 for d in DIMENSIONS}, [], [])
        grades.insert(0, games)
    games.scores["completeness"] = round(min(games.scores["completeness"], _fraction(res)), 4)
    games.grade, score = grade_of(games.scores, phase, gate=True)
    games.score = round(score, 4)
    games.failed.append(failure)
    return missing


def _missing_lines(warehouse, game_date: str, missing: list[int]) -> list[str]:
    """Why each missing game is missing: its open dead letter, if the collection left one."""
    if not missing:
        return []
    letters = {
        int(r["game_pk"]): f"{r['kind']}: {r['error']}"
        for r in warehouse.query(
            "SELECT game_pk, kind, error FROM ops.dead_letters WHERE resolved_at IS NULL AND endpoint = 'game' "
            "AND game_date = ? AND game_pk IS NOT NULL",
            [dt.date.fromisoformat(game_date)],
        )
    }
    return [f"  game {pk}: final in the schedule, not loaded ({letters.get(pk, 'not collected')})" for pk in missing]


def _raw_columns(warehouse) -> dict[str, list[str]]:
    """Every raw table's expected columns in a batch (the warehouse's, less load metadata)."""
    return {
        t.split(".", 1)[1]: [c for c in spec["columns"] if c not in ("ingested_at", "source", "content_hash")]
        for t, spec in warehouse.tables.items()
        if t.startswith("raw.")
    }


def only_games(frames: dict[str, pd.DataFrame], games: list[int] | None) -> dict[str, pd.DataFrame]:
    """A day's batch limited to some of its games (a landing run's): their rows of the tables
    keyed by game; the date's other tables (rosters, standings) are left to the day's own run."""
    if games is None:
        return frames
    wanted = [int(pk) for pk in games]
    return {
        t: f[f["game_pk"].isin(wanted)].reset_index(drop=True) if "game_pk" in f.columns else f.iloc[0:0]
        for t, f in frames.items()
    }


def _recollect_until_promoted(
    grader: Grader,
    warehouse,
    game_date: str,
    phase: str,
    columns: dict,
    recollect,
    grades: list[TableGrade] | None,
    games: list[int] | None = None,
) -> tuple[list[TableGrade], int]:
    """Grade the day (unless ``grades`` are given; ``games``: only those games); while the grade
    is one the phase retries, re-collect the failing games and grade again. Returns the last
    grades and the attempts."""
    cfg = load_config("quality")
    rules = _phase_rules(phase)
    attempt = 0
    while True:
        if grades is None:
            grades = grader.grade_day(only_games(read_batch(warehouse, game_date), games), columns, phase, game_date)
        batch = day_grade(grades)
        games = failing_games(grades)
        if batch not in rules["retry_on"] or attempt >= cfg["recollect_attempts"] or not games or recollect is None:
            return grades, attempt
        attempt += 1
        log.warning(
            "%s graded %s; re-collecting games %s (attempt %d of %d)",
            game_date,
            batch,
            games,
            attempt,
            cfg["recollect_attempts"],
        )
        recollect(games)
        grades = None


def _conclude(
    warehouse,
    game_date: str,
    phase: str,
    run_id: str,
    grades: list[TableGrade],
    attempt: int,
    missing: list[int],
    docs: str | None,
    rows: list[dict],
) -> tuple[dict, str | None]:
    """Add the day's rows of ``ops.quality_grades`` to ``rows`` and log its grades. Returns the
    day's summary and, when the batch is not promoted, why (the :class:`BatchRejected` message)."""
    cfg = load_config("quality")
    rules = _phase_rules(phase)
    batch = day_grade(grades)
    promoted = bool(grades) and batch not in rules["retry_on"] and not missing
    now = dt.datetime.now(dt.UTC)
    rows.extend(
        [
            {
                "run_id": run_id,
                "game_date": game_date,
                "table_name": g.table,
                "phase": phase,
                "suite_version": cfg["suite_version"],
                "attempt": attempt,
                "rows_checked": g.rows,
                "grade": g.grade,
                "score": g.score,
                **{f"{d}_score": g.scores[d] for d in DIMENSIONS},
                "batch_grade": batch,
                "promoted": promoted,
                "failed_expectations": g.failed,
                "warnings": g.warnings,
                "data_docs": docs,
                "graded_at": now,
            }
            for g in grades
        ]
    )
    summary = {
        "game_date": game_date,
        "phase": phase,
        "grade": batch if grades else None,
        "promoted": promoted,
        "attempts": attempt,
        "data_docs": docs,
        "tables": {g.table: {"grade": g.grade, "score": g.score, **g.scores} for g in grades},
    }
    if not grades:
        log.info("%s: nothing to grade (no final games, no reference data)", game_date)
        return summary, None
    log.info(
        "%s (%s) graded %s%s; tables: %s",
        game_date,
        phase,
        batch,
        f" after {attempt} re-collections" if attempt else "",
        ", ".join(f"{g.table} {g.grade} ({g.score:.3f})" for g in grades),
    )
    for g in grades:
        for w in g.warnings:
            log.warning("%s", w)
    if docs:
        log.info("Great Expectations Data Docs: %s", docs)
    if batch in rules["alert_on"] and promoted:
        log.warning(
            "QUALITY WARNING: %s graded %s, promoted with warnings:\n%s",
            game_date,
            batch,
            "\n".join(_failure_lines(grades)),
        )
    if not promoted:
        games = [pk for pk in failing_games(grades) if pk not in missing]
        return summary, "\n".join(
            [
                f"{game_date} graded {batch} ({phase}): not promoted"
                + (f"; games {missing} are final in the schedule but not loaded" if missing else "")
                + (f"; games {games} still fail after {attempt} re-collections" if games else ""),
                *_missing_lines(warehouse, game_date, missing),
                *_failure_lines(grades),
            ]
        )
    return summary, None


def grade_and_promote(
    warehouse,
    game_date: str,
    phase: str,
    run_id: str,
    docs_url: str | None,
    recollect=None,
    games: list[int] | None = None,
) -> dict:
    """Grade the day; while the grade is one the phase retries, re-collect the failing games
    (``recollect(game_pks)``, at most ``recollect_attempts`` times) and grade again. Record
    every table's grade in ``ops.quality_grades`` and build the Data Docs. Raises
    :class:`BatchRejected` naming the games and checks when the batch is not promoted, as
    it never is while a final game of the day's schedule is missing from ``raw.games``.
    ``games``: grade only these games of the day (a landing run's), the rest of the day is
    its 02:00 run's."""
    grader = Grader(docs_url, run_id)
    columns = _raw_columns(warehouse)
    grades, attempt = _recollect_until_promoted(grader, warehouse, game_date, phase, columns, recollect, None, games)
    missing = _check_scheduled_games(grader, warehouse, game_date, phase, grades, games=games)
    docs = grader.build_docs()
    rows: list[dict] = []
    summary, rejected = _conclude(warehouse, game_date, phase, run_id, grades, attempt, missing, docs, rows)
    warehouse.record_grades(rows)
    if rejected:
        raise BatchRejected(rejected)
    return summary


def grade_dates(
    warehouse, phases: dict[str, str], run_id: str, docs_url: str | None, recollect=None
) -> dict[str, dict]:
    """Grade many dates (``{date: its season phase}``, a backfill's chunk) as
    :func:`grade_and_promote` grades each, with every suite run once over all the dates' rows
    (``Grader.grade_days``), and one Data Docs build. An F date's failing games are
    re-collected and the date graded again on its own. Returns each date's summary; a date
    not promoted has its :class:`BatchRejected` message as ``"error"`` instead of raising."""
    grader = Grader(docs_url, run_id)
    columns = _raw_columns(warehouse)
    dates = sorted(phases)
    first = grader.grade_days(read_batches(warehouse, dates), columns, phases) if dates else {}
    graded = {
        d: _recollect_until_promoted(grader, warehouse, d, phases[d], columns, recollect, first[d]) for d in dates
    }
    scheduled = _scheduled_games_judged(grader, warehouse, dates)
    graded = {
        d: (grades, attempt, _check_scheduled_games(grader, warehouse, d, phases[d], grades, scheduled[d]))
        for d, (grades, attempt) in graded.items()
    }
    docs = grader.build_docs()
    out, rows = {}, []
    for d, (grades, attempt, missing) in graded.items():
        summary, rejected = _conclude(warehouse, d, phases[d], run_id, grades, attempt, missing, docs, rows)
        out[d] = {**summary, "error": rejected} if rejected else summary
    warehouse.record_grades(rows)  # one transaction for the chunk
    return out
