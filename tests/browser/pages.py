"""Helpers the browser tests share: logging in through the form, reading computed styles."""

from __future__ import annotations

from typing import Any

from tests.conftest import TestUser


def expect_html(response: Any) -> None:
    content_type = response.headers.get("content-type", "") if response is not None else ""
    assert content_type.startswith("text/html"), content_type


async def log_in(page: Any, user: TestUser | tuple[str, str], *, expect_success: bool = True) -> None:
    username, password = (user.username, user.password) if isinstance(user, TestUser) else user
    await page.goto("/login")
    await page.get_by_label("用户名", exact=True).fill(username)
    await page.get_by_label("密码", exact=True).fill(password)
    await submit(page, "登录")
    if expect_success:
        assert await page.locator(".who").inner_text() == f"当前用户：{username}"


async def sign_in(page: Any, user: TestUser) -> None:
    """Log in without the form (one request from the page's context, which keeps the cookie),
    for tests about something else; ``log_in`` is the way a person does it."""
    response = await page.context.request.post(
        "/login", form={"username": user.username, "password": user.password, "next": "/"}, max_redirects=0
    )
    assert response.status == 303, await response.text()


async def submit(page: Any, button: str) -> None:
    """Press the main form's button with this name and wait for the page that answers."""
    async with page.expect_navigation() as navigation:
        await page.locator("main").get_by_role("button", name=button, exact=True).click()
    expect_html(await navigation.value)


async def log_out(page: Any) -> None:
    async with page.expect_navigation():
        await page.locator(".site-header form[action='/logout'] button").click()


async def nav_labels(page: Any) -> list[str]:
    return [label.strip() for label in await page.locator(".main-nav a").all_inner_texts()]


# WCAG 2.x contrast of the text of every visible element matching each selector against the
# background it is painted on: the first opaque background up the tree (translucent ones
# composed over it), white if none. Returns, per selector, how many elements it measured and
# those below the minimum ratio.
CONTRAST_JS = """
([selectors, minimum]) => {
  const parse = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const luminance = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const contrast = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let background = {r: 255, g: 255, b: 255, a: 1};
    for (const layer of layers.reverse()) background = over(layer, background);
    const foreground = over(parse(getComputedStyle(element).color), background);
    const [hi, lo] = [luminance(foreground), luminance(background)].sort((x, y) => y - x);
    return {ratio: (hi + 0.05) / (lo + 0.05), color: getComputedStyle(element).color,
            background: `rgb(${Math.round(background.r)}, ${Math.round(background.g)}, ${Math.round(background.b)})`};
  };
  return selectors.map((selector) => {
    const elements = Array.from(document.querySelectorAll(selector))
      .filter((e) => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden' && (e.innerText || '').trim());
    const low = elements.map((e) => ({text: e.innerText.trim().slice(0, 30), ...contrast(e)})).filter((r) => r.ratio < minimum);
    return {selector, measured: elements.length, low};
  });
}
"""
