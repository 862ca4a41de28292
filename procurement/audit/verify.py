"""Standalone audit verifier: ``python -m procurement.audit.verify FILE --public-key KEY``.

Needs only the export and the platform's public key (PEM), never the database: anyone
holding the key can check that no entry was edited, deleted, inserted or reordered.
Exits 0 when the log is intact, 1 naming the first bad entry, 2 on unusable input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from procurement.audit import chain
from procurement.audit.export import ExportReader
from procurement.keys import load_public_key_pem, public_key_id, verifier_for


def verify_export(path: Path, public_key_pem: str) -> chain.Problem | None:
    public = load_public_key_pem(public_key_pem)
    with path.open(encoding="utf-8") as handle:
        reader = ExportReader(iter(handle))
        if reader.header.get("key_id") not in (None, public_key_id(public)):
            return chain.Problem(None, "the export names a different signing key than the one given")
        return chain.verify_log(reader.entries(), reader.checkpoints, verifier_for(public), head=reader.head)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m procurement.audit.verify", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="an export written by `procurement audit export`")
    parser.add_argument("--public-key", required=True, type=Path, help="the platform's Ed25519 public key (PEM)")
    args = parser.parse_args(argv)
    try:
        problem = verify_export(args.file, args.public_key.read_text())
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot verify: {exc}", file=sys.stderr)
        return 2
    if problem is not None:
        print(f"TAMPERED: {problem}", file=sys.stderr)
        return 1
    print("OK: the chain is unbroken and every checkpoint signature and root matches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
