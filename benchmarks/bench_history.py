"""Benchmark: the bulk backfill of history (issue #21), three questions, side by side in one run.

    . scripts/env.sh && python benchmarks/bench_history.py [--seasons 2021-2024] [--phases regular_season,postseason]
        [--repeat 3] [--latency-ms 100] [--skip-parts]

1. **Collecting.** A simulated week (seed 7, from 2024-06-03) with ``--latency-ms`` on every
   request: the bulk collector (``backfill.plan_chunk`` + ``collect_sources``: the week's schedule in
   one request, ``history.concurrency`` requests in flight, a weekly reference snapshot, Savant
   through its paced client) against a naive sequential loop of MLB-StatsAPI's ``statsapi.get``
   (and bare ``requests.get`` for Savant and the reference data) asking what the daily path asks,
   date by date. Medians of ``--repeat``, interleaved.
2. **Loading.** The same week's landed feeds and Statcast CSVs into an empty DuckDB warehouse: the
   pipeline's set-based load (the game-feed and Statcast loaders of one chunk: one stage and one
   MERGE a table) against the floor: orjson parse + the same row extraction + one Arrow table and
   one CREATE TABLE AS a table (no key) (Statcast: pyarrow's CSV reader). The feeds' rows are
   staged as they land (``collect_feeds``: parsed to know they parse, then written as Parquet),
   so the pipeline's load is given twice: the load step alone (what the loading process does),
   and staging plus load (all the work the floor does). Medians of ``--repeat``.
3. **End to end.** ``python -m mlb_pipeline.backfill statsapi --seasons 2021-2024 --phases
   regular_season,postseason --rebuild``, the command a user runs, against the simulated league
   (seed 7; the regular seasons and postseasons, about 10,000 games) exported once into
   ``--export-dir`` and served from files by the double in a process of its own: wall time, each
   step's seconds (``ops.backfill_chunks.seconds``), peak memory; then, in the same run, question 2
   again over games of it (the first 14 dates of June of each season, collected again from the same
   files). The first run exports the seasons (about 5 min of a core a season), later runs reuse them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))
sys.path.insert(0, str(REPO / "devtools"))  # the API double (mlb_replay): never deployed

FIRST = dt.date(2024, 6, 3)


def naive_week(server_url: str, dates: list[str], team_ids: list[int]) -> int:
    """What a peer's script does: MLB-StatsAPI's ``statsapi.get`` one call after the other (a new
    connection each), the same requests the daily path makes for each date. Returns requests."""
    import requests
    import statsapi
    import statsapi.endpoints

    from mlb_pipeline.kinds.reference_data import requests_of
    from mlb_pipeline.source import ClientSettings, StatsApiClient

    for ep in statsapi.endpoints.ENDPOINTS.values():
        ep["url"] = ep["url"].replace("https://statsapi.mlb.com", server_url)
    urls = StatsApiClient(ClientSettings(server_url))
    n = 0
    for date in dates:
        games = [g for d in statsapi.get("schedule", {"sportId": 1, "date": date})["dates"] for g in d["games"]]
        n += 1
        for g in games:
            statsapi.get("game", {"gamePk": g["gamePk"]})
            pk = g["gamePk"]
            assert requests.get(f"{server_url}/statcast_search/csv?all=true&type=details&game_pk={pk}").ok
            n += 2
        played = bool(games)
        for r in requests_of(date, team_ids if played else [], lambda k, played=played: played or k.every_day):
            assert requests.get(urls.url(r.endpoint, **r.params)).ok
            n += 1
    return n


def history_clients(server_url: str, concurrency: int) -> dict:
    """The backfill's clients at the double: ``concurrency`` each, Savant paced as configured."""
    from mlb_pipeline.settings import load_config
    from mlb_pipeline.source import ClientSettings, SavantClient, StatsApiClient

    savant_pacing = load_config("pipeline")["savant"]["min_interval_s"]
    return {
        "source": StatsApiClient(ClientSettings(server_url, concurrency=concurrency)),
        "savant": SavantClient(ClientSettings(server_url, concurrency=concurrency, min_interval_s=savant_pacing)),
    }


def bulk_collect(server_url: str, root: Path, chunk, concurrency: int) -> tuple[dict, dict, object]:
    from mlb_pipeline import backfill
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.warehouse import DuckDBWarehouse

    clients = history_clients(server_url, concurrency)
    zone, warehouse = RawZone((root / "lake").as_uri()), DuckDBWarehouse(root / "plan.duckdb")
    warehouse.ensure_schema()
    kinds = backfill.history_config()["kinds"]
    plan = backfill.plan_chunk(
        clients["source"], zone, warehouse, chunk, chosen=kinds, range_first=chunk.first, every=7
    )
    collected = backfill.collect_sources(clients, zone, plan, concurrency)
    return plan, collected, zone


def ours_load(root: Path, plan: dict, collected: dict, zone) -> tuple[float, float]:
    """Seconds to stage the landed feeds' and CSVs' rows (what ``collect_feeds`` and
    ``collect_statcast`` do as each lands, after the parse they do to know it parses) and seconds
    of the load step over them."""
    from mlb_pipeline.kinds import game_feed, statcast
    from mlb_pipeline.parse import decode_json
    from mlb_pipeline.warehouse import DuckDBWarehouse

    warehouse = DuckDBWarehouse(root / "ours.duckdb")
    warehouse.ensure_schema()
    feeds, savant = collected["collect_game_feeds"], collected["collect_statcast"]
    start = time.perf_counter()
    staging = game_feed._Staging(feeds["landed"])
    for i, item in enumerate(feeds["landed"]):
        staging.add(i, item, game_feed.parse_game(decode_json(zone.read(item["url"]), "feed")))
    feeds = {**feeds, "staged": staging.write(zone)}
    parts = []
    for url in sorted({g["url"] for g in savant["games"] if g["source"] == statcast.SAVANT}):
        table = statcast.read_savant(zone.read(url), url)
        rows = table.to_pylist()
        parts.append(statcast._staged_part(rows, list(dict.fromkeys(r["game_pk"] for r in rows)), url, table))
    savant = {**savant, "staged": statcast._stage(zone, parts, savant["games"])}
    staged = time.perf_counter()
    with warehouse.connect() as con:
        game_feed.load(warehouse, zone, plan, feeds, con)
        statcast.load(warehouse, zone, plan, savant, con)
    took = time.perf_counter() - staged
    (root / "ours.duckdb").unlink()
    return staged - start, took


def floor_load(root: Path, collected: dict, zone) -> float:
    """orjson + the same extraction + one Arrow table and one CREATE TABLE AS a table (no key), into empty tables."""
    import io

    import duckdb
    import orjson
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from mlb_pipeline.kinds import statcast
    from mlb_pipeline.kinds.game_feed import parse_game

    start = time.perf_counter()
    tables: dict[str, list[dict]] = {}
    for item in collected["collect_game_feeds"]["landed"]:
        for table, rows in parse_game(orjson.loads(zone.read(item["url"]))).items():
            tables.setdefault(table, []).extend(rows)
    landed = sorted({g["url"] for g in collected["collect_statcast"]["games"] if "url" in g})  # a date's CSV
    ours = list(statcast.COLUMNS)  # the columns the table keeps, of Savant's 90-odd
    options = pacsv.ConvertOptions(include_columns=ours, include_missing_columns=True)
    csvs = [pacsv.read_csv(io.BytesIO(zone.read(url)), convert_options=options) for url in landed]
    con = duckdb.connect(str(root / "floor.duckdb"))
    for table, rows in tables.items():
        arrow = pa.Table.from_pylist(rows)  # noqa: F841
        con.execute(f"CREATE TABLE floor_{table} AS SELECT * FROM arrow")
    pitches = pa.concat_tables(csvs, promote_options="permissive")  # noqa: F841
    con.execute("CREATE TABLE floor_statcast AS SELECT * FROM pitches")
    con.close()
    took = time.perf_counter() - start
    (root / "floor.duckdb").unlink()
    return took


def exported_seasons(seasons: list[int], folder: Path) -> float:
    """The simulated league (seed 7) of ``seasons`` exported to ``folder`` in the recorded layout,
    once (a season is about 3.5 min of one core; two seasons at a time): the double then serves
    files and costs next to nothing. Returns the seconds spent exporting (0 when cached)."""
    league = f"{seasons[0]}-{seasons[-1]}"
    todo = [y for y in seasons if not (folder / f".exported-{y}").exists()]
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(REPO / "devtools")}

    def command(y: int) -> list[str]:
        # Every date the command asks (--seasons: 1 February of the first to 30 November of the
        # last, winters included, when nothing is played and only schedules are asked).
        first = f"{y}-02-01" if y == seasons[0] else f"{y - 1}-12-01"
        command = [sys.executable, "-m", "mlb_replay", "export", "--seed", "7", "--season", str(y)]
        return command + ["--league", league, "--from-date", first, "--to-date", f"{y}-11-30", "--out", str(folder)]

    for pair in [todo[i : i + 2] for i in range(0, len(todo), 2)]:
        procs = [(y, subprocess.Popen(command(y), env=env, stdout=subprocess.DEVNULL)) for y in pair]
        for y, proc in procs:
            if proc.wait():
                raise SystemExit(f"exporting {y} failed")
            (folder / f".exported-{y}").touch()
    return time.perf_counter() - start


def sample_loads(server_url: str, root: Path, seasons: list[int], repeat: int) -> dict:
    """Staging + load against the floor over games of the end-to-end run: the first 14 dates of
    June of every season, collected again from the same files (no latency). Medians of ``repeat``
    a season, summed over the seasons."""
    from mlb_pipeline import backfill

    concurrency = int(backfill.history_config()["concurrency"])
    sums = {"staging": 0.0, "load": 0.0, "floor": 0.0, "games": 0}
    for y in seasons:
        chunk = backfill.Chunk(f"{y}-06-01", f"{y}-06-14")
        plan, collected, zone = bulk_collect(server_url, root / f"sample{y}", chunk, concurrency)
        runs = {"staging": [], "load": [], "floor": []}
        for _ in range(repeat):
            staging, load = ours_load(root, plan, collected, zone)
            runs["staging"].append(staging)
            runs["load"].append(load)
            runs["floor"].append(floor_load(root, collected, zone))
        for k, v in runs.items():
            sums[k] += statistics.median(v)
        sums["games"] += len(plan["collect"])
    return sums


def end_to_end(seasons: list[int], phases: str, folder: Path, root: Path, repeat: int) -> dict:
    """The backfill command over whole seasons against the exported league served from files by
    the double in its own process (as the real API is a process elsewhere), then ``--rebuild``:
    dbt ``--full-refresh`` and one training. Wall time and each phase's seconds (summed over
    the chunks, from ``ops.backfill_chunks``), peak memory of the command's processes."""
    import duckdb

    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'plugins'}:{REPO / 'devtools'}"}
    double = subprocess.Popen(
        [sys.executable, "-m", "mlb_replay", "--recorded", str(folder), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        double.stdout.readline()  # serving
        env.update(
            MLB_DUCKDB_PATH=str(root / "e2e.duckdb"),
            MLB_LAKE_URL=(root / "e2e-lake").as_uri(),
            MLB_WAREHOUSE="duckdb",
            AIRFLOW_CONN_MLB_STATSAPI=f"http://127.0.0.1:{port}",
            AIRFLOW_CONN_BASEBALL_SAVANT=f"http://127.0.0.1:{port}",
            COLUMNS="160",
        )
        command = [sys.executable, "-m", "mlb_pipeline.backfill", "statsapi", "--seasons"]
        command += [f"{seasons[0]}-{seasons[-1]}", "--phases", phases, "--rebuild"]
        start = time.perf_counter()
        proc = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        sample = sample_loads(f"http://127.0.0.1:{port}", root, seasons, repeat) if not proc.returncode else None
    finally:
        double.terminate()
        double.wait()
    if proc.returncode:
        raise SystemExit(f"the backfill failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    with duckdb.connect(str(root / "e2e.duckdb"), read_only=True) as con:
        games, final = con.execute("SELECT count(*), count(*) FILTER (WHERE is_final) FROM raw.games").fetchone()
        chunks = con.execute("SELECT status, seconds FROM ops.backfill_chunks").fetchall()
        dates = con.execute("SELECT count(DISTINCT game_date) FROM ops.ingestion_runs").fetchone()[0]
    phases: dict[str, float] = {}
    for _, seconds in chunks:
        for phase, secs in json.loads(seconds).items():
            phases[phase] = phases.get(phase, 0.0) + secs
    rebuild = re.search(r"\d+ chunks in (\d+) s", proc.stderr)
    return {
        "games": final,
        "dates": dates,
        "chunks": len(chunks),
        "complete": sum(1 for s, _ in chunks if s == "complete"),
        "wall_s": wall,
        "chunks_s": float(rebuild.group(1)) if rebuild else float("nan"),
        "phases": phases,
        "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "model": proc.stderr.strip().splitlines()[-1],
        "sample": sample,
    }


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--seasons", default="2021-2024", help="the seasons of the end-to-end run, e.g. 2024 or 2021-2024")
    ap.add_argument(
        "--export-dir",
        type=Path,
        default=REPO / ".local" / "bench",
        help="where the simulated league's seasons are exported once and kept",
    )
    ap.add_argument("--phases", default="regular_season,postseason", help="the phases of the end-to-end run")
    ap.add_argument("--skip-parts", action="store_true", help="only the end-to-end run")
    ap.add_argument("--parts-only", action="store_true", help="only the collecting and loading comparisons")
    args = ap.parse_args()
    lo, _, hi = args.seasons.partition("-")
    seasons = list(range(int(lo), int(hi or lo) + 1))

    from mlb_pipeline import backfill
    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    chunk = backfill.Chunk(FIRST.isoformat(), (FIRST + dt.timedelta(days=6)).isoformat())
    concurrency = int(backfill.history_config()["concurrency"])
    league = League(seed=7, seasons=[2024])
    folder = args.export_dir / f"sim-seed7-{seasons[0]}-{seasons[-1]}"
    exporting = 0.0 if args.parts_only else exported_seasons(seasons, folder)
    with ReplayServer(SimulatedBackend(league)) as server, tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        root = Path(tmp)
        team_ids = sorted(league.teams)
        fault = server.add_fault(".", delay_s=args.latency_ms / 1000)
        collect = {"naive": [], "bulk": []}
        requests = {}
        loads = {"staging": [], "ours": [], "floor": []}
        if not args.skip_parts:
            for i in range(args.repeat):
                server.clear_requests()
                t = time.perf_counter()
                naive_week(server.url, chunk.dates, team_ids)
                collect["naive"].append(time.perf_counter() - t)
                requests["naive"] = len(server.requests())
                server.clear_requests()
                t = time.perf_counter()
                plan, collected, zone = bulk_collect(server.url, root / f"bulk{i}", chunk, concurrency)
                collect["bulk"].append(time.perf_counter() - t)
                requests["bulk"] = len(server.requests())
            server.faults.remove(fault)
            for _ in range(args.repeat):
                staging, load = ours_load(root, plan, collected, zone)
                loads["staging"].append(staging)
                loads["ours"].append(load)
                loads["both"] = [a + b for a, b in zip(loads["staging"], loads["ours"])]
                loads["floor"].append(floor_load(root, collected, zone))
        e2e = None if args.parts_only else end_to_end(seasons, args.phases, folder, root, args.repeat)

    if not args.skip_parts:
        games = len(plan["collect"])
        naive, bulk = statistics.median(collect["naive"]), statistics.median(collect["bulk"])
        print(f"Simulated league seed 7, week {chunk.label} ({games} games), medians of {args.repeat}, 2 cores.\n")
        print(f"**Collecting the week, {args.latency_ms:g} ms latency on every request**\n")
        print("| collector | requests | median | speed-up |\n|---|---|---|---|")
        print(f"| naive sequential loop (statsapi.get, date by date) | {requests['naive']} | {naive:.1f} s | 1.0x |")
        print(
            f"| bulk chunk collector (concurrency {concurrency}, Savant paced) | {requests['bulk']} | {bulk:.1f} s | "
            f"{naive / bulk:.1f}x |"
        )
        ours, floor = statistics.median(loads["ours"]), statistics.median(loads["floor"])
        both = statistics.median(loads["both"])
        print("\n**Loading the week's feeds and Statcast into an empty warehouse**\n")
        print("| load | median | against the floor |\n|---|---|---|")
        print(f"| floor: orjson + extraction + one Arrow CREATE TABLE AS a table | {floor:.2f} s | 1.00x |")
        print(
            f"| pipeline: the load step (staged rows, a stage and a MERGE a table) | {ours:.2f} s "
            f"| {ours / floor:.2f}x |"
        )
        print(
            f"| pipeline: staging as feeds land (parse, validate, Parquet) + the load step | {both:.2f} s "
            f"| {both / floor:.2f}x |"
        )
    if e2e is None:
        return
    games = e2e["games"]
    print(
        f"\n**End to end: `backfill statsapi --seasons {args.seasons} --phases {args.phases} --rebuild`, "
        f"{e2e['dates']} dates, "
        f"{games:,} final games, {e2e['chunks']} chunks ({e2e['complete']} complete), the exported league served "
        f"from files** (exporting it took {exporting:.0f} s, not counted)\n"
    )
    print("| step | seconds | per game |\n|---|---|---|")
    for phase, secs in e2e["phases"].items():
        print(f"| {phase} (summed over the chunks) | {secs:.0f} | {secs / games * 1000:.0f} ms |")
    print(
        f"| chunks, wall (collecting overlaps loading and grading) | {e2e['chunks_s']:.0f} | "
        f"{e2e['chunks_s'] / games * 1000:.0f} ms |"
    )
    print(
        f"| the whole command, with the rebuild and the training | {e2e['wall_s']:.0f} | "
        f"{e2e['wall_s'] / games * 1000:.0f} ms |"
    )
    print(f"\nPeak memory (the largest of the command's processes) {e2e['peak_mb']:.0f} MB. {e2e['model']}")
    sample = e2e["sample"]
    floor = sample["floor"]
    print(
        f"\n**Loading against the floor, the same run: {sample['games']} of its games** (the first 14 dates of June "
        f"of each season, collected again from the same files; medians of {args.repeat} a season, summed)\n"
    )
    print("| load | seconds | against the floor |\n|---|---|---|")
    print(f"| floor: orjson + extraction + one Arrow CREATE TABLE AS a table | {floor:.2f} | 1.00x |")
    print(
        f"| pipeline: the load step (staged rows, a stage and a MERGE a table) | {sample['load']:.2f} "
        f"| {sample['load'] / floor:.2f}x |"
    )
    both = sample["staging"] + sample["load"]
    print(
        f"| pipeline: staging as responses land (parse, validate, hash, Parquet) + the load step | {both:.2f} "
        f"| {both / floor:.2f}x |"
    )


if __name__ == "__main__":
    main()
