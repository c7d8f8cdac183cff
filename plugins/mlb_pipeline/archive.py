"""End-of-season archival (seed 001): the finished season, copied from the current zone to
the immutable historical zone.

1. ``completeness_problems``: every game the API's schedule of the season lists as played
   (every game type we collect) is landed final, its date collected, graded A to C and
   promoted, and it has a features row; otherwise nothing moves.
2. ``copy_season``: every object of the season's regular season and postseason (games,
   Statcast, schedules, reference data) copied to ``historical/regular-season/<year>/`` or
   ``historical/post-season/<year>/`` and its checksum verified; spring training stays in
   current. An object already there with the same checksum is left alone (a second run is
   a no-op that proves it); one with different content is never overwritten:
   ``ArchiveConflict``.
3. ``mark_archived``: every object verified again against the copy list, then the
   manifest (``MANIFEST.json``, per phase) and ``ops.archives``: only now is the season
   archived. ``rollback`` removes a half-done archive (copied, not marked); an archived
   season cannot be rolled back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re

log = logging.getLogger(__name__)

DATE_PART = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PHASE_FOLDERS = {"regular_season": "regular-season", "postseason": "post-season"}


class ArchiveConflict(RuntimeError):
    """The historical zone already holds different content under an object's name."""


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def played_games(scheduled: list[dict]) -> list[tuple[str, int]]:
    """``(official date, game_pk)`` of every game of the season's schedule that was played. A
    resumed game is listed again on the day it resumes; it counts once, on its own date."""
    from mlb_pipeline.settings import load_config

    final_states = load_config("seasons")["final_coded_states"]
    return sorted(
        {
            (g["official_date"], g["game_pk"])
            for g in scheduled
            if g["coded_state"] in final_states and not g.get("resumed_from")
        }
    )


def completeness_problems(warehouse, season: int, scheduled: list[dict]) -> list[str]:
    """What keeps ``season`` from being archived, checked against ``scheduled``, the whole
    season's schedule as the API lists it (``seasons.season_schedule``: ``raw.schedule`` holds
    only the dates that were collected): dates never collected, played games not landed
    final, dates not promoted, final games without features. Empty: 100% complete."""

    played = played_games(scheduled)
    if not played:
        return [f"season {season}: the API's schedule of the season lists no played games"]
    landed = {
        int(r["game_pk"])
        for r in warehouse.query("SELECT game_pk FROM raw.games WHERE season = ? AND is_final", [str(season)])
    }
    collected = {
        str(r["d"])[:10]
        for r in warehouse.query(
            "SELECT DISTINCT game_date AS d FROM ops.ingestion_runs WHERE game_date >= ? AND game_date <= ?",
            [dt.date.fromisoformat(played[0][0]), dt.date.fromisoformat(played[-1][0])],
        )
    }
    problems = []
    by_date: dict[str, list[int]] = {}
    for date, pk in played:
        by_date.setdefault(date, []).append(pk)
    for date, pks in sorted(by_date.items()):
        missing = [pk for pk in pks if pk not in landed]
        if date not in collected:
            problems.append(f"{date}: never collected ({len(pks)} games played, {len(missing)} not landed: {missing})")
        else:
            problems += [f"{date} game {pk}: played, not landed final" for pk in missing]
    promoted = {
        str(r["d"])[:10]
        for r in warehouse.query(
            "SELECT game_date AS d FROM ops.quality_grades WHERE true QUALIFY row_number() OVER "
            "(PARTITION BY game_date ORDER BY graded_at DESC) = 1 AND promoted"
        )
    }
    dates = sorted({d for d, pk in played if pk in landed})
    problems += [f"{d}: not graded A to C and promoted" for d in dates if d not in promoted]
    featured = set()
    if warehouse.has_table("features", "game_features"):
        featured = {
            int(r["game_pk"])
            for r in warehouse.query(
                "SELECT game_pk FROM features.game_features WHERE EXTRACT(YEAR FROM game_date) = ? "
                "AND home_win IS NOT NULL",
                [season],
            )
        }
    problems += [f"{d} game {pk}: no features row" for d, pk in played if pk in landed and pk not in featured]
    return problems


def season_objects(lake_root: str, season: int, calendar: dict) -> dict[str, str]:
    """``{current object: historical object}`` for every object of ``season`` to archive:
    under ``current/regular-season`` and ``current/post-season``, and the schedules and
    reference data of its regular-season and postseason dates (or of the season itself)."""
    from airflow.sdk import ObjectStoragePath

    root = ObjectStoragePath(lake_root.rstrip("/"))
    current = root / "current"
    spring, post = calendar["phases"]["spring_training"], calendar["phases"]["postseason"]
    mapping = {}
    for path in sorted(p for p in current.rglob("*") if p.is_file()):
        parts = path.relative_to(current).parts
        dates = [p for p in parts if DATE_PART.match(p)]
        if dates:
            if not dates[0].startswith(f"{season}-"):
                continue
            phase = (
                "postseason"
                if post[0] <= dates[0] <= post[1]
                else "spring_training"
                if spring[0] <= dates[0] <= spring[1]
                else "regular_season"
            )
        elif str(season) in parts:
            phase = "regular_season"
        else:
            continue
        if parts[0] == "pre-season" or phase == "spring_training":
            continue  # spring training stays in the current zone (seed 001)
        folder = "post-season" if parts[0] == "post-season" else PHASE_FOLDERS[phase]
        rest = parts[1:] if parts[0] in ("regular-season", "post-season") else parts
        mapping[str(path)] = str(root.joinpath("historical", folder, str(season), *rest))
    return mapping


def copy_season(mapping: dict[str, str]) -> dict:
    """Copy every object to the historical zone, verifying each copy's checksum; an existing
    identical copy is left as it is; different content is refused (``ArchiveConflict``)."""
    from airflow.sdk import ObjectStoragePath

    copied = kept = size = 0
    checksums = {}
    for source, target in mapping.items():
        src, dst = ObjectStoragePath(source), ObjectStoragePath(target)
        sha = _sha256(src)
        if dst.exists():
            if _sha256(dst) != sha:
                raise ArchiveConflict(
                    f"{dst} already holds different content than {src}: the historical zone is "
                    f"immutable, nothing was overwritten"
                )
            kept += 1
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            body = src.read_bytes()
            dst.write_bytes(body)
            if _sha256(dst) != sha:
                dst.unlink()
                raise RuntimeError(f"{dst}: checksum of the copy does not match {src}; copy removed")
            copied += 1
            size += len(body)
        checksums[target] = sha
    log.info("historical zone: %d objects copied (%d bytes), %d already there and identical", copied, size, kept)
    return {"copied": copied, "already_archived": kept, "bytes": size, "checksums": checksums}


def _manifests(lake_root: str, season: int):
    from airflow.sdk import ObjectStoragePath

    root = ObjectStoragePath(lake_root.rstrip("/")) / "historical"
    return {folder: root / folder / str(season) / "MANIFEST.json" for folder in PHASE_FOLDERS.values()}


def mark_archived(warehouse, lake_root: str, season: int, checksums: dict[str, str]) -> dict:
    """Verify every historical object against its checksum once more, then write the
    manifests and the ``ops.archives`` rows: the season is archived."""
    import orjson
    from airflow.sdk import ObjectStoragePath

    bad = [
        t for t, sha in checksums.items() if not ObjectStoragePath(t).exists() or _sha256(ObjectStoragePath(t)) != sha
    ]
    if bad:
        raise RuntimeError(f"{len(bad)} historical objects missing or changed, not marked archived: {bad[:5]}")
    now = dt.datetime.now(dt.UTC)
    rows = []
    for folder, manifest in _manifests(lake_root, season).items():
        objects = {t: sha for t, sha in sorted(checksums.items()) if f"/historical/{folder}/{season}/" in t}
        if not objects:
            continue
        body = orjson.dumps(
            {"season": season, "phase": folder, "archived_at": now.isoformat(), "objects": objects},
            option=orjson.OPT_INDENT_2,
        )
        if manifest.exists() and orjson.loads(manifest.read_bytes())["objects"] != objects:
            raise ArchiveConflict(f"{manifest} lists other objects: the season was archived differently before")
        if not manifest.exists():
            manifest.write_bytes(body)
        rows.append(
            {
                "season": season,
                "phase": folder,
                "archived_at": now,
                "objects": len(objects),
                "manifest": str(manifest),
                "manifest_sha256": _sha256(manifest),
            }
        )
    warehouse.upsert("ops.archives", rows)
    log.info("season %s archived: %s", season, ", ".join(f"{r['phase']} {r['objects']} objects" for r in rows))
    return {"season": season, "phases": {r["phase"]: r["objects"] for r in rows}}


def is_archived(warehouse, season: int) -> bool:
    return bool(warehouse.query("SELECT count(*) AS n FROM ops.archives WHERE season = ?", [season])[0]["n"])


def rollback(warehouse, lake_root: str, season: int) -> int:
    """Remove a half-done archive of ``season`` (objects copied, season not marked archived);
    return how many objects were removed. An archived season is immutable: refused."""
    from airflow.sdk import ObjectStoragePath

    if is_archived(warehouse, season):
        raise ArchiveConflict(f"season {season} is archived: the historical zone is immutable, no rollback")
    removed = 0
    for folder in PHASE_FOLDERS.values():
        base = ObjectStoragePath(lake_root.rstrip("/")) / "historical" / folder / str(season)
        if base.exists():
            for path in sorted((p for p in base.rglob("*") if p.is_file()), reverse=True):
                path.unlink()
                removed += 1
    log.info("half-done archive of %s rolled back: %d objects removed (the current zone is untouched)", season, removed)
    return removed


def scheduled_games(season: int) -> list[dict]:
    """The whole season's schedule, asked of the API (its Airflow connection, as the DAG does)."""
    from mlb_pipeline.operators import raw_zone, source_client
    from mlb_pipeline.seasons import season_schedule

    client = source_client()
    try:
        return season_schedule(client, raw_zone(), season)
    finally:
        client.close()


def main(argv: list[str] | None = None, prog: str = "python -m mlb_pipeline.archive") -> int:
    import json

    from mlb_pipeline import arguments

    ap = arguments.Parser(prog=prog, description="Inspect or roll back the end-of-season archive.")
    sub = ap.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="is the season complete enough to archive?")
    check.add_argument("season", type=arguments.year)
    check.add_argument("--json", action="store_true", help="the games checked and the problems, as JSON")
    sub.add_parser("rollback", help="remove a half-done archive").add_argument("season", type=arguments.year)
    args = ap.parse_args(argv)
    from mlb_pipeline.settings import lake_url
    from mlb_pipeline.warehouse import open_warehouse  # after the arguments: Airflow takes seconds

    warehouse = open_warehouse()
    warehouse.ensure_schema()
    if args.command == "check":
        scheduled = scheduled_games(args.season)
        problems = completeness_problems(warehouse, args.season, scheduled)
        checked = len(played_games(scheduled))
        if args.json:
            print(json.dumps({"season": args.season, "games_checked": checked, "problems": problems}, indent=2))
        else:
            for problem in problems:
                print(problem)
            print(
                f"season {args.season}: {checked:,} played games checked, {len(problems):,} problems"
                + (": not ready to archive" if problems else ": complete, ready to archive")
            )
        return 1 if problems else 0
    print(f"{rollback(warehouse, lake_url(), args.season)} objects removed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
