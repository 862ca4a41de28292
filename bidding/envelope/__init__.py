"""Sealed-bid envelopes (format v1, ``docs/envelope.md``): seal, inspect, sign, unwrap, open.

A pure library (``cryptography`` and the standard library only; an import-linter contract
keeps it so): the bidder's CLI, the server and the tests share it, and the browser
implementation follows the same document.

- ``seal(binding, fields, files, recipients, signer=...)`` → iterable envelope; digest and
  signature once read to the end.
- ``inspect_envelope(chunks)`` / ``EnvelopeInspector`` → ``EnvelopeInfo``: structure and
  digest, no key.
- ``verify_signature(info, binding, signature, public_key)``.
- ``unwrap_content_key(header, private_key)``, ``check_content_key(header, key)``.
- ``open_envelope(chunks, content_key)`` → manifest, then ``files()`` streaming.
"""

from bidding.envelope.digest import envelope_digest, file_digest
from bidding.envelope.errors import (
    BindingMismatch,
    ContentKeyMismatch,
    EnvelopeError,
    KeyFileError,
    KeyUnwrapFailed,
    MalformedEnvelope,
    NotARecipient,
    PayloadError,
    SegmentAuthenticationFailed,
    SignatureInvalid,
    TrailingData,
    TruncatedEnvelope,
    UnsupportedVersion,
    WrongPassphrase,
)
from bidding.envelope.format import (
    DEFAULT_SEGMENT_SIZE,
    Binding,
    EnvelopeHeader,
    RecipientEntry,
)
from bidding.envelope.keyfile import BidderKeys, read_keyfile, write_keyfile
from bidding.envelope.keys import (
    check_content_key,
    recipient_key_id,
    unwrap_content_key,
)
from bidding.envelope.opening import OpenedEnvelope, open_envelope, read_header
from bidding.envelope.payload import FileEntry, Manifest, PayloadFile
from bidding.envelope.seal import SealedEnvelope, seal
from bidding.envelope.signature import sign_envelope, signed_message
from bidding.envelope.structure import (
    EnvelopeInfo,
    EnvelopeInspector,
    inspect_envelope,
    verify_signature,
)

__all__ = [
    "DEFAULT_SEGMENT_SIZE",
    "BidderKeys",
    "Binding",
    "BindingMismatch",
    "ContentKeyMismatch",
    "EnvelopeError",
    "EnvelopeHeader",
    "EnvelopeInfo",
    "EnvelopeInspector",
    "FileEntry",
    "KeyFileError",
    "KeyUnwrapFailed",
    "MalformedEnvelope",
    "Manifest",
    "NotARecipient",
    "OpenedEnvelope",
    "PayloadError",
    "PayloadFile",
    "RecipientEntry",
    "SealedEnvelope",
    "SegmentAuthenticationFailed",
    "SignatureInvalid",
    "TrailingData",
    "TruncatedEnvelope",
    "UnsupportedVersion",
    "WrongPassphrase",
    "check_content_key",
    "envelope_digest",
    "file_digest",
    "inspect_envelope",
    "open_envelope",
    "read_header",
    "read_keyfile",
    "recipient_key_id",
    "seal",
    "sign_envelope",
    "signed_message",
    "unwrap_content_key",
    "verify_signature",
    "write_keyfile",
]
