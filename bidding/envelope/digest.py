"""A SHA-256 chain over 64 KiB blocks: the envelope digest and each file's digest.

Why not plain SHA-256: WebCrypto's ``digest`` is one-shot, so a browser could only hash a
500 MB file or envelope by holding all of it in memory. The chain needs one ``digest`` call
per block and 32 bytes of state, and is collision resistant whenever SHA-256 is (Merkle-
Damgard with the length in a distinct final step; the 0x00/0x01 prefixes keep block and
final steps apart):

    h = SHA-256(context)
    for each 65536-byte block of the data (the last may be shorter; empty data has none):
        h = SHA-256(0x00 || h || block)
    digest = SHA-256(0x01 || h || u64be(total length))
"""

from __future__ import annotations

import hashlib

BLOCK_SIZE = 64 * 1024
ENVELOPE_CONTEXT = b"procurement-bid-envelope/v1 envelope digest"
FILE_CONTEXT = b"procurement-bid-envelope/v1 file digest"


class ChainDigest:
    def __init__(self, context: bytes) -> None:
        self._state = hashlib.sha256(context).digest()
        self._block = bytearray()
        self.length = 0

    def _step(self, block: bytes | memoryview) -> None:
        step = hashlib.sha256(b"\x00")
        step.update(self._state)
        step.update(block)
        self._state = step.digest()

    def update(self, data: bytes | memoryview) -> None:
        view = memoryview(data).cast("B")
        self.length += len(view)
        if self._block:
            take = BLOCK_SIZE - len(self._block)
            self._block += view[:take]
            view = view[take:]
            if len(self._block) < BLOCK_SIZE:
                return
            self._step(self._block)
            self._block = bytearray()
        # A full block is hashed only once more data shows it is not the last; that is no matter
        # here (full and last blocks hash alike), so whole blocks go straight through.
        while len(view) >= BLOCK_SIZE:
            self._step(view[:BLOCK_SIZE])
            view = view[BLOCK_SIZE:]
        self._block += view

    def digest(self) -> bytes:
        state = self._state
        if self._block:
            step = hashlib.sha256(b"\x00")
            step.update(state)
            step.update(self._block)
            state = step.digest()
        return hashlib.sha256(b"\x01" + state + self.length.to_bytes(8, "big")).digest()


def chain_digest(context: bytes, data: bytes) -> bytes:
    digest = ChainDigest(context)
    digest.update(data)
    return digest.digest()


def envelope_digest(data: bytes) -> bytes:
    return chain_digest(ENVELOPE_CONTEXT, data)


def file_digest(data: bytes) -> bytes:
    return chain_digest(FILE_CONTEXT, data)
