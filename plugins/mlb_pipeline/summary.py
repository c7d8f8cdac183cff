"""Print what the warehouse holds: per-day run status and grade, table sizes, open dead
letters, the feature tables, the model and its latest predictions, and where the docs sites are.

    python -m mlb_pipeline.summary [--from 2024-06-03 --to 2024-06-09]
"""

from __future__ import annotations

import argparse

import orjson

from mlb_pipeline import settings
from mlb_pipeline.warehouse import DuckDBWarehouse


def summary(date_from: str | None = None, date_to: str | None = None) -> str:
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    lines = []
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
    lines.append("Game days (latest run of each):")
    for r in runs:
        g = grades.get(r["game_date"])
        graded = f"grade {g['grade']}, {'promoted' if g['promoted'] else 'NOT promoted'}" if g else "not graded"
        lines.append(f"  {r['game_date']}  {r['status']:<10}  {r['loaded']}/{r['final']} final games loaded  {graded}")
    lines.append("Raw tables (all days), by kind of data:")
    by_kind = raw_tables_by_kind(wh)
    width = max((len(table) for table, _ in by_kind), default=0)
    for table, kind in by_kind:  # names from our own schema
        n = wh.query(f"SELECT count(*) AS n FROM {table}")[0]["n"]
        lines.append(f"  {table:<{width}} {n:>9,} rows  {kind}")
    features = [
        r["table_name"]
        for r in wh.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'features' ORDER BY table_name"
        )
    ]
    lines.append("Feature tables (dbt):" if features else "Feature tables (dbt): not built yet")
    for table in features:  # names read from the catalog, not from input
        r = wh.query(f"SELECT count(*) AS n FROM features.{table}")[0]
        lines.append(f"  features.{table:<26} {r['n']:>7,} rows")
    lines += model_summary(wh)
    open_letters = wh.query("SELECT count(*) AS n FROM ops.dead_letters WHERE resolved_at IS NULL")[0]["n"]
    lines.append(f"Open dead letters: {open_letters}")
    lines.append(f"Warehouse (DuckDB): {wh.path}")
    lines.append(f"Raw zone:           {settings.lake_url()}")
    docs = [g["docs"] for g in grades.values() if g["docs"]]
    if docs:
        lines.append(f"Data Docs (GX):     {docs[0]}")
    if features:
        from mlb_pipeline.features import docs_url

        lines.append(f"dbt docs site:      {docs_url()}/index.html  (make docs, or the Airflow UI: Browse > dbt docs)")
    return "\n".join(lines)


def raw_tables_by_kind(wh) -> list[tuple[str, str]]:
    """``(raw table, its kind)`` in the registry's order, then the raw tables no kind collects
    (``raw.players``, derived from the others at load)."""
    from mlb_pipeline.kinds import KINDS

    by_kind = [(f"raw.{t}", k.name) for k in KINDS for t in k.tables if f"raw.{t}" in wh.tables]
    known = {t for t, _ in by_kind}
    return by_kind + [(t, "(derived at load)") for t in wh.tables if t.startswith("raw.") and t not in known]


def model_summary(wh, predictions: int = 5) -> list[str]:
    """The champion against the baselines, and a few of the latest predictions."""
    from mlb_pipeline.model import Registry, report_line

    registry = Registry(settings.lake_url())
    champion = registry.champion()
    if champion is None:
        return ["Game-outcome model: no champion yet"]
    meta = registry.metadata(champion["version"])
    window = meta["training_window"]
    lines = [
        f"Game-outcome model: champion {champion['version']} ({len(registry.versions())} versions in {registry.root})",
        f"  trained on {window['games']} games {window['from']} to {window['to']}; held out from "
        f"{meta['evaluation']['cutoff']}:",
        f"  {report_line(meta)}",
    ]
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
    if rows:
        lines.append(f"Predictions for {rows[0]['game_date']} (the most confident {len(rows)}):")
    for r in rows:
        top = orjson.loads(r["top_contributions"])
        why = f"top feature {top[0]['feature']} {top[0]['contribution']:+.3f}" if top else "no feature moves it"
        lines.append(f"  {r['away'] or '?'} at {r['home'] or '?'}: home win {r['home_win_probability']:.1%}  ({why})")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="date_from")
    ap.add_argument("--to", dest="date_to")
    args = ap.parse_args()
    print(summary(args.date_from, args.date_to))


if __name__ == "__main__":
    main()
