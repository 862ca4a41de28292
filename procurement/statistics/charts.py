"""Plain SVG charts, laid out here and drawn by templates/statistics/_chart.html.

No charting library and no script: the page is the chart. Each chart has a title and a
description (the SVG's <title>/<desc>, role="img"), text labels on its axes and values in
the reader's language, and the template puts its data in a table beside it for anyone
who cannot see it. Colours meet WCAG AA contrast on white, and two series differ by
pattern as well as colour (the second is hatched).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 70, 16, 20, 64
COLOURS = ("#0b4f8a", "#9b1c1c")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[Decimal | None]


@dataclass
class Chart:
    """A laid-out chart: ``kind`` is bar or line; coordinates are SVG user units."""

    id: str
    kind: str
    title: str
    description: str
    unit: str
    categories: list[str]
    series: list[Series]
    width: int = WIDTH
    height: int = HEIGHT
    ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    labels: list[tuple[float, str]] = field(default_factory=list)  # (x, category)
    bars: list[dict[str, object]] = field(default_factory=list)
    lines: list[dict[str, object]] = field(default_factory=list)
    colours: tuple[str, ...] = COLOURS


def _nice_top(largest: Decimal) -> Decimal:
    """The axis top: 1, 2, 2.5 or 5 times a power of ten, at or above the largest value."""
    if largest <= 0:
        return Decimal(1)
    power = Decimal(10) ** (len(str(int(largest))) - 1) if largest >= 1 else Decimal("0.1")
    while power * 10 < largest:
        power *= 10
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if power * step >= largest:
            return power * step
    return power * 10


def _shown(value: Decimal) -> str:
    return f"{value.normalize():,f}" if value == value.to_integral() else f"{value:,.2f}"


def chart(id: str, kind: str, title: str, description: str, unit: str, categories: list[str], series: list[Series]) -> Chart:
    laid = Chart(id=id, kind=kind, title=title, description=description, unit=unit, categories=categories, series=series)
    known = [v for s in series for v in s.values if v is not None]
    top = _nice_top(max(known, default=Decimal(0)))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: Decimal) -> float:
        return round(TOP + plot_h - float(value / top) * plot_h, 1)

    laid.ticks = [(y_of(top * i / 4), _shown(top * i / 4)) for i in range(5)]
    slot = plot_w / max(len(categories), 1)
    laid.labels = [(round(LEFT + slot * (i + 0.5), 1), name) for i, name in enumerate(categories)]
    if kind == "bar":
        width = slot * 0.7 / max(len(series), 1)
        for s_index, s in enumerate(series):
            for c_index, value in enumerate(s.values):
                if value is None:
                    continue
                x = LEFT + slot * c_index + slot * 0.15 + width * s_index
                laid.bars.append({"x": round(x, 1), "y": y_of(value), "width": round(width, 1), "height": round(y_of(Decimal(0)) - y_of(value), 1),
                                  "series": s_index, "text": _shown(value), "text_x": round(x + width / 2, 1)})
    else:
        for s_index, s in enumerate(series):
            points = [(x, y_of(v)) for (x, _), v in zip(laid.labels, s.values, strict=True) if v is not None]
            laid.lines.append({"series": s_index, "points": " ".join(f"{x},{y}" for x, y in points),
                               "dots": [{"x": x, "y": y, "text": _shown(v)} for (x, y), v in
                                        zip(points, [v for v in s.values if v is not None], strict=True)]})
    return laid
