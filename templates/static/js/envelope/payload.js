// The plaintext (§5): u32 manifest length ‖ manifest JSON ‖ each file's bytes, unframed.
// Files are read in slices (Blob.slice) so a large bid is never held in memory whole.

import { MAX_SAFE, decodeUtf8, toHex, utf8 } from "./bytes.js";
import { ChainDigest, FILE_CONTEXT } from "./digest.js";
import { PayloadError } from "./errors.js";

export const MANIFEST_LENGTH_SIZE = 4;
export const MAX_MANIFEST_SIZE = 1024 * 1024;
export const MAX_FILES = 1000;
const MAX_NAME_BYTES = 255;
const MAX_FIELD_NAME = 64;
export const READ_SIZE = 64 * 1024;
const PRICE = /^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$/;
const NAME_FORBIDDEN = /[\x00-\x1f\x7f/\\]/;
const HEX_DIGEST = /^[0-9a-f]{64}$/;

// A file to seal: a File/Blob, or {name, bytes}. `read(start, end)` gives one slice.
export function payloadSource(file) {
  if (typeof Blob !== "undefined" && file instanceof Blob) {
    const name = file.name;
    return { name, size: file.size, read: async (start, end) => new Uint8Array(await file.slice(start, end).arrayBuffer()) };
  }
  if (file && typeof file.name === "string" && file.bytes instanceof Uint8Array) {
    return { name: file.name, size: file.bytes.length, read: async (start, end) => file.bytes.subarray(start, end) };
  }
  throw new PayloadError("each file must be a File, or {name, bytes: Uint8Array}", "payload.files");
}

// The file digest (§6), reading the source in slices; `onBytes(n)` reports progress.
export async function measure(source, onBytes = () => {}) {
  const digest = new ChainDigest(FILE_CONTEXT);
  for (let at = 0; at < source.size; at += READ_SIZE) {
    const piece = await source.read(at, Math.min(at + READ_SIZE, source.size));
    await digest.update(piece);
    onBytes(piece.length);
  }
  return digest.digest();
}

function checkFields(fields) {
  if (fields === null || typeof fields !== "object" || Array.isArray(fields)) {
    throw new PayloadError("manifest fields must be a JSON object", "payload.manifest.fields");
  }
  for (const key of Object.keys(fields)) {
    const points = [...key].length; // code points, as Python's len(); not UTF-16 units
    if (points < 1 || points > MAX_FIELD_NAME) {
      throw new PayloadError(`field name ${JSON.stringify(key)} must be 1 to ${MAX_FIELD_NAME} characters`, "payload.manifest.fields");
    }
  }
  const price = fields.price;
  if (typeof price !== "string" || !PRICE.test(price)) {
    throw new PayloadError(`price must be a string of yuan with at most two decimal places (e.g. "1234567.89"), not ${JSON.stringify(price)}`,
      "payload.manifest.fields.price");
  }
}

function checkFiles(files) {
  const seen = new Set();
  files.forEach((entry, index) => {
    const where = `payload.manifest.files[${index}]`;
    const name = entry.name;
    const bytes = typeof name === "string" ? utf8(name).length : 0;
    if (bytes < 1 || bytes > MAX_NAME_BYTES || name === "." || name === ".." || NAME_FORBIDDEN.test(name)) {
      throw new PayloadError(`file name ${JSON.stringify(name)} must be 1 to ${MAX_NAME_BYTES} UTF-8 bytes, without / \\ or control characters, and not . or ..`,
        `${where}.name`);
    }
    if (seen.has(name)) throw new PayloadError(`file name ${JSON.stringify(name)} appears twice`, `${where}.name`);
    seen.add(name);
    if (!Number.isInteger(entry.size) || entry.size < 0 || entry.size > MAX_SAFE) {
      throw new PayloadError(`file size must be an integer from 0 to ${MAX_SAFE}`, `${where}.size`);
    }
  });
  if (seen.size > MAX_FILES) throw new PayloadError(`at most ${MAX_FILES} files`, "payload.manifest.files");
}

// entries: [{name, size, digest: Uint8Array}]. Compact JSON with keys in the documented order.
export function encodeManifest(fields, entries) {
  checkFields(fields);
  checkFiles(entries);
  let text;
  try {
    text = JSON.stringify({ fields, files: entries.map((f) => ({ name: f.name, size: f.size, digest: toHex(f.digest) })) }, refuseNonJson);
  } catch (error) {
    throw new PayloadError(`manifest fields are not plain JSON: ${error.message}`, "payload.manifest.fields");
  }
  const raw = utf8(text);
  if (raw.length > MAX_MANIFEST_SIZE) throw new PayloadError(`the manifest has ${raw.length} bytes; at most ${MAX_MANIFEST_SIZE}`, "payload.manifest");
  return raw;
}

// JSON.stringify would quietly write NaN as null and drop undefined; Python refuses both.
function refuseNonJson(key, value) {
  if (typeof value === "number" && !Number.isFinite(value)) throw new TypeError(`${value} is not JSON`);
  if (value === undefined || typeof value === "function" || typeof value === "bigint") throw new TypeError(`${key} is not JSON`);
  return value;
}

export function decodeManifest(raw) {
  let document;
  try {
    const text = decodeUtf8(raw);
    document = JSON.parse(text);
    checkNoDuplicateKeys(text);
  } catch (error) {
    if (error instanceof PayloadError) throw error;
    throw new PayloadError(`the manifest is not UTF-8 JSON: ${error.message}`, "payload.manifest");
  }
  const keys = document && typeof document === "object" && !Array.isArray(document) ? Object.keys(document).sort().join() : "";
  if (keys !== "fields,files" || !Array.isArray(document.files)) {
    throw new PayloadError('the manifest must be an object with exactly the keys "fields" and "files" (a list)', "payload.manifest");
  }
  const entries = document.files.map((item, index) => {
    const ok = item && typeof item === "object" && !Array.isArray(item) && Object.keys(item).sort().join() === "digest,name,size"
      && typeof item.digest === "string" && HEX_DIGEST.test(item.digest);
    if (!ok) throw new PayloadError('each file is {"name", "size", "digest" (64 lowercase hex)}', `payload.manifest.files[${index}]`);
    return { name: item.name, size: item.size, digest: item.digest };
  });
  checkFields(document.fields);
  checkFiles(entries);
  return { fields: document.fields, files: entries, filesLength: entries.reduce((n, f) => n + f.size, 0) };
}

// JSON.parse keeps the last of a repeated key; the format refuses it. A small scanner over
// the (already valid) text tracks each object's keys, comparing them unescaped.
function checkNoDuplicateKeys(text) {
  const stack = []; // one Set per open object, null per open array
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1));
        const keys = stack[stack.length - 1];
        if (keys.has(key)) throw new PayloadError("the manifest repeats a key in one object", "payload.manifest");
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === "{") {
      stack.push(new Set());
      expectKey = true;
    } else if (c === "[") {
      stack.push(null);
    } else if (c === "}" || c === "]") {
      stack.pop();
      expectKey = false;
    } else if (c === ",") {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
}
