"""The evaluation room in Chromium: an expert signs in, checks and scores each bid (a mistake caught
as it is typed and shown at its field, the running total kept, one bid scored by keyboard alone),
submits after confirming, sees the result, draws up the report and signs it with their key file in
the page; the organiser follows it on the progress page (in Chinese, then in English).

The other four experts of the committee work through the API (``tests/bidding/evaluation_testlib``):
the room is what this test is about, and it is the same for each of them. Labels, page width and
contrast are checked on each page; screenshots go to test-output/browser/evaluation-*.png.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bidding import envelope
from tests.bidding.evaluation_testlib import (
    EvaluationDay,
    Member,
    check_all,
    evaluation_day,
    score_all,
    sign_in_all,
    signature,
    start,
    submit_all,
)
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.pages import CONTRAST_JS, sign_in
from tests.browser.test_accessibility import FOCUSED_JS, _focus_is_visible
from tests.browser.test_credit_browser import OVERFLOW_JS, TEXT, UNLABELLED_JS
from tests.conftest import Users

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
PASSPHRASE = "评标签名口令 correct horse"


async def checked(page: Any, name: str) -> list[str]:
    """Screenshot the page and list what is wrong with it: unlabelled fields, sideways scrolling, low contrast."""
    problems = [f"{page.url} unlabelled: {n}" for n in await page.evaluate(UNLABELLED_JS)]
    problems += [f"{page.url} wider than the window: {e}" for e in await page.evaluate(OVERFLOW_JS)]
    results = await page.evaluate(CONTRAST_JS, [TEXT + [".field-error", "output", ".tag"], 4.5])
    problems += [f"{page.url} {r['selector']}: {low}" for r in results for low in r["low"]]
    await screenshot(page, name)
    return problems


def keyfile_of(member: Member, path: Any) -> Any:
    """The member's key file as the bidding tool writes it, holding the Ed25519 key their client registered."""
    keys = envelope.BidderKeys(X25519PrivateKey.generate(), member.key, "评标签名")
    path.write_bytes(envelope.write_keyfile(keys, PASSPHRASE, iterations=100_000))
    return path


async def sign_with_keyfile(page: Any, keyfile: Any, dissent: str = "") -> None:
    """On the report page: open the key file in the page, sign, and wait for the page to come back signed."""
    await page.locator("#keyfile").set_input_files(str(keyfile))
    await page.locator("#passphrase").fill(PASSPHRASE)
    if dissent:
        await page.locator("#dissent").fill(dissent)
    async with page.expect_navigation(url="**/report?done=signed", timeout=30_000):
        await page.locator("#sign-report").click()


async def _day(live_server: LiveServer) -> tuple[EvaluationDay, int]:
    """An evaluation day with the evaluation started, built on the server's loop where its database lives."""
    platform = live_server.app.state.platform

    async def build() -> tuple[EvaluationDay, int]:
        async with httpx.AsyncClient(base_url=live_server.base_url, timeout=60) as client:
            day = await evaluation_day(client, Users(platform), platform, platform.clock)
            return day, (await start(client, day))["id"]

    return await live_server.run(build())


async def _api(live_server: LiveServer, work: Any) -> Any:
    """``work(client)`` on the server's loop: the other members' part, through the API."""
    async def run() -> Any:
        async with httpx.AsyncClient(base_url=live_server.base_url, timeout=60) as client:
            return await work(client)

    return await live_server.run(run())


async def test_an_expert_scores_submits_and_signs_in_the_room(page: Any, live_server: LiveServer, tmp_path: Any) -> None:
    day, evaluation_id = await _day(live_server)
    room = f"/evaluations/{evaluation_id}"
    me, others = day.experts[0], day.members[1:]
    problems: list[str] = []

    await sign_in(page, me.user)
    await page.goto(room)
    assert await page.locator("#sign-in").is_visible()
    problems += await checked(page, "evaluation-1-room-before-sign-in")
    async with page.expect_navigation():
        await page.locator("#sign-in").click()
    assert "done=signed_in" in page.url
    assert await page.locator("section.bid").count() == 3
    problems += await checked(page, "evaluation-2-room-bids")

    first, second, third = day.bid_ids
    # A check and a mistake in the scores, caught as it is typed: the error at the field, no total.
    await page.locator(f"label[for='bid-{first}-passed']").click()
    async with page.expect_navigation():
        await page.locator(f"#bid-{first} form.check-form button[type=submit]").click()
    technical, commercial = page.locator(f"#bid-{first}-points-technical"), page.locator(f"#bid-{first}-points-commercial")
    await technical.fill("45")
    error = page.locator(f"#bid-{first}-points-technical-error")
    assert await error.is_visible() and "40" in await error.inner_text()
    assert await technical.get_attribute("aria-invalid") == "true"
    assert await page.locator(f"#bid-{first}-total").inner_text() == "—"
    await commercial.fill("8.125")
    assert await page.locator(f"#bid-{first}-points-commercial-error").is_visible()
    problems += await checked(page, "evaluation-3-score-error-at-the-field")
    # Saving with the mistakes stays on the page and puts the focus on the first wrong field.
    await page.locator(f"#bid-{first} form.sheet-form button[type=submit]").click()
    assert (await page.evaluate(FOCUSED_JS))["id"] == f"bid-{first}-points-technical"
    await technical.fill("19.5")  # far below the others: flagged in the result
    await commercial.fill("8")
    assert not await error.is_visible() and await technical.get_attribute("aria-invalid") is None
    assert await page.locator(f"#bid-{first}-total").inner_text() == "27.50"
    async with page.expect_navigation():
        await page.locator(f"#bid-{first} form.sheet-form button[type=submit]").click()
    assert "done=scored" in page.url and await technical.input_value() == "19.5"

    # The next bids: one failed check needs its reason (the server says so at the field), one scored by keyboard alone.
    await page.locator(f"label[for='bid-{second}-passed-no']").click()
    async with page.expect_navigation():
        await page.locator(f"#bid-{second} form.check-form button[type=submit]").click()
    assert await page.locator(".error-summary").is_visible()
    assert await page.locator(f"#bid-{second}-reason-error").is_visible()
    problems += await checked(page, "evaluation-4-check-needs-a-reason")
    await page.locator(f"label[for='bid-{second}-passed']").click()
    async with page.expect_navigation():
        await page.locator(f"#bid-{second} form.check-form button[type=submit]").click()
    await page.locator(f"label[for='bid-{third}-passed']").click()
    async with page.expect_navigation():
        await page.locator(f"#bid-{third} form.check-form button[type=submit]").click()
    for bid, (tech, comm) in ((second, ("33", "7.5")), (third, ("31.25", "9"))):
        await page.locator(f"#bid-{bid}-points-technical").focus()
        await page.keyboard.type(tech)
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED_JS)
        assert focused["id"] == f"bid-{bid}-points-commercial" and _focus_is_visible(focused), focused
        await page.keyboard.type(comm)
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
    assert await page.locator(f"#bid-{third}-total").inner_text() == "40.25"

    # The others check and score; the expert submits after confirming; then the others submit.
    async def others_work(client: httpx.AsyncClient) -> None:
        await sign_in_all(client, day, evaluation_id)
        await check_all(client, day, evaluation_id, members=others)
        await score_all(client, day, evaluation_id, members=others)
    await _api(live_server, others_work)
    await page.goto(room)
    submit = page.locator("#submit-scores")
    await submit.click()  # not confirmed: the browser asks for the box first
    assert "done=submitted" not in page.url and await page.evaluate("() => document.querySelector('#confirm').validity.valueMissing")
    await page.locator("label[for=confirm]").click()
    async with page.expect_navigation():
        await submit.click()
    assert "done=submitted" in page.url and await page.locator("#reopen").is_visible()
    await _api(live_server, lambda client: submit_all(client, day, evaluation_id, members=others))

    # Everyone submitted: the result, with the disagreement this expert's scores make flagged.
    await page.goto(room)
    assert await page.locator("#result table.result tbody tr").count() == 3
    assert await page.locator("ul.disagreements li").count() >= 1
    problems += await checked(page, "evaluation-5-result")
    async with page.expect_navigation():
        await page.locator("#draw-up").click()
    assert page.url.endswith("/report?done=reported")
    digest = await page.locator("#report-digest").inner_text()
    problems += await checked(page, "evaluation-6-report-to-sign")

    # Signing: a wrong passphrase is said in the page's language; the key file then signs in the page.
    keyfile = keyfile_of(me, tmp_path / "signing-keys.json")
    await page.locator("#keyfile").set_input_files(str(keyfile))
    await page.locator("#passphrase").fill("not the passphrase")
    await page.locator("#sign-report").click()
    messages = json.loads(await page.locator("#evaluation-messages").text_content())
    await page.wait_for_selector("#sign-error:not([hidden])", timeout=30_000)
    assert await page.locator("#sign-error").inner_text() == messages["wrong_passphrase"]
    await sign_with_keyfile(page, keyfile)
    async def report(client: httpx.AsyncClient) -> dict[str, Any]:
        return (await client.get(f"/api/evaluations/{evaluation_id}/report", headers=me.headers)).json()
    signed = await _api(live_server, report)
    assert signed["report_sha256"] == digest and [s["dissent"] for s in signed["signatures"]] == [""]
    assert await page.locator("#sign-form").count() == 0
    problems += await checked(page, "evaluation-7-signed")

    # The others sign; the organiser follows it all on the progress page, and reads it in English too.
    await _api(live_server, lambda client: _sign_others(client, day, evaluation_id, digest))
    await page.context.clear_cookies()
    await sign_in(page, day.tender.purchaser)
    await page.goto(f"/tenders/{day.tender.id}/evaluation")
    assert await page.locator(f"a[href='/api/evaluations/{evaluation_id}/report/pdf']").count() == 1
    assert await page.locator(f"a[href='/tenders/{day.tender.id}/award']").count() == 1
    problems += await checked(page, "evaluation-8-progress-signed")
    async with page.expect_navigation():
        await page.locator(".lang a[hreflang=en]").click()
    assert await page.locator("h1").inner_text() == "Evaluation progress"
    problems += await checked(page, "evaluation-9-progress-en")
    assert not problems, "\n".join(problems)


async def _sign_others(client: httpx.AsyncClient, day: EvaluationDay, evaluation_id: int, digest: str) -> None:
    for member in day.members[1:]:
        signed = await client.post(f"/api/evaluations/{evaluation_id}/signatures", headers=member.headers, json=signature(member, digest))
        assert signed.status_code == 201, signed.text
