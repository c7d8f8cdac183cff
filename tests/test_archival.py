"""End-of-season archival on two simulated game days (a 'season' whose schedule, as the
double serves it, has only them): the completeness check against the API's schedule of the
season, the copy to the historical zone with checksums, a second run that changes nothing, a
refused overwrite, the rollback of a half-done archive, and the DAG itself."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import collect_days, dbt, without_deadlines

from mlb_pipeline import archive
from mlb_pipeline.landing import RawZone
from mlb_pipeline.seasons import fallback_calendar, season_schedule
from mlb_pipeline.source import ClientSettings, StatsApiClient
from mlb_pipeline.warehouse import DuckDBWarehouse

DAYS = ["2024-06-03", "2024-06-04"]  # 2024-06-05 has no games: the schedule ends with them
SEASON_REQUEST = r"/api/v1/schedule\?.*season=2024"


def season_of(server, first: str, last: str) -> None:
    """The double answers the schedule of the season 2024 with that of ``first`` to ``last``."""
    import urllib.request

    with urllib.request.urlopen(f"{server.url}/api/v1/schedule?sportId=1&startDate={first}&endDate={last}") as r:
        server.add_fault(SEASON_REQUEST, body=r.read().decode())


def scheduled(server, lake: str) -> list[dict]:
    client = StatsApiClient(ClientSettings(server.url))
    try:
        return season_schedule(client, RawZone(lake), 2024)
    finally:
        client.close()  # its pooled connection, else a ResourceWarning later in the session


@pytest.fixture
def season(embedded, simulated, tmp_path):
    collect_days(simulated, embedded / "warehouse.duckdb", (embedded / "lake").as_uri(), DAYS)
    return embedded


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_complete_season_is_copied_verified_and_then_immutable(season, simulated, tmp_path, monkeypatch, airflow_db):
    wh = DuckDBWarehouse()
    lake = (season / "lake").as_uri()
    season_of(simulated, *DAYS)
    problems = archive.completeness_problems(wh, 2024, scheduled(simulated, lake))
    assert problems and all(p.endswith("no features row") for p in problems)  # not yet: no features
    assert dbt("run", "--full-refresh", "--select", "+game_features", tmp_path=tmp_path).returncode == 0
    assert archive.completeness_problems(wh, 2024, scheduled(simulated, lake)) == []

    mapping = archive.season_objects(lake, 2024, fallback_calendar(2024))
    targets = sorted(t.split("/historical/", 1)[1] for t in mapping.values())
    assert targets and all(t.startswith("regular-season/2024/") for t in targets)
    assert any("/games/2024-06-03/" in t for t in targets) and any(
        t.startswith("regular-season/2024/schedule/") for t in targets
    )
    current = files(season / "lake" / "current")

    # A half-done archive (copied, never marked) is rolled back; the current zone is untouched.
    archive.copy_season(mapping)
    assert archive.rollback(wh, lake, 2024) == len(mapping)
    assert files(season / "lake" / "historical") == {} and files(season / "lake" / "current") == current

    # The DAG: complete, copied, verified, marked.
    monkeypatch.setenv("AIRFLOW_CONN_MLB_STATSAPI", simulated.url)
    from airflow.dag_processing.dagbag import DagBag

    dag = without_deadlines(DagBag(dag_folder="dags/mlb_end_of_season_archival.py").dags["mlb_end_of_season_archival"])
    run = dag.test(logical_date=dt.datetime(2025, 1, 2, 6, tzinfo=dt.UTC))
    assert run.state == "success", {ti.task_id: ti.state for ti in run.get_task_instances()}
    historical = files(season / "lake" / "historical" / "regular-season" / "2024")
    assert set(historical) == {t.removeprefix("regular-season/2024/") for t in targets} | {"MANIFEST.json"}
    assert all(
        historical[t.removeprefix("regular-season/2024/")]
        == (season / "lake" / "current").joinpath(s.split("/current/", 1)[1]).read_bytes()
        for s, t in ((s, t.split("/historical/", 1)[1]) for s, t in mapping.items())
    )
    [row] = wh.query("SELECT season, phase, objects FROM ops.archives")
    assert row == {"season": 2024, "phase": "regular-season", "objects": len(mapping)}

    # Again: nothing copied, every object proven identical.
    again = archive.copy_season(mapping)
    assert (again["copied"], again["already_archived"]) == (0, len(mapping))
    archive.mark_archived(wh, lake, 2024, again["checksums"])
    assert files(season / "lake" / "historical" / "regular-season" / "2024") == historical

    # Different content under an archived name is refused, and nothing is overwritten;
    # an archived season cannot be rolled back.
    source = next(iter(mapping))
    Path(source.removeprefix("file://")).write_bytes(b'{"changed": true}')
    with pytest.raises(archive.ArchiveConflict, match="immutable"):
        archive.copy_season(mapping)
    with pytest.raises(archive.ArchiveConflict, match="no rollback"):
        archive.rollback(wh, lake, 2024)
    assert files(season / "lake" / "historical" / "regular-season" / "2024") == historical


def test_an_incomplete_season_is_not_archived(season, simulated, league, monkeypatch, airflow_db, capsys):
    wh = DuckDBWarehouse()
    lost = wh.query("SELECT min(game_pk) pk FROM raw.games WHERE official_date = ?", [DAYS[1]])[0]["pk"]
    with wh.connect() as con:
        con.execute("DELETE FROM raw.games WHERE game_pk = ?", [lost])
        con.execute("DELETE FROM ops.quality_grades WHERE game_date = ?", [DAYS[0]])
    # The season's schedule also lists 2024-06-02, a date never collected (raw.schedule knows nothing of it).
    season_of(simulated, "2024-06-02", DAYS[-1])
    never = sorted(g.game_pk for g in league.played_on(dt.date(2024, 6, 2)))
    problems = archive.completeness_problems(wh, 2024, scheduled(simulated, (season / "lake").as_uri()))
    assert problems[0] == f"2024-06-02: never collected ({len(never)} games played, {len(never)} not landed: {never})"
    assert f"{DAYS[1]} game {lost}: played, not landed final" in problems
    assert f"{DAYS[0]}: not graded A to C and promoted" in problems
    assert list((season / "lake" / "current" / "reference" / "schedule" / "2024").glob("schedule_season-*.json"))

    monkeypatch.setenv("AIRFLOW_CONN_MLB_STATSAPI", simulated.url)
    assert archive.main(["check", "2024"]) == 1  # the command asks the API too
    said = capsys.readouterr().out.splitlines()
    assert said[0] == problems[0] and said[1:-1] == problems[1:]
    assert said[-1].startswith("season 2024: ") and f"played games checked, {len(problems)} problems" in said[-1]
    from airflow.dag_processing.dagbag import DagBag

    dag = without_deadlines(DagBag(dag_folder="dags/mlb_end_of_season_archival.py").dags["mlb_end_of_season_archival"])
    run = dag.test(logical_date=dt.datetime(2025, 1, 2, 6, tzinfo=dt.UTC))
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states == {"check_season_complete": "failed", "archive_season": "upstream_failed"}
    assert not (season / "lake" / "historical").exists()
    assert len(simulated.requests(SEASON_REQUEST)) == 3  # the function, the command, the DAG
