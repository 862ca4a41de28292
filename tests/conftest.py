"""Fixtures shared by the whole suite: real databases, the app, users, a clock we own.

Every database test runs twice, on SQLite and on PostgreSQL. PostgreSQL comes from
PROCUREMENT_TEST_POSTGRES_URL (CI sets it and then it must answer) or, outside CI, the
local server at 127.0.0.1:5432 if one answers; otherwise those runs are skipped and say why.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from procurement.app import create_app
from procurement.audit.chain import GENESIS_HASH
from procurement.clock import FrozenClock
from procurement.identity import schemas, service
from procurement.identity.models import OrganisationKind, Role
from procurement.identity.uscc import make_uscc
from procurement.migrate import upgrade
from procurement.platform import Platform
from procurement.settings import Settings

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TEST_PASSWORD = "Test-password-1"


def _postgres_admin_url() -> tuple[str | None, str]:
    explicit = os.environ.get("PROCUREMENT_TEST_POSTGRES_URL")
    url = explicit or DEFAULT_POSTGRES
    try:
        engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        if explicit or os.environ.get("CI"):
            raise RuntimeError(f"PostgreSQL at {url} does not answer, and CI requires it: {exc}") from exc
        return None, f"no PostgreSQL answers at {url} ({type(exc).__name__}); set PROCUREMENT_TEST_POSTGRES_URL"
    return url, ""


@pytest.fixture(scope="session")
def postgres_template(worker_id: str) -> Iterator[str | None]:
    """A freshly migrated PostgreSQL database for this test process, or None."""
    admin_url, reason = _postgres_admin_url()
    if admin_url is None:
        pytest.skip(reason)
    name = f"procurement_test_{worker_id}_{os.getpid()}"
    admin = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def reset_postgres(url: str) -> None:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
        ).scalars().all()
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO audit_head (id, seq, entry_hash) VALUES (1, 0, :g)"), {"g": GENESIS_HASH})
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database of each kind; each test gets its own."""
    if request.param == "sqlite":
        path = tmp_path / "procurement.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("postgres_template")
    reset_postgres(url)
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        # Cheap Argon2 in tests: the cost is a setting, the algorithm is the same.
        argon2_memory_kib=1024,
        argon2_iterations=1,
        argon2_lanes=1,
        log_json=False,
        log_level="WARNING",
        # Tests read what they just wrote; the cache has its own test.
        public_cache_seconds=0,
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
async def platform(settings: Settings, clock: FrozenClock) -> AsyncIterator[Platform]:
    built = Platform.build(settings, clock=clock)
    yield built
    await built.close()


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Litestar:
    return create_app(settings, clock=clock, run_scheduler=False)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as test_client:
        yield test_client


@dataclass(frozen=True)
class TestUser:
    username: str
    password: str
    user_id: int
    organisation_id: int
    roles: tuple[str, ...]


_KIND_FOR_ROLE = {
    Role.supplier: OrganisationKind.supplier,
    Role.purchaser: OrganisationKind.purchaser,
    Role.agency: OrganisationKind.agency,
    Role.expert: OrganisationKind.expert_employer,
    Role.supervisor: OrganisationKind.supervisor_body,
    Role.operator: OrganisationKind.operator,
}


class Users:
    """Makes organisations and users directly through the identity service."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self._serial = 0

    async def organisation(self, kind: OrganisationKind, name: str | None = None) -> int:
        self._serial += 1
        uscc = make_uscc(f"91460100MA{self._serial:07d}")
        async with self.platform.db.transaction() as session:
            org = await service.system_create_organisation(
                session, self.platform, schemas.OrganisationCreate(uscc=uscc, name=name or f"测试单位{self._serial}", kind=kind), via="test"
            )
            return org.id  # type: ignore[return-value]

    async def make(self, *roles: Role, organisation_id: int | None = None, kind: OrganisationKind | None = None) -> TestUser:
        """A user with these roles, in a new organisation of a fitting kind unless one is given."""
        if organisation_id is None:
            main = next((r for r in roles if r in _KIND_FOR_ROLE), Role.operator)
            organisation_id = await self.organisation(kind or _KIND_FOR_ROLE[main])
        self._serial += 1
        username = f"user{self._serial}"
        async with self.platform.db.transaction() as session:
            org = await session.get(service.Organisation, organisation_id)
            assert org is not None
            user = await service.system_create_user(
                session, self.platform, org,
                schemas.UserCreate(username=username, display_name=f"测试用户{self._serial}", password=TEST_PASSWORD, roles=list(roles)),
                via="test",
            )
            return TestUser(username, TEST_PASSWORD, user.id, organisation_id, tuple(roles))  # type: ignore[arg-type]


@pytest.fixture
def users(platform: Platform) -> Users:
    return Users(platform)


async def bearer(client: AsyncTestClient, user: TestUser) -> dict[str, str]:
    """Authorization headers for this user, from a real login."""
    response = await client.post("/api/auth/login", json={"username": user.username, "password": user.password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}

