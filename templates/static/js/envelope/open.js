// Reading envelopes: inspect (structure and digest, no key: what the platform checks on
// upload), readHeader (enough to unwrap a key), openEnvelope (decrypt with the content key).
// No plaintext of a segment is produced before its tag verifies, but only the end of the
// stream proves nothing was cut off: what files() yields is provisional until it ends.

import { readU32, toHex } from "./bytes.js";
import { ChainDigest, ENVELOPE_CONTEXT, FILE_CONTEXT } from "./digest.js";
import { ContentKeyMismatch, PayloadError, SegmentAuthenticationFailed, TrailingData, TruncatedEnvelope } from "./errors.js";
import { PRELUDE_SIZE, TAG_SIZE, checkMagic, parseHeader, parsePrelude, segmentNonce } from "./format.js";
import { aesKey, checkContentKey, payloadKeyAndNoncePrefix } from "./keys.js";
import { MANIFEST_LENGTH_SIZE, MAX_MANIFEST_SIZE, decodeManifest } from "./payload.js";
import { ChunkReader, chunksOf } from "./stream.js";

const FILE_PIECE = 64 * 1024;

async function readHeaderFrom(reader) {
  const prelude = await reader.read(PRELUDE_SIZE, "the header prelude", "header");
  const length = parsePrelude(prelude);
  const rest = await reader.read(length - PRELUDE_SIZE, "the header", "header");
  const raw = new Uint8Array(length);
  raw.set(prelude);
  raw.set(rest, PRELUDE_SIZE);
  return parseHeader(raw);
}

// Just the header, reading no further (pass a File to read only its first bytes).
export function readHeader(source) {
  return readHeaderFrom(new ChunkReader(source));
}

// The whole envelope without a key → {header, length, digest}. Refuses as early as the bytes
// allow: wrong magic in the first 8 bytes, an announced length over maxLength, a byte too many.
export async function inspect(source, { maxLength = null } = {}) {
  const digest = new ChainDigest(ENVELOPE_CONTEXT);
  let buffered = [];
  let length = 0;
  let header = null;
  let announced = null;
  for await (const chunk of chunksOf(source)) {
    if (header && length + chunk.length > header.envelopeLength) {
      throw new TrailingData(`the envelope is longer than the ${header.envelopeLength} bytes its header announces`, "trailer");
    }
    await digest.update(chunk);
    length += chunk.length;
    if (header) continue;
    buffered.push(chunk);
    const start = joined(buffered, Math.min(length, announced ?? PRELUDE_SIZE));
    if (announced === null && length >= PRELUDE_SIZE) announced = parsePrelude(start);
    else if (announced === null && length >= 8) checkMagic(start);
    if (announced !== null && length >= announced) {
      header = parseHeader(joined(buffered, announced));
      buffered = [];
      if (maxLength !== null && header.envelopeLength > maxLength) {
        throw new TrailingData(`the envelope announces ${header.envelopeLength} bytes; at most ${maxLength} are accepted`, "header.payload_length");
      }
      if (length > header.envelopeLength) {
        throw new TrailingData(`the envelope is longer than the ${header.envelopeLength} bytes its header announces`, "trailer");
      }
    }
  }
  if (!header) throw new TruncatedEnvelope(`the stream ends after ${length} bytes, inside the header`, "header");
  if (length !== header.envelopeLength) {
    throw new TruncatedEnvelope(`the envelope has ${length} bytes; its header announces ${header.envelopeLength} (${header.segmentCount} segments)`, "segments");
  }
  return { header, length, digest: await digest.digest() };
}

function joined(chunks, n) {
  const out = new Uint8Array(n);
  let at = 0;
  for (const chunk of chunks) {
    if (at >= n) break;
    const take = chunk.subarray(0, n - at);
    out.set(take, at);
    at += take.length;
  }
  return out;
}

async function* decryptSegments(header, contentKey, reader) {
  const [payloadKeyRaw, prefix] = await payloadKeyAndNoncePrefix(contentKey, header.payloadSalt);
  const key = await aesKey(payloadKeyRaw, "decrypt");
  const additionalData = await header.digest();
  const count = header.segmentCount;
  for (let index = 0; index < count; index++) {
    const sealed = await reader.read(header.segmentPlaintextLength(index) + TAG_SIZE, `segment ${index} of ${count}`, `segment[${index}]`);
    const iv = segmentNonce(prefix, index, index === count - 1);
    let plain;
    try {
      plain = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData }, key, sealed));
    } catch {
      throw new SegmentAuthenticationFailed(`segment ${index} of ${count} fails authentication: altered, moved, or from another envelope`, `segment[${index}]`);
    }
    yield plain;
  }
  await reader.expectEnd(`segment ${count - 1}, the last`);
}

export class OpenedEnvelope {
  constructor(header, manifest, payload, envelope) {
    this.header = header;
    this.manifest = manifest; // {fields, files: [{name, size, digest (hex)}], filesLength}
    this._payload = payload;
    this._envelope = envelope;
    this._started = false;
    this.complete = false;
  }

  // The envelope digest, once files() has run to the end.
  digest() {
    if (!this.complete) throw new Error("the envelope digest is known once every file has been read");
    return this._envelope.digest();
  }

  // Yields [entry, async iterator of the file's bytes]; a file left unread is still decrypted
  // and checked when the next is asked for. The end checks that the stream ends exactly.
  async* files() {
    if (this._started) throw new Error("the files of an envelope can be read once");
    this._started = true;
    for (const [index, entry] of this.manifest.files.entries()) {
      const data = this._fileChunks(index, entry);
      yield [entry, data];
      for await (const _ of data); // eslint-disable-line no-unused-vars
    }
    await this._payload.expectEnd("the last file");
    this.complete = true;
  }

  async* _fileChunks(index, entry) {
    const digest = new ChainDigest(FILE_CONTEXT);
    let remaining = entry.size;
    const field = `payload.files[${index}]`;
    while (remaining) {
      const piece = await this._payload.readSome(Math.min(remaining, FILE_PIECE), `file ${JSON.stringify(entry.name)}`, field);
      remaining -= piece.length;
      await digest.update(piece);
      if (!remaining && toHex(await digest.digest()) !== entry.digest) {
        throw new PayloadError(`file ${JSON.stringify(entry.name)} does not have the digest its manifest lists`, field);
      }
      yield piece;
    }
    if (!entry.size && toHex(await digest.digest()) !== entry.digest) {
      throw new PayloadError(`file ${JSON.stringify(entry.name)} does not have the digest its manifest lists`, field);
    }
  }

  // Every file in memory, after the whole envelope verified: for small bids and tests.
  async readFiles() {
    const out = new Map();
    for await (const [entry, data] of this.files()) {
      const parts = [];
      for await (const piece of data) parts.push(piece.slice());
      out.set(entry.name, new Uint8Array(await new Blob(parts).arrayBuffer()));
    }
    return out;
  }
}

// Checks the key against the commitment, then decrypts as far as the end of the manifest.
export async function openEnvelope(source, contentKey) {
  const envelope = new ChunkReader(source, { digestConsumed: true });
  const header = await readHeaderFrom(envelope);
  if (!(await checkContentKey(header, contentKey))) {
    throw new ContentKeyMismatch("this content key does not match the envelope's key commitment", "content_key");
  }
  // Segments authenticate before the payload reader sees them, so running short here is the sealer's doing.
  const payload = new ChunkReader(decryptSegments(header, contentKey, envelope), { short: PayloadError });
  const size = readU32(await payload.read(MANIFEST_LENGTH_SIZE, "the manifest length", "payload"), 0);
  if (size > Math.min(MAX_MANIFEST_SIZE, header.payloadLength - MANIFEST_LENGTH_SIZE)) {
    throw new PayloadError(`the manifest length ${size} exceeds the payload or the ${MAX_MANIFEST_SIZE}-byte limit`, "payload.manifest");
  }
  const manifest = decodeManifest(await payload.read(size, "the manifest", "payload.manifest"));
  if (MANIFEST_LENGTH_SIZE + size + manifest.filesLength !== header.payloadLength) {
    throw new PayloadError(`the manifest lists ${manifest.filesLength} bytes of files; the payload holds ${header.payloadLength - MANIFEST_LENGTH_SIZE - size}`,
      "payload.manifest.files");
  }
  return new OpenedEnvelope(header, manifest, payload, envelope);
}
