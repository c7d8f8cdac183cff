"""The day's transactions (``raw.transactions``): collected every day of the year, games or not."""

from __future__ import annotations

from mlb_pipeline.kinds import Kind, Request
from mlb_pipeline.kinds.reference_data import failed_requests
from mlb_pipeline.parse import _get, _int, _opt


def parse_transactions(doc: dict, date: str) -> list[dict]:
    """``/api/v1/transactions?startDate=D&endDate=D``: one row per transaction."""
    what = f"transactions {date}"
    return [
        {
            "transaction_id": int(_get(t, "id", what)),
            "transaction_date": _get(t, "date", what),
            "effective_date": t.get("effectiveDate"),
            "resolution_date": t.get("resolutionDate"),
            "type_code": t.get("typeCode"),
            "type_desc": t.get("typeDesc"),
            "player_id": _int(_opt(t, "person", "id")),
            "player_name": _opt(t, "person", "fullName"),
            "from_team_id": _int(_opt(t, "fromTeam", "id")),
            "to_team_id": _int(_opt(t, "toTeam", "id")),
            "description": t.get("description"),
        }
        for t in _get(doc, "transactions", what)
    ]


def requests(date: str, season: str, team_ids: list[int]) -> list[Request]:
    return [
        Request(
            label="transactions",
            endpoint="transactions",
            params={"startDate": date, "endDate": date},
            key=("current", "reference", "transactions", date),
            table="raw.transactions",
            scope={"transaction_date": date},
        )
    ]


def parse(doc: dict, scope: dict) -> dict[str, list[dict]]:
    return {"transactions": parse_transactions(doc, scope["transaction_date"])}


KIND = Kind(
    name="transactions",
    tables=("transactions",),
    collected_by="collect_reference_data",
    parse=parse,
    quality=("tables.transactions",),
    endpoints=("transactions",),
    requests=requests,
    missing=lambda warehouse, game_date, days: failed_requests(warehouse, game_date, days, KIND.endpoints),
    every_day=True,
)
