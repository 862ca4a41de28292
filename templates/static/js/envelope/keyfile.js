// The bidder's key file (§11, procurement-bid-keys/v1): both private keys under a passphrase,
// PBKDF2-HMAC-SHA256 (WebCrypto has no scrypt or Argon2) and AES-256-GCM with the public keys
// and label as associated data, so swapping the public halves makes the file not open.

import { concat, equal, fromBase64, toBase64, utf8 } from "./bytes.js";
import { KeyFileError, WrongPassphrase } from "./errors.js";
import { ed25519PublicOf, exportPrivateKey, importPrivateKey, randomBytes, x25519PublicOf } from "./keys.js";

export const FORMAT = "procurement-bid-keys/v1";
export const DEFAULT_ITERATIONS = 600_000;
export const MIN_ITERATIONS = 100_000;
export const MAX_ITERATIONS = 10_000_000;
const MIN_PASSPHRASE = 8;
const MAX_LABEL = 100;

export async function passphraseKey(passphrase, salt, iterations) {
  const secret = await crypto.subtle.importKey("raw", utf8(passphrase.normalize("NFC")), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, secret, 256));
}

export function associatedData(x25519Public, ed25519Public, label) {
  return concat(utf8(`${FORMAT}\n`), x25519Public, ed25519Public, utf8(label));
}

async function aes(raw, usage) {
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, [usage]);
}

// Python counts the passphrase and label in code points; so does [...text].length.
const points = (text) => [...text].length;

// keys: {label, x25519, ed25519 (extractable private CryptoKeys), x25519Public, ed25519Public}
// as generateBidderKeys or readKeyfile give. Returns the file's text (UTF-8 JSON, as Python writes it).
export async function writeKeyfile(keys, passphrase, { iterations = DEFAULT_ITERATIONS, rng = randomBytes } = {}) {
  const label = keys.label ?? "";
  if (typeof passphrase !== "string" || points(passphrase) < MIN_PASSPHRASE) {
    throw new KeyFileError(`the passphrase must have at least ${MIN_PASSPHRASE} characters`);
  }
  if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw new KeyFileError(`iterations must be from ${MIN_ITERATIONS} to ${MAX_ITERATIONS}`);
  }
  if (points(label) > MAX_LABEL) throw new KeyFileError(`the label has at most ${MAX_LABEL} characters`);
  const salt = rng(16);
  const iv = rng(12);
  const secret = concat(await exportPrivateKey(keys.x25519), await exportPrivateKey(keys.ed25519));
  const additionalData = associatedData(keys.x25519Public, keys.ed25519Public, label);
  const key = await aes(await passphraseKey(passphrase, salt, iterations), "encrypt");
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, secret));
  secret.fill(0);
  const document = {
    format: FORMAT,
    label,
    x25519_public_key: toBase64(keys.x25519Public),
    ed25519_public_key: toBase64(keys.ed25519Public),
    kdf: "PBKDF2-HMAC-SHA256",
    iterations,
    salt: toBase64(salt),
    cipher: "AES-256-GCM",
    iv: toBase64(iv),
    ciphertext: toBase64(sealed),
  };
  // Same text as Python's json.dumps(indent=2, ensure_ascii=False) + "\n".
  return `${JSON.stringify(document, null, 2)}\n`;
}

function field(document, name, size) {
  let raw;
  try {
    raw = fromBase64(document[name]);
  } catch {
    throw new KeyFileError(`key file field '${name}' is missing or not base64`);
  }
  if (raw.length !== size) throw new KeyFileError(`key file field '${name}' must hold ${size} bytes, not ${raw.length}`);
  return raw;
}

// text: the file's contents (string, or bytes). `extractable`: whether the imported private
// keys may be exported again (needed to write a new key file with another passphrase).
export async function readKeyfile(text, passphrase, { extractable = true } = {}) {
  let document;
  try {
    document = JSON.parse(typeof text === "string" ? text : new TextDecoder("utf-8", { fatal: true }).decode(text));
  } catch {
    throw new KeyFileError("not a key file: not JSON");
  }
  if (!document || typeof document !== "object" || document.format !== FORMAT) throw new KeyFileError(`not a key file of format '${FORMAT}'`);
  if (document.kdf !== "PBKDF2-HMAC-SHA256" || document.cipher !== "AES-256-GCM") {
    throw new KeyFileError("the key file must use PBKDF2-HMAC-SHA256 and AES-256-GCM");
  }
  const { iterations } = document;
  const label = "label" in document ? document.label : "";
  if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw new KeyFileError(`iterations must be an integer from ${MIN_ITERATIONS} to ${MAX_ITERATIONS}`);
  }
  if (typeof label !== "string") throw new KeyFileError("the label must be a string");
  const x25519Public = field(document, "x25519_public_key", 32);
  const ed25519Public = field(document, "ed25519_public_key", 32);
  const key = await aes(await passphraseKey(passphrase, field(document, "salt", 16), iterations), "decrypt");
  let secret;
  try {
    secret = new Uint8Array(await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: field(document, "iv", 12), additionalData: associatedData(x25519Public, ed25519Public, label) },
      key, field(document, "ciphertext", 80)));
  } catch {
    throw new WrongPassphrase("the passphrase does not open this key file, or the file was altered");
  }
  // Imported extractable first: the Ed25519 public half is only to be had through JWK export.
  const edCheck = await importPrivateKey("Ed25519", secret.subarray(32), true);
  const keys = {
    label,
    x25519: await importPrivateKey("X25519", secret.subarray(0, 32), extractable),
    ed25519: extractable ? edCheck : await importPrivateKey("Ed25519", secret.subarray(32), false),
    x25519Public,
    ed25519Public,
  };
  const matches = equal(await x25519PublicOf(keys.x25519), x25519Public) && equal(await ed25519PublicOf(edCheck), ed25519Public);
  secret.fill(0);
  if (!matches) throw new KeyFileError("the private keys in the file do not match its public keys");
  return keys;
}
