"""The rule over a purchaser's evaluation committees: one expert seated too often (at ``opened``)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expert_pool.draw_models import ExpertDraw
from expert_pool.models import Expert
from procurement.identity.models import Organisation
from procurement.supervision.rules.findings import Finding, iso_utc
from procurement.supervision.rules.thresholds import Thresholds
from procurement.tenders.models import Tender


async def expert_frequency(session: AsyncSession, purchaser_id: int, now: datetime, thresholds: Thresholds) -> list[Finding]:
    """An expert seated on the committees of one purchaser's tenders more than N times in the last D days
    (by when each draw was made; the current seats, so a decline does not count). One alert per expert
    and newest such draw. Names are in the evidence: alerts are for supervisors, who see the committees."""
    purchaser = await session.get(Organisation, purchaser_id)
    region = (purchaser.region if purchaser else "")[:6]
    most = int(thresholds.get("expert_frequency_max_seats", region))
    days = int(thresholds.get("expert_frequency_window_days", region))
    rows = (await session.execute(
        select(ExpertDraw.id, ExpertDraw.outcome, ExpertDraw.lot_number, ExpertDraw.evaluation_date, ExpertDraw.created_at,
               Tender.id, Tender.code, Tender.title)
        .join(Tender, Tender.id == ExpertDraw.tender_id)
        .where(Tender.purchaser_organisation_id == purchaser_id, ExpertDraw.created_at >= now - timedelta(days=days),
               ExpertDraw.created_at <= now, ExpertDraw.outcome != "")
        .order_by(ExpertDraw.created_at, ExpertDraw.id)
    )).all()
    seated: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for draw_id, outcome, lot, evaluation_date, drawn_at, tender_id, code, title in rows:
        for seat in json.loads(outcome)["seats"]:
            seated[int(seat[0])].append({"draw_id": draw_id, "tender_id": tender_id, "code": code, "title": title, "lot": lot,
                                         "specialty": seat[1], "evaluation_date": evaluation_date.isoformat(), "drawn_at": iso_utc(drawn_at)})
    often = {expert_id: draws for expert_id, draws in seated.items() if len(draws) > most}
    names = dict((await session.execute(select(Expert.id, Expert.name).where(Expert.id.in_(often or {0})))).all())  # type: ignore[union-attr,arg-type]
    return [Finding(
        "expert_frequency", f"expert_frequency:{purchaser_id}:{expert_id}:{draws[-1]['draw_id']}",
        {"purchaser": purchaser.name if purchaser else "", "expert_id": expert_id, "expert": names.get(expert_id, ""), "seats": len(draws),
         "max_seats": most, "window_days": days, "draws": draws},
        [purchaser_id], draws[-1]["tender_id"], draws[-1]["lot"], purchaser_id,
    ) for expert_id, draws in sorted(often.items())]
