"""A simulated league exported to files (``python -m mlb_replay export``) answers as the
simulation does: the folder, served by ``RecordedBackend``, gives the same bytes for every
request the pipeline sends for a day."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, urlencode, urlsplit

from conftest import collect_days

DAYS = (dt.date(2024, 7, 1), dt.date(2024, 7, 2))  # the day collected and the next (its schedule is asked)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _route_kind(target: str) -> str:
    """A request's route without its ids and values: /api/v1/teams/{n}/roster, ..."""
    path = re.sub(r"/\d+(?=/|$)", "/{n}", urlsplit(target).path)
    return f"{path}?{','.join(sorted(k for k, _ in parse_qsl(urlsplit(target).query)))}"


def test_exported_folder_answers_what_the_simulation_answers(simulated, league, tmp_path):
    from mlb_replay.export import export
    from mlb_replay.server import SAVANT_DATE_QUERY, RecordedBackend, ReplayServer

    written = export(league, 2024, *DAYS, tmp_path / "sim")
    collect_days(simulated, tmp_path / "warehouse.duckdb", (tmp_path / "lake").as_uri(), [DAYS[0].isoformat()])
    sent = [r["target"] for r in simulated.requests() if r["status"] == 200]
    kinds = {_route_kind(t) for t in sent}
    # every kind of request of a daily run: schedule, feeds, Savant and the reference data
    assert {
        "/api/v1/schedule?date,hydrate,sportId",
        "/api/v1.1/game/{n}/feed/live?",
        _route_kind(
            "/statcast_search/csv?" + urlencode({**SAVANT_DATE_QUERY, "game_date_gt": 1, "game_date_lt": 1, "hfGT": 1})
        ),
        "/api/v1/teams/{n}/roster?date,rosterType",
        "/api/v1/standings?date,leagueId,season,standingsTypes",
        "/api/v1/stats?endDate,group,limit,offset,playerPool,season,sportIds,startDate,stats",
        "/api/v1/teams/stats?endDate,group,season,sportIds,startDate,stats",
        "/api/v1/transactions?endDate,startDate",
        "/api/v1/teams?season,sportId",
        "/api/v1/seasons/{n}?sportId",
    } <= kinds, kinds
    assert written["feed_live"] == written["statcast"] == len(league.by_date[DAYS[0]]) + len(league.by_date[DAYS[1]])
    assert written["statcast_date"] == len(DAYS)

    # plus the routes the pipeline does not use on a day but the double serves per game / season
    # (Savant's one-game CSV: asked only when a date's CSV reaches the row cap)
    pk = league.by_date[DAYS[0]][0].game_pk
    also = [
        f"/api/v1/game/{pk}/boxscore",
        f"/api/v1/game/{pk}/linescore",
        f"/statcast_search/csv?all=true&type=details&game_pk={pk}",
        "/__replay__/truth/2024",
    ]
    with ReplayServer(RecordedBackend(tmp_path / "sim")) as files:
        for target in sorted(set(sent)) + also:
            assert _get(files.url + target) == _get(simulated.url + target), target
        # what was not exported is the API's 404, never a made-up answer
        day = min(d for d in league.by_date if d > DAYS[1])
        later = league.by_date[day][0].game_pk
        missing = [f"/api/v1.1/game/{later}/feed/live", f"/api/v1/schedule?sportId=1&date={day}"]
        assert [_get(simulated.url + t)[0] for t in missing] == [200, 200]  # the simulation knows that day
        assert [_get(files.url + t)[0] for t in missing] == [404, 404]  # outside the export: the API's 404
        # a schedule of dates not exported as that range (a backfill's chunk) is put together from
        # its dates' schedules, as the API lists them; a range reaching past the export is a 404
        chunk = f"/api/v1/schedule?sportId=1&startDate={DAYS[1]}&endDate={DAYS[1]}"
        status, body = _get(files.url + chunk)
        simulated_doc, files_doc = json.loads(_get(simulated.url + chunk)[1]), json.loads(body)
        assert status == 200 and files_doc["dates"] == simulated_doc["dates"]
        assert files_doc["totalGames"] == simulated_doc["totalGames"] == len(league.by_date[DAYS[1]])
        assert _get(files.url + f"/api/v1/schedule?sportId=1&startDate={DAYS[0]}&endDate={day}")[0] == 404
