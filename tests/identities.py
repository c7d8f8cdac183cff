"""Box-score identities, computed straight from a live-feed JSON document.

Used by tests to check real and simulated feeds alike; independent of our parser.
"""


def violations(feed: dict) -> list[str]:
    out = []
    live = feed["liveData"]
    line = live["linescore"]
    box = live["boxscore"]["teams"]
    other = {"home": "away", "away": "home"}
    for side in ("home", "away"):
        runs = sum(i.get(side, {}).get("runs", 0) for i in line["innings"])
        hits = sum(i.get(side, {}).get("hits", 0) for i in line["innings"])
        if runs != line["teams"][side]["runs"]:
            out.append(f"{side}: innings runs {runs} != linescore runs {line['teams'][side]['runs']}")
        if hits != line["teams"][side]["hits"]:
            out.append(f"{side}: innings hits {hits} != linescore hits {line['teams'][side]['hits']}")
        team = box[side]["teamStats"]["batting"]
        players = [p["stats"]["batting"] for p in box[side]["players"].values() if p["stats"]["batting"]]
        for stat in ("runs", "hits", "atBats", "homeRuns", "rbi"):
            total = sum(p.get(stat, 0) for p in players)
            if total != team[stat]:
                out.append(f"{side}: players' {stat} {total} != team {team[stat]}")
        if team["runs"] != line["teams"][side]["runs"]:
            out.append(f"{side}: batting runs {team['runs']} != linescore runs")
        opp = box[other[side]]["teamStats"]["pitching"]
        for stat in ("runs", "hits", "baseOnBalls", "strikeOuts"):
            if team[stat] != opp[stat]:
                out.append(f"{side}: batting {stat} {team[stat]} != {other[side]} pitching {opp[stat]}")
        pitchers = [p["stats"]["pitching"] for p in box[side]["players"].values() if p["stats"]["pitching"]]
        putouts = sum(p["stats"]["fielding"].get("putOuts", 0) for p in box[side]["players"].values())
        outs = sum(p.get("outs", 0) for p in pitchers)
        if outs != putouts:
            out.append(f"{side}: pitchers' outs {outs} != fielders' putouts {putouts}")
        thrown = sum(p.get("numberOfPitches", 0) for p in pitchers)
        top = side == "home"  # the home side pitches in the top halves
        counted = sum(
            1
            for play in live["plays"]["allPlays"]
            if play["about"]["isTopInning"] == top
            for ev in play["playEvents"]
            if ev.get("isPitch")
        )
        if counted != thrown:
            out.append(f"{side}: {counted} pitches in play events != pitchers' {thrown}")
    dec = live.get("decisions") or {}
    if line["teams"]["home"]["runs"] != line["teams"]["away"]["runs"] and not (dec.get("winner") and dec.get("loser")):
        out.append("decided game without one winning and one losing pitcher")
    return out
