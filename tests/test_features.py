"""The features on a simulated month: dbt builds them, incremental builds equal a full
rebuild, strict mode blocks a gap in the lookback window (then the daily DAG's feature tasks
build every model and publish the docs, the run trains the first model, predicts, and rolls
back by param), and backfill detection finds each kind of gap."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from browser import needs_chromium, rendered_dom, screenshot
from conftest import REPO, backfill_days, collect_days, dbt, run_day, without_deadlines

from mlb_pipeline.warehouse import DuckDBWarehouse

# One worker runs every test of the month (--dist loadgroup): its fixture is built once.
pytestmark = pytest.mark.xdist_group("simulated_month")

MONTH = [(dt.date(2024, 5, 1) + dt.timedelta(days=n)).isoformat() for n in range(30)]
FEATURES = ("team_rolling_features", "player_rolling_features", "game_features")


def checksums(tables=FEATURES) -> dict[str, tuple]:
    wh = DuckDBWarehouse()
    return {
        t: tuple(
            wh.query(
                f"SELECT count(*) n, md5(string_agg(x::varchar, '|' ORDER BY x::varchar)) h "
                f"FROM (SELECT * FROM features.{t}) AS x"
            )[0].values()
        )
        for t in tables
    }


@pytest.fixture(scope="session")
def simulated_month(sim_server, tmp_path_factory):
    """May 2024 of the simulated league, collected, loaded and graded once: bulk-loaded up to the
    day before the last (the backfill's path), then the last day as the daily run collects it
    (which records the next day's schedule, whose games the model predicts)."""
    root = tmp_path_factory.mktemp("month")
    backfill_days(sim_server, root / "warehouse.duckdb", (root / "lake").as_uri(), MONTH[0], MONTH[-2])
    collect_days(sim_server, root / "warehouse.duckdb", (root / "lake").as_uri(), MONTH[-1:])
    return root


@pytest.fixture
def month(simulated_month, embedded):
    """A copy of the month's warehouse for one test to change."""
    shutil.copy(simulated_month / "warehouse.duckdb", embedded / "warehouse.duckdb")
    return embedded


# Per starter and game: his ERA over his previous 10 game days, from the staging lines.
STARTER_ERA_FROM_LINES = """
WITH lines AS (
    SELECT player_id, game_pk, team_id, NULL AS earned_runs, NULL AS outs FROM staging.stg_batting_lines
    UNION ALL
    SELECT player_id, game_pk, team_id, earned_runs, outs FROM staging.stg_pitching_lines
), days AS (
    SELECT l.player_id, t.game_date, sum(l.earned_runs) AS er, sum(l.outs) AS outs
    FROM lines AS l JOIN intermediate.int_team_games AS t USING (game_pk, team_id)
    GROUP BY ALL
), numbered AS (
    SELECT *, row_number() OVER (PARTITION BY player_id ORDER BY game_date) AS n FROM days
), starts AS (
    SELECT game_pk, game_date, home_starter_id AS pitcher_id, home_starter_era_10g AS built
    FROM features.game_features WHERE is_final
    UNION ALL
    SELECT game_pk, game_date, away_starter_id, away_starter_era_10g FROM features.game_features WHERE is_final
), recomputed AS (
    SELECT s.game_pk, s.pitcher_id, any_value(s.built) AS built,
           sum(w.er) * 27.0 / nullif(sum(w.outs), 0) AS era
    FROM starts AS s
    JOIN numbered AS d ON d.player_id = s.pitcher_id AND d.game_date = s.game_date
    LEFT JOIN numbered AS w ON w.player_id = s.pitcher_id AND w.n BETWEEN d.n - 10 AND d.n - 1
    GROUP BY s.game_pk, s.pitcher_id
)
SELECT count(*) AS starters,
       count(*) FILTER (WHERE (built IS NULL) <> (era IS NULL) OR abs(built - era) > 1e-9) AS differ
FROM recomputed
"""


def test_dbt_builds_a_simulated_month(month, tmp_path):
    result = dbt("build", "--full-refresh", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "ERROR=0" in result.stdout and "PASS no_feature_uses_a_game_of_its_own_date_or_later" in result.stdout

    wh = DuckDBWarehouse()
    games = wh.query("SELECT count(*) n FROM raw.games WHERE is_final")[0]["n"]
    rows = wh.query(
        "SELECT count(*) n, count(home_win) decided, max(home_games_30d) most, "
        "count(*) FILTER (WHERE last_game_date_used >= game_date) leaks, "
        "count(home_starter_era_10g) starters_with_form, count(temperature) conditions, "
        "count(*) FILTER (WHERE roof_closed = 1) roof_closed FROM features.game_features "
        "WHERE game_date <= ?",
        [MONTH[-1]],
    )[0]
    assert rows["n"] == rows["decided"] == games > 400 and rows["leaks"] == 0
    # every played game has its conditions (Tampa Bay's dome among them), from its feed
    assert rows["conditions"] == games and rows["roof_closed"] > 0
    # and the games of the day after the last run, from its schedule, still to be played:
    # no outcome, and no conditions (unknown before the game is played)
    assert wh.query(
        "SELECT count(*) n, count(home_win) decided, count(temperature) conditions FROM features.game_features "
        "WHERE game_date > ?",
        [MONTH[-1]],
    )[0] == {"n": 15, "decided": 0, "conditions": 0}
    assert 24 <= rows["most"] <= 30  # by 30 May a club has played most days of the month
    # a home starter has recent form unless it is his first start of the month (5 a club at most)
    assert games - 75 <= rows["starters_with_form"] < games
    # On the last day every club has a month of history, and its 7-day window is a subset of it.
    last = wh.query(
        "SELECT min(games_30d) lo, max(games_7d) hi7, count(*) FILTER (WHERE games_7d > games_30d) bad "
        "FROM features.team_rolling_features WHERE as_of_date = ?",
        [MONTH[-1]],
    )[0]
    assert last["lo"] >= 20 and last["hi7"] <= 8 and last["bad"] == 0
    # The simulated season the model tests train on (tests/data) is the table dbt builds today.
    built = [
        r["column_name"]
        for r in wh.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'features' "
            "AND table_name = 'game_features' ORDER BY ordinal_position"
        )
    ]
    snapshot = str(Path(__file__).parent / "data" / "simulated_game_features_2024.parquet")
    kept = [
        r["column_name"]
        for r in wh.query("SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(?))", [snapshot])
    ]
    assert kept == built, "regenerate it: python benchmarks/bench_model.py --seasons 1 --write-snapshot"

    # The starters' form, recomputed from their pitching lines of the 10 game days before the
    # game (a game day: any date with a batting or pitching line), equals what dbt built.
    recomputed = wh.query(STARTER_ERA_FROM_LINES)[0]
    assert recomputed["starters"] == 2 * games and recomputed["differ"] == 0, recomputed

    # The leakage test reads the windows' own rows: a player window planted to include the
    # game day itself, or starters' form taken from the pitcher's later rows, makes it fail.
    project = tmp_path / "leaky"
    shutil.copytree(REPO / "dbt", project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    players = project / "models" / "features" / "player_rolling_features.sql"
    game_features = project / "models" / "features" / "game_features.sql"
    clean_players, clean_games = players.read_text(), game_features.read_text()
    assert 'preceding and 1 preceding)"' in clean_players and "f.as_of_date = s.game_date" in clean_games
    players.write_text(clean_players.replace('preceding and 1 preceding)"', 'preceding and current row)"'))
    assert leaks_planted_in(project, wh) == {"player_rolling_features", "game_features"}
    players.write_text(clean_players)
    game_features.write_text(clean_games.replace("f.as_of_date = s.game_date", "f.as_of_date > s.game_date"))
    assert leaks_planted_in(project, wh) == {"game_features"}


def leaks_planted_in(project: Path, wh) -> set[str]:
    """Build the player and game features of a changed copy of the dbt project; its leakage
    test must fail. The feature tables whose rows it finds."""
    assert (
        dbt(
            "run",
            "--full-refresh",
            "--select",
            "player_rolling_features",
            "game_features",
            tmp_path=project,
            project=project,
        ).returncode
        == 0
    )
    result = dbt(
        "test", "--select", "no_feature_uses_a_game_of_its_own_date_or_later", tmp_path=project, project=project
    )
    assert result.returncode == 1 and "FAIL" in result.stdout, result.stdout[-2000:]
    return {
        t
        for t, c in (("player_rolling_features", "as_of_date"), ("game_features", "game_date"))
        if wh.query(f"SELECT count(*) n FROM features.{t} WHERE last_game_date_used >= {c}")[0]["n"]
    }


def test_backfill_detection_lists_every_gap_per_processor(month, tmp_path, capsys):
    from mlb_pipeline.gaps import backfill_candidates, backfill_commands, daily_window, date_ranges, gap_runs, main

    wh = DuckDBWarehouse()
    assert backfill_candidates(wh, MONTH[-1], 29)["features"][0]["reason"].endswith("does not exist yet")
    assert dbt("run", "--full-refresh", "--select", "+game_features", tmp_path=tmp_path).returncode == 0
    assert all(not v for v in backfill_candidates(wh, MONTH[-1], 29).values())  # the month is complete
    pk = lambda date: wh.query("SELECT min(game_pk) pk FROM raw.games WHERE official_date = ?", [date])[0]["pk"]  # noqa: E731
    lost, unfinished = pk(MONTH[7]), pk(MONTH[21])
    late = wh.query("SELECT min(official_date) d FROM raw.games WHERE official_date > ?", [MONTH[23]])[0][
        "d"
    ].isoformat()
    unfeatured = pk(late)
    with wh.connect() as con:
        con.execute("DELETE FROM ops.ingestion_runs WHERE game_date = ?", [MONTH[19]])  # never collected
        con.execute("DELETE FROM raw.games WHERE game_pk = ?", [lost])  # final in the schedule, not in raw
        con.execute("UPDATE raw.games SET is_final = false, status_code = 'I' WHERE game_pk = ?", [unfinished])
        con.execute("DELETE FROM ops.quality_grades WHERE game_date = ?", [MONTH[3]])  # never graded
        con.execute("DELETE FROM features.game_features WHERE game_pk = ?", [unfeatured])
    found = backfill_candidates(wh, MONTH[-1], 29)
    brief = {p: [(i["date"], i["game_pk"]) for i in items] for p, items in found.items()}
    assert brief == {
        "collection": [(MONTH[7], lost), (MONTH[19], None)],
        "incomplete": [(MONTH[21], unfinished)],
        "grading": [(MONTH[3], None)],
        "features": [(late, unfeatured)],
    }

    # The daily run's find_gaps: the same detection over the days before its date, from the
    # season's first collected date; a run per date to collect or grade again, features off.
    assert daily_window(wh, MONTH[0], 30) is None and daily_window(wh, MONTH[-1], 30) == (MONTH[-2], 28)
    assert gap_runs(found, MONTH[-1], rebuild_features=True) == [
        {
            "trigger_run_id": f"fill_gaps__{d}__found_{MONTH[-1]}",
            "conf": {"game_date": d, "fill_gaps": False, "build_features": False},
        }
        for d in (MONTH[3], MONTH[7], MONTH[19], MONTH[21])
    ]
    only_features = {**{p: [] for p in found}, "features": found["features"]}
    assert gap_runs(only_features, MONTH[-1], rebuild_features=True) == [
        {
            "trigger_run_id": f"fill_gaps__{late}__found_{MONTH[-1]}",
            "conf": {"game_date": late, "fill_gaps": False, "build_features": True},
        }
    ]
    assert gap_runs(only_features, MONTH[-1], rebuild_features=False) == []
    assert backfill_commands(only_features, MONTH[-1]) == [  # the command triggers the rebuild itself
        [
            "airflow",
            "dags",
            "trigger",
            "mlb_daily_collection",
            "--conf",
            f'{{"game_date": "{MONTH[-1]}", "full_refresh": true}}',
        ]
    ]

    # Long runs of dates are cut into backfills of at most backfill.max_dates, one after the other.
    assert date_ranges(MONTH[:12] + [MONTH[20]], 5) == [
        (MONTH[0], MONTH[4]),
        (MONTH[5], MONTH[9]),
        (MONTH[10], MONTH[11]),
        (MONTH[20], MONTH[20]),
    ]

    assert main(["--lookback-days", "29", "--end-date", MONTH[-1], "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "collection  2 found: 1 games on 2 dates" in out and "features    1 found" in out
    for a, b in ((MONTH[3], MONTH[3]), (MONTH[7], MONTH[7]), (MONTH[19], MONTH[19]), (MONTH[21], MONTH[21])):
        assert f"airflow backfill create --dag-id mlb_daily_collection --from-date {a} --to-date {b}" in out
    assert wh.query("SELECT count(*) AS n FROM ops.backfill_log") == [{"n": 0}]  # a dry run records nothing


def test_day_by_day_incremental_runs_equal_one_full_rebuild(month, tmp_path):
    assert dbt("build", "--full-refresh", tmp_path=tmp_path).returncode == 0
    full = checksums()
    wh = DuckDBWarehouse()
    with wh.connect() as con:  # lose the last three days of every feature table
        for table, column in (
            ("team_rolling_features", "as_of_date"),
            ("player_rolling_features", "as_of_date"),
            ("game_features", "game_date"),
        ):
            con.execute(f"DELETE FROM features.{table} WHERE {column} >= ?", [MONTH[-3]])
    assert checksums() != full
    for day in MONTH[-3:]:  # what three daily runs do: each builds its own date onward
        result = dbt(
            "run", "--select", "path:models/features", "--vars", f"{{features_from: '{day}'}}", tmp_path=tmp_path
        )
        assert result.returncode == 0, result.stdout[-4000:]
    assert checksums() == full
    # A window touches only its dates: a value changed before it stays changed, every row of it.
    clubs = wh.query(
        "SELECT count(*) n FROM (SELECT home_team_id FROM raw.games WHERE official_date = ? UNION "
        "SELECT away_team_id FROM raw.games WHERE official_date = ?)",
        [MONTH[10]] * 2,
    )[0]["n"]
    with wh.connect() as con:
        con.execute("UPDATE features.team_rolling_features SET games_7d = -1 WHERE as_of_date = ?", [MONTH[10]])
    result = dbt(
        "run", "--select", "path:models/features", "--vars", f"{{features_from: '{MONTH[11]}'}}", tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert wh.query(
        "SELECT count(*) n, min(as_of_date) lo, max(as_of_date) hi FROM features.team_rolling_features "
        "WHERE games_7d = -1"
    )[0] == {"n": clubs, "lo": dt.date.fromisoformat(MONTH[10]), "hi": dt.date.fromisoformat(MONTH[10])}
    assert clubs > 0


def test_strict_mode_blocks_the_features_on_a_gap_in_the_lookback_window(
    daily_dag, month, simulated, league, monkeypatch
):
    from mlb_pipeline.gaps import describe_feature_gaps, feature_window_gaps

    wh = DuckDBWarehouse()
    assert feature_window_gaps(wh, MONTH[-1], 60) == []  # the month is complete
    unfinished = wh.query(
        "SELECT game_pk FROM raw.games WHERE official_date = ? ORDER BY game_pk LIMIT 1", [MONTH[21]]
    )[0]["game_pk"]
    with wh.connect() as con:  # a date never collected, and a game landed before it was final
        con.execute("DELETE FROM ops.ingestion_runs WHERE game_date = ?", [MONTH[19]])
        con.execute("UPDATE raw.games SET is_final = false, status_code = 'I' WHERE game_pk = ?", [unfinished])

    gaps = feature_window_gaps(wh, MONTH[-1], 60)
    assert [(g["date"], g["game_pk"]) for g in gaps] == [(MONTH[19], None), (MONTH[21], unfinished)]
    message = describe_feature_gaps(gaps, MONTH[-1], 60)
    assert f"Missing dates: ['{MONTH[19]}', '{MONTH[21]}']" in message and f"Missing games: [{unfinished}]" in message
    assert "not collected" in message and "not final in the warehouse (status I)" in message

    # The daily run of the last day collects and grades it, then strict mode stops the features.
    run, states = run_day(daily_dag, MONTH[-1], simulated, monkeypatch, features=True)
    assert states["grade_raw_data"] == "success" and states["check_feature_inputs"] == "failed"
    assert states["build_features.game_features_model_build"] == "upstream_failed"
    assert run.state == "failed"
    assert not wh.query("SELECT count(*) n FROM information_schema.tables WHERE table_schema = 'features'")[0]["n"]

    # strict=false builds them anyway (here set-based, full_refresh, as after a backfill): cosmos
    # runs one task a model, and the tests of several models (relationships, leakage) after them,
    # then publishes the docs site.
    run, states = run_day(daily_dag, MONTH[-1], simulated, monkeypatch, features=True, strict=False, full_refresh=True)
    assert run.state == "success", states
    dbt_tasks = {k: v for k, v in states.items() if k.startswith("build_features.")}
    assert {
        "build_features.game_features_model_build",
        "build_features.team_rolling_features_model_build",
        "build_features.stg_games_model_build",
    } <= set(dbt_tasks)
    assert any("no_feature_uses_a_game" in k for k in dbt_tasks)
    assert set(dbt_tasks.values()) == {"success"} and states["publish_dbt_docs"] == "success"
    site = month / "lake" / "dbt_docs"
    assert {p.name for p in site.iterdir()} == {"index.html", "manifest.json", "catalog.json"}
    catalog = (site / "catalog.json").read_text()
    assert "model.mlb_pipeline.game_features" in catalog
    assert "HUGEINT" not in catalog  # DuckDB's 128-bit sums of integers: the models cast them to bigint
    for table in ("games", "team_lines", "batting_lines", "pitching_lines", "pitches", "rosters"):
        raw = wh.query(f"SELECT count(*) n FROM raw.{table}")[0]["n"]
        assert wh.query(f"SELECT count(*) n FROM staging.stg_{table}")[0]["n"] == raw > 0
    team_games = wh.query(
        "SELECT count(*) n, sum(CASE WHEN won THEN 1 ELSE 0 END) w, "
        "sum(runs_scored) - sum(runs_allowed) diff FROM intermediate.int_team_games"
    )[0]
    final = wh.query("SELECT count(*) n FROM raw.games WHERE is_final")[0]["n"]
    assert team_games == {"n": 2 * final, "w": final, "diff": 0}  # every game has one winner; runs balance
    day = dt.date.fromisoformat(MONTH[-1])
    game_rows = wh.query(
        "SELECT count(*) n, count(home_win) decided, min(day_of_week) dow, "
        "count(*) FILTER (WHERE last_game_date_used >= game_date) leaks FROM features.game_features "
        "WHERE game_date = ?",
        [day],
    )[0]
    played = len(league.played_on(day))
    assert game_rows == {"n": played, "decided": played, "dow": day.isoweekday(), "leaks": 0} and played > 10
    assert wh.query("SELECT count(*) n FROM features.game_features")[0]["n"] > 400

    # Then the first model learns from the month and predicts the next day's games.
    assert states["train_model"] == "success" and states["predict_games"] == "success"
    [version] = wh.query("SELECT version, status, training_games + holdout_games AS games FROM ml.model_versions")
    assert version["status"] == "champion" and version["games"] > 400
    assert (month / "lake" / "models" / "game_outcome" / version["version"] / "model.json").exists()
    following = dt.date.fromisoformat(MONTH[-1]) + dt.timedelta(days=1)
    predicted = wh.query(
        "SELECT count(*) n, min(home_win_probability) lo, max(home_win_probability) hi, "
        "count(DISTINCT model_version) versions FROM ml.predictions WHERE game_date = ?",
        [following],
    )
    assert predicted[0]["n"] == 15 and 0 < predicted[0]["lo"] < predicted[0]["hi"] < 1
    # ...with the starters the schedule announces (hydrate=probablePitcher), each with his earlier
    # starts counted (one simulated season: no league before it to shrink his rates toward)
    announced = {
        (r["game_pk"], r["team_id"]): r["starter_key"]
        for r in wh.query(
            "SELECT game_pk, team_id, starter_key FROM intermediate.int_starts WHERE game_date = ?", [following]
        )
    }
    who_starts = {
        (g.game_pk, club): f"mlbam:{starter}"
        for g in league.by_date[following]
        for club, starter in ((g.home, g.home_starter), (g.away, g.away_starter))
    }
    assert len(announced) == 30 and all(who_starts[k] == v for k, v in announced.items())
    starts = wh.query(
        "SELECT count(*) n, min(home_starter_starts_30s) home, min(away_starter_starts_30s) away "
        "FROM features.game_features WHERE game_date = ?",
        [following],
    )[0]
    assert starts["n"] == 15 and starts["home"] > 0 and starts["away"] > 0, starts

    # A second version (a full retrain, as the weekly sync does), then a run that rolls the
    # model back with the champion_version param: the next day is predicted by that version.
    # (Only the run's two model tasks: the day is collected and its features built above.)
    from mlb_pipeline import model
    from mlb_pipeline.settings import lake_url

    registry = model.Registry(lake_url())
    model.train_and_register(wh, registry, following, "full-retrain", full=True)
    [other] = [v for v in registry.versions() if v != registry.champion()["version"]]
    model_tasks = daily_dag.partial_subset(["train_model", "predict_games"], include_upstream=False)
    run, states = run_day(model_tasks, MONTH[-1], simulated, monkeypatch, strict=False, champion_version=other)
    assert set(states) == {"train_model", "predict_games"}
    assert run.state == "success", states
    assert registry.champion()["version"] == other and "rolled back" in registry.champion()["reason"]
    assert (
        wh.query("SELECT count(*) n FROM ml.predictions WHERE model_version = ? AND game_date = ?", [other, following])[
            0
        ]["n"]
        == 15
    )


def test_the_monthly_audit_finds_what_is_missing_or_wrong_and_passes_a_whole_month(
    month, simulated, monkeypatch, tmp_path, airflow_db
):
    from airflow.dag_processing.dagbag import DagBag

    from mlb_pipeline import audit
    from mlb_pipeline.source import ClientSettings, StatsApiClient

    monkeypatch.setenv("AIRFLOW_CONN_MLB_STATSAPI", simulated.url)
    dag = without_deadlines(DagBag(dag_folder="dags/mlb_monthly_audit.py").dags["mlb_monthly_audit"])
    assert dbt("run", "--full-refresh", "--select", "+game_features", tmp_path=tmp_path).returncode == 0
    wh = DuckDBWarehouse()

    # The run of 1 June audits May, whose last day was never collected: it fails, saying so.
    run = dag.test(logical_date=dt.datetime(2024, 6, 1, 8, tzinfo=dt.UTC), run_conf={"api_sample_size": 5})
    assert run.state == "failed"
    [row] = wh.query("SELECT month, status, problems, summary, report_url FROM ops.audit_reports")
    assert (row["month"], row["status"]) == ("2024-05", "failed")
    assert (
        row["summary"].startswith("backfill candidates (collection): ")
        and "(2024-05-31 .. 2024-05-31)" in row["summary"]
    ), row["summary"]
    assert row["problems"] == 1

    # Collected (and its features built), the month is whole: the audit passes.
    collect_days(simulated, month / "warehouse.duckdb", (month / "lake").as_uri(), ["2024-05-31"])
    assert (
        dbt(
            "run", "--select", "+game_features", "--vars", "{features_from: '2024-05-31'}", tmp_path=tmp_path
        ).returncode
        == 0
    )
    run = dag.test(logical_date=dt.datetime(2024, 6, 1, 8, tzinfo=dt.UTC), run_conf={"api_sample_size": 5})
    assert run.state == "success"
    [row] = wh.query("SELECT month, status, problems, summary, report_url FROM ops.audit_reports")
    assert (row["status"], row["problems"], row["summary"]) == ("passed", 0, "no problems")
    page = Path(row["report_url"].removeprefix("file://")).read_text()
    assert "MLB warehouse audit 2024-05: PASSED" in page and "<svg" in page
    report = (Path(row["report_url"].removeprefix("file://")).with_name("report.json")).read_text()
    assert '"matches": true' in report and '"matches": false' not in report

    # A stored score goes wrong: the identities over every game and the API sample both say so.
    pk = wh.query("SELECT min(game_pk) pk FROM raw.games WHERE official_date = '2024-05-14'")[0]["pk"]
    with wh.connect() as con:
        con.execute("UPDATE raw.games SET home_score = home_score + 1 WHERE game_pk = ?", [pk])
    client = StatsApiClient(ClientSettings(simulated.url))
    failures = audit.identity_failures(wh)["2024"]
    assert {(f["game_pk"], f["check"]) for f in failures} == {(pk, "team runs = final score")}
    [compared] = audit.api_sample(client, wh, [pk])
    assert not compared["matches"] and compared["differences"][0].startswith("games.home_score: stored ")
    report = audit.run_audit(wh, client, "2024-05", in_season=True, cfg=dict(audit.audit_config(), api_sample_size=0))
    assert report["problems"] == [f"2024: 1 box-score identities fail in 1 games (first: [{pk}])"]


def test_the_weekly_sync_finds_corrections_by_content_hash_fills_gaps_regrades_and_retrains(
    month, simulated, monkeypatch, airflow_db
):
    from airflow.dag_processing.dagbag import DagBag

    from mlb_pipeline.kinds import GAME_TABLES
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.settings import lake_url
    from mlb_pipeline.source import ClientSettings, StatsApiClient
    from mlb_pipeline.sync import resync_dates

    wh = DuckDBWarehouse()
    corrected_day, gap_day = MONTH[-2], MONTH[-1]
    line = wh.query(
        "SELECT game_pk, player_id, hits FROM raw.batting_lines WHERE official_date = ? AND hits > 0 "
        "ORDER BY game_pk, player_id LIMIT 1",
        [corrected_day],
    )[0]
    lost = wh.query("SELECT min(game_pk) pk FROM raw.games WHERE official_date = ?", [gap_day])[0]["pk"]
    lost_rows = {t: wh.query(f"SELECT count(*) n FROM raw.{t} WHERE game_pk = ?", [lost])[0]["n"] for t in GAME_TABLES}
    with wh.connect() as con:  # an old version of one line (the API has corrected it since), and a lost game
        con.execute(
            "UPDATE raw.batting_lines SET hits = hits - 1, content_hash = 'before-correction' "
            "WHERE game_pk = ? AND player_id = ?",
            [line["game_pk"], line["player_id"]],
        )
        for table in GAME_TABLES:
            con.execute(f"DELETE FROM raw.{table} WHERE game_pk = ?", [lost])

    # A dry run finds them by content hash and writes nothing.
    client = StatsApiClient(ClientSettings(simulated.url))
    found = resync_dates(client, RawZone(lake_url()), wh, [corrected_day, gap_day], "dry", 4, dry_run=True)
    assert found["rows_changed"] == {
        **{t: n for t, n in lost_rows.items() if n},
        "batting_lines": lost_rows["batting_lines"] + 1,
    }
    assert found["changed_games"] == {corrected_day: [line["game_pk"]], gap_day: [lost]}
    assert wh.query("SELECT count(*) n FROM raw.games WHERE game_pk = ?", [lost])[0]["n"] == 0

    # The weekly sync over those days writes them back, re-grades the two changed dates,
    # rebuilds the features set-based and retrains.
    monkeypatch.setenv("AIRFLOW_CONN_MLB_STATSAPI", simulated.url)
    dag = without_deadlines(DagBag(dag_folder="dags/mlb_weekly_sync.py").dags["mlb_weekly_sync"])
    for task in dag.tasks:
        task.retries = 0
    run = dag.test(
        logical_date=dt.datetime(2024, 6, 2, 6, tzinfo=dt.UTC),
        run_conf={"from_date": corrected_day, "to_date": gap_day},
    )
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert run.state == "success", states
    assert (
        wh.query(
            "SELECT hits FROM raw.batting_lines WHERE game_pk = ? AND player_id = ?",
            [line["game_pk"], line["player_id"]],
        )[0]["hits"]
        == line["hits"]
    )
    assert {
        t: wh.query(f"SELECT count(*) n FROM raw.{t} WHERE game_pk = ?", [lost])[0]["n"] for t in GAME_TABLES
    } == lost_rows
    regraded = wh.query(
        "SELECT DISTINCT CAST(game_date AS VARCHAR) d, batch_grade FROM ops.quality_grades WHERE run_id = ? ORDER BY 1",
        [run.run_id],
    )
    assert regraded == [{"d": corrected_day, "batch_grade": "A"}, {"d": gap_day, "batch_grade": "A"}]
    assert wh.query("SELECT count(*) n FROM features.game_features WHERE game_date <= ?", [MONTH[-1]])[0]["n"] > 400
    assert wh.query("SELECT count(*) n FROM ml.model_versions WHERE run_id = ?", [run.run_id])[0]["n"] == 1

    # Run again, nothing differs.
    again = resync_dates(client, RawZone(lake_url()), wh, [corrected_day, gap_day], "again", 4, dry_run=True)
    assert again["rows_changed_total"] == 0 and again["changed_games"] == {}


@needs_chromium
def test_the_report_page_shows_the_season_offline(month, simulated, tmp_path):
    """The report page of a simulated month whose last 12 days were predicted walk-forward
    (each by a model trained on the days before it, as the daily runs would), published to
    the lake and opened in headless chromium with the network off: every chart is there, the
    figures are the warehouse's, and the page asks nothing of the internet."""
    import os
    import re

    from mlb_pipeline import model, report
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.seasons import season_calendar
    from mlb_pipeline.settings import lake_url
    from mlb_pipeline.source import ClientSettings, StatsApiClient

    assert dbt("run", "--full-refresh", "--select", "+game_features", tmp_path=tmp_path).returncode == 0
    wh, registry = DuckDBWarehouse(), model.Registry(lake_url())
    predicted = [dt.date.fromisoformat(d) for d in MONTH[-12:]]
    for day in predicted:
        model.train_and_register(wh, registry, day, f"walk-{day}")
        model.predict_games(wh, registry, day, f"walk-{day}", played=True)
        model.score_predictions(wh, day)
    calendar = season_calendar(StatsApiClient(ClientSettings(simulated.url)), RawZone(lake_url()), 2024)

    data = report.gather(wh, calendar, dt.date.fromisoformat(MONTH[-1]))
    states = {d["date"]: d["state"] for d in data["completeness"]}
    opening = calendar["phases"]["regular_season"][0]
    assert min(states) == opening < MONTH[0]  # the season's dates from the calendar, collected or not
    assert {states[d] for d in MONTH} == {"complete", "no games"}  # a day off: collected, nothing played
    played = {r["d"].isoformat() for r in wh.query("SELECT DISTINCT official_date d FROM raw.games")}
    assert {d for d in MONTH if states[d] == "complete"} == played & set(MONTH)
    assert {s for d, s in states.items() if d < MONTH[0]} == {"not collected"}
    assert {(g["table"], g["grade"]) for g in data["grades"] if g["date"] == MONTH[-1]} >= {("games", "A")}
    # The scores pooled over the walk are those score_predictions stored, date by date.
    scored = wh.query(
        "SELECT sum(games) n, sum(brier * games) se, sum(accuracy * games) hits FROM ml.prediction_scores"
    )[0]
    summary = data["score_summary"]
    assert summary["games"] == scored["n"] > 100
    assert summary["model"] == pytest.approx(scored["se"] / scored["n"])
    assert summary["accuracy"] == pytest.approx(scored["hits"] / scored["n"])
    assert 0.15 < summary["elo"] < 0.3 and summary["home"] == pytest.approx(summary["home"])
    assert {s["who"] for s in data["scores"]} == {"model", "Elo", "always home"}
    assert sum(b["games"] for b in data["calibration"]) == summary["games"]
    assert len(data["models"]) >= 2 and sum(m["is_champion"] for m in data["models"]) == 1
    assert data["contributions"]["date"] == MONTH[-1] and len(data["contributions"]["games"]) > 10

    location = report.publish(lake_url(), data)
    page_file = month / "lake" / "reports" / "index.html"
    assert location == f"reports/daily/{MONTH[-1]}.html" and (month / "lake" / location).exists()
    html = page_file.read_text()
    assert "<script" not in html and not re.search(r"(src|href)=\"https?://", html)  # nothing to fetch
    dom = rendered_dom(page_file.as_uri(), tmp_path)
    for heading in (
        "Completeness of the season",
        "Grades by table and date",
        "Rows loaded a day",
        "The model against the baselines",
        "Calibration",
        "Model versions",
        "Latest predictions and what drove them",
    ):
        assert f">{heading}</h2>" in dom, heading
    assert dom.count('class="marks"') == 7  # the seven charts, drawn as SVG
    for text in ("game date", "Brier score", "always home", "predicted home-win chance", "grade", "table"):
        assert f">{text}</text>" in dom, text
    not_collected = sum(1 for s in states.values() if s == "not collected")
    assert f'<b class="state-not-collected">{not_collected}</b>dates not collected' in dom
    shot = screenshot(page_file.as_uri(), tmp_path / "report.png", tmp_path)
    assert shot.stat().st_size > 100_000  # drawn, not blank
    if os.environ.get("MLB_UPDATE_SCREENSHOTS"):  # docs/report.png, linked from the README
        shutil.copy(shot, REPO / "docs" / "report.png")
