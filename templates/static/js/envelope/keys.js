// Keys: HKDF derivations, wrapping the content key to each recipient (§3.3), the key
// commitment (§3.4), and moving X25519/Ed25519 keys in and out of WebCrypto.

import { ascii, concat, equal, fromBase64url, fromHex, toBase64, toHex } from "./bytes.js";
import { sha256 } from "./digest.js";
import { ContentKeyMismatch, KeyUnwrapFailed, NotARecipient } from "./errors.js";
import { KEY_SIZE, NONCE_PREFIX_SIZE } from "./format.js";

const subtle = crypto.subtle;
export const LABEL = ascii("procurement-bid-envelope/v1 ");
const WRAP_INFO = concat(LABEL, ascii("wrap"));
const COMMIT_INFO = concat(LABEL, ascii("key commitment"));
const PAYLOAD_KEY_INFO = concat(LABEL, ascii("payload key"));
const NONCE_PREFIX_INFO = concat(LABEL, ascii("nonce prefix"));
const WRAP_NONCE = new Uint8Array(12); // each wrap key encrypts one message: its ephemeral key is fresh

// WebCrypto imports raw private keys only as PKCS#8 (this fixed prefix ‖ the 32 bytes) or JWK.
const PKCS8_PREFIX = {
  X25519: fromHex("302e020100300506032b656e04220420"),
  Ed25519: fromHex("302e020100300506032b657004220420"),
};
// X25519(k, 9) is k's public key: deriving against the base point gives the public half
// even of a non-extractable private key, which exportKey cannot.
const BASE_POINT = concat(Uint8Array.of(9), new Uint8Array(31));

export const randomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

export async function hkdf(ikm, salt, info, length) {
  const key = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, key, 8 * length));
}

export const keyCommitment = (contentKey, salt) => hkdf(contentKey, salt, COMMIT_INFO, 32);

export async function payloadKeyAndNoncePrefix(contentKey, salt) {
  return [await hkdf(contentKey, salt, PAYLOAD_KEY_INFO, KEY_SIZE), await hkdf(contentKey, salt, NONCE_PREFIX_INFO, NONCE_PREFIX_SIZE)];
}

export async function aesKey(raw, usage) {
  return subtle.importKey("raw", raw, "AES-GCM", false, [usage]);
}

// SHA-256 of the raw public key: the fingerprint the platform stores on registration.
export const recipientKeyId = (publicRaw) => sha256(publicRaw);

export function importPrivateKey(algorithm, raw, extractable = false) {
  const usages = algorithm === "X25519" ? ["deriveBits"] : ["sign"];
  return subtle.importKey("pkcs8", concat(PKCS8_PREFIX[algorithm], raw), { name: algorithm }, extractable, usages);
}

export function importPublicKey(algorithm, raw) {
  return subtle.importKey("raw", raw, { name: algorithm }, true, algorithm === "X25519" ? [] : ["verify"]);
}

export async function exportPublicKey(publicKey) {
  return new Uint8Array(await subtle.exportKey("raw", publicKey));
}

// The raw 32-byte private key (X25519 scalar or Ed25519 seed) of an extractable CryptoKey.
export async function exportPrivateKey(privateKey) {
  return fromBase64url((await subtle.exportKey("jwk", privateKey)).d);
}

export async function x25519(privateKey, publicRaw) {
  const publicKey = await importPublicKey("X25519", publicRaw);
  return new Uint8Array(await subtle.deriveBits({ name: "X25519", public: publicKey }, privateKey, 256));
}

export const x25519PublicOf = (privateKey) => x25519(privateKey, BASE_POINT);

// An Ed25519 private key's public half, from an extractable key (JWK export carries x).
export async function ed25519PublicOf(privateKey) {
  return fromBase64url((await subtle.exportKey("jwk", privateKey)).x);
}

// The salt binds the wrap to this envelope's fixed header; the info to both public keys.
export async function wrapKey(shared, fixedHeader, ephemeralPublic, recipientPublic) {
  return hkdf(shared, await sha256(fixedHeader), concat(WRAP_INFO, ephemeralPublic, recipientPublic), KEY_SIZE);
}

// One recipient entry; the ephemeral scalar comes from `rng` so test vectors can replay it.
export async function wrapContentKey(contentKey, fixedHeader, recipientPublic, rng) {
  const ephemeral = await importPrivateKey("X25519", rng(32));
  const ephemeralPublic = await x25519PublicOf(ephemeral);
  const key = await wrapKey(await x25519(ephemeral, recipientPublic), fixedHeader, ephemeralPublic, recipientPublic);
  const wrapped = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: WRAP_NONCE }, await aesKey(key, "encrypt"), contentKey));
  return { keyId: await recipientKeyId(recipientPublic), ephemeralPublicKey: ephemeralPublic, wrappedKey: wrapped };
}

// Whether a released key is the one the sealer committed to; checked before any decryption.
export async function checkContentKey(header, contentKey) {
  return contentKey?.length === KEY_SIZE && equal(await keyCommitment(contentKey, header.payloadSalt), header.keyCommitment);
}

// The content key from this recipient's entry, checked against the commitment.
// `privateKey`: an X25519 CryptoKey (extractable or not) or its raw 32 bytes.
export async function unwrapContentKey(header, privateKey) {
  const key = privateKey instanceof CryptoKey ? privateKey : await importPrivateKey("X25519", privateKey);
  const recipientPublic = await x25519PublicOf(key);
  const keyId = await recipientKeyId(recipientPublic);
  const index = header.recipients.findIndex((entry) => equal(entry.keyId, keyId));
  if (index < 0) throw new NotARecipient(`the envelope is not sealed to the X25519 key ${toHex(keyId).slice(0, 16)}…`, "header.recipients");
  const entry = header.recipients[index];
  const field = `header.recipients[${index}]`;
  let contentKey;
  try {
    // deriveBits throws on a low-order ephemeral key (all-zero secret), like Python's ValueError.
    const wrap = await wrapKey(await x25519(key, entry.ephemeralPublicKey), header.fixedBytes, entry.ephemeralPublicKey, recipientPublic);
    contentKey = new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: WRAP_NONCE }, await aesKey(wrap, "decrypt"), entry.wrappedKey));
  } catch (error) {
    throw new KeyUnwrapFailed(`recipient entry ${index} does not decrypt with this key: the header was altered (${error.name})`, field);
  }
  if (!(await checkContentKey(header, contentKey))) {
    throw new ContentKeyMismatch(`recipient entry ${index} wraps a key that does not match the key commitment`, field);
  }
  return contentKey;
}

// A new bidder key set: X25519 receives wrapped content keys, Ed25519 signs envelopes.
// Extractable so that the key file can be written; keep the CryptoKeys, not the raw bytes.
export async function generateBidderKeys(label = "") {
  const x = await subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]);
  const ed = await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  return {
    label,
    x25519: x.privateKey,
    ed25519: ed.privateKey,
    x25519Public: await exportPublicKey(x.publicKey),
    ed25519Public: await exportPublicKey(ed.publicKey),
  };
}

// Request bodies for POST /api/me/keys (procurement/identity/schemas.py PublicKeyCreate).
export function publicKeyRegistrations(keys) {
  return [
    { algorithm: "x25519", public_key: toBase64(keys.x25519Public), label: keys.label },
    { algorithm: "ed25519", public_key: toBase64(keys.ed25519Public), label: keys.label },
  ];
}
