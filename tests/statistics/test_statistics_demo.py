"""The demo's year of trades: figures to show, marked as demo data, loaded once."""

from __future__ import annotations

from sqlalchemy import func, select

from procurement.demo import load_demo
from procurement.statistics import service
from procurement.statistics.demo import MARK, PROJECTS
from procurement.statistics.periods import Period
from procurement.tenders.models import Tender


async def test_the_demo_year_has_trades_across_tracks_and_regions_and_loads_once(platform) -> None:
    await load_demo(platform)
    await load_demo(platform)
    today = platform.clock.now().date()
    async with platform.db.transaction(write=False) as session:
        marked = (await session.execute(select(func.count()).select_from(Tender).where(Tender.title.startswith(MARK)))).scalar_one()
        report = await service.report(session, None, service.Query(Period(today.replace(year=today.year - 1), today), group_by="track"))
        regions = await service.report(session, None, service.Query(Period(today.replace(year=today.year - 1), today), group_by="region"))
    assert marked == PROJECTS
    assert {row.key for row in report.rows if row.traded_projects} == {"works", "government"}
    assert report.total.failed > 0 and report.total.green_projects > 0
    assert report.total.rate_weighted is not None and 0 < report.total.rate_weighted < 0.07
    assert len([row for row in regions.rows if row.projects]) >= 4
