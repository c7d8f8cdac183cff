"""A day that failed and was then repaired ends exactly as a clean run of it (issue 18,
item 10): its rosters load while every feed fails, its box scores on the repair."""

from __future__ import annotations

from mlb_pipeline.collect import collect_feeds, load_day, plan_day
from mlb_pipeline.kinds.reference_data import collect_reference
from mlb_pipeline.landing import RawZone
from mlb_pipeline.source import ClientSettings, StatsApiClient
from mlb_pipeline.warehouse import DuckDBWarehouse

DAY = "2024-07-09"
PLAYERS = "SELECT * EXCLUDE (ingested_at) FROM raw.players ORDER BY player_id"


def collect_days(server, warehouse_path, lake_url, dates):
    """conftest's collect_days without Statcast and grading (neither touches raw.players)."""
    warehouse, zone = DuckDBWarehouse(warehouse_path), RawZone(lake_url)
    api = StatsApiClient(ClientSettings(server.url, concurrency=4))
    for day in dates:
        plan = plan_day(api, zone, day, warehouse)
        load_day(
            warehouse,
            zone,
            plan,
            {
                "collect_game_feeds": collect_feeds(api, zone, plan, 4),
                "collect_reference_data": collect_reference(api, zone, plan, 4),
            },
            run_id=f"repair__{day}",
        )


def test_a_repaired_day_equals_a_clean_one_in_raw_players(simulated, tmp_path):
    collect_days(simulated, tmp_path / "clean.duckdb", (tmp_path / "clean").as_uri(), [DAY])
    clean = DuckDBWarehouse(tmp_path / "clean.duckdb").query(PLAYERS)

    # Every game feed comes back cut off (quarantined): the rosters load, the box scores do not.
    simulated.add_fault(r"/feed/live", truncate=True)
    collect_days(simulated, tmp_path / "repaired.duckdb", (tmp_path / "repaired").as_uri(), [DAY])
    repaired = DuckDBWarehouse(tmp_path / "repaired.duckdb")
    assert repaired.query("SELECT count(*) n FROM raw.games")[0]["n"] == 0
    assert {r["first_seen_in"] for r in repaired.query(PLAYERS)} == {"roster", "transaction"}

    simulated.clear_faults()
    collect_days(simulated, tmp_path / "repaired.duckdb", (tmp_path / "repaired").as_uri(), [DAY])
    after = repaired.query(PLAYERS)
    assert len(after) == len(clean) > 780
    assert sum(r["first_seen_in"] == "boxscore" for r in clean) > 300
    assert after == clean
