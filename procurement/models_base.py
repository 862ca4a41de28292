"""Column helpers shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware on the way out on every database: SQLite keeps no offset and hands
    back naive values, which are UTC by this platform's convention."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        # SQLite stores the wall time without its offset: an aware time in another zone
        # (a clock set in Beijing time) would be read back hours off. Everything goes in as UTC.
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def timestamp(*, nullable: bool = False, index: bool = False, **kwargs: Any) -> Any:
    """A UTC timestamp column (timezone-aware where the database has the type)."""
    return Field(
        default=None if nullable else ...,
        sa_type=UTCDateTime,
        nullable=nullable,
        index=index,
        **kwargs,
    )


def row_of(record: Any, *, without: tuple[str, ...] = ()) -> dict[str, Any]:
    """A table object's column values by name, for a Core INSERT of a row made as an object.

    Where a row is final, a Core INSERT costs less than the unit of work's flush (an audit entry,
    an order's lines, a kept credit check). ``without`` leaves columns for the database to fill
    (an id).
    """
    return {column.name: getattr(record, column.name) for column in record.__table__.columns if column.name not in without}


__all__ = ["datetime", "row_of", "timestamp"]
