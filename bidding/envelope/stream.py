"""Exact-length reads over an iterable of byte chunks, whatever sizes the chunks come in.

The sealer, the opener and the payload parser all cut a stream at known lengths; this keeps
that in one place and holds no more than one chunk plus the piece being read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from bidding.envelope.digest import ENVELOPE_CONTEXT, ChainDigest
from bidding.envelope.errors import EnvelopeError, TrailingData, TruncatedEnvelope


class ChunkReader:
    def __init__(self, chunks: Iterable[bytes], *, digest_consumed: bool = False, short: type[EnvelopeError] = TruncatedEnvelope) -> None:
        self._short = short  # what running out means: a cut envelope, or (inside it) a bad payload
        self._chunks: Iterator[bytes] = iter(chunks)
        self._head = b""
        self._pos = 0
        self.consumed = 0
        self._digest = ChainDigest(ENVELOPE_CONTEXT) if digest_consumed else None

    def _fill(self) -> bool:
        while self._pos == len(self._head):
            chunk = next(self._chunks, None)
            if chunk is None:
                return False
            self._head, self._pos = bytes(chunk), 0
        return True

    def _take(self, n: int) -> bytes:
        piece = self._head[self._pos : self._pos + n]
        self._pos += len(piece)
        self.consumed += len(piece)
        if self._digest is not None:
            self._digest.update(piece)
        return piece

    def read(self, n: int, what: str, *, field: str | None = None) -> bytes:
        """Exactly ``n`` bytes, or ``TruncatedEnvelope`` naming what was being read."""
        parts = []
        need = n
        while need:
            if not self._fill():
                raise self._short(f"the stream ends {need} bytes into {what} (after {self.consumed} bytes)", field=field)
            parts.append(self._take(need))
            need -= len(parts[-1])
        return b"".join(parts)

    def read_some(self, limit: int, what: str, *, field: str | None = None) -> bytes:
        """Between 1 and ``limit`` bytes, whatever the current chunk holds."""
        if not self._fill():
            raise self._short(f"the stream ends {limit} bytes before the end of {what} (after {self.consumed} bytes)", field=field)
        return self._take(limit)

    def expect_end(self, what: str) -> None:
        if self._fill():
            raise TrailingData(f"bytes follow {what} (after {self.consumed} bytes)", field="trailer")

    def digest(self) -> bytes:
        assert self._digest is not None
        return self._digest.digest()
