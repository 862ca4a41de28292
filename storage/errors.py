"""Errors raised by the object stores.

Callers catch ``StorageError`` to handle any backend failure the same way (the web layer
turns it into a 503), and ``ObjectNotFound`` to tell a missing object from a broken
backend. ``InvalidKey`` is a caller bug: its message names the key rule that was broken.
"""

from __future__ import annotations


class StorageError(Exception):
    """The backend failed or is unreachable; the base of every storage error."""


class InvalidKey(StorageError):
    """The key (or list prefix) breaks a rule; raised before any I/O."""


class ObjectNotFound(StorageError):
    """No object is stored under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no object is stored under the key {key!r}")
        self.key = key
