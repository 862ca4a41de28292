"""The plaintext inside an envelope: a length-prefixed JSON manifest, then each file's bytes.

No archive format: a browser builds it from ``JSON.stringify`` and ``File`` slices, and both
sides stream it because every file's size is known before its bytes start.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from bidding.envelope.digest import FILE_CONTEXT, ChainDigest, file_digest
from bidding.envelope.errors import PayloadError
from bidding.envelope.format import MAX_SAFE_INTEGER

MANIFEST_LENGTH_SIZE = 4
MAX_MANIFEST_SIZE = 1024 * 1024
MAX_FILES = 1000
MAX_NAME_BYTES = 255
MAX_FIELD_NAME = 64
READ_SIZE = 64 * 1024
PRICE_PATTERN = re.compile(r"(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?")  # yuan, at most two places; a string, never a float
_NAME_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f/\\]")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class FileEntry:
    name: str
    size: int
    digest: bytes  # the file's SHA-256 chain (digest.py)


@dataclass(frozen=True)
class PayloadFile:
    """A file to seal: its size and hash are measured first, then ``chunks()`` is read again."""

    name: str
    size: int
    digest: bytes
    chunks: Callable[[], Iterable[bytes]] = field(repr=False)

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> PayloadFile:
        return cls(name, len(data), file_digest(data), lambda: [data] if data else [])

    @classmethod
    def from_path(cls, path: str | Path, name: str | None = None) -> PayloadFile:
        path = Path(path)

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as handle:
                while piece := handle.read(READ_SIZE):
                    yield piece

        digest = ChainDigest(FILE_CONTEXT)
        for piece in chunks():
            digest.update(piece)
        return cls(name or path.name, digest.length, digest.digest(), chunks)

    @property
    def entry(self) -> FileEntry:
        return FileEntry(self.name, self.size, self.digest)


@dataclass(frozen=True)
class Manifest:
    fields: dict[str, Any]
    files: tuple[FileEntry, ...]

    @property
    def price(self) -> Decimal:
        return Decimal(self.fields["price"])

    @property
    def files_length(self) -> int:
        return sum(f.size for f in self.files)


def _check_fields(fields: Mapping[str, Any]) -> None:
    if not isinstance(fields, Mapping):
        raise PayloadError("manifest fields must be a JSON object", field="payload.manifest.fields")
    for key in fields:
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_FIELD_NAME:
            raise PayloadError(f"field name {key!r} must be 1 to {MAX_FIELD_NAME} characters", field="payload.manifest.fields")
    price = fields.get("price")
    if not isinstance(price, str) or not PRICE_PATTERN.fullmatch(price):
        raise PayloadError(
            f"price must be a string of yuan with at most two decimal places (e.g. \"1234567.89\"), not {price!r}",
            field="payload.manifest.fields.price",
        )


def _check_files(files: Iterable[FileEntry]) -> None:
    seen: set[str] = set()
    for index, entry in enumerate(files):
        where = f"payload.manifest.files[{index}]"
        name = entry.name
        if not isinstance(name, str) or not 1 <= len(name.encode("utf-8", "surrogatepass")) <= MAX_NAME_BYTES or name in (".", "..") or _NAME_FORBIDDEN.search(name):
            raise PayloadError(
                f"file name {name!r} must be 1 to {MAX_NAME_BYTES} UTF-8 bytes, without / \\ or control characters, and not . or ..", field=f"{where}.name"
            )
        if name in seen:
            raise PayloadError(f"file name {name!r} appears twice", field=f"{where}.name")
        seen.add(name)
        if isinstance(entry.size, bool) or not isinstance(entry.size, int) or not 0 <= entry.size <= MAX_SAFE_INTEGER:
            raise PayloadError(f"file size must be an integer from 0 to {MAX_SAFE_INTEGER}", field=f"{where}.size")
    if len(seen) > MAX_FILES:
        raise PayloadError(f"at most {MAX_FILES} files", field="payload.manifest.files")


def encode_manifest(fields: Mapping[str, Any], files: Iterable[FileEntry]) -> bytes:
    """Compact JSON, keys in this order: the same bytes JavaScript's JSON.stringify gives."""
    files = list(files)
    _check_fields(fields)
    _check_files(files)
    document = {"fields": dict(fields), "files": [{"name": f.name, "size": f.size, "digest": f.digest.hex()} for f in files]}
    try:
        raw = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"manifest fields are not plain JSON: {exc}", field="payload.manifest.fields") from exc
    if len(raw) > MAX_MANIFEST_SIZE:
        raise PayloadError(f"the manifest has {len(raw)} bytes; at most {MAX_MANIFEST_SIZE}", field="payload.manifest")
    return raw


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise PayloadError("the manifest repeats a key in one object", field="payload.manifest")
    return dict(pairs)


def _refuse_constant(name: str) -> None:
    raise PayloadError(f"the manifest contains {name}, which is not JSON", field="payload.manifest")


def decode_manifest(raw: bytes) -> Manifest:
    try:
        document = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicate_keys, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"the manifest is not UTF-8 JSON: {exc}", field="payload.manifest") from exc
    if not isinstance(document, dict) or set(document) != {"fields", "files"} or not isinstance(document["files"], list):
        raise PayloadError("the manifest must be an object with exactly the keys \"fields\" and \"files\" (a list)", field="payload.manifest")
    entries = []
    for index, item in enumerate(document["files"]):
        if not isinstance(item, dict) or set(item) != {"name", "size", "digest"} or not isinstance(item["digest"], str) or not _HEX_DIGEST.fullmatch(item["digest"]):
            raise PayloadError("each file is {\"name\", \"size\", \"digest\" (64 lowercase hex)}", field=f"payload.manifest.files[{index}]")
        entries.append(FileEntry(item["name"], item["size"], bytes.fromhex(item["digest"])))
    _check_fields(document["fields"])
    _check_files(entries)
    return Manifest(document["fields"], tuple(entries))


def payload_length(manifest: bytes, files: Iterable[FileEntry]) -> int:
    return MANIFEST_LENGTH_SIZE + len(manifest) + sum(f.size for f in files)


def payload_chunks(manifest: bytes, files: Iterable[PayloadFile]) -> Iterator[bytes]:
    """The plaintext stream, checking each file still has the size and hash it was measured with."""
    yield len(manifest).to_bytes(MANIFEST_LENGTH_SIZE, "big") + manifest
    for index, source in enumerate(files):
        digest = ChainDigest(FILE_CONTEXT)
        for piece in source.chunks():
            if digest.length + len(piece) > source.size:
                break
            digest.update(piece)
            yield piece
        if digest.length != source.size or digest.digest() != source.digest:
            raise PayloadError(f"file {source.name!r} changed after it was measured", field=f"payload.files[{index}]")
