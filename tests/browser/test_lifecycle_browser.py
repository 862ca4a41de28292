"""A tender's whole life in Chromium, across its roles, from publication to the public result.

Three bidders obtain the documents, make their keys, seal and submit in the page; the deadline
passes (the test's clock, and the scheduler's sweep); an operator opens the bids and each bidder
releases in the page; an expert accepts the invitation and checks in on the evaluation day; the
organiser starts the evaluation on its progress page; the expert checks and scores every bid in the
evaluation room, submits, draws up the report and signs it with a key file opened in the page; the
candidates are publicised; a bidder objects and the organiser answers; after the publicity the
purchaser confirms the winner and records the contract; the public reads the result notice.

Done through the API instead, because each page is walked by another browser test:
- creating, reviewing and publishing the tender (test_tender_walk_browser.py);
- the expert pool's import and the draw's request (test_experts_browser.py);
- the other four experts' acceptance, check-in, checks, scores, submissions and signatures (the
  same pages as the walked expert's: test_invitations_browser.py, test_evaluation_browser.py).
Screenshots go to test-output/browser/lifecycle-*.png.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from bidding import envelope
from procurement.clock import DISPLAY_ZONE
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.bidding.bid_testlib import open_tender
from tests.bidding.evaluation_testlib import (
    ONE_LOT,
    Member,
    default_points,
    signature,
    signing_key,
)
from tests.browser.conftest import LiveServer
from tests.browser.pages import sign_in
from tests.browser.test_award_browser import CONTRACT
from tests.browser.test_evaluation_browser import checked
from tests.conftest import TestUser, Users, bearer
from tests.experts.pool_testlib import add_specialties, csv_of, row

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
PRICES = ("1180000.00", "1199000.50", "1210000.00")
KEY_PASSPHRASE = "three bidders, one tender"
SIGNING_PASSPHRASE = "评标签名口令 correct horse"


class Walk:
    """The live server, its clock, and API calls run on the server's loop (where its database lives)."""

    def __init__(self, live_server: LiveServer) -> None:
        self.server = live_server
        self.platform = live_server.app.state.platform
        self.clock = self.platform.clock
        self.users = Users(self.platform)

    async def api(self, work: Any) -> Any:
        async def run() -> Any:
            async with httpx.AsyncClient(base_url=self.server.base_url, timeout=60) as client:
                return await work(client)

        return await self.server.run(run())

    async def make(self, *roles: Any, **options: Any) -> TestUser:
        return await self.server.run(self.users.make(*roles, **options))

    async def sweep(self) -> None:
        for _ in range(2):
            await self.server.run(sweep(self.platform, build_registry()))


async def _go(page: Any, locator: Any) -> None:
    """Press a button or follow a link and wait for the page it leads to."""
    async with page.expect_navigation():
        await locator.click()


async def _as(page: Any, user: TestUser, path: str) -> None:
    await page.context.clear_cookies()
    await sign_in(page, user)
    await page.goto(path)


async def _seal_and_submit(page: Any, tender_id: int, user: TestUser, price: str, tmp_path: Any) -> int:
    """A bidder obtains the documents, makes its keys and seals its bid in the page; returns the bid's id."""
    await _as(page, user, f"/tenders/{tender_id}")
    await _go(page, page.locator(f"form[action='/tenders/{tender_id}/obtain'] button"))
    await _go(page, page.locator(f"a[href='/tenders/{tender_id}/bid']"))
    await page.wait_for_selector("#keys-state[data-state=none]")
    await page.locator("#keys-generate summary").click()
    await page.locator("#key-passphrase").fill(KEY_PASSPHRASE)
    await page.locator("#key-passphrase-again").fill(KEY_PASSPHRASE)
    async with page.expect_download() as downloading:
        await page.locator("#generate-form button[type=submit]").click()
    await (await downloading.value).save_as(tmp_path / f"bid-keys-{user.username}.json")
    await page.wait_for_selector("#keys-state[data-state=ready]", timeout=30_000)
    await page.locator("#price-1").fill(price)
    await page.locator("#duration-1").fill("180")
    await page.locator("#files-1").set_input_files([{"name": "技术标.pdf", "mimeType": "application/pdf", "buffer": f"%PDF 技术标 {price}".encode()}])
    await page.locator("#lot-1 button[type=submit]").click()
    await page.wait_for_selector("#receipt:not([hidden])", timeout=60_000)
    return int(await page.locator("[data-receipt=id]").inner_text())


async def _committee(walk: Walk, tender: Any) -> tuple[list[Member], str]:
    """The pool (with platform accounts) and the draw of five experts, two days ahead: (the seated, the evaluation date)."""
    async def draw(client: httpx.AsyncClient) -> tuple[list[Member], str]:
        operator = await bearer(client, await walk.users.make(Role.operator))
        await add_specialties(client, operator)
        accounts = [await walk.users.make(Role.expert) for _ in range(7)]
        imported = await client.post("/api/experts/imports", headers=operator,
                                     content=csv_of(*[row(n, username=a.username) for n, a in enumerate(accounts, start=1)]))
        assert imported.status_code == 200, imported.text
        day = (walk.clock.now().astimezone(DISPLAY_ZONE) + timedelta(days=2)).date()
        drawn = await client.post(f"/api/tenders/{tender.id}/draws", headers=await bearer(client, tender.purchaser), json={
            "seats": {"A01.02": 5}, "reserves": {"A01.02": 1}, "lot": 1, "purchaser_representatives": 0, "evaluation_date": day.isoformat()})
        assert drawn.status_code == 201, drawn.text
        seated = []
        for account in accounts:
            headers = await bearer(client, account)
            mine = (await client.get("/api/experts/me/invitations", headers=headers)).json()
            if mine:
                seated.append(Member(account, headers, 0, None, mine[0]["id"]))  # type: ignore[arg-type]
        assert len(seated) == 5
        return seated, day.isoformat()

    return await walk.api(draw)


async def test_a_tender_from_publication_to_the_public_result(page: Any, live_server: LiveServer, tmp_path: Any) -> None:
    walk = Walk(live_server)
    problems: list[str] = []

    # --- Published (through the API: see the docstring); three bidders seal and submit in the page.
    tender = await walk.api(lambda client: open_tender(client, walk.users, walk.clock, lots=ONE_LOT))
    tender_id = tender.id
    bidders = [await walk.make(Role.supplier) for _ in PRICES]
    bid_ids = [await _seal_and_submit(page, tender_id, who, price, tmp_path) for who, price in zip(bidders, PRICES, strict=True)]
    problems += await checked(page, "lifecycle-01-bid-submitted")

    # --- The deadline passes; the experts are drawn; the chosen expert accepts in the page.
    deadline = datetime.fromisoformat((await walk.api(lambda client: client.get(f"/api/tenders/{tender_id}"))).json()["bid_deadline"])
    walk.clock.set(deadline + timedelta(seconds=1))
    await walk.sweep()
    experts, evaluation_date = await _committee(walk, tender)
    expert, others = experts[0], experts[1:]
    await _as(page, expert.user, "/experts/me/invitations")
    await _go(page, page.locator(f"form[action='/experts/me/invitations/{expert.invitation_id}/accept'] button"))
    problems += await checked(page, "lifecycle-02-invitation-accepted")

    async def others_accept(client: httpx.AsyncClient) -> None:
        for member in others:
            member.headers = await bearer(client, member.user)
            assert (await client.post(f"/api/invitations/{member.invitation_id}/accept", headers=member.headers)).status_code == 200
    await walk.api(others_accept)

    # --- The opening: the operator starts it, each bidder releases in the page, the operator closes.
    operator = await walk.make(Role.operator)
    await _as(page, operator, f"/tenders/{tender_id}/opening")
    await page.locator("#release-minutes").fill("30")
    await _go(page, page.locator("#start-form button[type=submit]"))
    for who, bid_id in zip(bidders, bid_ids, strict=True):
        await _as(page, who, f"/tenders/{tender_id}/opening")
        await page.wait_for_selector("#keys-state[data-state=ready]")
        await page.locator(f'button.release[data-bid="{bid_id}"]').click()
        await page.wait_for_selector(f'.release-list li[data-bid="{bid_id}"][data-status=opened]')
    await _as(page, operator, f"/tenders/{tender_id}/opening")
    await _go(page, page.locator("#close-opening"))
    await page.wait_for_selector("#record-link")
    problems += await checked(page, "lifecycle-03-opening-closed")

    # --- The evaluation day: the expert checks in; the organiser starts the evaluation on its page.
    walk.clock.set(datetime.combine(datetime.fromisoformat(evaluation_date).date(), time(9, 0), DISPLAY_ZONE).astimezone(UTC))
    await _as(page, expert.user, "/experts/me/invitations")
    await _go(page, page.locator(f"form[action='/experts/me/invitations/{expert.invitation_id}/check-in'] button"))

    async def others_check_in(client: httpx.AsyncClient) -> None:
        for member in others:
            member.headers = await bearer(client, member.user)
            member.key_id, member.key = await signing_key(client, member.headers)
            checked_in = await client.post(f"/api/invitations/{member.invitation_id}/check-in", headers=member.headers, json={"conflict": False})
            assert checked_in.status_code == 200, checked_in.text
    await walk.api(others_check_in)
    progress = f"/tenders/{tender_id}/evaluation"
    await _as(page, tender.purchaser, progress)
    problems += await checked(page, "lifecycle-04-progress-before-start")
    await _go(page, page.locator("#start-1"))
    assert "done=started" in page.url
    room = await page.locator("#lot-1-panel a[href^='/evaluations/']").first.get_attribute("href")
    evaluation_id = int(room.rsplit("/", 1)[1])

    # --- The expert checks and scores every bid in the room and submits; the others through the API.
    await _as(page, expert.user, room)
    await _go(page, page.locator("#sign-in"))
    for n, bid_id in enumerate(bid_ids):
        await page.locator(f"label[for='bid-{bid_id}-passed']").click()
        await _go(page, page.locator(f"#bid-{bid_id} form.check-form button[type=submit]"))
        points = default_points(0, n)
        await page.locator(f"#bid-{bid_id}-points-technical").fill(points["technical"])
        await page.locator(f"#bid-{bid_id}-points-commercial").fill(points["commercial"])
        await _go(page, page.locator(f"#bid-{bid_id} form.sheet-form button[type=submit]"))

    async def others_score(client: httpx.AsyncClient) -> None:
        base = f"/api/evaluations/{evaluation_id}"
        for m, member in enumerate(others, start=1):
            answers = [await client.post(f"{base}/sign-in", headers=member.headers)]
            for n, bid_id in enumerate(bid_ids):
                answers.append(await client.put(f"{base}/checks/{bid_id}", headers=member.headers, json={"passed": True}))
                answers.append(await client.put(f"{base}/sheets/{bid_id}", headers=member.headers, json={"points": default_points(m, n)}))
            assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        for member in others:  # once every member has checked every bid, which bids are valid is settled
            submitted = await client.post(f"/api/evaluations/{evaluation_id}/submission", headers=member.headers)
            assert submitted.status_code == 200, submitted.text
    await walk.api(others_score)
    await page.goto(room)
    await page.locator("label[for=confirm]").click()
    await _go(page, page.locator("#submit-scores"))
    problems += await checked(page, "lifecycle-05-room-result")

    # --- The report: drawn up and signed in the page with a new key file (its key registered on signing).
    await _go(page, page.locator("#draw-up"))
    digest = await page.locator("#report-digest").inner_text()
    keyfile = tmp_path / "expert-signing-keys.json"  # a key file the expert keeps, as the bidding tool writes it
    keyfile.write_bytes(envelope.write_keyfile(envelope.BidderKeys.generate("评标签名"), SIGNING_PASSPHRASE, iterations=100_000))
    await page.locator("#keyfile").set_input_files(str(keyfile))
    await page.locator("#passphrase").fill(SIGNING_PASSPHRASE)
    async with page.expect_navigation(url="**/report?done=signed", timeout=30_000):
        await page.locator("#sign-report").click()

    async def others_sign(client: httpx.AsyncClient) -> None:
        for member in others:
            signed = await client.post(f"/api/evaluations/{evaluation_id}/signatures", headers=member.headers, json=signature(member, digest))
            assert signed.status_code == 201, signed.text
    await walk.api(others_sign)
    await page.goto(f"/evaluations/{evaluation_id}/report")
    assert await page.locator("#signatures tbody tr[data-member]").count() == 5
    problems += await checked(page, "lifecycle-06-report-signed")
    await _as(page, tender.purchaser, progress)
    problems += await checked(page, "lifecycle-07-progress-signed")

    # --- The candidates are publicised; a bidder objects; the organiser answers.
    await _go(page, page.locator(f"a[href='/tenders/{tender_id}/award']"))
    award_page = f"/tenders/{tender_id}/award"
    await _as(page, bidders[1], award_page)
    form = page.locator(f"form[action='{award_page}/lots/1/objections']")
    await form.locator("#text").fill("第一中标候选人的业绩证明材料与实际不符，请核实。")
    await _go(page, form.locator("button[type=submit]"))
    assert "done=objected" in page.url
    await _as(page, tender.purchaser, award_page)
    answer = page.locator("form[action$='/answer']")
    await answer.locator("textarea").fill("经核实，第一中标候选人的业绩证明真实有效，异议不成立。")
    await _go(page, answer.locator("button[type=submit]"))
    assert "done=answered" in page.url
    problems += await checked(page, "lifecycle-08-objection-answered")

    # --- After the publicity the purchaser confirms the winner and records the contract.
    lot = (await walk.api(lambda client: client.get(f"/api/tenders/{tender_id}/award"))).json()["lots"][0]
    walk.clock.set(datetime.fromisoformat(lot["publicity_ends_at"]))
    await _as(page, tender.purchaser, award_page)
    await _go(page, page.locator(f"form[action='{award_page}/lots/1/confirm'] button[type=submit]"))
    assert "done=awarded" in page.url and await page.locator("tr.winner").count() == 1
    contract = page.locator(f"form[action='{award_page}/lots/1/contract']")
    await contract.locator("#document").set_input_files(CONTRACT)
    await _go(page, contract.locator("button[type=submit]"))
    assert "done=contract" in page.url
    problems += await checked(page, "lifecycle-09-contract-recorded")

    # --- The public reads the result notice.
    result_href = await page.locator("a[href^='/notices/']", has_text="中标结果公告").get_attribute("href")
    await page.context.clear_cookies()
    await page.goto(result_href)
    text = await page.locator("main").inner_text()
    assert "中标（成交）结果公告" in text and "1,180,000.00" in text
    problems += await checked(page, "lifecycle-10-public-result-notice")
    assert (await walk.api(lambda client: client.get(f"/api/tenders/{tender_id}"))).json()["status"] == "contract_signed"
    assert not problems, "\n".join(problems)
