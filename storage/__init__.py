"""Object storage for the platform's files: one async protocol, a local and an S3 backend.

The rest of the platform depends only on ``ObjectStore`` and picks a backend with a URL
from its settings (``open_store``), so a developer runs on a folder and production on
MinIO/S3 with the same code and the same contract tests. This package is a leaf: it
imports nothing from the platform's other packages.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from storage.base import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    ObjectInfo,
    ObjectReader,
    ObjectStore,
    put_bytes,
    read_bytes,
)
from storage.errors import InvalidKey, ObjectNotFound, StorageError
from storage.keys import validate_key, validate_prefix
from storage.local import LocalObjectStore
from storage.s3 import DEFAULT_PART_SIZE, S3ObjectStore

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_CONTENT_TYPE",
    "DEFAULT_PART_SIZE",
    "InvalidKey",
    "LocalObjectStore",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectReader",
    "ObjectStore",
    "S3ObjectStore",
    "StorageError",
    "open_store",
    "put_bytes",
    "read_bytes",
    "validate_key",
    "validate_prefix",
]

_S3_PARAMETERS = frozenset({"endpoint", "secure", "region"})
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def open_store(
    url: str,
    *,
    access_key: str | None = None,
    secret_key: str | None = None,
) -> ObjectStore:
    """Build the store a URL names.

    * a plain path (``var/objects``, ``/srv/objects``) or ``file:///abs/path``: a
      ``LocalObjectStore`` there (credentials are ignored);
    * ``s3://BUCKET?endpoint=HOST:PORT&secure=false&region=us-east-1``: an
      ``S3ObjectStore``; ``endpoint`` is required, ``secure`` defaults to true, ``region``
      is optional. Credentials are the keyword arguments, never part of the URL.

    Anything else raises ``ValueError`` saying what is wrong.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("the storage URL is empty")
    parts = urlsplit(url)
    if parts.scheme == "":
        return LocalObjectStore(Path(url))
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file URL {url!r} names a host; use file:///absolute/path")
        if parts.query or parts.fragment:
            raise ValueError(f"file URL {url!r} takes no query or fragment")
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise ValueError(f"file URL {url!r} needs an absolute path: file:///absolute/path")
        return LocalObjectStore(Path(path))
    if parts.scheme == "s3":
        return _open_s3(url, access_key, secret_key)
    raise ValueError(
        f"unsupported storage URL {url!r}: use a path, file:///absolute/path or "
        "s3://BUCKET?endpoint=HOST:PORT"
    )


def _open_s3(url: str, access_key: str | None, secret_key: str | None) -> S3ObjectStore:
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise ValueError("put S3 credentials in access_key/secret_key, not in the storage URL")
    bucket = parts.netloc
    if not bucket or ":" in bucket:
        raise ValueError(f"S3 URL {url!r} must name a bucket: s3://BUCKET?endpoint=HOST:PORT")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError(f"S3 URL {url!r} must be only s3://BUCKET?endpoint=... (no path)")
    pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    params: dict[str, str] = {}
    for name, value in pairs:
        if name not in _S3_PARAMETERS:
            raise ValueError(
                f"S3 URL {url!r}: unknown parameter {name!r} "
                f"(known: {', '.join(sorted(_S3_PARAMETERS))})"
            )
        if name in params:
            raise ValueError(f"S3 URL {url!r}: parameter {name!r} is given twice")
        params[name] = value
    endpoint = params.get("endpoint", "")
    if not endpoint or "/" in endpoint:
        raise ValueError(f"S3 URL {url!r} needs endpoint=HOST[:PORT] (no scheme, no path)")
    secure_text = params.get("secure", "true").lower()
    if secure_text not in _BOOLEANS:
        raise ValueError(f"S3 URL {url!r}: secure must be true or false, not {secure_text!r}")
    if not access_key or not secret_key:
        raise ValueError("an S3 store needs both access_key and secret_key")
    return S3ObjectStore(
        endpoint,
        access_key,
        secret_key,
        bucket,
        secure=_BOOLEANS[secure_text],
        region=params.get("region") or None,
    )
