// Byte helpers shared by the envelope modules: big-endian integers, hex, base64, UTF-8.
// Integers stay below 2^53 (docs/envelope.md §1), so plain Numbers are exact everywhere.

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function u8(value) {
  return Uint8Array.of(value);
}

export function u16(value) {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, value);
  return out;
}

export function u32(value) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

export function u64(value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

function view(bytes) {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function readU16(bytes, at) {
  return view(bytes).getUint16(at);
}

export function readU32(bytes, at) {
  return view(bytes).getUint32(at);
}

// Returns Infinity above 2^53 - 1 so range checks refuse it instead of rounding it.
export function readU64(bytes, at) {
  const value = view(bytes).getBigUint64(at);
  return value > BigInt(MAX_SAFE) ? Infinity : Number(value);
}

export function equal(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text) {
  if (text.length % 2 || /[^0-9a-fA-F]/.test(text)) throw new TypeError("not hex");
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// Standard base64 with padding, as btoa and Python's base64.b64encode write it.
export function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

// Strict like Python's b64decode(validate=True): no whitespace, correct padding.
export function fromBase64(text) {
  if (typeof text !== "string" || text.length % 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new TypeError("not base64");
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export function base64url(bytes) {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(text) {
  const std = text.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(std + "=".repeat((4 - (std.length % 4)) % 4));
}

export const utf8 = (text) => new TextEncoder().encode(text);

export const ascii = utf8;

// Fatal on invalid UTF-8, and a BOM is kept (then refused by JSON.parse) as Python's json does.
export function decodeUtf8(bytes) {
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
}
