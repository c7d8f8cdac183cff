"""A deterministic, seeded MLB league that answers like the Stats API.

For machines with no recorded data (a fresh clone has no ``../shared``): every season
has a spring training, a 2,430-game regular season (late March to late September) and a
postseason in October. Each team has a hidden strength; a game's true home-win
probability is ``sigmoid(strength_home - strength_away + home_edge)``, the winner is
drawn with exactly that probability, and the game is then played out pitch by pitch
(re-drawn until its winner is the drawn one). So :meth:`League.truth` is the best any
model can do, and every box score obeys the identities real ones do: line-score innings
sum to the runs and hits, team totals are the sums of player lines, one side's batting
is the other side's pitching, pitches in the play events are the pitchers' pitch counts,
and pitchers' outs are fielders' putouts.

Responses use the real responses' key names and nesting (a test compares them with the
recorded ones); they leave out parts the pipeline does not read (season stats). Game
conditions (venue, weather, attendance, duration, umpires) are drawn from their own seeded
generator, so adding them changed no other simulated value.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import io
import math
import random
import uuid
from pathlib import Path

import yaml

COPYRIGHT = "Copyright 2026 MLB Advanced Media, L.P.  Simulated data from mlb-pipeline's replay server."
HOME_EDGE = 0.15
# Game conditions: the clubs whose park has a roof (public facts; the rest are open air),
# a typical temperature (F) by month, and the umpire positions of a regular-season crew.
ROOF_TYPES = {139: "Dome", 109: "Retractable", 117: "Retractable", 136: "Retractable", 140: "Retractable",
              141: "Retractable", 146: "Retractable", 158: "Retractable"}  # fmt: skip
MONTH_TEMPERATURE = {2: 62, 3: 60, 4: 63, 5: 70, 6: 77, 7: 81, 8: 80, 9: 74, 10: 64, 11: 58}
UMPIRE_POSITIONS = ["Home Plate", "First Base", "Second Base", "Third Base"]
POSTSEASON_UMPIRE_POSITIONS = [*UMPIRE_POSITIONS, "Left Field", "Right Field"]
# How a game ends in its live feed (mlb_replay.live): "Game Over" a few minutes after the last
# out, "Final" some minutes later; a final feed's metaData.timeStamp is that moment.
GAME_OVER_AFTER = dt.timedelta(minutes=3)
FINAL_AFTER = dt.timedelta(minutes=10)
RAIN_DELAY_SHARE = 0.27  # of games at open-air parks (22 of 30): about one game in five
WIND_DIRECTIONS = ["Out To CF", "Out To LF", "Out To RF", "In From CF", "In From LF", "In From RF", "L To R", "R To L"]
POSITIONS = {
    "1": ("Pitcher", "Pitcher", "P"),
    "2": ("Catcher", "Catcher", "C"),
    "3": ("First Base", "Infielder", "1B"),
    "4": ("Second Base", "Infielder", "2B"),
    "5": ("Third Base", "Infielder", "3B"),
    "6": ("Shortstop", "Infielder", "SS"),
    "7": ("Outfielder", "Outfielder", "LF"),
    "8": ("Outfielder", "Outfielder", "CF"),
    "9": ("Outfielder", "Outfielder", "RF"),
    "10": ("Designated Hitter", "Hitter", "DH"),
}
LINEUP_POSITIONS = ["8", "6", "3", "10", "5", "9", "4", "7", "2"]
BENCH_POSITIONS = ["2", "4", "5", "7"]
PITCH_TYPES = [
    ("FF", "Four-Seam Fastball", 94.5),
    ("SI", "Sinker", 93.5),
    ("SL", "Slider", 85.5),
    ("CH", "Changeup", 86.0),
    ("CU", "Curveball", 79.5),
    ("FC", "Cutter", 89.0),
]
# The columns of Baseball Savant's Statcast CSV, as recorded (it names "pitcher" and
# "fielder_2" twice, with the same value in both).
SAVANT_COLUMNS = [
    "pitch_type",
    "game_date",
    "release_speed",
    "release_pos_x",
    "release_pos_z",
    "player_name",
    "batter",
    "pitcher",
    "events",
    "description",
    "spin_dir",
    "spin_rate_deprecated",
    "break_angle_deprecated",
    "break_length_deprecated",
    "zone",
    "des",
    "game_type",
    "stand",
    "p_throws",
    "home_team",
    "away_team",
    "type",
    "hit_location",
    "bb_type",
    "balls",
    "strikes",
    "game_year",
    "pfx_x",
    "pfx_z",
    "plate_x",
    "plate_z",
    "on_3b",
    "on_2b",
    "on_1b",
    "outs_when_up",
    "inning",
    "inning_topbot",
    "hc_x",
    "hc_y",
    "tfs_deprecated",
    "tfs_zulu_deprecated",
    "fielder_2",
    "umpire",
    "sv_id",
    "vx0",
    "vy0",
    "vz0",
    "ax",
    "ay",
    "az",
    "sz_top",
    "sz_bot",
    "hit_distance_sc",
    "launch_speed",
    "launch_angle",
    "effective_speed",
    "release_spin_rate",
    "release_extension",
    "game_pk",
    "pitcher",
    "fielder_2",
    "fielder_3",
    "fielder_4",
    "fielder_5",
    "fielder_6",
    "fielder_7",
    "fielder_8",
    "fielder_9",
    "release_pos_y",
    "estimated_ba_using_speedangle",
    "estimated_woba_using_speedangle",
    "woba_value",
    "woba_denom",
    "babip_value",
    "iso_value",
    "launch_speed_angle",
    "at_bat_number",
    "pitch_number",
    "pitch_name",
    "home_score",
    "away_score",
    "bat_score",
    "fld_score",
    "post_away_score",
    "post_home_score",
    "post_bat_score",
    "post_fld_score",
    "if_fielding_alignment",
    "of_fielding_alignment",
]  # noqa: E501
SAVANT_DESCRIPTIONS = {
    "B": "ball",
    "C": "called_strike",
    "S": "swinging_strike",
    "F": "foul",
    "X": "hit_into_play",
    "D": "hit_into_play",
    "E": "hit_into_play",
    "H": "hit_by_pitch",
}
CALLS = {
    "B": "Ball",
    "C": "Called Strike",
    "S": "Swinging Strike",
    "F": "Foul",
    "X": "In play, out(s)",
    "D": "In play, no out",
    "E": "In play, run(s)",
    "H": "Hit By Pitch",
}
FIRST = [
    "Alex",
    "Ben",
    "Carlos",
    "Dan",
    "Eli",
    "Felix",
    "Gabe",
    "Hector",
    "Ian",
    "Jose",
    "Kyle",
    "Luis",
    "Matt",
    "Nico",
    "Omar",
    "Pablo",
    "Quinn",
    "Rafael",
    "Sam",
    "Tyler",
    "Victor",
    "Will",
    "Yusei",
    "Zack",
]
LAST = [
    "Abreu",
    "Baker",
    "Castro",
    "Diaz",
    "Evans",
    "Flores",
    "Garcia",
    "Hayes",
    "Ito",
    "Jones",
    "Kim",
    "Lopez",
    "Miller",
    "Nunez",
    "Ortiz",
    "Perez",
    "Quintana",
    "Reyes",
    "Smith",
    "Torres",
    "Urias",
    "Vega",
    "Walker",
    "Young",
]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _ref(pid: int, name: str | None = None) -> dict:
    ref = {"id": pid}
    if name:
        ref["fullName"] = name
    ref["link"] = f"/api/v1/people/{pid}"
    return ref


@dataclasses.dataclass
class Player:
    id: int
    name: str
    number: str
    position: str  # code, "1" for pitchers
    role: str  # SP, RP, or the lineup/bench position code
    skill: float
    bats: str
    throws: str


@dataclasses.dataclass
class Game:
    game_pk: int
    season: int
    official_date: dt.date
    game_type: str
    home: int
    away: int
    game_number: int = 1
    double_header: str = "N"
    home_starter: int = 0
    away_starter: int = 0
    p_home: float = 0.5
    home_wins: bool = True
    series_description: str = "Regular Season"
    games_in_series: int = 3
    series_game_number: int = 1
    postponed_from: dt.date | None = None  # rained out that day, made up on official_date
    resumed_on: dt.date | None = None  # suspended on official_date, finished on this later date

    def game_datetime(self, utc_offset: int) -> dt.datetime:
        """First pitch in UTC: 1:05 pm local for day games, 7:05 pm for night games.
        West-coast night games start after midnight UTC, on the next calendar day."""
        local_hour = 13 if self.game_number == 1 and self.double_header == "S" else 19
        if self.double_header == "S" and self.game_number == 2:
            local_hour = 18
        local = dt.datetime.combine(self.official_date, dt.time(local_hour, 5))
        return (local - dt.timedelta(hours=utc_offset)).replace(tzinfo=dt.UTC)


class League:
    """All simulated seasons of one seed. Cheap to build (no game is played until asked)."""

    def __init__(self, seed: int, seasons: list[int], today: dt.date | None = None):
        self.seed = seed
        self.seasons = sorted(seasons)
        self.today = today
        data = yaml.safe_load((Path(__file__).with_name("teams.yaml")).read_text())
        self.leagues, self.divisions = data["leagues"], data["divisions"]
        self.teams = {t["id"]: t for t in data["teams"]}
        self.rosters = self._make_rosters()
        self.players = {p.id: (tid, p) for tid, ps in self.rosters.items() for p in ps}
        self.strength: dict[int, dict[int, float]] = {}
        prev = {tid: 0.0 for tid in self.teams}
        for season in range(self.seasons[0] - 1, self.seasons[-1] + 1):
            rng = random.Random(f"{seed}:{season}:strength")
            prev = {tid: 0.6 * prev[tid] + rng.gauss(0, 0.26) for tid in sorted(self.teams)}
            self.strength[season] = prev
        self.games: dict[int, Game] = {}
        self.by_date: dict[dt.date, list[Game]] = {}
        self.corrections: dict[int, dt.datetime] = {}  # game -> when its official scorer changed it
        for season in self.seasons:
            self._make_season(season)

    # ------------------------------------------------------------------ rosters ----
    def _make_rosters(self) -> dict[int, list[Player]]:
        rosters = {}
        for tid in sorted(self.teams):
            rng = random.Random(f"{self.seed}:roster:{tid}")
            players, base = [], 600000 + (tid - 100) * 50
            roles = ["SP"] * 5 + ["RP"] * 8 + LINEUP_POSITIONS + BENCH_POSITIONS
            for k, role in enumerate(roles):
                pos = "1" if role in ("SP", "RP") else role
                skill = rng.gauss(0.12 if role == "SP" else 0.0, 0.12) if pos == "1" else rng.gauss(0, 0.12)
                players.append(
                    Player(
                        id=base + k,
                        name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                        number=str(rng.randint(1, 99)),
                        position=pos,
                        role=role,
                        skill=skill if k < 22 else skill - 0.1,
                        bats=rng.choice("RRL"),
                        throws=rng.choice("RRL"),
                    )
                )
            rosters[tid] = players
        return rosters

    def _pk(self, season: int, n: int) -> int:
        return (season % 100) * 100000 + n

    # ----------------------------------------------------------------- calendar ----
    def calendar(self, season: int) -> dict:
        spring_start = dt.date(season, 2, 22)
        opening = dt.date(season, 3, 26)
        while opening.weekday() != 3:  # opening day is a Thursday
            opening += dt.timedelta(days=1)
        return {"spring_start": spring_start, "spring_end": opening - dt.timedelta(days=2), "opening": opening}

    def _make_season(self, season: int) -> None:
        cal = self.calendar(season)
        rng = random.Random(f"{self.seed}:{season}:schedule")
        team_ids = sorted(self.teams)
        n = 0
        rotation = {tid: 0 for tid in team_ids}

        def add(day, gtype, home, away, **kw):
            nonlocal n
            n += 1
            starters = {}
            for tid in (home, away):
                sps = [p for p in self.rosters[tid] if p.role == "SP"]
                starters[tid] = sps[rotation[tid] % 5].id
                rotation[tid] += 1
            g = Game(
                self._pk(season, n),
                season,
                day,
                gtype,
                home,
                away,
                home_starter=starters[home],
                away_starter=starters[away],
                **kw,
            )
            s = self.strength[season]
            g.p_home = _sigmoid(s[home] - s[away] + HOME_EDGE)
            g.home_wins = random.Random(f"{self.seed}:{g.game_pk}:winner").random() < g.p_home
            self.games[g.game_pk] = g
            self.by_date.setdefault(day, []).append(g)
            return g

        # Spring training: every team every day, random pairings.
        day = cal["spring_start"]
        while day <= cal["spring_end"]:
            order = team_ids[:]
            rng.shuffle(order)
            for i in range(0, 30, 2):
                add(day, "S", order[i], order[i + 1], series_description="Spring Training", games_in_series=1)
            day += dt.timedelta(days=1)
        # Regular season: 54 rounds of three-game series, an off day after every third round.
        day = cal["opening"]
        for rnd in range(54):
            order = team_ids[:]
            rng.shuffle(order)
            pairs = [(order[i], order[i + 1]) for i in range(0, 30, 2)]
            # In some rounds one series plays two on day 2: either its third game moves up
            # (a scheduled doubleheader) or its first is rained out and made up (postponed).
            doubleheader = rng.random() < 0.15
            rain = doubleheader and rng.random() < 0.5
            for g_idx in range(3):
                for p_idx, (h, a) in enumerate(pairs):
                    moved = doubleheader and p_idx == 0 and ((rain and g_idx == 0) or (not rain and g_idx == 2))
                    if moved:
                        continue
                    add(day + dt.timedelta(days=g_idx), "R", h, a, series_game_number=g_idx + 1)
                    if doubleheader and p_idx == 0 and g_idx == 1:
                        first = self.by_date[day + dt.timedelta(days=1)][-1]
                        first.double_header = "S"
                        made_up = add(
                            day + dt.timedelta(days=1),
                            "R",
                            h,
                            a,
                            game_number=2,
                            double_header="S",
                            series_game_number=1 if rain else 3,
                        )
                        if rain:
                            made_up.postponed_from = day
                            self.by_date.setdefault(day, []).append(made_up)
            day += dt.timedelta(days=3)
            if rnd % 3 == 2:
                day += dt.timedelta(days=1)
        self._suspend_some(season, rng)
        self._make_postseason(season, max(day + dt.timedelta(days=3), dt.date(season, 10, 1)), add)

    def _suspend_some(self, season: int, rng: random.Random, n: int = 4) -> None:
        """A few regular-season games are suspended part-way and finished the next time the
        same clubs meet at the same park, under the same gamePk."""
        regular = sorted(
            (g for g in self.games.values() if g.season == season and g.game_type == "R" and g.postponed_from is None),
            key=lambda g: g.game_pk,
        )
        later = {}
        for g in regular:
            later.setdefault((g.home, g.away), []).append(g)
        for g in rng.sample(regular, len(regular)):
            if n == 0:
                break
            nxt = [h for h in later[(g.home, g.away)] if h.official_date > g.official_date + dt.timedelta(days=1)]
            if nxt and g.double_header == "N":
                g.resumed_on = nxt[0].official_date
                self.by_date.setdefault(g.resumed_on, []).append(g)
                n -= 1

    def _make_postseason(self, season: int, start: dt.date, add) -> None:
        wins = {tid: 0 for tid in self.teams}
        for g in self.games.values():
            if g.season == season and g.game_type == "R":
                wins[g.home if g.home_wins else g.away] += 1
        day = start
        bracket = {}
        for league in (103, 104):
            ranked = sorted(
                (t for t in self.teams if self.divisions[self.teams[t]["division"]]["league"] == league),
                key=lambda t: (-wins[t], t),
            )[:6]
            bracket[league] = ranked

        def series(pairs, gtype, best_of, desc):
            nonlocal day
            alive = {pair: [0, 0] for pair in pairs}
            winners = {}
            game_no = 0
            while len(winners) < len(pairs):
                game_no += 1
                for pair in pairs:
                    if pair in winners:
                        continue
                    high, low = pair
                    home, away = (high, low) if game_no in (1, 2, 5, 7) else (low, high)
                    g = add(
                        day,
                        gtype,
                        home,
                        away,
                        series_description=desc,
                        games_in_series=best_of,
                        series_game_number=game_no,
                    )
                    winner = g.home if g.home_wins else g.away
                    alive[pair][0 if winner == high else 1] += 1
                    if max(alive[pair]) > best_of // 2:
                        winners[pair] = winner
                day += dt.timedelta(days=1)
            day += dt.timedelta(days=1)
            return [winners[p] for p in pairs]

        wc = {lg: series([(b[2], b[5]), (b[3], b[4])], "F", 3, "Wild Card Game") for lg, b in bracket.items()}
        ds = {
            lg: series([(bracket[lg][0], wc[lg][1]), (bracket[lg][1], wc[lg][0])], "D", 5, "Division Series")
            for lg in bracket
        }
        cs = {
            lg: series([tuple(sorted(ds[lg], key=lambda t: -wins[t]))], "L", 7, "League Championship Series")[0]
            for lg in bracket
        }
        series([tuple(sorted(cs.values(), key=lambda t: -wins[t]))], "W", 7, "World Series")

    def played_on(self, day: dt.date) -> list[Game]:
        """The games played on ``day`` (not the rained-out ones listed that day)."""
        return [g for g in self.by_date.get(day, []) if g.official_date == day]

    # --------------------------------------------------------------- the truth ----
    def truth(self, season: int) -> list[dict]:
        return [
            {
                "gamePk": g.game_pk,
                "officialDate": g.official_date.isoformat(),
                "gameType": g.game_type,
                "homeTeamId": g.home,
                "awayTeamId": g.away,
                "homeWinProbability": round(g.p_home, 6),
                "homeStrength": round(self.strength[season][g.home], 6),
                "awayStrength": round(self.strength[season][g.away], 6),
            }
            for g in sorted(self.games.values(), key=lambda g: g.game_pk)
            if g.season == season
        ]

    def is_final(self, g: Game) -> bool:
        return self.today is None or (g.resumed_on or g.official_date) < self.today

    def is_suspended(self, g: Game) -> bool:
        """Suspended, and not yet resumed: its original date has passed, its resumption not."""
        return g.resumed_on is not None and not self.is_final(g) and g.official_date < self.today

    # ---------------------------------------------------------------- responses ----
    def team_ref(self, tid: int, full: bool = False, season: int | None = None) -> dict:
        t = self.teams[tid]
        ref = {"id": tid, "name": t["name"], "link": f"/api/v1/teams/{tid}"}
        if full:
            div = self.divisions[t["division"]]
            lg = self.leagues[div["league"]]
            ref.update(
                {
                    "season": season,
                    "venue": {
                        "id": 5000 + tid,
                        "name": f"{t['location']} Ballpark",
                        "link": f"/api/v1/venues/{5000 + tid}",
                    },
                    "teamCode": t["abbreviation"].lower(),
                    "fileCode": t["abbreviation"].lower(),
                    "abbreviation": t["abbreviation"],
                    "teamName": t["club"],
                    "locationName": t["location"],
                    "league": {"id": div["league"], "name": lg["name"], "link": f"/api/v1/league/{div['league']}"},
                    "division": {
                        "id": t["division"],
                        "name": div["name"],
                        "link": f"/api/v1/divisions/{t['division']}",
                    },
                    "sport": {"id": 1, "link": "/api/v1/sports/1", "name": "Major League Baseball"},
                    "shortName": t["location"],
                    "franchiseName": t["location"],
                    "clubName": t["club"],
                    "active": True,
                }
            )
        return ref

    def teams_doc(self, season: int) -> dict:
        return {"copyright": COPYRIGHT, "teams": [self.team_ref(t, True, season) for t in sorted(self.teams)]}

    def seasons_doc(self, season: int) -> dict | None:
        if season not in self.seasons:
            return None
        cal = self.calendar(season)
        dates = [g.official_date for g in self.games.values() if g.season == season]
        reg = [g.official_date for g in self.games.values() if g.season == season and g.game_type == "R"]
        post = [g.official_date for g in self.games.values() if g.season == season and g.game_type in "FDLW"]
        iso = dt.date.isoformat
        return {
            "copyright": COPYRIGHT,
            "seasons": [
                {
                    "seasonId": str(season),
                    "hasWildcard": True,
                    "preSeasonStartDate": f"{season}-01-01",
                    "preSeasonEndDate": iso(cal["spring_start"] - dt.timedelta(days=1)),
                    "seasonStartDate": iso(cal["spring_start"]),
                    "springStartDate": iso(cal["spring_start"]),
                    "springEndDate": iso(cal["spring_end"]),
                    "regularSeasonStartDate": iso(min(reg)),
                    "regularSeasonEndDate": iso(max(reg)),
                    "postSeasonStartDate": iso(min(post)),
                    "postSeasonEndDate": iso(max(post)),
                    "seasonEndDate": iso(max(dates)),
                    "offseasonStartDate": iso(max(dates) + dt.timedelta(days=1)),
                    "offSeasonEndDate": f"{season}-12-31",
                }
            ],
        }

    def standings_doc(self, season: int, date: dt.date) -> dict | None:
        """Regular-season standings after the games of ``date``."""
        if season not in self.seasons:
            return None
        wins = {t: 0 for t in self.teams}
        losses = {t: 0 for t in self.teams}
        for g in self.games.values():
            if g.season != season or g.game_type != "R" or g.official_date > date or not self.is_final(g):
                continue
            winner, loser = (g.home, g.away) if g.home_wins else (g.away, g.home)
            wins[winner] += 1
            losses[loser] += 1
        records = []
        for div_id in sorted(self.divisions):
            div = self.divisions[div_id]
            members = sorted(
                (t for t in self.teams if self.teams[t]["division"] == div_id),
                key=lambda t: (-(wins[t] - losses[t]), t),
            )
            lead = wins[members[0]] - losses[members[0]]
            team_records = []
            for rank, t in enumerate(members, start=1):
                gp = wins[t] + losses[t]
                gb = (lead - (wins[t] - losses[t])) / 2
                team_records.append(
                    {
                        "team": {"id": t, "name": self.teams[t]["club"], "link": f"/api/v1/teams/{t}"},
                        "season": str(season),
                        "divisionRank": str(rank),
                        "gamesPlayed": gp,
                        "gamesBack": "-" if gb == 0 else f"{gb:.1f}",
                        "leagueRecord": {
                            "wins": wins[t],
                            "losses": losses[t],
                            "ties": 0,
                            "pct": f"{wins[t] / gp:.3f}".lstrip("0") if gp else ".000",
                        },
                        "wins": wins[t],
                        "losses": losses[t],
                        "winningPercentage": f"{wins[t] / gp:.3f}".lstrip("0") if gp else ".000",
                    }
                )
            records.append(
                {
                    "standingsType": "regularSeason",
                    "league": {"id": div["league"], "link": f"/api/v1/league/{div['league']}"},
                    "division": {"id": div_id, "link": f"/api/v1/divisions/{div_id}"},
                    "sport": {"id": 1, "link": "/api/v1/sports/1"},
                    "teamRecords": team_records,
                }
            )
        return {"copyright": COPYRIGHT, "records": records}

    TRANSACTION_TYPES = [
        ("SFA", "Signed as Free Agent", "signed free agent {who} to a minor league contract."),
        ("ASG", "Assigned", "assigned {who} to their minor league affiliate."),
        ("REL", "Released", "released {who}."),
    ]

    def transactions_doc(self, start: dt.date, end: dt.date) -> dict | None:
        """A few minor-league moves a day (signings, assignments, releases) of players who
        are not on the active rosters, so that rosters stay as simulated."""
        if (end - start).days > 31 or end < start:
            return None
        out, day = [], start
        while day <= end:
            rng = random.Random(f"{self.seed}:transactions:{day.isoformat()}")
            for k in range(rng.randint(1, 5)):
                tid = rng.choice(sorted(self.teams))
                code, desc, text = rng.choice(self.TRANSACTION_TYPES)
                pid = 900000 + rng.randrange(20000)
                who = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                team = self.team_ref(tid)
                entry = {"id": int(day.strftime("%Y%m%d")) * 10 + k, "person": _ref(pid, who)}
                entry["toTeam" if code != "REL" else "fromTeam"] = team
                entry.update(
                    {
                        "date": day.isoformat(),
                        "effectiveDate": day.isoformat(),
                        "resolutionDate": day.isoformat(),
                        "typeCode": code,
                        "typeDesc": desc,
                        "description": f"{self.teams[tid]['name']} " + text.format(who=who),
                    }
                )
                out.append(entry)
            day += dt.timedelta(days=1)
        return {"copyright": COPYRIGHT, "transactions": out}

    def roster_doc(self, team_id: int, date: dt.date, roster_type: str = "active") -> dict | None:
        """A club's roster on ``date``: the 26 active players, or (``40Man``) those and the
        14 others on the 40-man roster, who play in the minor leagues."""
        if team_id not in self.rosters or roster_type not in ("active", "40Man"):
            return None
        roster = []
        for p in self.rosters[team_id]:
            name, ptype, abbr = POSITIONS[p.position]
            roster.append(
                {
                    "person": _ref(p.id, p.name),
                    "jerseyNumber": p.number,
                    "position": {"code": p.position, "name": name, "type": ptype, "abbreviation": abbr},
                    "status": {"code": "A", "description": "Active"},
                    "parentTeamId": team_id,
                }
            )
        if roster_type == "40Man":
            rng = random.Random(f"{self.seed}:40man:{team_id}")
            base = self.rosters[team_id][0].id + len(self.rosters[team_id])
            for k in range(40 - len(roster)):
                pos = "1" if k < 8 else rng.choice(LINEUP_POSITIONS)
                name, ptype, abbr = POSITIONS[pos]
                roster.append(
                    {
                        "person": _ref(base + k, f"{rng.choice(FIRST)} {rng.choice(LAST)}"),
                        "jerseyNumber": str(rng.randint(1, 99)),
                        "position": {"code": pos, "name": name, "type": ptype, "abbreviation": abbr},
                        "status": {"code": "MIN", "description": "Minor League"},
                        "parentTeamId": team_id,
                    }
                )
        return {
            "copyright": COPYRIGHT,
            "roster": roster,
            "link": f"/api/v1/teams/{team_id}/roster",
            "teamId": team_id,
            "rosterType": roster_type,
        }

    # ----------------------------------------------------------------- stats ----
    GROUPS = {"hitting": "batting", "pitching": "pitching", "fielding": "fielding"}

    def _box_lines(self, start: dt.date, end: dt.date):
        """(team id, player id, player name, {group: stats}) for every player of every
        final game played from ``start`` to ``end``, and each team's totals."""
        day = start
        while day <= end:
            for g in self.played_on(day):
                if not self.is_final(g):
                    continue
                box = self._box_teams(g.game_pk)
                for side, tid in (("home", g.home), ("away", g.away)):
                    yield tid, None, None, box[side]["teamStats"]
                    for p in box[side]["players"].values():
                        yield tid, p["person"]["id"], p["person"]["fullName"], p["stats"]
            day += dt.timedelta(days=1)

    @functools.lru_cache(maxsize=4096)  # noqa: B019  (one League per process, alive as long as it)
    def _box_teams(self, game_pk: int) -> dict:
        """A final game's box score (read-only: shared by every stats request)."""
        return self.feed_doc(game_pk)["liveData"]["boxscore"]["teams"]

    @staticmethod
    def _add(total: dict, stat: dict) -> None:
        for k, v in stat.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                total[k] = total.get(k, 0) + v

    def _stats_block(self, group: str, splits: list[dict], total: int) -> dict:
        return {
            "copyright": COPYRIGHT,
            "stats": [
                {
                    "type": {"displayName": "byDateRange"},
                    "group": {"displayName": group},
                    "totalSplits": total,
                    "exemptions": [],
                    "splits": splits,
                }
            ],
        }

    def player_stats_doc(self, group: str, start: dt.date, end: dt.date, limit: int | None, offset: int) -> dict | None:
        """Every player who played (playerPool=ALL), paged like the API: 50 rows when no
        limit is given, which is the trap the real API sets."""
        if group not in ("hitting", "pitching") or (end - start).days > 6 or end < start:
            return None
        totals: dict[tuple[int, int], dict] = {}
        names = {}
        for tid, pid, name, stats in self._box_lines(start, end):
            line = stats.get(self.GROUPS[group]) if pid else None
            if not line:
                continue
            total = totals.setdefault((pid, tid), {"gamesPlayed": 0})
            names[pid] = name
            gp = total["gamesPlayed"] + 1
            self._add(total, {k: v for k, v in line.items() if k != "gamesPlayed"})
            total["gamesPlayed"] = gp
        rows = [
            {
                "season": str(start.year),
                "stat": stat,
                "team": self.team_ref(tid),
                "player": {"id": pid, "fullName": names[pid], "link": f"/api/v1/people/{pid}"},
                "sport": {"id": 1, "link": "/api/v1/sports/1"},
                "numTeams": 1,
            }
            for (pid, tid), stat in sorted(totals.items())
        ]
        page = rows[offset : offset + (50 if limit is None else limit)]
        return self._stats_block(group, page, len(rows))

    def team_stats_doc(self, group: str, start: dt.date, end: dt.date) -> dict | None:
        if group not in self.GROUPS or (end - start).days > 6 or end < start:
            return None
        totals: dict[int, dict] = {}
        for tid, pid, _, stats in self._box_lines(start, end):
            if pid is None:
                total = totals.setdefault(tid, {"gamesPlayed": 0})
                total["gamesPlayed"] += 1
                self._add(total, stats[self.GROUPS[group]])
        splits = [
            {"season": str(start.year), "stat": stat, "team": self.team_ref(tid)}
            for tid, stat in sorted(totals.items())
        ]
        return self._stats_block(group, splits, len(splits))

    def _status(self, g: Game) -> dict:
        if self.is_suspended(g):
            return {
                "abstractGameState": "Final",
                "codedGameState": "U",
                "detailedState": "Suspended: Rain",
                "statusCode": "UR",
                "startTimeTBD": False,
                "reason": "Rain",
                "abstractGameCode": "F",
            }
        if self.is_final(g):
            return {
                "abstractGameState": "Final",
                "codedGameState": "F",
                "detailedState": "Final",
                "statusCode": "F",
                "startTimeTBD": False,
                "abstractGameCode": "F",
            }
        return {
            "abstractGameState": "Preview",
            "codedGameState": "S",
            "detailedState": "Scheduled",
            "statusCode": "S",
            "startTimeTBD": False,
            "abstractGameCode": "P",
        }

    def schedule_game(
        self, g: Game, listed_on: dt.date | None = None, scores: bool = True, probable: bool = False
    ) -> dict:
        """A game as the schedule lists it on ``listed_on``; with ``probable`` (the request's
        ``hydrate=probablePitcher``), each club's announced starter (the one who starts)."""
        if listed_on is not None and g.postponed_from == listed_on:
            return self._postponed_entry(g)
        final = self.is_final(g)
        box = self.play(g.game_pk) if final and scores else None
        teams = {}
        for side, tid in (("away", g.away), ("home", g.home)):
            entry = {"team": self.team_ref(tid), "leagueRecord": {"wins": 0, "losses": 0, "pct": ".000"}}
            if box is not None:
                entry["score"] = box.runs[side]
                entry["isWinner"] = box.runs[side] > box.runs["away" if side == "home" else "home"]
            if probable:
                starter = g.home_starter if side == "home" else g.away_starter
                entry["probablePitcher"] = _ref(starter, self.players[starter][1].name)
            entry.update({"splitSquad": False, "seriesNumber": 1})
            teams[side] = entry
        offset = self.teams[g.home]["utc_offset"]
        resumption = g.resumed_on is not None and listed_on == g.resumed_on
        start = g.game_datetime(offset)
        # A suspended game resumes two hours before that day's own game between the clubs.
        resumes_at = (
            None
            if g.resumed_on is None
            else (start + (g.resumed_on - g.official_date) - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        entry = {
            "gamePk": g.game_pk,
            "link": f"/api/v1.1/game/{g.game_pk}/feed/live",
            "gameType": g.game_type,
            "season": str(g.season),
            "gameDate": resumes_at if resumption else start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "officialDate": g.official_date.isoformat(),
            "status": self._status(g),
            "teams": teams,
            "venue": {
                "id": 5000 + g.home,
                "name": f"{self.teams[g.home]['location']} Ballpark",
                "link": f"/api/v1/venues/{5000 + g.home}",
            },
            "content": {"link": f"/api/v1/game/{g.game_pk}/content"},
            "isTie": False,
            "gameNumber": g.game_number,
            "publicFacing": True,
            "doubleHeader": g.double_header,
            "gamedayType": "P",
            "tiebreaker": "N",
            "calendarEventID": f"14-{g.game_pk}-{g.official_date.isoformat()}",
            "seasonDisplay": str(g.season),
            "dayNight": "day" if g.game_datetime(offset).hour + offset < 17 else "night",
            "scheduledInnings": 9,
            "reverseHomeAwayStatus": False,
            "inningBreakLength": 120,
            "gamesInSeries": g.games_in_series,
            "seriesGameNumber": g.series_game_number,
            "seriesDescription": g.series_description,
            "recordSource": "S",
            "ifNecessary": "N",
            "ifNecessaryDescription": "Normal Game",
        }
        if resumption:
            entry.update(resumedFrom=start.strftime("%Y-%m-%dT%H:%M:%SZ"), resumedFromDate=g.official_date.isoformat())
        elif g.resumed_on is not None:
            entry.update(resumeDate=resumes_at, resumeGameDate=g.resumed_on.isoformat())
        return entry

    def _postponed_entry(self, g: Game) -> dict:
        """How the schedule lists a rained-out game on its original date: abstract state
        Final, coded state D, and the date it is made up on."""
        entry = self.schedule_game(dataclasses.replace(g, postponed_from=None, official_date=g.postponed_from))
        entry["status"] = {
            "abstractGameState": "Final",
            "codedGameState": "D",
            "detailedState": "Postponed",
            "statusCode": "DR",
            "startTimeTBD": False,
            "reason": "Rain",
            "abstractGameCode": "F",
        }
        for side in ("home", "away"):
            entry["teams"][side].pop("score", None)
            entry["teams"][side].pop("isWinner", None)
        entry["gameNumber"], entry["doubleHeader"] = 1, "N"
        entry["rescheduleDate"] = g.game_datetime(self.teams[g.home]["utc_offset"]).strftime("%Y-%m-%dT%H:%M:%SZ")
        entry["rescheduleGameDate"] = g.official_date.isoformat()
        return entry

    def schedule_doc(
        self,
        start: dt.date,
        end: dt.date,
        game_types: set[str] | None = None,
        scores: bool = True,
        probable: bool = False,
    ) -> dict:
        """The schedule of ``start`` to ``end``; without ``scores`` final games are listed
        without their score (a whole season's would mean simulating every game: minutes)."""
        dates, total = [], 0
        day = start
        while day <= end:
            games = [
                self.schedule_game(g, day, scores, probable)
                for g in self.by_date.get(day, [])
                if not game_types or g.game_type in game_types
            ]
            if games:
                dates.append(
                    {
                        "date": day.isoformat(),
                        "totalItems": len(games),
                        "totalEvents": 0,
                        "totalGames": len(games),
                        "totalGamesInProgress": 0,
                        "games": games,
                        "events": [],
                    }
                )
                total += len(games)
            day += dt.timedelta(days=1)
        return {
            "copyright": COPYRIGHT,
            "totalItems": total,
            "totalEvents": 0,
            "totalGames": total,
            "totalGamesInProgress": 0,
            "dates": dates,
        }

    # -------------------------------------------------------------- game feeds ----
    @functools.lru_cache(maxsize=256)  # noqa: B019  (one League per process, alive as long as it)
    def play(self, game_pk: int) -> PlayedGame:
        return self.replay(game_pk)

    def replay(self, game_pk: int, books: bool = False) -> PlayedGame:
        """The game played out (uncached); with ``books``, it keeps the stat books as they stood
        after each play (PlayedGame.books, for the live feed: mlb_replay.live)."""
        g = self.games[game_pk]
        for attempt in range(500):
            played = PlayedGame(self, g, random.Random(f"{self.seed}:{game_pk}:play:{attempt}"), books)
            if (played.runs["home"] > played.runs["away"]) == g.home_wins:
                return played
        raise RuntimeError(f"could not simulate game {game_pk} with the drawn winner")

    def rain_delay(self, g: Game) -> tuple[float, int] | None:
        """A rain delay of a game at an open-air park, or None: (when, as the share of its plays
        done; how long, 20 to 60 minutes). It holds up the live feed's later versions and the
        game's end (:meth:`final_time`), not its plays' times. From its own generator: no
        other simulated value moved."""
        rng = random.Random(f"{self.seed}:{g.game_pk}:rain")
        if g.home in ROOF_TYPES or rng.random() >= RAIN_DELAY_SHARE:
            return None
        return rng.random(), rng.randint(20, 60)

    def final_time(self, g: Game, played: PlayedGame) -> dt.datetime:
        """When a played game's feed turns Final: the last out, any rain delay, Game Over, then Final."""
        delay = self.rain_delay(g)
        return played.clock + dt.timedelta(minutes=delay[1] if delay else 0) + GAME_OVER_AFTER + FINAL_AFTER

    def venue_field_info(self, team_id: int) -> dict:
        """The home park's capacity and roof, the same every season."""
        rng = random.Random(f"{self.seed}:venue:{team_id}")
        return {
            "capacity": rng.randint(36000, 50000),
            "turfType": "Artificial Turf" if ROOF_TYPES.get(team_id) == "Dome" else "Grass",
            "roofType": ROOF_TYPES.get(team_id, "Open"),
        }

    def conditions(self, g: Game, played: PlayedGame) -> dict:
        """A played game's weather, crowd, duration and umpires, from their own generator:
        temperatures by month (warmer by day), a dome always closed at 72 F, a retractable
        roof closed on some days, the crowd under the park's capacity."""
        rng = random.Random(f"{self.seed}:{g.game_pk}:conditions")
        start = g.game_datetime(self.teams[g.home]["utc_offset"])
        day = start.hour + self.teams[g.home]["utc_offset"] < 17
        field = self.venue_field_info(g.home)
        roof = field["roofType"]
        if roof == "Dome" or (roof == "Retractable" and rng.random() < 0.4):
            weather = {"condition": "Dome" if roof == "Dome" else "Roof Closed", "temp": "72", "wind": "0 mph, None"}
        else:
            temp = MONTH_TEMPERATURE.get(g.official_date.month, 70) + (4 if day else -2) + rng.gauss(0, 6)
            speed = rng.randint(0, 18)
            sky = rng.choice(["Sunny" if day else "Clear", "Partly Cloudy", "Cloudy", "Overcast"])
            wind = f"{speed} mph, {rng.choice(WIND_DIRECTIONS)}" if speed else "0 mph, Calm"
            weather = {"condition": sky, "temp": str(round(min(105, max(35, temp)))), "wind": wind}
        crew = rng.sample(self.umpires, 6)
        positions = POSTSEASON_UMPIRE_POSITIONS if g.game_type in ("F", "D", "L", "W") else UMPIRE_POSITIONS
        minutes = (played.clock - start).total_seconds() / 60
        return {
            "weather": weather,
            "gameInfo": {
                "attendance": int(field["capacity"] * rng.uniform(0.45, 0.99)),
                "firstPitch": (start + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "gameDurationMinutes": int(min(300, max(90, minutes))),
            },
            "officials": [
                {"official": _ref(uid, name), "officialType": position}
                for (uid, name), position in zip(crew, positions)
            ],
        }

    @functools.cached_property
    def umpires(self) -> list[tuple[int, str]]:
        """The league's umpires: (id, name)."""
        rng = random.Random(f"{self.seed}:umpires")
        return [(427000 + k, f"{rng.choice(FIRST)} {rng.choice(LAST)}") for k in range(76)]

    def feed_doc(self, game_pk: int) -> dict | None:
        g = self.games.get(game_pk)
        if g is None:
            return None
        feed = PlayedGame.feed(self, g, self.play(game_pk) if self.is_final(g) else None)
        if game_pk in self.corrections:
            self._apply_correction(feed)
        return feed

    # ------------------------------------------------------- Baseball Savant ----
    def statcast_csv(self, game_pk: int) -> bytes | None:
        """Savant's Statcast CSV of one game, derived from its simulated feed: one row a
        pitch, newest first, in the columns of Savant's real CSV (those the simulation has
        no value for are empty). Before the game is final Savant has only the header."""
        g = self.games.get(game_pk)
        if g is None:
            return None
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(SAVANT_COLUMNS)
        if not self.is_final(g):
            return out.getvalue().encode()
        feed = self.feed_doc(game_pk)
        teams = feed["gameData"]["teams"]
        rows, score = [], (0, 0)
        for play in feed["liveData"]["plays"]["allPlays"]:
            about, matchup = play["about"], play["matchup"]
            top = about["isTopInning"]
            pitches = [e for e in play["playEvents"] if e.get("isPitch")]
            balls = strikes = 0
            outs = pitches[0]["count"]["outs"] if pitches else 0
            for i, e in enumerate(pitches):
                last = i == len(pitches) - 1
                code = e["details"]["code"]
                hit = e.get("hitData") or {}
                pd_ = e["pitchData"]
                row = dict.fromkeys(SAVANT_COLUMNS, "")
                row.update(
                    {
                        "pitch_type": e["details"]["type"]["code"],
                        "pitch_name": e["details"]["type"]["description"],
                        "game_date": g.official_date.isoformat(),
                        "release_speed": pd_["startSpeed"],
                        "effective_speed": pd_["startSpeed"],
                        "player_name": matchup["batter"]["fullName"],
                        "batter": matchup["batter"]["id"],
                        "pitcher": matchup["pitcher"]["id"],
                        "events": play["result"]["eventType"] if last else "",
                        "des": play["result"]["description"] if last else "",
                        "description": SAVANT_DESCRIPTIONS[code],
                        "zone": pd_["zone"],
                        "game_type": g.game_type,
                        "stand": matchup["batSide"]["code"],
                        "p_throws": matchup["pitchHand"]["code"],
                        "home_team": teams["home"]["abbreviation"],
                        "away_team": teams["away"]["abbreviation"],
                        "type": "X" if code in "XDE" else "B" if code in "BH" else "S",
                        "balls": balls,
                        "strikes": strikes,
                        "game_year": g.season,
                        "plate_x": pd_["coordinates"]["pX"],
                        "plate_z": pd_["coordinates"]["pZ"],
                        "outs_when_up": outs,
                        "inning": about["inning"],
                        "inning_topbot": "Top" if top else "Bot",
                        "sz_top": pd_["strikeZoneTop"],
                        "sz_bot": pd_["strikeZoneBottom"],
                        "launch_speed": hit.get("launchSpeed", ""),
                        "launch_angle": hit.get("launchAngle", ""),
                        "hit_distance_sc": hit.get("totalDistance", ""),
                        "bb_type": hit.get("trajectory", ""),
                        "release_spin_rate": pd_["breaks"]["spinRate"],
                        "release_extension": pd_["extension"],
                        "game_pk": game_pk,
                        "at_bat_number": about["atBatIndex"] + 1,
                        "pitch_number": i + 1,
                    }
                )
                rows.append(row)
                if code in "BH":
                    balls += 1
                elif code in "CS" or (code == "F" and strikes < 2):
                    strikes += 1
            # Savant gives the score before the plate appearance and after it.
            after = (play["result"]["awayScore"], play["result"]["homeScore"])
            for row in rows[len(rows) - len(pitches) :]:
                row.update(away_score=score[0], home_score=score[1], post_away_score=after[0], post_home_score=after[1])
            score = after
        for row in rows:
            bat_home = row["inning_topbot"] == "Bot"
            row.update(
                bat_score=row["home_score"] if bat_home else row["away_score"],
                fld_score=row["away_score"] if bat_home else row["home_score"],
                post_bat_score=row["post_home_score"] if bat_home else row["post_away_score"],
                post_fld_score=row["post_away_score"] if bat_home else row["post_home_score"],
            )
        for row in reversed(rows):  # Savant lists the newest pitch first
            writer.writerow([row[c] for c in SAVANT_COLUMNS])
        return out.getvalue().encode()

    # ----------------------------------------------------------- corrections ----
    def correct(self, game_pk: int, at: dt.datetime | None = None) -> None:
        """The official scorer changes a final game after the fact: one more RBI for its
        home leadoff hitter (team totals follow, so the box score stays consistent).
        ``/api/v1/game/changes?updatedSince=...`` lists it from ``at`` on."""
        self.corrections[game_pk] = at or dt.datetime.now(dt.UTC)

    @staticmethod
    def _apply_correction(feed: dict) -> None:
        team = feed["liveData"]["boxscore"]["teams"]["home"]
        leadoff = team["players"][f"ID{team['battingOrder'][0]}"]["stats"]["batting"]
        leadoff["rbi"] += 1
        team["teamStats"]["batting"]["rbi"] += 1

    def changes_doc(self, since: dt.datetime) -> dict:
        """Games changed since ``since``, listed as the schedule lists them."""
        games = [self.schedule_game(self.games[pk]) for pk, at in sorted(self.corrections.items()) if at >= since]
        dates = {}
        for g in games:
            dates.setdefault(g["officialDate"], []).append(g)
        return {
            "copyright": COPYRIGHT,
            "totalItems": len(games),
            "totalEvents": 0,
            "totalGames": len(games),
            "totalGamesInProgress": 0,
            "dates": [
                {
                    "date": d,
                    "totalItems": len(gs),
                    "totalEvents": 0,
                    "totalGames": len(gs),
                    "totalGamesInProgress": 0,
                    "games": gs,
                    "events": [],
                }
                for d, gs in sorted(dates.items())
            ],
        }

    def boxscore_doc(self, game_pk: int) -> dict | None:
        feed = self.feed_doc(game_pk)
        return None if feed is None else self.boxscore_of(feed)

    def boxscore_of(self, feed: dict) -> dict:
        """A feed's box score as /boxscore answers it, its clubs in full (the feed left as it is:
        the live feed's versions are cached)."""
        box = feed["liveData"]["boxscore"]
        g = self.games[feed["gamePk"]]
        club = {"home": g.home, "away": g.away}
        teams = {
            side: {**team, "team": self.team_ref(club[side], True, g.season)} for side, team in box["teams"].items()
        }
        return {"copyright": COPYRIGHT, **box, "teams": teams}

    def linescore_doc(self, game_pk: int) -> dict | None:
        feed = self.feed_doc(game_pk)
        return None if feed is None else self.linescore_of(feed)

    @staticmethod
    def linescore_of(feed: dict) -> dict:
        """A feed's line score as /linescore answers it: a final game's clubs say who won."""
        line = feed["liveData"]["linescore"]
        if "teams" in line and feed["gameData"]["status"]["codedGameState"] == "F":
            home, away = line["teams"]["home"], line["teams"]["away"]
            teams = {
                "home": {**home, "isWinner": home["runs"] > away["runs"]},
                "away": {**away, "isWinner": away["runs"] > home["runs"]},
            }
            line = {**line, "teams": teams}
        return {"copyright": COPYRIGHT, **line}


# ------------------------------------------------------------------------------------
# One game, pitch by pitch
# ------------------------------------------------------------------------------------
class PlayedGame:
    def __init__(self, league: League, g: Game, rng: random.Random, books: bool = False):
        self.league, self.g, self.rng = league, g, rng
        self.strength = league.strength[g.season]
        self.team_of = {"home": g.home, "away": g.away}
        self.lineup = {
            side: [p for p in league.rosters[tid] if p.role in LINEUP_POSITIONS] for side, tid in self.team_of.items()
        }
        for side in self.lineup:  # batting order: the roster order of lineup roles
            self.lineup[side].sort(key=lambda p: LINEUP_POSITIONS.index(p.role))
        self.bullpen = {side: [p for p in league.rosters[tid] if p.role == "RP"] for side, tid in self.team_of.items()}
        rng.shuffle(self.bullpen["home"])
        rng.shuffle(self.bullpen["away"])
        starters = {"home": g.home_starter, "away": g.away_starter}
        self.pitchers_used = {side: [league.players[starters[side]][1]] for side in starters}
        self.bat: dict[int, dict] = {}
        self.pit: dict[int, dict] = {}
        self.fld: dict[int, dict] = {}
        self.runs = {"home": 0, "away": 0}
        self.innings: list[dict] = []
        self.plays: list[dict] = []
        self.clock = g.game_datetime(league.teams[g.home]["utc_offset"]) + dt.timedelta(minutes=5)
        self.lead_change: tuple[str, int, int] | None = None  # (leading side, pitcher of side, opposing pitcher)
        # With ``books``: after each play, copies of the stat books and who has pitched (no
        # randomness drawn: the game is the same either way).
        self.books: list[dict] | None = [] if books else None
        self._simulate()

    # -- stat books -----------------------------------------------------------------
    def _b(self, pid: int) -> dict:
        return self.bat.setdefault(
            pid,
            dict.fromkeys(
                (
                    "pa",
                    "ab",
                    "r",
                    "h",
                    "d",
                    "t",
                    "hr",
                    "rbi",
                    "bb",
                    "so",
                    "hbp",
                    "sf",
                    "gidp",
                    "lob",
                    "go",
                    "fo",
                    "lo",
                    "po_out",
                    "tb",
                ),
                0,
            ),
        )

    def _p(self, pid: int) -> dict:
        return self.pit.setdefault(
            pid,
            dict.fromkeys(
                (
                    "outs",
                    "bf",
                    "h",
                    "r",
                    "er",
                    "bb",
                    "so",
                    "hr",
                    "hbp",
                    "pitches",
                    "strikes",
                    "balls",
                    "d",
                    "t",
                    "ab",
                    "go",
                    "fo",
                    "lo",
                    "po_out",
                    "rbi",
                    "sf",
                ),
                0,
            ),
        )

    def _f(self, pid: int) -> dict:
        return self.fld.setdefault(pid, {"po": 0, "a": 0})

    def _fielder(self, side: str, code: str) -> Player:
        if code == "1":
            return self.pitchers_used[side][-1]
        return next(p for p in self.lineup[side] if p.role == code)

    def _tick(self, seconds: float) -> str:
        self.clock += dt.timedelta(seconds=seconds)
        return self.clock.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.clock.microsecond // 1000:03d}Z"

    # -- the game ---------------------------------------------------------------------
    def _simulate(self) -> None:
        order = {"home": 0, "away": 0}
        inning = 0
        while True:
            inning += 1
            line = {"num": inning, "ordinalNum": _ordinal(inning)}
            for half, bat_side, fld_side in (("top", "away", "home"), ("bottom", "home", "away")):
                if half == "bottom" and inning >= 9 and self.runs["home"] > self.runs["away"]:
                    line["home"] = {}
                    break
                line[bat_side] = self._half_inning(inning, half, bat_side, fld_side, order)
                if half == "bottom" and inning >= 9 and self.runs["home"] > self.runs["away"]:
                    break
            self.innings.append(line)
            if inning >= 9 and self.runs["home"] != self.runs["away"]:
                break

    def _half_inning(self, inning, half, bat_side, fld_side, order) -> dict:
        outs, bases = 0, [None, None, None]
        half_runs, half_hits = 0, 0
        while outs < 3:
            self._maybe_change_pitcher(fld_side, inning, outs)
            batter = self.lineup[bat_side][order[bat_side] % 9]
            order[bat_side] += 1
            pitcher = self.pitchers_used[fld_side][-1]
            runs, outs_made, hit, bases = self._plate_appearance(
                inning, half, batter, pitcher, bat_side, fld_side, outs, bases
            )
            outs += outs_made
            half_runs += runs
            half_hits += hit
            if half == "bottom" and inning >= 9 and self.runs["home"] > self.runs["away"]:
                break
        lob = sum(1 for b in bases if b is not None) if outs >= 3 else 0
        return {"runs": half_runs, "hits": half_hits, "errors": 0, "leftOnBase": lob}

    def _maybe_change_pitcher(self, side: str, inning: int, outs: int) -> None:
        current = self.pitchers_used[side][-1]
        stats = self._p(current.id)
        starter = len(self.pitchers_used[side]) == 1
        limit = 96 if starter else 24
        tired = stats["pitches"] >= limit + self.rng.randint(-10, 10) or stats["r"] >= (6 if starter else 3)
        new_inning_for_reliever = not starter and outs == 0 and stats["outs"] >= 3
        if (tired or new_inning_for_reliever) and self.bullpen[side]:
            nxt = self.bullpen[side].pop(0)
            self.pitchers_used[side].append(nxt)
            self._pending_sub = (side, nxt)

    def _plate_appearance(self, inning, half, batter, pitcher, bat_side, fld_side, outs, bases):
        rng = self.rng
        edge = (
            (self.strength[self.team_of[bat_side]] - self.strength[self.team_of[fld_side]]) / 2
            + batter.skill
            - pitcher.skill
        )
        events, balls, strikes = [], 0, 0
        at_bat_index = len(self.plays)
        start = self._tick(30)
        sub = getattr(self, "_pending_sub", None)
        if sub and sub[0] == fld_side:
            events.append(
                {
                    "details": {
                        "description": f"Pitching Change: {sub[1].name} replaces "
                        f"{self.pitchers_used[fld_side][-2].name}.",
                        "event": "Pitching Substitution",
                        "eventType": "pitching_substitution",
                        "awayScore": self.runs["away"],
                        "homeScore": self.runs["home"],
                        "isScoringPlay": False,
                        "isOut": False,
                        "hasReview": False,
                    },
                    "count": {"balls": 0, "strikes": 0, "outs": outs},
                    "index": 0,
                    "startTime": start,
                    "endTime": self._tick(90),
                    "isPitch": False,
                    "type": "action",
                    "player": _ref(sub[1].id),
                }
            )
            self._pending_sub = None
        ps = self._p(pitcher.id)
        bs = self._b(batter.id)
        ps["bf"] += 1
        bs["pa"] += 1
        result = None
        pitch_number = 0
        while result is None:
            pitch_number += 1
            r = rng.random()
            p_ball = 0.355 - 0.03 * edge
            if r < 0.004:
                code = "H"
                result = "hit_by_pitch"
            elif r < 0.004 + p_ball:
                code, balls = "B", balls + 1
                if balls == 4:
                    result = "walk"
            elif r < 0.004 + p_ball + 0.215:
                code, strikes = rng.choice("CS"), strikes + 1
                if strikes == 3:
                    result = "strikeout"
            elif r < 0.004 + p_ball + 0.215 + 0.23:
                code = "F"
                strikes = min(2, strikes + 1)
            else:
                code = "X"
                result = "in_play"
            ps["pitches"] += 1
            if code in "BH":
                ps["balls"] += 1
            else:
                ps["strikes"] += 1
            pt = PITCH_TYPES[rng.randrange(len(PITCH_TYPES))]
            speed = round(pt[2] + rng.gauss(0, 1.4) + pitcher.skill * 3, 1)
            pitch = {
                "details": {
                    "call": {"code": code, "description": CALLS[code]},
                    "description": CALLS[code],
                    "code": code,
                    "isInPlay": code == "X",
                    "isStrike": code in "CSFX" and code != "X",
                    "isBall": code == "B",
                    "type": {"code": pt[0], "description": pt[1]},
                    "isOut": False,
                    "hasReview": False,
                },
                "count": {"balls": balls, "strikes": strikes, "outs": outs},
                "pitchData": {
                    "startSpeed": speed,
                    "endSpeed": round(speed - 6.5 - rng.random(), 1),
                    "strikeZoneTop": 3.4,
                    "strikeZoneBottom": 1.6,
                    "coordinates": {"pX": round(rng.gauss(0, 0.8), 3), "pZ": round(rng.gauss(2.5, 0.8), 3)},
                    "breaks": {"spinRate": int(rng.gauss(2250, 180)), "spinDirection": int(rng.uniform(0, 360))},
                    "zone": rng.randint(1, 14),
                    "typeConfidence": 2.0,
                    "plateTime": 0.4,
                    "extension": round(rng.gauss(6.3, 0.3), 2),
                },
                "index": len(events),
                "playId": str(uuid.UUID(int=rng.getrandbits(128))),
                "pitchNumber": pitch_number,
                "startTime": self._tick(18),
                "endTime": self._tick(4),
                "isPitch": True,
                "type": "pitch",
            }
            events.append(pitch)

        runs_before = dict(self.runs)
        runners, credits_pos, outs_made, hit, rbi = [], None, 0, 0, 0
        scorers: list[tuple[int, int]] = []  # (runner id, responsible pitcher)
        new_bases = list(bases)
        is_out = False
        if result == "in_play":
            p_hit = min(0.45, max(0.2, 0.33 + 0.15 * edge))
            u = rng.random()
            if u < p_hit:
                v = rng.random()
                result = (
                    "home_run"
                    if v < 0.13 + 0.05 * edge
                    else "triple"
                    if v < 0.15 + 0.05 * edge
                    else "double"
                    if v < 0.35
                    else "single"
                )
            else:
                v = rng.random()
                result = "ground_out" if v < 0.45 else "fly_out" if v < 0.8 else "line_out" if v < 0.9 else "pop_out"
        # -- advance the runners -----------------------------------------------------
        b = bases
        me = (batter.id, pitcher.id)
        if result in ("walk", "hit_by_pitch"):
            if b[0]:
                if b[1]:
                    if b[2]:
                        scorers.append(b[2])
                    new_bases[2] = b[1]
                new_bases[1] = b[0]
            new_bases[0] = me
        elif result == "single":
            hit = 1
            new_bases = [me, None, None]
            if b[2]:
                scorers.append(b[2])
            if b[1]:
                if rng.random() < 0.6:
                    scorers.append(b[1])
                else:
                    new_bases[2] = b[1]
            if b[0]:
                if new_bases[2] is None and rng.random() < 0.25:
                    new_bases[2] = b[0]
                else:
                    new_bases[1] = b[0]
        elif result == "double":
            hit = 1
            new_bases = [None, me, None]
            scorers += [r for r in (b[2], b[1]) if r]
            if b[0]:
                if rng.random() < 0.4:
                    scorers.append(b[0])
                else:
                    new_bases[2] = b[0]
        elif result == "triple":
            hit = 1
            scorers += [r for r in (b[2], b[1], b[0]) if r]
            new_bases = [None, None, me]
        elif result == "home_run":
            hit = 1
            scorers += [r for r in (b[2], b[1], b[0]) if r] + [me]
            new_bases = [None, None, None]
        elif result == "strikeout":
            outs_made, is_out, credits_pos = 1, True, [("2", "putout")]
        elif result == "ground_out":
            is_out = True
            fielder = rng.choice(["4", "5", "6", "1"])
            if b[0] and outs < 2 and rng.random() < 0.35:
                result, outs_made = "grounded_into_double_play", 2
                credits_pos = [(fielder, "assist"), ("4" if fielder != "4" else "6", "putout"), ("3", "putout")]
                new_bases = [None, b[1], b[2]]
            else:
                outs_made = 1
                credits_pos = [(fielder, "assist"), ("3", "putout")]
                new_bases = [None, b[1], b[2]]
                if b[0]:  # forced runners move up
                    if b[1]:
                        if b[2]:
                            scorers.append(b[2])
                        new_bases[2] = b[1]
                    new_bases[1] = b[0]
                elif b[2] and outs + 1 < 3 and rng.random() < 0.35:
                    scorers.append(b[2])
                    new_bases[2] = None
        elif result in ("fly_out", "line_out", "pop_out"):
            is_out, outs_made = True, 1
            pos = (
                rng.choice("789")
                if result == "fly_out"
                else rng.choice("3456789")
                if result == "line_out"
                else rng.choice("23456")
            )
            credits_pos = [(pos, "putout")]
            if result == "fly_out" and b[2] and outs + 1 < 3 and rng.random() < 0.5:
                result = "sac_fly"
                scorers.append(b[2])
                new_bases[2] = None
        if outs + outs_made >= 3:
            scorers = []  # the third out ends the inning before anyone crosses
        # -- books ----------------------------------------------------------------------
        n_runs = len(scorers)
        if result not in ("grounded_into_double_play",):
            rbi = n_runs
        self.runs[bat_side] += n_runs
        for rid, resp in scorers:
            self._b(rid)["r"] += 1
            self._p(resp)["r"] += 1
            self._p(resp)["er"] += 1
        bs["rbi"] += rbi
        ps["rbi"] += rbi
        ps["outs"] += outs_made
        if result in ("walk",):
            bs["bb"] += 1
            ps["bb"] += 1
        elif result == "hit_by_pitch":
            bs["hbp"] += 1
            ps["hbp"] += 1
        elif result == "sac_fly":
            bs["sf"] += 1
            ps["sf"] += 1
            bs["fo"] += 1
            ps["fo"] += 1
        else:
            bs["ab"] += 1
            ps["ab"] += 1
        if hit:
            bs["h"] += 1
            ps["h"] += 1
            tb = {"single": 1, "double": 2, "triple": 3, "home_run": 4}[result]
            bs["tb"] += tb
            key = {"double": "d", "triple": "t", "home_run": "hr"}.get(result)
            if key:
                bs[key] += 1
                ps[key] += 1
        if result == "strikeout":
            bs["so"] += 1
            ps["so"] += 1
        if result in ("ground_out", "grounded_into_double_play"):
            bs["go"] += 1
            ps["go"] += 1
        if result == "grounded_into_double_play":
            bs["gidp"] += 1
        if result == "fly_out":
            bs["fo"] += 1
            ps["fo"] += 1
        if result == "line_out":
            bs["lo"] += 1
            ps["lo"] += 1
        if result == "pop_out":
            bs["po_out"] += 1
            ps["po_out"] += 1
        if is_out:
            bs["lob"] += sum(1 for x in new_bases if x is not None)
        credits = []
        for pos, kind in credits_pos or []:
            fielder = self._fielder(fld_side, pos)
            self._f(fielder.id)["po" if kind == "putout" else "a"] += 1
            name, ptype, abbr = POSITIONS[pos]
            credits.append(
                {
                    "player": _ref(fielder.id),
                    "position": {"code": pos, "name": name, "type": ptype, "abbreviation": abbr},
                    "credit": f"f_{kind}",
                }
            )
        # -- the play record --------------------------------------------------------------
        last = events[-1]
        is_in_play = last["details"]["code"] == "X"
        if is_in_play:
            last["details"]["call"]["code"] = last["details"]["code"] = "X" if is_out else ("E" if n_runs else "D")
            last["details"]["call"]["description"] = last["details"]["description"] = CALLS[last["details"]["code"]]
            last["details"]["isOut"] = is_out
            angle = {
                "ground_out": -8,
                "grounded_into_double_play": -10,
                "line_out": 14,
                "pop_out": 55,
                "fly_out": 32,
                "sac_fly": 34,
                "single": 9,
                "double": 18,
                "triple": 20,
                "home_run": 28,
            }[result]
            speed = round(min(121, max(40, rng.gauss(92 if hit else 84, 9))), 1)
            last["hitData"] = {
                "launchSpeed": speed,
                "launchAngle": float(angle + rng.randint(-6, 6)),
                "totalDistance": float(int(speed * (4.3 if result == "home_run" else 2.4))),
                "trajectory": "fly_ball" if angle > 25 else "line_drive" if angle > 10 else "ground_ball",
                "hardness": "hard" if speed > 95 else "medium",
                "location": str(rng.randint(1, 9)),
                "coordinates": {"coordX": round(rng.uniform(40, 210), 2), "coordY": round(rng.uniform(40, 200), 2)},
            }
        if result == "strikeout":
            last["details"]["isOut"] = True
        event_names = {
            "single": "Single",
            "double": "Double",
            "triple": "Triple",
            "home_run": "Home Run",
            "walk": "Walk",
            "hit_by_pitch": "Hit By Pitch",
            "strikeout": "Strikeout",
            "ground_out": "Groundout",
            "grounded_into_double_play": "Grounded Into DP",
            "fly_out": "Flyout",
            "line_out": "Lineout",
            "pop_out": "Pop Out",
            "sac_fly": "Sac Fly",
        }
        event_types = {
            "ground_out": "field_out",
            "fly_out": "field_out",
            "line_out": "field_out",
            "pop_out": "field_out",
            "grounded_into_double_play": "grounded_into_double_play",
        }
        for rid, _resp in scorers:
            runners.append(
                {
                    "movement": {
                        "originBase": None,
                        "start": None,
                        "end": "score",
                        "outBase": None,
                        "isOut": False,
                        "outNumber": None,
                    },
                    "details": {
                        "event": event_names[result],
                        "eventType": event_types.get(result, result),
                        "movementReason": None,
                        "runner": _ref(rid, self.league.players[rid][1].name),
                        "responsiblePitcher": _ref(_resp),
                        "isScoringEvent": True,
                        "rbi": rbi > 0,
                        "earned": True,
                        "teamUnearned": False,
                        "playIndex": len(events) - 1,
                    },
                    "credits": [],
                }
            )
        runners.append(
            {
                "movement": {
                    "originBase": None,
                    "start": None,
                    "end": None
                    if is_out
                    else (
                        "score"
                        if result == "home_run"
                        else {0: "1B", 1: "2B", 2: "3B"}.get(new_bases.index(me))
                        if me in new_bases
                        else None
                    ),
                    "outBase": "1B" if is_out else None,
                    "isOut": is_out,
                    "outNumber": outs + outs_made if is_out else None,
                },
                "details": {
                    "event": event_names[result],
                    "eventType": event_types.get(result, result),
                    "movementReason": None,
                    "runner": _ref(batter.id, batter.name),
                    "responsiblePitcher": None,
                    "isScoringEvent": result == "home_run",
                    "rbi": False,
                    "earned": False,
                    "teamUnearned": False,
                    "playIndex": len(events) - 1,
                },
                "credits": credits,
            }
        )
        # lead change bookkeeping, for the winning and losing pitchers
        lead_before = (runs_before["home"] > runs_before["away"]) - (runs_before["home"] < runs_before["away"])
        lead_after = (self.runs["home"] > self.runs["away"]) - (self.runs["home"] < self.runs["away"])
        if lead_after != lead_before and lead_after != 0:
            leader = "home" if lead_after > 0 else "away"
            self.lead_change = (leader, self.pitchers_used[leader][-1].id, pitcher.id)
        end = self._tick(6)
        self.plays.append(
            {
                "result": {
                    "type": "atBat",
                    "event": event_names[result],
                    "eventType": event_types.get(result, result),
                    "description": f"{batter.name}: {event_names[result].lower()}.",
                    "rbi": rbi,
                    "awayScore": self.runs["away"],
                    "homeScore": self.runs["home"],
                    "isOut": is_out,
                },
                "about": {
                    "atBatIndex": at_bat_index,
                    "halfInning": half,
                    "isTopInning": half == "top",
                    "inning": inning,
                    "startTime": start,
                    "endTime": end,
                    "isComplete": True,
                    "isScoringPlay": n_runs > 0,
                    "hasReview": False,
                    "hasOut": is_out,
                    "captivatingIndex": 0,
                },
                "count": {"balls": balls, "strikes": strikes, "outs": outs + outs_made},
                "matchup": {
                    "batter": _ref(batter.id, batter.name),
                    "batSide": {"code": batter.bats, "description": "Right" if batter.bats == "R" else "Left"},
                    "pitcher": _ref(pitcher.id, pitcher.name),
                    "pitchHand": {"code": pitcher.throws, "description": "Right" if pitcher.throws == "R" else "Left"},
                    "batterHotColdZones": [],
                    "pitcherHotColdZones": [],
                    "splits": {
                        "batter": f"vs_{pitcher.throws}HP",
                        "pitcher": f"vs_{batter.bats}HB",
                        "menOnBase": "Empty" if not any(bases) else "Men_On",
                    },
                },
                "pitchIndex": [e["index"] for e in events if e["isPitch"]],
                "actionIndex": [e["index"] for e in events if not e["isPitch"]],
                "runnerIndex": list(range(len(runners))),
                "runners": runners,
                "playEvents": events,
                "playEndTime": end,
                "atBatIndex": at_bat_index,
            }
        )
        if self.books is not None:
            self.books.append(
                {
                    "bat": {pid: dict(s) for pid, s in self.bat.items()},
                    "pit": {pid: dict(s) for pid, s in self.pit.items()},
                    "fld": {pid: dict(s) for pid, s in self.fld.items()},
                    "runs": dict(self.runs),
                    "pitchers_used": {side: list(ps) for side, ps in self.pitchers_used.items()},
                }
            )
        return n_runs, outs_made, hit, new_bases

    # ------------------------------------------------------------ the documents ----
    def decisions(self) -> dict:
        winner_side = "home" if self.runs["home"] > self.runs["away"] else "away"
        loser_side = "away" if winner_side == "home" else "home"
        if self.lead_change and self.lead_change[0] == winner_side:
            win_pid, lose_pid = self.lead_change[1], self.lead_change[2]
        else:
            win_pid, lose_pid = self.pitchers_used[winner_side][0].id, self.pitchers_used[loser_side][0].id
        out = {
            "winner": _ref(win_pid, self.league.players[win_pid][1].name),
            "loser": _ref(lose_pid, self.league.players[lose_pid][1].name),
        }
        closer = self.pitchers_used[winner_side][-1]
        margin = abs(self.runs["home"] - self.runs["away"])
        if closer.id != win_pid and margin <= 3 and self._p(closer.id)["outs"] >= 3:
            out["save"] = _ref(closer.id, closer.name)
        return out

    @staticmethod
    def _batting_dict(s: dict) -> dict:
        if not s:
            return {}
        return {
            "summary": f"{s['h']}-{s['ab']}",
            "gamesPlayed": 1,
            "flyOuts": s["fo"],
            "groundOuts": s["go"],
            "airOuts": s["fo"] + s["lo"] + s["po_out"],
            "runs": s["r"],
            "doubles": s["d"],
            "triples": s["t"],
            "homeRuns": s["hr"],
            "strikeOuts": s["so"],
            "baseOnBalls": s["bb"],
            "intentionalWalks": 0,
            "hits": s["h"],
            "hitByPitch": s["hbp"],
            "atBats": s["ab"],
            "caughtStealing": 0,
            "stolenBases": 0,
            "stolenBasePercentage": ".---",
            "groundIntoDoublePlay": s["gidp"],
            "groundIntoTriplePlay": 0,
            "plateAppearances": s["pa"],
            "totalBases": s["tb"],
            "rbi": s["rbi"],
            "leftOnBase": s["lob"],
            "sacBunts": 0,
            "sacFlies": s["sf"],
            "catchersInterference": 0,
            "pickoffs": 0,
            "atBatsPerHomeRun": "-.--",
            "popOuts": s["po_out"],
            "lineOuts": s["lo"],
        }

    @staticmethod
    def _pitching_dict(s: dict, started: bool, decisions: dict, pid: int) -> dict:
        if not s:
            return {}
        ip = f"{s['outs'] // 3}.{s['outs'] % 3}"
        dec = {k: v["id"] for k, v in decisions.items()}
        return {
            "summary": f"{ip} IP, {s['er']} ER, {s['so']} K, {s['bb']} BB",
            "gamesPlayed": 1,
            "gamesStarted": int(started),
            "flyOuts": s["fo"],
            "groundOuts": s["go"],
            "airOuts": s["fo"] + s["lo"] + s["po_out"],
            "runs": s["r"],
            "doubles": s["d"],
            "triples": s["t"],
            "homeRuns": s["hr"],
            "strikeOuts": s["so"],
            "baseOnBalls": s["bb"],
            "intentionalWalks": 0,
            "hits": s["h"],
            "hitByPitch": s["hbp"],
            "atBats": s["ab"],
            "caughtStealing": 0,
            "stolenBases": 0,
            "stolenBasePercentage": ".---",
            "numberOfPitches": s["pitches"],
            "inningsPitched": ip,
            "wins": int(dec.get("winner") == pid),
            "losses": int(dec.get("loser") == pid),
            "saves": int(dec.get("save") == pid),
            "saveOpportunities": int(dec.get("save") == pid),
            "holds": 0,
            "blownSaves": 0,
            "earnedRuns": s["er"],
            "battersFaced": s["bf"],
            "outs": s["outs"],
            "gamesPitched": 1,
            "completeGames": 0,
            "shutouts": 0,
            "pitchesThrown": s["pitches"],
            "balls": s["balls"],
            "strikes": s["strikes"],
            "hitBatsmen": s["hbp"],
            "balks": 0,
            "wildPitches": 0,
            "pickoffs": 0,
            "rbi": s["rbi"],
            "gamesFinished": 0,
            "inheritedRunners": 0,
            "inheritedRunnersScored": 0,
            "catchersInterference": 0,
            "sacBunts": 0,
            "sacFlies": s["sf"],
            "passedBall": 0,
            "popOuts": s["po_out"],
            "lineOuts": s["lo"],
        }

    @staticmethod
    def _fielding_dict(f: dict | None, started: bool) -> dict:
        if f is None:
            return {}
        return {
            "gamesStarted": int(started),
            "caughtStealing": 0,
            "stolenBases": 0,
            "stolenBasePercentage": ".---",
            "caughtStealingPercentage": ".---",
            "assists": f["a"],
            "putOuts": f["po"],
            "errors": 0,
            "chances": f["a"] + f["po"],
            "fielding": "1.000" if f["a"] + f["po"] else ".000",
            "passedBall": 0,
            "pickoffs": 0,
        }

    @staticmethod
    def _sum(dicts: list[dict], keys: list[str]) -> dict:
        return {k: sum(d.get(k, 0) for d in dicts) for k in keys}

    @classmethod
    def feed(cls, league: League, g: Game, played: PlayedGame | None) -> dict:
        season = g.season
        status = league._status(g)
        offset = league.teams[g.home]["utc_offset"]
        start = g.game_datetime(offset)
        game_players = {}
        for tid in (g.away, g.home):
            for p in league.rosters[tid]:
                first, last = p.name.split(" ", 1)
                name, ptype, abbr = POSITIONS[p.position]
                game_players[f"ID{p.id}"] = {
                    "id": p.id,
                    "fullName": p.name,
                    "link": f"/api/v1/people/{p.id}",
                    "firstName": first,
                    "lastName": last,
                    "primaryNumber": p.number,
                    "active": True,
                    "primaryPosition": {"code": p.position, "name": name, "type": ptype, "abbreviation": abbr},
                    "useName": first,
                    "useLastName": last,
                    "boxscoreName": f"{last}, {first[0]}",
                    "isPlayer": True,
                    "batSide": {"code": p.bats, "description": "Right" if p.bats == "R" else "Left"},
                    "pitchHand": {"code": p.throws, "description": "Right" if p.throws == "R" else "Left"},
                }
        game_data = {
            "game": {
                "pk": g.game_pk,
                "type": g.game_type,
                "doubleHeader": g.double_header,
                "id": f"{g.official_date:%Y/%m/%d}/{league.teams[g.away]['abbreviation'].lower()}mlb-"
                f"{league.teams[g.home]['abbreviation'].lower()}mlb-{g.game_number}",
                "gamedayType": "P",
                "tiebreaker": "N",
                "gameNumber": g.game_number,
                "calendarEventID": f"14-{g.game_pk}-{g.official_date.isoformat()}",
                "season": str(season),
                "seasonDisplay": str(season),
            },
            "datetime": {
                "dateTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "originalDate": g.official_date.isoformat(),
                "officialDate": g.official_date.isoformat(),
                "dayNight": "day" if start.hour + offset < 17 else "night",
                "time": f"{(start.hour + offset - 1) % 12 + 1}:{start.minute:02d}",
                "ampm": "PM" if start.hour + offset >= 12 else "AM",
            },
            "status": status,
            "teams": {"away": league.team_ref(g.away, True, season), "home": league.team_ref(g.home, True, season)},
            "players": game_players,
            "venue": {
                "id": 5000 + g.home,
                "name": f"{league.teams[g.home]['location']} Ballpark",
                "link": f"/api/v1/venues/{5000 + g.home}",
                "fieldInfo": league.venue_field_info(g.home),
                "active": True,
                "season": str(season),
            },
            "probablePitchers": {
                "away": _ref(g.away_starter, league.players[g.away_starter][1].name),
                "home": _ref(g.home_starter, league.players[g.home_starter][1].name),
            },
        }
        conditions = league.conditions(g, played) if played is not None else {}
        if played is not None:
            game_data.update(weather=conditions["weather"], gameInfo=conditions["gameInfo"])
        box_teams, live_line = {}, {"scheduledInnings": 9, "innings": [], "teams": {"home": {}, "away": {}}}
        plays: list[dict] = []
        decisions: dict = {}
        if played is not None:
            decisions = played.decisions()
            plays = played.plays
            last = played.innings[-1]
            bottom_played = bool(last.get("home"))
            live_line = {
                "currentInning": len(played.innings),
                "currentInningOrdinal": _ordinal(len(played.innings)),
                "inningState": "Bottom" if bottom_played else "Top",
                "inningHalf": "Bottom" if bottom_played else "Top",
                "isTopInning": not bottom_played,
                "scheduledInnings": 9,
                "innings": [
                    {k: v for k, v in inn.items() if k in ("num", "ordinalNum", "away") or (k == "home" and v)}
                    for inn in played.innings
                ],
                "teams": {
                    side: {
                        "runs": played.runs[side],
                        "hits": sum(i.get(side, {}).get("hits", 0) for i in played.innings),
                        "errors": 0,
                        "leftOnBase": sum(i.get(side, {}).get("leftOnBase", 0) for i in played.innings),
                    }
                    for side in ("home", "away")
                },
                "balls": 0,
                "strikes": 0,
                "outs": 3,
            }
        for side, tid in (("away", g.away), ("home", g.home)):
            players = {}
            batters, pitchers = [], []
            lineup_ids = [p.id for p in played.lineup[side]] if played else []
            used_pitchers = [p.id for p in played.pitchers_used[side]] if played else []
            for p in league.rosters[tid]:
                b = played.bat.get(p.id) if played else None
                s = played.pit.get(p.id) if played else None
                f = played.fld.get(p.id) if played else None
                if p.id in used_pitchers and f is None:
                    f = {"po": 0, "a": 0}
                if p.id in lineup_ids and f is None and p.role != "10":
                    f = {"po": 0, "a": 0}
                pos = p.position if p.id not in lineup_ids else p.role
                name, ptype, abbr = POSITIONS[pos]
                entry = {
                    "person": _ref(p.id, p.name),
                    "jerseyNumber": p.number,
                    "position": {"code": pos, "name": name, "type": ptype, "abbreviation": abbr},
                    "status": {"code": "A", "description": "Active"},
                    "parentTeamId": tid,
                }
                if p.id in lineup_ids:
                    entry["battingOrder"] = str((lineup_ids.index(p.id) + 1) * 100)
                entry["stats"] = {
                    "batting": cls._batting_dict(b) if b else {},
                    "pitching": cls._pitching_dict(s, p.id == (used_pitchers or [0])[0], decisions, p.id) if s else {},
                    "fielding": cls._fielding_dict(f, p.id in lineup_ids or p.id == (used_pitchers or [0])[0]),
                }
                entry["gameStatus"] = {
                    "isCurrentBatter": False,
                    "isCurrentPitcher": False,
                    "isOnBench": p.id not in lineup_ids and p.id not in used_pitchers,
                    "isSubstitute": p.id in used_pitchers[1:],
                }
                entry["allPositions"] = (
                    [{"code": pos, "name": name, "type": ptype, "abbreviation": abbr}]
                    if (p.id in lineup_ids or p.id in used_pitchers)
                    else []
                )
                players[f"ID{p.id}"] = entry
                if b:
                    batters.append(p.id)
            if played:
                batters = lineup_ids + [pid for pid in used_pitchers if pid in played.bat]
                pitchers = used_pitchers
            bat_lines = [
                players[f"ID{i}"]["stats"]["batting"] for i in batters if players[f"ID{i}"]["stats"]["batting"]
            ]
            pit_lines = [players[f"ID{i}"]["stats"]["pitching"] for i in pitchers]
            fld_lines = [pl["stats"]["fielding"] for pl in players.values() if pl["stats"]["fielding"]]
            bat_keys = [
                "flyOuts",
                "groundOuts",
                "airOuts",
                "runs",
                "doubles",
                "triples",
                "homeRuns",
                "strikeOuts",
                "baseOnBalls",
                "intentionalWalks",
                "hits",
                "hitByPitch",
                "atBats",
                "caughtStealing",
                "stolenBases",
                "groundIntoDoublePlay",
                "groundIntoTriplePlay",
                "plateAppearances",
                "totalBases",
                "rbi",
                "leftOnBase",
                "sacBunts",
                "sacFlies",
                "catchersInterference",
                "pickoffs",
                "popOuts",
                "lineOuts",
            ]
            pit_keys = [
                "flyOuts",
                "groundOuts",
                "airOuts",
                "runs",
                "doubles",
                "triples",
                "homeRuns",
                "strikeOuts",
                "baseOnBalls",
                "intentionalWalks",
                "hits",
                "hitByPitch",
                "atBats",
                "caughtStealing",
                "stolenBases",
                "numberOfPitches",
                "earnedRuns",
                "battersFaced",
                "outs",
                "pitchesThrown",
                "balls",
                "strikes",
                "hitBatsmen",
                "balks",
                "wildPitches",
                "pickoffs",
                "rbi",
                "inheritedRunners",
                "inheritedRunnersScored",
                "catchersInterference",
                "sacBunts",
                "sacFlies",
                "passedBall",
                "popOuts",
                "lineOuts",
            ]
            team_bat = cls._sum(bat_lines, bat_keys)
            team_pit = cls._sum(pit_lines, pit_keys)
            outs = team_pit.get("outs", 0)
            team_pit["inningsPitched"] = f"{outs // 3}.{outs % 3}"
            team_fld = cls._sum(
                fld_lines,
                ["caughtStealing", "stolenBases", "assists", "putOuts", "errors", "chances", "passedBall", "pickoffs"],
            )
            box_teams[side] = {
                "team": league.team_ref(tid),
                "teamStats": {"batting": team_bat, "pitching": team_pit, "fielding": team_fld},
                "players": players,
                "batters": batters,
                "pitchers": pitchers,
                "bench": [p.id for p in league.rosters[tid] if p.role in BENCH_POSITIONS],
                "bullpen": [p.id for p in league.rosters[tid] if p.position == "1" and p.id not in pitchers],
                "battingOrder": lineup_ids,
                "info": [],
                "note": [],
            }
        return {
            "copyright": COPYRIGHT,
            "gamePk": g.game_pk,
            "link": f"/api/v1.1/game/{g.game_pk}/feed/live",
            "metaData": {
                "wait": 10,
                # a final game's: when it went Final (mlb_replay.live publishes it then)
                "timeStamp": (start if played is None else league.final_time(g, played)).strftime("%Y%m%d_%H%M%S"),
                "gameEvents": [],
                "logicalEvents": [],
            },
            "gameData": game_data,
            "liveData": {
                "plays": {
                    "allPlays": plays,
                    "currentPlay": plays[-1] if plays else {},
                    "scoringPlays": [p["atBatIndex"] for p in plays if p["about"]["isScoringPlay"]],
                },
                "linescore": live_line,
                "boxscore": {
                    "teams": box_teams,
                    "officials": conditions.get("officials", []),
                    "info": [],
                    "pitchingNotes": [],
                },
                "decisions": decisions,
            },
        }
