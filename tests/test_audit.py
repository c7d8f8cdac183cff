"""The monthly audit on one simulated day, without Airflow (issue 18, item 6): a warehouse
with no feature tables yet is audited, not crashed on; the raw zone is checked, so a deleted
or altered object a raw row points to is a problem. The whole month, through the DAG, is in
test_features.py."""

from __future__ import annotations

from pathlib import Path

from conftest import collect_days

from mlb_pipeline import audit
from mlb_pipeline.source import ClientSettings, StatsApiClient
from mlb_pipeline.warehouse import DuckDBWarehouse

DAY = "2024-06-03"
CFG = {**audit.audit_config(), "api_sample_size": 2}


def test_the_audit_reports_no_features_and_a_damaged_raw_zone(embedded, simulated):
    lake = (embedded / "lake").as_uri()
    collect_days(simulated, embedded / "warehouse.duckdb", lake, [DAY])
    wh, client = DuckDBWarehouse(), StatsApiClient(ClientSettings(simulated.url))

    # No feature tables yet: a backfill candidate without a date is a problem, not an IndexError
    # (beside the month's other days, never collected).
    report = audit.run_audit(wh, client, "2024-06", in_season=False, cfg=CFG)
    assert report["problems"][1:] == ["backfill candidates (features): 1 (features.game_features does not exist yet)"]
    assert report["problems"][0].startswith("backfill candidates (collection): ")
    assert report["raw_objects"]["missing"] == report["raw_objects"]["changed"] == []
    pointed = {
        c: wh.query(f"SELECT count(DISTINCT {c.split('.')[-1]}) n FROM {c.rsplit('.', 1)[0]}")[0]["n"]
        for c in ("raw.games.raw_object", "raw.statcast_games.raw_object", "raw.schedule.schedule_object")
    }
    # 15 feeds, one Savant CSV of the date for all 15 games, one schedule
    assert (pointed["raw.games.raw_object"], pointed["raw.statcast_games.raw_object"]) == (15, 1)
    assert report["raw_objects"]["checked"] == sum(pointed.values()) >= 17
    location = audit.publish(wh, lake, report)
    assert wh.query("SELECT status, problems FROM ops.audit_reports")[0] == {"status": "failed", "problems": 2}
    assert "features.game_features does not exist yet" in Path(location.removeprefix("file://")).read_text()

    # Two game feeds deleted, a Savant CSV and the schedule altered: two more problems, counted.
    feeds = [r["raw_object"] for r in wh.query("SELECT raw_object FROM raw.games ORDER BY game_pk LIMIT 2")]
    for url in feeds:
        Path(url.removeprefix("file://")).unlink()
    csv = wh.query("SELECT min(raw_object) u FROM raw.statcast_games")[0]["u"]
    schedule = wh.query("SELECT min(schedule_object) u FROM raw.schedule WHERE official_date = ?", [DAY])[0]["u"]
    for url in (csv, schedule):
        path = Path(url.removeprefix("file://"))
        path.write_bytes(path.read_bytes() + b"\n")
    report = audit.run_audit(wh, client, "2024-06", in_season=False, cfg=CFG)
    raw = report["raw_objects"]
    assert sorted(o["object"] for o in raw["missing"]) == sorted(feeds)
    assert all(o["referenced_by"] == "raw.games.raw_object" for o in raw["missing"])
    assert sorted(o["object"] for o in raw["changed"]) == sorted([csv, schedule])
    assert f"raw zone: 2 of {raw['checked']} referenced objects missing" in " ".join(report["problems"])
    assert f"raw zone: 2 of {raw['checked']} referenced objects changed" in " ".join(report["problems"])
    assert len(report["problems"]) == 4 and report["status"] == "failed"
    page = audit.render_html(report)
    assert feeds[0] in page and "does not match its name" in page
