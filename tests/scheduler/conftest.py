"""Fixtures of the scheduler tests: a PostgreSQL-only database for what only PostgreSQL does."""

from __future__ import annotations

import pytest

from tests.conftest import reset_postgres


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> str:
    """The session's migrated PostgreSQL database, emptied; skipped like every PostgreSQL run
    when none answers outside CI (``postgres_template`` decides)."""
    url = request.getfixturevalue("postgres_template")
    reset_postgres(url)
    return url
