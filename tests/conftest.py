"""Fixtures shared by the whole suite: real databases, the app, users, a clock we own.

Every database test runs twice, on SQLite and on PostgreSQL. PostgreSQL comes from
PROCUREMENT_TEST_POSTGRES_URL (CI sets it and then it must answer) or, outside CI, the
local server at 127.0.0.1:5432 if one answers; otherwise those runs are skipped and say why.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from procurement.app import bind, build_app
from procurement.audit.chain import GENESIS_HASH
from procurement.clock import FrozenClock
from procurement.demo import load_demo
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


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Groups for ``--dist loadgroup`` (the Makefile's): a module's tests stay on one worker
    (module fixtures such as the browser's live server are made once), except that every test
    marked ``demo`` goes to one worker, so the demo is loaded once per run, not once per worker."""
    for item in items:
        group = "demo" if item.get_closest_marker("demo") else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))


@contextmanager
def _admin(url: str) -> Iterator[Connection]:
    """A connection to the server's maintenance database, outside any transaction (CREATE/DROP DATABASE)."""
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT",
                           poolclass=NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_template(worker_id: str) -> Iterator[str | None]:
    """A freshly migrated PostgreSQL database for this test process, or None."""
    admin_url, reason = _postgres_admin_url()
    if admin_url is None:
        pytest.skip(reason)
    name = f"procurement_test_{worker_id}_{os.getpid()}"
    with _admin(admin_url) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with _admin(admin_url) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


_reset_engines: dict[str, Engine] = {}

_EMPTY_ALL = """
SELECT string_agg(format('DELETE FROM %I', tablename), '; ')
FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'
"""
_RESTART_SEQUENCES = """
SELECT setval(s.oid::regclass, 1, false)
FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
WHERE s.relkind = 'S' AND n.nspname = 'public'
"""


def reset_postgres(url: str) -> None:
    """Empties every table and restarts every id sequence, as a fresh migration leaves them.

    DELETE rather than TRUNCATE: TRUNCATE makes new files for each of some 80 tables (about
    0.5 s a test, measured), DELETE of a test's few rows takes milliseconds. The replica role
    switches off the foreign-key and append-only triggers for this transaction only, so the
    order of the tables does not matter and the audit tables can be emptied.
    """
    engine = _reset_engines.get(url)
    if engine is None:
        engine = _reset_engines[url] = create_engine(make_url(url).set(drivername="postgresql+psycopg"), poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.exec_driver_sql(conn.execute(text(_EMPTY_ALL)).scalar_one())
        conn.execute(text(_RESTART_SEQUENCES))
        conn.execute(text("INSERT INTO audit_head (id, seq, entry_hash) VALUES (1, 0, :g)"), {"g": GENESIS_HASH})


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database of each kind; each test gets its own.

    A test marked ``demo`` gets instead a copy of a database (and data directory, under
    ``tmp_path / "var"``) where ``procurement demo`` has already run: see ``DemoTemplate``.
    """
    if request.node.get_closest_marker("demo"):
        template = request.getfixturevalue(f"demo_template_{request.param}")
        return template.copy_to(tmp_path)
    if request.param == "sqlite":
        path = tmp_path / "procurement.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("postgres_template")
    reset_postgres(url)
    return url


def make_settings(data_dir: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=data_dir,
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
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path / "var", database_url)


@dataclass(frozen=True)
class DemoTemplate:
    """A database and data directory where the full demo was loaded once, with the tests' clock.

    A full load takes some 25 s; a copy a fraction of a second. The copy is exactly what the
    load left (the demo's passwords live in the data directory, its keys too), so a test sees
    what a fresh ``load_demo`` would have given it, and a second ``load_demo`` is a no-op.
    """

    data_dir: Path
    sqlite_path: Path | None = None
    postgres_url: str | None = None

    def copy_to(self, tmp_path: Path) -> str:
        shutil.copytree(self.data_dir, tmp_path / "var")
        if self.sqlite_path is not None:
            path = tmp_path / "procurement.db"
            shutil.copyfile(self.sqlite_path, path)
            return f"sqlite+aiosqlite:///{path}"
        assert self.postgres_url is not None
        template = make_url(self.postgres_url)
        copy = template.set(database=f"{template.database}_copy")
        with _admin(self.postgres_url) as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{copy.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{copy.database}" TEMPLATE "{template.database}"'))
        return copy.render_as_string(hide_password=False)


def _load_demo(data_dir: Path, database_url: str) -> None:
    async def load() -> None:
        platform = Platform.build(make_settings(data_dir, database_url), clock=FrozenClock())
        try:
            await load_demo(platform)
        finally:
            await platform.close()

    asyncio.run(load())


@pytest.fixture(scope="session")
def demo_template_sqlite(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> DemoTemplate:
    root = tmp_path_factory.mktemp("demo-sqlite")
    shutil.copyfile(sqlite_template, root / "demo.db")
    _load_demo(root / "var", f"sqlite+aiosqlite:///{root / 'demo.db'}")
    return DemoTemplate(data_dir=root / "var", sqlite_path=root / "demo.db")


@pytest.fixture(scope="session")
def demo_template_postgres(tmp_path_factory: pytest.TempPathFactory, postgres_template: str) -> Iterator[DemoTemplate]:
    url = make_url(postgres_template)
    demo = url.set(database=f"{url.database}_demo")
    with _admin(postgres_template) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{demo.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{demo.database}"'))
    demo_url = demo.render_as_string(hide_password=False)
    upgrade(demo_url)
    root = tmp_path_factory.mktemp("demo-postgres")
    _load_demo(root / "var", demo_url)
    yield DemoTemplate(data_dir=root / "var", postgres_url=demo_url)
    with _admin(postgres_template) as conn:
        for name in (demo.database, f"{demo.database}_copy"):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
async def platform(settings: Settings, clock: FrozenClock) -> AsyncIterator[Platform]:
    built = Platform.build(settings, clock=clock)
    yield built
    await built.close()


_built_apps: dict[int, Litestar] = {}


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Litestar:
    """The app bound to this test's platform: the routes are built once per process (and body
    limit) and bound again for each test, which is what ``create_app`` does in two steps."""
    built = _built_apps.get(settings.max_body_bytes)
    if built is None:
        built = _built_apps[settings.max_body_bytes] = build_app(max_body_bytes=settings.max_body_bytes)
    bind(built, settings, clock=clock, run_scheduler=False)
    return built


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

