"""The commands answer plainly: a bad argument is one line on stderr and exit code 2 (never a
traceback), both as ``python -m MODULE`` and as ``mlb COMMAND``; gaps looks back from the last
date collected and stays inside the season; a dry run writes nothing; ``model versions`` is a
table read from the registry's metadata alone."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys

import orjson
import pandas as pd
import pytest
from conftest import REPO

from mlb_pipeline import backfill, gaps, model
from mlb_pipeline.landing import RawZone
from mlb_pipeline.warehouse import DuckDBWarehouse

SNAPSHOT = REPO / "tests" / "data" / "simulated_game_features_2024.parquet"
MODULES = {
    "backfill": "mlb_pipeline.backfill",
    "gaps": "mlb_pipeline.gaps",
    "model": "mlb_pipeline.model",
    "archive": "mlb_pipeline.archive",
    "summary": "mlb_pipeline.summary",
    "replay": "mlb_replay",
}
# (command and arguments, what the one line must say): bad dates, dates out of order, negative
# numbers, unknown versions and seasons, folders that are not there.
BAD = [
    ("gaps --end-date 2024-13-01", "argument --end-date: '2024-13-01' is not a date (YYYY-MM-DD)"),
    ("gaps --lookback-days -5", "argument --lookback-days: '-5' is not a whole number of at least 0"),
    ("gaps --max-dates 0 --dry-run", "argument --max-dates: '0' is not a whole number of at least 1"),
    ("backfill statsapi --from-date 2024-13-01 --to-date 2024-06-01", "'2024-13-01' is not a date (YYYY-MM-DD)"),
    ("backfill statsapi --from-date 2024-06-02 --to-date 2024-06-01", "it ends before it starts"),
    ("backfill statsapi --seasons 2022-2010", "--seasons '2022-2010' ends before it starts"),
    ("backfill statsapi --seasons 2024 --chunk-days -5", "argument --chunk-days: '-5' is not a whole number"),
    ("backfill retrosheet --source /nonexistent", "--source '/nonexistent' is not a folder"),
    ("model rollback 20000101T000000000000Z", "argument version: no version '20000101T000000000000Z'"),
    ("model backtest --train-through -5 --seasons 2019", "argument --train-through: '-5' is not a season"),
    ("model backtest --train-through 2018 --seasons 2022-2010", "argument --seasons: '2022-2010' ends before"),
    ("archive check 20x", "argument season: '20x' is not a season"),
    ("archive rollback -5", "argument season: '-5' is not a season"),
    ("summary --from 2024-06-05 --to 2024-06-01", "argument --to: 2024-06-01 is before --from 2024-06-05"),
    ("summary --to yesterday", "argument --to: 'yesterday' is not a date (YYYY-MM-DD)"),
    ("replay --recorded /nonexistent", "argument --recorded: '/nonexistent' is not a folder"),
    ("replay --simulate --port -1", "argument --port: '-1' is not a whole number of at least 0"),
    ("replay --simulate --seasons 2025-2024", "argument --seasons: '2025-2024' ends before it starts"),
    ("replay --simulate --seasons 2024 --live 2024-07-02 --clock-speed 0", "argument --clock-speed: '0' is not a"),
    ("replay --simulate --seasons 2024 --live 2024-12-25", "argument --live: no games on 2024-12-25"),
    ("replay export --season 2024 --from-date 2024-13-01 --out /tmp/x", "argument --from-date: '2024-13-01'"),
]


def mlb() -> str:
    """The ``mlb`` command scripts/setup.sh installs into the venv."""
    found = shutil.which("mlb")
    assert found, "no mlb command on the PATH: run scripts/setup.sh, then . scripts/env.sh"
    return found


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """A lake whose registry holds two versions of a model trained on the simulated season: the
    first the champion, the second a challenger not promoted."""
    frame = pd.read_parquet(SNAPSHOT)
    season = model.with_elo(frame.assign(game_date=pd.to_datetime(frame["game_date"]).dt.date))
    version = model.train(season[season["is_final"]])
    root = tmp_path_factory.mktemp("lake")
    registry = model.Registry(root.as_uri())
    for name, decision in (
        ("20240801T060000000000Z", {"promote": True, "reason": "the first version: no champion to beat"}),
        ("20240901T060000000000Z", {"promote": False, "reason": "not better by 0.001"}),
    ):
        version.metadata.update(version=name, trained_at=f"{name[:4]}-{name[4:6]}-{name[6:8]}T06:00:00+00:00")
        version.metadata["decision"] = decision
        registry.save(version)
    registry.set_champion("20240801T060000000000Z", "the first version: no champion to beat")
    return root


def command_env(tmp_path, lake) -> dict:
    return {
        **os.environ,
        "MLB_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
        "MLB_LAKE_URL": lake.as_uri(),
        "MLB_WAREHOUSE": "duckdb",
    }


@pytest.mark.parametrize("form", ["python -m", "mlb"])
@pytest.mark.parametrize("command, says", BAD, ids=[c for c, _ in BAD])
def test_a_bad_argument_is_one_line_and_exit_code_2(command, says, form, tmp_path, lake):
    name, *args = command.split()
    argv = [sys.executable, "-m", MODULES[name], *args] if form == "python -m" else [mlb(), name, *args]
    done = subprocess.run(argv, env=command_env(tmp_path, lake), capture_output=True, text=True, timeout=120)
    prog = f"python -m {MODULES[name]}" if form == "python -m" else f"mlb {name}"
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(prog) and says in done.stderr, done.stderr
    assert not (tmp_path / "warehouse.duckdb").exists()  # refused before anything was opened


def test_mlb_lists_its_commands_and_refuses_an_unknown_one(tmp_path, lake):
    env = command_env(tmp_path, lake)
    listed = subprocess.run([mlb()], env=env, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and all(f"  {name} " in listed.stdout for name in MODULES), listed.stdout
    unknown = subprocess.run([mlb(), "gasp"], env=env, capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and unknown.stderr.startswith("mlb: error: No such command 'gasp'")
    assert len(unknown.stderr.splitlines()) == 1
    helped = subprocess.run([mlb(), "gaps", "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and helped.stdout.startswith("usage: mlb gaps") and "--json" in helped.stdout


def test_model_versions_is_a_table_of_metadata_and_json(tmp_path, lake):
    env = command_env(tmp_path, lake)
    table = subprocess.run([mlb(), "model", "versions"], env=env, capture_output=True, text=True, timeout=60)
    assert table.returncode == 0, table.stderr
    header, first, second, legend = table.stdout.splitlines()
    assert header.split() == [
        "version",
        "trained",
        "(UTC)",
        "trained",
        "on",
        "held",
        "out",
        "Brier",
        "home",
        "log5",
        "acc.",
        "decision",
    ]
    meta = model.Registry(lake.as_uri()).metadata("20240801T060000000000Z")
    e, base = meta["evaluation"], meta["baselines"]
    assert first.startswith("* 20240801T060000000000Z  2024-08-01 06:00  ")
    assert f"{e['brier']:.4f}  {base['always_home']['brier']:.4f}  {base['log5']['brier']:.4f}" in first
    assert first.endswith("champion: the first version: no champion to beat")
    assert second.startswith("  20240901T060000000000Z  2024-09-01 06:00") and second.endswith(
        "challenger: not better by 0.001"
    )
    assert "baselines" in legend
    listed = subprocess.run(
        [sys.executable, "-m", "mlb_pipeline.model", "versions", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    rows = json.loads(listed.stdout)
    assert [(r["version"], r["status"], r["promoted"]) for r in rows] == [
        ("20240801T060000000000Z", "champion", True),
        ("20240901T060000000000Z", "challenger", False),
    ]
    assert rows[0]["brier"] == e["brier"] and rows[0]["baseline_brier"]["log5"] == base["log5"]["brier"]
    # Quick because it reads metadata alone: neither Airflow nor XGBoost is imported (seconds each).
    quick = "import sys; from mlb_pipeline import model; model.main(['versions']); "
    quick += "assert not {'airflow', 'xgboost'} & set(sys.modules), sorted({'airflow', 'xgboost'} & set(sys.modules))"
    done = subprocess.run([sys.executable, "-c", quick], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]


# ------------------------------------------------------------------------------------
# gaps: from the last date collected, inside the season; a dry run writes nothing
# ------------------------------------------------------------------------------------
LAST_PLAYED = "2024-10-28"
# The API's calendar of 2024 (its seasons endpoint's fields): the postseason ended on 30 October,
# where config/seasons.yaml's approximate bounds run to 5 November.
SEASON_2024 = {
    "seasons": [
        {
            "seasonId": "2024",
            "springStartDate": "2024-02-22",
            "springEndDate": "2024-03-26",
            "regularSeasonStartDate": "2024-03-20",
            "regularSeasonEndDate": "2024-09-30",
            "postSeasonStartDate": "2024-10-01",
            "postSeasonEndDate": "2024-10-30",
            "allStarDate": "2024-07-16",
        }
    ]
}


@pytest.fixture
def collected(embedded):
    """A warehouse that collected 25 to 28 October 2024 (a World Series game on the 28th), and
    the season's calendar landed as the daily run lands it."""
    wh = DuckDBWarehouse()
    wh.ensure_schema()
    now = dt.datetime.now(dt.UTC)
    with wh.connect() as con:
        for day in ("2024-10-25", "2024-10-26", "2024-10-27", LAST_PLAYED):
            con.execute(
                "INSERT INTO ops.ingestion_runs (run_id, game_date, started_at, status) VALUES (?, ?, ?, 'complete')",
                [f"run-{day}", day, now],
            )
        con.execute(
            "INSERT INTO raw.games (game_pk, official_date, season, game_type, phase, home_team_id, away_team_id, "
            "status_code, is_final, ingested_at, source, content_hash) "
            "VALUES (775296, ?, '2024', 'W', 'postseason', 147, 119, 'F', true, ?, 'statsapi', 'x')",
            [LAST_PLAYED, now],
        )
    RawZone((embedded / "lake").as_uri()).land(
        ("current", "reference", "seasons", "2024"), "season", orjson.dumps(SEASON_2024)
    )
    return embedded


def gaps_json(argv: list[str], capsys) -> dict:
    assert gaps.main([*argv, "--dry-run", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def snapshot(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.*")}


@pytest.mark.unit
def test_gaps_looks_back_from_the_last_date_collected_and_records_nothing_in_a_dry_run(collected, capsys):
    before = snapshot(collected)
    found = gaps_json([], capsys)
    assert (found["from_date"], found["to_date"]) == ("2024-09-28", LAST_PLAYED)
    missing = [g["date"] for g in found["candidates"]["collection"]]
    assert missing == [(dt.date(2024, 9, 28) + dt.timedelta(days=n)).isoformat() for n in range(27)]  # to 10-24
    assert found["commands"] and found["detection_id"] is None
    assert snapshot(collected) == before  # not a byte written: no ops.backfill_log row, nothing landed
    assert DuckDBWarehouse().query("SELECT count(*) AS n FROM ops.backfill_log") == [{"n": 0}]


@pytest.mark.unit
def test_gaps_proposes_no_date_after_the_season(collected, capsys):
    found = gaps_json(["--end-date", "2024-11-20", "--lookback-days", "30"], capsys)
    missing = [g["date"] for g in found["candidates"]["collection"]]
    assert missing == ["2024-10-21", "2024-10-22", "2024-10-23", "2024-10-24", "2024-10-29", "2024-10-30"]
    # Without the calendar the API gave, config's bounds would have called 1-5 November gaps.
    for landed in (collected / "lake" / "current" / "reference" / "seasons").rglob("*.json"):
        landed.unlink()
    found = gaps_json(["--end-date", "2024-11-20", "--lookback-days", "30"], capsys)
    assert [g["date"] for g in found["candidates"]["collection"]][-5:] == [f"2024-11-0{n}" for n in range(1, 6)]


@pytest.mark.unit
def test_a_dry_run_creates_no_warehouse(embedded, capsys):
    found = gaps_json(["--end-date", "2024-06-03", "--lookback-days", "2"], capsys)
    assert [g["date"] for g in found["candidates"]["collection"]] == ["2024-06-01", "2024-06-02", "2024-06-03"]
    with pytest.raises(SystemExit) as refused:  # nothing collected: no date to look back from
        gaps.main(["--dry-run"])
    assert refused.value.code == 2 and "nothing collected yet" in capsys.readouterr().err
    assert backfill.main(["statsapi", "--from-date", "2024-06-01", "--to-date", "2024-06-30", "--dry-run"]) == 0
    assert "would backfill 2024-06-01..2024-06-" in capsys.readouterr().err
    assert not list(embedded.rglob("*.*"))  # no DuckDB file, nothing in the lake


def test_summary_as_json(tmp_path, lake):
    done = subprocess.run(
        [mlb(), "summary", "--json"], env=command_env(tmp_path, lake), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    held = json.loads(done.stdout)
    assert held["game_days"] == [] and held["model"]["champion"] == "20240801T060000000000Z"
    assert {"table": "raw.games", "kind": "game_feed", "rows": 0} in held["raw_tables"]
