"""Opening: decrypt an envelope with its released content key, streaming, segment by segment.

No plaintext leaves a segment before that segment's tag has verified. Each segment is
authentic on its own, but only the end of the stream proves nothing was cut off: treat what
``files()`` yields as provisional (write it aside) until the iteration ends without error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bidding.envelope import keys
from bidding.envelope.digest import FILE_CONTEXT, ChainDigest
from bidding.envelope.errors import (
    ContentKeyMismatch,
    PayloadError,
    SegmentAuthenticationFailed,
)
from bidding.envelope.format import (
    PRELUDE,
    TAG_SIZE,
    EnvelopeHeader,
    parse_header,
    parse_prelude,
    segment_nonce,
)
from bidding.envelope.payload import (
    MANIFEST_LENGTH_SIZE,
    MAX_MANIFEST_SIZE,
    FileEntry,
    Manifest,
    decode_manifest,
)
from bidding.envelope.stream import ChunkReader

FILE_PIECE = 64 * 1024


def _read_header(reader: ChunkReader) -> EnvelopeHeader:
    prelude = reader.read(PRELUDE.size, "the header prelude", field="header")
    length = parse_prelude(prelude)
    return parse_header(prelude + reader.read(length - PRELUDE.size, "the header", field="header"))


def read_header(chunks: Iterable[bytes]) -> EnvelopeHeader:
    """Just the header, reading no further: enough to unwrap a content key."""
    return _read_header(ChunkReader(chunks))


class OpenedEnvelope:
    def __init__(self, header: EnvelopeHeader, manifest: Manifest, payload: ChunkReader, envelope: ChunkReader) -> None:
        self.header = header
        self.manifest = manifest
        self._payload = payload
        self._envelope = envelope
        self._started = False
        self.complete = False

    @property
    def digest(self) -> bytes:
        """The envelope digest (``digest.py``), once ``files()`` has run to the end."""
        if not self.complete:
            raise RuntimeError("the envelope digest is known once every file has been read")
        return self._envelope.digest()

    def files(self) -> Iterator[tuple[FileEntry, Iterator[bytes]]]:
        """Each file with an iterator of its bytes; a file not read is skipped (still decrypted
        and checked) when the next is asked for. The last step checks the stream ends exactly."""
        if self._started:
            raise RuntimeError("the files of an envelope can be read once")
        self._started = True
        for index, entry in enumerate(self.manifest.files):
            data = self._file_chunks(index, entry)
            yield entry, data
            for _ in data:
                pass
        self._payload.expect_end("the last file")
        self.complete = True

    def _file_chunks(self, index: int, entry: FileEntry) -> Iterator[bytes]:
        digest, remaining = ChainDigest(FILE_CONTEXT), entry.size
        while remaining:
            piece = self._payload.read_some(min(remaining, FILE_PIECE), f"file {entry.name!r}", field=f"payload.files[{index}]")
            remaining -= len(piece)
            digest.update(piece)
            if not remaining and digest.digest() != entry.digest:
                raise PayloadError(f"file {entry.name!r} does not have the digest its manifest lists", field=f"payload.files[{index}]")
            yield piece
        if not entry.size and digest.digest() != entry.digest:
            raise PayloadError(f"file {entry.name!r} does not have the digest its manifest lists", field=f"payload.files[{index}]")

    def read_files(self) -> dict[str, bytes]:
        """Every file in memory, after the whole envelope verified: for small bids and tests."""
        return {entry.name: b"".join(data) for entry, data in self.files()}


def _segments(header: EnvelopeHeader, content_key: bytes, reader: ChunkReader) -> Iterator[bytes]:
    payload_key, prefix = keys.payload_key_and_nonce_prefix(content_key, header.payload_salt)
    aead, associated = AESGCM(payload_key), header.digest()
    count = header.segment_count
    for index in range(count):
        sealed = reader.read(header.segment_plaintext_length(index) + TAG_SIZE, f"segment {index} of {count}", field=f"segment[{index}]")
        try:
            yield aead.decrypt(segment_nonce(prefix, index, index == count - 1), sealed, associated)
        except InvalidTag as exc:
            raise SegmentAuthenticationFailed(
                f"segment {index} of {count} fails authentication: altered, moved, or from another envelope", field=f"segment[{index}]"
            ) from exc
    reader.expect_end(f"segment {count - 1}, the last")


def open_envelope(chunks: Iterable[bytes], content_key: bytes) -> OpenedEnvelope:
    """Checks the key against the commitment, then decrypts as far as the end of the manifest."""
    envelope = ChunkReader(chunks, digest_consumed=True)
    header = _read_header(envelope)
    if not keys.check_content_key(header, content_key):
        raise ContentKeyMismatch("this content key does not match the envelope's key commitment", field="content_key")
    # Segments authenticate before the payload reader sees them, so running short here is the sealer's doing.
    payload = ChunkReader(_segments(header, content_key, envelope), short=PayloadError)
    size = int.from_bytes(payload.read(MANIFEST_LENGTH_SIZE, "the manifest length", field="payload"), "big")
    if size > min(MAX_MANIFEST_SIZE, header.payload_length - MANIFEST_LENGTH_SIZE):
        raise PayloadError(f"the manifest length {size} exceeds the payload or the {MAX_MANIFEST_SIZE}-byte limit", field="payload.manifest")
    manifest = decode_manifest(payload.read(size, "the manifest", field="payload.manifest"))
    if MANIFEST_LENGTH_SIZE + size + manifest.files_length != header.payload_length:
        raise PayloadError(
            f"the manifest lists {manifest.files_length} bytes of files; the payload holds "
            f"{header.payload_length - MANIFEST_LENGTH_SIZE - size}", field="payload.manifest.files",
        )
    return OpenedEnvelope(header, manifest, payload, envelope)
