"""A day's games load in one batch: one stage and one MERGE a table, atomic per table, and a
load killed between tables is completed by running it again (issue #20, item 2)."""

from __future__ import annotations

import collections
import copy
import json
import os
import subprocess
import sys
import textwrap

import pytest
from raw_checksums import checksums

from mlb_pipeline.kinds import GAME_TABLES
from mlb_pipeline.kinds.game_feed import parse_game
from mlb_pipeline.warehouse import DuckDBWarehouse

DAY = "2024-04-03"  # 15 games of the simulated league (seed 11)


def _collected(server, zone_url: str, day: str, warehouse):
    """What the daily DAG's tasks hand the load: the plan and every collection task's result,
    landed in the lake (no warehouse write besides the schema)."""
    from mlb_pipeline.collect import collect_plan, plan_day
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.source import ClientSettings, SavantClient, StatsApiClient

    zone = RawZone(zone_url)
    api = StatsApiClient(ClientSettings(server.url, concurrency=4))
    savant = SavantClient(ClientSettings(server.url, concurrency=4, min_interval_s=0))
    plan = plan_day(api, zone, day, warehouse)
    collected = collect_plan({"source": api, "savant": savant}, zone, plan, 4)
    return zone, json.loads(json.dumps(plan, default=str)), json.loads(json.dumps(collected, default=str))


def test_a_15_game_day_loads_with_one_stage_and_one_merge_per_table(embedded, simulated):
    from mlb_pipeline.collect import load_day

    warehouse = DuckDBWarehouse()
    zone, plan, collected = _collected(simulated, (embedded / "lake").as_uri(), DAY, warehouse)
    assert len(plan["collect"]) == 15
    warehouse.statement_log.clear()
    result = load_day(warehouse, zone, plan, collected, run_id="batch")
    assert result["dates"][DAY]["status"] == "complete" and result["dates"][DAY]["games_loaded"] == 15

    log = warehouse.statement_log
    assert collections.Counter(log) == {(op, t): 1 for _, t in log for op in ("stage", "merge")}
    assert all(log[i] == ("stage", t) and log[i + 1] == ("merge", t) for i, (_, t) in list(enumerate(log))[::2])
    merged = [t for op, t in log if op == "merge"]
    game_tables = [f"raw.{t}" for t in GAME_TABLES]
    assert set(game_tables + ["raw.statcast_pitches", "raw.statcast_games", "raw.schedule", "raw.rosters"]) <= set(
        merged
    )
    assert merged.index("raw.games") == max(merged.index(t) for t in game_tables)  # a game counts once all is in
    held = warehouse.query("SELECT count(DISTINCT game_pk) AS n FROM raw.pitches")[0]["n"]
    assert held == 15 and warehouse.query("SELECT count(*) AS n FROM raw.rosters")[0]["n"] > 30 * 20


def _three_games(league, day: str):
    pks = sorted(pk for pk, g in league.games.items() if str(g.official_date) == day)[:3]
    return pks, {pk: parse_game(league.feed_doc(pk)) for pk in pks}


def test_a_batch_deletes_what_each_of_its_games_no_longer_has(embedded, league):
    """The scope of a batch's MERGE is every game in it: a corrected reload of two games deletes
    the pitch each lost, and a game outside the batch keeps its rows."""
    (a, b, c), rows = _three_games(league, DAY)
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    wh.load_games([(pk, rows[pk], "statsapi") for pk in (a, b, c)])
    before = {r["game_pk"]: r["n"] for r in wh.query("SELECT game_pk, count(*) AS n FROM raw.pitches GROUP BY 1")}
    corrected = {pk: copy.deepcopy(rows[pk]) for pk in (a, b)}
    for pk in (a, b):
        del corrected[pk]["pitches"][-1]
    corrected[a]["batting_lines"] = []  # a table emptied for one game of the batch
    wh.statement_log.clear()
    wh.load_games([(pk, corrected[pk], "statsapi") for pk in (a, b)])
    after = {r["game_pk"]: r["n"] for r in wh.query("SELECT game_pk, count(*) AS n FROM raw.pitches GROUP BY 1")}
    assert after == {a: before[a] - 1, b: before[b] - 1, c: before[c]}
    lines = {r["game_pk"] for r in wh.query("SELECT DISTINCT game_pk FROM raw.batting_lines")}
    assert lines == {b, c}
    assert len(wh.statement_log) == 2 * len(GAME_TABLES)


def test_a_game_that_moved_to_another_date_moves_without_a_duplicate(embedded, league):
    """The MERGE is limited to the batch's dates (BigQuery's partitions), counting the dates its
    games hold now: a game collected before it was postponed moves to its new date."""
    (a, _, _), rows = _three_games(league, DAY)
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    early = copy.deepcopy(rows[a])
    for table_rows in early.values():
        for row in table_rows:
            if "official_date" in row:
                row["official_date"] = "2024-04-01"
    wh.load_game(a, early, source="statsapi")
    wh.load_game(a, rows[a], source="statsapi")
    dates = wh.query("SELECT DISTINCT official_date AS d FROM raw.pitches")
    assert [str(r["d"]) for r in dates] == [DAY]
    assert wh.query("SELECT count(*) AS n FROM raw.pitches")[0]["n"] == len(rows[a]["pitches"])


def test_scopes_of_several_columns_replace_only_their_own_rows(embedded):
    """Rosters are scoped by date, type and club: one MERGE for every club keeps each club's own."""
    wh = DuckDBWarehouse()
    wh.ensure_schema()

    def roster(team: int, players: list[int]):
        rows = [
            {"roster_date": "2024-04-03", "roster_type": "active", "team_id": team, "player_id": p, "player_name": "x"}
            for p in players
        ]
        return ("raw.rosters", rows, {"roster_date": "2024-04-03", "roster_type": "active", "team_id": team})

    wh.merge_tables([roster(1, [10, 11]), roster(2, [20, 21]), roster(3, [30])], "statsapi")
    wh.merge_tables([roster(1, [10]), roster(2, [20, 21, 22])], "statsapi")
    held = wh.query("SELECT team_id, player_id FROM raw.rosters ORDER BY 1, 2")
    assert [(r["team_id"], r["player_id"]) for r in held] == [(1, 10), (2, 20), (2, 21), (2, 22), (3, 30)]


KILL_AFTER_MERGES = """
import json, os, signal, sys
from mlb_pipeline.collect import load_day
from mlb_pipeline.landing import RawZone
from mlb_pipeline.warehouse import DuckDBWarehouse

class KilledAfterMerges(DuckDBWarehouse):
    # A fault between tables: the process is killed (SIGKILL, nothing cleans up) right after
    # the MERGE of one table has committed.
    def _run_on(self, con, sql, params=None):
        super()._run_on(con, sql, params)
        if sql.startswith('MERGE INTO "raw"."{table}"'):
            os.kill(os.getpid(), signal.SIGKILL)

plan, collected = json.load(open(sys.argv[1]))
load_day(KilledAfterMerges(sys.argv[2]), RawZone(sys.argv[3]), plan, collected, run_id="killed")
"""


@pytest.mark.parametrize("killed_after", ["batting_lines"])
def test_a_load_killed_between_tables_is_completed_by_running_it_again(embedded, simulated, killed_after):
    from mlb_pipeline.collect import load_day

    lake = (embedded / "lake").as_uri()
    killed_path, clean_path = embedded / "killed.duckdb", embedded / "clean.duckdb"
    zone, plan, collected = _collected(simulated, lake, DAY, DuckDBWarehouse(killed_path))
    state = embedded / "load.json"
    state.write_text(json.dumps([plan, collected]))
    script = textwrap.dedent(KILL_AFTER_MERGES).replace("{table}", killed_after)
    child = subprocess.run(
        [sys.executable, "-c", script, str(state), str(killed_path), lake], capture_output=True, text=True
    )
    assert child.returncode == -9, child.stderr[-2000:]

    killed = DuckDBWarehouse(killed_path)
    partial = {t: killed.query(f"SELECT count(*) AS n FROM raw.{t}")[0]["n"] for t in GAME_TABLES}
    assert 0 < sum(bool(n) for n in partial.values()) < len(GAME_TABLES) and partial["games"] == 0, partial

    load_day(killed, zone, plan, collected, run_id="again")  # the task's retry: the same plan and landed data
    load_day(DuckDBWarehouse(clean_path), zone, plan, collected, run_id="clean")
    again, clean = checksums(str(killed_path), set()), checksums(str(clean_path), set())
    assert again == clean and int(again["pitches"][0].split(":")[0]) > 15 * 200


def test_a_collection_stages_the_rows_it_parsed_and_its_load_does_not_parse_again(embedded, simulated, monkeypatch):
    """The feeds and Savant's CSVs are parsed as they land (to know they parse); their rows are
    staged as Parquet then, and the load reads those instead of reading and parsing them again.
    A load run again after its staged rows are gone parses the raw zone: the same tables."""
    from pathlib import Path

    from mlb_pipeline.collect import load_day
    from mlb_pipeline.kinds import game_feed, statcast

    lake = embedded / "lake"
    zone, plan, collected = _collected(simulated, lake.as_uri(), DAY, DuckDBWarehouse(embedded / "staged.duckdb"))
    staged = collected["collect_game_feeds"]["staged"]
    folder = Path(staged["url"].removeprefix("file://"))
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{t}.parquet" for t in GAME_TABLES)
    assert len(staged["games"]) == 15 and all(g["rows"]["pitches"] > 200 for g in staged["games"])
    pitches = collected["collect_statcast"]["staged"]
    assert sorted(pitches["game_pks"]) == sorted(g["game_pk"] for g in staged["games"])

    def parse_again(*args):
        raise AssertionError("a staged load parsed a response again")

    with monkeypatch.context() as m:
        m.setattr(game_feed, "parse_game", parse_again)
        m.setattr(statcast, "parse_savant", parse_again)
        first = load_day(DuckDBWarehouse(embedded / "staged.duckdb"), zone, plan, collected, run_id="staged")
    assert first["dates"][DAY]["games_loaded"] == 15 and first["dates"][DAY]["table_counts"]["statcast_pitches"] > 3000
    assert not folder.exists() and not Path(pitches["url"].removeprefix("file://")).exists()  # read once, deleted
    again = load_day(DuckDBWarehouse(embedded / "parsed.duckdb"), zone, plan, collected, run_id="parsed")
    assert again["dates"][DAY]["table_counts"] == first["dates"][DAY]["table_counts"]
    staged_sums, parsed_sums = (
        checksums(str(embedded / "staged.duckdb"), set()),
        checksums(str(embedded / "parsed.duckdb"), set()),
    )
    assert staged_sums == parsed_sums and int(staged_sums["pitches"][0].split(":")[0]) > 15 * 200


def test_staged_rows_are_typed_as_their_tables_for_the_parquet_bigquery_loads(league):
    """BigQuery's staging load reads Parquet typed as the target table: every game table's
    rows (dates as text, columns of NULLs) cast to the table's Arrow schema and read back alike."""
    import datetime as dt
    import io

    import pyarrow.parquet as pq

    from mlb_pipeline import schema
    from mlb_pipeline.warehouse import arrow_schema, stage_frame

    (pk, _, _), rows = _three_games(league, DAY)
    tables = schema.load_schema()
    for name in GAME_TABLES:
        table = tables[f"raw.{name}"]
        frame = stage_frame(rows[pk][name], table.column_names, dt.datetime.now(dt.UTC), "statsapi")
        buffer = io.BytesIO()
        pq.write_table(frame.cast(arrow_schema(table)), buffer)
        back = pq.read_table(io.BytesIO(buffer.getvalue()))
        assert back.schema == arrow_schema(table) and back.num_rows == len(rows[pk][name]) > 0, name
        if "official_date" in table.column_names:
            assert set(back.column("official_date").to_pylist()) == {dt.date.fromisoformat(DAY)}, name


@pytest.mark.unit
def test_staged_content_hashes_are_row_hash_of_each_row():
    """stage_frame hashes a batch without building a dict a row: the hashes are parse.row_hash of
    each row over the table's columns, whatever the rows' key order, and a missing column counts
    as None (as it is stored)."""
    import datetime as dt

    from mlb_pipeline.parse import row_hash
    from mlb_pipeline.warehouse import stage_frame

    columns = ["game_pk", "official_date", "runs", "note", "ingested_at", "source", "content_hash"]
    rows = [
        {"runs": 3, "official_date": dt.date(2024, 6, 3), "game_pk": 1, "note": 'é, "quoted"'},
        {"game_pk": 2, "note": None, "runs": 2.5, "official_date": dt.date(2024, 6, 4)},
        {"game_pk": 3, "runs": 1},  # two columns missing
    ]
    frame = stage_frame(rows, columns, dt.datetime.now(dt.UTC), "statsapi")
    content = ["game_pk", "official_date", "runs", "note"]
    assert frame.column("content_hash").to_pylist() == [row_hash({c: r.get(c) for c in content}) for r in rows]
    assert len(set(frame.column("content_hash").to_pylist())) == 3


@pytest.mark.xdist_group("production_tier")
@pytest.mark.parametrize("lake", ["gs", "file"])
def test_a_15_game_day_loads_into_bigquery_with_one_load_job_and_one_merge_per_table(
    production, simulated, tmp_path, monkeypatch, lake
):
    """The BigQuery twin, on the emulators: the day's rows staged as Parquet in the lake (gs://,
    loaded from its URI; or a local lake, its file uploaded), one load job and one MERGE job a
    table, counted from the emulator's job list; the tables hold what DuckDB holds of the day."""
    from mlb_pipeline.collect import load_day
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.warehouse import open_warehouse

    if lake == "file":
        monkeypatch.setenv("MLB_LAKE_URL", (tmp_path / "lake").as_uri())
    lake_url = os.environ["MLB_LAKE_URL"]
    bigquery = open_warehouse()
    bigquery.ensure_schema()
    zone, plan, collected = _collected(simulated, lake_url, DAY, None)
    assert len(plan["collect"]) == 15
    started = {job.job_id for job in bigquery.client.list_jobs()}
    result = load_day(bigquery, zone, plan, collected, run_id="bq")
    assert result["dates"][DAY]["games_loaded"] == 15

    jobs = [job for job in bigquery.client.list_jobs() if job.job_id not in started]
    loads = collections.Counter(job.destination.table_id.rsplit("_", 1)[0] for job in jobs if job.job_type == "load")
    merges = collections.Counter(
        job.query.split("`")[1] + "." + job.query.split("`")[3]
        for job in jobs
        if job.job_type == "query" and job.query.startswith("MERGE INTO `raw`") and "`_mlb_staging`" in job.query
    )  # (one more MERGE, not staged: the players the day's box scores and rosters reveal)
    logged = [t for op, t in bigquery.statement_log if op == "merge"]
    assert merges == collections.Counter(logged) and set(merges.values()) == {1}
    assert loads == collections.Counter(t.replace(".", "_") for t in logged)
    assert {f"raw.{t}" for t in GAME_TABLES} <= set(merges)

    duck = DuckDBWarehouse(tmp_path / "duck.duckdb")
    load_day(duck, zone, plan, collected, run_id="duck")
    for table in sorted({f"raw.{t}" for t in GAME_TABLES} | {"raw.statcast_pitches", "raw.rosters", "raw.schedule"}):
        rows = f"SELECT * EXCLUDE (ingested_at) FROM {table}"  # every value as stored, typed
        key = bigquery.tables[table]["key"]
        on_bigquery, on_duckdb = (sorted(w.query(rows), key=lambda r: [r[k] for k in key]) for w in (bigquery, duck))
        assert len(on_bigquery) == len(on_duckdb) > 0 and on_bigquery == on_duckdb, table
    staging = list(RawZone(lake_url).root.joinpath("staging").rglob("*.parquet"))
    assert staging == []  # every staged file and table is gone after its MERGE
    assert list(bigquery.client.list_tables(f"{bigquery.client.project}._mlb_staging")) == []
