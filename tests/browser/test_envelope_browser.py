"""The browser's sealed-bid envelope (``templates/static/js/envelope/``) in real Chromium,
held to the test vectors byte for byte and crossed with the Python implementation both ways.

The modules are loaded from the app's own ``/static`` route into a bare page on the live
server's http://127.0.0.1 origin (a secure context: WebCrypto's X25519 and Ed25519 need
one); the page is served by a Playwright route, so the app needs no test-only page.
Bytes cross between Python and the page as base64 through ``page.evaluate``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bidding.envelope import (
    BidderKeys,
    Binding,
    EnvelopeError,
    PayloadFile,
    check_content_key,
    envelope_digest,
    inspect_envelope,
    open_envelope,
    read_header,
    read_keyfile,
    seal,
    signed_message,
    unwrap_content_key,
    verify_signature,
    write_keyfile,
)
from bidding.envelope.seal import seal_payload
from procurement.identity.models import Role
from tests.bidding.envelope_testlib import VECTORS, ed25519, pattern, x25519
from tests.browser.conftest import LiveServer
from tests.conftest import (
    TestUser as UserUnderTest,  # not "Test...": pytest would collect it
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

HARNESS = "/__envelope_harness__"
BIDDER, OPENER, STRANGER = x25519("bidder"), x25519("opening key"), x25519("stranger")
SIGNER = ed25519("signer")
BINDING = Binding(tender_id=17, lot_number=2, organisation_id=9, bid_version=3)
JS_BINDING = {"tenderId": 17, "lotNumber": 2, "organisationId": 9, "bidVersion": 3}
FIELDS = {"price": "1234567.89", "currency": "CNY", "工期": "180 日历天"}

# Imports the library into the page once; every snippet below then uses window.E (the
# public API) and window.M (the inner modules, for the vectors' intermediate values).
LOAD = """async () => {
  window.E = await import('/static/js/envelope/index.js');
  window.M = {};
  for (const name of ['bytes', 'digest', 'format', 'keys', 'payload', 'signature', 'keyfile']) {
    window.M[name] = await import(`/static/js/envelope/${name}.js`);
  }
  window.b64 = window.M.bytes.toBase64;
  window.unb64 = window.M.bytes.fromBase64;
  window.collect = async (sealed) => {
    const parts = [];
    for await (const chunk of sealed.chunks()) parts.push(chunk);
    return parts;
  };
  // {name, field, message} of whatever `run` throws, so Python can check the refusal.
  window.refusal = async (run) => {
    try { await run(); } catch (error) { return {name: error.name, field: error.field ?? null, message: error.message}; }
    return null;
  };
  return window.isSecureContext && !!crypto.subtle;
}"""


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def raw_public(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


async def harness(page: Any, live_server: LiveServer) -> Any:
    if not getattr(page, "_envelope_harness", False):
        await page.route(f"{live_server.base_url}{HARNESS}",
                         lambda route: route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>envelope</title>"))
        page._envelope_harness = True
    await page.goto(f"{live_server.base_url}{HARNESS}")
    assert await page.evaluate(LOAD), "the harness page is not a secure context with WebCrypto"
    return page


VECTOR_JS = """async (v) => {
  const {bytes: B, digest: D, format: F, keys: K, payload: P, signature: S} = window.M;
  const hex = B.toHex, unhex = B.fromHex, inp = v.inputs;
  const binding = {tenderId: inp.binding.tender_id, lotNumber: inp.binding.lot_number,
                   organisationId: inp.binding.organisation_id, bidVersion: inp.binding.bid_version};
  const files = inp.files.map((f) => ({name: f.name, bytes: unhex(f.content_hex)}));
  const draws = [inp.random.content_key, inp.random.payload_salt, ...inp.random.ephemeral_private_keys].map(unhex);
  const rng = (n) => {
    const value = draws.shift();
    if (value.length !== n) throw new Error(`asked for ${n} random bytes, the vector has ${value.length}`);
    return value;
  };
  const sealed = await E.seal({binding, fields: inp.fields, files, recipients: inp.recipients.map((r) => unhex(r.x25519_public_key)),
                               signer: unhex(inp.signer.ed25519_private_key), segmentSize: inp.segment_size, rng});
  const chunks = await collect(sealed);
  const envelope = B.concat(...chunks);
  const header = sealed.header;
  const contentKey = unhex(inp.random.content_key);
  const entries = [];
  for (const f of files) entries.push({name: f.name, size: f.bytes.length, digest: await D.fileDigest(f.bytes)});
  const manifest = P.encodeManifest(inp.fields, entries);
  const [payloadKey, prefix] = await K.payloadKeyAndNoncePrefix(contentKey, header.payloadSalt);
  const recipients = [];
  for (const [i, r] of inp.recipients.entries()) {
    const ephemeral = await K.importPrivateKey('X25519', unhex(inp.random.ephemeral_private_keys[i]));
    const ephemeralPublic = await K.x25519PublicOf(ephemeral);
    const recipientPublic = unhex(r.x25519_public_key);
    const shared = await K.x25519(ephemeral, recipientPublic);
    const entry = header.recipients[i];
    if (hex(entry.ephemeralPublicKey) !== hex(ephemeralPublic)) throw new Error('ephemeral public key');
    recipients.push({key_id: hex(entry.keyId), ephemeral_public_key: hex(entry.ephemeralPublicKey), shared_secret: hex(shared),
                     wrap_key: hex(await K.wrapKey(shared, header.fixedBytes, ephemeralPublic, recipientPublic)),
                     wrapped_key: hex(entry.wrappedKey)});
  }
  const n = chunks.length - 1;
  const expected = {
    binding_bytes: hex(F.encodeBinding(binding)),
    manifest_utf8: new TextDecoder().decode(manifest),
    payload: hex(B.concat(B.u32(manifest.length), manifest, ...files.map((f) => f.bytes))),
    payload_length: header.payloadLength,
    key_commitment: hex(await K.keyCommitment(contentKey, header.payloadSalt)),
    fixed_header: hex(header.fixedBytes),
    wrap_salt: hex(await D.sha256(header.fixedBytes)),
    recipients,
    header: hex(chunks[0]),
    header_sha256: hex(await header.digest()),
    payload_key: hex(payloadKey),
    nonce_prefix: hex(prefix),
    segments: chunks.slice(1).map((c, i) => ({nonce: hex(F.segmentNonce(prefix, i, i === n - 1)), ciphertext: hex(c)})),
    envelope: hex(envelope),
    envelope_digest: hex(sealed.digest),
    signed_message: hex(S.signedMessage(sealed.digest, binding)),
    signature: hex(sealed.signature),
  };
  // And back: every recipient opens the vector's own envelope in 7-byte chunks.
  const opened = [];
  const expectedEnvelope = unhex(v.expected.envelope);
  const info = await E.inspect(expectedEnvelope);
  await E.verifySignature(info, binding, unhex(v.expected.signature), unhex(inp.signer.ed25519_public_key));
  for (const r of inp.recipients) {
    const key = await E.unwrapContentKey(await E.readHeader(expectedEnvelope), unhex(r.x25519_private_key));
    const pieces = [];
    for (let at = 0; at < expectedEnvelope.length; at += 7) pieces.push(expectedEnvelope.subarray(at, at + 7));
    const envelopeOpened = await E.openEnvelope(pieces, key);
    const contents = await envelopeOpened.readFiles();
    opened.push({content_key: hex(key), fields: envelopeOpened.manifest.fields,
                 files: [...contents].map(([name, data]) => ({name, content_hex: hex(data)})),
                 digest: hex(await envelopeOpened.digest())});
  }
  return {expected, opened, inspected_digest: hex(info.digest), length: info.length};
}"""


@pytest.mark.parametrize("name", ["v1-one-recipient", "v2-two-recipients", "v3-exact-segments"])
async def test_js_reproduces_every_envelope_vector_byte_for_byte(page: Any, live_server: LiveServer, name: str) -> None:
    vector = json.loads((VECTORS / f"{name}.json").read_text())
    await harness(page, live_server)
    result = await page.evaluate(VECTOR_JS, vector)
    expected = vector["expected"]
    for key in expected:  # one key at a time, so a failure names the first intermediate value that differs
        assert result["expected"][key] == expected[key], key
    assert result["expected"] == expected
    assert result["inspected_digest"] == expected["envelope_digest"]
    assert result["length"] == len(expected["envelope"]) // 2
    for recipient in result["opened"]:
        assert recipient["content_key"] == vector["inputs"]["random"]["content_key"]
        assert recipient["fields"] == vector["inputs"]["fields"]
        assert recipient["files"] == vector["inputs"]["files"]
        assert recipient["digest"] == expected["envelope_digest"]


async def test_js_reproduces_the_digest_and_key_file_vectors(page: Any, live_server: LiveServer) -> None:
    digests = json.loads((VECTORS / "digest-1.json").read_text())
    keyfile = json.loads((VECTORS / "keyfile-1.json").read_text())
    await harness(page, live_server)
    result = await page.evaluate(
        """async ({digests, keyfile}) => {
          const {bytes: B, keys: K, keyfile: KF} = window.M;
          const pattern = (n) => Uint8Array.from({length: n}, (_, i) => i % 251);
          const envelope = [], file = [];
          for (const n of digests.inputs.lengths) {
            envelope.push(B.toHex(await E.envelopeDigest(pattern(n))));
            // The same data fed in uneven pieces must give the same chain.
            const chain = new E.ChainDigest(window.M.digest.FILE_CONTEXT);
            const data = pattern(n);
            for (let at = 0; at < n; at += 40000) await chain.update(data.subarray(at, at + 40000));
            file.push(B.toHex(await chain.digest()));
          }
          const inp = keyfile.inputs;
          const draws = [inp.random.salt, inp.random.iv].map(B.fromHex);
          const keys = {
            label: inp.label,
            x25519: await K.importPrivateKey('X25519', B.fromHex(inp.x25519_private_key), true),
            ed25519: await K.importPrivateKey('Ed25519', B.fromHex(inp.ed25519_private_key), true),
          };
          keys.x25519Public = await K.x25519PublicOf(keys.x25519);
          keys.ed25519Public = await K.ed25519PublicOf(keys.ed25519);
          const text = await KF.writeKeyfile(keys, inp.passphrase, {iterations: inp.iterations, rng: () => draws.shift()});
          const read = await E.readKeyfile(keyfile.expected.file_text, inp.passphrase);
          return {
            envelope, file, text,
            pbkdf2_key: B.toHex(await KF.passphraseKey(inp.passphrase, B.fromHex(inp.random.salt), inp.iterations)),
            associated_data: B.toHex(KF.associatedData(keys.x25519Public, keys.ed25519Public, inp.label)),
            read: {label: read.label, x: B.toHex(await K.exportPrivateKey(read.x25519)), ed: B.toHex(await K.exportPrivateKey(read.ed25519))},
          };
        }""",
        {"digests": digests, "keyfile": keyfile},
    )
    assert result["envelope"] == digests["expected"]["envelope_digest"]
    assert result["file"] == digests["expected"]["file_digest"]
    assert result["pbkdf2_key"] == keyfile["expected"]["pbkdf2_key"]
    assert result["associated_data"] == keyfile["expected"]["associated_data"]
    assert result["text"] == keyfile["expected"]["file_text"]
    inputs = keyfile["inputs"]
    assert result["read"] == {"label": inputs["label"], "x": inputs["x25519_private_key"], "ed": inputs["ed25519_private_key"]}


async def test_an_envelope_sealed_in_python_opens_in_the_browser(page: Any, live_server: LiveServer) -> None:
    files = {"技术标.pdf": pattern(5000, 7), "empty.txt": b"", "报价单.xlsx": pattern(1300, 99)}
    sealed = seal(BINDING, FIELDS, [PayloadFile.from_bytes(n, d) for n, d in files.items()], [BIDDER.public_key(), OPENER.public_key()], signer=SIGNER, segment_size=1024)
    data = sealed.to_bytes()
    assert sealed.header.segment_count == 7
    await harness(page, live_server)
    result = await page.evaluate(
        """async ({envelope, binding, signer, privates}) => {
          const data = unb64(envelope);
          // Uneven chunks, as a network read would give them.
          const pieces = [];
          for (let at = 0, size = 1; at < data.length; at += size, size = size * 3 % 2000 + 1) pieces.push(data.subarray(at, at + size));
          const info = await E.inspect(pieces);
          await E.verifySignature(info, binding.js, unb64(binding.signature), unb64(signer));
          const streamed = await E.inspect(new Blob([data]).stream());  // a ReadableStream, as fetch gives
          if (b64(streamed.digest) !== b64(info.digest)) throw new Error('the streamed digest differs');
          const out = {digest: b64(info.digest), length: info.length, segments: info.header.segmentCount,
                       keyIds: info.header.recipientKeyIds, opened: []};
          for (const key of privates) {
            const header = await E.readHeader(new Blob([data]));
            const contentKey = await E.unwrapContentKey(header, unb64(key));
            if (!(await E.checkContentKey(header, contentKey))) throw new Error('commitment');
            const opened = await E.openEnvelope(pieces, contentKey);
            const files = {};
            for await (const [entry, chunks] of opened.files()) {
              const parts = [];
              for await (const piece of chunks) parts.push(piece.slice());
              files[entry.name] = b64(new Uint8Array(await new Blob(parts).arrayBuffer()));
            }
            out.opened.push({contentKey: b64(contentKey), manifest: opened.manifest, files, digest: b64(await opened.digest())});
          }
          return out;
        }""",
        {"envelope": b64(data), "binding": {"js": JS_BINDING, "signature": b64(sealed.signature)},
         "signer": b64(SIGNER.public_key().public_bytes_raw()), "privates": [b64(BIDDER.private_bytes_raw()), b64(OPENER.private_bytes_raw())]},
    )
    assert unb64(result["digest"]) == sealed.digest == envelope_digest(data)
    assert (result["length"], result["segments"]) == (len(data), 7)
    assert result["keyIds"] == [hashlib.sha256(raw_public(k)).hexdigest() for k in (BIDDER, OPENER)]
    python_key = unwrap_content_key(read_header([data]), BIDDER)
    for opened in result["opened"]:
        assert unb64(opened["contentKey"]) == python_key
        assert opened["manifest"]["fields"] == FIELDS
        assert [(f["name"], f["size"]) for f in opened["manifest"]["files"]] == [(n, len(d)) for n, d in files.items()]
        assert {name: unb64(text) for name, text in opened["files"].items()} == files
        assert unb64(opened["digest"]) == sealed.digest


SEAL_BIG_JS = """async ({binding, recipients, size}) => {
  // A multi-MiB File built in the page, and a watch on how it is read: only Blob.slice pieces.
  const parts = [];
  for (let at = 0; at < size; at += 65536) parts.push(crypto.getRandomValues(new Uint8Array(Math.min(65536, size - at))));
  const big = new File(parts, '施工组织设计.bin');
  const slice = big.slice.bind(big);
  let largestSlice = 0;
  big.slice = (start, end) => { largestSlice = Math.max(largestSlice, end - start); return slice(start, end); };
  big.arrayBuffer = () => { throw new Error('the whole file was read at once'); };
  const contentHash = b64(new Uint8Array(await crypto.subtle.digest('SHA-256', await new Blob(parts).arrayBuffer())));
  const keys = await E.generateBidderKeys('投标密钥 测试');
  const progress = [];
  const sealed = await E.seal({
    binding, fields: {price: '88000000.00', currency: 'CNY', 备注: '含税'},
    files: [big, {name: 'note.txt', bytes: new TextEncoder().encode('第二个文件\\n')}],
    recipients: recipients.map(unb64), signer: keys.ed25519, onProgress: (p) => progress.push(p),
  });
  const announced = sealed.length;
  const blob = await sealed.toBlob();
  const envelope = new Uint8Array(await blob.arrayBuffer());
  return {envelope: b64(envelope), announced, digest: b64(sealed.digest), signature: b64(sealed.signature),
          signer: b64(keys.ed25519Public), contentHash, largestSlice, progress: progress.slice(-1)[0],
          phases: [...new Set(progress.map((p) => p.phase))], progressCount: progress.length};
}"""


async def test_an_envelope_sealed_in_the_browser_opens_in_python(page: Any, live_server: LiveServer) -> None:
    size = 5 * 1024 * 1024 + 12345
    await harness(page, live_server)
    result = await page.evaluate(SEAL_BIG_JS, {"binding": JS_BINDING, "recipients": [b64(raw_public(BIDDER)), b64(raw_public(OPENER))], "size": size})
    data = unb64(result["envelope"])
    assert result["largestSlice"] <= 64 * 1024
    assert result["phases"] == ["measure", "seal"]
    assert result["progress"]["done"] == result["progress"]["total"] and result["progressCount"] > 80
    assert len(data) == result["announced"]

    info = inspect_envelope(data[i : i + 100_000] for i in range(0, len(data), 100_000))
    assert info.digest == unb64(result["digest"]) and info.binding == BINDING and info.segment_count == 81
    verify_signature(info, BINDING, unb64(result["signature"]), Ed25519PublicKey.from_public_bytes(unb64(result["signer"])))
    content_key = unwrap_content_key(info.header, BIDDER)
    assert unwrap_content_key(info.header, OPENER) == content_key and check_content_key(info.header, content_key)
    opened = open_envelope([data], content_key)
    assert opened.manifest.fields == {"price": "88000000.00", "currency": "CNY", "备注": "含税"}
    files = opened.read_files()
    assert list(files) == ["施工组织设计.bin", "note.txt"]
    assert len(files["施工组织设计.bin"]) == size
    assert base64.b64encode(hashlib.sha256(files["施工组织设计.bin"]).digest()).decode() == result["contentHash"]
    assert files["note.txt"] == "第二个文件\n".encode()


REFUSALS_JS = """async ({envelope, bidder, stranger, signer, signature, binding}) => {
  const data = unb64(envelope);
  const key = unb64(bidder);
  const flipped = (at) => { const copy = data.slice(); copy[at] ^= 1; return copy; };
  const headerLength = (await E.readHeader(data)).length;
  const contentKey = await E.unwrapContentKey(await E.readHeader(data), key);
  const openAll = async (bytes, k = contentKey) => (await E.openEnvelope(bytes, k)).readFiles();
  const segment2 = headerLength + 2 * (1024 + 16) + 5;
  const swapped = data.slice();
  swapped.set(data.subarray(headerLength + 1040, headerLength + 2080), headerLength);
  swapped.set(data.subarray(headerLength, headerLength + 1040), headerLength + 1040);
  const extra = new Uint8Array(data.length + 1);
  extra.set(data);
  const lowOrder = data.slice();
  lowOrder.fill(0, 115 + 32, 115 + 64);  // entry 0's ephemeral key: the all-zero point gives an all-zero secret
  const version2 = data.slice();
  version2[9] = 2;
  return {
    salt_unwrap: await refusal(async () => E.unwrapContentKey(await E.readHeader(flipped(60)), key)),
    salt_open: await refusal(() => openAll(flipped(60))),
    other_entry_open: await refusal(() => openAll(flipped(115 + 112 + 80))),
    segment_open: await refusal(() => openAll(flipped(segment2))),
    segment_signature: await refusal(async () => E.verifySignature(await E.inspect(flipped(segment2)), binding, unb64(signature), unb64(signer))),
    other_binding: await refusal(async () => E.verifySignature(await E.inspect(data), {...binding, bidVersion: 4}, unb64(signature), unb64(signer))),
    swapped_open: await refusal(() => openAll(swapped)),
    truncated_inspect: await refusal(() => E.inspect(data.subarray(0, data.length - 10))),
    truncated_open: await refusal(() => openAll(data.subarray(0, data.length - 10))),
    cut_at_segment_open: await refusal(() => openAll(data.subarray(0, headerLength + 1040))),
    header_only_inspect: await refusal(() => E.inspect(data.subarray(0, 100))),
    extra_inspect: await refusal(() => E.inspect(extra)),
    extra_open: await refusal(() => openAll(extra)),
    magic_inspect: await refusal(() => E.inspect(flipped(0))),
    version_inspect: await refusal(() => E.inspect(version2)),
    low_order_unwrap: await refusal(async () => E.unwrapContentKey(await E.readHeader(lowOrder), key)),
    stranger_unwrap: await refusal(async () => E.unwrapContentKey(await E.readHeader(data), unb64(stranger))),
    wrong_key_open: await refusal(() => openAll(data, new Uint8Array(32))),
    intact: await refusal(() => openAll(data)),
  };
}"""


async def test_the_browser_refuses_a_tampered_envelope_naming_what_is_wrong(page: Any, live_server: LiveServer) -> None:
    sealed = seal(BINDING, FIELDS, [PayloadFile.from_bytes("bid.pdf", pattern(4000))], [BIDDER.public_key(), OPENER.public_key()],
                  signer=SIGNER, segment_size=1024)
    data = sealed.to_bytes()
    await harness(page, live_server)
    result = await page.evaluate(REFUSALS_JS, {
        "envelope": b64(data), "bidder": b64(BIDDER.private_bytes_raw()), "stranger": b64(STRANGER.private_bytes_raw()),
        "signer": b64(SIGNER.public_key().public_bytes_raw()), "signature": b64(sealed.signature), "binding": JS_BINDING,
    })
    expected = {
        "salt_unwrap": ("KeyUnwrapFailed", "header.recipients[0]"),
        "salt_open": ("ContentKeyMismatch", "content_key"),
        "other_entry_open": ("SegmentAuthenticationFailed", "segment[0]"),  # any header byte: every segment's AAD changes
        "segment_open": ("SegmentAuthenticationFailed", "segment[2]"),
        "segment_signature": ("SignatureInvalid", "signature"),
        "other_binding": ("BindingMismatch", "header.binding"),
        "swapped_open": ("SegmentAuthenticationFailed", "segment[0]"),
        "truncated_inspect": ("TruncatedEnvelope", "segments"),
        "truncated_open": ("TruncatedEnvelope", "segment[4]"),
        "cut_at_segment_open": ("TruncatedEnvelope", "segment[1]"),
        "header_only_inspect": ("TruncatedEnvelope", "header"),
        "extra_inspect": ("TrailingData", "trailer"),
        "extra_open": ("TrailingData", "trailer"),
        "magic_inspect": ("MalformedEnvelope", "header.magic"),
        "version_inspect": ("UnsupportedVersion", "header.version"),
        "low_order_unwrap": ("KeyUnwrapFailed", "header.recipients[0]"),
        "stranger_unwrap": ("NotARecipient", "header.recipients"),
        "wrong_key_open": ("ContentKeyMismatch", "content_key"),
    }
    assert result.pop("intact") is None
    assert {case: (r["name"], r["field"]) for case, r in result.items()} == expected
    assert all(r["message"] for r in result.values())
    assert "segment 2 of 5 fails authentication" in result["segment_open"]["message"]
    # The Python reader refuses the same bytes with the same error class and field.
    for case, (name, field) in expected.items():
        if case in PYTHON_CASES:
            assert python_refusal(PYTHON_CASES[case], data) == (name, field), case


def _flipped(data: bytes, at: int) -> bytes:
    copy = bytearray(data)
    copy[at] ^= 1
    return bytes(copy)


def _open_all(data: bytes, key: bytes | None = None) -> None:
    key = unwrap_content_key(read_header([data]), BIDDER) if key is None else key
    open_envelope([data], key).read_files()


HEADER_LENGTH = 115 + 2 * 112
PYTHON_CASES: dict[str, Callable[[bytes], object]] = {
    "salt_unwrap": lambda d: unwrap_content_key(read_header([_flipped(d, 60)]), BIDDER),
    "salt_open": lambda d: _open_all(_flipped(d, 60), unwrap_content_key(read_header([d]), BIDDER)),
    "other_entry_open": lambda d: _open_all(_flipped(d, 115 + 112 + 80)),
    "segment_open": lambda d: _open_all(_flipped(d, HEADER_LENGTH + 2 * 1040 + 5)),
    "truncated_inspect": lambda d: inspect_envelope([d[:-10]]),
    "truncated_open": lambda d: _open_all(d[:-10]),
    "cut_at_segment_open": lambda d: _open_all(d[: HEADER_LENGTH + 1040]),
    "header_only_inspect": lambda d: inspect_envelope([d[:100]]),
    "extra_inspect": lambda d: inspect_envelope([d + b"\0"]),
    "extra_open": lambda d: _open_all(d + b"\0"),
    "magic_inspect": lambda d: inspect_envelope([_flipped(d, 0)]),
    "low_order_unwrap": lambda d: unwrap_content_key(read_header([d[: 115 + 32] + bytes(32) + d[115 + 64 :]]), BIDDER),
    "stranger_unwrap": lambda d: unwrap_content_key(read_header([d]), STRANGER),
    "wrong_key_open": lambda d: _open_all(d, bytes(32)),
}


def python_refusal(run: Callable[[bytes], object], data: bytes) -> tuple[str, str | None]:
    with pytest.raises(EnvelopeError) as refused:
        run(data)
    return type(refused.value).__name__, refused.value.field


async def test_key_files_cross_between_the_browser_and_python(
    page: Any, live_server: LiveServer, make_user: Callable[..., Awaitable[UserUnderTest]]
) -> None:
    supplier = await make_user(Role.supplier)
    login = await page.context.request.post(f"{live_server.base_url}/api/auth/login", data={"username": supplier.username, "password": supplier.password})
    token = (await login.json())["token"]
    python_keys = BidderKeys(x25519("python bidder"), ed25519("python bidder"), "Python 写的密钥")
    python_file = write_keyfile(python_keys, "正确的马 battery staple", iterations=100_000)
    to_python = seal(BINDING, FIELDS, [PayloadFile.from_bytes("a.txt", b"for the key file")], [python_keys.x25519.public_key()], signer=SIGNER)
    envelope = to_python.to_bytes()
    await harness(page, live_server)
    result = await page.evaluate(
        """async ({pythonFile, envelope, binding, token}) => {
          // Python's file read in JS: the keys unwrap an envelope sealed to them, and sign.
          const read = await E.readKeyfile(pythonFile, '正确的马 battery staple');
          const data = unb64(envelope);
          const contentKey = await E.unwrapContentKey(await E.readHeader(data), read.x25519);
          const files = await (await E.openEnvelope(data, contentKey)).readFiles();
          const pythonSigned = await E.signEnvelope(new Uint8Array(32), binding, read.ed25519);
          const wrong = await refusal(() => E.readKeyfile(pythonFile, '正确的马 battery stable'));
          const relabelled = await refusal(() => E.readKeyfile(pythonFile.replace('Python 写的密钥', 'Python 写的密钥!'), '正确的马 battery staple'));
          // JS generates keys, registers the public halves, writes a key file (passphrase in NFD), seals to itself.
          const keys = await E.generateBidderKeys('浏览器密钥');
          const registered = [];
          for (const body of E.publicKeyRegistrations(keys)) {
            const response = await fetch('/api/me/keys', {method: 'POST', body: JSON.stringify(body),
              headers: {'Content-Type': 'application/json', Authorization: `Bearer ${token}`}});
            registered.push({status: response.status, ...(await response.json())});
          }
          const jsFile = await E.writeKeyfile(keys, 'Cafe\\u0301 密码 2025', {iterations: 100000});
          const short = await refusal(() => E.writeKeyfile(keys, 'short'));
          const sealed = await E.seal({binding, fields: {price: '1.00'}, files: [{name: 'b.txt', bytes: new TextEncoder().encode('from the browser')}],
                                       recipients: [keys.x25519Public], signer: keys.ed25519, segmentSize: 256});
          const jsEnvelope = new Uint8Array(await new Response(sealed.stream()).arrayBuffer());  // the upload body's form
          return {
            pythonRead: {label: read.label, x: b64(read.x25519Public), ed: b64(read.ed25519Public), file: b64(files.get('a.txt')),
                         signature: b64(pythonSigned)},
            wrong, relabelled, short, registered, jsFile,
            jsPublic: {x: b64(keys.x25519Public), ed: b64(keys.ed25519Public)},
            jsEnvelope: b64(jsEnvelope), jsSignature: b64(sealed.signature),
          };
        }""",
        {"pythonFile": python_file.decode(), "envelope": b64(envelope), "binding": JS_BINDING, "token": token},
    )
    read = result["pythonRead"]
    assert (read["label"], unb64(read["x"]), unb64(read["ed"])) == ("Python 写的密钥", python_keys.x25519_public, python_keys.ed25519_public)
    assert unb64(read["file"]) == b"for the key file"
    python_keys.ed25519.public_key().verify(unb64(read["signature"]), signed_message(bytes(32), BINDING))
    assert result["wrong"]["name"] == result["relabelled"]["name"] == "WrongPassphrase"
    assert result["short"]["name"] == "KeyFileError" and "at least 8 characters" in result["short"]["message"]

    js_keys = read_keyfile(result["jsFile"].encode(), "Café 密码 2025")  # NFC here, NFD in the page: the same key
    assert js_keys.label == "浏览器密钥"
    assert (b64(js_keys.x25519_public), b64(js_keys.ed25519_public)) == (result["jsPublic"]["x"], result["jsPublic"]["ed"])
    assert json.loads(result["jsFile"])["iterations"] == 100_000
    js_envelope = unb64(result["jsEnvelope"])
    info = inspect_envelope([js_envelope])
    verify_signature(info, BINDING, unb64(result["jsSignature"]), js_keys.ed25519.public_key())
    assert open_envelope([js_envelope], unwrap_content_key(info.header, js_keys.x25519)).read_files() == {"b.txt": b"from the browser"}

    registered = {r["algorithm"]: r for r in result["registered"]}
    assert [r["status"] for r in result["registered"]] == [201, 201]
    assert registered["x25519"]["fingerprint"] == hashlib.sha256(js_keys.x25519_public).hexdigest() == info.recipient_key_ids[0].hex()
    assert registered["ed25519"]["public_key"] == result["jsPublic"]["ed"]


def _manifest_payload(manifest: bytes, files: bytes = b"") -> bytes:
    return len(manifest).to_bytes(4, "big") + manifest + files


ONE_FILE = json.dumps({"fields": {"price": "1"}, "files": [{"name": "a", "size": 3, "digest": "00" * 32}]}).encode()
BAD_PAYLOADS = {
    "empty payload": b"",
    "manifest longer than payload": b"\x00\x00\x00\x10{}",
    "not json": _manifest_payload(b"{not json"),
    "not utf-8": _manifest_payload(b'{"fields":{"price":"1","\xff":1},"files":[]}'),
    "byte order mark": _manifest_payload(b'\xef\xbb\xbf{"fields":{"price":"1"},"files":[]}'),
    "extra key": _manifest_payload(b'{"fields":{"price":"1"},"files":[],"x":1}'),
    "duplicate key": _manifest_payload(b'{"fields":{"price":"1","price":"2"},"files":[]}'),
    "duplicate key, escaped": _manifest_payload(b'{"fields":{"price":"1","pr\\u0069ce":"2"},"files":[]}'),
    "duplicate key, nested": _manifest_payload(b'{"fields":{"price":"1","x":[{"a":1,"b":{"a":2},"a":3}]},"files":[]}'),
    "numeric price": _manifest_payload(b'{"fields":{"price":1},"files":[]}'),
    "NaN": _manifest_payload(b'{"fields":{"price":"1","n":NaN},"files":[]}'),
    "file name with a slash": _manifest_payload(json.dumps({"fields": {"price": "1"}, "files": [{"name": "a/b", "size": 0, "digest": "00" * 32}]}).encode()),
    "sizes do not add up": _manifest_payload(ONE_FILE, b"abcd"),
    "digest mismatch": _manifest_payload(ONE_FILE, b"abc"),
}


async def test_the_browser_refuses_badly_sealed_payloads_as_python_does(page: Any, live_server: LiveServer) -> None:
    """Envelopes whose framing and segments are sound but whose content breaks §5: the bidder's fault."""
    envelopes = {name: seal_payload(BINDING, [payload], len(payload), [BIDDER.public_key()], segment_size=256).to_bytes()
                 for name, payload in BAD_PAYLOADS.items()}
    await harness(page, live_server)
    result = await page.evaluate(
        """async ({envelopes, bidder}) => {
          const out = {};
          for (const [name, envelope] of Object.entries(envelopes)) {
            const data = unb64(envelope);
            await E.inspect(data);  // the framing is sound
            const key = await E.unwrapContentKey(await E.readHeader(data), unb64(bidder));
            out[name] = await refusal(async () => (await E.openEnvelope(data, key)).readFiles());
          }
          return out;
        }""",
        {"envelopes": {name: b64(data) for name, data in envelopes.items()}, "bidder": b64(BIDDER.private_bytes_raw())},
    )
    for name, data in envelopes.items():
        assert result[name] is not None, name
        assert (result[name]["name"], result[name]["field"]) == python_refusal(_open_all, data), name


async def test_the_browser_refuses_to_seal_what_python_refuses(page: Any, live_server: LiveServer) -> None:
    await harness(page, live_server)
    result = await page.evaluate(
        """async ({binding, bidder, opener}) => {
          const recipients = [unb64(bidder)];
          const file = (name, text = '') => ({name, bytes: new TextEncoder().encode(text)});
          const attempt = (options) => refusal(() => E.seal({binding, fields: {price: '1'}, files: [], recipients, ...options}));
          return {
            price_number: await attempt({fields: {price: 1}}),
            price_places: await attempt({fields: {price: '12.505'}}),
            nan: await attempt({fields: {price: '1', x: NaN}}),
            long_field_name: await attempt({fields: {price: '1', ['字'.repeat(65)]: 1}}),
            path_name: await attempt({files: [file('../etc/passwd')]}),
            twice: await attempt({files: [file('a'), file('a')]}),
            unnamed_blob: await attempt({files: [new Blob(['x'])]}),
            segment_size: await attempt({segmentSize: 255}),
            no_recipient: await attempt({recipients: []}),
            same_recipient: await attempt({recipients: [unb64(bidder), unb64(bidder)]}),
            lot_zero: await attempt({binding: {...binding, lotNumber: 0}}),
            ok: await attempt({recipients: [unb64(bidder), unb64(opener)], files: [file('a', 'x')]}),
          };
        }""",
        {"binding": JS_BINDING, "bidder": b64(raw_public(BIDDER)), "opener": b64(raw_public(OPENER))},
    )
    assert result.pop("ok") is None
    assert {case: (r["name"], r["field"]) for case, r in result.items()} == {
        "price_number": ("PayloadError", "payload.manifest.fields.price"),
        "price_places": ("PayloadError", "payload.manifest.fields.price"),
        "nan": ("PayloadError", "payload.manifest.fields"),
        "long_field_name": ("PayloadError", "payload.manifest.fields"),
        "path_name": ("PayloadError", "payload.manifest.files[0].name"),
        "twice": ("PayloadError", "payload.manifest.files[1].name"),
        "unnamed_blob": ("PayloadError", "payload.manifest.files[0].name"),
        "segment_size": ("MalformedEnvelope", "header.segment_size"),
        "no_recipient": ("MalformedEnvelope", "header.recipients"),
        "same_recipient": ("MalformedEnvelope", "header.recipients"),
        "lot_zero": ("MalformedEnvelope", "header.lot_number"),
    }
