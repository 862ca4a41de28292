"""A lawful tender draft, relative to the test clock, for tender tests and the authorisation walk."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def draft_body(now: datetime, *, track: str = "works", method: str = "open", purchaser_organisation_id: int | None = None,
               documents_in: timedelta = timedelta(days=1), deadline_days: int = 25, **overrides: Any) -> dict[str, Any]:
    """Documents on offer from tomorrow for 7 days; bids due 25 days after that: within every limit."""
    start = now + documents_in
    body: dict[str, Any] = {
        "title": "海口市人民医院门诊楼改造工程",
        "track": track,
        "category": "works" if track == "works" else "goods",
        "method": method,
        "region": "460100",
        "budget": "1250000.00",
        "lots": [
            {"title": "第一标段：土建", "budget": "800000.00", "bid_security": "16000.00"},
            {"title": "第二标段：安装", "budget": "450000.00", "bid_security": "9000.00", "evaluation_method": "lowest_price"},
        ],
        "timeline": {
            "documents_from": start.isoformat(),
            "documents_until": (start + timedelta(days=7)).isoformat(),
            "bid_deadline": (start + timedelta(days=deadline_days)).isoformat(),
            "opening_place": "online",
        },
        "contact_name": "王工",
        "contact_phone": "0898-12345678",
        "qualifications": "具有建筑工程施工总承包三级及以上资质",
    }
    if purchaser_organisation_id is not None:
        body["purchaser_organisation_id"] = purchaser_organisation_id
    body.update(overrides)
    return body
