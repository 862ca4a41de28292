// The sealed-bid envelope (docs/envelope.md, format v1) in the browser, on WebCrypto only:
// the same bytes as bidding/envelope in Python. Needs a secure context (https or localhost)
// for X25519 and Ed25519. Plaintext and private keys never leave the page.

export { EnvelopeError, MalformedEnvelope, UnsupportedVersion, TruncatedEnvelope, TrailingData, NotARecipient, KeyUnwrapFailed,
  ContentKeyMismatch, SegmentAuthenticationFailed, PayloadError, SignatureInvalid, BindingMismatch, KeyFileError, WrongPassphrase } from "./errors.js";
export { fromBase64, fromHex, toBase64, toHex } from "./bytes.js";
export { ChainDigest, envelopeDigest, fileDigest } from "./digest.js";
export { DEFAULT_SEGMENT_SIZE, EnvelopeHeader, encodeBinding, parseHeader } from "./format.js";
export { checkContentKey, generateBidderKeys, publicKeyRegistrations, recipientKeyId, unwrapContentKey } from "./keys.js";
export { SealedEnvelope, seal } from "./seal.js";
export { OpenedEnvelope, inspect, openEnvelope, readHeader } from "./open.js";
export { signEnvelope, signedMessage, verifySignature } from "./signature.js";
export { readKeyfile, writeKeyfile } from "./keyfile.js";
