"""What the warehouse is missing: the games a run should (re)collect, and backfill detection.

The daily run reads this before it fetches anything, so nothing is fetched twice
without reason: recent dates whose games failed (open dead letters) or were collected
before they were final are re-collected; complete, final games are skipped. Strict mode
checks the features' lookback window with the same queries, and backfill detection (seed
004, ``python -m mlb_pipeline.gaps --lookback-days 30 --dry-run``) lists every gap per
processor and starts the backfills that close them. Every daily run does the same
detection over the days before its date and starts the runs that close what it finds;
the monthly audit reports it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import sys

from mlb_pipeline.settings import load_config


def _day(value) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)[:10]


def final_games_loaded(warehouse, game_pks: list[int]) -> set[int]:
    """Which of these games the warehouse already holds as final."""
    if not game_pks:
        return set()
    rows = warehouse.query(
        "SELECT game_pk FROM raw.games WHERE is_final AND list_contains(?, game_pk)", [list(game_pks)]
    )
    return {int(r["game_pk"]) for r in rows}


NOT_COLLECTED = "not collected (no run of the daily DAG loaded it)"
# The steps a game day goes through, each with the gaps it leaves (seed 004's processors).
PROCESSORS = {
    "collection": "raw data: dates never collected or whose collection failed, final games not loaded",
    "incomplete": "games collected before they were final",
    "grading": "dates with final games not graded, or graded F (not promoted)",
    "features": "final games of promoted dates without a row in features.game_features",
}


def feature_window_gaps(warehouse, game_date: str, window_days: int) -> list[dict]:
    """Strict mode (seed 002): what keeps the features of ``game_date`` from being built.

    The window is the ``window_days`` before ``game_date`` and the date itself, from the
    first date of that season the pipeline collected (history before it is a backfill's job,
    not a gap). Every date in it must have been collected (every run records its date, a
    day without games as ``no_games``), every game that should be final must be final in
    ``raw.games`` with no open dead letter, and every date with final games must have its
    latest grade promoted (A to C). Returns ``[{date, game_pk, reason, processor}]``, oldest first."""
    day = dt.date.fromisoformat(game_date)
    first = first_collected(warehouse, day)
    if first is None:
        return [{"date": game_date, "game_pk": None, "reason": NOT_COLLECTED, "processor": "collection"}]
    start = max(day - dt.timedelta(days=window_days), first)
    return _raw_gaps(warehouse, start, day)


def first_collected(warehouse, day: dt.date) -> dt.date | None:
    """The first date of ``day``'s year that the pipeline collected, if any: history before
    it is a backfill's job, not a gap the daily run reports."""
    first = warehouse.query(
        "SELECT min(game_date) AS first FROM ops.ingestion_runs WHERE game_date >= ? AND game_date <= ?",
        [dt.date(day.year, 1, 1), day],
    )[0]["first"]
    return None if first is None else dt.date.fromisoformat(_day(first))


def _off_season(calendars: dict[int, dict] | None, date: str) -> bool:
    """Off-season per the season's calendar (``calendars`` by year, from the API where the
    caller has a client; otherwise the approximate bounds of ``config/seasons.yaml``)."""
    from mlb_pipeline.seasons import fallback_calendar, phase_on

    year = int(date[:4])
    return phase_on((calendars or {}).get(year) or fallback_calendar(year), date) == "off_season"


def _raw_gaps(warehouse, start: dt.date, day: dt.date, calendars: dict[int, dict] | None = None) -> list[dict]:
    """Collection, completeness and grading gaps from ``start`` to ``day`` (both included).
    An off-season date no schedule listed games on is no gap, collected or not."""
    gaps: list[dict] = []

    def add(date, game_pk, reason, processor):
        gaps.append(
            {
                "date": _day(date),
                "game_pk": int(game_pk) if game_pk is not None else None,
                "reason": reason,
                "processor": processor,
            }
        )

    runs = {
        _day(r["game_date"]): r
        for r in warehouse.query(
            "SELECT game_date, status, games_missing FROM ops.ingestion_runs WHERE game_date >= ? AND game_date <= ? "
            "QUALIFY row_number() OVER (PARTITION BY game_date ORDER BY started_at DESC) = 1",
            [start, day],
        )
    }
    scheduled = {
        _day(r["official_date"])
        for r in warehouse.query(
            "SELECT DISTINCT official_date FROM raw.schedule WHERE official_date >= ? AND official_date <= ?",
            [start, day],
        )
    }
    # A schedule that came back empty where other schedules list games (collect._confirm_empty).
    empty = {
        _day(r["game_date"]): r["error"]
        for r in warehouse.query(
            "SELECT game_date, error FROM ops.dead_letters WHERE resolved_at IS NULL AND endpoint = 'schedule' "
            "AND kind = 'empty_schedule' AND game_date >= ? AND game_date <= ?",
            [start, day],
        )
    }
    for n in range((day - start).days + 1):
        date = (start + dt.timedelta(days=n)).isoformat()
        run = runs.get(date)
        if run is None and date not in empty:
            if date in scheduled or not _off_season(calendars, date):
                add(date, None, NOT_COLLECTED, "collection")
        elif date in empty:
            add(date, None, f"its collection failed: {empty[date]}", "collection")
        elif run["status"] == "failed":
            add(date, None, "its collection failed", "collection")

    from mlb_pipeline import kinds  # here, not above: the command refuses a bad argument before Airflow loads

    for kind in kinds.KINDS:  # each kind's own gaps: games not final, feeds still dead letters
        if kind.gaps is not None:
            gaps += kind.gaps(warehouse, start, day)
    for r in warehouse.query(
        "SELECT g.official_date, q.batch_grade, q.promoted FROM "
        "(SELECT DISTINCT official_date FROM raw.games WHERE is_final AND official_date >= ? "
        "AND official_date <= ?) AS g "
        "LEFT JOIN (SELECT game_date, batch_grade, promoted FROM ops.quality_grades WHERE true "
        "QUALIFY row_number() OVER (PARTITION BY game_date ORDER BY graded_at DESC) = 1) AS q "
        "ON q.game_date = g.official_date WHERE q.promoted IS NULL OR NOT q.promoted "
        "ORDER BY g.official_date",
        [start, day],
    ):
        add(
            r["official_date"],
            None,
            f"graded {r['batch_grade']}, not promoted" if r["batch_grade"] else "not graded",
            "grading",
        )
    return sorted(gaps, key=lambda g: (g["date"], g["game_pk"] or 0))


def backfill_candidates(
    warehouse, end_date: str, lookback_days: int, calendars: dict[int, dict] | None = None
) -> dict[str, list[dict]]:
    """Backfill detection (seed 004), per processor: everything missing in the
    ``lookback_days`` before ``end_date`` and on it. Besides strict mode's gaps: final games
    a schedule listed (``raw.schedule``) that ``raw.games`` does not hold as final, and final
    games of promoted dates with no row (or no outcome) in ``features.game_features``.
    ``calendars`` (by year, :func:`seasons.season_calendar`) say which dates are off-season."""
    day = dt.date.fromisoformat(end_date)
    start = day - dt.timedelta(days=lookback_days)
    out: dict[str, list[dict]] = {p: [] for p in PROCESSORS}
    for gap in _raw_gaps(warehouse, start, day, calendars):
        out[gap["processor"]].append(gap)
    final = load_config("seasons")["final_coded_states"]
    known = {(g["date"], g["game_pk"]) for g in out["collection"] + out["incomplete"]}
    for r in warehouse.query(
        "SELECT s.official_date, s.game_pk, s.coded_state FROM raw.schedule AS s "
        "LEFT JOIN raw.games AS g ON g.game_pk = s.game_pk AND g.is_final "
        "WHERE g.game_pk IS NULL AND s.official_date >= ? AND s.official_date <= ? AND s.resumed_from IS NULL "
        "ORDER BY s.official_date, s.game_pk",
        [start, day],
    ):
        if r["coded_state"] in final and (_day(r["official_date"]), int(r["game_pk"])) not in known:
            out["collection"].append(
                {
                    "date": _day(r["official_date"]),
                    "game_pk": int(r["game_pk"]),
                    "reason": "final in the schedule, no final raw data",
                    "processor": "collection",
                }
            )
    out["collection"].sort(key=lambda g: (g["date"], g["game_pk"] or 0))
    if warehouse.has_table("features", "game_features"):
        for r in warehouse.query(
            "SELECT g.official_date, g.game_pk, f.game_pk AS featured FROM raw.games AS g "
            "JOIN (SELECT game_date, promoted FROM ops.quality_grades WHERE true QUALIFY row_number() OVER "
            "(PARTITION BY game_date ORDER BY graded_at DESC) = 1) AS q ON q.game_date = g.official_date "
            "LEFT JOIN features.game_features AS f ON f.game_pk = g.game_pk AND f.home_win IS NOT NULL "
            "WHERE g.is_final AND q.promoted AND f.game_pk IS NULL AND g.official_date >= ? "
            "AND g.official_date <= ? ORDER BY g.official_date, g.game_pk",
            [start, day],
        ):
            out["features"].append(
                {
                    "date": _day(r["official_date"]),
                    "game_pk": int(r["game_pk"]),
                    "reason": "no features",
                    "processor": "features",
                }
            )
    else:
        out["features"] = [
            {
                "date": None,
                "game_pk": None,
                "reason": "features.game_features does not exist yet",
                "processor": "features",
            }
        ]
    return out


def daily_window(warehouse, game_date: str, lookback_days: int) -> tuple[str, int] | None:
    """Where the daily run looks for gaps, as ``(end_date, lookback_days)`` for
    :func:`backfill_candidates`: the ``lookback_days`` before ``game_date`` (the run handled
    the date itself), from the first date of the season the pipeline collected; None
    before any (the season's first run)."""
    day = dt.date.fromisoformat(game_date)
    first = first_collected(warehouse, day)
    end = day - dt.timedelta(days=1)
    if first is None or end < first:
        return None
    return end.isoformat(), (end - max(day - dt.timedelta(days=lookback_days), first)).days


def gap_runs(candidates: dict[str, list[dict]], game_date: str, rebuild_features: bool) -> list[dict]:
    """The runs of the daily DAG that close the gaps a daily run found (seed 004: found and
    processed automatically): one per date to collect or grade again, features off (seed
    002: raw data has no cross-date dependencies); with none, and ``rebuild_features``, one
    run that rebuilds the features from the oldest promoted date without them. Neither
    starts runs itself (``fill_gaps`` off). Run ids are fixed per gap and finding run, so a retried task
    starts nothing twice; a gap still open the next day is tried again by that day's run.
    ``[{"trigger_run_id", "conf"}]`` for ``TriggerDagRunOperator.expand_kwargs``."""

    def run(date: str, **conf) -> dict:
        return {
            "trigger_run_id": f"fill_gaps__{date}__found_{game_date}",
            "conf": {"game_date": date, "fill_gaps": False, **conf},
        }

    dates = dates_to_recollect(candidates)
    if dates:
        return [run(d, build_features=False) for d in dates]
    featureless = sorted(i["date"] for i in candidates["features"] if i["date"])
    return [run(featureless[0], build_features=True)] if featureless and rebuild_features else []


def describe_candidates(candidates: dict[str, list[dict]], end_date: str, lookback_days: int) -> str:
    """The per-processor report of :func:`backfill_candidates` (seed 004's output)."""
    start = (dt.date.fromisoformat(end_date) - dt.timedelta(days=lookback_days)).isoformat()
    lines = [f"Backfill candidates from {start} to {end_date}:"]
    for processor, items in candidates.items():
        if not items:
            lines.append(f"  {processor:<11} all processed")
            continue
        dates = sorted({i["date"] for i in items if i["date"]})
        games = sum(1 for i in items if i["game_pk"])
        lines.append(
            f"  {processor:<11} {len(items)} found: {games} games on {len(dates)} dates ({PROCESSORS[processor]})"
        )
        lines += [
            f"    {i['date'] or ''}" + (f" game {i['game_pk']}" if i["game_pk"] else "") + f": {i['reason']}"
            for i in items
        ]
    return "\n".join(lines)


def dates_to_recollect(candidates: dict[str, list[dict]]) -> list[str]:
    """The game dates a backfill of the daily DAG must run again (features are rebuilt
    set-based once afterwards, not date by date)."""
    return sorted({i["date"] for p in ("collection", "incomplete", "grading") for i in candidates[p] if i["date"]})


def date_ranges(dates: list[str], max_dates: int | None = None) -> list[tuple[str, str]]:
    """Consecutive dates as ``(first, last)`` ranges of at most ``max_dates``: one backfill each."""
    ranges: list[tuple[str, str]] = []
    for d in sorted(dates):
        first, last = (dt.date.fromisoformat(x) for x in ranges[-1]) if ranges else (None, None)
        if (
            last
            and dt.date.fromisoformat(d) - last == dt.timedelta(days=1)
            and (max_dates is None or (last - first).days + 1 < max_dates)
        ):
            ranges[-1] = (ranges[-1][0], d)
        else:
            ranges.append((d, d))
    return ranges


def describe_feature_gaps(gaps: list[dict], game_date: str, window_days: int) -> str:
    """The message of a strict-mode block: the missing dates and games, and what to do."""
    dates = sorted({g["date"] for g in gaps})
    games = sorted({g["game_pk"] for g in gaps if g["game_pk"]})
    lines = [
        f"STRICT MODE: features for {game_date} blocked: {len(gaps)} gap(s) in the {window_days}-day "
        f"lookback window on {len(dates)} date(s).",
        f"Missing dates: {dates}",
        f"Missing games: {games}",
    ]
    lines += [f"  {g['date']}" + (f" game {g['game_pk']}" if g["game_pk"] else "") + f": {g['reason']}" for g in gaps]
    lines.append(
        f"Resolution: collect those dates first (airflow backfill create --dag-id mlb_daily_collection "
        f"--from-date {dates[0]} --to-date {dates[-1]}), then clear this task; or trigger with strict=false."
    )
    return "\n".join(lines)


# ------------------------------------------------------------------------------------
# Command line: python -m mlb_pipeline.gaps --lookback-days 30 [--dry-run]
# What closes the gaps, as steps; airflow_api starts them through Airflow's REST API.
# ------------------------------------------------------------------------------------
DAILY_DAG = "mlb_daily_collection"


@dataclasses.dataclass(frozen=True)
class Backfill:
    """A backfill of ``dag_id`` over game dates ``from_date`` to ``to_date`` (YYYY-MM-DD)."""

    dag_id: str
    from_date: str
    to_date: str
    reprocess_behavior: str = "completed"

    def command(self) -> list[str]:
        """The ``airflow`` command that does the same, for people and ``ops.backfill_log``."""
        return [
            *("airflow", "backfill", "create", "--dag-id", self.dag_id),
            *("--from-date", self.from_date, "--to-date", self.to_date),
            *("--reprocess-behavior", self.reprocess_behavior),
        ]


@dataclasses.dataclass(frozen=True)
class Trigger:
    """A run of ``dag_id`` with ``conf``."""

    dag_id: str
    conf: dict

    def command(self) -> list[str]:
        """The ``airflow`` command that does the same, for people and ``ops.backfill_log``."""
        return ["airflow", "dags", "trigger", self.dag_id, "--conf", json.dumps(self.conf)]


def backfill_plan(
    candidates: dict[str, list[dict]], end_date: str, max_dates: int | None = None
) -> list[Backfill | Trigger]:
    """What closes the gaps: one backfill of the daily DAG per run of consecutive dates to
    collect or grade again, at most ``max_dates`` long (config ``backfill.max_dates``;
    existing runs re-run: reprocess ``completed``); with only features missing, one run that
    rebuilds them set-based."""
    if max_dates is None:
        max_dates = load_config("pipeline")["backfill"]["max_dates"]
    plan: list[Backfill | Trigger] = [
        Backfill(DAILY_DAG, a, b) for a, b in date_ranges(dates_to_recollect(candidates), max_dates)
    ]
    if not plan and candidates["features"]:
        plan.append(rebuild_run(end_date))
    return plan


def backfill_commands(
    candidates: dict[str, list[dict]], end_date: str, max_dates: int | None = None
) -> list[list[str]]:
    """:func:`backfill_plan` as the equivalent ``airflow`` commands."""
    return [step.command() for step in backfill_plan(candidates, end_date, max_dates)]


def rebuild_run(end_date: str) -> Trigger:
    """The run that rebuilds the features set-based up to ``end_date`` and retrains."""
    return Trigger(DAILY_DAG, {"game_date": end_date, "full_refresh": True})


def rebuild_command(end_date: str) -> list[str]:
    return rebuild_run(end_date).command()


def record_detection(warehouse, candidates: dict[str, list[dict]], action: str, commands: list[list[str]]) -> str:
    """Leave the audit trail in ``ops.backfill_log``; return the detection's id."""
    import shlex

    now = dt.datetime.now(dt.UTC)
    detection = f"detect__{now:%Y%m%dT%H%M%S%fZ}"
    command = "\n".join(shlex.join(c) for c in commands) or None
    rows = [
        {
            "detection_id": detection,
            "detected_at": now,
            "processor": i["processor"],
            "game_date": dt.date.fromisoformat(i["date"]),
            "item": str(i["game_pk"]) if i["game_pk"] else "date",
            "reason": i["reason"],
            "action": action,
            "command": command,
        }
        for items in candidates.values()
        for i in items
        if i["date"]
    ]
    warehouse.upsert("ops.backfill_log", list({(r["processor"], r["game_date"], r["item"]): r for r in rows}.values()))
    return detection


def last_collected(warehouse) -> str | None:
    """The last game date the pipeline collected (``raw.games``), or None before any: where the
    gaps command looks back from by default. Yesterday would be no better in the off-season,
    and a warehouse that stopped collecting months ago has its gaps before it stopped."""
    if not warehouse.has_table("raw", "games"):
        return None
    last = warehouse.query("SELECT max(official_date) AS last FROM raw.games")[0]["last"]
    return None if last is None else _day(last)


def _calendars(start: dt.date, end: dt.date) -> dict[int, dict]:
    """The seasons' calendars the pipeline landed (read only: no request), by year."""
    from mlb_pipeline.seasons import landed_calendar
    from mlb_pipeline.settings import lake_url

    return {year: landed_calendar(lake_url(), year) for year in range(start.year, end.year + 1)}


def main(argv: list[str] | None = None, prog: str = "python -m mlb_pipeline.gaps") -> int:
    import shlex

    from mlb_pipeline import arguments

    ap = arguments.Parser(
        prog=prog,
        description="Find what the warehouse is missing, per processor, and backfill it.",
    )
    ap.add_argument("--lookback-days", type=arguments.at_least(0), default=30, help="how far back to look (default 30)")
    ap.add_argument(
        "--end-date",
        type=arguments.date,
        default=None,
        help="the last game date to look at, YYYY-MM-DD (default: the last date collected, in raw.games)",
    )
    ap.add_argument("--dry-run", action="store_true", help="report only: start no backfill, record nothing")
    ap.add_argument(
        "--max-dates",
        type=arguments.at_least(1),
        default=None,
        help="dates per backfill, one backfill after the other (default: config backfill.max_dates)",
    )
    ap.add_argument("--json", action="store_true", help="print the candidates and the plan as JSON")
    args = ap.parse_args(argv)
    from mlb_pipeline.warehouse import created, open_warehouse  # after the arguments: Airflow takes seconds

    warehouse = open_warehouse()
    end = args.end_date.isoformat() if args.end_date else None
    if end is None:
        end = last_collected(warehouse) if created(warehouse) else None
        if end is None:
            ap.error("argument --end-date: nothing collected yet (raw.games is empty): give the last date to look at")
    api = None
    # With --json, stdout is the JSON alone: what the REST API steps say goes to stderr.
    said = contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext()
    if not args.dry_run:  # what a running backfill (say, one interrupted) still lands is no gap
        from mlb_pipeline import airflow_api

        try:
            with said:
                api = airflow_api.AirflowApi()
                airflow_api.stop_if_paused(api, DAILY_DAG)
                airflow_api.wait_for_backfills(
                    api,
                    DAILY_DAG,
                    saying=f"A backfill of {DAILY_DAG} is running: waiting for it to finish before looking for gaps...",
                )
        except airflow_api.AirflowUnavailable as error:
            print(f"Stopped: {error}", file=sys.stderr)
            return 1
        warehouse.ensure_schema()
    day = dt.date.fromisoformat(end)
    calendars = _calendars(day - dt.timedelta(days=args.lookback_days), day)
    if args.dry_run and not created(warehouse):  # read an empty warehouse in memory: create no file
        from mlb_pipeline.warehouse import DuckDBWarehouse

        warehouse = DuckDBWarehouse(":memory:")
        with warehouse.kept_open():
            warehouse.ensure_schema()
            candidates = backfill_candidates(warehouse, end, args.lookback_days, calendars)
    else:
        candidates = backfill_candidates(warehouse, end, args.lookback_days, calendars)
    plan, stopped = backfill_plan(candidates, end, args.max_dates), None
    commands = [step.command() for step in plan]
    if not args.json:
        print(describe_candidates(candidates, end, args.lookback_days))
        if not plan:
            print("Nothing to backfill.")
        elif args.dry_run:
            print("Dry run; would run, one backfill after the other:")
            print("\n".join("  " + shlex.join(c) for c in commands))
    if plan and not args.dry_run:
        try:
            with said:
                airflow_api.run_backfills(api, plan)
        except airflow_api.AirflowUnavailable as error:
            stopped = error
    rebuild = shlex.join(rebuild_command(end)) if dates_to_recollect(candidates) else None
    if rebuild and not args.json:
        print(f"Once the backfill is complete, rebuild the features set-based and retrain: {rebuild}")
    detection = None
    if not args.dry_run:
        detection = record_detection(warehouse, candidates, "backfill_created", commands)
        if not args.json:
            print(f"Recorded in ops.backfill_log as {detection}.")
    if args.json:
        start = (day - dt.timedelta(days=args.lookback_days)).isoformat()
        print(
            json.dumps(
                {
                    "from_date": start,
                    "to_date": end,
                    "candidates": candidates,
                    "commands": [shlex.join(c) for c in commands],
                    "then": rebuild,
                    "dry_run": args.dry_run,
                    "detection_id": detection,
                    "stopped": str(stopped) if stopped else None,
                },
                indent=2,
            )
        )
    if stopped:
        print(f"Stopped: {stopped}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # Run as the package's module, not as __main__: its Backfill and Trigger are then the
    # classes airflow_api imports (under __main__ they would be copies it does not know).
    from mlb_pipeline.gaps import main as package_main

    raise SystemExit(package_main())
