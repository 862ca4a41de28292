"""`procurement audit verify`, `audit export` and the standalone verifier, run as commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from procurement.audit import service as audit
from tests.audit.conftest import fill_log


def _env(platform) -> dict[str, str]:
    return {
        **os.environ,
        "PROCUREMENT_DATABASE_URL": platform.db.url,
        "PROCUREMENT_DATA_DIR": str(platform.settings.data_dir),
        "PROCUREMENT_LOG_JSON": "false",
    }


def _procurement(platform, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "procurement", *args], env=_env(platform), capture_output=True, text=True, timeout=120, check=False
    )


def _standalone(export: Path, key: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "procurement.audit.verify", str(export), "--public-key", str(key)],
        capture_output=True, text=True, timeout=120, check=False,
    )


async def test_verify_passes_then_names_the_tampered_entry(platform, tamperer) -> None:
    await fill_log(platform, 7)
    async with platform.db.transaction() as session:
        await audit.sign_checkpoint(session, platform.clock, platform.keys)
    ok = _procurement(platform, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert "OK: 7 entries" in ok.stderr
    tamperer.execute("UPDATE audit_entry SET action = 'test.other' WHERE seq = 5")
    bad = _procurement(platform, "audit", "verify")
    assert bad.returncode == 1
    assert "entry 5" in bad.stderr


async def test_an_export_verifies_without_the_database_and_edits_to_it_are_found(platform, tmp_path) -> None:
    await fill_log(platform, 9, checkpoint_every=4)
    export = tmp_path / "audit.jsonl"
    key = tmp_path / "platform.pem"
    exported = _procurement(platform, "audit", "export", str(export))
    assert exported.returncode == 0, exported.stderr
    key.write_text(_procurement(platform, "audit", "public-key").stdout)
    verified = _standalone(export, key)
    assert verified.returncode == 0, verified.stderr

    lines = export.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if json.loads(line).get("seq") == 6)
    edited = json.loads(lines[index])
    edited["subject_id"] = "forged"
    (tmp_path / "edited.jsonl").write_text("\n".join([*lines[:index], json.dumps(edited), *lines[index + 1 :]]) + "\n")
    result = _standalone(tmp_path / "edited.jsonl", key)
    assert result.returncode == 1
    assert "entry 6" in result.stderr

    dropped = [line for i, line in enumerate(lines) if i != index]
    (tmp_path / "dropped.jsonl").write_text("\n".join(dropped) + "\n")
    assert "entry 7" in _standalone(tmp_path / "dropped.jsonl", key).stderr


async def test_another_key_does_not_verify_an_export(platform, tmp_path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from procurement.keys import public_key_pem

    await fill_log(platform, 3, checkpoint_every=3)
    export = tmp_path / "audit.jsonl"
    assert _procurement(platform, "audit", "export", str(export)).returncode == 0
    other = tmp_path / "other.pem"
    other.write_text(public_key_pem(Ed25519PrivateKey.generate().public_key()))
    result = _standalone(export, other)
    assert result.returncode == 1
    assert "different signing key" in result.stderr
