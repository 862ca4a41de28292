"""The audit export: one JSON document per line, checkable with no database.

Line 1 is a header (format, the platform's public key, the head); then one line per signed
checkpoint; then one line per entry in sequence order. See docs/audit-log.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from procurement.audit import chain

EXPORT_FORMAT = "procurement-audit-export/v1"


def header_line(public_key_pem: str, key_id: str, head: tuple[int, str], exported_at: datetime) -> str:
    return json.dumps(
        {
            "type": "header",
            "format": EXPORT_FORMAT,
            "public_key": public_key_pem,
            "key_id": key_id,
            "head": {"size": head[0], "entry_hash": head[1]},
            "exported_at": chain.format_time(exported_at),
        },
        ensure_ascii=False,
    )


def checkpoint_line(cp: chain.CheckpointRecord) -> str:
    return json.dumps(
        {
            "type": "checkpoint",
            "tree_size": cp.tree_size,
            "root_hash": cp.root_hash,
            "signed_at": chain.format_time(cp.signed_at),
            "signature": cp.signature,
        }
    )


def entry_line(entry: dict[str, Any]) -> str:
    out = dict(entry, type="entry")
    out["recorded_at"] = chain.format_time(entry["recorded_at"]) if isinstance(entry["recorded_at"], datetime) else entry["recorded_at"]
    return json.dumps(out, ensure_ascii=False)


def write_export(
    out: IO[str],
    public_key_pem: str,
    key_id: str,
    head: tuple[int, str],
    exported_at: datetime,
    checkpoints: list[chain.CheckpointRecord],
    entries: Iterable[dict[str, Any]],
) -> int:
    out.write(header_line(public_key_pem, key_id, head, exported_at) + "\n")
    for cp in checkpoints:
        out.write(checkpoint_line(cp) + "\n")
    count = 0
    for entry in entries:
        out.write(entry_line(entry) + "\n")
        count += 1
    return count


class ExportReader:
    """Reads an export: the header and checkpoints at once, the entries as a stream."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        first = next(self._lines, None)
        if first is None:
            raise ValueError("empty file: not an audit export")
        self.header = json.loads(first)
        if self.header.get("format") != EXPORT_FORMAT:
            raise ValueError(f"not an audit export of format {EXPORT_FORMAT}")
        self.checkpoints: list[chain.CheckpointRecord] = []
        self._first_entry: dict[str, Any] | None = None
        for line in self._lines:
            item = json.loads(line)
            if item.get("type") == "checkpoint":
                self.checkpoints.append(
                    chain.CheckpointRecord(
                        item["tree_size"], item["root_hash"], datetime.fromisoformat(item["signed_at"]), item["signature"]
                    )
                )
            else:
                self._first_entry = item
                break

    @property
    def head(self) -> tuple[int, str]:
        return int(self.header["head"]["size"]), self.header["head"]["entry_hash"]

    def entries(self) -> Iterator[dict[str, Any]]:
        if self._first_entry is not None:
            yield self._first_entry
        for line in self._lines:
            if line.strip():
                yield json.loads(line)
