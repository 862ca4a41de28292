"""Request parameters are declared as `name: Annotated[T, QueryParameter(...)] = default`, never `name: T = Parameter(...)`.

Litestar 2.2x deprecates the default style but warns only when it carries `query=`, `header=` or
`cookie=` (pyproject's filterwarnings turns those warnings into errors); `= Parameter(ge=1)` passes
silently. So this test reads every handler's and dependency's signature instead.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.params import KwargDefinition


def _callables(app: Litestar) -> set[Callable[..., Any]]:
    found: set[Callable[..., Any]] = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            found.add(handler.fn)
            found.update(provide.dependency for provide in handler.resolve_dependencies().values())
    return found


def _default_style(fn: Callable[..., Any]) -> list[str]:
    return [name for name, parameter in inspect.signature(fn).parameters.items() if isinstance(parameter.default, KwargDefinition)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_parameter_is_declared_as_a_default(app: Litestar) -> None:
    offenders = sorted(f"{fn.__module__}.{fn.__qualname__}({name})" for fn in _callables(app) for name in _default_style(fn))
    assert not offenders, f"declare these as `name: Annotated[T, QueryParameter(...)] = default` (or PathParameter...): {offenders}"


def test_the_check_sees_the_default_style() -> None:
    from litestar.params import Parameter

    async def handler(order_id: int = Parameter(ge=1), page: int = 1) -> None: ...

    assert _default_style(handler) == ["order_id"]
