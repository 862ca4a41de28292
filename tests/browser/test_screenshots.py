"""Full-page screenshots of every page, in Chinese, in English and in the care version.

They land in ``test-output/browser/<page>-<mode>.png`` for a person to look at (layout,
overlaps, untranslated text); the test itself checks only that each page came out in the
language and version asked for. Each version has its own browser context (its own cookies).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from procurement.identity.models import Role
from tests.browser.conftest import LiveServer, new_context, screenshot
from tests.browser.pages import sign_in
from tests.conftest import (
    TestUser as UserUnderTest,  # not "Test...": pytest would try to collect it
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MODES = {  # name: (language cookie, care cookie)
    "zh": ("zh", "0"),
    "en": ("en", "0"),
    "care": ("zh", "1"),
}
HAN = re.compile(r"[\u4e00-\u9fff]")
USER_DATA = re.compile(r"测试用户\d+|测试单位\d+|海南示例科技有限公司|海口市龙华区示例路 1 号|张三")  # typed in, not translated
Step = Callable[[Any], Awaitable[None]]


async def fill_and_submit(page: Any, path: str, values: dict[str, str]) -> None:
    """Fill the main form in one go and submit it; take whatever comes back (the picture shows it).

    Typing is the flow tests' business; here it would only make the pictures slow.
    """
    await page.goto(path)
    async with page.expect_navigation():
        await page.evaluate(
            """(values) => {
                 for (const [id, value] of Object.entries(values)) document.getElementById(id).value = value;
                 document.querySelector('main form').requestSubmit();
               }""",
            values,
        )


def visit(path: str) -> Step:
    async def step(page: Any) -> None:
        await page.goto(path)

    return step


def submit(path: str, values: dict[str, str]) -> Step:
    async def step(page: Any) -> None:
        await fill_and_submit(page, path, values)

    return step


BAD_REGISTRATION = {
    "uscc": "91350100M000100Y44", "organisation_name": "海南示例科技有限公司", "region": "460100",
    "address": "海口市龙华区示例路 1 号", "username": "a b", "display_name": "张三", "email": "zhang@example.cn",
    "password": "Correct-horse-42",
}


async def test_screenshots_of_every_page_in_each_language_and_the_care_version(
    browser: Any, live_server: LiveServer, make_user: Callable[..., Awaitable[UserUnderTest]]
) -> None:
    supervisor = await make_user(Role.supervisor)
    admin = await make_user(Role.operator, Role.admin)
    supplier = await make_user(Role.supplier)
    shots: list[tuple[UserUnderTest | None, str, Step]] = [
        (None, "home", visit("/")),
        (None, "login", visit("/login")),
        (None, "login-error", submit("/login", {"username": "no-such-user", "password": "Wrong-password-9"})),
        (None, "register", visit("/register")),
        (None, "register-error", submit("/register", BAD_REGISTRATION)),
        (None, "not-found", visit("/no-such-page")),
        (supervisor, "home-supervisor", visit("/")),
        (supervisor, "audit", submit("/audit", {"action": "identity."})),
        (supervisor, "account", visit("/account")),
        (supervisor, "account-error", submit("/account", {"current_password": "Not-the-password-1", "new_password": "short"})),
        (supplier, "forbidden", visit("/audit")),
        (admin, "users", visit("/users")),
    ]

    async def take_all(mode: str) -> int:
        language, care = MODES[mode]
        cookies = [{"name": name, "value": value, "url": live_server.base_url} for name, value in (("lang", language), ("care", care))]
        context = await new_context(browser, live_server)
        try:
            page = await context.new_page()
            current: object = object()  # nobody yet, not even "logged out"
            taken = 0
            for user, name, step in shots:
                if user is not current:
                    await context.clear_cookies()
                    if user is not None:
                        await sign_in(page, user)
                    await context.add_cookies(cookies)
                    current = user
                await step(page)
                await screenshot(page, f"{name}-{mode}")
                taken += 1
                html_lang, body_class, main = await page.evaluate(
                    "() => [document.documentElement.getAttribute('lang'), document.body && document.body.className,"
                    " document.querySelector('main') && document.querySelector('main').innerText]"
                )
                assert html_lang is not None, f"{name}-{mode} is not an HTML page"
                assert html_lang == ("en" if language == "en" else "zh-CN"), (name, mode)
                assert (body_class == "care") == (care == "1"), (name, mode)
                if language == "en":
                    assert not HAN.search(USER_DATA.sub("", main)), (name, main)
                else:
                    assert HAN.search(main), (name, main)
            return taken
        finally:
            await context.close()

    taken = [await take_all(mode) for mode in MODES]
    assert sum(taken) == len(shots) * len(MODES)
