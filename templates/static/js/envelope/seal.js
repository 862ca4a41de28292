// Sealing (§2–5): the envelope as a stream of chunks (the header, then one per segment),
// with the digest and signature known once the last chunk has been read. Files are read
// twice in Blob slices: once to measure their digests for the manifest, once to encrypt.

import { concat, toHex, u32 } from "./bytes.js";
import { ChainDigest, ENVELOPE_CONTEXT, FILE_CONTEXT } from "./digest.js";
import { MalformedEnvelope, PayloadError } from "./errors.js";
import {
  DEFAULT_SEGMENT_SIZE, KEY_SIZE, MAX_RECIPIENTS, SALT_SIZE, checkPayloadLength, checkSegmentSize, encodeFixedHeader, parseHeader,
  segmentNonce,
} from "./format.js";
import { aesKey, keyCommitment, payloadKeyAndNoncePrefix, randomBytes, recipientKeyId, wrapContentKey } from "./keys.js";
import { MANIFEST_LENGTH_SIZE, READ_SIZE, encodeManifest, measure, payloadSource } from "./payload.js";
import { signEnvelope } from "./signature.js";

export class SealedEnvelope {
  constructor(header, segments, signer) {
    this.header = header; // parsed, with .bytes; known before the first chunk
    this.length = header.envelopeLength; // known in advance: an upload can announce it
    this._segments = segments;
    this._signer = signer;
    this._started = false;
    this.digest = null; // set once the last chunk has been read
    this.signature = null; // likewise, when a signer was given
  }

  // The chunks, once: Uint8Array of the header, then of each segment.
  async* chunks() {
    if (this._started) throw new Error("a sealed envelope can be read once");
    this._started = true;
    const digest = new ChainDigest(ENVELOPE_CONTEXT);
    for await (const chunk of this._segments) {
      await digest.update(chunk);
      yield chunk;
    }
    this.digest = await digest.digest();
    if (this._signer) this.signature = await signEnvelope(this.digest, this.header.binding, this._signer);
  }

  // The same chunks as a ReadableStream (e.g. for a streaming fetch body over HTTP/2).
  stream() {
    const chunks = this.chunks();
    return new ReadableStream({
      async pull(controller) {
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel() { chunks.return(); },
    });
  }

  // The whole envelope as a Blob (Chromium keeps large Blobs on disk, not in the page's memory).
  async toBlob() {
    const parts = [];
    for await (const chunk of this.chunks()) parts.push(chunk);
    return new Blob(parts, { type: "application/octet-stream" });
  }
}

// binding {tenderId, lotNumber, organisationId, bidVersion}; fields with a string `price`;
// files [File | Blob with name | {name, bytes}]; recipients [raw 32-byte X25519 public keys];
// signer: Ed25519 private CryptoKey or raw seed (optional); onProgress({phase, done, total});
// rng(n) → Uint8Array, only for test vectors (draws: content key, salt, one ephemeral per recipient).
export async function seal({ binding, fields, files, recipients, signer = null, segmentSize = DEFAULT_SEGMENT_SIZE,
  onProgress = () => {}, rng = randomBytes }) {
  const sources = files.map(payloadSource);
  const total = sources.reduce((n, s) => n + s.size, 0);
  let measured = 0;
  const entries = [];
  for (const source of sources) {
    onProgress({ phase: "measure", done: measured, total });
    const digest = await measure(source, (n) => { measured += n; });
    entries.push({ name: source.name, size: source.size, digest });
  }
  onProgress({ phase: "measure", done: measured, total });
  const manifest = encodeManifest(fields, entries);
  const payloadLength = MANIFEST_LENGTH_SIZE + manifest.length + total;
  return sealPayload({ binding, prelude: concat(u32(manifest.length), manifest), sources, entries, payloadLength, recipients,
    signer, segmentSize, onProgress, rng });
}

async function sealPayload({ binding, prelude, sources, entries, payloadLength, recipients, signer, segmentSize, onProgress, rng }) {
  checkSegmentSize(segmentSize);
  checkPayloadLength(payloadLength, segmentSize);
  if (recipients.length < 1 || recipients.length > MAX_RECIPIENTS) {
    throw new MalformedEnvelope(`an envelope has 1 to ${MAX_RECIPIENTS} recipients, not ${recipients.length}`, "header.recipients");
  }
  const keyIds = await Promise.all(recipients.map(async (r) => toHex(await recipientKeyId(r))));
  if (new Set(keyIds).size !== recipients.length) throw new MalformedEnvelope("the same recipient key is listed twice", "header.recipients");
  // Draw order is part of the test vectors: content key, payload salt, one ephemeral key per recipient.
  const contentKey = rng(KEY_SIZE);
  const payloadSalt = rng(SALT_SIZE);
  const commitment = await keyCommitment(contentKey, payloadSalt);
  const fixed = encodeFixedHeader({ binding, segmentSize, payloadLength, payloadSalt, keyCommitment: commitment, recipientCount: recipients.length });
  const wrapped = [];
  for (const recipient of recipients) wrapped.push(await wrapContentKey(contentKey, fixed, recipient, rng));
  const header = parseHeader(concat(fixed, ...wrapped.flatMap((e) => [e.keyId, e.ephemeralPublicKey, e.wrappedKey])));
  const plaintext = payloadPieces(prelude, sources, entries);
  return new SealedEnvelope(header, segments(header, contentKey, plaintext, onProgress), signer);
}

// The plaintext as pieces, re-checking each file against the digest in the manifest: a file
// changed between measuring and sealing must not yield an envelope that fails at the opening.
async function* payloadPieces(prelude, sources, entries) {
  yield prelude;
  for (const [index, source] of sources.entries()) {
    const digest = new ChainDigest(FILE_CONTEXT);
    try {
      for (let at = 0; at < source.size; at += READ_SIZE) {
        const piece = await source.read(at, Math.min(at + READ_SIZE, source.size));
        await digest.update(piece);
        yield piece;
      }
    } catch (error) {
      if (error instanceof PayloadError) throw error;
      throw new PayloadError(`file ${JSON.stringify(source.name)} can no longer be read (${error.name}): was it changed?`, `payload.files[${index}]`);
    }
    if (digest.length !== source.size || toHex(await digest.digest()) !== toHex(entries[index].digest)) {
      throw new PayloadError(`file ${JSON.stringify(source.name)} changed after it was measured`, `payload.files[${index}]`);
    }
  }
}

async function* segments(header, contentKey, plaintext, onProgress) {
  yield header.bytes;
  const [payloadKeyRaw, prefix] = await payloadKeyAndNoncePrefix(contentKey, header.payloadSalt);
  const key = await aesKey(payloadKeyRaw, "encrypt");
  const additionalData = await header.digest();
  const count = header.segmentCount;
  const buffer = new Uint8Array(header.segmentSize);
  let carry = new Uint8Array(0);
  let done = 0;
  for (let index = 0; index < count; index++) {
    // Gather exactly this segment's plaintext from pieces of any size.
    const need = header.segmentPlaintextLength(index);
    let fill = 0;
    while (fill < need) {
      if (!carry.length) {
        const next = await plaintext.next();
        if (next.done) throw new PayloadError(`the payload ends ${need - fill} bytes into segment ${index}`, "payload");
        carry = next.value;
      }
      const take = Math.min(carry.length, need - fill);
      buffer.set(carry.subarray(0, take), fill);
      carry = carry.subarray(take);
      fill += take;
    }
    const last = index === count - 1;
    if (last) {
      // Drains the generator, which also runs the last file's re-check.
      for (let next = await plaintext.next(); !next.done; next = await plaintext.next()) {
        if (next.value.length) throw new PayloadError("the payload is longer than announced", "payload");
      }
      if (carry.length) throw new PayloadError("the payload is longer than announced", "payload");
    }
    const iv = segmentNonce(prefix, index, last);
    yield new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, buffer.subarray(0, need)));
    done += need;
    onProgress({ phase: "seal", done, total: header.payloadLength });
  }
}
