"""The year in the seed's words: text lines in the shape of the 2018 work report, in Chinese and English.

"全年进场交易项目849个，交易额395.02亿元；政府采购项目288个，交易额40.02亿元，节约资金1.14亿元，
成交下浮率2.77%；工程建设项目561个，交易额355亿元，节约资金0.9亿元，中标下浮率2.62%".

The seed's two rates were counted two ways (DOMAIN.md): the government figure is
amount-weighted, the works figure a mean of per-project rates. ``rate`` chooses:
``weighted`` or ``mean`` for both tracks (and says so in the line), or ``seed`` for the
report's own mix. Both languages are produced side by side, so the wording is here rather
than in the message catalogues.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from procurement.statistics.service import Figures, Report, percent

RATES = ("weighted", "mean", "seed")
YI_FEN = Decimal(100_000_000 * 100)
BILLION_FEN = Decimal(1_000_000_000 * 100)
_QUALIFIER = {
    "zh": {"weighted": "（按金额加权）", "mean": "（各项目平均）", "seed": ""},
    "en": {"weighted": " (amount-weighted)", "mean": " (mean of per-project rates)"},
}


def _amount(fen: int, unit: Decimal, places: str) -> str:
    """¥ in 亿 (two places) or billions (three), without trailing zeros: 355, 0.9, 395.02."""
    shown = (Decimal(fen) / unit).quantize(Decimal(places), ROUND_HALF_EVEN).normalize()
    return f"{shown:f}"


def _rate(figures: Figures, track: str, rate: str) -> str:
    chosen = rate if rate != "seed" else ("weighted" if track == "government" else "mean")
    return percent(figures.rate_weighted if chosen == "weighted" else figures.rate_mean) or "—"


def _zh(total: Figures, tracks: dict[str, Figures], rate: str) -> str:
    yi = lambda fen: _amount(fen, YI_FEN, "0.01")
    parts = [f"全年进场交易项目{total.projects}个，交易额{yi(total.traded_fen)}亿元"]
    for track, name, rate_name in (("government", "政府采购", "成交下浮率"), ("works", "工程建设", "中标下浮率")):
        f = tracks.get(track, Figures(key=track))
        parts.append(f"{name}项目{f.projects}个，交易额{yi(f.traded_fen)}亿元，节约资金{yi(f.savings_fen)}亿元，"
                     f"{rate_name}{_rate(f, track, rate)}%{_QUALIFIER['zh'][rate]}")
    return "；".join(parts)


def _en(total: Figures, tracks: dict[str, Figures], rate: str) -> str:
    bn = lambda fen: _amount(fen, BILLION_FEN, "0.001")
    parts = [f"{total.projects} projects traded in the year, CNY {bn(total.traded_fen)} billion"]
    for track, name in (("government", "government procurement"), ("works", "construction works")):
        f = tracks.get(track, Figures(key=track))
        qualifier = _QUALIFIER["en"].get(rate) or _QUALIFIER["en"]["weighted" if track == "government" else "mean"]
        parts.append(f"{name}: {f.projects} projects, CNY {bn(f.traded_fen)} billion, CNY {bn(f.savings_fen)} billion saved, "
                     f"discount rate {_rate(f, track, rate)}%{qualifier}")
    return "; ".join(parts)


def year_lines(report: Report, language: str, *, rate: str = "seed") -> str:
    """The line for a report grouped by track (``group_by="track"``), in ``language`` (zh or en)."""
    if report.query.group_by != "track":
        raise ValueError("the seed's lines need the report by track")
    if rate not in RATES:
        raise ValueError(f"no rate {rate!r}")
    tracks = {row.key: row for row in report.rows}
    return (_zh if language == "zh" else _en)(report.total, tracks, rate)
