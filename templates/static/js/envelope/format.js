// The envelope's bytes (docs/envelope.md §3–4): constants, binding, header encoding and
// parsing, segment geometry and nonces. Mirrors bidding/envelope/format.py check for check.

import { MAX_SAFE, ascii, concat, equal, readU16, readU32, readU64, toHex, u16, u32, u64, u8 } from "./bytes.js";
import { sha256 } from "./digest.js";
import { MalformedEnvelope, UnsupportedVersion } from "./errors.js";

export const MAGIC = ascii("PROCBID\0");
export const VERSION = 1;
export const KEY_SIZE = 32;
export const TAG_SIZE = 16;
export const SALT_SIZE = 32;
export const NONCE_PREFIX_SIZE = 7;
export const DEFAULT_SEGMENT_SIZE = 64 * 1024;
export const MIN_SEGMENT_SIZE = 256;
export const MAX_SEGMENT_SIZE = 16 * 1024 * 1024;
export const MAX_RECIPIENTS = 16;
export const MAX_SEGMENTS = 2 ** 32;
export const PRELUDE_SIZE = 14; // magic, version, header_length
export const FIXED_HEADER_SIZE = 115;
export const RECIPIENT_SIZE = 112;
export const MAX_HEADER_SIZE = FIXED_HEADER_SIZE + MAX_RECIPIENTS * RECIPIENT_SIZE;
const U32_MAX = 2 ** 32 - 1;

// {tenderId, lotNumber, organisationId, bidVersion}: the 24 bytes at offset 14 and in the signed message.
const BINDING_FIELDS = [
  ["tenderId", "tender_id", MAX_SAFE],
  ["lotNumber", "lot_number", U32_MAX],
  ["organisationId", "organisation_id", MAX_SAFE],
  ["bidVersion", "bid_version", U32_MAX],
];

export function checkBinding(binding) {
  for (const [name, wire, upper] of BINDING_FIELDS) {
    const value = binding?.[name];
    if (!Number.isInteger(value) || value < 1 || value > upper) {
      throw new MalformedEnvelope(`${wire} must be an integer from 1 to ${upper}, not ${value}`, `header.${wire}`);
    }
  }
  return binding;
}

export function encodeBinding(binding) {
  checkBinding(binding);
  return concat(u64(binding.tenderId), u32(binding.lotNumber), u64(binding.organisationId), u32(binding.bidVersion));
}

export function decodeBinding(raw) {
  return checkBinding({ tenderId: readU64(raw, 0), lotNumber: readU32(raw, 8), organisationId: readU64(raw, 12), bidVersion: readU32(raw, 20) });
}

export function sameBinding(a, b) {
  return BINDING_FIELDS.every(([name]) => a[name] === b[name]);
}

export const headerLength = (recipientCount) => FIXED_HEADER_SIZE + RECIPIENT_SIZE * recipientCount;

// Every segment is full but the last, which is never empty unless the payload is.
export const segmentCount = (payloadLength, segmentSize) => Math.max(1, Math.ceil(payloadLength / segmentSize));

export function checkSegmentSize(size) {
  if (!Number.isInteger(size) || size < MIN_SEGMENT_SIZE || size > MAX_SEGMENT_SIZE) {
    throw new MalformedEnvelope(`segment_size must be from ${MIN_SEGMENT_SIZE} to ${MAX_SEGMENT_SIZE} bytes, not ${size}`, "header.segment_size");
  }
}

export function checkPayloadLength(length, segmentSize) {
  if (!Number.isInteger(length) || length < 0 || length > MAX_SAFE) {
    throw new MalformedEnvelope(`payload_length must be from 0 to ${MAX_SAFE}, not ${length}`, "header.payload_length");
  }
  if (segmentCount(length, segmentSize) > MAX_SEGMENTS) {
    throw new MalformedEnvelope(`payload_length ${length} needs more than ${MAX_SEGMENTS} segments of ${segmentSize} bytes`, "header.payload_length");
  }
}

export function encodeFixedHeader({ binding, segmentSize, payloadLength, payloadSalt, keyCommitment, recipientCount }) {
  return concat(MAGIC, u16(VERSION), u32(headerLength(recipientCount)), encodeBinding(binding), u32(segmentSize), u64(payloadLength),
    payloadSalt, keyCommitment, u8(recipientCount));
}

// A parsed header keeps its exact bytes: they are hashed (segment AAD, wrap salt), never re-encoded.
export class EnvelopeHeader {
  constructor(bytes, fields) {
    this.bytes = bytes;
    Object.assign(this, fields); // binding, segmentSize, payloadLength, payloadSalt, keyCommitment, recipients
  }

  get length() { return this.bytes.length; }
  get fixedBytes() { return this.bytes.subarray(0, FIXED_HEADER_SIZE); }
  get segmentCount() { return segmentCount(this.payloadLength, this.segmentSize); }
  get envelopeLength() { return this.length + this.payloadLength + TAG_SIZE * this.segmentCount; }
  get recipientKeyIds() { return this.recipients.map((r) => toHex(r.keyId)); }

  // SHA-256 of the whole header: the associated data of every segment.
  digest() { return sha256(this.bytes); }

  segmentPlaintextLength(index) {
    return index < this.segmentCount - 1 ? this.segmentSize : this.payloadLength - this.segmentSize * (this.segmentCount - 1);
  }
}

// Magic and version from the first 14 bytes; returns the announced header length.
export function parsePrelude(raw) {
  checkMagic(raw);
  const version = readU16(raw, 8);
  if (version !== VERSION) {
    throw new UnsupportedVersion(`envelope format version ${version} is not supported (this reader knows ${VERSION})`, "header.version");
  }
  const length = readU32(raw, 10);
  if (length < headerLength(1) || length > MAX_HEADER_SIZE || (length - FIXED_HEADER_SIZE) % RECIPIENT_SIZE) {
    throw new MalformedEnvelope(`header_length ${length} is not ${FIXED_HEADER_SIZE} + ${RECIPIENT_SIZE} x (1 to ${MAX_RECIPIENTS} recipients)`, "header.header_length");
  }
  return length;
}

export function checkMagic(raw) {
  if (!equal(raw.subarray(0, MAGIC.length), MAGIC)) {
    throw new MalformedEnvelope("not a sealed-bid envelope: the first 8 bytes are not the magic 'PROCBID\\0'", "header.magic");
  }
}

// Parses and checks a complete header (`raw` is exactly its bytes).
export function parseHeader(raw) {
  if (raw.length < PRELUDE_SIZE) throw new MalformedEnvelope("the header is shorter than its 14-byte prelude", "header");
  const length = parsePrelude(raw);
  if (raw.length !== length) throw new MalformedEnvelope(`the header has ${raw.length} bytes but announces ${length}`, "header.header_length");
  const count = raw[114];
  if (length !== headerLength(count)) {
    throw new MalformedEnvelope(`header_length ${length} does not match recipient_count ${count} (expects ${headerLength(count)})`, "header.recipient_count");
  }
  const segmentSize = readU32(raw, 38);
  const payloadLength = readU64(raw, 42);
  checkSegmentSize(segmentSize);
  checkPayloadLength(payloadLength, segmentSize);
  const recipients = [];
  for (let i = 0; i < count; i++) {
    const at = FIXED_HEADER_SIZE + i * RECIPIENT_SIZE;
    recipients.push({ keyId: raw.slice(at, at + 32), ephemeralPublicKey: raw.slice(at + 32, at + 64), wrappedKey: raw.slice(at + 64, at + 112) });
  }
  if (new Set(recipients.map((r) => toHex(r.keyId))).size !== count) {
    throw new MalformedEnvelope("two recipient entries have the same key id", "header.recipients");
  }
  const binding = decodeBinding(raw.subarray(14, 38));
  return new EnvelopeHeader(raw.slice(), {
    binding, segmentSize, payloadLength, payloadSalt: raw.slice(50, 82), keyCommitment: raw.slice(82, 114), recipients,
  });
}

// STREAM nonce: a moved segment has the wrong counter, a cut-off stream lacks the last flag.
export function segmentNonce(prefix, index, last) {
  return concat(prefix, u32(index), u8(last ? 1 : 0));
}
