"""``procurement bid``: the bidder's side of a sealed bid, run on the bidder's own machine.

Everything here talks to the platform over HTTP (never its database) and keeps every secret
local: the key file is opened with a passphrase typed at a hidden prompt (or taken from
``PROCUREMENT_KEY_PASSPHRASE`` in scripts), the envelope is sealed here, and only the
envelope, its signature and the public keys leave the machine.

The bearer token is not stored: ``bid login`` prints it, and the other commands take it from
``--token`` or ``PROCUREMENT_TOKEN``. A token file on disk would outlive the session it
belongs to and be one more credential to steal from a shared office machine; an environment
variable dies with the shell (``export PROCUREMENT_TOKEN=$(procurement bid login -u NAME)``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from bidding import envelope

console = Console(stderr=True)  # progress and messages; stdout carries only what scripts read
out = Console(soft_wrap=True)

DEFAULT_PLATFORM = "http://127.0.0.1:8000"
PASSPHRASE_ENV = "PROCUREMENT_KEY_PASSPHRASE"
DEFAULT_PART_SIZE = 8 * 1024 * 1024
PRICE = re.compile(r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$")  # docs/envelope.md §5
FOLDER_SEPARATOR = "__"  # file names in an envelope may not contain "/" (docs/envelope.md §5)
READ_SIZE = 64 * 1024


class PlatformError(click.ClickException):
    """The platform refused a request: its own words (RFC 9457 problem details), exit 1."""


# --- HTTP ------------------------------------------------------------------------------------


class Api:
    def __init__(self, platform: str, token: str | None) -> None:
        self.platform = platform.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # Parts can be large and links slow: no overall timeout on a transfer, only on connecting.
        self.http = httpx.Client(base_url=self.platform, headers=headers, timeout=httpx.Timeout(60.0, connect=10.0))

    def request(self, method: str, path: str, *, expect: tuple[int, ...] = (200, 201), **options: Any) -> Any:
        try:
            response = self.http.request(method, path, **options)
        except httpx.HTTPError as exc:
            raise PlatformError(f"cannot reach the platform at {self.platform}: {exc}") from exc
        if response.status_code not in expect:
            raise PlatformError(_problem(response))
        return response.json() if response.content else None


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("title") or ""
        return f"the platform refused ({response.status_code} {body.get('title', '')}): {detail}"
    return f"the platform answered {response.status_code}: {response.text[:500]}"


def platform_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--platform", envvar="PROCUREMENT_PLATFORM", default=DEFAULT_PLATFORM, show_default=True, metavar="URL",
        help="The platform's address (env PROCUREMENT_PLATFORM).",
    )(function)


def token_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--token", envvar="PROCUREMENT_TOKEN", metavar="TOKEN", show_envvar=True,
        help="Bearer token from `procurement bid login` (env PROCUREMENT_TOKEN).",
    )(function)


def _api(platform: str, token: str | None) -> Api:
    if not token:
        raise click.UsageError("a bearer token is needed: `export PROCUREMENT_TOKEN=$(procurement bid login -u NAME)` or --token")
    return Api(platform, token)


def _bytes_progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(binary_units=True), TransferSpeedColumn(), TimeRemainingColumn(),
        console=console,
    )


# --- Keys ------------------------------------------------------------------------------------


def _passphrase(prompt: str, *, confirm: bool = False) -> str:
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env is not None:
        return from_env
    return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)


def _open_keyfile(path: Path) -> envelope.BidderKeys:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint="--keys") from exc
    try:
        return envelope.read_keyfile(data, _passphrase(f"Passphrase for {path.name} (密钥口令)"))
    except envelope.WrongPassphrase as exc:
        raise click.ClickException(f"wrong passphrase for {path}: {exc}") from exc
    except envelope.KeyFileError as exc:
        raise click.BadParameter(f"{path} is not a usable key file: {exc}", param_hint="--keys") from exc


def _parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*([0-9]+)\s*(B|KiB|MiB|GiB|K|M|G)?\s*", text, re.IGNORECASE)
    if match is None:
        raise click.BadParameter(f"{text!r} is not a size such as 8MiB, 512KiB or 1048576", param_hint="--part-size")
    unit = (match.group(2) or "B").upper().rstrip("IB") or "B"
    return int(match.group(1)) * {"B": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[unit]


# --- The group ---------------------------------------------------------------------------------


@click.group(
    "bid",
    help="Sealed bids from the bidder's machine (投标文件加密与递交): keys, sealing, upload, receipts.\n\n"
    "Typical run: `keygen keys.json --register`, `seal ... -o bid.bid`, `submit bid.bid`, "
    "`verify-receipt bid.bid.receipt.json --public-key URL`. Secrets are prompted without echo; "
    f"scripts set {PASSPHRASE_ENV} and PROCUREMENT_TOKEN.",
)
def bid() -> None:
    pass


@bid.command(help="Log in and print a bearer token (登录). Nothing is stored: export it as PROCUREMENT_TOKEN.")
@click.option("-u", "--username", required=True, help="Your user name on the platform.")
@click.option("--password", envvar="PROCUREMENT_PASSWORD", help="Read from env PROCUREMENT_PASSWORD, else prompted without echo.")
@platform_option
def login(username: str, password: str | None, platform: str) -> None:
    if password is None:
        password = click.prompt("Password (密码)", hide_input=True, err=True)
    answer = Api(platform, None).request("POST", "/api/auth/login", json={"username": username, "password": password})
    console.print(f"logged in as {answer['user']['username']} until {answer['expires_at']}")
    click.echo(answer["token"])


@bid.command(help="Make a new key pair (X25519 to receive, Ed25519 to sign) in a passphrase-protected key file (生成投标密钥).")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--label", default="", help="A name for the keys, e.g. 投标密钥 2025.")
@click.option("--register", is_flag=True, help="Also register both public halves with the platform (POST /api/me/keys).")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists (the old private keys are lost).")
@platform_option
@token_option
def keygen(out: Path, label: str, register: bool, force: bool, platform: str, token: str | None) -> None:
    if out.exists() and not force:
        raise click.BadParameter(f"{out} exists; losing a key file loses every bid sealed to it (use --force)", param_hint="OUT")
    api = _api(platform, token) if register else None  # fail before any prompt
    keys = envelope.BidderKeys.generate(label)
    try:
        document = envelope.write_keyfile(keys, _passphrase("New passphrase, at least 8 characters (新口令)", confirm=True))
    except envelope.KeyFileError as exc:
        raise click.BadParameter(str(exc), param_hint="passphrase/--label") from exc
    # 0600 from the start: the file is encrypted, but nobody else needs to read it.
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(document)
    console.print(f"wrote {out}; keep a copy: without it and its passphrase your sealed bids cannot be released")
    for algorithm, raw in (("x25519", keys.x25519_public), ("ed25519", keys.ed25519_public)):
        click.echo(f"{algorithm} {base64.b64encode(raw).decode()} sha256:{hashlib.sha256(raw).hexdigest()}")
        if api is not None:
            api.request("POST", "/api/me/keys", json={"algorithm": algorithm, "public_key": base64.b64encode(raw).decode(), "label": label[:100]})
    if api is not None:
        console.print("registered both public keys with the platform")


# --- seal --------------------------------------------------------------------------------------


def _payload_files(inputs: tuple[Path, ...]) -> list[tuple[Path, str]]:
    """(path, name in the envelope); a folder's files by their path under it, "/" written as "__"."""
    files: list[tuple[Path, str]] = []
    for given in inputs:
        if given.is_dir():
            for path in sorted(p for p in given.rglob("*") if p.is_file()):
                files.append((path, FOLDER_SEPARATOR.join(path.relative_to(given).parts)))
        else:
            files.append((given, given.name))
    names = [name for _, name in files]
    if duplicate := next((n for n in names if names.count(n) > 1), None):
        raise click.BadParameter(f"two files would be named {duplicate!r} in the envelope; rename one", param_hint="FILES_OR_FOLDER")
    return files


def _field(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"{text!r} is not name=value", param_hint="--field")
    if name == "price":
        raise click.BadParameter("the price is given with --price", param_hint="--field")
    try:  # numbers, true/false and JSON structures as such; anything else as text
        return name, json.loads(value)
    except ValueError:
        return name, value


@bid.command(help="Seal files and the bid price into an envelope, signed, ready to submit (加密投标文件).")
@click.argument("inputs", metavar="FILES_OR_FOLDER...", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--keys", "keyfile", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Your key file.")
@click.option("--tender", "tender_id", required=True, type=click.IntRange(1, 2**53 - 1), help="The tender's id.")
@click.option("--lot", required=True, type=click.IntRange(1, 2**32 - 1), help="The lot's number (标段号).")
@click.option("--version", "bid_version", type=click.IntRange(1, 2**32 - 1), help="Bid version; by default the next one, asked of the platform.")
@click.option("--price", required=True, help="The bid price in yuan (投标报价), e.g. 1234567.89.")
@click.option("--currency", default="CNY", show_default=True, help="Currency field of the opening record.")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE", help="Another opening-record field, e.g. duration_days=180 (JSON or text).")
@click.option("--recipient", "recipients", multiple=True, metavar="BASE64",
              help="Also wrap the key to this raw X25519 public key (e.g. the tender's opening key).")
@click.option("--segment-size", default=envelope.DEFAULT_SEGMENT_SIZE, show_default=True, type=int, hidden=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The envelope to write (OUT.bid).")
@platform_option
@token_option
def seal(inputs: tuple[Path, ...], keyfile: Path, tender_id: int, lot: int, bid_version: int | None, price: str, currency: str,
         fields: tuple[str, ...], recipients: tuple[str, ...], segment_size: int, output: Path, platform: str, token: str | None) -> None:
    if not PRICE.fullmatch(price):
        raise click.BadParameter("yuan with at most two decimals and no sign, e.g. 1234567.89", param_hint="--price")
    extra = []
    for text in recipients:
        try:
            extra.append(X25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True)))
        except ValueError as exc:
            raise click.BadParameter(f"{text!r} is not base64 of a 32-byte X25519 public key", param_hint="--recipient") from exc
    opening_fields: dict[str, Any] = {"price": price, "currency": currency} | dict(_field(f) for f in fields)
    files = _payload_files(inputs)
    api = _api(platform, token)
    keys = _open_keyfile(keyfile)  # a wrong passphrase fails before anything is asked of the platform
    me = api.request("GET", "/api/me")
    if bid_version is None:
        mine = api.request("GET", f"/api/tenders/{tender_id}/bids/mine")
        if str(lot) not in mine["next_versions"]:
            raise click.BadParameter(f"tender {tender_id} has no lot {lot}", param_hint="--lot")
        bid_version = int(mine["next_versions"][str(lot)])
    # Where the tender has an opening key, every bid must be sealed to it as well (the fallback at the opening).
    opening_key = api.request("GET", f"/api/tenders/{tender_id}/opening-key", expect=(200, 404))
    if opening_key and "public_key" in opening_key:
        extra.append(X25519PublicKey.from_public_bytes(base64.b64decode(opening_key["public_key"])))
        console.print(f"also sealed to the tender's opening key {opening_key['key_id'][:16]}… (k = {opening_key['threshold']})")
    partial = output.with_name(output.name + ".partial")
    try:
        binding = envelope.Binding(tender_id, lot, int(me["organisation_id"]), bid_version)
        with _bytes_progress() as progress:
            measuring = progress.add_task("measuring files", total=sum(p.stat().st_size for p, _ in files))
            payload = []
            for path, name in files:
                payload.append(envelope.PayloadFile.from_path(path, name))
                progress.advance(measuring, path.stat().st_size)
            sealed = envelope.seal(binding, opening_fields, payload, [keys.x25519.public_key(), *extra], signer=keys.ed25519,
                                   segment_size=segment_size)
            task = progress.add_task("sealing", total=sealed.header.envelope_length)
            with partial.open("wb") as handle:
                for chunk in sealed:
                    handle.write(chunk)
                    progress.advance(task, len(chunk))
    except envelope.EnvelopeError as exc:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"cannot seal ({exc.field or 'envelope'}): {exc}") from exc
    assert sealed.signature is not None
    partial.replace(output)  # a half-written envelope never carries the final name
    signature_path = output.with_name(output.name + ".sig")
    signature_path.write_text(base64.b64encode(sealed.signature).decode() + "\n")
    console.print(f"sealed {len(payload)} file(s) for tender {tender_id}, lot {lot}, version {bid_version}, "
                  f"price {Decimal(price):,.2f} {currency}")
    click.echo(f"{output} {sealed.length} bytes, envelope digest {sealed.digest.hex()}")
    click.echo(f"{signature_path}")


# --- submit ------------------------------------------------------------------------------------


def _sha256(path: Path, start: int = 0, length: int | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        handle.seek(start)
        remaining = path.stat().st_size - start if length is None else length
        while remaining > 0 and (piece := handle.read(min(READ_SIZE, remaining))):
            digest.update(piece)
            remaining -= len(piece)
    return digest.hexdigest()


def _part_body(path: Path, start: int, length: int, advance: Callable[[int], None]) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0 and (piece := handle.read(min(READ_SIZE, remaining))):
            remaining -= len(piece)
            advance(len(piece))
            yield piece


def _kept_parts(upload: dict[str, Any], path: Path, part_size: int) -> tuple[int, int]:
    """(bytes already there, parts already there): the parts from 1 on that hold exactly our bytes."""
    offset = kept = 0
    for part in upload["parts"]:
        if part["number"] != kept + 1 or (part["size"] != part_size and offset + part["size"] != upload["size"]):
            break
        if _sha256(path, offset, part["size"]) != part["sha256"]:
            break
        offset += part["size"]
        kept += 1
    return offset, kept


@bid.command(help="Upload a sealed envelope in parts and receive the signed receipt (递交投标文件). Resumable.")
@click.argument("envelope_path", metavar="OUT.bid", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--signature", "signature_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The signature file; default OUT.bid.sig.")
@click.option("--part-size", default="8MiB", show_default=True, help="Bytes per part (e.g. 512KiB, 8MiB).")
@click.option("--resume", "upload_id", metavar="UPLOAD_ID", help="Continue an interrupted upload: send only the parts that did not arrive.")
@platform_option
@token_option
def submit(envelope_path: Path, signature_path: Path | None, part_size: str, upload_id: str | None, platform: str, token: str | None) -> None:
    size_per_part = _parse_size(part_size)
    if size_per_part < 1:
        raise click.BadParameter("must be at least 1 byte", param_hint="--part-size")
    signature_path = signature_path or envelope_path.with_name(envelope_path.name + ".sig")
    if not signature_path.exists():
        raise click.BadParameter(f"{signature_path} not found (seal writes it beside the envelope)", param_hint="--signature")
    signature = signature_path.read_text().strip()
    size = envelope_path.stat().st_size
    try:
        with envelope_path.open("rb") as handle:
            header = envelope.read_header(iter(lambda: handle.read(READ_SIZE), b""))
    except envelope.EnvelopeError as exc:
        raise click.BadParameter(f"not a sealed envelope: {exc}", param_hint="OUT.bid") from exc
    binding = header.binding
    api = _api(platform, token)
    if upload_id is None:
        upload = api.request("POST", f"/api/tenders/{binding.tender_id}/lots/{binding.lot_number}/bid-uploads",
                             json={"bid_version": binding.bid_version, "size": size})
        upload_id = upload["id"]
        console.print(f"upload {upload_id} started; if interrupted: procurement bid submit {envelope_path} --resume {upload_id}")
        offset, sent_parts = 0, 0
    else:
        upload = api.request("GET", f"/api/bid-uploads/{upload_id}")
        if (upload["tender_id"], upload["lot_number"], upload["bid_version"], upload["size"]) != (
                binding.tender_id, binding.lot_number, binding.bid_version, size):
            raise click.BadParameter(f"upload {upload_id} is for another envelope (tender {upload['tender_id']}, lot {upload['lot_number']}, "
                                     f"version {upload['bid_version']}, {upload['size']} bytes)", param_hint="--resume")
        if upload["parts"] and upload["parts"][0]["size"] != size_per_part and upload["parts"][0]["size"] != size:
            size_per_part = upload["parts"][0]["size"]  # keep the numbering of the first attempt, so resent parts replace theirs
        offset, sent_parts = _kept_parts(upload, envelope_path, size_per_part)
        console.print(f"upload {upload_id}: {sent_parts} part(s), {offset} bytes already received")
    with _bytes_progress() as progress:
        task = progress.add_task("uploading", total=size, completed=offset)
        number = sent_parts + 1
        while offset < size:
            length = min(size_per_part, size - offset)
            body = _part_body(envelope_path, offset, length, lambda n: progress.advance(task, n))
            part = api.request("PUT", f"/api/bid-uploads/{upload_id}/parts/{number}", content=body,
                               headers={"Content-Type": "application/octet-stream", "Content-Length": str(length)})
            if part["sha256"] != _sha256(envelope_path, offset, length):
                raise click.ClickException(f"part {number} arrived altered; resume with --resume {upload_id}")
            offset += length
            number += 1
    bid_answer = api.request("POST", f"/api/bid-uploads/{upload_id}/complete", json={"signature": signature})
    if bid_answer["envelope_sha256"] != _sha256(envelope_path):
        raise click.ClickException("the platform recorded an envelope whose SHA-256 differs from this file's")
    receipt_path = envelope_path.with_name(envelope_path.name + ".receipt.json")
    receipt_path.write_text(json.dumps({"receipt": bid_answer["receipt"], "receipt_signature": bid_answer["receipt_signature"]},
                                       ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    receipt = bid_answer["receipt"]
    # Plain lines, not a table: a hash must never be wrapped or cut where people copy it from.
    click.echo("Bid received (投标文件已接收)")
    for name, value in (
        ("bid id", bid_answer["id"]),
        ("tender / lot / version", f"{receipt['bid']['tender_code']} / {bid_answer['lot_number']} / {bid_answer['version']}"),
        ("size", f"{bid_answer['size']} bytes"),
        ("SHA-256", bid_answer["envelope_sha256"]),
        ("received at", receipt["bid"]["received_at"]),
        ("audit position", f"entry {receipt['audit']['entry']['seq']} of checkpoint {receipt['audit']['checkpoint']['tree_size']}"),
        ("receipt", str(receipt_path)),
    ):
        click.echo(f"  {name + ':':<24}{value}")


# --- status, withdraw -----------------------------------------------------------------------------


@bid.command(help="Your organisation's bids on a tender and the version each lot's next envelope needs (投标状态).")
@click.option("--tender", "tender_id", required=True, type=click.IntRange(1, 2**53 - 1), help="The tender's id.")
@platform_option
@token_option
def status(tender_id: int, platform: str, token: str | None) -> None:
    mine = _api(platform, token).request("GET", f"/api/tenders/{tender_id}/bids/mine")
    table = Table(title=f"Bids on tender {tender_id}")
    for column in ("bid", "lot", "version", "status", "size", "submitted at", "SHA-256"):
        table.add_column(column)
    for b in mine["bids"]:
        table.add_row(str(b["id"]), str(b["lot_number"]), str(b["version"]), b["status"], str(b["size"]), b["submitted_at"],
                      b["envelope_sha256"][:16] + "…")
    out.print(table)
    out.print("next versions: " + ", ".join(f"lot {lot} → v{version}" for lot, version in sorted(mine["next_versions"].items(),
                                                                                                   key=lambda item: int(item[0]))))


@bid.command(help="Withdraw your current bid before the deadline (撤回投标).")
@click.argument("bid_id", type=click.IntRange(1, 2**53 - 1))
@platform_option
@token_option
def withdraw(bid_id: int, platform: str, token: str | None) -> None:
    answer = _api(platform, token).request("POST", f"/api/bids/{bid_id}/withdraw")
    out.print(f"bid {answer['id']} (lot {answer['lot_number']}, version {answer['version']}) is {answer['status']} at {answer['withdrawn_at']}")


# --- release ------------------------------------------------------------------------------------


@bid.command(help="At the opening: unwrap your bid's content key here, with your private key, and send it (解密投标文件).")
@click.argument("bid_id", type=click.IntRange(1, 2**53 - 1))
@click.argument("envelope_path", metavar="OUT.bid", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--keys", "keyfile", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Your key file.")
@platform_option
@token_option
def release(bid_id: int, envelope_path: Path, keyfile: Path, platform: str, token: str | None) -> None:
    api = _api(platform, token)
    keys = _open_keyfile(keyfile)
    with envelope_path.open("rb") as handle:
        try:
            header = envelope.read_header(iter(lambda: handle.read(1 << 16), b""))
            content_key = envelope.unwrap_content_key(header, keys.x25519)
        except envelope.EnvelopeError as exc:
            raise click.ClickException(f"{envelope_path} does not give up its content key to these keys: {exc}") from exc
    # Only the content key of this one envelope leaves the machine; the private key never does.
    answer = api.request("POST", f"/api/bids/{bid_id}/release", json={"content_key": base64.b64encode(content_key).decode()})
    out.print(f"bid {answer['id']} (lot {answer['lot_number']}, version {answer['version']}) is {answer['status']}")


# --- verify-receipt --------------------------------------------------------------------------------


def _platform_key(source: str) -> Ed25519PublicKey:
    from procurement.keys import load_public_key_pem

    if source.startswith(("http://", "https://")):
        try:
            response = httpx.get(source, timeout=30)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise click.BadParameter(f"cannot fetch {source}: {exc}", param_hint="--public-key") from exc
        text = response.content
    else:
        try:
            text = Path(source).read_bytes()
        except OSError as exc:
            raise click.BadParameter(f"cannot read {source}: {exc.strerror}", param_hint="--public-key") from exc
    try:  # the URL answers {"key_id", "algorithm", "pem"}; a saved copy of that works as well as the bare PEM
        document = json.loads(text)
        text = document["pem"].encode() if isinstance(document, dict) and isinstance(document.get("pem"), str) else text
    except ValueError:
        pass
    try:
        return load_public_key_pem(text)
    except ValueError as exc:
        raise click.BadParameter(f"{source} is not the platform's Ed25519 public key in PEM: {exc}", param_hint="--public-key") from exc


@bid.command("verify-receipt", help="Check a receipt offline: the platform's signatures and the audit log's inclusion proof (验证回执).")
@click.argument("receipt_path", metavar="RECEIPT.json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--public-key", "public_key", required=True, metavar="PEM_FILE_or_URL",
              help="The platform's public key: a PEM file or its URL (…/api/audit/public-key).")
@click.option("--envelope", "envelope_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Also check that this envelope file is the one the receipt names.")
def verify_receipt_command(receipt_path: Path, public_key: str, envelope_path: Path | None) -> None:
    from bidding.receipts import verify_receipt

    key = _platform_key(public_key)
    try:
        document = json.loads(receipt_path.read_text(encoding="utf-8"))
        checks = verify_receipt(document["receipt"], document["receipt_signature"], key).checks
    except (ValueError, KeyError, TypeError) as exc:
        out.print(f"[red]✗[/red] {receipt_path} is not a bid receipt file: {exc!r}")
        sys.exit(1)
    if envelope_path is not None:
        bid_facts = document["receipt"]["bid"]
        checks = [*checks, ("the envelope file is the one received",
                            envelope_path.stat().st_size == bid_facts["size"] and _sha256(envelope_path) == bid_facts["envelope_sha256"])]
    for what, held in checks:
        out.print(f"[green]✓[/green] {what}" if held else f"[red]✗[/red] {what}")
    if not all(held for _, held in checks):
        out.print("[bold red]The receipt does NOT verify.[/bold red]")
        sys.exit(1)
    bid_facts = document["receipt"]["bid"]
    out.print(f"[bold]OK[/bold]: bid {bid_facts['id']} version {bid_facts['version']}, received {bid_facts['received_at']}")
