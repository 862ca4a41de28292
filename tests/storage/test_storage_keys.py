"""Key and prefix rules: each broken rule is named, and no accepted key leaves the root."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import (
    InvalidKey,
    LocalObjectStore,
    put_bytes,
    read_bytes,
    validate_key,
    validate_prefix,
)


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("", "must not be empty"),
        ("x" * 1025, "the limit is 1024 bytes"),
        ("é" * 513, "the limit is 1024 bytes"),  # 1026 bytes in 513 characters
        ("/etc/passwd", "starts with '/'"),
        ("a/../b", "'..' segment"),
        ("..", "'..' segment"),
        ("a/./b", "'.' segment"),
        (".", "'.' segment"),
        ("a//b", "empty segment"),
        ("a\\b", "backslash"),
        ("a\x00b", "control character U+0000"),
        ("a\nb", "control character U+000A"),
        ("a\x1fb", "control character U+001F"),
        ("a\x7fb", "control character U+007F"),
        ("dir/", "ends with '/'"),
        ("a\ud800b", "UTF-8"),
        (".storage-tmp/upload", "reserved prefix"),
    ],
)
def test_each_rule_is_named(key: str, rule: str) -> None:
    with pytest.raises(InvalidKey, match=re.escape(rule)):
        validate_key(key)


def test_non_strings_are_refused() -> None:
    with pytest.raises(InvalidKey, match="must be a str"):
        validate_key(b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "key",
    [
        "a",
        "a/b/c.pdf",
        "x" * 1024,
        "é" * 512,  # exactly 1024 bytes
        "招标/文件.pdf",
        "...",
        "a/.../b",
        ".hidden",
        "a/..b/c..",
        "with space/and+plus%20",
        ".storage-tmp",  # only the folder is reserved
        "x/.storage-tmp/y",
        "\u0080\u00a0",  # C1 controls and NBSP are not among the refused characters
    ],
)
def test_valid_keys_are_returned_unchanged(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize("prefix", ["", "a/", "a/b/", "招标/"])
def test_valid_prefixes(prefix: str) -> None:
    assert validate_prefix(prefix) == prefix


@pytest.mark.parametrize(
    ("prefix", "rule"),
    [
        ("a", "end with '/'"),
        ("/", "starts with '/'"),
        ("/a/", "starts with '/'"),
        ("a//", "empty segment"),
        ("../", "'..' segment"),
        ("a\\b/", "backslash"),
        ("a\tb/", "control character"),
        (".storage-tmp/", "reserved prefix"),
    ],
)
def test_bad_prefixes(prefix: str, rule: str) -> None:
    with pytest.raises(InvalidKey, match=re.escape(rule)):
        validate_prefix(prefix)


# -- properties ---------------------------------------------------------------------------

ROOT = os.path.realpath(tempfile.gettempdir()) + "/objects-root"

# Segments built from the characters that matter: separators, dots, escapes, controls,
# plus arbitrary text.
tricky_segment = st.one_of(
    st.sampled_from(["", ".", "..", "...", "a", "~", "\\", "\x00", "\x7f", "\n", " ", "é", "中"]),
    st.text(alphabet=st.sampled_from("./\\a\x00\x1f\x7fé"), max_size=6),
    st.text(max_size=12),
)
tricky_key = st.one_of(
    st.lists(tricky_segment, min_size=1, max_size=6).map("/".join),
    st.text(max_size=40),
)


def _accepted(key: str) -> bool:
    try:
        validate_key(key)
    except InvalidKey:
        return False
    return True


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(tricky_key)
def test_accepted_keys_stay_inside_the_root(key: str) -> None:
    if not _accepted(key):
        return
    joined = os.path.join(ROOT, key)
    normalised = os.path.normpath(joined)
    assert normalised == joined  # nothing for the OS to resolve: no '.', '..', '//'
    assert os.path.commonpath([ROOT, normalised]) == ROOT
    assert normalised != ROOT
    assert Path(ROOT, key).is_relative_to(ROOT)
    assert len(key.encode("utf-8")) <= 1024


@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\\\x7f"),
            min_size=1,
        ).filter(lambda s: s not in (".", "..") and all(ord(c) >= 0x20 for c in s)),
        min_size=1,
        max_size=5,
    ).map("/".join)
)
@settings(max_examples=500)
def test_keys_made_of_valid_segments_are_accepted(key: str) -> None:
    if len(key.encode("utf-8")) > 1024 or key.startswith(".storage-tmp/"):
        return
    assert validate_key(key) == key


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(tricky_key, min_size=1, max_size=4))
def test_local_store_writes_only_inside_its_root(keys: list[str]) -> None:
    """Put every accepted key in a real store: files appear only under the root, and each
    key reads back; refused keys create nothing."""
    with tempfile.TemporaryDirectory() as sandbox:
        root = Path(sandbox) / "root"
        store = LocalObjectStore(root)

        async def scenario() -> set[str]:
            stored: set[str] = set()
            for key in keys:
                try:
                    await put_bytes(store, key, key.encode("utf-8", "surrogatepass"))
                except InvalidKey:
                    assert not _accepted(key)
                    continue
                stored.add(key)
            for key in stored:
                assert await read_bytes(store, key) == key.encode("utf-8")
            assert [info.key async for info in store.list()] == sorted(stored)
            return stored

        asyncio.run(scenario())
        assert os.listdir(sandbox) == ["root"]
        for folder, _dirs, files in os.walk(sandbox):
            for name in files:
                assert Path(folder, name).resolve().is_relative_to(root.resolve())
