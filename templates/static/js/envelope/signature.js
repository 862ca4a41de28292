// The bidder's Ed25519 signature over (binding, envelope digest), carried beside the envelope (§7).

import { ascii, concat } from "./bytes.js";
import { BindingMismatch, SignatureInvalid } from "./errors.js";
import { encodeBinding, sameBinding } from "./format.js";
import { importPrivateKey, importPublicKey } from "./keys.js";

export const SIGNATURE_CONTEXT = ascii("procurement-bid-envelope/v1 signature\0");

export function signedMessage(digest, binding) {
  if (digest.length !== 32) throw new TypeError("an envelope digest is 32 bytes");
  return concat(SIGNATURE_CONTEXT, encodeBinding(binding), digest);
}

// `signer`: an Ed25519 private CryptoKey, or its raw 32-byte seed.
export async function signEnvelope(digest, binding, signer) {
  const key = signer instanceof CryptoKey ? signer : await importPrivateKey("Ed25519", signer);
  return new Uint8Array(await crypto.subtle.sign("Ed25519", key, signedMessage(digest, binding)));
}

// Refuses unless `signature` is the bidder's over `binding` and the envelope digest.
// `info`: what inspect() returns (its binding must equal `binding` too), or a bare 32-byte digest.
// `publicKey`: raw 32 bytes or an Ed25519 public CryptoKey.
export async function verifySignature(info, binding, signature, publicKey) {
  let digest = info;
  if (!(info instanceof Uint8Array)) {
    if (!sameBinding(info.header.binding, binding)) {
      throw new BindingMismatch(`the envelope is sealed for ${JSON.stringify(info.header.binding)}, not ${JSON.stringify(binding)}`, "header.binding");
    }
    digest = info.digest;
  }
  const key = publicKey instanceof CryptoKey ? publicKey : await importPublicKey("Ed25519", publicKey);
  const ok = signature.length === 64 && (await crypto.subtle.verify("Ed25519", key, signature, signedMessage(digest, binding)));
  if (!ok) throw new SignatureInvalid("the bidder's signature does not verify for this envelope and binding", "signature");
}
