"""The bidder's command line against a live platform: keys, sealing, parts, resume, receipts, versions, withdrawal."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from click.testing import CliRunner, Result

from bidding import envelope
from procurement.cli import main
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.bidding.bid_testlib import open_tender
from tests.bidding.test_opening import ONE_LOT
from tests.bidding.test_opening_key import _accepted, _set, _three_custodians

if TYPE_CHECKING:  # imported at run time, pytest would try to collect it as a test class
    from tests.conftest import TestUser

PASSPHRASE = "correct horse battery"


def cli(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    # Wide enough that rich tables and hashes are not cut.
    return CliRunner().invoke(main, ["bid", *args], input=input, env={"COLUMNS": "240", **(env or {})}, catch_exceptions=False)


class Bidder:
    """A supplier driving the CLI: logged in through it, keys made and registered through it."""

    def __init__(self, base_url: str, user: TestUser, keyfile: Path) -> None:
        self.user, self.keyfile, self.base_url = user, keyfile, base_url
        self.login()

    def login(self) -> None:
        login = cli("login", "-u", self.user.username, "--platform", self.base_url, input=f"{self.user.password}\n")
        assert login.exit_code == 0, login.output
        self.token = login.stdout.strip().splitlines()[-1]
        self.env = {"PROCUREMENT_PLATFORM": self.base_url, "PROCUREMENT_TOKEN": self.token}

    def run(self, *args: str, input: str | None = None) -> Result:
        return cli(*args, input=input, env=self.env)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def _bidder(live_server, live_client, live_users, tmp_path: Path, tender_id: int | None) -> Bidder:
    user = await live_users.make(Role.supplier)
    bidder = Bidder(live_server.base_url, user, tmp_path / "keys.json")
    made = bidder.run("keygen", str(bidder.keyfile), "--label", "投标密钥", "--register", input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert made.exit_code == 0, made.output
    if tender_id is not None:
        assert (await live_client.post(f"/api/tenders/{tender_id}/obtained", headers=bidder.headers)).status_code == 201
    return bidder


def _bid_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "投标文件"
    (folder / "附件").mkdir(parents=True)
    (folder / "技术标.txt").write_bytes(b"technical offer\n" * 2000)  # 32 000 bytes
    (folder / "附件" / "资质.bin").write_bytes(bytes(range(256)) * 100)  # 25 600 bytes
    return folder


def _seal(bidder: Bidder, tender_id: int, folder: Path, out: Path, price: str = "780000.00") -> Result:
    return bidder.run("seal", "--keys", str(bidder.keyfile), "--tender", str(tender_id), "--lot", "1", "--price", price,
                      "--field", "duration_days=180", str(folder), "-o", str(out), input=f"{PASSPHRASE}\n")


async def test_keygen_registers_both_public_keys_and_keeps_the_file_private(live_server, live_client, live_users, tmp_path) -> None:
    bidder = await _bidder(live_server, live_client, live_users, tmp_path, None)
    assert stat.S_IMODE(bidder.keyfile.stat().st_mode) == 0o600
    keys = envelope.read_keyfile(bidder.keyfile.read_bytes(), PASSPHRASE)
    assert keys.label == "投标密钥"
    registered = (await live_client.get("/api/me/keys", headers=bidder.headers)).json()
    assert sorted((k["algorithm"], k["fingerprint"]) for k in registered) == sorted([
        ("ed25519", hashlib.sha256(keys.ed25519_public).hexdigest()), ("x25519", hashlib.sha256(keys.x25519_public).hexdigest()),
    ])
    # Never overwrites a key file by accident.
    again = bidder.run("keygen", str(bidder.keyfile), input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert again.exit_code == 2 and "exists" in again.output
    assert envelope.read_keyfile(bidder.keyfile.read_bytes(), PASSPHRASE).x25519_public == keys.x25519_public


async def test_seal_a_folder_submit_in_parts_and_verify_the_receipt(live_server, live_client, live_users, clock, tmp_path) -> None:
    tender = await open_tender(live_client, live_users, clock)
    bidder = await _bidder(live_server, live_client, live_users, tmp_path, tender.id)
    out = tmp_path / "bid.bid"
    sealed = _seal(bidder, tender.id, _bid_folder(tmp_path), out)
    assert sealed.exit_code == 0, sealed.output

    # The envelope holds both files under their path in the folder, sealed to the bidder's key.
    keys = envelope.read_keyfile(bidder.keyfile.read_bytes(), PASSPHRASE)
    header = envelope.read_header([out.read_bytes()])
    assert header.binding == envelope.Binding(tender.id, 1, bidder.user.organisation_id, 1)
    opened = envelope.open_envelope([out.read_bytes()], envelope.unwrap_content_key(header, keys.x25519))
    assert opened.manifest.fields == {"price": "780000.00", "currency": "CNY", "duration_days": 180}
    assert [f.name for f in opened.manifest.files] == ["技术标.txt", "附件__资质.bin"]
    assert (tmp_path / "bid.bid.sig").exists()

    submitted = bidder.run("submit", str(out), "--part-size", "16KiB")
    assert submitted.exit_code == 0, submitted.output
    mine = (await live_client.get(f"/api/tenders/{tender.id}/bids/mine", headers=bidder.headers)).json()
    [bid] = mine["bids"]
    upload = (await live_client.get(f"/api/bid-uploads/{_upload_id(submitted)}", headers=bidder.headers)).json()
    assert len(upload["parts"]) == -(-out.stat().st_size // 16384) > 2
    assert bid["envelope_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() and bid["envelope_sha256"] in submitted.stdout
    assert f"entry {bid['receipt']['audit']['entry']['seq']}" in submitted.stdout

    receipt = tmp_path / "bid.bid.receipt.json"
    saved = json.loads(receipt.read_text())
    assert saved == {"receipt": bid["receipt"], "receipt_signature": bid["receipt_signature"]}
    key_url = f"{live_server.base_url}/api/audit/public-key"
    checked = cli("verify-receipt", str(receipt), "--public-key", key_url, "--envelope", str(out))
    assert checked.exit_code == 0, checked.output
    assert "✗" not in checked.stdout and checked.stdout.count("✓") == 8  # seven receipt checks and the envelope
    pem = tmp_path / "platform.pem"
    pem.write_text((await live_client.get("/api/audit/public-key")).json()["pem"])
    assert cli("verify-receipt", str(receipt), "--public-key", str(pem)).exit_code == 0

    # A receipt altered anywhere fails, and says what failed.
    saved["receipt"]["bid"]["received_at"] = "2020-01-01T00:00:00.000000Z"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(saved))
    refused = cli("verify-receipt", str(forged), "--public-key", str(pem))
    assert refused.exit_code == 1 and "✗ the platform signed this receipt" in refused.stdout
    # So does a receipt for other bytes than the envelope at hand.
    other = tmp_path / "other.bid"
    other.write_bytes(out.read_bytes()[:-1] + b"\0")
    mismatch = cli("verify-receipt", str(receipt), "--public-key", str(pem), "--envelope", str(other))
    assert mismatch.exit_code == 1 and "✗ the envelope file is the one received" in mismatch.stdout


def _upload_id(result: Result) -> str:
    marker = "--resume "
    return result.output.split(marker, 1)[1].split()[0]


async def test_submit_resumes_an_upload_that_was_cut_after_part_one(live_server, live_client, live_users, clock, tmp_path) -> None:
    tender = await open_tender(live_client, live_users, clock)
    bidder = await _bidder(live_server, live_client, live_users, tmp_path, tender.id)
    out = tmp_path / "bid.bid"
    assert _seal(bidder, tender.id, _bid_folder(tmp_path), out).exit_code == 0
    data = out.read_bytes()
    started = await live_client.post(f"/api/tenders/{tender.id}/lots/1/bid-uploads", headers=bidder.headers,
                                     json={"bid_version": 1, "size": len(data)})
    upload_id = started.json()["id"]
    sent = await live_client.put(f"/api/bid-uploads/{upload_id}/parts/1", headers=bidder.headers, content=data[:20000])
    assert sent.status_code == 200

    # The part size is taken from what arrived (20 000), not from --part-size, so numbers line up.
    resumed = bidder.run("submit", str(out), "--resume", upload_id, "--part-size", "8MiB")
    assert resumed.exit_code == 0, resumed.output
    assert "1 part(s), 20000 bytes already received" in resumed.output
    progress = (await live_client.get(f"/api/bid-uploads/{upload_id}", headers=bidder.headers)).json()
    assert progress["state"] == "completed"
    assert [p["size"] for p in progress["parts"]] == [20000, 20000, len(data) - 40000]
    assert progress["parts"][0]["sha256"] == sent.json()["sha256"]
    assert (tmp_path / "bid.bid.receipt.json").exists()

    # Resuming an upload with another envelope is refused before anything is sent.
    other = tmp_path / "other.bid"
    other.write_bytes(data + b"x")
    (tmp_path / "other.bid.sig").write_text((tmp_path / "bid.bid.sig").read_text())
    wrong = bidder.run("submit", str(other), "--resume", upload_id)
    assert wrong.exit_code != 0


async def test_status_shows_versions_and_a_bid_can_be_withdrawn(live_server, live_client, live_users, clock, tmp_path) -> None:
    tender = await open_tender(live_client, live_users, clock)
    bidder = await _bidder(live_server, live_client, live_users, tmp_path, tender.id)
    folder = _bid_folder(tmp_path)
    for version, price in ((1, "780000.00"), (2, "760000.00")):
        out = tmp_path / f"v{version}.bid"
        sealed = _seal(bidder, tender.id, folder, out, price)  # the next version is asked of the platform
        assert sealed.exit_code == 0, sealed.output
        assert envelope.read_header([out.read_bytes()]).binding.bid_version == version
        assert bidder.run("submit", str(out)).exit_code == 0
    shown = bidder.run("status", "--tender", str(tender.id))
    assert shown.exit_code == 0, shown.output
    rows = [line for line in shown.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == 2 and "superseded" in rows[0] and "submitted" in rows[1]
    assert "lot 1 → v3" in shown.stdout

    current = json.loads((tmp_path / "v2.bid.receipt.json").read_text())["receipt"]["bid"]["id"]
    withdrawn = bidder.run("withdraw", str(current))
    assert withdrawn.exit_code == 0 and "withdrawn" in withdrawn.stdout
    again = bidder.run("withdraw", str(current))
    assert again.exit_code == 1 and "only the current bid can be withdrawn" in again.output
    statuses = [b["status"] for b in (await live_client.get(f"/api/tenders/{tender.id}/bids/mine", headers=bidder.headers)).json()["bids"]]
    assert statuses == ["superseded", "withdrawn"]


def test_a_wrong_passphrase_is_a_clear_error_and_nothing_is_written(tmp_path) -> None:
    keyfile = tmp_path / "keys.json"
    made = cli("keygen", str(keyfile), env={"PROCUREMENT_KEY_PASSPHRASE": PASSPHRASE})
    assert made.exit_code == 0, made.output
    files = tmp_path / "bid.txt"
    files.write_text("offer")
    out = tmp_path / "bid.bid"
    # No platform answers on port 9: the passphrase is checked before anything is asked of it.
    args = ["seal", "--keys", str(keyfile), "--tender", "1", "--lot", "1", "--version", "1", "--price", "1.00", str(files), "-o", str(out),
            "--token", "t", "--platform", "http://127.0.0.1:9"]
    wrong = cli(*args, input="not the passphrase\n")
    assert wrong.exit_code == 1 and "wrong passphrase" in wrong.output
    assert not out.exists() and not (tmp_path / "bid.bid.sig").exists()
    # Bad input names the option and the rule.
    bad_price = cli(*[a if a != "1.00" else "1.001" for a in args], input=f"{PASSPHRASE}\n")
    assert bad_price.exit_code == 2 and "--price" in bad_price.output and "two decimals" in bad_price.output
    short = cli("keygen", str(tmp_path / "k2.json"), input="short\nshort\n")
    assert short.exit_code == 2 and "at least 8 characters" in short.output
    assert not (tmp_path / "k2.json").exists()
    garbled = cli("submit", str(files), "--token", "t", "--signature", str(files))
    assert garbled.exit_code == 2 and "not a sealed envelope" in garbled.output


async def test_at_the_opening_each_bidder_releases_its_key_from_the_command_line(live_server, live_client, live_users, clock,
                                                                                 tmp_path) -> None:
    tender = await open_tender(live_client, live_users, clock, lots=ONE_LOT)
    submitted = []
    for n, price in enumerate(("1180000.00", "1199000.50", "1210000.00")):
        home = tmp_path / f"bidder-{n}"
        home.mkdir()
        bidder = await _bidder(live_server, live_client, live_users, home, tender.id)
        out = home / "bid.bid"
        assert _seal(bidder, tender.id, _bid_folder(home), out, price=price).exit_code == 0
        sent = bidder.run("submit", str(out))
        assert sent.exit_code == 0, sent.output
        receipt = json.loads((home / "bid.bid.receipt.json").read_text())
        submitted.append((bidder, out, receipt["receipt"]["bid"]["id"]))
    deadline = datetime.fromisoformat((await live_client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"])
    clock.set(deadline + timedelta(seconds=1))
    platform = live_server.app.state.platform
    for _ in range(2):
        await live_server.run(sweep(platform, build_registry()))
    for bidder, _, _ in submitted:  # the day-long sessions of submission time have ended
        bidder.login()
    operator = await live_users.make(Role.operator)
    token = (await live_client.post("/api/auth/login", json={"username": operator.username, "password": operator.password})).json()["token"]
    started = await live_client.post(f"/api/tenders/{tender.id}/opening", headers={"Authorization": f"Bearer {token}"}, json={})
    assert started.status_code == 201, started.text

    first, first_envelope, first_bid = submitted[0]
    # Another bidder's keys do not unwrap this envelope: nothing is sent.
    wrong = submitted[1][0].run("release", str(first_bid), str(first_envelope), "--keys", str(submitted[1][0].keyfile),
                                input=f"{PASSPHRASE}\n")
    assert wrong.exit_code == 1 and "does not give up its content key" in wrong.output
    for bidder, out, bid_id in submitted:
        released = bidder.run("release", str(bid_id), str(out), "--keys", str(bidder.keyfile), input=f"{PASSPHRASE}\n")
        assert released.exit_code == 0, released.output
        assert "is opened" in released.output


async def test_seal_adds_the_tenders_opening_key_as_a_recipient(live_server, live_client, live_users, clock, tmp_path) -> None:
    tender = await _accepted(live_client, live_users, clock)
    custodians = await _three_custodians(live_client, live_users, tender)
    created = await _set(live_client, tender, custodians)
    assert created.status_code == 201, created.text
    assert (await live_client.post(f"/api/tenders/{tender.id}/publish", headers=tender.owner, json={})).status_code == 200
    clock.advance(timedelta(days=1, hours=1))
    bidder = await _bidder(live_server, live_client, live_users, tmp_path, tender.id)
    out = tmp_path / "bid.bid"
    sealed = _seal(bidder, tender.id, _bid_folder(tmp_path), out)
    assert sealed.exit_code == 0, sealed.output
    recipients = {r.key_id.hex() for r in envelope.read_header([out.read_bytes()]).recipients}
    assert created.json()["key_id"] in recipients and len(recipients) == 2
    sent = bidder.run("submit", str(out))
    assert sent.exit_code == 0, sent.output  # the platform requires the opening key among the recipients
