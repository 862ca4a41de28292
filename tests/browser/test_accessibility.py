"""Keyboard use, labels and contrast, measured in Chromium on the rendered pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from procurement.identity.models import Role
from tests.browser.pages import CONTRAST_JS, sign_in
from tests.conftest import (
    TestUser as UserUnderTest,  # not "Test...": pytest would try to collect it
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MakeUser = Callable[..., Awaitable[UserUnderTest]]

FOCUSED_JS = """() => {
  const e = document.activeElement, style = getComputedStyle(e), box = e.getBoundingClientRect();
  return {
    tag: e.tagName.toLowerCase(), cls: e.className, id: e.id, text: (e.innerText || '').trim(),
    hreflang: e.getAttribute('hreflang'), outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
    visible: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
      && box.left < window.innerWidth && box.top < window.innerHeight,
  };
}"""


def _focus_is_visible(focused: dict[str, Any]) -> bool:
    return focused["outline"] != "none" and focused["outlineWidth"] >= 2 and focused["visible"]


async def test_tab_reaches_the_skip_link_then_the_language_links_with_visible_focus(page: Any) -> None:
    await page.goto("/")
    await page.keyboard.press("Tab")
    first = await page.evaluate(FOCUSED_JS)
    assert first["cls"] == "skip-link" and first["text"] == "跳转到主要内容", first
    assert _focus_is_visible(first), first

    await page.keyboard.press("Tab")
    second = await page.evaluate(FOCUSED_JS)
    assert second["hreflang"] == "en" and second["text"] == "English", second
    assert _focus_is_visible(second), second

    # Every further stop shows where the focus is, down to the end of the page.
    for _ in range(12):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED_JS)
        if focused["tag"] == "body":
            break
        assert _focus_is_visible(focused), focused

    # The skip link skips: Enter moves the focus to the main content.
    await page.goto("/login")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    assert (await page.evaluate(FOCUSED_JS))["id"] == "main"
    await page.keyboard.press("Tab")
    assert (await page.evaluate(FOCUSED_JS))["id"] == "username"


async def test_in_english_the_language_link_leads_back_to_chinese(page: Any) -> None:
    await page.goto("/lang/en?next=/login")
    await page.keyboard.press("Tab")
    assert (await page.evaluate(FOCUSED_JS))["text"] == "Skip to main content"
    await page.keyboard.press("Tab")
    second = await page.evaluate(FOCUSED_JS)
    assert second["hreflang"] == "zh-CN" and second["text"] == "中文", second


UNLABELLED_JS = """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
  .filter(i => !i.labels || i.labels.length === 0 || !Array.from(i.labels).some(l => l.innerText.trim()))
  .map(i => i.name || i.id || i.outerHTML)"""


async def test_every_input_has_a_label(page: Any, make_user: MakeUser) -> None:
    checked = 0
    for path in ("/login", "/register"):
        await page.goto(path)
        assert await page.evaluate(UNLABELLED_JS) == [], path
        checked += await page.locator("input:not([type=hidden])").count()
    await sign_in(page, await make_user(Role.supervisor))
    for path in ("/account", "/audit"):
        await page.goto(path)
        assert await page.evaluate(UNLABELLED_JS) == [], path
        checked += await page.locator("input:not([type=hidden])").count()
    assert checked >= 17  # 2 + 8 + 2 + 5: the check did look at the forms


async def _contrast_failures(page: Any, selectors: list[str]) -> list[str]:
    results = await page.evaluate(CONTRAST_JS, [selectors, 4.5])
    for result in results:
        assert result["measured"], f"nothing visible matches {result['selector']!r} on {page.url}"
    return [f"{page.url} {r['selector']}: {low}" for r in results for low in r["low"]]


async def test_text_contrast_is_at_least_4_5_to_1(page: Any, make_user: MakeUser) -> None:
    header = [".brand", ".main-nav a", ".topbar a", ".lang span[aria-current]"]
    failures = []
    await page.goto("/")
    failures += await _contrast_failures(page, [*header, "main h1", "main p", "main li", ".site-footer p"])
    await page.goto("/register")
    failures += await _contrast_failures(page, ["label", "legend", ".hint", "main button"])

    await sign_in(page, await make_user(Role.supervisor))
    await page.goto("/audit")
    body = ["main h1", "main p", "label", ".hint", "th", "td", "main button"]
    failures += await _contrast_failures(page, [*header, ".who", ".topbar .link-button", ".main-nav a[aria-current]", *body])
    await page.goto("/care/on?next=/audit")  # the care version and English use the same colours, at other sizes
    failures += await _contrast_failures(page, [*header, *body])
    await page.goto("/lang/en?next=/account")
    failures += await _contrast_failures(page, [*header, "dt", "dd", "label", ".hint", "main button"])
    assert not failures, "\n".join(failures)
