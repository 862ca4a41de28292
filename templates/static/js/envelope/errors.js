// Every refusal, one class each, with the same names and `field` values as the Python
// implementation (bidding/envelope/errors.py), so the pages and the server speak alike.

export class EnvelopeError extends Error {
  constructor(message, field = null) {
    super(message);
    this.name = new.target.name;
    this.field = field;
  }
}

export class MalformedEnvelope extends EnvelopeError {}
export class UnsupportedVersion extends MalformedEnvelope {}
export class TruncatedEnvelope extends EnvelopeError {}
export class TrailingData extends EnvelopeError {}
export class NotARecipient extends EnvelopeError {}
export class KeyUnwrapFailed extends EnvelopeError {}
export class ContentKeyMismatch extends EnvelopeError {}
export class SegmentAuthenticationFailed extends EnvelopeError {}
export class PayloadError extends EnvelopeError {}
export class SignatureInvalid extends EnvelopeError {}
export class BindingMismatch extends EnvelopeError {}

export class KeyFileError extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

export class WrongPassphrase extends KeyFileError {}
