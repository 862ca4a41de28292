"""Headless Chromium against the real app, served by uvicorn on a free local port.

* Each test module gets its own app and database (SQLite is enough here: the pages do not
  care), served by uvicorn on a background thread with its own event loop; set-up that needs
  the database (``make_user``) runs on that loop, through the app's own platform. Tests make
  their own users, so they do not depend on each other.
* One Chromium per test session and one page per module (starting Chromium takes seconds, a
  new context's renderer half a second more); every test starts on a blank page with no
  cookies, so no session, language or care-version choice leaks from one test to the next.
  Chromium is Debian's (``/usr/bin/chromium``); nothing is downloaded. Without it the tests
  are skipped, except in CI (``CI`` set), where they fail.
* Screenshots go to ``test-output/browser/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import pytest_asyncio
import uvicorn
from litestar import Litestar

from procurement.app import create_app
from procurement.clock import FrozenClock
from procurement.settings import Settings
from tests.conftest import TestUser, Users

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000
VIEWPORT = {"width": 1280, "height": 800}


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed (Debian package `chromium`), and CI runs the browser tests")
        pytest.skip("Chromium is not installed: `apt-get install chromium` to run the browser tests")
    return path


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only, for a browser test that uses the suite's ``settings``/``app`` fixtures
    (overrides the SQLite-and-PostgreSQL parametrisation)."""
    path = tmp_path / "procurement.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


class LiveServer:
    """The app under uvicorn on 127.0.0.1:<free port>, on a thread with its own event loop."""

    def __init__(self, app: Litestar) -> None:
        self.app = app
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Inherited by accepted connections; without it every keep-alive response waits ~40 ms
        # (Nagle's algorithm meets delayed ACKs: uvicorn writes headers and body separately).
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._serve, name=f"uvicorn-{self.port}", daemon=True)
        self._error: BaseException | None = None

    def _serve(self) -> None:
        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            await self._server.serve(sockets=[self._socket])

        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported by start()/stop()
            self._error = exc

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"uvicorn did not start: {self._error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 15 s")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop (where its database engine lives)."""
        assert self._loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._loop))


@pytest.fixture(scope="module")
def browser_settings(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Settings:
    """Like the suite's ``settings`` fixture, for a whole module, on a copy of the SQLite template."""
    base = tmp_path_factory.mktemp("browser")
    shutil.copyfile(sqlite_template, base / "procurement.db")
    return Settings(
        data_dir=base / "var",
        database_url=f"sqlite+aiosqlite:///{base / 'procurement.db'}",
        argon2_memory_kib=1024,
        argon2_iterations=1,
        argon2_lanes=1,
        log_json=False,
        log_level="WARNING",
    )


@pytest.fixture(scope="module")
def live_server(browser_settings: Settings) -> Iterator[LiveServer]:
    chromium_path()  # no server to start when there is no browser to drive it
    server = LiveServer(create_app(browser_settings, clock=FrozenClock(), run_scheduler=False))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def make_user(live_server: LiveServer) -> Callable[..., Awaitable[TestUser]]:
    """``await make_user(Role.supervisor)``: a user (and organisation) made through the identity service."""
    users = Users(live_server.app.state.platform)

    async def make(*roles: Any, **options: Any) -> TestUser:
        return await live_server.run(users.make(*roles, **options))

    return make


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    executable = chromium_path()
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("the playwright package is not installed, and CI runs the browser tests")
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def new_context(browser: Any, live_server: LiveServer, **options: Any) -> Any:
    ctx = await browser.new_context(base_url=live_server.base_url, locale="zh-CN", viewport=VIEWPORT, **options)
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def context(browser: Any, live_server: LiveServer) -> AsyncIterator[Any]:
    ctx = await new_context(browser, live_server)
    yield ctx
    await ctx.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def _module_page(context: Any) -> Any:
    return await context.new_page()


@pytest_asyncio.fixture(loop_scope="session")
async def page(context: Any, _module_page: Any) -> Any:
    """The module's page, blank and with no cookies: logged out, in Chinese, standard version."""
    await context.clear_cookies()
    await _module_page.goto("about:blank")
    return _module_page


async def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    return path
