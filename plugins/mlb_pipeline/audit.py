"""The monthly audit (seed 000): is the warehouse whole and right?

Row counts per table and season, empty or unreadable tables, duplicate natural keys, the
box-score identities over every stored game, the raw zone (every object a raw row points
to is there and unchanged), freshness, the grades of the month, the backfill candidates
(``gaps.backfill_candidates``, the function the gaps command uses) and a sample of games
compared with the live API. ``run_audit`` gathers them and lists the problems;
``render_html`` writes the report (with a chart of completeness by date).
Thresholds live in ``config/pipeline.yaml`` under ``audit``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
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


def completeness_by_date(warehouse, start: dt.date, end: dt.date) -> list[dict]:
    """Per date of the period: final games the schedule lists, and how many are stored final."""
    rows = warehouse.query(
        "SELECT s.official_date AS d, count(DISTINCT s.game_pk) AS scheduled, "
        "count(DISTINCT CASE WHEN g.is_final THEN g.game_pk END) AS stored "
        "FROM raw.schedule AS s LEFT JOIN raw.games AS g ON g.game_pk = s.game_pk "
        "WHERE s.official_date BETWEEN ? AND ? AND s.coded_state = 'F' GROUP BY 1 ORDER BY 1",
        [start, end],
    )
    return [{"date": r["d"].isoformat(), "scheduled": int(r["scheduled"]), "stored": int(r["stored"])} for r in rows]


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


def run_audit(warehouse, client, month: str, in_season: bool, cfg: dict | None = None) -> dict:
    """Every check of the audit of ``month`` (YYYY-MM); ``problems`` lists what is wrong."""
    from mlb_pipeline.gaps import backfill_candidates

    cfg = cfg or audit_config()
    start, end = month_bounds(month)
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
    report["completeness"] = completeness_by_date(warehouse, start, end)
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


def completeness_chart(days: list[dict], width: int = 640, height: int = 120) -> str:
    """An inline SVG bar chart: one bar per date, the share of its final games stored
    (green when whole, red otherwise)."""
    if not days:
        return "<p>No scheduled final games in the period.</p>"
    bar = width / len(days)
    bars = []
    for i, d in enumerate(days):
        share = d["stored"] / d["scheduled"] if d["scheduled"] else 1.0
        h = max(1.0, share * (height - 20))
        colour = "#2e7d32" if share >= 1 else "#c62828"
        bars.append(
            f'<rect x="{i * bar:.1f}" y="{height - 20 - h:.1f}" width="{max(bar - 1, 1):.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{d["date"]}: {d["stored"]}/{d["scheduled"]}'
            f"</title></rect>"
        )
    labels = (
        f'<text x="0" y="{height - 4}" font-size="11">{days[0]["date"]}</text>'
        f'<text x="{width}" y="{height - 4}" font-size="11" text-anchor="end">{days[-1]["date"]}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="completeness by date">{"".join(bars)}{labels}</svg>'
    )


def _table(rows: list[dict], columns: list[str]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def render_html(report: dict) -> str:
    """The audit as one self-contained HTML page."""
    status = report["status"].upper()
    problems = "".join(f"<li>{html.escape(p)}</li>" for p in report["problems"]) or "<li>None.</li>"
    fresh = report["freshness"]
    candidates = [
        {"processor": p, "date": i["date"] or "", "game": i["game_pk"] or "", "reason": i["reason"]}
        for p, items in report["backfill_candidates"].items()
        for i in items
    ]
    identity_rows = [
        {"season": s, "failures": len(f), "games": len({x["game_pk"] for x in f})}
        for s, f in report["identities"].items()
    ]
    raw_objects = report["raw_objects"]["missing"] + report["raw_objects"]["changed"]
    sample = [
        {"game": s["game_pk"], "matches": s["matches"], "differences": "; ".join(s["differences"])}
        for s in report["api_sample"]
    ]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MLB warehouse audit {report["month"]}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left}}</style></head><body>
<h1>MLB warehouse audit {report["month"]}: {status}</h1>
<p>Period {report["period"][0]} to {report["period"][1]}; audited {report["audited_at"]}.</p>
<h2>Problems</h2><ul>{problems}</ul>
<h2>Completeness by date</h2>{completeness_chart(report["completeness"])}
<h2>Freshness</h2><p>Newest final game {fresh["newest_final_game"]} ({fresh["lag_days"]} days before the audit;
{"in season" if fresh["in_season"] else "off season"}, at most {fresh["max_lag_days"]} allowed in season).</p>
<h2>Grades of the period (game dates)</h2>{
        _table([{"grade": g, "dates": n} for g, n in report["grades"].items()], ["grade", "dates"])
    }
<h2>Box-score identities over every stored game</h2>{_table(identity_rows, ["season", "failures", "games"])}
<h2>Raw zone: referenced objects missing or changed</h2>
<p>{len(raw_objects)} of {report["raw_objects"]["checked"]} objects the raw tables point to.</p>
{_table(raw_objects, ["object", "referenced_by", "reason"])}
<h2>Duplicate natural keys</h2>{_table(report["duplicates"], ["table", "key", "duplicated"])}
<h2>Backfill candidates</h2>{_table(candidates, ["processor", "date", "game", "reason"])}
<h2>Sample compared with the live API</h2>{_table(sample, ["game", "matches", "differences"])}
<h2>Row counts</h2>{_table(report["row_counts"], ["table", "season", "rows", "error"])}
</body></html>
"""


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
