"""The monthly audit (seed 000): is the warehouse whole and right?

Row counts per table and season, empty or unreadable tables, duplicate natural keys, the
box-score identities over every stored game, the raw zone (every object a raw row points
to is there and unchanged), freshness, the grades of the month, the backfill candidates
(``gaps.backfill_candidates``, the function the gaps command uses) and a sample of games
compared with the live API. ``run_audit`` gathers them and lists the problems;
``render_html`` writes the report (the report page's templates and charts: completeness of
every date of the season calendar, grades by table and date).
Thresholds live in ``config/pipeline.yaml`` under ``audit``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import re

log = logging.getLogger(__name__)


def audit_config() -> dict:
    from mlb_pipeline.settings import load_config

    return load_config("pipeline")["audit"]


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """``2024-06`` -> (2024-06-01, 2024-06-30)."""
    first = dt.date.fromisoformat(f"{month}-01")
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def row_counts(warehouse) -> list[dict]:
    """Rows per table and season (the year of the table's date column; ``all`` for tables
    without one); a table that cannot be read is reported with its error."""
    from mlb_pipeline.warehouse import table_definitions

    counts = []
    for table, spec in table_definitions().items():
        date_col = spec["date_column"]  # config/schema.yaml's date_column
        # Identifiers from our DDL only.
        sql = (
            f"SELECT CAST(EXTRACT(YEAR FROM {date_col}) AS VARCHAR) AS season, count(*) AS n FROM {table} "
            f"GROUP BY 1 ORDER BY 1"
            if date_col
            else f"SELECT 'all' AS season, count(*) AS n FROM {table}"
        )
        try:
            rows = warehouse.query(sql)
        except Exception as exc:  # an unreadable table is a finding, not a crash
            counts.append({"table": table, "season": None, "rows": None, "error": f"{type(exc).__name__}: {exc}"})
            continue
        counts += [{"table": table, "season": r["season"], "rows": int(r["n"]), "error": None} for r in rows] or [
            {"table": table, "season": None, "rows": 0, "error": None}
        ]
    return counts


def duplicate_keys(warehouse) -> list[dict]:
    """Tables with natural keys held more than once (BigQuery does not enforce keys)."""
    from mlb_pipeline.warehouse import table_definitions

    found = []
    for table, spec in table_definitions().items():
        key = ", ".join(spec["key"])
        rows = warehouse.query(
            f"SELECT count(*) AS n FROM (SELECT {key} FROM {table} GROUP BY {key} HAVING count(*) > 1) AS d"
        )
        if rows[0]["n"]:
            found.append({"table": table, "key": spec["key"], "duplicated": int(rows[0]["n"])})
    return found


def identity_failures(warehouse) -> dict[str, list[dict]]:
    """The box-score identities (the grading's) over every stored final game, season by
    season: per season the (game, side, check) rows whose sides disagree."""
    import pandas as pd

    from mlb_pipeline.kinds import GAME_TABLES
    from mlb_pipeline.quality import identities

    seasons = [
        r["season"] for r in warehouse.query("SELECT DISTINCT season FROM raw.games WHERE is_final ORDER BY season")
    ]
    failures = {}
    for season in seasons:
        frames = {"games": warehouse.frame("SELECT * FROM raw.games WHERE season = ? AND is_final", [season])}
        for table in GAME_TABLES[1:]:
            frames[table] = warehouse.frame(
                f"SELECT t.* FROM raw.{table} AS t JOIN raw.games AS g USING (game_pk) "
                f"WHERE g.season = ? AND g.is_final",
                [season],
            )
        ids = identities(frames)
        bad = ids[~((ids["expected"] == ids["actual"]) | (ids["expected"].isna() & ids["actual"].isna()))]
        failures[season] = [
            {
                "game_pk": int(r.game_pk),
                "side": r.team_side,
                "check": r.check,
                "expected": None if pd.isna(r.expected) else float(r.expected),
                "actual": None if pd.isna(r.actual) else float(r.actual),
            }
            for r in bad.itertuples()
        ]
        log.info("identities of %s: %d final games, %d failures", season, len(frames["games"]), len(bad))
    return failures


# An object's name ends with the first 16 hex of its body's sha256 (landing.RawZone._put).
_NAME_HASH = re.compile(r"-([0-9a-f]{16})\.[A-Za-z0-9]+$")


def object_columns() -> list[tuple[str, str]]:
    """(table, column) of every raw-zone pointer in our DDL: the raw tables' ``*_object`` columns."""
    from mlb_pipeline.warehouse import table_definitions

    return [
        (table, col)
        for table, spec in table_definitions().items()
        if table.startswith("raw.")
        for col in spec["columns"]
        if col.endswith("_object")
    ]


def raw_object_problems(warehouse) -> dict:
    """Every raw-zone object a raw row points to is read back: it must exist and its sha256
    must start with the hash its name carries. (Rows' ``content_hash`` hashes the parsed row,
    not the body, so the name is what vouches for the object.) Reading every object is cheap on
    local files (a season: about 5,000 objects); on GCS it is one GET per object, the bodies'
    size in download (a few GB a season, free within the region)."""
    from airflow.sdk import ObjectStoragePath

    urls: dict[str, list[str]] = {}
    for table, col in object_columns():
        for r in warehouse.query(f"SELECT DISTINCT {col} AS url FROM {table} WHERE {col} IS NOT NULL"):
            urls.setdefault(r["url"], []).append(f"{table}.{col}")
    missing, changed = [], []
    for url in sorted(urls):
        where = ", ".join(urls[url])
        named = _NAME_HASH.search(url)
        try:
            body = ObjectStoragePath(url).read_bytes()
        except FileNotFoundError:
            missing.append({"object": url, "referenced_by": where, "reason": "missing"})
            continue
        sha = hashlib.sha256(body).hexdigest()
        if named is None or not sha.startswith(named.group(1)):
            changed.append(
                {
                    "object": url,
                    "referenced_by": where,
                    "reason": f"sha256 {sha[:16]} does not match its name"
                    if named
                    else "its name carries no content hash",
                }
            )
    log.info("raw zone: %d referenced objects checked, %d missing, %d changed", len(urls), len(missing), len(changed))
    return {"checked": len(urls), "missing": missing, "changed": changed}


def freshness(warehouse, audit_date: dt.date, in_season: bool, max_lag_days: int) -> dict:
    """How old the newest final game is; stale only while games are being played."""
    newest = warehouse.query("SELECT max(official_date) AS d FROM raw.games WHERE is_final")[0]["d"]
    lag = (audit_date - newest).days if newest else None
    stale = in_season and (lag is None or lag > max_lag_days)
    return {
        "newest_final_game": newest.isoformat() if newest else None,
        "lag_days": lag,
        "in_season": in_season,
        "max_lag_days": max_lag_days,
        "stale": stale,
    }


def grade_distribution(warehouse, start: dt.date, end: dt.date) -> dict[str, int]:
    """Game dates of the period by their latest batch grade."""
    rows = warehouse.query(
        "SELECT grade, count(*) AS n FROM (SELECT game_date, batch_grade AS grade FROM ops.quality_grades "
        "WHERE game_date BETWEEN ? AND ? QUALIFY row_number() OVER (PARTITION BY game_date ORDER BY graded_at DESC) "
        "= 1) AS g GROUP BY grade ORDER BY grade",
        [start, end],
    )
    return {r["grade"]: int(r["n"]) for r in rows}


def sample_games(warehouse, start: dt.date, end: dt.date, size: int, seed: int) -> list[int]:
    """``size`` final games of the period, drawn at random (the same ones for the same seed)."""
    pks = [
        r["game_pk"]
        for r in warehouse.query(
            "SELECT game_pk FROM raw.games WHERE is_final AND official_date BETWEEN ? AND ? ORDER BY game_pk",
            [start, end],
        )
    ]
    return sorted(random.Random(seed).sample(pks, min(size, len(pks))))


def api_sample(client, warehouse, game_pks: list[int]) -> list[dict]:
    """Games fetched again from the API and compared with the warehouse: the score and
    status, each side's runs, hits and home runs, and the row count of every game table. A
    game that cannot be fetched is reported, not skipped."""
    from mlb_pipeline.kinds import GAME_TABLES
    from mlb_pipeline.kinds.game_feed import parse_game
    from mlb_pipeline.parse import FeedError, decode_json
    from mlb_pipeline.source import SourceError

    results = []
    for pk in game_pks:
        try:
            fresh = parse_game(decode_json(client.fetch("game", gamePk=pk).body, f"feed {pk}"))
        except (SourceError, FeedError) as exc:
            results.append({"game_pk": pk, "matches": False, "differences": [f"not fetched: {exc}"]})
            continue
        differences = []
        stored = warehouse.query("SELECT home_score, away_score, status_code FROM raw.games WHERE game_pk = ?", [pk])[0]
        for field, value in stored.items():
            if fresh["games"][0].get(field) != value:
                differences.append(f"games.{field}: stored {value}, API {fresh['games'][0].get(field)}")
        lines = {
            r["team_side"]: r
            for r in warehouse.query(
                "SELECT team_side, runs, hits, home_runs FROM raw.team_lines WHERE game_pk = ?", [pk]
            )
        }
        for row in fresh["team_lines"]:
            for field in ("runs", "hits", "home_runs"):
                if lines.get(row["team_side"], {}).get(field) != row.get(field):
                    differences.append(
                        f"team_lines.{row['team_side']}.{field}: stored "
                        f"{lines.get(row['team_side'], {}).get(field)}, API {row.get(field)}"
                    )
        for table in GAME_TABLES:
            n = warehouse.query(f"SELECT count(*) AS n FROM raw.{table} WHERE game_pk = ?", [pk])[0]["n"]
            if n != len(fresh[table]):
                differences.append(f"{table}: {n} rows stored, {len(fresh[table])} from the API")
        results.append({"game_pk": pk, "matches": not differences, "differences": differences})
    return results


def season_dates_of(calendar: dict, start: dt.date, end: dt.date) -> list[dt.date]:
    """The dates of ``start`` .. ``end`` the calendar has in the regular season or the
    postseason: those whose games the warehouse should hold, collected or not."""
    from mlb_pipeline.seasons import phase_on

    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    return [d for d in days if phase_on(calendar, d.isoformat()) in ("regular_season", "postseason")]


def run_audit(
    warehouse, client, month: str, in_season: bool, cfg: dict | None = None, calendar: dict | None = None
) -> dict:
    """Every check of the audit of ``month`` (YYYY-MM); ``problems`` lists what is wrong.
    ``calendar``: the season's (``seasons.season_calendar``; by default config's bounds),
    whose dates the completeness chart shows, collected or not."""
    from mlb_pipeline import report as pages
    from mlb_pipeline.gaps import backfill_candidates
    from mlb_pipeline.seasons import fallback_calendar

    cfg = cfg or audit_config()
    start, end = month_bounds(month)
    calendar = calendar or fallback_calendar(start.year)
    report = {
        "month": month,
        "period": [start.isoformat(), end.isoformat()],
        "audited_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    report["row_counts"] = row_counts(warehouse)
    report["duplicates"] = duplicate_keys(warehouse)
    report["identities"] = identity_failures(warehouse)
    report["raw_objects"] = raw_object_problems(warehouse)
    report["freshness"] = freshness(warehouse, end + dt.timedelta(days=1), in_season, cfg["max_lag_days"])
    report["grades"] = grade_distribution(warehouse, start, end)
    report["grade_cells"] = pages.grades(warehouse, start, end)
    report["completeness"] = pages.completeness(warehouse, season_dates_of(calendar, start, end))
    candidates = backfill_candidates(warehouse, end.isoformat(), (end - start).days)
    report["backfill_candidates"] = {p: items for p, items in candidates.items()}
    sample = sample_games(warehouse, start, end, cfg["api_sample_size"], seed=start.toordinal())
    report["api_sample"] = api_sample(client, warehouse, sample)

    problems = []
    totals: dict[str, int] = {}
    for c in report["row_counts"]:
        if c["error"]:
            problems.append(f"{c['table']} cannot be read: {c['error']}")
        totals[c["table"]] = totals.get(c["table"], 0) + (c["rows"] or 0)
    problems += [f"{t} is empty" for t in cfg["required_tables"] if totals.get(t, 0) == 0]
    problems += [
        f"{d['table']}: {d['duplicated']} natural keys ({', '.join(d['key'])}) held more than once"
        for d in report["duplicates"]
    ]
    for season, failures in report["identities"].items():
        if failures:
            games = sorted({f["game_pk"] for f in failures})
            problems.append(
                f"{season}: {len(failures)} box-score identities fail in {len(games)} games (first: {games[:5]})"
            )
    raw = report["raw_objects"]
    for kind in ("missing", "changed"):
        if raw[kind]:
            problems.append(
                f"raw zone: {len(raw[kind])} of {raw['checked']} referenced objects {kind} "
                f"(first: {[o['object'] for o in raw[kind][:3]]})"
            )
    if report["freshness"]["stale"]:
        problems.append(
            f"stale: the newest final game is {report['freshness']['newest_final_game']} "
            f"({report['freshness']['lag_days']} days before {end + dt.timedelta(days=1)})"
        )
    bad_grades = {g: n for g, n in report["grades"].items() if g not in cfg["acceptable_grades"]}
    if bad_grades:
        problems.append(f"game dates graded {', '.join(f'{g} ({n})' for g, n in bad_grades.items())}")
    for processor, items in candidates.items():
        if items:
            # A candidate may have no date (features.game_features not built yet): say so, no range.
            dates = sorted({i["date"] for i in items if i["date"]})
            span = (
                f"on {len(dates)} dates ({dates[0]} .. {dates[-1]})"
                if dates
                else f"({'; '.join(sorted({i['reason'] for i in items}))})"
            )
            problems.append(f"backfill candidates ({processor}): {len(items)} {span}")
    mismatched = [s for s in report["api_sample"] if not s["matches"]]
    if mismatched:
        problems.append(
            f"{len(mismatched)} of {len(report['api_sample'])} sampled games differ from the API: "
            + "; ".join(f"{s['game_pk']}: {', '.join(s['differences'][:3])}" for s in mismatched[:5])
        )
    report["problems"] = problems
    report["status"] = "failed" if problems else "passed"
    return report


# --- The report ----------------------------------------------------------------------------


def grouped_candidates(candidates: dict[str, list[dict]]) -> list[dict]:
    """The backfill candidates by processor and reason, their dates as ranges and their
    games counted: a month never collected is one row, not thirty."""
    from mlb_pipeline.report import date_ranges

    groups: dict[tuple[str, str], dict] = {}
    for processor, items in candidates.items():
        for item in items:
            group = groups.setdefault((processor, item["reason"]), {"dates": [], "games": set()})
            if item["date"]:
                group["dates"].append(item["date"])
            if item["game_pk"]:
                group["games"].add(item["game_pk"])
    return [
        {
            "processor": processor,
            "reason": reason,
            "dates": len(set(g["dates"])),
            "ranges": date_ranges(g["dates"]),
            "games": len(g["games"]),
        }
        for (processor, reason), g in sorted(groups.items())
    ]


def render_html(report: dict) -> str:
    """The audit as one self-contained HTML page (the report page's layout and charts:
    ``templates/audit.html.j2``)."""
    from markupsafe import Markup

    from mlb_pipeline import report as pages

    charts = {}
    if report["completeness"]:
        charts["completeness"] = pages.completeness_chart(report["completeness"], "Final games stored, by date")
    if report.get("grade_cells"):
        charts["grades"] = pages.grade_heatmap(report["grade_cells"])
    return pages.render_page(
        "audit.html.j2",
        report=report,
        charts={name: Markup(pages.svg(chart)) for name, chart in charts.items()},
        candidates=grouped_candidates(report["backfill_candidates"]),
        raw_objects=report["raw_objects"]["missing"] + report["raw_objects"]["changed"],
    )


def publish(warehouse, lake_root: str, report: dict) -> str:
    """Write the report to ``<lake>/audit/<month>/report.html`` (and its JSON beside it) and
    record it in ``ops.audit_reports``; return the report's location."""
    import orjson
    from airflow.sdk import ObjectStoragePath

    folder = ObjectStoragePath(lake_root.rstrip("/") + f"/audit/{report['month']}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.html").write_text(render_html(report))
    (folder / "report.json").write_bytes(orjson.dumps(report, default=str, option=orjson.OPT_INDENT_2))
    location = str(folder / "report.html")
    warehouse.upsert(
        "ops.audit_reports",
        [
            {
                "month": report["month"],
                "audited_at": dt.datetime.fromisoformat(report["audited_at"]),
                "status": report["status"],
                "problems": len(report["problems"]),
                "summary": "\n".join(report["problems"]) or "no problems",
                "report_url": location,
            }
        ],
    )
    return location
