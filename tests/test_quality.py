"""Grading with Great Expectations: real days grade A; mutations of a real day lower the
grade to what config/quality.yaml says and name the failed check; phases move the
thresholds; a failing batch is re-collected, and refused when it still fails."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import RECORDED_FEEDS, collect_days, load_fixture, needs_fixtures, run_day

from mlb_pipeline import quality
from mlb_pipeline.kinds.game_feed import parse_game
from mlb_pipeline.warehouse import DuckDBWarehouse

DAY = "2024-07-01"  # the recorded day with a full feed (game 744914)


@pytest.fixture(scope="module")
def grader():
    return quality.Grader()  # no Data Docs site: these tests look at the results only


def _columns(wh) -> dict[str, list[str]]:
    return {
        t.split(".", 1)[1]: [c for c in s["columns"] if c not in ("ingested_at", "source", "content_hash")]
        for t, s in wh.tables.items()
        if t.startswith("raw.")
    }


def _load_recorded(wh, game_pk: int) -> str:
    rows = parse_game(load_fixture(f"feed_live/{game_pk}.json"))
    wh.ensure_schema()
    wh.load_game(game_pk, rows, source="statsapi")
    return rows["games"][0]["official_date"]


def _by_table(grades) -> dict:
    return {g.table: g for g in grades}


def _failed_checks(grade) -> list[str]:
    return [c for f in grade.failed for c in f.get("checks", [])] + [f["expectation"] for f in grade.failed]


@needs_fixtures
def test_every_real_recorded_game_grades_a(embedded, grader):
    wh = DuckDBWarehouse()
    for pk in RECORDED_FEEDS:
        date = _load_recorded(wh, pk)
        grades = grader.grade_day(quality.read_batch(wh, date), _columns(wh), "regular_season", date)
        assert {g.table for g in grades} >= set(quality.GAME_TABLES)
        assert quality.day_grade(grades) == "A", [(g.table, g.grade, g.failed) for g in grades if g.grade != "A"]
        identities = quality.identities(quality.read_batch(wh, date))
        assert len(identities) > 20 and (identities["expected"] == identities["actual"]).all()


@needs_fixtures
@pytest.mark.parametrize(
    "mutation, table, grade, check",
    [
        ("player line removed", "batting_lines", "F", "players' hits = team hits"),
        ("run added to an inning", "linescore_innings", "F", "line score runs = team runs"),
        ("pitch deleted", "pitches", "F", "pitches in play events = pitchers' pitch counts"),
        ("field renamed", "pitching_lines", "F", "ExpectTableColumnsToMatchSet"),
        ("score out of range", "games", "F", "team runs = final score"),
    ],
)
def test_mutations_of_a_real_day_lower_its_grade_and_name_the_check(embedded, grader, mutation, table, grade, check):
    wh = DuckDBWarehouse()
    _load_recorded(wh, 744914)
    frames = quality.read_batch(wh, DAY)
    if mutation == "player line removed":
        lines = frames["batting_lines"]
        frames["batting_lines"] = lines.drop(lines.index[lines["hits"] > 0][0])
    elif mutation == "run added to an inning":
        frames["linescore_innings"].loc[0, "runs"] += 1
    elif mutation == "pitch deleted":
        frames["pitches"] = frames["pitches"].iloc[1:]
    elif mutation == "field renamed":
        frames["pitching_lines"] = frames["pitching_lines"].rename(columns={"outs": "outs_recorded"})
    elif mutation == "score out of range":
        frames["games"].loc[0, "home_score"] = 51
    grades = _by_table(grader.grade_day(frames, _columns(wh), "regular_season", DAY))
    assert grades[table].grade == grade
    assert any(check in c for c in _failed_checks(grades[table])), grades[table].failed
    # The failure is named with its game (a table-level check, the renamed field, has none),
    # and every failure that names rows names this game.
    failed = grades[table].failed
    named = [f for f in failed if f["expectation"] == check or any(check in c for c in f.get("checks", []))]
    assert [f.get("games") for f in named] == [None if check.startswith("Expect") else [744914]]
    assert [f["games"] for f in failed if "games" in f] == [[744914]] * sum("games" in f for f in failed)
    if mutation == "player line removed":
        assert grades["batting_lines"].scores["player_completeness"] < 1.0


def test_a_missing_team_and_a_missing_stats_row_on_a_simulated_day(daily_dag, embedded, simulated, monkeypatch, grader):
    day = "2024-06-11"
    run, states = run_day(daily_dag, day, simulated, monkeypatch)
    assert run.state == "success", states
    wh = DuckDBWarehouse()
    graded = wh.query(
        "SELECT table_name, grade, promoted, data_docs FROM ops.quality_grades WHERE game_date = ?", [day]
    )
    assert len(graded) == 14 and {g["grade"] for g in graded} == {"A"} and all(g["promoted"] for g in graded)
    assert graded[0]["data_docs"].endswith("quality/data_docs/index.html")
    site = embedded / "lake" / "quality" / "data_docs"
    assert (site / "index.html").exists()
    # every validation's run name is its game date and the Airflow run id (GX's default: __none__)
    run_names = {p.parent.parent.name for p in (site / "validations").rglob("*.html")}
    assert run_names and all(name.startswith(f"{day} ") for name in run_names), run_names
    assert any(n.split(" ", 1)[1] == run.run_id for n in run_names), (run_names, run.run_id)

    frames = quality.read_batch(wh, day)
    team = frames["rosters"]["team_id"].iloc[0]
    frames["rosters"] = frames["rosters"][frames["rosters"]["team_id"] != team]
    grades = _by_table(grader.grade_day(frames, _columns(wh), "regular_season", day))
    assert grades["rosters"].grade == "B"  # 29 clubs: a value check fails, nothing else
    assert [f["expectation"] for f in grades["rosters"].failed] == ["ExpectColumnUniqueValueCountToBeBetween"]

    # One player's stats row missing: every other check passes. Regular season: B
    # (A needs every player); postseason: F (every player, always).
    frames = quality.read_batch(wh, day)
    frames["player_stats"] = frames["player_stats"].iloc[1:]
    regular = _by_table(grader.grade_day(frames, _columns(wh), "regular_season", day))["player_stats"]
    post = _by_table(grader.grade_day(frames, _columns(wh), "postseason", day))["player_stats"]
    assert 0.99 < regular.scores["player_completeness"] < 1.0
    assert (regular.grade, post.grade) == ("B", "F")

    # A sixth of the stats rows missing: too few players for a regular-season day, enough
    # for a spring-training one (roster churn), far too few for the postseason.
    frames = quality.read_batch(wh, day)
    frames["player_stats"] = frames["player_stats"].iloc[len(frames["player_stats"]) // 6 :]
    by_phase = {
        phase: _by_table(grader.grade_day(frames, _columns(wh), phase, day))["player_stats"]
        for phase in ("spring_training", "regular_season", "postseason")
    }
    assert 0.80 < by_phase["regular_season"].scores["player_completeness"] < 0.90
    assert {p: g.grade for p, g in by_phase.items()} == {
        "spring_training": "C",
        "regular_season": "F",
        "postseason": "F",
    }


@pytest.mark.unit
def test_phase_thresholds_come_from_config():
    scores = {"schema": 1.0, "completeness": 0.95, "player_completeness": 0.85, "value_ranges": 0.9}
    # 0.3 + 0.19 + 0.34 + 0.09 = 0.92: players below 0.90 fail a regular-season day, not a spring one.
    assert quality.grade_of(scores, "regular_season", gate=False) == ("F", pytest.approx(0.92))
    assert quality.grade_of(scores, "spring_training", gate=False)[0] == "C"
    perfect = dict.fromkeys(quality.DIMENSIONS, 1.0)
    assert quality.grade_of(perfect, "postseason", gate=False)[0] == "A"
    assert quality.grade_of(perfect, "regular_season", gate=True)[0] == "F"  # a failed identity
    assert quality.grade_of(dict(perfect, schema=0.0), "spring_training", gate=False)[0] == "F"
    assert quality.grade_of(perfect, "off_season", gate=False)[0] == "A"  # the default phase's rules


def test_failing_batch_is_recollected_and_promoted_once_fixed(daily_dag, embedded, simulated, monkeypatch, caplog):
    day = "2024-06-12"
    run, _ = run_day(daily_dag, day, simulated, monkeypatch)
    assert run.state == "success"
    wh = DuckDBWarehouse()
    clean = raw_content(wh)
    pk = wh.query("SELECT min(game_pk) pk FROM raw.games WHERE official_date = ?", [day])[0]["pk"]
    with wh.connect() as con:  # the stored copy of one game goes bad
        con.execute("UPDATE raw.linescore_innings SET runs = runs + 1 WHERE game_pk = ? AND inning = 1", [pk])

    # Nothing can fix it: refused after the configured attempts, naming the game and the check.
    with pytest.raises(quality.BatchRejected) as exc:
        quality.grade_and_promote(wh, day, "regular_season", "run-refused", None, recollect=lambda pks: None)
    message = str(exc.value)
    assert f"games [{pk}] still fail after 2 re-collections" in message and "line score runs = team runs" in message
    refused = wh.query(
        "SELECT DISTINCT batch_grade, promoted, attempt FROM ops.quality_grades WHERE run_id = 'run-refused'"
    )
    assert refused == [{"batch_grade": "F", "promoted": False, "attempt": 2}]

    # The day's run again: its games are final, so the plan fetches none of them, and the DAG's
    # grade_raw_data finds the bad game, re-collects it (and only it) from the API and promotes.
    simulated.clear_requests()
    caplog.clear()
    run, states = run_day(daily_dag, day, simulated, monkeypatch)
    assert run.state == "success" and states["grade_raw_data"] == "success", states
    assert [r["target"].split("?")[0] for r in simulated.requests(r"/feed/live")] == [f"/api/v1.1/game/{pk}/feed/live"]
    assert f"{day} graded F; re-collecting games [{pk}] (attempt 1 of 2)" in caplog.text
    graded = wh.query(
        "SELECT DISTINCT batch_grade, promoted, attempt FROM ops.quality_grades WHERE run_id = ?", [run.run_id]
    )
    assert graded == [{"batch_grade": "A", "promoted": True, "attempt": 1}]
    # ... and the re-run, repaired, holds exactly what the clean run held: nothing lost or doubled.
    assert raw_content(wh) == clean


def raw_content(wh) -> dict[str, tuple]:
    """Every raw table's row count and an order-independent hash of its rows, load times aside."""
    out = {}
    for table, spec in wh.tables.items():
        if table.startswith("raw."):
            columns = ", ".join(c for c in spec["columns"] if c != "ingested_at")
            row = wh.query(f"SELECT count(*) n, coalesce(bit_xor(hash({columns})), 0) h FROM {table}")[0]
            out[table] = (row["n"], row["h"])
    return out


DATES = [f"2024-06-{d:02d}" for d in range(3, 8)]  # five dates of a chunk
GRADE_COLUMNS = (
    "game_date, table_name, phase, suite_version, attempt, rows_checked, grade, score, schema_score, "
    "completeness_score, player_completeness_score, value_ranges_score, batch_grade, promoted, "
    "failed_expectations, warnings"
)


def _grades(wh, run_id: str) -> list[dict]:
    """A run's rows of ``ops.quality_grades`` (run id, times and docs aside), JSON decoded."""
    rows = wh.query(
        f"SELECT {GRADE_COLUMNS} FROM ops.quality_grades WHERE run_id LIKE ? ORDER BY game_date, table_name", [run_id]
    )
    return [{**r, **{k: json.loads(r[k]) for k in ("failed_expectations", "warnings")}} for r in rows]


def test_grade_dates_grades_several_dates_in_one_pass_as_day_by_day(embedded, simulated):
    """grade_dates over five collected dates records exactly the grades the per-date path
    (collect_days grades each day) recorded; planted faults on single dates (a broken
    identity, a missing required value and one out of range, a missing team's standings)
    lower those dates only (an F re-collected), described as the per-date path describes them."""
    collect_days(simulated, embedded / "warehouse.duckdb", (embedded / "lake").as_uri(), DATES)
    wh = DuckDBWarehouse()
    per_date = _grades(wh, "collect_days__%")
    phases = {r["game_date"].isoformat(): r["phase"] for r in per_date}
    assert sorted(phases) == DATES and len(per_date) >= 5 * 10
    summaries = quality.grade_dates(wh, phases, "chunk", None)
    assert _grades(wh, "chunk") == per_date
    assert all(s["promoted"] and "error" not in s for s in summaries.values()), summaries

    broken, holed, short = DATES[1], DATES[3], DATES[4]
    pk = wh.query("SELECT min(game_pk) pk FROM raw.games WHERE official_date = ?", [broken])[0]["pk"]
    hole = wh.query("SELECT max(game_pk) pk FROM raw.games WHERE official_date = ?", [holed])[0]["pk"]
    with wh.connect() as con:
        con.execute("UPDATE raw.linescore_innings SET runs = runs + 1 WHERE game_pk = ? AND inning = 1", [pk])
        con.execute(  # no identity adds these up: the date is graded down, not failed
            "UPDATE raw.pitches SET call_code = NULL, start_speed = 200 WHERE game_pk = ? AND at_bat_index = 0", [hole]
        )
        con.execute(
            "DELETE FROM raw.standings WHERE standings_date = ? AND team_id = (SELECT min(team_id) "
            "FROM raw.standings WHERE standings_date = ?)",
            [dt.date.fromisoformat(short)] * 2,
        )
    recollected = []
    errors = {}
    for day, phase in phases.items():
        if day not in (broken, holed, short):
            continue  # unchanged: its per-date rows are the clean run's
        try:
            quality.grade_and_promote(wh, day, phase, f"day__{day}", None, recollect=recollected.append)
        except quality.BatchRejected as exc:
            errors[day] = str(exc)
    asked, recollected[:] = list(recollected), []
    summaries = quality.grade_dates(wh, phases, "chunk-faults", None, recollect=recollected.append)
    assert recollected == asked == [[pk], [pk]]  # the F date's game, twice, either way
    assert {d: s["error"] for d, s in summaries.items() if "error" in s} == errors and list(errors) == [broken]
    assert "line score runs = team runs" in errors[broken]
    untouched = [r for r in per_date if r["game_date"].isoformat() not in (broken, holed, short)]
    expected = sorted(_grades(wh, "day__%") + untouched, key=lambda r: (r["game_date"], r["table_name"]))
    assert _grades(wh, "chunk-faults") == expected != per_date
    by_date = {(r["game_date"].isoformat(), r["table_name"]): r for r in _grades(wh, "chunk-faults")}
    failing = {(r["game_date"].isoformat(), r["table_name"]) for r in per_date if r["failed_expectations"]}
    assert {(d, t) for (d, t), r in by_date.items() if r["failed_expectations"]} - failing == {
        (broken, "linescore_innings"),
        (holed, "pitches"),
        (short, "standings"),
    }
    assert by_date[(broken, "linescore_innings")]["grade"] == "F" and by_date[(short, "standings")]["grade"] == "B"
    failed = by_date[(holed, "pitches")]["failed_expectations"]
    assert {f["expectation"] for f in failed} == {"ExpectColumnValuesToNotBeNull", "ExpectColumnValuesToBeBetween"}
    assert [f["games"] for f in failed] == [[hole], [hole]]


@pytest.mark.unit
def test_a_validation_of_many_dates_has_its_data_docs_page(tmp_path):
    """GX titles a page from its run name parsed as a time: ``2024-06-24..2024-06-30`` parsed with
    an offset of 30 hours and the page was not rendered (an error in the log, a missing page)."""
    import pandas as pd

    grader = quality.Grader(str(tmp_path / "docs"))
    label = quality._dates_label(["2024-06-24", "2024-06-30", "2024-06-27"])
    spec = ("completeness", "ExpectColumnValuesToNotBeNull", {"column": "game_pk"})
    [result] = grader._validate("raw.games.v1", pd.DataFrame({"game_pk": [1, 2]}), [spec], label)
    assert result.success
    grader.build_docs()
    pages = [p.read_text() for p in (tmp_path / "docs" / "validations").rglob("*.html")]
    assert len(pages) == 1 and "2024-06-24 to 2024-06-30" in pages[0]
