// The SHA-256 chain of docs/envelope.md §6: one one-shot digest() per 64 KiB block and
// 32 bytes of state, because WebCrypto cannot hash a large file incrementally.

import { ascii, concat, u64 } from "./bytes.js";

export const BLOCK_SIZE = 64 * 1024;
export const ENVELOPE_CONTEXT = ascii("procurement-bid-envelope/v1 envelope digest");
export const FILE_CONTEXT = ascii("procurement-bid-envelope/v1 file digest");

export async function sha256(data) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

export class ChainDigest {
  constructor(context) {
    this._state = sha256(context); // a promise: the constructor cannot await
    // 0x00 ‖ h ‖ block, built in place; digest() copies its input before returning.
    this._step = new Uint8Array(1 + 32 + BLOCK_SIZE);
    this._fill = 0;
    this.length = 0;
  }

  async _hashStep(size) {
    this._step.set(await this._state, 1);
    this._state = sha256(this._step.subarray(0, 33 + size));
    await this._state;
  }

  async update(data) {
    this.length += data.length;
    let at = 0;
    while (at < data.length) {
      const take = Math.min(BLOCK_SIZE - this._fill, data.length - at);
      this._step.set(data.subarray(at, at + take), 33 + this._fill);
      this._fill += take;
      at += take;
      // A full block is hashed at once: full and last blocks hash alike, so no need to wait.
      if (this._fill === BLOCK_SIZE) {
        await this._hashStep(BLOCK_SIZE);
        this._fill = 0;
      }
    }
  }

  // Leaves the state as it was, like Python's digest(): more data may still follow.
  async digest() {
    let state = await this._state;
    if (this._fill) {
      this._step.set(state, 1);
      state = await sha256(this._step.subarray(0, 33 + this._fill));
    }
    return sha256(concat(Uint8Array.of(1), state, u64(this.length)));
  }
}

export async function chainDigest(context, data) {
  const digest = new ChainDigest(context);
  await digest.update(data);
  return digest.digest();
}

export const envelopeDigest = (data) => chainDigest(ENVELOPE_CONTEXT, data);
export const fileDigest = (data) => chainDigest(FILE_CONTEXT, data);
