"""The bulk backfill of history: a range of dates in chunks, each collected and loaded whole.

The daily path asks one date at a time, which suits a few dates (``airflow backfill create``).
History is thousands of dates, so here the range is cut into chunks of ``history.chunk_days``
dates (``config/pipeline.yaml``), and each chunk

1. is planned from one schedule request (``startDate``/``endDate``), landed raw;
2. is collected concurrently (every game's feed, Savant's pitches, and reference data as
   ``history.reference_every_days`` says), landed in the raw zone where the daily path lands it;
3. is loaded with one stage and one MERGE a table for all its dates (``collect.load_day``),
   each date's outcome in ``ops.ingestion_runs`` as a daily run records it;
4. is graded in one pass (each suite once over all its dates), each date's grades in
   ``ops.quality_grades`` as the daily run gives them, failing games collected again as it does;
5. is recorded in ``ops.backfill_chunks``: a complete chunk is skipped when the backfill runs
   again, an incomplete one is done again (games already final in the warehouse are not asked).

``python -m mlb_pipeline.backfill statsapi`` and the DAG ``mlb_backfill_history`` (one mapped
task group a chunk) run these functions; the command collects the next chunk in a process of its
own while it loads and grades one (:class:`Collector`). Then one set-based feature rebuild and
one training.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import sys
import time

from mlb_pipeline.settings import load_config

log = logging.getLogger(__name__)

REFERENCE_TASK = "collect_reference_data"


def history_config() -> dict:
    return load_config("pipeline")["history"]


@dataclasses.dataclass(frozen=True)
class Chunk:
    """Consecutive dates backfilled together, ``first`` to ``last`` inclusive (YYYY-MM-DD), of the
    range that starts on ``range_first`` (its reference snapshots' windows start there)."""

    first: str
    last: str
    range_first: str = dataclasses.field(default="", compare=False)

    @property
    def dates(self) -> list[str]:
        start, end = dt.date.fromisoformat(self.first), dt.date.fromisoformat(self.last)
        return [(start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]

    @property
    def label(self) -> str:
        return self.first if self.first == self.last else f"{self.first}..{self.last}"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def chunks_of(first: dt.date, last: dt.date, days: int) -> list[Chunk]:
    """``first``..``last`` cut into chunks of ``days`` dates (the last one may be shorter)."""
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    out, start = [], first
    while start <= last:
        end = min(last, start + dt.timedelta(days=days - 1))
        out.append(Chunk(start.isoformat(), end.isoformat(), first.isoformat()))
        start = end + dt.timedelta(days=1)
    return out


def chunks_in(ranges: list[tuple[dt.date, dt.date]], days: int) -> list[Chunk]:
    """Every range's chunks (:func:`chunks_of`), in order."""
    return [c for first, last in ranges for c in chunks_of(first, last, days)]


def season_range(calendar: dict, phases: list[str]) -> tuple[dt.date, dt.date]:
    """The dates of a season's ``phases`` in its calendar (``seasons.season_calendar``): from the
    start of the first to the end of the last."""
    bounds = [calendar["phases"][p] for p in phases]
    return dt.date.fromisoformat(min(a for a, _ in bounds)), dt.date.fromisoformat(max(b for _, b in bounds))


def snapshot_date(date: str, range_first: str, every: int, has_games) -> bool:
    """Whether ``date`` takes the reference snapshot of its window: the range is cut into windows
    of ``every`` days from ``range_first``, and each window's first date with games takes it
    (``has_games(d)``), whatever the chunks."""
    first = dt.date.fromisoformat(range_first)
    day = dt.date.fromisoformat(date)
    start = first + dt.timedelta(days=((day - first).days // every) * every)
    for n in range((day - start).days + 1):
        d = (start + dt.timedelta(days=n)).isoformat()
        if has_games(d):
            return d == date
    return False


# ------------------------------------------------------------------------------------
# A chunk: plan, collect, load, grade, record
# ------------------------------------------------------------------------------------
def plan_chunk(
    client,
    zone,
    warehouse,
    chunk: Chunk,
    *,
    chosen: list[str],
    every: int,
    range_first: str | None = None,
    force: bool = False,
):
    """What the chunk collects: its schedule in one request, landed raw (an unparseable one is
    quarantined and raised), every game of its dates not already final in the warehouse (all
    of them with ``force``), each date's season phase, and which dates take a reference snapshot."""
    from mlb_pipeline.collect import day_schedule
    from mlb_pipeline.gaps import final_games_loaded
    from mlb_pipeline.kinds.schedule import parse_schedule, range_query
    from mlb_pipeline.parse import decode_json
    from mlb_pipeline.seasons import phase_on, season_calendar

    resp = client.fetch("schedule", **range_query(chunk.first, chunk.last))

    def by_date(body: bytes) -> dict[str, list]:
        doc = decode_json(body, f"schedule {chunk.label}")
        return {d: parse_schedule(doc, d) for d in chunk.dates}

    landed, games = zone.land_parsed(
        zone.schedule_range_key(chunk.first, chunk.last),
        "schedule",
        resp.body,
        by_date,
        date=chunk.first,
        what="schedule",
        url=resp.url,
    )
    dates = {d: day_schedule(games[d], landed.url) for d in chunk.dates}
    calendars = {y: season_calendar(client, zone, y) for y in sorted({int(d[:4]) for d in chunk.dates})}
    phases = {d: phase_on(calendars[int(d[:4])], d) for d in chunk.dates}
    playing = [g for day in dates.values() for g in day["games"] if not g["is_postponed"]]
    done = set() if force else final_games_loaded(warehouse, [g["game_pk"] for g in playing])
    range_first = range_first or chunk.range_first or chunk.first
    has_games = _games_on(client, zone, chunk, dates, range_first, every)
    return {
        "game_date": chunk.first,
        "season_phase": phases[chunk.first],
        "phases": phases,
        "calendar_source": calendars[int(chunk.first[:4])]["source"],
        "dates": dates,
        "next_day": None,
        "collect": [dict(g, reason="backfill") for g in playing if g["game_pk"] not in done],
        "skipped": [{"game_pk": pk, "reason": "already final in the warehouse"} for pk in sorted(done)],
        "kinds": list(chosen),
        "snapshots": [d for d in chunk.dates if snapshot_date(d, range_first, every, has_games)],
    }


def _games_on(client, zone, chunk: Chunk, dates: dict, range_first: str, every: int):
    """``has_games(date)`` for the snapshot windows: the chunk's own schedule, and for the days
    of a window before the chunk (a window cut by a chunk boundary) the schedule of those days."""
    from mlb_pipeline.collect import land_schedule

    known = {d: bool(day["games"]) for d, day in dates.items()}
    first, start = dt.date.fromisoformat(range_first), dt.date.fromisoformat(chunk.first)
    window = first + dt.timedelta(days=((start - first).days // every) * every)

    def has_games(date: str) -> bool:
        if date not in known and dt.date.fromisoformat(date) >= window:
            known[date] = bool(land_schedule(client, zone, date)["games"])
        return known.get(date, False)

    return has_games


def selected(collection, chosen: list[str]) -> bool:
    """Whether a collection task of the registry has a kind the backfill collects."""
    from mlb_pipeline import kinds

    return any(k.name in chosen for k in kinds.collected_by(collection.task_id))


def collect_chunk(clients: dict, zone, plan: dict, concurrency: int, only: str | None = None) -> dict:
    """Every collection of the registry that has a chosen kind, over the chunk's plan:
    ``{task_id: collected}`` (``load_day``'s input). Reference data is asked date by date (its
    requests name a date), a snapshot on the plan's snapshot dates, transactions on every date.
    All of it at once: each client keeps at most its ``concurrency`` requests in flight."""
    import concurrent.futures

    from mlb_pipeline import kinds
    from mlb_pipeline.kinds.reference_data import merged

    jobs = []  # (task_id, collect of one part)
    for c in kinds.COLLECTIONS:
        if not selected(c, plan["kinds"]) or (only is not None and c.source != only):
            continue
        module, client = kinds.collection_module(c), clients[c.source]
        if c.task_id == REFERENCE_TASK:
            for d in plan["dates"]:
                day = {
                    "game_date": d,
                    "dates": {d: plan["dates"][d]},
                    "kinds": plan["kinds"],
                    "reference_snapshots": d in plan["snapshots"],
                }
                jobs.append((c.task_id, lambda m=module, cl=client, p=day: m.collect(cl, zone, p, concurrency)))
        else:
            jobs.append((c.task_id, lambda m=module, cl=client: m.collect(cl, zone, plan, concurrency)))
    if not jobs:
        return {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="collect") as pool:
        done = [(task_id, pool.submit(job)) for task_id, job in jobs]
    parts: dict[str, list] = {}
    for task_id, future in done:
        parts.setdefault(task_id, []).append(future.result())
    return {task_id: merged(results) if task_id == REFERENCE_TASK else results[0] for task_id, results in parts.items()}


def grade_chunk(warehouse, plan: dict, run_id: str, docs_url: str | None, recollect=None) -> dict[str, dict]:
    """Each date's grade (``ops.quality_grades``), the grades the daily run would give, with every
    suite run once over all the chunk's dates (``quality.grade_dates``); a date not promoted is
    reported (``error``), not raised, so the other dates are graded."""
    from mlb_pipeline.quality import grade_dates

    return grade_dates(warehouse, plan["phases"], run_id, docs_url, recollect)


def chunk_outcome(chunk: Chunk, loaded: dict, grades: dict[str, dict]) -> dict:
    """The chunk's record: complete when every date is complete (or has no games) and every
    graded date is promoted; otherwise the problems, one line a date."""
    problems = []
    for date in chunk.dates:
        summary = loaded["dates"].get(date, {})
        if summary.get("status") == "incomplete":
            problems.append(
                f"{date}: incomplete, missing games {summary['missing_game_pks']}"
                + (f", not final {summary['not_final_game_pks']}" if summary.get("not_final_game_pks") else "")
            )
        grade = grades.get(date, {})
        if grade.get("promoted") is False and grade.get("grade", "F") is not None:
            problems.append(f"{date}: {grade.get('error', 'graded ' + str(grade.get('grade')) + ', not promoted')}")
    return {
        "status": "incomplete" if problems else "complete",
        "games_loaded": sum(len(s.get("loaded_game_pks", [])) for s in loaded["dates"].values()),
        "dates_promoted": sum(1 for g in grades.values() if g.get("promoted")),
        "problems": problems,
    }


def record_chunk(warehouse, chunk: Chunk, chosen: list[str], run_id: str, started_at: dt.datetime, outcome: dict):
    warehouse.upsert(
        "ops.backfill_chunks",
        [
            {
                "first_date": dt.date.fromisoformat(chunk.first),
                "last_date": dt.date.fromisoformat(chunk.last),
                "kinds": ",".join(sorted(chosen)),
                "status": outcome["status"],
                "run_id": run_id,
                "started_at": started_at,
                "finished_at": dt.datetime.now(dt.UTC),
                "games_loaded": outcome["games_loaded"],
                "dates_promoted": outcome["dates_promoted"],
                "problems": outcome["problems"],
                "seconds": outcome.get("seconds"),
            }
        ],
        ("problems", "seconds"),
    )


def complete_dates(warehouse, chosen: list[str], read_only: bool = False) -> set[str]:
    """Dates of complete chunks that collected at least the ``chosen`` kinds (whatever their size);
    ``read_only`` (a dry run): nothing is created, a warehouse not there yet has none."""
    from mlb_pipeline.warehouse import created

    if not read_only:
        warehouse.ensure_schema()
    elif not created(warehouse) or not warehouse.has_table("ops", "backfill_chunks"):
        return set()
    out: set[str] = set()
    for r in warehouse.query("SELECT first_date, last_date, kinds FROM ops.backfill_chunks WHERE status = 'complete'"):
        if set(chosen) <= set(r["kinds"].split(",")):
            out.update(Chunk(str(r["first_date"])[:10], str(r["last_date"])[:10]).dates)
    return out


def pending_chunks(warehouse, chunks: list[Chunk], chosen: list[str], read_only: bool = False) -> list[Chunk]:
    """The chunks not yet done: a chunk is skipped when each of its dates is in a complete chunk."""
    done = complete_dates(warehouse, chosen, read_only)
    return [c for c in chunks if not set(c.dates) <= done]


def history_clients(concurrency: int) -> dict:
    """The sources' clients from their Airflow connections, ``concurrency`` requests in flight each."""
    from mlb_pipeline.operators import source_client

    return {s: source_client(s, concurrency=concurrency) for s in ("source", "savant")}


def collect_sources(clients: dict, zone, plan: dict, concurrency: int) -> dict:
    """The chunk's collections, both sources asked at the same time (each keeps its own pacing; on
    Airflow each source's collection is a task of its own, in that source's pool)."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(clients), thread_name_prefix="sources") as pool:
        parts = [pool.submit(collect_chunk, clients, zone, plan, concurrency, only=s) for s in clients]
        return {task: result for part in parts for task, result in part.result().items()}


def finish_chunk(
    warehouse,
    zone,
    plan: dict,
    collected: dict,
    *,
    run_id: str,
    started_at,
    api,
    concurrency: int,
    docs_url: str | None,
    seconds: dict | None = None,
) -> dict:
    """Load the chunk (one stage and one MERGE a table), grade its dates, record it with the
    seconds each phase took (``seconds``: those of planning and collecting it)."""
    from mlb_pipeline.collect import load_day, recollect_games

    chunk = Chunk(min(plan["dates"]), max(plan["dates"]))
    seconds = dict(seconds or {})
    t = time.perf_counter()
    loaded = load_day(warehouse, zone, plan, collected, run_id=run_id, started_at=started_at)
    seconds["load"] = time.perf_counter() - t
    t = time.perf_counter()
    grades = grade_chunk(
        warehouse,
        plan,
        run_id,
        docs_url,
        recollect=lambda pks: recollect_games(api, zone, warehouse, pks, concurrency),
    )
    seconds["grade"] = time.perf_counter() - t
    outcome = dict(chunk_outcome(chunk, loaded, grades), seconds={k: round(v, 3) for k, v in seconds.items()})
    record_chunk(warehouse, chunk, plan["kinds"], run_id, started_at, outcome)
    log.info(
        "chunk %s: %s, %d games loaded (%d already final), %d of %d dates promoted%s",
        chunk.label,
        outcome["status"],
        outcome["games_loaded"],
        len(plan["skipped"]),
        outcome["dates_promoted"],
        len(chunk.dates),
        "".join("\n  " + p for p in outcome["problems"]),
    )
    return {"chunk": chunk.to_dict(), "games_planned": len(plan["collect"]), **outcome}


def docs_url() -> str:
    from mlb_pipeline.settings import lake_url

    return lake_url().rstrip("/") + "/quality/data_docs"


def gather_chunk(
    chunk: Chunk,
    *,
    clients: dict,
    zone,
    warehouse,
    chosen: list[str],
    every: int,
    range_first: str | None = None,
    concurrency: int,
    force: bool = False,
) -> dict:
    """Plan the chunk and collect it, both sources at the same time: what :func:`finish_chunk`
    takes (``plan``, ``collected``, ``started_at``, the ``seconds`` each step took)."""
    started_at = dt.datetime.now(dt.UTC)
    t = time.perf_counter()
    plan = plan_chunk(
        clients["source"],
        zone,
        warehouse,
        chunk,
        chosen=chosen,
        range_first=range_first,
        every=every,
        force=force,
    )
    planned = time.perf_counter()
    collected = collect_sources(clients, zone, plan, concurrency)
    seconds = {"plan": planned - t, "collect": time.perf_counter() - planned}
    return {"plan": plan, "collected": collected, "started_at": started_at, "seconds": seconds}


def run_chunk(
    chunk: Chunk,
    *,
    chosen: list[str],
    every: int,
    range_first: str | None = None,
    run_id: str,
    concurrency: int,
    force: bool = False,
    clients: dict | None = None,
    warehouse=None,
    zone=None,
) -> dict:
    """One chunk from API to graded raw tables, recorded in ``ops.backfill_chunks``: the two
    sources asked at the same time. Safe to run again: everything lands content-addressed
    and merges on primary keys."""

    from mlb_pipeline.operators import raw_zone
    from mlb_pipeline.warehouse import open_warehouse

    clients = clients or history_clients(concurrency)
    warehouse = warehouse or open_warehouse()
    zone = zone or raw_zone()
    warehouse.ensure_schema()
    got = gather_chunk(
        chunk,
        clients=clients,
        zone=zone,
        warehouse=warehouse,
        chosen=chosen,
        range_first=range_first,
        every=every,
        concurrency=concurrency,
        force=force,
    )
    return finish_chunk(
        warehouse,
        zone,
        got["plan"],
        got["collected"],
        run_id=run_id,
        started_at=got["started_at"],
        api=clients["source"],
        concurrency=concurrency,
        docs_url=docs_url(),
        seconds=got["seconds"],
    )


class Collector:
    """Collects chunks in processes of their own, one a source, one chunk ahead of the caller, who
    plans each chunk (one schedule request) and loads and grades the one before: on Airflow
    each source's collection and the load are tasks of their own, and here too they overlap on
    two cores (in one process they would share one interpreter lock; Savant's paced requests
    and the feeds' parsing would take turns). The collectors never open the warehouse (DuckDB
    has one writing process). A failure is raised when its chunk's turn comes."""

    SOURCES = ("source", "savant")

    def __init__(self, concurrency: int, quiet: bool):
        import concurrent.futures
        import multiprocessing

        self.pools = {
            source: concurrent.futures.ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_collector_start,
                initargs=(source, concurrency, quiet),
            )
            for source in self.SOURCES
        }

    def chunks(self, todo: list[Chunk], plan):
        """``(chunk, gathered)`` in order (``gathered``: what :func:`finish_chunk` takes); ``plan(chunk)``
        plans a chunk (:func:`plan_chunk`) just before its collections are handed out."""
        if not todo:
            return
        with contextlib.ExitStack() as stack:
            for pool in self.pools.values():
                stack.enter_context(pool)
            pending = self._hand_out(todo[0], plan)
            for chunk, following in zip(todo, [*todo[1:], None]):
                gathered = self._gathered(chunk, pending)
                if following is not None:
                    pending = self._hand_out(following, plan)
                yield chunk, gathered

    def _hand_out(self, chunk: Chunk, plan) -> dict:
        from mlb_pipeline.landing import Quarantined
        from mlb_pipeline.parse import FeedError
        from mlb_pipeline.source import SourceError

        started_at, t = dt.datetime.now(dt.UTC), time.perf_counter()
        try:
            planned = plan(chunk)
        except (SourceError, FeedError, Quarantined) as exc:  # said in one line by the command, in its turn
            return {"error": str(exc)}
        futures = {s: pool.submit(_collect_in_collector, s, planned) for s, pool in self.pools.items()}
        return {"plan": planned, "futures": futures, "started_at": started_at, "plan_s": time.perf_counter() - t}

    @staticmethod
    def _gathered(chunk: Chunk, pending: dict) -> dict:
        results = {s: f.result() for s, f in pending.get("futures", {}).items()}
        errors = [pending.get("error")] + [r.get("error") for r in results.values()]
        if any(errors):
            raise CollectionFailed(f"chunk {chunk.label}: {'; '.join(e for e in errors if e)}")
        return {
            "plan": pending["plan"],
            "collected": {task: c for r in results.values() for task, c in r["collected"].items()},
            "started_at": pending["started_at"],
            "seconds": {"plan": pending["plan_s"], "collect": max(r["seconds"] for r in results.values())},
        }


class CollectionFailed(RuntimeError):
    """A chunk could not be planned or collected (its schedule unavailable or unparseable)."""


_COLLECTOR: dict = {}


def _collector_start(source: str, concurrency: int, quiet: bool) -> None:
    import os
    import threading

    from mlb_pipeline.operators import raw_zone, source_client

    parent = os.getppid()

    def follow_parent() -> None:  # a killed command leaves no collector running on
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=follow_parent, name="follow-parent", daemon=True).start()
    if quiet:
        logging.getLogger("mlb_pipeline").setLevel(logging.WARNING)
    client = source_client(source, concurrency=concurrency)
    _COLLECTOR.update(clients={source: client}, zone=raw_zone(), concurrency=concurrency)


def _collect_in_collector(source: str, plan: dict) -> dict:
    """A chunk's collections from one source (``collect_chunk(only=source)``) and their seconds."""
    from mlb_pipeline.landing import Quarantined
    from mlb_pipeline.parse import FeedError
    from mlb_pipeline.source import SourceError

    t = time.perf_counter()
    try:
        collected = collect_chunk(_COLLECTOR["clients"], _COLLECTOR["zone"], plan, _COLLECTOR["concurrency"], source)
    except (SourceError, FeedError, Quarantined) as exc:  # said in one line by the command
        return {"error": str(exc)}
    return {"collected": collected, "seconds": time.perf_counter() - t}


# ------------------------------------------------------------------------------------
# On Airflow: the DAG mlb_backfill_history's tasks (a chunk's spec and results are XComs)
# ------------------------------------------------------------------------------------
def chunks_for_run(params: dict) -> list[dict]:
    """``plan_chunks``: the chunks of the run's range still to do, as specs the mapped tasks take."""
    from airflow.sdk.exceptions import AirflowFailException

    from mlb_pipeline.warehouse import open_warehouse

    if params.get("source") == "retrosheet":
        log.info("source retrosheet: no chunks of the Stats API (load_retrosheet loads the files)")
        return []
    seasons, dry_run = params.get("seasons"), bool(params.get("dry_run"))
    try:
        ranges = resolve_range(
            params.get("from_date"),
            params.get("to_date"),
            ",".join(str(s) for s in seasons) if seasons else None,
            calendar=season_calendars(land=not dry_run) if seasons else None,
            phases=params.get("phases"),
        )
        chosen = parse_kinds(",".join(params["kinds"]) if params.get("kinds") else None)
    except UsageError as exc:
        raise AirflowFailException(str(exc)) from exc
    everything = chunks_in(ranges, int(params["chunk_days"]))
    todo = everything if params.get("force") else pending_chunks(open_warehouse(), everything, chosen, dry_run)
    log.info(
        "%s: %d chunks of %s dates, %d already complete%s",
        ", ".join(f"{a}..{b}" for a, b in ranges),
        len(everything),
        params["chunk_days"],
        len(everything) - len(todo),
        "; dry run: nothing is collected" if dry_run else "",
    )
    for c in todo:
        log.info("%s %s", "would backfill" if dry_run else "to backfill", c.label)
    if dry_run:
        return []
    concurrency = int(history_config()["concurrency"])
    return [
        dict(
            c.to_dict(),
            label=c.label,
            kinds=chosen,
            force=bool(params.get("force")),
            concurrency=concurrency,
            reference_every_days=int(history_config()["reference_every_days"]),
        )
        for c in todo
    ]


def _label_map_index(spec: dict) -> None:
    """The mapped task instance is named after its chunk in the UI (``map_index_template``)."""
    from airflow.sdk import get_current_context

    get_current_context()["chunk_label"] = spec["label"]


def airflow_collect(spec: dict, source: str, started: dict | None = None) -> dict:
    """``collect_statsapi`` (no ``started``: plans the chunk, then collects the Stats API's kinds)
    and ``collect_savant`` (Savant's kinds over the plan ``collect_statsapi`` made)."""
    from mlb_pipeline.operators import raw_zone, source_client
    from mlb_pipeline.warehouse import open_warehouse

    _label_map_index(spec)
    chunk, zone = Chunk(spec["first"], spec["last"]), raw_zone()
    client = source_client(source, concurrency=spec["concurrency"])
    try:
        if started is None:
            warehouse = open_warehouse()
            warehouse.ensure_schema()
            started_at, t = dt.datetime.now(dt.UTC).isoformat(), time.perf_counter()
            plan = plan_chunk(
                client,
                zone,
                warehouse,
                chunk,
                chosen=spec["kinds"],
                range_first=spec["range_first"],
                every=spec["reference_every_days"],
                force=spec["force"],
            )
            planned = time.perf_counter()
            collected = collect_chunk({source: client}, zone, plan, spec["concurrency"], only=source)
            seconds = {"plan": planned - t, "collect": time.perf_counter() - planned}  # Savant's runs beside it
            return {"plan": plan, "collected": collected, "started_at": started_at, "seconds": seconds}
        return collect_chunk({source: client}, zone, started["plan"], spec["concurrency"], only=source)
    finally:
        client.close()


def airflow_finish(spec: dict, started: dict, savant: dict, run_id: str) -> dict:
    """``load_and_grade``: the chunk's load, grades and record."""
    from mlb_pipeline.operators import raw_zone, source_client
    from mlb_pipeline.warehouse import open_warehouse

    _label_map_index(spec)
    api, warehouse = source_client("source", concurrency=spec["concurrency"]), open_warehouse()
    try:
        with warehouse.kept_open():  # the chunk's many short statements on one open database
            return finish_chunk(
                warehouse,
                raw_zone(),
                started["plan"],
                {**started["collected"], **savant},
                run_id=run_id,
                started_at=dt.datetime.fromisoformat(started["started_at"]),
                api=api,
                concurrency=spec["concurrency"],
                docs_url=docs_url(),
                seconds=started.get("seconds"),
            )
    finally:
        api.close()


# ------------------------------------------------------------------------------------
# After the chunks: one set-based feature rebuild and one training
# ------------------------------------------------------------------------------------
def rebuild_features() -> None:
    """``dbt build --full-refresh`` of the project: the features set-based over everything loaded."""
    import os
    import subprocess
    import tempfile

    from mlb_pipeline.features import dbt_executable
    from mlb_pipeline.settings import dbt_project_dir

    project = dbt_project_dir()
    with tempfile.TemporaryDirectory(prefix="mlb-backfill-dbt-") as tmp:
        proc = subprocess.run(
            [
                dbt_executable(),
                "build",
                "--full-refresh",
                "--project-dir",
                str(project),
                "--profiles-dir",
                str(project),
                "--target-path",
                f"{tmp}/target",
                "--log-path",
                f"{tmp}/logs",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "DBT_USE_COLORS": "false"},
        )
    if proc.returncode:
        raise RuntimeError(f"dbt build --full-refresh failed:\n{proc.stdout[-4000:]}")


def rebuild_and_train(last_date: str, run_id: str) -> dict:
    """:func:`rebuild_features`, then one training whose challenger is promoted only if better,
    as the daily run decides."""
    from mlb_pipeline import model
    from mlb_pipeline.settings import lake_url
    from mlb_pipeline.warehouse import open_warehouse

    rebuild_features()
    as_of = dt.date.fromisoformat(last_date) + dt.timedelta(days=1)
    registry = model.Registry(lake_url())
    return model.train_and_register(open_warehouse(), registry, as_of, run_id, full=True)


# ------------------------------------------------------------------------------------
# The command
# ------------------------------------------------------------------------------------
class UsageError(ValueError):
    """A bad argument: one plain line, exit code 2."""


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def parse_kinds(value: str | None) -> list[str]:
    """``--kinds a,b``: names of the registry; default ``history.kinds``."""
    from mlb_pipeline import kinds

    if value is None:
        return list(history_config()["kinds"])
    names = [n.strip() for n in value.split(",") if n.strip()]
    known = [k.name for k in kinds.KINDS if kinds.from_api(k)]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise UsageError(f"unknown kinds {unknown or [value]}: choose from {', '.join(known)}")
    return names


def _seasons(value: str) -> list[int]:
    import argparse

    from mlb_pipeline import arguments

    try:
        return arguments.seasons(value)
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"--seasons {exc}") from None


def parse_phases(value: str | list[str] | None) -> list[str]:
    """``--phases``: consecutive phases of a season (default ``history.phases``), in season order."""
    from mlb_pipeline.seasons import PHASES

    if value is None:
        value = list(history_config()["phases"])
    names = [n.strip() for n in (value.split(",") if isinstance(value, str) else value) if n.strip()]
    unknown = [n for n in names if n not in PHASES]
    if unknown or not names:
        raise UsageError(f"unknown phases {unknown or [value]}: choose from {', '.join(PHASES)}")
    index = sorted({PHASES.index(n) for n in names})
    if index != list(range(index[0], index[-1] + 1)):
        raise UsageError(f"--phases {','.join(names)}: give consecutive phases ({', '.join(PHASES)})")
    return [PHASES[i] for i in index]


def resolve_range(
    from_date: str | None,
    to_date: str | None,
    seasons: str | None,
    today: dt.date | None = None,
    *,
    calendar=None,
    phases: list[str] | None = None,
) -> list[tuple[dt.date, dt.date]]:
    """The ranges asked for, never past yesterday: ``--from-date``/``--to-date``, or each of the
    ``--seasons`` from its calendar (``calendar(season)``: the Stats API's, ``seasons.season_calendar``),
    the dates of its ``phases`` (default: every phase the pipeline collects)."""
    today = today or dt.datetime.now(dt.UTC).date()
    if seasons and (from_date or to_date):
        raise UsageError("give --seasons or --from-date/--to-date, not both")
    if seasons:
        years = _seasons(seasons)
        if calendar is None:
            from mlb_pipeline.seasons import fallback_calendar as calendar
        wanted = parse_phases(phases)
        ranges = [season_range(calendar(y), wanted) for y in years]
    elif from_date and to_date:
        ranges = [(_date(from_date), _date(to_date))]
    else:
        raise UsageError("give --from-date and --to-date (YYYY-MM-DD), or --seasons")
    yesterday = today - dt.timedelta(days=1)
    asked = ranges
    ranges = [(first, min(last, yesterday)) for first, last in asked if first <= min(last, yesterday)]
    if not ranges:
        what = f"--seasons {seasons}" if seasons else f"the range {asked[0][0]}..{min(asked[0][1], yesterday)}"
        raise UsageError(f"{what} is empty (it ends before it starts, or is not past yet)")
    return ranges


def season_calendars(concurrency: int = 1, land: bool = True):
    """``calendar(season)`` from the Stats API connection (each answer landed raw; not with ``land``
    off, for a dry run), for :func:`resolve_range`."""
    from mlb_pipeline.operators import raw_zone, source_client
    from mlb_pipeline.seasons import season_calendar

    client, zone = source_client("source", concurrency=concurrency), raw_zone() if land else None
    return lambda season: season_calendar(client, zone, season)


def main(argv: list[str] | None = None, prog: str = "python -m mlb_pipeline.backfill") -> int:
    from mlb_pipeline import arguments

    cfg = history_config()
    ap = arguments.Parser(
        prog=prog,
        description="Load history in bulk: a range of dates in chunks, collected concurrently, "
        "loaded with one statement a table, graded, resumable.",
    )
    sub = ap.add_subparsers(dest="command", required=True, metavar="SOURCE")
    stats = sub.add_parser("statsapi", help="the MLB Stats API and Baseball Savant (the daily path's sources)")
    stats.add_argument("--from-date", help="first date, YYYY-MM-DD")
    stats.add_argument("--to-date", help="last date, YYYY-MM-DD (at most yesterday)")
    stats.add_argument("--seasons", help="whole seasons instead of dates: 2021-2024 or 2019,2021")
    stats.add_argument(
        "--phases",
        help=f"with --seasons, consecutive phases of each season's calendar (default: {','.join(cfg['phases'])})",
    )
    stats.add_argument("--kinds", help=f"comma-separated kinds (default: {','.join(cfg['kinds'])})")
    positive = arguments.at_least(1)
    stats.add_argument("--chunk-days", type=positive, default=cfg["chunk_days"], help="dates a chunk")
    stats.add_argument("--concurrency", type=positive, default=cfg["concurrency"], help="requests in flight per source")
    stats.add_argument(
        "--reference-every",
        type=positive,
        default=cfg["reference_every_days"],
        help="days between snapshots of teams, standings, rosters and stats (1: every date, as the daily path)",
    )
    stats.add_argument("--force", action="store_true", help="collect again chunks and games already done")
    stats.add_argument("--dry-run", action="store_true", help="list the chunks to do; ask and write nothing")
    stats.add_argument("--rebuild", action="store_true", help="then rebuild the features (dbt) and train once")
    stats.add_argument("--verbose", action="store_true", help="log every step (default: warnings, and the progress)")
    retro = sub.add_parser("retrosheet", help="Retrosheet's game logs and event files, from a folder")
    retro.add_argument(
        "--source", required=True, help="a folder laid out as Retrosheet's: gamelogs/GLyyyy.TXT, events/yyyyeve.zip"
    )
    retro.add_argument("--seasons", help="the seasons to load, e.g. 2010-2022 (default: every season in the folder)")
    retro.add_argument("--dry-run", action="store_true", help="list what would load; write nothing")
    args = ap.parse_args(argv)
    if args.command == "retrosheet":
        try:
            found = retrosheet_seasons(args.source, args.seasons)
        except UsageError as exc:
            ap.error(str(exc))
        return run_retrosheet(found, args.dry_run)
    try:
        if args.phases and not args.seasons:
            raise UsageError("--phases goes with --seasons")
        if args.seasons:  # the years, before anything is asked
            _seasons(args.seasons)
        else:
            ranges = resolve_range(args.from_date, args.to_date, None)
        phases = parse_phases(args.phases)
        chosen = parse_kinds(args.kinds)
        if args.seasons:  # each season's dates from its calendar, asked of the API
            calendar = season_calendars(land=not args.dry_run)
            ranges = resolve_range(None, None, args.seasons, calendar=calendar, phases=phases)
    except UsageError as exc:
        ap.error(str(exc))
    quiet = contextlib.nullcontext() if args.verbose else _warnings_only()
    with quiet:  # the progress bar says what is going on; the pipeline's INFO lines would bury it
        return run(
            ranges,
            chosen,
            args.chunk_days,
            args.concurrency,
            args.reference_every,
            args.force,
            args.dry_run,
            args.rebuild,
        )


def retrosheet_seasons(source: str, seasons: str | None) -> dict[int, dict]:
    """``--source DIR [--seasons ...]``: the seasons to load and their files."""
    from pathlib import Path

    if not Path(source).is_dir():
        raise UsageError(f"--source {source!r} is not a folder")
    from mlb_pipeline.kinds.retrosheet import season_files

    found = season_files(source)
    if not found:
        raise UsageError(f"--source {source!r} holds no gamelogs/GLyyyy.TXT nor events/yyyyeve.zip")
    if seasons is None:
        return found
    wanted = _seasons(seasons)
    missing = [y for y in wanted if y not in found]
    if missing:
        have = ", ".join(str(y) for y in found)
        raise UsageError(f"--seasons: {source} has no files of {', '.join(map(str, missing))} (it has {have})")
    return {y: found[y] for y in wanted}


def airflow_retrosheet(params: dict) -> dict:
    """``load_retrosheet`` of the bulk DAG: with source ``retrosheet``, every season asked (else
    every season of ``history.retrosheet_dir``) loaded as the command loads them; skipped for the
    Stats API. Fails naming the quarantined files, after loading the rest."""
    from pathlib import Path

    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from mlb_pipeline.kinds.retrosheet import load_season
    from mlb_pipeline.operators import raw_zone
    from mlb_pipeline.settings import data_dir
    from mlb_pipeline.warehouse import open_warehouse

    if params.get("source") != "retrosheet":
        raise AirflowSkipException("source statsapi: nothing of Retrosheet to load")
    folder = params.get("retrosheet_dir") or Path(data_dir()) / history_config()["retrosheet_dir"]
    seasons = params.get("seasons")
    try:
        found = retrosheet_seasons(str(folder), ",".join(str(s) for s in seasons) if seasons else None)
    except UsageError as exc:
        raise AirflowFailException(str(exc)) from exc
    if params.get("dry_run"):
        log.info("dry run: would load %s", ", ".join(f"{y} ({'+'.join(sorted(f))})" for y, f in found.items()))
        return {"seasons": list(found), "rows": {}}
    warehouse, zone = open_warehouse(), raw_zone()
    warehouse.ensure_schema()
    results = []
    for season, files in found.items():
        with warehouse.connect() as con:
            results.append(load_season(warehouse, zone, season, files, con))
        log.info("%s: %s", season, results[-1]["rows"])
    problems = [p for r in results for p in r["problems"]]
    if problems:
        raise AirflowFailException("; ".join(problems))
    return {"seasons": list(found), "rows": {r["season"]: r["rows"] for r in results}}


def run_retrosheet(found: dict[int, dict], dry_run: bool) -> int:
    """Load Retrosheet seasons (:func:`kinds.retrosheet.load_season`), one after the other, with
    a progress bar; a season that fails to parse is quarantined and named, the others load."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from mlb_pipeline.kinds.retrosheet import load_season
    from mlb_pipeline.operators import raw_zone
    from mlb_pipeline.warehouse import open_warehouse

    console = Console(stderr=True, soft_wrap=True)  # a line a season, whole, as a log reads it
    listing = ", ".join(f"{y} ({'+'.join(sorted(f))})" for y, f in found.items())
    console.print(f"Retrosheet: {len(found)} seasons: {listing}")
    if dry_run:
        console.print("Dry run: nothing read, nothing written.")
        return 0
    warehouse, zone = open_warehouse(), raw_zone()
    warehouse.ensure_schema()
    started, failed = time.perf_counter(), 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress, warehouse.kept_open():
        bar = progress.add_task("retrosheet", total=len(found))
        for season, files in found.items():
            progress.update(bar, description=f"season {season}")
            with warehouse.connect() as con:
                result = load_season(warehouse, zone, season, files, con)
            rows = ", ".join(f"{t.removeprefix('raw.')} {n:,}" for t, n in result["rows"].items())
            console.print(f"{season}: {rows or 'nothing loaded'}")
            for problem in result["problems"]:
                console.print(f"  {problem}")
            failed += bool(result["problems"])
            progress.advance(bar)
    console.print(
        f"{len(found)} seasons in {time.perf_counter() - started:.0f} s: {len(found) - failed} loaded, {failed} with "
        "problems (quarantined files are kept with the reason; fix or replace them and run again)"
    )
    return 1 if failed else 0


@contextlib.contextmanager
def _warnings_only():
    """Log warnings only while the command runs (the loggers' levels restored after)."""
    names = ("", "mlb_pipeline", "great_expectations", "airflow")
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def run(ranges, chosen, chunk_days, concurrency, every, force, dry_run, rebuild) -> int:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from mlb_pipeline.operators import raw_zone
    from mlb_pipeline.warehouse import open_warehouse

    console = Console(stderr=True)
    warehouse = open_warehouse()
    everything = chunks_in(ranges, chunk_days)
    todo = everything if force else pending_chunks(warehouse, everything, chosen, read_only=dry_run)
    console.print(
        f"{', '.join(f'{a}..{b}' for a, b in ranges)}: {len(everything)} chunks of {chunk_days} dates, "
        f"{len(everything) - len(todo)} already complete; kinds {','.join(chosen)}"
    )
    if dry_run:
        for c in todo:
            console.print(f"  would backfill {c.label}")
        console.print("Dry run: nothing asked, nothing written.")
        return 0
    run_id = f"backfill__{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    clients = history_clients(concurrency)
    results, started = [], time.perf_counter()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("dates"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[games]} games"),
    )
    zone = raw_zone()
    collector = Collector(concurrency, quiet=logging.getLogger("mlb_pipeline").level >= logging.WARNING)

    def plan(chunk: Chunk) -> dict:  # between chunks: the warehouse file is free
        return plan_chunk(clients["source"], zone, warehouse, chunk, chosen=chosen, every=every, force=force)

    gathered_chunks = collector.chunks(todo, plan)
    stopped = None
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as progress:
        bar = progress.add_task("backfill", total=sum(len(c.dates) for c in todo), games=0)
        games = 0
        try:
            for chunk, gathered in gathered_chunks:
                progress.update(bar, description=f"chunk {chunk.label}")
                with warehouse.kept_open():  # its many short statements; others get the file between chunks
                    result = finish_chunk(
                        warehouse,
                        zone,
                        gathered["plan"],
                        gathered["collected"],
                        run_id=run_id,
                        started_at=gathered["started_at"],
                        api=clients["source"],
                        concurrency=concurrency,
                        docs_url=docs_url(),
                        seconds=gathered["seconds"],
                    )
                games += result["games_loaded"]
                results.append(result)
                progress.update(bar, advance=len(chunk.dates), games=games)
                took = ", ".join(f"{k} {v:.1f} s" for k, v in result["seconds"].items())
                console.print(f"chunk {chunk.label}: {result['status']}, {result['games_loaded']} games ({took})")
        except CollectionFailed as exc:
            stopped = exc
    incomplete = [r for r in results if r["status"] != "complete"]
    console.print(
        f"{len(results)} chunks in {time.perf_counter() - started:.0f} s: {len(results) - len(incomplete)} complete, "
        f"{len(incomplete)} incomplete (run again to retry them; ops.backfill_chunks has the problems)"
    )
    for r in incomplete:
        for p in r["problems"]:
            console.print(f"  {p}")
    if stopped is not None:
        console.print(f"Stopped: {stopped}. The chunks before it are recorded; run again to go on from there.")
        return 1
    if rebuild:
        console.print("Rebuilding the features (dbt build --full-refresh) and training once...")
        trained = rebuild_and_train(ranges[-1][1].isoformat(), run_id)
        console.print(f"model: {trained.get('decision', trained)}")
    return 1 if incomplete else 0


if __name__ == "__main__":
    from mlb_pipeline.backfill import main as package_main

    sys.exit(package_main())
