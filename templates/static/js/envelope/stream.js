// Exact-length reads over a stream of byte chunks of any sizes (async ChunkReader, as in
// bidding/envelope/stream.py): the opener cuts at header and segment lengths whatever the
// chunks a network read or a Blob slice happens to give.

import { ChainDigest, ENVELOPE_CONTEXT } from "./digest.js";
import { TrailingData, TruncatedEnvelope } from "./errors.js";

const BLOB_PIECE = 1024 * 1024;

// Any of: Uint8Array, Blob/File (read in slices), ReadableStream, (async) iterable of Uint8Array.
export async function* chunksOf(source) {
  if (source instanceof Uint8Array) {
    yield source;
  } else if (typeof Blob !== "undefined" && source instanceof Blob) {
    for (let at = 0; at < source.size; at += BLOB_PIECE) yield new Uint8Array(await source.slice(at, at + BLOB_PIECE).arrayBuffer());
  } else if (typeof ReadableStream !== "undefined" && source instanceof ReadableStream) {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  } else {
    for await (const chunk of source) yield chunk;
  }
}

export class ChunkReader {
  // `short`: what running out means (a cut envelope, or inside it a bad payload).
  constructor(source, { digestConsumed = false, short = TruncatedEnvelope } = {}) {
    this._chunks = chunksOf(source)[Symbol.asyncIterator]();
    this._short = short;
    this._head = new Uint8Array(0);
    this._pos = 0;
    this.consumed = 0;
    this._digest = digestConsumed ? new ChainDigest(ENVELOPE_CONTEXT) : null;
  }

  async _fill() {
    while (this._pos === this._head.length) {
      const { done, value } = await this._chunks.next();
      if (done) return false;
      this._head = value;
      this._pos = 0;
    }
    return true;
  }

  async _take(n) {
    const piece = this._head.subarray(this._pos, this._pos + n);
    this._pos += piece.length;
    this.consumed += piece.length;
    if (this._digest) await this._digest.update(piece);
    return piece;
  }

  // Exactly n bytes, or the `short` error naming what was being read.
  async read(n, what, field = null) {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (!(await this._fill())) {
        throw new this._short(`the stream ends ${n - got} bytes into ${what} (after ${this.consumed} bytes)`, field);
      }
      const piece = await this._take(n - got);
      out.set(piece, got);
      got += piece.length;
    }
    return out;
  }

  // Between 1 and `limit` bytes, whatever the current chunk holds (no copy).
  async readSome(limit, what, field = null) {
    if (!(await this._fill())) {
      throw new this._short(`the stream ends ${limit} bytes before the end of ${what} (after ${this.consumed} bytes)`, field);
    }
    return this._take(limit);
  }

  async expectEnd(what) {
    if (await this._fill()) throw new TrailingData(`bytes follow ${what} (after ${this.consumed} bytes)`, "trailer");
  }

  digest() {
    return this._digest.digest();
  }
}
