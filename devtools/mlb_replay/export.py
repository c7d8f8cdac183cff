"""Write a simulated league's responses into a folder laid out as the recorded fixtures are.

    python -m mlb_replay export --seed 7 --season 2024 --out /tmp/sim-2024
    python -m mlb_replay export --seed 7 --season 2024 --from-date 2024-07-01 --to-date 2024-07-31 --out DIR
    python -m mlb_replay --recorded DIR

Why: benchmarks should measure the pipeline, not the double. Simulating a season once per
seed and serving it from files (``RecordedBackend``) takes the simulation out of every
request. Each file holds the exact bytes ``SimulatedBackend`` answers for one request, named
so that a rule of ``recorded_routes.yaml`` maps it back to that request.

Not exported (it stays simulated): ``/api/v1/game/changes?updatedSince=T`` (any instant),
schedules of arbitrary date ranges or game types, stats of ranges longer than a day, and
anything asked about before the game is final (``--today``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

from mlb_pipeline import arguments
from mlb_replay.server import SAVANT_DATE_QUERY, SAVANT_PATH, SimulatedBackend
from mlb_replay.simulate import League

STATS_PAGE_SIZE = 1000  # the page the pipeline asks for (mlb_pipeline.kinds.player_stats.PAGE_SIZE)
STAT_GROUPS = {"player": ("hitting", "pitching"), "team": ("hitting", "pitching", "fielding")}

Request = tuple[str, str, dict[str, str]]  # (file relative to the folder, path, query)


def season_requests(league: League, season: int, first: dt.date, last: dt.date) -> Iterator[Request]:
    """The requests answered once for the season or the whole range."""
    yield f"teams/teams_sportId1_season{season}.json", "/api/v1/teams", {"sportId": "1", "season": str(season)}
    yield f"meta/pe_seasons_{season}.json", f"/api/v1/seasons/{season}", {"sportId": "1"}
    yield (
        f"schedule/{first}_to_{last}.json",
        "/api/v1/schedule",
        {"sportId": "1", "startDate": str(first), "endDate": str(last), "hydrate": "probablePitcher"},
    )
    yield f"truth/truth_{season}.json", f"/__replay__/truth/{season}", {}


def day_requests(league: League, season: int, day: dt.date) -> Iterator[Request]:
    """Every request the daily pipeline sends for ``day`` (its schedule, the day's Statcast
    CSV, each listed game's feed, box score, line score and Statcast CSV, and that day's
    reference data)."""
    d = day.isoformat()
    yield f"schedule/{d}.json", "/api/v1/schedule", {"sportId": "1", "date": d, "hydrate": "probablePitcher"}
    yield (
        f"statcast_date/{d}.csv",
        SAVANT_PATH,
        {**SAVANT_DATE_QUERY, "game_date_gt": d, "game_date_lt": d, "hfGT": "R|PO|S|="},
    )
    for g in league.by_date.get(day, []):
        pk = g.game_pk
        yield f"feed_live/{pk}.json", f"/api/v1.1/game/{pk}/feed/live", {}
        yield f"boxscore/{pk}.json", f"/api/v1/game/{pk}/boxscore", {}
        yield f"linescore/{pk}.json", f"/api/v1/game/{pk}/linescore", {}
        yield (
            f"statcast/game_{pk}.csv",
            SAVANT_PATH,
            {"all": "true", "type": "details", "game_pk": str(pk)},
        )
    for team_id in sorted(league.teams):
        yield (
            f"rosters/{team_id}_active_{d}.json",
            f"/api/v1/teams/{team_id}/roster",
            {"rosterType": "active", "date": d},
        )
    yield (
        f"standings/standings_{season}_regularSeason_{d}.json",
        "/api/v1/standings",
        {"leagueId": "103,104", "season": str(season), "date": d, "standingsTypes": "regularSeason"},
    )
    yield f"transactions/ds_transactions_{d}_to_{d}.json", "/api/v1/transactions", {"startDate": d, "endDate": d}
    span = {"season": str(season), "sportIds": "1", "startDate": d, "endDate": d, "stats": "byDateRange"}
    for group in STAT_GROUPS["team"]:
        yield f"stats/team_{group}_{season}_{d}_to_{d}.json", "/api/v1/teams/stats", {**span, "group": group}
    for group in STAT_GROUPS["player"]:
        rows = league.player_stats_doc(group, day, day, 1, 0)["stats"][0]["totalSplits"]
        for offset in range(0, max(rows, 1), STATS_PAGE_SIZE):  # the pages the pipeline asks for
            page = {**span, "group": group, "playerPool": "ALL", "limit": str(STATS_PAGE_SIZE), "offset": str(offset)}
            yield (
                f"stats/player_{group}_{season}_{d}_to_{d}_limit{STATS_PAGE_SIZE}_offset{offset}.json",
                "/api/v1/stats",
                page,
            )


def export(league: League, season: int, first: dt.date, last: dt.date, out: Path) -> dict[str, int]:
    """Write every request's answer under ``out``; answers the double would 404 are left out
    (the folder 404s them too). Returns the number of files written a top-level folder."""
    backend = SimulatedBackend(league)
    written: dict[str, int] = {}

    def requests() -> Iterator[Request]:
        yield from season_requests(league, season, first, last)
        day = first
        while day <= last:
            yield from day_requests(league, season, day)
            day += dt.timedelta(days=1)

    for rel, path, query in requests():
        target = out / rel
        if target.exists() and rel.startswith(("feed_live/", "boxscore/", "linescore/", "statcast/")):
            continue  # a game listed on two dates (postponed, then played): written once
        answer = backend.respond(path, query)
        if answer is None:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(answer[1])
        folder = rel.split("/", 1)[0]
        written[folder] = written.get(folder, 0) + 1
    return written


def main(argv: list[str] | None = None, prog: str = "python -m mlb_replay export") -> int:
    ap = arguments.Parser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--season", type=arguments.year, required=True)
    ap.add_argument("--from-date", type=arguments.date, default=None, help="default: the season's first day")
    ap.add_argument("--to-date", type=arguments.date, default=None, help="default: the season's last day")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument(
        "--league",
        type=arguments.seasons,
        default=None,
        help="the seasons of the simulated league, e.g. 2021-2024 (default: --season alone); a season's "
        "team strengths follow from the league's first season, so export each season of a league with it",
    )
    args = ap.parse_args(argv)
    if args.from_date and args.to_date and args.to_date < args.from_date:
        ap.error(f"argument --to-date: {args.to_date} is before --from-date {args.from_date}")
    seasons = args.league or [args.season]
    if args.season not in seasons:
        ap.error(f"argument --season: {args.season} is not a season of --league {seasons[0]}-{seasons[-1]}")

    started = time.perf_counter()
    league = League(args.seed, seasons)
    days = sorted(d for d, games in league.by_date.items() if games[0].season == args.season)
    first, last = args.from_date or days[0], args.to_date or days[-1]
    written = export(league, args.season, first, last, args.out)
    took = time.perf_counter() - started
    print(f"{sum(written.values())} files {written} for {first}..{last} (seed {args.seed}) in {took:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
