"""Statcast pitches from Baseball Savant, with the Stats API feed as the fallback.

Savant is asked once a date with every game of the date (pybaseball's ``statcast`` date
request); the date's CSV is landed raw once and read with Arrow's CSV reader into
``raw.statcast_pitches`` game by game (as pybaseball's pandas reader reads it, tested; several
times faster). Savant cuts a response silently at a row cap (``savant.row_cap`` in
``config/pipeline.yaml``): a date's CSV that reaches it is quarantined and the date is asked
again game by game (pybaseball's ``statcast_single_game`` request), as are games of types the
date request does not cover. When Savant fails, a game's last good copy in the raw zone is used;
when there is none, or Savant has nothing for the game yet (it publishes some hours after the
game), the game's pitch data is the Stats API feed's pitchData, already in ``raw.pitches``.
``raw.statcast_games`` records which source served each game, and games served by the feed are
asked of Savant again by later runs (with their own date's request). Dead letters stay per game,
named by the game's single-game URL.

A CSV cut at a row boundary parses cleanly, so at load each game's rows are compared with its
feed's pitch count (the feed is loaded first, in the same transaction): a short one is
quarantined and the feed serves the game. Games whose feed is not loaded get no Statcast yet.

The rows parsed as a CSV lands are staged as Parquet (``staging/statcast/``, :func:`_stage`):
the load reads them instead of parsing the CSVs again.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import io
import logging
from typing import TYPE_CHECKING

from mlb_pipeline.kinds import Kind
from mlb_pipeline.landing import Quarantined, RawZone
from mlb_pipeline.parse import FeedError
from mlb_pipeline.settings import load_config

if TYPE_CHECKING:
    from mlb_pipeline.run import Collected, Plan

log = logging.getLogger(__name__)

# SavantClient.ENDPOINT and DATE_ENDPOINT (the source module is imported where it is used)
ENDPOINT, DATE_ENDPOINT = "statcast_single_game", "statcast_date"
SAVANT, FEED, ZONE_COPY = "baseball_savant", "statsapi_feed", "raw_zone_fallback"

# Savant column -> (our column, type). Savant's CSV has ~90 columns; these are the ones
# the features and the quality checks read. The whole CSV stays in the raw zone.
COLUMNS = {
    "game_pk": ("game_pk", int),
    "game_date": ("game_date", str),
    "game_type": ("game_type", str),
    "at_bat_number": ("at_bat_number", int),
    "pitch_number": ("pitch_number", int),
    "inning": ("inning", int),
    "inning_topbot": ("inning_topbot", str),
    "outs_when_up": ("outs_when_up", int),
    "balls": ("balls", int),
    "strikes": ("strikes", int),
    "home_team": ("home_team", str),
    "away_team": ("away_team", str),
    "batter": ("batter_id", int),
    "pitcher": ("pitcher_id", int),
    "player_name": ("player_name", str),
    "stand": ("stand", str),
    "p_throws": ("p_throws", str),
    "pitch_type": ("pitch_type", str),
    "pitch_name": ("pitch_name", str),
    "type": ("call_type", str),
    "description": ("description", str),
    "events": ("events", str),
    "zone": ("zone", int),
    "release_speed": ("release_speed", float),
    "effective_speed": ("effective_speed", float),
    "release_spin_rate": ("release_spin_rate", float),
    "release_extension": ("release_extension", float),
    "release_pos_x": ("release_pos_x", float),
    "release_pos_z": ("release_pos_z", float),
    "pfx_x": ("pfx_x", float),
    "pfx_z": ("pfx_z", float),
    "plate_x": ("plate_x", float),
    "plate_z": ("plate_z", float),
    "sz_top": ("sz_top", float),
    "sz_bot": ("sz_bot", float),
    "bb_type": ("bb_type", str),
    "launch_speed": ("launch_speed", float),
    "launch_angle": ("launch_angle", float),
    "hit_distance_sc": ("hit_distance", float),
    "estimated_ba_using_speedangle": ("estimated_ba", float),
    "estimated_woba_using_speedangle": ("estimated_woba", float),
    "woba_value": ("woba_value", float),
    "home_score": ("home_score", int),
    "away_score": ("away_score", int),
    "post_home_score": ("post_home_score", int),
    "post_away_score": ("post_away_score", int),
}
TABLE = "raw.statcast_pitches"
REQUIRED = ("game_pk", "game_date", "at_bat_number", "pitch_number", "pitcher", "batter")


# What pandas reads as missing (pybaseball reads Savant's CSV with pandas' defaults): the same
# cells are missing here.
MISSING = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
           "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]  # fmt: skip
NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"  # what pd.to_numeric reads (else: missing)


def parse_savant(body: bytes, what: str) -> dict[int, list[dict]]:
    """Rows of ``raw.statcast_pitches`` by game from a Savant CSV (``what`` names it in errors:
    ``game N``, ``date D``); ``{}`` when Savant has nothing (an empty body or a header alone).
    Raises :class:`FeedError` when the body is not Savant's pitch CSV or reports an error."""
    return _by_game(read_savant(body, what).to_pylist())


def _by_game(rows: list[dict]) -> dict[int, list[dict]]:
    games: dict[int, list[dict]] = {}
    for row in rows:
        games.setdefault(row["game_pk"], []).append(row)
    return games


def read_savant(body: bytes, what: str):
    """A Savant CSV's pitches as an Arrow table of our columns, typed as :data:`COLUMNS` says
    (a cell that is not a number where a number belongs is missing, as pandas' ``to_numeric``
    coerces it). Read with Arrow's CSV reader: a date of 4,000 pitches in milliseconds, where
    pandas and a column at a time of Python took 50 ms. Raises :class:`FeedError` as
    :func:`parse_savant` says."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    text = body.decode("utf-8-sig", errors="replace")
    if not text.strip():
        return pa.table({ours: pa.array([], _ARROW[kind]) for ours, kind in COLUMNS.values()})
    first = text.lstrip()[:200].lower()
    if first.startswith("<") or first.startswith("{"):
        raise FeedError(f"Savant {what}: the body is not CSV (starts {text.lstrip()[:40]!r})")
    try:
        read = pacsv.read_csv(
            io.BytesIO(text.encode()),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in [*COLUMNS, "error"]},
                null_values=MISSING,
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:  # pandas would pad a cut-off row with NaN and carry on
        raise FeedError(f"Savant {what}: rows of different widths, or not CSV (a cut-off body?): {exc}") from exc
    if "error" in read.column_names:
        raise FeedError(f"Savant {what}: Savant reported an error: {read.column(read.column_names.index('error'))[0]}")
    missing = [c for c in REQUIRED if c not in read.column_names]
    if missing:
        raise FeedError(f"Savant {what}: columns {missing} are missing")
    columns = {}
    for theirs, (ours, kind) in COLUMNS.items():
        if theirs not in read.column_names:
            continue
        cells = read.column(read.column_names.index(theirs))  # the first of a name (pandas: ``pitcher``, ``pitcher.1``)
        if kind is not str:
            try:
                cells = pc.cast(cells, pa.float64())
            except pa.ArrowInvalid:  # a cell that is not a number (or is padded): missing
                numbers = pc.if_else(pc.match_substring_regex(cells, NUMBER), cells, pa.scalar(None, pa.string()))
                cells = pc.cast(pc.utf8_trim_whitespace(numbers), pa.float64())
            if kind is int:
                cells = pc.cast(pc.trunc(cells), pa.int64(), safe=False)
        columns[ours] = cells
    table = pa.table(columns)
    for c in REQUIRED:
        if table.column(COLUMNS[c][0]).null_count:
            raise FeedError(f"Savant {what}: a pitch has no {c}")
    key = ["game_pk", "at_bat_number", "pitch_number"]
    counted = table.group_by(key).aggregate([([], "count_all")])
    twice = counted.filter(pc.greater(counted.column("count_all"), 1))
    if twice.num_rows:
        pk, ab, pitch = (twice.column(c)[0].as_py() for c in key)
        raise FeedError(f"Savant {what}: pitch {(ab, pitch)} of game {pk} appears twice")
    return table


_ARROW = {str: "string", int: "int64", float: "float64"}


def parse_statcast(body: bytes, game_pk: int) -> list[dict]:
    """Rows of ``raw.statcast_pitches`` from Savant's CSV for one game; ``[]`` when Savant
    has nothing yet. Raises :class:`FeedError` as :func:`parse_savant` does, and when the
    body holds another game's pitches."""
    games = parse_savant(body, f"game {game_pk}")
    others = sorted(set(games) - {int(game_pk)})
    if others:
        raise FeedError(f"Savant game {game_pk}: the CSV holds pitches of other games {others}")
    return games.get(int(game_pk), [])


def game_rows(body: bytes, game_pk: int) -> list[dict]:
    """One game's rows from a landed Savant CSV, of the game or of its date."""
    return parse_savant(body, f"game {game_pk}").get(int(game_pk), [])


def _pitches_in(zone: RawZone, url: str, parsed: dict) -> dict[int, int]:
    """``{game_pk: pitches}`` of a stored Savant CSV (``{}`` when it does not parse); ``parsed``
    keeps them a collection, as a date's CSV serves all of its games."""
    if url not in parsed:
        try:
            parsed[url] = {pk: len(rows) for pk, rows in parse_savant(zone.read(url), url).items()}
        except FeedError:
            parsed[url] = {}
    return parsed[url]


def _zone_copy(zone: RawZone, game: dict, parsed: dict) -> str | None:
    """The stored Savant CSV, of the game or of its date, with the most of the game's pitches
    in it (Savant fills a game in as it publishes; it never takes pitches away)."""
    pk, date = game["game_pk"], game["official_date"]
    urls = zone.copies(pk, date, game["phase"], ENDPOINT, ".csv")
    folder = zone.root.joinpath(*zone.savant_date_key(date))
    if folder.exists():
        urls += [str(p) for p in sorted(folder.glob(f"{DATE_ENDPOINT}-*.csv"))]
    best, most = None, 0
    for url in urls:
        n = _pitches_in(zone, url, parsed).get(int(pk), 0)
        if n > most:
            best, most = url, n
    return best


def _base(client, game: dict) -> dict:
    """An item's identity: per game, named by its single-game URL (its dead letter's key)."""
    pk = game["game_pk"]
    return {
        "game_pk": pk,
        "official_date": game["official_date"],
        "endpoint": ENDPOINT,
        "request_url": client.game_url(pk),
    }


def _fallback(zone: RawZone, base: dict, game: dict, failure: dict, parsed: dict) -> dict:
    """Savant failed for the game: its last good copy in the raw zone, else the feed."""
    copy = _zone_copy(zone, game, parsed)
    if copy is not None:
        log.warning(
            "game %s: Savant failed (%s); using its last good copy in the raw zone", base["game_pk"], failure["error"]
        )
        return {**base, "source": ZONE_COPY, "url": copy, "failure": failure}
    return {**base, "source": FEED, "reason": f"Savant failed: {failure['error']}", "failure": failure}


def _staged_part(rows: list[dict], pks: list[int], url: str, values=None) -> tuple | None:
    """``(pks, frame, url)``: the rows of games ``pks`` from the CSV landed at ``url`` as one typed
    Arrow table of ``raw.statcast_pitches`` (as the CSV lands, in the collecting task or process),
    or None when they cannot be (their load parses them). ``values``: the rows as
    :func:`read_savant` read them, whose columns are taken as they are."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from mlb_pipeline.warehouse import typed_frame

    present = {row["game_pk"] for row in rows}
    pks = list(dict.fromkeys(pk for pk in pks if int(pk) in present))  # a resumed game is listed twice
    if len(present) > len(pks):  # the CSV holds games not asked for here
        wanted = set(pks)
        if values is not None:
            values = values.filter(pc.is_in(values.column("game_pk"), value_set=pa.array(pks, type=pa.int64())))
        rows = [row for row in rows if row["game_pk"] in wanted]
    try:
        return pks, typed_frame(TABLE, rows, dt.datetime.now(dt.UTC), SAVANT, values), url
    except (ValueError, TypeError, pa.ArrowInvalid) as exc:
        log.warning("Statcast of games %s not staged (%s)", pks, exc)
        return None


def _stage(zone: RawZone, parts: list, results: list[dict]) -> dict | None:
    """One Parquet file of the staged rows of every game served by Savant now, each from the CSV
    its item names (a suspended game's pitches may be in two dates' CSVs)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    served = {r["game_pk"]: r.get("url") for r in results if r["source"] == SAVANT}
    kept = []
    for pks, frame, url in parts:
        mine = [pk for pk in pks if served.get(pk) == url]
        if len(mine) < len(pks):
            frame = frame.filter(pc.is_in(frame.column("game_pk"), value_set=pa.array(mine, type=pa.int64())))
        if mine:
            kept.append((mine, frame))
    if not kept:
        return None
    folder = zone.stage_frames("statcast", {"statcast_pitches": pa.concat_tables([f for _, f in kept])})
    return {"url": folder, "game_pks": [pk for pks, _ in kept for pk in pks]}


def _collect_one(client, zone: RawZone, game: dict, parsed: dict, staged: list | None = None) -> dict:
    from mlb_pipeline.source import NotFound, SourceError

    pk, date = game["game_pk"], game["official_date"]
    base = _base(client, game)
    try:
        resp = client.fetch_game(pk)
    except NotFound:
        return {**base, "source": FEED, "reason": "Savant has no pitches for this game (404)"}
    except SourceError as exc:
        failure = {**base, "kind": "unavailable", "error": exc.reason, "raw_object": None}
    else:
        try:
            landed, rows = zone.land_parsed(
                zone.game_key(pk, date, game["phase"], True),
                ENDPOINT,
                resp.body,
                lambda body: parse_statcast(body, pk),
                date=date,
                what=str(pk),
                url=resp.url,
                suffix=".csv",
            )
        except Quarantined as exc:
            failure = {**base, "kind": "unparseable", "error": exc.reason, "raw_object": exc.landed.url}
        else:
            if rows:
                part = _staged_part(rows, [pk], landed.url) if staged is not None else None
                if part is not None:
                    staged.append(part)
                return {**base, "source": SAVANT, "pitches": len(rows), **landed.to_dict()}
            return {**base, "source": FEED, "reason": "Savant has no pitches for this game yet"}
    return _fallback(zone, base, game, failure, parsed)


def _collect_date(
    client, zone: RawZone, date: str, games: list[dict], row_cap: int, parsed: dict, staged: list | None = None
) -> list[dict] | None:
    """Items of ``games`` (all of ``date``) from the date's CSV, landed once; None when the CSV
    reached ``row_cap`` rows (Savant may have cut it: it is quarantined and the date asked
    again game by game)."""
    from mlb_pipeline.source import NotFound, SourceError

    bases = [_base(client, g) for g in games]
    date_url = client.date_url(date)
    try:
        resp = client.fetch_date(date)
    except NotFound:
        return [{**b, "source": FEED, "reason": "Savant has no pitches for this date (404)"} for b in bases]
    except SourceError as exc:
        failures = [{**b, "kind": "unavailable", "error": exc.reason, "raw_object": None} for b in bases]
    else:
        try:
            table = read_savant(resp.body, f"date {date}")
        except FeedError as exc:
            q = zone.quarantine(date, "statcast", DATE_ENDPOINT, resp.body, str(exc), resp.url, ".csv")
            failures = [{**b, "kind": "unparseable", "error": str(exc), "raw_object": q.url} for b in bases]
        else:
            if table.num_rows >= row_cap:
                reason = (
                    f"{table.num_rows} rows: Savant's row cap ({row_cap}) reached, the CSV may be cut; "
                    "asked game by game"
                )
                log.warning("%s: Savant's CSV of the date has %s", date, reason)
                zone.quarantine(date, "statcast", DATE_ENDPOINT, resp.body, reason, resp.url, ".csv")
                return None
            landed = zone.land(zone.savant_date_key(date), DATE_ENDPOINT, resp.body, ".csv")
            rows = table.to_pylist()
            by_game = _by_game(rows)
            part = _staged_part(rows, [b["game_pk"] for b in bases], landed.url, table) if staged is not None else None
            if part is not None:
                staged.append(part)
            return [
                {**b, "source": SAVANT, "pitches": len(by_game[b["game_pk"]]), "date_url": date_url, **landed.to_dict()}
                if by_game.get(b["game_pk"])
                else {**b, "source": FEED, "reason": "Savant has no pitches for this game yet (not in its date's CSV)"}
                for b in bases
            ]
    return [_fallback(zone, b, g, f, parsed) for b, g, f in zip(bases, games, failures)]


def collect_statcast(
    client, zone: RawZone, plan: Plan, concurrency: int, row_cap: int | None = None, stage: bool = True
) -> Collected:
    """Savant's pitches for every planned final game and every recent game still served by
    the feed, one request a date (game by game for a date at the row cap, ``savant.row_cap``
    unless given, and for game types the date request does not cover); which source serves
    each game. With ``stage``, the rows served are staged for :func:`load` (:func:`_stage`)."""
    cfg = load_config("pipeline")["savant"]
    row_cap = row_cap or int(cfg["row_cap"])
    games = [g for g in plan["collect"] if g["is_final"]] + plan.get("statcast_retry", [])
    by_date: dict[str, list[dict]] = {}
    singles = []
    for g in games:
        if g.get("game_type", "R") in cfg["date_game_types"]:
            by_date.setdefault(g["official_date"], []).append(g)
        else:
            singles.append(g)
    parsed: dict = {}  # stored CSVs read for a fallback, by URL
    staged: list | None = [] if stage else None  # (game_pks, their rows as Arrow), as each CSV lands
    workers = max(1, concurrency)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="statcast") as pool:
        dates = list(by_date)
        answers = pool.map(lambda d: _collect_date(client, zone, d, by_date[d], row_cap, parsed, staged), dates)
        done = {}
        for date, items in zip(dates, answers):
            if items is None:
                singles += by_date[date]
            else:
                done.update((i["game_pk"], i) for i in items)
        singly = pool.map(lambda g: _collect_one(client, zone, g, parsed, staged), singles)
        done.update((i["game_pk"], i) for i in singly)
    results = [done[g["game_pk"]] for g in games]
    by_source = {s: [r["game_pk"] for r in results if r["source"] == s] for s in (SAVANT, ZONE_COPY, FEED)}
    log.info(
        "%s: Statcast for %d games of %d dates: %d from Savant, %d from its raw-zone copy, %d from the Stats API feed",
        plan["game_date"],
        len(results),
        len(by_date),
        *(len(v) for v in by_source.values()),
    )
    if by_source[FEED]:
        log.warning("FALLBACK: pitch data of games %s comes from the Stats API feed (raw.pitches)", by_source[FEED])
    return {
        "game_date": plan["game_date"],
        "games": results,
        "failed": [r["failure"] for r in results if "failure" in r],
        "staged": _stage(zone, staged, results) if staged else None,
    }


def _feed_pitches(warehouse, game_pks: list[int], con=None) -> dict[int, int]:
    """``{game_pk: pitches}`` of the games whose final feed is in the warehouse (loaded
    earlier or by this run, in this transaction): the larger of the feed's pitch events and
    its pitchers' pitch counts (either alone can be short in a trimmed feed)."""
    if not game_pks:
        return {}
    rows = warehouse.query(
        "SELECT g.game_pk, "
        "(SELECT sum(p.number_of_pitches) FROM raw.pitching_lines AS p WHERE p.game_pk = g.game_pk) AS box, "
        "(SELECT count(*) FROM raw.pitches AS t WHERE t.game_pk = g.game_pk) AS thrown "
        "FROM raw.games AS g WHERE g.is_final AND list_contains(?, g.game_pk)",
        [[int(pk) for pk in game_pks]],
        con=con,
    )
    return {int(r["game_pk"]): max(int(r["box"] or 0), int(r["thrown"] or 0)) for r in rows}


def short_of_feed(savant: int, feed: int) -> str | None:
    """Why Savant's rows of a game are too few against the feed's pitch count (beyond the
    tolerance in ``config/quality.yaml``), or None when they are enough."""
    tolerance = load_config("quality")["statcast_pitch_tolerance"]
    if feed - savant <= tolerance:
        return None
    return (
        f"Savant's CSV has {savant} pitches, the game's feed {feed} (more than {tolerance} short): "
        "a body cut short; not loaded"
    )


def _refuse(zone: RawZone, item: dict, body: bytes, reason: str, keep: bool = False) -> dict:
    """Move a short body out of ``current/`` into ``quarantine/`` with the reason (``keep``:
    leave the object, which the loaded pitches point to); its dead letter."""
    from airflow.sdk import ObjectStoragePath

    q = zone.quarantine(
        item["official_date"], str(item["game_pk"]), ENDPOINT, body, reason, item["request_url"], ".csv"
    )
    if not keep:
        ObjectStoragePath(item["url"]).unlink(missing_ok=True)
    return {
        **{k: item[k] for k in ("game_pk", "official_date", "endpoint", "request_url")},
        "kind": "short",
        "error": reason,
        "raw_object": q.url,
    }


def load_statcast(warehouse, zone: RawZone, collected: dict, con=None) -> tuple[dict, list[dict]]:
    """Merge every game's Savant pitches and its source record (one stage and one MERGE a table
    for all the games). A game
    served by the feed keeps Savant pitches loaded earlier, if any. Only games whose final
    feed is loaded get Statcast (the others wait for later runs, which ask Savant again);
    a CSV short of the feed's pitch count is refused and quarantined. Items not loaded from
    Savant are marked so (their ``source`` changes) so that their letters stay open.
    Returns rows per date and table, and the failures."""
    if con is None:
        with warehouse.connect() as own:
            return load_statcast(warehouse, zone, collected, own)
    counts: dict[str, dict[str, int]] = {}
    held = {
        int(r["game_pk"]): r["raw_object"]
        for r in warehouse.query(
            "SELECT game_pk, raw_object FROM raw.statcast_games WHERE pitch_source = ?", [SAVANT], con=con
        )
    }
    feed = _feed_pitches(warehouse, [item["game_pk"] for item in collected["games"]], con=con)
    waiting = sorted(item["game_pk"] for item in collected["games"] if item["game_pk"] not in feed)
    if waiting:
        log.info("Statcast of games %s waits for their feeds (not loaded yet); later runs ask Savant again", waiting)
    failed = [f for f in collected["failed"] if f["game_pk"] in feed]
    pitches, records = [], []
    games_of: dict[str, dict[int, list[dict]]] = {}
    staged = collected.get("staged")
    frames = zone.staged_frames(staged["url"], ["statcast_pitches"]) if staged else None
    in_frame = set(staged["game_pks"]) if frames is not None else set()
    from_frame: list[int] = []  # games whose staged rows are merged
    for item in collected["games"]:
        pk = item["game_pk"]
        if pk not in feed:  # no final feed: nothing half-loaded; statcast_pending asks again once it is
            item["source"] = "waiting_for_feed"
            continue
        record = {
            "game_pk": pk,
            "official_date": item["official_date"],
            "pitch_source": SAVANT,
            "statcast_pitches": 0,
            "reason": None,
            "raw_object": item.get("url"),
        }
        tables = []
        if item["source"] in (SAVANT, ZONE_COPY):
            staged_rows = item["source"] == SAVANT and pk in in_frame
            if staged_rows:  # parsed as it landed: its rows are in the staged frame
                rows = None
                pitches_now = item["pitches"]
            else:
                body = zone.read(item["url"])
                try:
                    if item["url"] not in games_of:  # a date's CSV serves all of its games: parsed once
                        games_of[item["url"]] = parse_savant(body, f"game {pk}")
                    rows = games_of[item["url"]].get(int(pk), [])
                except FeedError as exc:
                    failed.append({**item, "kind": "unparseable", "error": str(exc), "raw_object": item["url"]})
                    continue
                pitches_now = len(rows)
            short = short_of_feed(pitches_now, feed[pk])
            if short is not None:
                log.warning("game %s: %s", pk, short)
                # a date's CSV stays where it is: other games' pitches point to it (this game's
                # rows in it are checked against the feed again at every load)
                keep = held.get(pk) == item["url"] or f"/{DATE_ENDPOINT}-" in item["url"]
                letter = _refuse(zone, item, zone.read(item["url"]), short, keep=keep)
                item.update(source=FEED, reason=short)
                if pk in held:
                    continue  # Savant's whole game, loaded earlier, stays: nothing to ask again
                failed.append(letter)
                record.update(pitch_source=FEED, reason=short, raw_object=None)
            else:
                record["statcast_pitches"] = pitches_now
                if item["source"] == ZONE_COPY:
                    record["reason"] = f"Savant failed; its copy from the raw zone: {item['failure']['error']}"
                if staged_rows:
                    from_frame.append(pk)
                    counts.setdefault(item["official_date"], {"statcast_pitches": 0, "statcast_games": 0})[
                        "statcast_pitches"
                    ] += pitches_now
                else:
                    tables.append(("raw.statcast_pitches", rows, {"game_pk": pk}))
        elif pk in held:
            continue  # Savant's pitches are already here; a failure now does not take them away
        else:
            record.update(pitch_source=FEED, reason=item["reason"])
        tables.append(("raw.statcast_games", [record], {"game_pk": pk}))
        day = counts.setdefault(item["official_date"], {"statcast_pitches": 0, "statcast_games": 0})
        for table, rows, scope in tables:
            day[table.split(".")[1]] += len(rows)
            (pitches if table == "raw.statcast_pitches" else records).append((table, rows, scope, item["source"]))
    # One stage and one MERGE a table for every game; the pitches before the records that say
    # Savant serves a game (a load stopped between the two leaves the game to be asked again).
    if from_frame:
        _merge_pitches(warehouse, frames["statcast_pitches"], from_frame, pitches, con)
        pitches = []
    if pitches or records:
        warehouse.merge_tables(pitches + records, None, con=con)
    if staged:
        zone.unstage(staged["url"])
    return counts, failed


def _merge_pitches(warehouse, frame, game_pks: list[int], parsed: list[tuple], con) -> None:
    """One MERGE of the staged rows of ``game_pks`` and of the rows parsed here (``parsed``:
    ``(table, rows, scope, source)`` of games served by a copy in the raw zone)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from mlb_pipeline.warehouse import typed_frame

    parsed = list({scope["game_pk"]: (t, rows, scope, src) for t, rows, scope, src in parsed}.values())  # listed twice
    chosen = frame.filter(pc.is_in(frame.column("game_pk"), value_set=pa.array(game_pks, type=pa.int64())))
    now = dt.datetime.now(dt.UTC)
    others = [typed_frame(TABLE, rows, now, source) for _, rows, _, source in parsed]
    scopes = [{"game_pk": pk} for pk in dict.fromkeys(game_pks)] + [scope for _, _, scope, _ in parsed]
    warehouse.merge_frame(TABLE, pa.concat_tables([chosen, *others]), scopes, con)


def load(warehouse, zone: RawZone, plan: dict, collected: dict, con) -> dict:
    """The task's part of ``load_day``: rows per date and table, and the failures."""
    counts, failed = load_statcast(warehouse, zone, collected, con=con)
    return {"counts": counts, "failed": failed, "touched": []}


def answered(plan: dict, collected: dict, loaded: dict[str, list[int]]) -> dict[str, list[str]]:
    """Games Savant served now, by date (retries may be of any recent date): their letters close."""
    out: dict[str, list[str]] = {}
    for item in collected.get("games", []):
        if item["source"] == SAVANT:
            out.setdefault(item["official_date"], []).append(item["request_url"])
    return out


def statcast_pending(warehouse, game_date: str, lookback_days: int) -> list[dict]:
    """Final games of ``game_date`` and the ``lookback_days`` before it whose pitch data
    does not come from Savant: Savant had nothing (or failed) and the feed serves them, or
    Savant was never asked (games loaded before Statcast was collected). Savant is asked again."""
    from mlb_pipeline.kinds.schedule import phase_of

    day = dt.date.fromisoformat(game_date)
    rows = warehouse.query(
        "SELECT g.game_pk, g.official_date, g.game_type, s.pitch_source FROM raw.games AS g "
        "LEFT JOIN raw.statcast_games AS s ON s.game_pk = g.game_pk "
        "WHERE g.is_final AND (s.game_pk IS NULL OR s.pitch_source = 'statsapi_feed') "
        "AND g.official_date >= ? AND g.official_date <= ? ORDER BY g.official_date, g.game_pk",
        [day - dt.timedelta(days=lookback_days), day],
    )
    return [
        {
            "game_pk": int(r["game_pk"]),
            "official_date": str(r["official_date"])[:10],
            "is_final": True,
            "game_type": r["game_type"],
            "phase": phase_of(r["game_type"]),
            "reason": "retry Savant: pitch data still from the feed" if r["pitch_source"] else "Savant not asked yet",
        }
        for r in rows
    ]


def retry(warehouse, plan: dict, lookback_days: int) -> list[dict]:
    """The plan's ``statcast_retry``: recent final games whose pitches are not Savant's, unless planned."""
    planned = {g["game_pk"] for g in plan["collect"]}
    games = [
        g
        for g in (statcast_pending(warehouse, plan["game_date"], lookback_days) if warehouse is not None else [])
        if g["game_pk"] not in planned
    ]
    for g in games:
        log.info("ask Savant again for game %s of %s: %s", g["game_pk"], g["official_date"], g["reason"])
    return games


collect = collect_statcast

KIND = Kind(
    name="statcast",
    tables=("statcast_pitches", "statcast_games"),
    collected_by="collect_statcast",
    parse=lambda body, scope: {"statcast_pitches": game_rows(body, scope["game_pk"])},
    quality=("tables.statcast_pitches", "statcast_pitch_tolerance"),
    endpoints=(ENDPOINT,),
    missing=statcast_pending,
)
