"""Print what the warehouse holds: per-day run status and grade, table sizes, open dead
letters, the feature tables, the model and its latest predictions, and where the docs sites are.

    python -m mlb_pipeline.summary [--from 2024-06-03] [--to 2024-06-09] [--json]
    mlb summary ...    (the same)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

import orjson

from mlb_pipeline import settings


def holdings(date_from: dt.date | None = None, date_to: dt.date | None = None) -> dict:
    """What the warehouse holds, as data (``--json``); :func:`summary` says it in lines."""
    from mlb_pipeline.warehouse import DuckDBWarehouse  # here: a bad argument is refused before Airflow loads

    wh = DuckDBWarehouse()
    wh.ensure_schema()
    runs = wh.query(
        "SELECT game_date, arg_max(status, finished_at) AS status, arg_max(games_loaded, finished_at) AS loaded, "
        "arg_max(games_final, finished_at) AS final FROM ops.ingestion_runs "
        "WHERE game_date BETWEEN coalesce(?::DATE, DATE '1900-01-01') AND coalesce(?::DATE, DATE '2999-12-31') "
        "GROUP BY game_date ORDER BY game_date",
        [date_from, date_to],
    )
    grades = {
        r["game_date"]: r
        for r in wh.query(
            "SELECT game_date, arg_max(batch_grade, graded_at) AS grade, arg_max(promoted, graded_at) AS promoted, "
            "arg_max(data_docs, graded_at) AS docs FROM ops.quality_grades GROUP BY game_date"
        )
    }
    days = []
    for r in runs:
        g = grades.get(r["game_date"]) or {}
        days.append(
            {
                "game_date": r["game_date"].isoformat(),
                "status": r["status"],
                "games_loaded": r["loaded"],
                "games_final": r["final"],
                "grade": g.get("grade"),
                "promoted": g.get("promoted"),
            }
        )
    raw = [  # names from our own schema
        {"table": table, "kind": kind, "rows": wh.query(f"SELECT count(*) AS n FROM {table}")[0]["n"]}
        for table, kind in raw_tables_by_kind(wh)
    ]
    features = [  # names read from the catalog, not from input
        {
            "table": f"features.{r['table_name']}",
            "rows": wh.query(f"SELECT count(*) AS n FROM features.{r['table_name']}")[0]["n"],
        }
        for r in wh.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'features' ORDER BY table_name"
        )
    ]
    docs = [g["docs"] for g in grades.values() if g["docs"]]
    dbt_docs = None
    if features:
        from mlb_pipeline.features import docs_url

        dbt_docs = f"{docs_url()}/index.html"
    return {
        "game_days": days,
        "raw_tables": raw,
        "feature_tables": features,
        "model": model_holdings(wh),
        "open_dead_letters": wh.query("SELECT count(*) AS n FROM ops.dead_letters WHERE resolved_at IS NULL")[0]["n"],
        "warehouse": str(wh.path),
        "raw_zone": settings.lake_url(),
        "data_docs": docs[0] if docs else None,
        "dbt_docs": dbt_docs,
        "report": report_page(),
    }


def report_page() -> str | None:
    """Where the daily run published the report page, if it has (``report.publish``)."""
    from upath import UPath

    page = f"{settings.lake_url().rstrip('/')}/reports/index.html"
    return page if UPath(page).exists() else None


def summary(date_from: dt.date | None = None, date_to: dt.date | None = None) -> str:
    held = holdings(date_from, date_to)
    lines = ["Game days (latest run of each):"]
    for d in held["game_days"]:
        graded = (
            f"grade {d['grade']}, {'promoted' if d['promoted'] else 'NOT promoted'}" if d["grade"] else "not graded"
        )
        loaded = f"{d['games_loaded']}/{d['games_final']}"
        lines.append(f"  {d['game_date']}  {d['status']:<10}  {loaded} final games loaded  {graded}")
    lines.append("Raw tables (all days), by kind of data:")
    width = max((len(t["table"]) for t in held["raw_tables"]), default=0)
    lines += [f"  {t['table']:<{width}} {t['rows']:>9,} rows  {t['kind']}" for t in held["raw_tables"]]
    lines.append("Feature tables (dbt):" if held["feature_tables"] else "Feature tables (dbt): not built yet")
    lines += [f"  {t['table']:<35} {t['rows']:>7,} rows" for t in held["feature_tables"]]
    lines += model_lines(held["model"])
    lines.append(f"Open dead letters: {held['open_dead_letters']}")
    lines.append(f"Warehouse (DuckDB): {held['warehouse']}")
    lines.append(f"Raw zone:           {held['raw_zone']}")
    if held["data_docs"]:
        lines.append(f"Data Docs (GX):     {held['data_docs']}")
    if held["dbt_docs"]:
        lines.append(f"dbt docs site:      {held['dbt_docs']}  (make docs, or the Airflow UI: Browse > dbt docs)")
    if held["report"]:
        lines.append(f"Report page:        {held['report']}  (the Airflow UI: Browse > MLB report)")
    return "\n".join(lines)


def raw_tables_by_kind(wh) -> list[tuple[str, str]]:
    """``(raw table, its kind)`` in the registry's order, then the raw tables no kind collects
    (``raw.players``, derived from the others at load)."""
    from mlb_pipeline.kinds import KINDS

    by_kind = [(f"raw.{t}", k.name) for k in KINDS for t in k.tables if f"raw.{t}" in wh.tables]
    known = {t for t, _ in by_kind}
    return by_kind + [(t, "(derived at load)") for t in wh.tables if t.startswith("raw.") and t not in known]


def model_holdings(wh, predictions: int = 5) -> dict | None:
    """The champion against the baselines, and the most confident of its latest predictions;
    None before the first champion."""
    from mlb_pipeline.model import Registry, report_line

    registry = Registry(settings.lake_url())
    champion = registry.champion()
    if champion is None:
        return None
    meta = registry.metadata(champion["version"])
    rows = wh.query(
        "SELECT p.game_date, p.home_win_probability, h.name AS home, a.name AS away, p.top_contributions "
        "FROM ml.predictions AS p "
        "LEFT JOIN (SELECT team_id, arg_max(name, season) AS name FROM raw.teams GROUP BY team_id) AS h "
        "ON h.team_id = p.home_team_id "
        "LEFT JOIN (SELECT team_id, arg_max(name, season) AS name FROM raw.teams GROUP BY team_id) AS a "
        "ON a.team_id = p.away_team_id "
        "WHERE p.model_version = ? AND p.game_date = (SELECT max(game_date) FROM ml.predictions) "
        "ORDER BY abs(p.home_win_probability - 0.5) DESC LIMIT ?",
        [champion["version"], predictions],
    )
    return {
        "champion": champion["version"],
        "versions": len(registry.versions()),
        "registry": str(registry.root),
        "training_window": meta["training_window"],
        "held_out_from": meta["evaluation"]["cutoff"],
        "report": report_line(meta),
        "predictions": [
            {
                "game_date": r["game_date"].isoformat(),
                "home": r["home"],
                "away": r["away"],
                "home_win_probability": r["home_win_probability"],
                "top_contributions": orjson.loads(r["top_contributions"]),
            }
            for r in rows
        ],
    }


def model_lines(held: dict | None) -> list[str]:
    if held is None:
        return ["Game-outcome model: no champion yet"]
    window = held["training_window"]
    lines = [
        f"Game-outcome model: champion {held['champion']} ({held['versions']} versions in {held['registry']})",
        f"  trained on {window['games']} games {window['from']} to {window['to']}; held out from "
        f"{held['held_out_from']}:",
        f"  {held['report']}",
    ]
    shown = held["predictions"]
    if shown:
        lines.append(f"Predictions for {shown[0]['game_date']} (the most confident {len(shown)}):")
    for p in shown:
        top = p["top_contributions"]
        why = f"top feature {top[0]['feature']} {top[0]['contribution']:+.3f}" if top else "no feature moves it"
        lines.append(f"  {p['away'] or '?'} at {p['home'] or '?'}: home win {p['home_win_probability']:.1%}  ({why})")
    return lines


def model_summary(wh, predictions: int = 5) -> list[str]:
    """The champion against the baselines, and a few of the latest predictions, in lines."""
    return model_lines(model_holdings(wh, predictions))


def main(argv: list[str] | None = None, prog: str = "python -m mlb_pipeline.summary") -> int:
    from mlb_pipeline import arguments

    ap = arguments.Parser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="date_from", type=arguments.date, help="first game day to list, YYYY-MM-DD")
    ap.add_argument("--to", dest="date_to", type=arguments.date, help="last game day to list, YYYY-MM-DD")
    ap.add_argument("--json", action="store_true", help="the same, as JSON")
    args = ap.parse_args(argv)
    if args.date_from and args.date_to and args.date_to < args.date_from:
        ap.error(f"argument --to: {args.date_to} is before --from {args.date_from}")
    if args.json:
        print(json.dumps(holdings(args.date_from, args.date_to), indent=2, default=str))
    else:
        print(summary(args.date_from, args.date_to))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
