"""Object keys: one set of rules for every backend.

A key is a ``/``-separated relative path. The rules keep keys portable (S3 and MinIO
accept them, and so does a POSIX file system once each segment is encoded) and make
path traversal impossible in the local backend: no absolute paths, no ``.`` or ``..``
segments, no backslashes, no control characters. Every store method validates its key
before doing any I/O, so a bad key never reaches a backend.

One prefix is reserved: keys under ``.storage-tmp/`` hold the S3 backend's in-flight
uploads (an upload is written there, then copied into place with its SHA-256 attached),
so callers may not use it, and a bucket lifecycle rule may expire it safely.
"""

from __future__ import annotations

from storage.errors import InvalidKey

MAX_KEY_BYTES = 1024
RESERVED_SEGMENT = ".storage-tmp"
RESERVED_PREFIX = RESERVED_SEGMENT + "/"

__all__ = ["MAX_KEY_BYTES", "RESERVED_PREFIX", "validate_key", "validate_prefix"]


def _control_character(text: str) -> str | None:
    for char in text:
        code = ord(char)
        if code < 0x20 or code == 0x7F:
            return f"U+{code:04X}"
    return None


def _check(key: str, *, what: str) -> None:
    if not isinstance(key, str):
        raise InvalidKey(f"{what} must be a str, not {type(key).__name__}")
    if key == "":
        raise InvalidKey(f"{what} must not be empty")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidKey(f"{what} {key!r} must be valid UTF-8 (it has a lone surrogate)") from None
    if size > MAX_KEY_BYTES:
        raise InvalidKey(f"{what} is {size} bytes in UTF-8; the limit is {MAX_KEY_BYTES} bytes")
    control = _control_character(key)
    if control is not None:
        raise InvalidKey(f"{what} {key!r} contains the control character {control}")
    if "\\" in key:
        raise InvalidKey(f"{what} {key!r} contains a backslash; use '/' to separate segments")
    if key.startswith("/"):
        raise InvalidKey(f"{what} {key!r} starts with '/'; keys are relative paths")


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a valid object key, else raise ``InvalidKey``.

    Rules: non-empty; at most 1024 bytes in UTF-8; no leading ``/``; no trailing ``/``;
    no empty segment (``a//b``); no ``.`` or ``..`` segment; no backslash; no control
    character (U+0000 to U+001F, U+007F); not under the reserved ``.storage-tmp/`` prefix.
    """
    _check(key, what="key")
    if key.endswith("/"):
        raise InvalidKey(f"key {key!r} ends with '/'; a key names an object, not a folder")
    segments = key.split("/")
    _check_segments(key, segments, what="key")
    if len(segments) > 1 and segments[0] == RESERVED_SEGMENT:
        raise InvalidKey(
            f"key {key!r} is under the reserved prefix {RESERVED_PREFIX!r} (in-flight uploads)"
        )
    return key


def validate_prefix(prefix: str) -> str:
    """Return a list prefix unchanged if valid: empty, or key segments followed by ``/``.

    Prefixes are whole folders so that listing ``a/`` never returns ``ab``; the same rules
    as keys apply to the segments.
    """
    if prefix == "":
        return prefix
    _check(prefix, what="prefix")
    if not prefix.endswith("/"):
        raise InvalidKey(f"prefix {prefix!r} must be empty or end with '/'")
    segments = prefix[:-1].split("/")
    _check_segments(prefix, segments, what="prefix")
    if segments[0] == RESERVED_SEGMENT:
        raise InvalidKey(
            f"prefix {prefix!r} is under the reserved prefix {RESERVED_PREFIX!r} "
            "(in-flight uploads)"
        )
    return prefix


def _check_segments(text: str, segments: list[str], *, what: str) -> None:
    for segment in segments:
        if segment == "":
            raise InvalidKey(f"{what} {text!r} has an empty segment ('//')")
        if segment in (".", ".."):
            raise InvalidKey(f"{what} {text!r} has a {segment!r} segment; paths must not climb")
