"""The sealed-bid walk in Chromium: a bidder makes its keys, seals two files and submits them in the
page; two others seal, submit and later release with the command line (`procurement bid`); the
clock passes the deadline and the bids are counted; the operator starts the opening in its page;
the browser bidder releases in the page; the operator closes; the opening record shows the three prices.

What leaves the browser is watched: every request body the page sends is captured, the sealed
upload's parts add up to the envelope the receipt names, and neither the files' bytes nor the
price appears in any of them. The receipt the page offers is checked offline in Python.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from bidding import envelope
from bidding.receipts import verify_receipt
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.bidding.bid_testlib import open_tender
from tests.bidding.test_bid_cli import PASSPHRASE as CLI_PASSPHRASE
from tests.bidding.test_bid_cli import _bid_folder as bid_folder
from tests.bidding.test_bid_cli import _bidder as cli_bidder
from tests.bidding.test_bid_cli import _seal as seal_with_cli
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.pages import CONTRAST_JS, sign_in
from tests.conftest import (
    TestUser as UserUnderTest,  # not "Test...": pytest would collect it
)
from tests.conftest import bearer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MakeUser = Callable[..., Awaitable[UserUnderTest]]
ONE_LOT = [{"title": "全部内容", "budget": "1250000.00", "bid_security": "25000.00"}]
PRICE = "1180000.00"
OTHER_PRICES = ("1199000.50", "1210000.00")
PASSPHRASE = "correct horse battery staple"
MARKER = b"PLAINTEXT-NEVER-LEAVES-THE-PAGE"
# textContent, not innerText: the key forms sit in closed <details> until opened.
UNLABELLED_JS = """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
  .filter(i => !i.labels || i.labels.length === 0 || !Array.from(i.labels).some(l => l.textContent.trim()))
  .map(i => i.name || i.id || i.outerHTML)"""
# Records each change of the sealing progress (text, value, max) while it happens.
WATCH_PROGRESS = """() => {
  window.progressSeen = [];
  const text = document.querySelector('#lot-1 .progress-text');
  const bar = document.querySelector('#lot-1 progress');
  new MutationObserver(() => window.progressSeen.push([text.textContent, bar.value, bar.max]))
    .observe(document.querySelector('#lot-1 .seal-progress'), {subtree: true, childList: true, characterData: true, attributes: true});
}"""


# Chromium does not hand Playwright the bytes of a Blob body, so the page records what it sends:
# every fetch and XMLHttpRequest body, as the page passes it to the network (Blob or string).
RECORD_BODIES = """() => {
  window.sentBodies = [];
  const keep = (method, url, body) => window.sentBodies.push({method, url: String(url), body: body ?? ''});
  const send = XMLHttpRequest.prototype.send, open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) { this._seen = [method, url]; return open.call(this, method, url, ...rest); };
  XMLHttpRequest.prototype.send = function (body) { keep(...this._seen, body); return send.call(this, body); };
  const original = window.fetch;
  window.fetch = (input, options = {}) => { keep(options.method || 'GET', input, options.body); return original(input, options); };
}"""
READ_BODIES = """async () => {
  const out = [];
  for (const {method, url, body} of window.sentBodies) {
    const bytes = new Uint8Array(await new Blob([body]).arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    out.push([method, url, btoa(text)]);
  }
  return out;
}"""


async def _sent(page: Any) -> list[tuple[str, str, bytes]]:
    return [(method, url, base64.b64decode(body)) for method, url, body in await page.evaluate(READ_BODIES)]


class _Users:
    """``users.make`` for the bid test helpers, on the live server's loop."""

    def __init__(self, make_user: MakeUser) -> None:
        self.make = make_user


def _file(name: str, size: int) -> dict[str, Any]:
    """A file whose every kilobyte carries the marker, so any plaintext leak shows."""
    line = MARKER + b" " + name.encode() + b"\n"
    return {"name": name, "mimeType": "application/pdf", "buffer": (line * (size // len(line) + 1))[:size]}


def _prefix(message: str) -> str:
    """The words of a progress message before its first placeholder (the page's language)."""
    return message.split("%(")[0]


async def _contrast(page: Any, selectors: list[str]) -> list[str]:
    results = await page.evaluate(CONTRAST_JS, [selectors, 4.5])
    return [f"{page.url} {r['selector']}: {low}" for r in results for low in r["low"]]


async def _reaches_by_tab(page: Any, element_id: str, presses: int = 60) -> bool:
    await page.locator("body").focus()
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return True
    return False


async def test_a_bidder_seals_and_submits_in_chromium_and_the_opening_record_appears(
    page: Any, live_server: LiveServer, make_user: MakeUser, tmp_path: Any
) -> None:
    platform = live_server.app.state.platform
    clock = platform.clock
    users = _Users(make_user)
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=60) as client:
        tender = await open_tender(client, users, clock, lots=ONE_LOT)
        me = await make_user(Role.supplier)
        assert (await client.post(f"/api/tenders/{tender.id}/obtained", headers=await bearer(client, me))).status_code == 201

        # --- The bidder's page: keys made in the browser, registered, the key file downloaded.
        await sign_in(page, me)
        await page.goto(f"/tenders/{tender.id}/bid")
        await page.wait_for_selector("#keys-state[data-state=none]")
        assert await page.evaluate(UNLABELLED_JS) == []
        assert await _reaches_by_tab(page, "price-1"), "the lot form is not reachable with the keyboard"
        await screenshot(page, "bidding-1-bid-page")
        await page.locator("#keys-generate summary").click()
        await page.locator("#key-passphrase").fill(PASSPHRASE)
        await page.locator("#key-passphrase-again").fill(PASSPHRASE)
        async with page.expect_download() as downloading:
            await page.locator("#generate-form button[type=submit]").click()
        keyfile = tmp_path / "bid-keys.json"
        await (await downloading.value).save_as(keyfile)
        await page.wait_for_selector("#keys-state[data-state=ready]", timeout=30_000)
        keys = envelope.read_keyfile(keyfile.read_bytes(), PASSPHRASE)  # the file Python's CLI reads too
        registered = (await client.get("/api/me/keys", headers=await bearer(client, me))).json()
        assert {base64.b64decode(k["public_key"]) for k in registered} == {keys.x25519_public, keys.ed25519_public}
        await screenshot(page, "bidding-2-keys")

        # --- Seal two files in the page, with progress, and submit; watch every byte sent.
        await page.evaluate(RECORD_BODIES)
        files = [_file("技术标.pdf", 3 * 1024 * 1024 + 17), _file("商务标.pdf", 700 * 1024)]
        await page.locator("#price-1").fill(PRICE)
        await page.locator("#duration-1").fill("180")
        await page.locator("#files-1").set_input_files(files)
        await page.evaluate(WATCH_PROGRESS)
        await page.locator("#lot-1 button[type=submit]").click()
        await page.wait_for_selector("#receipt:not([hidden])", timeout=60_000)
        assert await page.locator("#lot-1 .lot-message").inner_text() == ""
        messages = json.loads(await page.locator("#bid-messages").text_content())
        seen = " | ".join(text for text, _, _ in await page.evaluate("() => window.progressSeen"))
        for phase in ("measuring", "sealing", "uploading", "submitted"):
            assert _prefix(messages[phase]) in seen, (phase, seen[:500])
        await screenshot(page, "bidding-3-receipt")

        bid_id = int(await page.locator("[data-receipt=id]").inner_text())
        async with page.expect_download() as downloading:
            await page.locator("#download-receipt").click()
        receipt_file = tmp_path / "receipt.json"
        await (await downloading.value).save_as(receipt_file)
        document = json.loads(receipt_file.read_text())
        check = verify_receipt(document["receipt"], document["receipt_signature"], platform.keys.public_key)
        assert check.ok, check.failures
        facts = document["receipt"]["bid"]
        assert await page.locator("[data-receipt=sha256]").inner_text() == facts["envelope_sha256"]
        assert str(document["receipt"]["audit"]["entry"]["seq"]) in await page.locator("[data-receipt=audit]").inner_text()

        # Only the sealed envelope left the page: its parts are the envelope, no plaintext anywhere.
        bodies = await _sent(page)
        parts = [body for method, url, body in bodies if method == "PUT" and "/api/bid-uploads/" in url]
        envelope_bytes = b"".join(parts)
        assert len(envelope_bytes) == facts["size"] and hashlib.sha256(envelope_bytes).hexdigest() == facts["envelope_sha256"]
        for method, url, body in bodies:
            assert MARKER not in body and PRICE.encode() not in body, (method, url)
        # ... and it is the bid sealed in the page: it opens with the key file's key, to the files chosen.
        opened = envelope.open_envelope([envelope_bytes], envelope.unwrap_content_key(envelope.read_header([envelope_bytes]), keys.x25519))
        assert opened.manifest.fields["price"] == PRICE and opened.manifest.fields["duration_days"] == 180
        assert [(entry.name, b"".join(content)) for entry, content in opened.files()] == [(f["name"], f["buffer"]) for f in files]
        listed = page.locator(f'#my-bids tr[data-bid="{bid_id}"]')
        assert await listed.count() == 1 and await listed.locator("button.withdraw").count() == 1
        assert await page.locator("#lot-1").get_attribute("data-version") == "2"

        # --- Two other bidders seal and submit with the command line, on their own machines.
        others = []
        for n, price in enumerate(OTHER_PRICES):
            home = tmp_path / f"cli-bidder-{n}"
            home.mkdir()
            who = await cli_bidder(live_server, client, users, home, tender.id)
            out = home / "bid.bid"
            assert seal_with_cli(who, tender.id, bid_folder(home), out, price=price).exit_code == 0
            submitted = who.run("submit", str(out))
            assert submitted.exit_code == 0, submitted.output
            others.append((who, out))

        # --- The deadline passes; the scheduler counts the bids.
        deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"])
        clock.set(deadline + timedelta(seconds=1))
        for _ in range(2):
            await live_server.run(sweep(platform, build_registry()))
        assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "bidding_closed"

        # --- The operator starts the opening in its page.
        operator = await make_user(Role.operator)
        await page.context.clear_cookies()
        await sign_in(page, operator)
        await page.goto(f"/tenders/{tender.id}/opening")
        assert await page.evaluate(UNLABELLED_JS) == []
        await screenshot(page, "bidding-4-opening-operator")
        await page.locator("#release-minutes").fill("30")
        async with page.expect_navigation():
            await page.locator("#start-form button[type=submit]").click()
        assert await page.locator("#close-opening").is_visible()
        assert await page.locator("#opening-progress tr[data-status=submitted]").count() == 3
        await screenshot(page, "bidding-5-opening-started")

        # --- The browser bidder releases in the page: the keys and the header were kept in this browser.
        await page.context.clear_cookies()
        await sign_in(page, me)
        await page.goto(f"/tenders/{tender.id}/opening")
        await page.wait_for_selector("#keys-state[data-state=ready]")
        await page.evaluate(RECORD_BODIES)
        await page.locator(f'button.release[data-bid="{bid_id}"]').click()
        await page.wait_for_selector(f'.release-list li[data-bid="{bid_id}"][data-status=opened]')
        assert await page.locator("#opening-error").inner_text() == ""
        released = [body for method, url, body in await _sent(page) if url.endswith(f"/api/bids/{bid_id}/release")]
        assert len(released) == 1 and set(json.loads(released[0])) == {"content_key"}
        await screenshot(page, "bidding-6-released")

        # --- The other two release outside the browser; the operator sees it live, and closes.
        for who, out in others:
            who.login()  # a new day's session
            bid_number = json.loads(out.with_name(out.name + ".receipt.json").read_text())["receipt"]["bid"]["id"]
            released = who.run("release", str(bid_number), str(out), "--keys", str(who.keyfile), input=f"{CLI_PASSPHRASE}\n")
            assert released.exit_code == 0, released.output
        await page.context.clear_cookies()
        await sign_in(page, operator)
        await page.goto(f"/tenders/{tender.id}/opening")
        assert await page.locator("#opening-progress tr[data-status=opened]").count() == 3
        failures = await _contrast(page, ["main h1", "main dt", "main dd", ".opening-live", "main button", "th", "td", ".hint"])
        async with page.expect_navigation():
            await page.locator("#close-opening").click()
        await page.wait_for_selector("#record-link")
        await screenshot(page, "bidding-7-closed")
        for price in ("1,180,000.00", "1,199,000.50", "1,210,000.00"):
            assert await page.locator("#opening-progress td.num", has_text=price).count() == 1

        # --- The opening record, public.
        await page.context.clear_cookies()
        record = await page.locator("#record-link").get_attribute("href")
        await page.goto(record)
        text = await page.locator("main").inner_text()
        for price in ("1,180,000.00", "1,199,000.50", "1,210,000.00"):
            assert price in text, price
        await screenshot(page, "bidding-8-record")

        await sign_in(page, me)
        await page.goto(f"/tenders/{tender.id}/bid")
        failures += await _contrast(page, ["main h1", "main dt", "main dd", "label", ".hint", "main button", "summary", "#keys-state"])
        assert failures == []
