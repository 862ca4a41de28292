"""The few SQL expressions the statistics need that SQLite and PostgreSQL spell differently.

- ``BeijingBucket(column, unit)``: the Beijing month ("2026-03"), quarter ("2026-Q1") or year
  ("2026") of a UTC timestamp. Asia/Shanghai has kept UTC+8 without daylight saving since
  1991, so SQLite's fixed '+8 hours' agrees with PostgreSQL's time zone conversion.
- ``DaysBetween(later, earlier)``: the time between two timestamps in days, fractional.

Both keep the grouping and averaging on the database (GROUP BY), never in Python loops.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

UNITS = ("month", "quarter", "year")
_PG_FORMATS = {"month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}
_SQLITE_FORMATS = {"month": "%Y-%m", "year": "%Y"}


class BeijingBucket(FunctionElement[str]):
    type = String()
    inherit_cache = True
    name = "beijing_bucket"

    def __init__(self, column: ColumnElement[Any], unit: str) -> None:
        if unit not in UNITS:
            raise ValueError(f"no time unit {unit!r}")
        self.unit = unit
        super().__init__(column)

    def _gen_cache_key(self, anon_map: Any, bindparams: Any) -> Any:  # the unit changes the SQL
        return (*super()._gen_cache_key(anon_map, bindparams), self.unit)  # type: ignore[misc]


class DaysBetween(FunctionElement[float]):
    type = Float()
    inherit_cache = True
    name = "days_between"


def _args(element: FunctionElement[Any], compiler: Any, **kw: Any) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses]


@compiles(BeijingBucket, "sqlite")
def _bucket_sqlite(element: BeijingBucket, compiler: Any, **kw: Any) -> str:
    [column] = _args(element, compiler, **kw)
    if element.unit == "quarter":
        return (f"(strftime('%Y', {column}, '+8 hours') || '-Q' || "
                f"((CAST(strftime('%m', {column}, '+8 hours') AS INTEGER) + 2) / 3))")
    return f"strftime('{_SQLITE_FORMATS[element.unit]}', {column}, '+8 hours')"


@compiles(BeijingBucket, "postgresql")
def _bucket_postgresql(element: BeijingBucket, compiler: Any, **kw: Any) -> str:
    [column] = _args(element, compiler, **kw)
    return f"to_char({column} AT TIME ZONE 'Asia/Shanghai', '{_PG_FORMATS[element.unit]}')"


@compiles(DaysBetween, "sqlite")
def _days_sqlite(element: DaysBetween, compiler: Any, **kw: Any) -> str:
    later, earlier = _args(element, compiler, **kw)
    return f"(julianday({later}) - julianday({earlier}))"


@compiles(DaysBetween, "postgresql")
def _days_postgresql(element: DaysBetween, compiler: Any, **kw: Any) -> str:
    later, earlier = _args(element, compiler, **kw)
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"
