"""Yuan (Decimal, two places) at the edges, fen (int) in storage."""

from __future__ import annotations

from decimal import Decimal

FEN_PER_YUAN = 100


def to_fen(yuan: Decimal) -> int:
    return int((yuan * FEN_PER_YUAN).to_integral_exact())


def to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))
