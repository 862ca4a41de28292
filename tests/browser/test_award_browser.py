"""The award in Chromium: a bidder objects to the candidates, the organiser answers, confirms the
winner after the publicity and uploads the contract; the public reads the result notice and the
winner downloads its award notice. Labels, page width and contrast are checked on each page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.bidding.award_testlib import hand_over, opened_tender
from tests.browser.conftest import SCREENSHOTS, LiveServer, screenshot
from tests.browser.pages import CONTRAST_JS, sign_in
from tests.browser.test_credit_browser import OVERFLOW_JS, TEXT, UNLABELLED_JS, _Users

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
CONTRACT = {"name": "施工合同.pdf", "mimeType": "application/pdf", "buffer": "%PDF-1.7 施工合同".encode()}


async def _checked(page: Any, name: str) -> list[str]:
    problems = [f"{page.url} unlabelled: {n}" for n in await page.evaluate(UNLABELLED_JS)]
    problems += [f"{page.url} wider than the window: {e}" for e in await page.evaluate(OVERFLOW_JS)]
    results = await page.evaluate(CONTRAST_JS, [TEXT, 4.5])
    problems += [f"{page.url} {r['selector']}: {low}" for r in results for low in r["low"]]
    await screenshot(page, name)
    return problems


async def _post(page: Any, form: Any) -> None:
    async with page.expect_navigation():
        await form.locator("button[type=submit]").click()


async def test_objection_answer_award_contract_and_the_public_result(page: Any, live_server: LiveServer, make_user: Any) -> None:
    platform = live_server.app.state.platform
    clock = platform.clock
    problems: list[str] = []
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=60) as client:
        opened = await opened_tender(client, _Users(make_user), platform, clock, on_server=live_server.run)
    tender_id = opened.tender.id
    await live_server.run(hand_over(platform, tender_id))
    award_page = f"/tenders/{tender_id}/award"

    # --- A bidder objects during the publicity.
    second = opened.bidders[1]
    await sign_in(page, second.user)
    await page.goto(award_page)
    assert await page.locator("h1").inner_text() == "中标候选人、定标与合同"
    form = page.locator(f"form[action='{award_page}/lots/1/objections']")
    await form.locator("#text").fill("第一中标候选人的业绩证明材料与实际不符，请核实。")
    await _post(page, form)
    assert "done=objected" in page.url
    problems += await _checked(page, "award-1-objection-filed")

    # --- The organiser answers it, and after the publicity confirms the first candidate.
    await page.context.clear_cookies()
    await sign_in(page, opened.tender.purchaser)
    await page.goto(award_page)
    problems += await _checked(page, "award-2-organiser-objection")
    answer = page.locator("form[action$='/answer']")
    await answer.locator("textarea").fill("经核实，第一中标候选人的业绩证明真实有效，异议不成立。")
    await _post(page, answer)
    assert "done=answered" in page.url

    async with httpx.AsyncClient(base_url=live_server.base_url) as client:
        lot = (await client.get(f"/api/tenders/{tender_id}/award")).json()["lots"][0]
    clock.set(datetime.fromisoformat(lot["publicity_ends_at"]))
    await page.context.clear_cookies()
    await sign_in(page, opened.tender.purchaser)
    await page.goto(award_page)
    problems += await _checked(page, "award-3-confirm-form")
    confirm = page.locator(f"form[action='{award_page}/lots/1/confirm']")
    await _post(page, confirm)
    assert "done=awarded" in page.url
    assert await page.locator("tr.winner").count() == 1

    contract = page.locator(f"form[action='{award_page}/lots/1/contract']")
    await contract.locator("#document").set_input_files(CONTRACT)
    await _post(page, contract)
    assert "done=contract" in page.url
    assert await page.get_by_role("link", name="施工合同.pdf").count() == 1
    problems += await _checked(page, "award-4-contract-recorded")

    # --- The public reads the result notice; the winner sees its award notice.
    result_href = await page.get_by_role("link", name="中标结果公告").get_attribute("href")
    await page.context.clear_cookies()
    await page.goto(result_href)
    body = await page.locator("main").inner_text()
    assert "中标（成交）结果公告" in body and "1,180,000.00" in body
    problems += await _checked(page, "award-5-public-result-notice")

    winner = opened.bidders[0]
    await sign_in(page, winner.user)
    await page.goto(award_page)
    letter = page.get_by_role("link", name="中标通知书")
    assert await letter.count() == 1
    response = await page.context.request.get(await letter.get_attribute("href"))
    assert response.status == 200 and (await response.body()).startswith(b"%PDF")
    (SCREENSHOTS / "award-letter.pdf").write_bytes(await response.body())  # to look at, rendered
    problems += await _checked(page, "award-6-winner-letters")
    assert not problems, "\n".join(problems)
