"""An expert opens the one-time invitation link in Chromium, declines with a reason; the
supplementary draw fills the seat (seen through the API as a supervisor); the spent link then
says so; the expert's own invitations page lists the answer. Labels, width and contrast are
checked, and the pages are photographed (zh).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from expert_pool.invitation_models import ExpertInvitation
from expert_pool.models import Expert
from procurement.identity.models import Role
from procurement.outbox.models import OutboxMessage
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.pages import CONTRAST_JS, sign_in
from tests.conftest import bearer
from tests.experts.invitation_testlib import LINK, body, closed_tender_with_experts

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MakeUser = Callable[..., Awaitable[Any]]
UNLABELLED_JS = """() => Array.from(document.querySelectorAll('main input:not([type=hidden]), main select, main textarea'))
  .filter(i => !i.labels || i.labels.length === 0).map(i => i.name || i.id)"""
TEXT = ["main h1", "main p", "label", ".hint", "main button", "dt", "dd", ".status"]


class _Users:
    def __init__(self, make_user: MakeUser) -> None:
        self.make = make_user


async def _first_invitation(platform: Any) -> tuple[ExpertInvitation, str, int | None]:
    """The first invitation, the token its SMS carries, and the invited expert's account."""
    async with platform.db.transaction(write=False) as session:
        invitation = (await session.execute(select(ExpertInvitation).order_by(ExpertInvitation.id).limit(1))).scalar_one()
        message = (await session.execute(select(OutboxMessage).where(OutboxMessage.reference == f"invitation:{invitation.id}"))).scalars().first()
        user_id = (await session.execute(select(Expert.user_id).where(Expert.id == invitation.expert_id))).scalar_one()
        return invitation, LINK.search(message.body).group(1), user_id  # type: ignore[union-attr]


async def _checked(page: Any, name: str) -> list[str]:
    problems = [f"{page.url} unlabelled: {n}" for n in await page.evaluate(UNLABELLED_JS)]
    results = await page.evaluate(CONTRAST_JS, [TEXT, 4.5])
    problems += [f"{page.url} {r['selector']}: {low}" for r in results for low in r["low"]]
    await screenshot(page, name)
    return problems


async def test_an_expert_declines_through_the_link_and_the_seat_is_filled(page: Any, live_server: LiveServer, make_user: MakeUser) -> None:
    platform = live_server.app.state.platform
    problems: list[str] = []
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        tender, accounts = await closed_tender_with_experts(client, _Users(make_user), platform, platform.clock, run=live_server.run)
        made = await client.post(f"/api/tenders/{tender.id}/draws", headers=tender.owner, json=body(platform.clock))
        assert made.status_code == 201, made.text
        invitation, token, user_id = await live_server.run(_first_invitation(platform))

        await page.goto(f"/invitations/{token}")
        assert await page.locator("form[action$='/accept']").count() == 1  # (texts are asserted in tests/experts: catalogues merge later)
        assert "海口市人民医院门诊楼改造工程" in await page.locator("dl.facts").inner_text()
        problems += await _checked(page, "invitation-1-link")
        # No reason: the browser's own check stops it; past it, the page names the field.
        await page.locator("#reason").evaluate("e => { e.removeAttribute('required'); e.removeAttribute('minlength') }")
        async with page.expect_navigation():
            await page.locator("form[action$='/decline'] button").click()
        assert await page.locator("#reason-error").count() == 1
        problems += await _checked(page, "invitation-2-refused")
        await page.locator("#reason").fill("评标当日在外地出差")
        async with page.expect_navigation():
            await page.locator("form[action$='/decline'] button").click()
        assert await page.locator("form").filter(has=page.locator("#reason")).count() == 0
        assert "评标当日在外地出差" in await page.locator("dl.facts").inner_text()
        problems += await _checked(page, "invitation-3-declined")

        # The supervisor sees the replacement drawn and invited, and the draw still verifies.
        supervisor = await bearer(client, await make_user(Role.supervisor))
        seen = (await client.get(f"/api/draws/{made.json()['id']}", headers=supervisor)).json()
        statuses = {i["expert_id"]: i["status"] for i in seen["invitations"]}
        assert statuses[invitation.expert_id] == "declined" and list(statuses.values()).count("invited") == 5
        assert invitation.expert_id not in {d["expert_id"] for d in seen["committee"]} and seen["unfilled"] == []
        verified = (await client.get(f"/api/draws/{made.json()['id']}/verification", headers=supervisor)).json()
        assert verified["ok"] is True

        # The link is spent.
        spent = await page.goto(f"/invitations/{token}")
        assert spent.status == 404

    # The expert's own page lists the declined invitation with its reason.
    await sign_in(page, next(a for a in accounts.values() if a.user_id == user_id))
    await page.goto("/experts/me/invitations")
    item = page.locator(f"#invitation-{invitation.id}")
    assert "评标当日在外地出差" in await item.inner_text()
    problems += await _checked(page, "invitation-4-mine")
    assert problems == []
