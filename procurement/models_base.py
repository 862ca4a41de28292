"""Column helpers shared by every table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime
from sqlmodel import Field


def timestamp(*, nullable: bool = False, index: bool = False, **kwargs: Any) -> Any:
    """A UTC timestamp column (timezone-aware where the database has the type)."""
    return Field(
        default=None if nullable else ...,
        sa_type=DateTime(timezone=True),
        nullable=nullable,
        index=index,
        **kwargs,
    )


__all__ = ["datetime", "timestamp"]
