"""Retrosheet history (issue #22): the real game logs of 2010-2022 and the 2019 event files,
loaded with the command a user runs, checked against each other: every player's line of every
2019 game (chadwickpy's cwdaily) adds up to the game log's team totals."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import FIXTURES, dbt, needs_fixtures

from mlb_pipeline import backfill
from mlb_pipeline.kinds.retrosheet import parse_gamelog
from mlb_pipeline.parse import FeedError
from mlb_pipeline.warehouse import DuckDBWarehouse

RETROSHEET = FIXTURES.parent / "retrosheet"
GAMES_2010_2022 = 30054  # ../shared/fixtures/retrosheet/MANIFEST.md, season by season

# A side's totals in the game log against the sum of its players' lines (batting: the side's
# batters; pitching: the side's pitchers, against what the other side scored and did).
ADDS_UP = """
WITH batting AS (
    SELECT retro_game_id, home, sum(runs) AS runs, sum(hits) AS hits, sum(walks) AS walks,
           sum(strikeouts) AS strikeouts, sum(at_bats) AS at_bats
    FROM raw.retrosheet_batting_lines GROUP BY ALL
), pitching AS (
    SELECT retro_game_id, home, sum(runs) AS runs_allowed, sum(earned_runs) AS earned_runs,
           sum(strikeouts) AS strikeouts_made, sum(hits) AS hits_allowed
    FROM raw.retrosheet_pitching_lines GROUP BY ALL
), sides AS (
    SELECT retro_game_id, false AS home, away_score AS runs, away_hits AS hits, away_walks AS walks,
           away_strikeouts AS strikeouts, away_at_bats AS at_bats, away_individual_earned_runs AS earned_runs,
           home_score AS runs_allowed, home_strikeouts AS strikeouts_made, home_hits AS hits_allowed
    FROM raw.retrosheet_games WHERE season = '2019'
    UNION ALL
    SELECT retro_game_id, true, home_score, home_hits, home_walks, home_strikeouts, home_at_bats,
           home_individual_earned_runs, away_score, away_strikeouts, away_hits
    FROM raw.retrosheet_games WHERE season = '2019'
)
SELECT count(*) AS sides,
       count(*) FILTER (WHERE b.runs = s.runs AND b.hits = s.hits AND b.walks = s.walks
                        AND b.strikeouts = s.strikeouts AND b.at_bats = s.at_bats) AS batting_adds_up,
       count(*) FILTER (WHERE p.runs_allowed = s.runs_allowed AND p.strikeouts_made = s.strikeouts_made
                        AND p.hits_allowed = s.hits_allowed) AS pitching_adds_up,
       count(*) FILTER (WHERE p.earned_runs = s.earned_runs) AS earned_runs_add_up
FROM sides AS s
LEFT JOIN batting AS b USING (retro_game_id, home)
LEFT JOIN pitching AS p USING (retro_game_id, home)
"""


# A club's win rate over the 30 days before each game, from the game logs alone (a tie is no win).
WIN_RATE_30D_FROM_GAME_LOGS = """
WITH sides AS (
    SELECT game_date, home_team_id AS team_id, home_score > away_score AS won FROM staging.stg_retrosheet_games
    UNION ALL
    SELECT game_date, away_team_id, away_score > home_score FROM staging.stg_retrosheet_games
), again AS (
    SELECT f.game_pk, f.home_win_rate_30d, f.away_win_rate_30d,
           (SELECT avg(CASE WHEN s.won THEN 1.0 ELSE 0.0 END) FROM sides AS s
             WHERE s.team_id = f.home_team_id AND s.game_date < f.game_date
               AND s.game_date >= f.game_date - INTERVAL 30 DAY) AS home_again,
           (SELECT avg(CASE WHEN s.won THEN 1.0 ELSE 0.0 END) FROM sides AS s
             WHERE s.team_id = f.away_team_id AND s.game_date < f.game_date
               AND s.game_date >= f.game_date - INTERVAL 30 DAY) AS away_again
    FROM features.game_features AS f
)
SELECT count(*) AS games,
       count(*) FILTER (WHERE coalesce(abs(home_win_rate_30d - home_again), 0) > 1e-9
                           OR coalesce(abs(away_win_rate_30d - away_again), 0) > 1e-9
                           OR (home_win_rate_30d IS NULL) <> (home_again IS NULL)
                           OR (away_win_rate_30d IS NULL) <> (away_again IS NULL)) AS differ
FROM again
"""


@pytest.fixture
def retrosheet_dir(tmp_path):
    """A folder laid out as Retrosheet distributes: the real files, linked."""
    if not RETROSHEET.exists():
        pytest.fail(f"the Retrosheet fixtures are not at {RETROSHEET}")
    source = tmp_path / "retrosheet"
    for folder in ("gamelogs", "events"):
        (source / folder).mkdir(parents=True)
        for path in (RETROSHEET / folder).iterdir():
            (source / folder / path.name).symlink_to(path)
    return source


def _first_line() -> bytes:
    return (RETROSHEET / "gamelogs" / "GL2019.TXT").read_bytes().split(b"\n", 1)[0]


@pytest.mark.unit
@needs_fixtures
def test_a_game_log_line_is_a_game_with_retrosheets_own_identities():
    import orjson

    rows = parse_gamelog((RETROSHEET / "gamelogs" / "GL2019.TXT").read_bytes(), "GL2019.TXT")
    assert len(rows) == 2429 and len({r["retro_game_id"] for r in rows}) == 2429
    tokyo = rows[0]  # opening day 2019: Seattle at Oakland, in the Tokyo Dome
    assert tokyo["retro_game_id"] == "OAK201903200" and tokyo["game_date"] == "2019-03-20"
    assert (tokyo["away_team"], tokyo["home_team"], tokyo["away_score"], tokyo["home_score"]) == ("SEA", "OAK", 9, 7)
    assert (tokyo["park_id"], tokyo["attendance"], tokyo["duration_minutes"], tokyo["length_outs"]) == (
        "TOK01",
        45787,
        204,
        54,
    )
    assert tokyo["away_starting_pitcher_id"] == "gonzm005" and tokyo["home_starting_pitcher_name"] == "Michael Fiers"
    lineup = orjson.loads(tokyo["away_lineup"])
    assert [s["slot"] for s in lineup] == list(range(1, 10)) and lineup[0]["player_id"] == "gordd002"
    assert orjson.loads(tokyo["umpires"])[0] == {
        "position": "home_plate",
        "umpire_id": "nelsj901",
        "name": "Jeff Nelson",
    }
    assert {r["game_number"] for r in rows} == {0, 1, 2}  # doubleheaders
    assert all(
        r["retro_game_id"] == f"{r['home_team']}{r['game_date'].replace('-', '')}{r['game_number']}" for r in rows
    )


@pytest.mark.unit
@needs_fixtures
def test_a_game_log_that_is_not_one_is_refused_with_its_line_and_reason():
    line = _first_line()
    cells = line.split(b",")
    with pytest.raises(FeedError, match=r"GL line 2: 160 fields, a game log line has 161"):
        parse_gamelog(line + b"\n" + b",".join(cells[:-1]), "GL")
    with pytest.raises(FeedError, match=r"GL line 1: '20191320' is not a date"):
        parse_gamelog(line.replace(b'"20190320"', b'"20191320"'), "GL")
    with pytest.raises(FeedError, match=r"GL line 2: game OAK201903200 appears twice"):
        parse_gamelog(line + b"\n" + line, "GL")
    with pytest.raises(FeedError, match=r"GL line 1: 'many' is not a number"):
        parse_gamelog(line.replace(b",45787,", b",many,"), "GL")


@needs_fixtures
def test_thirteen_seasons_load_with_the_command_and_every_players_line_adds_up_to_the_game_logs(
    embedded, retrosheet_dir, capsys
):
    """``backfill retrosheet --source DIR`` loads every season in the folder: 30,054 games of
    2010-2022 and the 2019 event files' lines. For every 2019 game, each side's batters' runs,
    hits, walks, strikeouts and at-bats, and its pitchers' runs, hits and strikeouts allowed
    and earned runs, equal the game log's totals (goal: all of them)."""
    assert backfill.main(["retrosheet", "--source", str(retrosheet_dir)]) == 0
    out = capsys.readouterr().err
    assert "13 seasons" in out and "13 loaded, 0 with problems" in out
    wh = DuckDBWarehouse()
    games = wh.query("SELECT count(*) AS n, count(DISTINCT season) AS seasons FROM raw.retrosheet_games")[0]
    assert games == {"n": GAMES_2010_2022, "seasons": 13}
    sides = wh.query(ADDS_UP)[0]
    assert sides["sides"] == 2 * 2429
    assert sides["batting_adds_up"] == sides["sides"], sides
    assert sides["pitching_adds_up"] == sides["sides"], sides
    assert sides["earned_runs_add_up"] == sides["sides"], sides
    sources = wh.query(
        "SELECT DISTINCT source FROM raw.retrosheet_games"
        " UNION SELECT DISTINCT source FROM raw.retrosheet_batting_lines"
        " UNION SELECT DISTINCT source FROM raw.retrosheet_pitching_lines"
    )
    assert sources == [{"source": "retrosheet"}]
    # The raw zone keeps each file as received, once.
    from mlb_pipeline.landing import RawZone

    objects = {
        r["raw_object"]
        for r in wh.query("SELECT DISTINCT raw_object FROM raw.retrosheet_games WHERE season IN ('2019', '2020')")
    }
    assert len(objects) == 2 and all("/historical/retrosheet/20" in url for url in objects)
    kept = {RawZone.read(url) for url in objects}
    assert kept == {(retrosheet_dir / "gamelogs" / f"GL{y}.TXT").read_bytes() for y in (2019, 2020)}


@needs_fixtures
def test_a_season_loaded_again_changes_nothing_and_a_broken_file_is_quarantined_and_loads_nothing(
    embedded, retrosheet_dir, capsys
):
    from mlb_pipeline.settings import lake_url

    assert backfill.main(["retrosheet", "--source", str(retrosheet_dir), "--seasons", "2017-2018"]) == 0
    wh = DuckDBWarehouse()
    before = wh.table_checksums()
    lake = embedded / "lake"
    files = sorted(p for p in lake.rglob("*") if p.is_file())
    assert backfill.main(["retrosheet", "--source", str(retrosheet_dir), "--seasons", "2017-2018"]) == 0
    assert wh.table_checksums() == before and sorted(p for p in lake.rglob("*") if p.is_file()) == files
    assert lake_url() == lake.as_uri()

    # 2018's game log cut mid-line: quarantined with the reason, 2018 keeps what it had, 2017 loads.
    broken = retrosheet_dir / "gamelogs" / "GL2018.TXT"
    body = broken.read_bytes()
    broken.unlink()
    broken.write_bytes(body[: len(body) // 2])
    capsys.readouterr()
    assert backfill.main(["retrosheet", "--source", str(retrosheet_dir), "--seasons", "2017-2018"]) == 1
    err = capsys.readouterr().err
    assert "GL2018.TXT: quarantined" in err and "fields, a game log line has 161" in err
    assert wh.query("SELECT count(*) AS n FROM raw.retrosheet_games WHERE season = '2018'") == [{"n": 2431}]
    reasons = list((lake / "quarantine" / "2018" / "retrosheet").glob("*.reason.json"))
    assert len(reasons) == 1


@pytest.mark.unit
@needs_fixtures
def test_bad_arguments_get_one_line_and_exit_code_2(tmp_path, capsys):
    for argv, says in (
        (["retrosheet", "--source", str(tmp_path / "nowhere")], "is not a folder"),
        (["retrosheet", "--source", str(tmp_path)], "holds no gamelogs/GLyyyy.TXT"),
        (["retrosheet", "--source", str(RETROSHEET), "--seasons", "2005"], "has no files of 2005"),
        (["retrosheet", "--source", str(RETROSHEET), "--seasons", "twenty"], "give years"),
    ):
        with pytest.raises(SystemExit) as exited:
            backfill.main(argv)
        assert exited.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0], err


@needs_fixtures
def starter_form_differences(wh, season: int) -> int:
    """How many of ``season``'s starters' ``runs_allowed_30s`` differ from a recomputation in
    pandas from raw.retrosheet_games alone (what the club allowed in his earlier starts)."""
    logs = pd.DataFrame(wh.query("SELECT * FROM raw.retrosheet_games ORDER BY game_date, game_number"))
    logs["season"] = logs["season"].astype(int)
    starts = pd.concat(
        [
            pd.DataFrame(
                {
                    "retro_game_id": logs["retro_game_id"],
                    "side": side,
                    "date": logs["game_date"],
                    "season": logs["season"],
                    "pitcher": logs[f"{side}_starting_pitcher_id"],
                    "allowed": logs[f"{other}_score"],
                }
            )
            for side, other in (("home", "away"), ("away", "home"))
        ]
    )
    league = starts[starts["season"] == season - 1]["allowed"].mean()
    built = {
        (r["retro_game_id"], side): r[f"{side}_starter_runs_allowed_30s"]
        for r in wh.query(
            "SELECT r.retro_game_id, g.home_starter_runs_allowed_30s, g.away_starter_runs_allowed_30s "
            "FROM features.game_features AS g JOIN staging.stg_retrosheet_games AS r USING (game_pk) "
            "WHERE g.season = ?",
            [season],
        )
        for side in ("home", "away")
    }
    differ = 0
    for start in starts[starts["season"] == season].itertuples():
        earlier = starts[(starts["pitcher"] == start.pitcher) & (starts["date"] < start.date)]
        earlier = earlier.sort_values("date").tail(30)["allowed"]
        expected = (earlier.sum() + 8 * league) / (len(earlier) + 8)
        differ += not math.isclose(built[(start.retro_game_id, start.side)], expected, rel_tol=1e-9)
    return differ


def club_context_differences(wh, season: int) -> dict[str, int]:
    """How many of ``season``'s games' bullpen use (relievers in the 3 days before), park (runs a
    game at home over on the road, previous seasons), home edge (home win rate less road win rate,
    previous seasons) and travel (previous game in another park) differ from a recomputation in
    pandas from raw.retrosheet_games alone. Clubs by Retrosheet code: none moved in 2017-2019."""
    logs = pd.DataFrame(wh.query("SELECT * FROM raw.retrosheet_games ORDER BY game_date, game_number"))
    logs["season"] = logs["season"].astype(int)
    logs["date"] = pd.to_datetime(logs["game_date"])
    sides = pd.concat(
        [
            pd.DataFrame(
                {
                    "retro_game_id": logs["retro_game_id"],
                    "side": side,
                    "club": logs[f"{side}_team"],
                    "park": logs["home_team"],
                    "date": logs["date"],
                    "number": logs["game_number"],
                    "season": logs["season"],
                    "home": side == "home",
                    "won": logs[f"{side}_score"] > logs[f"{other}_score"],
                    "runs": logs["home_score"] + logs["away_score"],
                    "relievers": logs[f"{side}_pitchers_used"] - 1,
                }
            )
            for side, other in (("home", "away"), ("away", "home"))
        ]
    ).sort_values(["date", "number", "retro_game_id"])
    built = {
        r["retro_game_id"]: r
        for r in wh.query(
            "SELECT r.retro_game_id, g.* FROM features.game_features AS g "
            "JOIN staging.stg_retrosheet_games AS r USING (game_pk) WHERE g.season = ?",
            [season],
        )
    }
    differ = {"relievers": 0, "park": 0, "home_edge": 0, "travel": 0}
    before = sides[sides["season"] < season]
    home, road = before[before["home"]], before[~before["home"]]
    park = (home.groupby("club")["runs"].mean() / road.groupby("club")["runs"].mean()).to_dict()
    edge = (home.groupby("club")["won"].mean() - road.groupby("club")["won"].mean()).to_dict()
    previous_park = sides.groupby("club")["park"].shift(1)
    for row, previous in zip(sides.itertuples(), previous_park):
        if row.season != season:
            continue
        game = built[row.retro_game_id]
        mine = sides[(sides["club"] == row.club) & (sides["date"] < row.date)]
        relievers = mine[mine["date"] >= row.date - pd.Timedelta(days=3)]["relievers"].sum()
        differ["relievers"] += game[f"{row.side}_relievers_used_3d"] != relievers
        differ["home_edge"] += not math.isclose(game[f"{row.side}_home_field_edge_3y"], edge[row.club], abs_tol=1e-12)
        if row.home:
            differ["park"] += not math.isclose(game["home_park_run_factor_3y"], park[row.club], rel_tol=1e-12)
        differ["travel"] += game[f"{row.side}_travelled"] != int(previous != row.park)
    return differ


def test_real_seasons_reach_the_features_and_the_model_is_judged_on_them(embedded, retrosheet_dir, tmp_path):
    """dbt conforms Retrosheet's games (clubs mapped to the Stats API's franchises, a negative
    game_pk) into the intermediate and feature models the model reads, ``source`` saying which;
    what Retrosheet lacks is null, not zero: the bullpen without event files, the starters' form."""
    assert backfill.main(["retrosheet", "--source", str(retrosheet_dir), "--seasons", "2017-2019"]) == 0
    result = dbt("build", "--full-refresh", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    wh = DuckDBWarehouse()
    assert wh.query("SELECT source, count(*) AS n FROM intermediate.int_games GROUP BY source") == [
        {"source": "retrosheet", "n": 2430 + 2431 + 2429}
    ]
    features = wh.query(
        "SELECT season, count(*) AS games, count(home_win) AS outcomes, count(home_win_rate_30d) AS form,"
        " count(home_bullpen_era_30d) AS bullpen, count(home_starter_era_10g) AS starters,"
        " count(home_starter_runs_allowed_30s) AS starter_form,"
        " max(game_pk) < 0 AS negative_keys FROM features.game_features GROUP BY season ORDER BY season"
    )
    assert [f["games"] for f in features] == [2430, 2431, 2429] and all(f["outcomes"] == f["games"] for f in features)
    assert all(f["form"] > 0.95 * f["games"] and f["negative_keys"] for f in features)
    assert features[1]["bullpen"] == 0 and features[2]["bullpen"] > 0.9 * 2429  # event files for 2019 only
    assert all(f["starters"] == 0 for f in features)  # no Retrosheet -> MLBAM player crosswalk yet
    # the starters' form from their clubs' games: from the second season on (the first has no
    # league average before it to shrink toward)
    form = [f["starter_form"] for f in features]
    assert form[0] == 0 and form[1] == 2431 and form[2] == 2429, form
    # The Yankees' opening day 2019 (NYA201903280): the club ids of the Stats API, the outcome.
    game = wh.query(
        "SELECT g.home_team_id, g.away_team_id, g.home_win FROM features.game_features AS g"
        " JOIN staging.stg_retrosheet_games AS r USING (game_pk) WHERE r.retro_game_id = 'NYA201903280'"
    )
    assert game == [{"home_team_id": 147, "away_team_id": 110, "home_win": True}]

    # No leakage, checked by values on Retrosheet's rows: every game's home and away 30-day win rates,
    # recomputed from the game logs over the 30 days strictly before the game, equal what dbt built.
    recomputed = wh.query(WIN_RATE_30D_FROM_GAME_LOGS)[0]
    assert recomputed["games"] == 2430 + 2431 + 2429 and recomputed["differ"] == 0, recomputed
    # And the starters' form: each 2019 starter's runs allowed a start over his previous 30
    # starts, shrunk toward 2018's league (8 starts' worth), recomputed here from the game logs.
    assert starter_form_differences(wh, 2019) == 0
    # ...bullpen use, park and travel, likewise from the game logs alone
    assert club_context_differences(wh, 2019) == {"relievers": 0, "park": 0, "home_edge": 0, "travel": 0}

    # Judged on a real season: 2019 walked forward a week at a time (two seasons of training here,
    # to keep the test short), every game predicted by a version trained only on earlier games.
    from mlb_pipeline import backtest
    from mlb_pipeline.model import model_config

    result = backtest.run(wh, 2018, [2019], {**model_config(), "training_seasons": 2})
    p = result.predictions
    assert len(p) == 2429 and p["p_model"].between(0.05, 0.95).all()
    assert (pd.to_datetime(p["trained_through"]) < pd.to_datetime(p["game_date"])).all()
    assert 25 <= p["model_version"].nunique() <= 28  # retrained weekly
    scores = result.scores()["2019"]
    assert scores["always_home"]["brier"] == pytest.approx(0.2492, abs=0.002)
    assert scores["elo"]["brier"] < scores["always_home"]["brier"] and 0.5 < scores["model"]["accuracy"] < 0.6
    written = backtest.write_csv(result, wh, str(tmp_path / "backtest.csv"))
    rows = pd.read_csv(tmp_path / "backtest.csv")
    assert written == 2429 and list(rows.columns) == [
        "retro_game_id", "game_date", "home_team", "away_team", "game_number", "p_home", "model_version"
    ]  # fmt: skip
    assert rows.loc[
        rows["retro_game_id"] == "NYA201903280", ["home_team", "away_team", "game_number"]
    ].values.tolist() == [["NYA", "BAL", 0]]
    assert "pooled" in backtest.report(result)


@pytest.mark.unit
def test_backtest_arguments_that_cannot_work_get_one_line_and_exit_code_2(capsys):
    from mlb_pipeline import model

    for argv, says in (
        (["backtest", "--train-through", "2019", "--seasons", "2019,2020"], "must come after --train-through 2019"),
        (["backtest", "--train-through", "2018", "--seasons", "soon"], "give years"),
    ):
        with pytest.raises(SystemExit) as exited:
            model.main(argv)
        assert exited.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0], err
