"""A per-process cache for public data that changes rarely (the latest audit checkpoint...).

Anonymous readers (feeds, the home page, machine readers polling) should cost the database
nothing most of the time. Entries live ``ttl`` seconds of monotonic time — the platform's
clock is for deadlines, not for this — so a change shows everywhere within ``ttl`` seconds
without any cross-process invalidation. ``ttl`` 0 turns caching off.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any


class PublicCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._entries: dict[str, tuple[float, Any]] = {}

    async def get(self, key: str, load: Callable[[], Awaitable[Any]]) -> Any:
        if self.ttl <= 0:
            return await load()
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = await load()
        self._entries[key] = (now + self.ttl, value)
        return value

    def cache_control(self) -> str:
        return f"public, max-age={int(self.ttl)}" if self.ttl > 0 else "no-cache"
