"""The platform's long-lived parts, built once per process and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass

from procurement.clock import Clock, SystemClock
from procurement.db import Database
from procurement.identity.passwords import PasswordHasher
from procurement.keys import PlatformKeys
from procurement.settings import Settings
from storage import ObjectStore, open_store


@dataclass
class Platform:
    settings: Settings
    db: Database
    clock: Clock
    keys: PlatformKeys
    hasher: PasswordHasher
    store: ObjectStore

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None) -> Platform:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls(
            settings=settings,
            db=Database(settings.resolved_database_url),
            clock=clock or SystemClock(),
            keys=PlatformKeys.load_or_create(settings.resolved_keys_dir, settings.session_secret),
            hasher=PasswordHasher(settings.argon2_memory_kib, settings.argon2_iterations, settings.argon2_lanes),
            store=open_store(
                settings.resolved_storage_url,
                access_key=settings.storage_access_key or None,
                secret_key=settings.storage_secret_key or None,
            ),
        )

    async def close(self) -> None:
        await self.db.dispose()
