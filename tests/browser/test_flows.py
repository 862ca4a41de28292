"""People's paths through the pages, in Chromium: log in and out, register, change a password,
browse the audit log, switch the language and the care version."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from procurement.identity.models import Role
from tests.browser.pages import log_in, log_out, nav_labels, sign_in, submit
from tests.conftest import (
    TestUser as UserUnderTest,  # not "Test...": pytest would try to collect it
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MakeUser = Callable[..., Awaitable[UserUnderTest]]


async def test_each_role_logs_in_through_the_form_and_sees_its_navigation(page: Any, make_user: MakeUser) -> None:
    expected = {  # role: the main navigation it sees
        Role.supervisor: ["首页", "招标项目", "失信名单", "交易统计", "网上商城", "进场审核", "监督", "审计日志", "我的账户"],
        Role.supplier: ["首页", "招标项目", "失信名单", "交易统计", "网上商城", "商城订单", "我的账户"],
        Role.purchaser: ["首页", "招标项目", "失信名单", "交易统计", "网上商城", "商城订单", "我的项目", "我的账户"],
        Role.agency: ["首页", "招标项目", "失信名单", "交易统计", "网上商城", "我的项目", "我的账户"],
        Role.expert: ["首页", "招标项目", "失信名单", "交易统计", "网上商城", "我的评标邀请", "我的专家信息", "我的账户"],
        Role.operator: ["首页", "招标项目", "失信名单", "交易统计", "网上商城", "进场审核", "评标专家库", "我的账户"],
    }
    for role, labels in expected.items():
        await page.context.clear_cookies()
        await log_in(page, await make_user(role))
        assert await nav_labels(page) == labels, role
        response = await page.goto("/audit")
        assert response is not None
        if role == Role.supervisor:
            assert response.status == 200
            assert await page.locator("h1").inner_text() == "审计日志"
        else:
            assert response.status == 403, role
            assert await page.locator("h1").inner_text() == "无权访问"

    # The trading centre's administrator sees everyone, with each role's name.
    await page.context.clear_cookies()
    await log_in(page, await make_user(Role.operator, Role.admin))
    assert await nav_labels(page) == ["首页", "招标项目", "失信名单", "交易统计", "网上商城", "进场审核", "评标专家库", "用户管理", "我的账户"]
    await page.get_by_role("link", name="用户管理").click()
    await page.wait_for_url("**/users")
    assert await page.locator("h1").inner_text() == "用户管理"
    roles = set(await page.locator("table tbody tr td:nth-child(3)").all_inner_texts())
    names = {"监督人员", "投标人/供应商", "采购人", "招标代理机构", "评标专家", "交易中心工作人员", "管理员、交易中心工作人员"}
    assert names <= roles, roles


async def test_a_wrong_password_shows_an_error_summary_and_logging_out_ends_the_session(page: Any, make_user: MakeUser) -> None:
    user = await make_user(Role.supplier)
    await log_in(page, (user.username, "Wrong-password-9"), expect_success=False)
    summary = page.get_by_role("alert")
    await summary.wait_for()
    assert "请更正以下问题" in await summary.inner_text()
    assert "用户名或密码错误" in await summary.inner_text()
    assert await page.get_by_label("用户名", exact=True).input_value() == user.username
    assert await page.locator(".who").count() == 0

    await log_in(page, user)
    await log_out(page)
    assert await page.locator(".who").count() == 0
    assert await page.locator(".topbar").get_by_role("link", name="登录", exact=True).count() == 1
    response = await page.goto("/account")
    assert response is not None and re.search(r"/login\?next=%2Faccount|/login\?next=/account", page.url)


async def test_the_language_switches_to_english_and_back(page: Any, make_user: MakeUser) -> None:
    user = await make_user(Role.supervisor)
    await sign_in(page, user)
    await page.goto("/audit")
    assert await page.locator("html").get_attribute("lang") == "zh-CN"
    assert await page.locator("h1").inner_text() == "审计日志"

    await page.get_by_role("link", name="English").click()
    await page.wait_for_url("**/audit")
    assert await page.locator("html").get_attribute("lang") == "en"
    assert await page.locator("h1").inner_text() == "Audit log"
    assert await nav_labels(page) == ["Home", "Tenders", "Credit blacklist", "Statistics", "Online mall", "Entry review", "Supervision", "Audit log", "My account"]
    assert await page.locator(".who").inner_text() == f"Logged in as {user.username}"
    assert await page.get_by_role("button", name="Log out").count() == 1
    assert await page.get_by_label("Action", exact=True).count() == 1
    body = await page.locator("body").inner_text()
    assert not re.search(r"[\u4e00-\u9fff]", body.replace("中文", "")), "Chinese text left on the English page"

    await page.get_by_role("link", name="中文").click()
    await page.wait_for_url("**/audit")
    assert await page.locator("html").get_attribute("lang") == "zh-CN"
    assert await page.locator("h1").inner_text() == "审计日志"


async def test_the_care_version_makes_the_text_larger(page: Any) -> None:
    await page.goto("/")

    async def sizes() -> dict[str, float]:
        return await page.evaluate(
            """() => Object.fromEntries(['body', 'main p', '.main-nav a', 'h1'].map(s =>
                 [s, parseFloat(getComputedStyle(document.querySelector(s)).fontSize)]))"""
        )

    standard = await sizes()
    await page.get_by_role("link", name="关怀版（大字）").click()
    await page.wait_for_load_state()
    assert await page.locator("body").get_attribute("class") == "care"
    care = await sizes()
    for selector, size in standard.items():
        assert care[selector] >= size * 1.2, (selector, size, care[selector])

    await page.get_by_role("link", name="标准版").click()
    await page.wait_for_load_state()
    assert await sizes() == standard


async def test_supervisor_filters_the_audit_log_by_action_prefix(page: Any, make_user: MakeUser) -> None:
    supervisor = await make_user(Role.supervisor)
    await sign_in(page, supervisor)
    await page.goto("/")
    await page.get_by_role("navigation", name="主导航").get_by_role("link", name="审计日志").click()
    await page.wait_for_url("**/audit")
    assert await page.locator("table.log tbody tr").count() > 0

    await page.get_by_label("操作", exact=True).fill("identity.")
    await submit(page, "筛选")
    assert "action=identity." in page.url
    actions = await page.locator("table.log tbody tr td:nth-child(4)").all_inner_texts()
    assert actions and all(a.startswith("identity.") for a in actions), actions
    assert "identity.login" in actions
    status = re.fullmatch(r"共 (\d+) 条记录符合条件。", await page.get_by_role("status").inner_text())
    assert status, "the count of matching entries is missing"
    assert int(status.group(1)) == len(actions) or (int(status.group(1)) > len(actions) == 50)  # 50 to a page
    assert await page.get_by_label("操作", exact=True).input_value() == "identity."

    await page.get_by_label("操作", exact=True).fill("nothing.")
    await submit(page, "筛选")
    assert await page.locator("table.log tbody tr").count() == 0
    assert await page.get_by_role("status").inner_text() == "共 0 条记录符合条件。"


async def _fill_registration(page: Any, uscc: str, username: str) -> None:
    await page.goto("/register")
    await page.get_by_label("统一社会信用代码", exact=True).fill(uscc)
    await page.get_by_label("单位名称", exact=True).fill("海南示例科技有限公司")
    await page.get_by_label("行政区划代码", exact=True).fill("460100")
    await page.get_by_label("单位地址", exact=True).fill("海口市龙华区示例路 1 号")
    await page.get_by_label("用户名", exact=True).fill(username)
    await page.get_by_label("姓名", exact=True).fill("张三")
    await page.get_by_label("电子邮箱", exact=True).fill("zhang@example.cn")
    await page.get_by_label("密码", exact=True).fill("Correct-horse-42")
    await submit(page, "注册")


async def test_supplier_registration_checks_the_credit_code_then_registers(page: Any) -> None:
    await _fill_registration(page, "91350100M000100Y44", "hainan-demo")
    summary = page.get_by_role("alert")
    await summary.wait_for()
    text = await summary.inner_text()
    assert "统一社会信用代码：校验码错误（GB 32100-2015）：应为 3，实为 4" in text, text
    assert await summary.get_by_role("link", name="统一社会信用代码").get_attribute("href") == "#uscc"
    field_error = page.locator("#uscc-error")
    assert "校验码错误" in await field_error.inner_text()
    assert await page.get_by_label("统一社会信用代码", exact=True).get_attribute("aria-invalid") == "true"
    assert await page.get_by_label("单位名称", exact=True).input_value() == "海南示例科技有限公司"  # the form keeps what was typed
    assert await page.get_by_label("密码", exact=True).input_value() == ""  # ... except the password
    # Nothing was created: the user name is still free.
    await log_in(page, ("hainan-demo", "Correct-horse-42"), expect_success=False)
    assert "用户名或密码错误" in await page.get_by_role("alert").inner_text()

    await _fill_registration(page, "91350100M000100Y43", "hainan-demo")
    assert page.url.endswith("/login?registered=1")
    assert "单位注册成功" in await page.get_by_role("status").inner_text()
    await log_in(page, ("hainan-demo", "Correct-horse-42"))
    await page.goto("/account")
    assert await page.locator(".facts dd").nth(2).inner_text() == "管理员、投标人/供应商"


async def test_password_change_on_the_account_page(page: Any, make_user: MakeUser) -> None:
    user = await make_user(Role.purchaser)
    await sign_in(page, user)
    await page.goto("/")
    await page.get_by_role("link", name="我的账户").click()
    await page.wait_for_url("**/account")

    await page.get_by_label("当前密码", exact=True).fill("Not-the-password-1")
    await page.get_by_label("新密码", exact=True).fill("New-password-2026")
    await submit(page, "修改密码")
    assert "当前密码：与当前密码不符" in await page.get_by_role("alert").inner_text()

    await page.get_by_label("当前密码", exact=True).fill(user.password)
    await page.get_by_label("新密码", exact=True).fill("short")
    await submit(page, "修改密码")
    assert "新密码：长度不能少于 10 个字符" in await page.get_by_role("alert").inner_text()

    await page.get_by_label("当前密码", exact=True).fill(user.password)
    await page.get_by_label("新密码", exact=True).fill("New-password-2026")
    await submit(page, "修改密码")
    assert "密码已修改" in await page.get_by_role("status").inner_text()
    assert await page.get_by_role("alert").count() == 0

    await log_out(page)
    await log_in(page, user, expect_success=False)
    assert "用户名或密码错误" in await page.get_by_role("alert").inner_text()
    await log_in(page, (user.username, "New-password-2026"))


async def test_the_audit_filter_works_without_javascript(browser: Any, live_server: Any, make_user: MakeUser) -> None:
    """The filter form is a plain GET form: empty fields must not make the page refuse it."""
    supervisor = await make_user(Role.supervisor)
    context = await browser.new_context(base_url=live_server.base_url, locale="zh-CN", java_script_enabled=False)
    try:
        page = await context.new_page()
        await sign_in(page, supervisor)
        await page.goto("/audit")
        await page.get_by_label("操作", exact=True).fill("identity.")
        async with page.expect_navigation() as navigation:
            await page.get_by_role("button", name="筛选").click()
        response = await navigation.value
        assert response.status == 200
        actions = await page.locator("table.log tbody tr td:nth-child(4)").all_inner_texts()
        assert actions and all(a.startswith("identity.") for a in actions), actions
    finally:
        await context.close()
