"""The report page: what a person looks at after a run, on one self-contained HTML page.

Completeness of every date of the season (from the season calendar, so a date never
collected shows as such), the grades of every table and date, rows loaded a day, the
model's Brier score and accuracy against the Elo and always-home baselines over time, its
calibration, the champion's history and the top feature contributions of the latest
predictions. The data comes from the warehouse (``gather``), the charts are Altair
(Vega-Lite) rendered to inline SVG by vl-convert (``charts``), the page is a Jinja2 template
(``templates/report.html.j2``): no script and no CDN, so it opens offline. The daily run
publishes it to ``<lake>/reports/`` (``publish``) and the Airflow UI shows it under Browse
(``mlb_pipeline_plugin``). The monthly audit's page shares the layout and the charts.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from pathlib import Path

import orjson

log = logging.getLogger(__name__)

ROLLING_DATES = 7  # the model's scores over time: the dates up to each one, pooled
GRADE_COLOURS = {"A": "#1b7837", "B": "#7fbf7b", "C": "#f1a340", "F": "#d73027"}
STATE_COLOURS = {
    "complete": "#1b7837",
    "incomplete": "#d73027",
    "not collected": "#bdbdbd",
    "no games": "#e0e0e0",
}


# --- What the page shows, from the warehouse -------------------------------------------------


def season_dates(calendar: dict, through: dt.date) -> list[dt.date]:
    """Every date of the season from opening day to ``through`` (or the last day of the
    postseason, if earlier), by the season calendar (``seasons.season_calendar``)."""
    first = dt.date.fromisoformat(calendar["phases"]["regular_season"][0])
    last = min(through, dt.date.fromisoformat(calendar["phases"]["postseason"][1]))
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def completeness(warehouse, dates: list[dt.date]) -> list[dict]:
    """Per date: the final games the schedule lists, how many are stored final, and its
    state: ``complete``, ``incomplete``, ``no games`` (collected, nothing played) or
    ``not collected`` (no run has collected it)."""
    if not dates:
        return []
    first, last = min(dates), max(dates)
    scheduled = {
        r["d"]: r
        for r in warehouse.query(
            "SELECT s.official_date AS d, count(DISTINCT s.game_pk) AS scheduled, "
            "count(DISTINCT CASE WHEN g.is_final THEN g.game_pk END) AS stored "
            "FROM raw.schedule AS s LEFT JOIN raw.games AS g ON g.game_pk = s.game_pk "
            "WHERE s.official_date BETWEEN ? AND ? AND s.coded_state = 'F' GROUP BY 1",
            [first, last],
        )
    }
    collected = {
        r["d"]
        for r in warehouse.query(
            "SELECT DISTINCT game_date AS d FROM ops.ingestion_runs WHERE game_date BETWEEN ? AND ?", [first, last]
        )
    }
    days = []
    for d in dates:
        row = scheduled.get(d)
        n, stored = (int(row["scheduled"]), int(row["stored"])) if row else (0, 0)
        if n:
            state = "complete" if stored >= n else "incomplete"
        else:
            state = "no games" if d in collected else "not collected"
        days.append({"date": d.isoformat(), "scheduled": n, "stored": stored, "state": state})
    return days


def grades(warehouse, first: dt.date, last: dt.date) -> list[dict]:
    """The latest grade of every table and game date of the period."""
    rows = warehouse.query(
        "SELECT game_date, table_name, grade, score FROM ops.quality_grades WHERE game_date BETWEEN ? AND ? "
        "QUALIFY row_number() OVER (PARTITION BY game_date, table_name ORDER BY graded_at DESC) = 1 "
        "ORDER BY game_date, table_name",
        [first, last],
    )
    return [
        {"date": r["game_date"].isoformat(), "table": r["table_name"], "grade": r["grade"], "score": r["score"]}
        for r in rows
    ]


def rows_per_day(warehouse, first: dt.date, last: dt.date) -> list[dict]:
    """Rows loaded a date, by table: the most any run of the date loaded (``table_counts`` of
    ``ops.ingestion_runs``; a re-run loads only what changed, so the latest says too little)."""
    most: dict[tuple[str, str], int] = {}
    for r in warehouse.query(
        "SELECT game_date, table_counts FROM ops.ingestion_runs WHERE game_date BETWEEN ? AND ?", [first, last]
    ):
        counts = r["table_counts"]
        counts = orjson.loads(counts) if isinstance(counts, str | bytes) else counts or {}
        for table, n in counts.items():
            key = (r["game_date"].isoformat(), table)
            most[key] = max(most.get(key, 0), int(n or 0))
    return [{"date": d, "table": t, "rows": n} for (d, t), n in sorted(most.items()) if n]


def date_ranges(dates: list[str]) -> list[str]:
    """Consecutive ISO dates as ranges: ``["2024-05-01 .. 2024-05-03", "2024-05-07"]``."""
    spans: list[list[dt.date]] = []
    for d in sorted(dt.date.fromisoformat(x) for x in set(dates)):
        if spans and (d - spans[-1][1]).days == 1:
            spans[-1][1] = d
        else:
            spans.append([d, d])
    return [a.isoformat() if a == b else f"{a.isoformat()} .. {b.isoformat()}" for a, b in spans]


def prediction_record(warehouse, first: dt.date, last: dt.date):
    """Every game of the period that was predicted and has been played: the latest
    prediction published for it, the outcome, and the two baselines' chances on it: the Elo
    rating (``model.with_elo``) and always home (``home_edge`` of config/model.yaml)."""
    import pandas as pd

    from mlb_pipeline.model import ELO_COLUMN, elo_history, model_config, with_elo

    frame = warehouse.frame(
        "SELECT p.game_pk, p.game_date, p.model_version, p.home_win_probability AS p_model, "
        "CASE WHEN g.home_score > g.away_score THEN 1 ELSE 0 END AS home_win "
        "FROM ml.predictions AS p JOIN raw.games AS g ON g.game_pk = p.game_pk "
        "WHERE g.is_final AND p.game_date BETWEEN ? AND ? "
        "QUALIFY row_number() OVER (PARTITION BY p.game_pk ORDER BY p.predicted_at DESC) = 1",
        [first, last],
    )
    if frame.empty:
        return frame
    frame["game_date"] = pd.to_datetime(frame["game_date"]).dt.date
    if warehouse.has_table("features", "game_features"):
        frame = with_elo(frame, elo_history(warehouse)).rename(columns={ELO_COLUMN: "p_elo"})
    else:
        frame["p_elo"] = float("nan")
    frame["p_home"] = model_config()["home_edge"]
    return frame.sort_values(["game_date", "game_pk"]).reset_index(drop=True)


def scores_over_time(record) -> list[dict]:
    """Per game date: Brier score of the model and the baselines, and the model's accuracy,
    over the games of the last ``ROLLING_DATES`` dates up to it (pooled, not averaged)."""
    if record.empty:
        return []
    errors = record.assign(
        model=(record.p_model - record.home_win) ** 2,
        elo=(record.p_elo - record.home_win) ** 2,
        home=(record.p_home - record.home_win) ** 2,
        hit=((record.p_model >= 0.5) == (record.home_win == 1)).astype(float),
    )
    daily = errors.groupby("game_date").agg(
        games=("game_pk", "size"), model=("model", "sum"), elo=("elo", "sum"), home=("home", "sum"), hit=("hit", "sum")
    )
    rolled = daily.rolling(ROLLING_DATES, min_periods=1).sum()
    out = []
    for day, r in rolled.iterrows():
        n = r["games"]
        out += [
            {"date": day.isoformat(), "games": int(n), "measure": "Brier score", "who": who, "value": r[col] / n}
            for who, col in (("model", "model"), ("Elo", "elo"), ("always home", "home"))
            if r[col] == r[col]  # NaN: no Elo chance (no feature tables)
        ]
        out.append(
            {"date": day.isoformat(), "games": int(n), "measure": "accuracy", "who": "model", "value": r["hit"] / n}
        )
    return out


def calibration(record, bins: int = 10) -> list[dict]:
    """Predicted against observed home-win rate in ``bins`` groups of equal size
    (scikit-learn's ``calibration_curve``), with each group's games."""
    import numpy as np
    from sklearn.calibration import calibration_curve

    if len(record) < bins:
        return []
    y, p = record.home_win.to_numpy(), record.p_model.to_numpy()
    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="quantile")
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    counts = np.histogram(p, bins=edges)[0]
    return [
        {"predicted": float(a), "observed": float(b), "games": int(n)}
        for a, b, n in zip(predicted, observed, counts[: len(predicted)])
    ]


def model_history(warehouse) -> list[dict]:
    """Every version trained, oldest first: when, on what, its held-out scores, the
    baselines' on the same games, and the promotion decision."""
    if not warehouse.has_table("ml", "model_versions"):
        return []
    rows = warehouse.query(
        "SELECT version, trained_at, status, is_champion, training_to, training_games, holdout_games, brier, "
        "accuracy, baseline_brier, decision FROM ml.model_versions ORDER BY trained_at"
    )
    history = []
    for r in rows:
        baselines = r["baseline_brier"]
        baselines = orjson.loads(baselines) if isinstance(baselines, str | bytes) else baselines or {}
        history.append(
            r
            | {
                "trained_at": r["trained_at"].strftime("%Y-%m-%d %H:%M"),
                "training_to": r["training_to"].isoformat(),
                "baseline_brier": baselines,
            }
        )
    return history


def latest_contributions(warehouse) -> dict:
    """The latest predictions (their date's games, by the newest version that predicted
    them) with each game's top feature contributions, and each feature's mean absolute
    contribution over them."""
    rows = warehouse.query(
        "WITH clubs AS (SELECT team_id, any_value(abbreviation) AS abbreviation FROM raw.teams GROUP BY team_id) "
        "SELECT p.game_pk, p.game_date, p.model_version, p.home_win_probability, p.top_contributions, "
        "h.abbreviation AS home, a.abbreviation AS away FROM ml.predictions AS p "
        "LEFT JOIN clubs AS h ON h.team_id = p.home_team_id LEFT JOIN clubs AS a ON a.team_id = p.away_team_id "
        "WHERE p.game_date = (SELECT max(game_date) FROM ml.predictions) "
        "QUALIFY row_number() OVER (PARTITION BY p.game_pk ORDER BY p.predicted_at DESC) = 1 ORDER BY p.game_pk"
    )
    games, totals = [], {}
    for r in rows:
        contribs = r["top_contributions"]
        contribs = orjson.loads(contribs) if isinstance(contribs, str | bytes) else contribs or []
        for c in contribs:
            totals.setdefault(c["feature"], []).append(abs(c["contribution"]))
        games.append(
            {
                "game_pk": r["game_pk"],
                "matchup": f"{r['away'] or r['game_pk']} at {r['home'] or ''}".strip(),
                "p_home": r["home_win_probability"],
                "version": r["model_version"],
                "top": contribs[:3],
            }
        )
    features = sorted(
        ({"feature": f, "mean_abs": sum(v) / len(games), "games": len(v)} for f, v in totals.items()),
        key=lambda f: -f["mean_abs"],
    )
    return {"date": rows[0]["game_date"].isoformat() if rows else None, "games": games, "features": features[:12]}


def gather(warehouse, calendar: dict, through: dt.date) -> dict:
    """Everything the report page shows, for the season of ``calendar`` up to ``through``."""
    dates = season_dates(calendar, through)
    first, last = (dates[0], dates[-1]) if dates else (through, through)
    record = prediction_record(warehouse, first, last) if warehouse.has_table("ml", "predictions") else None
    scored = record is not None and not record.empty
    summary = None
    if scored:
        from mlb_pipeline.model import metrics

        model = metrics(record.p_model, record.home_win)
        summary = {
            "games": len(record),
            "model": model["brier"],
            "elo": metrics(record.p_elo, record.home_win)["brier"] if record.p_elo.notna().all() else None,
            "home": metrics(record.p_home, record.home_win)["brier"],
            "accuracy": model["accuracy"],
        }
    return {
        "season": calendar["season"],
        "calendar_source": calendar.get("source"),
        "through": through.isoformat(),
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "completeness": completeness(warehouse, dates),
        "grades": grades(warehouse, first, last),
        "rows": rows_per_day(warehouse, first, last),
        "scores": scores_over_time(record) if scored else [],
        "score_summary": summary,
        "calibration": calibration(record) if scored else [],
        "models": model_history(warehouse),
        "contributions": latest_contributions(warehouse)
        if warehouse.has_table("ml", "predictions")
        else {"date": None, "games": [], "features": []},
        "audits": warehouse.query("SELECT month, status, problems FROM ops.audit_reports ORDER BY month DESC LIMIT 12")
        if warehouse.has_table("ops", "audit_reports")
        else [],
    }


# --- Charts: Altair specs rendered to SVG ---------------------------------------------------


def svg(chart) -> str:
    """An Altair chart as inline SVG (vl-convert: the page needs no script to show it)."""
    import vl_convert

    return vl_convert.vegalite_to_svg(chart.to_dict())


def _scale(colours: dict):
    import altair as alt

    return alt.Scale(domain=list(colours), range=list(colours.values()))


def completeness_chart(days: list[dict], title: str = "Final games stored, by date"):
    """One bar a date of the calendar: games stored of those scheduled, coloured by state (a
    date never collected shows grey, at full height, so the gap is seen)."""
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame(days)
    frame["height"] = frame.apply(lambda r: r["scheduled"] or 1, axis=1)
    return (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            x=alt.X("date:T", title="game date", axis=alt.Axis(format="%b %d")),
            y=alt.Y("height:Q", title="final games"),
            color=alt.Color("state:N", scale=_scale(STATE_COLOURS), title="date"),
            tooltip=["date:T", "state:N", "scheduled:Q", "stored:Q"],
        )
        .properties(width=720, height=160)
    )


def grade_heatmap(rows: list[dict], title: str = "Grade by table and game date"):
    """A calendar heat map: a cell a table and date, coloured by its latest grade."""
    import altair as alt
    import pandas as pd

    return (
        alt.Chart(pd.DataFrame(rows), title=title)
        .mark_rect()
        .encode(
            x=alt.X("date:O", title="game date", axis=alt.Axis(labelAngle=-60, labelOverlap=True)),
            y=alt.Y("table:N", title="table"),
            color=alt.Color("grade:N", scale=_scale(GRADE_COLOURS), title="grade"),
            tooltip=["date:N", "table:N", "grade:N", alt.Tooltip("score:Q", format=".3f")],
        )
        .properties(width=720)
    )


def rows_chart(rows: list[dict]):
    """Rows loaded a date, stacked by table."""
    import altair as alt
    import pandas as pd

    return (
        alt.Chart(pd.DataFrame(rows), title="Rows loaded, by date and table")
        .mark_bar()
        .encode(
            x=alt.X("date:O", title="game date", axis=alt.Axis(labelAngle=-60, labelOverlap=True)),
            y=alt.Y("sum(rows):Q", title="rows"),
            color=alt.Color("table:N", title="table", scale=alt.Scale(scheme="tableau20")),
            tooltip=["date:N", "table:N", "rows:Q"],
        )
        .properties(width=720, height=180)
    )


def scores_chart(scores: list[dict]):
    """The model's Brier score against the baselines' (lower is better) and its accuracy,
    each over the last ``ROLLING_DATES`` dates."""
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame(scores)
    base = alt.Chart(frame).encode(
        x=alt.X("date:T", title="game date", axis=alt.Axis(format="%b %d")),
        color=alt.Color(
            "who:N", title="predictor", scale=_scale({"model": "#2166ac", "Elo": "#b2182b", "always home": "#878787"})
        ),
        tooltip=["date:T", "who:N", alt.Tooltip("value:Q", format=".4f"), "games:Q"],
    )
    brier = (
        base.transform_filter(alt.datum.measure == "Brier score")
        .mark_line(point=True)
        .encode(y=alt.Y("value:Q", title="Brier score", scale=alt.Scale(zero=False)))
        .properties(width=720, height=180, title=f"Brier score over the last {ROLLING_DATES} dates (lower is better)")
    )
    accuracy = (
        base.transform_filter(alt.datum.measure == "accuracy")
        .mark_line(point=True)
        .encode(y=alt.Y("value:Q", title="accuracy", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])))
        .properties(width=720, height=120, title=f"The model's accuracy over the last {ROLLING_DATES} dates")
    )
    return alt.vconcat(brier, accuracy)


def calibration_chart(points: list[dict]):
    """Observed against predicted home-win rate, a point a group of games (sized by how
    many), beside the diagonal of perfect calibration."""
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame(points)
    diagonal = (
        alt.Chart(pd.DataFrame({"predicted": [0, 1], "observed": [0, 1]}))
        .mark_line(strokeDash=[4, 4], color="#878787")
        .encode(x="predicted:Q", y="observed:Q")
    )
    dots = (
        alt.Chart(frame)
        .mark_circle(color="#2166ac", opacity=0.8)
        .encode(
            x=alt.X("predicted:Q", title="predicted home-win chance", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("observed:Q", title="home-win rate observed", scale=alt.Scale(domain=[0, 1])),
            size=alt.Size("games:Q", title="games"),
            tooltip=[alt.Tooltip("predicted:Q", format=".3f"), alt.Tooltip("observed:Q", format=".3f"), "games:Q"],
        )
    )
    return (diagonal + dots).properties(width=320, height=320, title="Calibration of the scored predictions")


def model_history_chart(history: list[dict]):
    """Each version's held-out Brier score, by the last date it learned from, beside
    always-home's on the same games, coloured by what became of it."""
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame(
        [
            {"learned": h["training_to"], "version": h["version"], "who": h["status"], "brier": h["brier"]}
            for h in history
        ]
        + [
            {"learned": h["training_to"], "version": h["version"], "who": "always home", "brier": b}
            for h in history
            if (b := h["baseline_brier"].get("always_home")) is not None
        ]
    )
    return (
        alt.Chart(frame, title="Versions trained: Brier score on the games each held out")
        .mark_point(filled=True, size=80)
        .encode(
            x=alt.X("learned:T", title="learned from games up to", axis=alt.Axis(format="%b %d")),
            y=alt.Y("brier:Q", title="Brier score (held out)", scale=alt.Scale(zero=False)),
            color=alt.Color("who:N", title="version"),
            shape=alt.Shape("who:N", title="version"),
            tooltip=["version:N", "who:N", alt.Tooltip("brier:Q", format=".4f")],
        )
        .properties(width=480, height=160)
    )


def contributions_chart(features: list[dict], date: str):
    """Mean absolute contribution (log-odds) of each feature among the top ones of the
    latest predictions."""
    import altair as alt
    import pandas as pd

    return (
        alt.Chart(pd.DataFrame(features), title=f"Top feature contributions, predictions of {date}")
        .mark_bar(color="#2166ac")
        .encode(
            x=alt.X("mean_abs:Q", title="mean |contribution| (log-odds) per game"),
            y=alt.Y("feature:N", sort="-x", title=None),
            tooltip=["feature:N", alt.Tooltip("mean_abs:Q", format=".4f"), "games:Q"],
        )
        .properties(width=480)
    )


# --- The page ----------------------------------------------------------------------------


@functools.cache
def templates():
    """The Jinja2 environment of ``templates/`` (autoescaped; charts are passed as Markup)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date_ranges"] = date_ranges
    env.filters["pct"] = lambda v: "" if v is None else f"{v:.1%}"
    env.filters["num"] = lambda v, digits=4: "" if v is None else f"{v:.{digits}f}"
    return env


def render_page(template: str, **context) -> str:
    return templates().get_template(template).render(**context)


def chart_svgs(data: dict) -> dict:
    """Each chart the data has anything for, as inline SVG (Markup: not escaped)."""
    from markupsafe import Markup

    latest = data["contributions"]
    charts = {  # name: (its rows, what draws them)
        "completeness": (data["completeness"], completeness_chart),
        "grades": (data["grades"], grade_heatmap),
        "rows": (data["rows"], rows_chart),
        "scores": (data["scores"], scores_chart),
        "calibration": (data["calibration"], calibration_chart),
        "models": (data["models"], model_history_chart),
        "contributions": (latest["features"], lambda features: contributions_chart(features, latest["date"])),
    }
    return {name: Markup(svg(draw(rows))) for name, (rows, draw) in charts.items() if rows}


def render_html(data: dict, charts: dict | None = None, root: str = "../") -> str:
    """The report page for ``gather``'s data; ``root`` leads from the page to the lake's
    root (links to the audits and the dbt docs are relative, so they work from the lake and
    through the Airflow UI alike)."""
    states = {}
    for d in data["completeness"]:
        states[d["state"]] = states.get(d["state"], 0) + 1
    return render_page(
        "report.html.j2", data=data, states=states, charts=chart_svgs(data) if charts is None else charts, root=root
    )


def publish(lake_root: str, data: dict) -> str:
    """Write the page of ``gather``'s data to ``<lake>/reports/daily/<date>.html`` and, when
    no later date's page is there, as ``<lake>/reports/index.html`` (what the Airflow UI
    opens); return where the date's page is, relative to the lake."""
    from airflow.sdk import ObjectStoragePath

    through = data["through"]
    charts = chart_svgs(data)
    reports = ObjectStoragePath(lake_root.rstrip("/") + "/reports")
    (reports / "daily").mkdir(parents=True, exist_ok=True)
    (reports / "daily" / f"{through}.html").write_text(render_html(data, charts, root="../../"))
    latest = reports / "latest.json"
    newest = orjson.loads(latest.read_bytes())["date"] if latest.exists() else ""
    if through >= newest:
        (reports / "index.html").write_text(render_html(data, charts, root="../"))
        latest.write_bytes(orjson.dumps({"date": through}))
    log.info("report of %s published to %s", through, reports / "daily" / f"{through}.html")
    return f"reports/daily/{through}.html"
