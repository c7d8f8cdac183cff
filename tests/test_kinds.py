"""The registry of kinds: every raw table has its kind, every kind's declarations point at
real things (endpoints, quality rules, collection tasks), and a kind parsed from the live
feed plugs in with one registry entry. Pure functions: no Airflow, no HTTP."""

from __future__ import annotations

import pytest
from conftest import load_fixture, needs_fixtures

from mlb_pipeline import kinds
from mlb_pipeline.settings import load_config

pytestmark = pytest.mark.unit  # the whole module is of the unit tier (make unit)


def test_every_raw_table_belongs_to_one_kind(embedded):
    from mlb_pipeline.summary import raw_tables_by_kind
    from mlb_pipeline.warehouse import DuckDBWarehouse

    wh = DuckDBWarehouse()
    wh.ensure_schema()
    owners = [t for k in kinds.KINDS for t in k.tables]
    assert len(owners) == len(set(owners)), "a table belongs to two kinds"
    raw = {t.split(".", 1)[1] for t in wh.tables if t.startswith("raw.")}
    assert raw - set(owners) == {"players"}  # derived at load from box scores and rosters
    assert set(owners) <= raw
    by_kind = dict(raw_tables_by_kind(wh))
    assert by_kind["raw.rosters"] == "rosters" and by_kind["raw.pitches"] == "game_feed"
    assert by_kind["raw.players"] == "(derived at load)"
    assert kinds.GAME_TABLES[:6] == kinds.kind("game_feed").tables


def test_declarations_point_at_real_endpoints_rules_and_tasks():
    from statsapi.endpoints import ENDPOINTS

    from mlb_pipeline.source import SavantClient

    quality = load_config("quality")
    tasks = {c.task_id for c in kinds.COLLECTIONS}
    assert tasks == {"collect_game_feeds", "collect_reference_data", "collect_statcast"}  # users rely on these ids
    for k in kinds.KINDS:
        for key in k.quality:
            node = quality
            for part in key.split("."):
                assert part in node, f"{k.name}: {key} is not in config/quality.yaml"
                node = node[part]
        for endpoint in k.endpoints:
            assert endpoint in ENDPOINTS or endpoint == SavantClient.ENDPOINT, (k.name, endpoint)
        assert k.collected_by in tasks | {kinds.PLAN_TASK_ID, *kinds.FILE_TASK_IDS, *kinds.LIVE_TASK_IDS} or k.parses, (
            k.name
        )
    for c in kinds.COLLECTIONS:
        module = kinds.collection_module(c)
        assert callable(module.collect) and callable(module.load) and callable(module.answered), c.task_id
        assert c.source in load_config("pipeline")
        assert kinds.collected_by(c.task_id), f"{c.task_id} collects no kind"


def test_reference_requests_of_a_date_come_from_the_kinds():
    from mlb_pipeline.kinds.reference_data import requests_of

    requests = requests_of("2024-07-01", [147, 121], lambda k: True)
    assert [r.table for r in requests] == [
        "raw.transactions",
        "raw.teams",
        "raw.standings",
        "raw.rosters",
        "raw.rosters",
        "raw.team_stats",
        "raw.team_stats",
        "raw.team_stats",
        "raw.player_stats",
        "raw.player_stats",
    ]
    rosters = [r for r in requests if r.endpoint == "team_roster"]
    assert [r.scope for r in rosters] == [
        {"roster_date": "2024-07-01", "roster_type": "active", "team_id": 147},
        {"roster_date": "2024-07-01", "roster_type": "active", "team_id": 121},
    ]
    assert [r.paged for r in requests if r.table == "raw.player_stats"] == [True, True]
    assert requests_of("2024-07-01", [], lambda k: k.every_day)[0].label == "transactions"


@needs_fixtures
def test_a_kind_parsed_from_the_feed_plugs_in_with_one_registry_entry():
    """A kind with ``parses="game_feed"`` and no request of its own (game conditions and
    officials): its tables join the game's tables and its rows come out of the one parse of
    the feed the loader merges, beside the feed's own tables."""
    from mlb_pipeline.kinds import game_conditions
    from mlb_pipeline.kinds.game_feed import parse_feed, parse_game

    feed = load_fixture("feed_live/717055.json")
    assert kinds.derived_from("game_feed") == (game_conditions.KIND,)
    assert game_conditions.KIND.requests is None and game_conditions.KIND.collected_by is None
    assert kinds.GAME_TABLES[-2:] == ("game_conditions", "officials")
    rows = parse_game(feed)
    assert {t: rows[t] for t in kinds.kind("game_feed").tables} == parse_feed(feed)
    assert {t: rows[t] for t in game_conditions.TABLES} == game_conditions.parse(feed)
    assert rows["game_conditions"][0]["venue_name"] == feed["gameData"]["venue"]["name"]
    assert kinds.of_table("raw.officials") == game_conditions.KIND
