"""A live platform for the bidder's command line: the real app under uvicorn on a free port.

The CLI talks HTTP to a URL, as on a bidder's machine, so it needs a server rather than the
in-process test client. Each test gets its own app on the suite's ``settings`` (SQLite and
PostgreSQL) and ``clock``; set-up that needs the database runs on the server's own loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from procurement.app import create_app
from procurement.clock import FrozenClock
from procurement.settings import Settings
from tests.browser.conftest import LiveServer
from tests.conftest import TestUser, Users


class LiveUsers:
    """``Users`` whose database work runs on the live server's loop (where its engine lives)."""

    def __init__(self, server: LiveServer) -> None:
        self._server = server
        self._users = Users(server.app.state.platform)

    async def make(self, *roles: Any, **options: Any) -> TestUser:
        return await self._server.run(self._users.make(*roles, **options))


@pytest.fixture
def live_server(settings: Settings, clock: FrozenClock) -> Iterator[LiveServer]:
    server = LiveServer(create_app(settings, clock=clock, run_scheduler=False))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_users(live_server: LiveServer) -> LiveUsers:
    return LiveUsers(live_server)


@pytest.fixture
async def live_client(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """Plain HTTP to the live server, for set-up the CLI does not do (tenders, documents)."""
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        yield client
