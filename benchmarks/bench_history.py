"""Benchmark: the bulk backfill of history (issue #21), three questions, side by side in one run.

    . scripts/env.sh && python benchmarks/bench_history.py [--weeks 4] [--repeat 3] [--latency-ms 100]

1. **Collecting.** A simulated week (seed 7, from 2024-06-03) with ``--latency-ms`` on every
   request: the bulk collector (``backfill.plan_chunk`` + ``collect_sources``: the week's schedule in
   one request, ``history.concurrency`` requests in flight, a weekly reference snapshot, Savant
   through its paced client) against a naive sequential loop of MLB-StatsAPI's ``statsapi.get``
   (and bare ``requests.get`` for Savant and the reference data) asking what the daily path asks,
   date by date. Medians of ``--repeat``, interleaved.
2. **Loading.** The same week's landed feeds and Statcast CSVs into an empty DuckDB warehouse: the
   pipeline's set-based load (the game-feed and Statcast loaders of one chunk: parse, validate,
   one stage and one MERGE a table) against the floor: orjson parse + the same row extraction +
   one Arrow table and one CREATE TABLE AS a table (no key) (Statcast: pyarrow's CSV reader). Medians of ``--repeat``.
3. **End to end.** ``--weeks`` weeks through ``backfill.run_chunk`` (no latency), then one
   ``dbt build --full-refresh`` and one training: seconds per phase and per game, peak memory,
   and what four seasons (about 10,000 games) would take at that rate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))
sys.path.insert(0, str(REPO / "devtools"))  # the API double (mlb_replay): never deployed

FIRST = dt.date(2024, 6, 3)
SEASONS_GAMES = 10_000  # four seasons, regular season and postseason


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


def bulk_week(server_url: str, root: Path, chunk, concurrency: int) -> tuple[dict, dict, object]:
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


def ours_load(root: Path, plan: dict, collected: dict, zone) -> float:
    from mlb_pipeline.kinds import game_feed, statcast
    from mlb_pipeline.warehouse import DuckDBWarehouse

    warehouse = DuckDBWarehouse(root / "ours.duckdb")
    warehouse.ensure_schema()
    start = time.perf_counter()
    with warehouse.connect() as con:
        game_feed.load(warehouse, zone, plan, collected["collect_game_feeds"], con)
        statcast.load(warehouse, zone, plan, collected["collect_statcast"], con)
    took = time.perf_counter() - start
    (root / "ours.duckdb").unlink()
    return took


def floor_load(root: Path, collected: dict, zone) -> float:
    """orjson + the same extraction + one Arrow table and one CREATE TABLE AS a table (no key), into empty tables."""
    import io

    import duckdb
    import orjson
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from mlb_pipeline.kinds.game_feed import parse_game

    start = time.perf_counter()
    tables: dict[str, list[dict]] = {}
    for item in collected["collect_game_feeds"]["landed"]:
        for table, rows in parse_game(orjson.loads(zone.read(item["url"]))).items():
            tables.setdefault(table, []).extend(rows)
    landed = sorted({g["url"] for g in collected["collect_statcast"]["games"] if "url" in g})  # a date's CSV
    csvs = [pacsv.read_csv(io.BytesIO(zone.read(url))) for url in landed]
    con = duckdb.connect(str(root / "floor.duckdb"))
    for table, rows in tables.items():
        arrow = pa.Table.from_pylist(rows)  # noqa: F841
        con.execute(f"CREATE TABLE floor_{table} AS SELECT * FROM arrow")
    pitches = pa.concat_tables([t.select(["game_pk", "at_bat_number", "pitch_number"]) for t in csvs])  # noqa: F841
    con.execute("CREATE TABLE floor_statcast AS SELECT * FROM pitches")
    con.close()
    took = time.perf_counter() - start
    (root / "floor.duckdb").unlink()
    return took


def end_to_end(server_url: str, root: Path, weeks: int, concurrency: int) -> dict:
    from mlb_pipeline import backfill
    from mlb_pipeline.collect import load_day
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.warehouse import DuckDBWarehouse

    os.environ.update(
        MLB_DUCKDB_PATH=str(root / "e2e.duckdb"), MLB_LAKE_URL=(root / "e2e-lake").as_uri(), MLB_WAREHOUSE="duckdb"
    )
    clients = history_clients(server_url, concurrency)
    zone, warehouse = RawZone((root / "e2e-lake").as_uri()), DuckDBWarehouse(root / "e2e.duckdb")
    warehouse.ensure_schema()
    kinds = backfill.history_config()["kinds"]
    phases = {"plan": 0.0, "collect": 0.0, "load": 0.0, "grade": 0.0}
    games = 0
    chunks = backfill.chunks_of(FIRST, FIRST + dt.timedelta(days=7 * weeks - 1), 7)
    start = time.perf_counter()
    for chunk in chunks:
        t = time.perf_counter()
        plan = backfill.plan_chunk(
            clients["source"], zone, warehouse, chunk, chosen=kinds, range_first=chunks[0].first, every=7
        )
        phases["plan"] += time.perf_counter() - t
        t = time.perf_counter()
        collected = backfill.collect_sources(clients, zone, plan, concurrency)
        phases["collect"] += time.perf_counter() - t
        t = time.perf_counter()
        loaded = load_day(warehouse, zone, plan, collected, run_id="bench")
        phases["load"] += time.perf_counter() - t
        t = time.perf_counter()
        grades = backfill.grade_chunk(warehouse, plan, "bench", backfill.docs_url())
        phases["grade"] += time.perf_counter() - t
        outcome = backfill.chunk_outcome(chunk, loaded, grades)
        assert outcome["status"] == "complete", outcome["problems"]
        games += outcome["games_loaded"]
    raw = time.perf_counter() - start
    t = time.perf_counter()
    trained = backfill.rebuild_and_train(chunks[-1].last, "bench")
    rebuild = time.perf_counter() - t
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    return {
        "games": games,
        "dates": sum(len(c.dates) for c in chunks),
        "raw_s": raw,
        "phases": phases,
        "rebuild_s": rebuild,
        "peak_mb": peak / 1024,
        "model": trained.get("outcome"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weeks", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--latency-ms", type=float, default=100)
    args = ap.parse_args()

    from mlb_pipeline import backfill
    from mlb_replay.server import ReplayServer, SimulatedBackend
    from mlb_replay.simulate import League

    chunk = backfill.Chunk(FIRST.isoformat(), (FIRST + dt.timedelta(days=6)).isoformat())
    concurrency = int(backfill.history_config()["concurrency"])
    league = League(seed=7, seasons=[2024])
    with ReplayServer(SimulatedBackend(league)) as server, tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        root = Path(tmp)
        team_ids = sorted(league.teams)
        fault = server.add_fault(".", delay_s=args.latency_ms / 1000)
        collect = {"naive": [], "bulk": []}
        requests = {}
        for i in range(args.repeat):
            server.clear_requests()
            t = time.perf_counter()
            naive_week(server.url, chunk.dates, team_ids)
            collect["naive"].append(time.perf_counter() - t)
            requests["naive"] = len(server.requests())
            server.clear_requests()
            t = time.perf_counter()
            plan, collected, zone = bulk_week(server.url, root / f"bulk{i}", chunk, concurrency)
            collect["bulk"].append(time.perf_counter() - t)
            requests["bulk"] = len(server.requests())
        server.faults.remove(fault)
        loads = {"ours": [], "floor": []}
        for _ in range(args.repeat):
            loads["ours"].append(ours_load(root, plan, collected, zone))
            loads["floor"].append(floor_load(root, collected, zone))
        e2e = end_to_end(server.url, root, args.weeks, concurrency)

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
    print("\n**Loading the week's feeds and Statcast into an empty warehouse**\n")
    print("| load | median | against the floor |\n|---|---|---|")
    print(f"| floor: orjson + extraction + one Arrow CREATE TABLE AS a table | {floor:.2f} s | 1.00x |")
    print(f"| pipeline: set-based chunk load (validate, stage, MERGE) | {ours:.2f} s | {ours / floor:.2f}x |")
    per_game = e2e["raw_s"] / e2e["games"]
    print(f"\n**End to end: {e2e['dates']} dates, {e2e['games']} games, no latency**\n")
    print("| phase | seconds | per game |\n|---|---|---|")
    for phase, secs in e2e["phases"].items():
        print(f"| {phase} | {secs:.1f} | {secs / e2e['games'] * 1000:.0f} ms |")
    print(f"| raw to graded, all chunks | {e2e['raw_s']:.1f} | {per_game * 1000:.0f} ms |")
    print(f"| dbt build --full-refresh + one training ({e2e['model']}) | {e2e['rebuild_s']:.1f} | |")
    print(
        f"\nPeak memory {e2e['peak_mb']:.0f} MB. At this rate four seasons ({SEASONS_GAMES:,} games) take "
        f"{per_game * SEASONS_GAMES / 60:.0f} min raw to graded (goal: 10 min raw to model)."
    )


if __name__ == "__main__":
    main()
