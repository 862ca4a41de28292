"""Every way an envelope, a key or a key file can be refused, each a class of its own.

The platform maps these to its own domain errors; ``field`` names the header field or part
of the envelope at fault (``header.segment_size``, ``segment[3]``, ``payload.manifest``) so a
refusal can say exactly what was wrong. Whose fault it is matters at the opening (a bid the
bidder broke is revoked, one someone else broke is withdrawn): structural and segment errors
on a stored envelope mean it was altered after signing; payload errors and a wrapped key that
fails its commitment mean the bidder sealed it so.
"""

from __future__ import annotations


class EnvelopeError(Exception):
    """The envelope, or a key offered for it, is refused."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class MalformedEnvelope(EnvelopeError):
    """The bytes do not follow the format (magic, version, a length or range rule)."""


class UnsupportedVersion(MalformedEnvelope):
    """A format version this reader does not know."""


class TruncatedEnvelope(EnvelopeError):
    """The bytes end before the header says the envelope ends."""


class TrailingData(EnvelopeError):
    """Bytes follow the last segment, or the envelope is longer than allowed."""


class NotARecipient(EnvelopeError):
    """The envelope wraps its content key to other keys, not to this one."""


class KeyUnwrapFailed(EnvelopeError):
    """The recipient entry does not decrypt with this key (altered, or not made for it)."""


class ContentKeyMismatch(EnvelopeError):
    """A content key does not match the header's key commitment."""


class SegmentAuthenticationFailed(EnvelopeError):
    """A segment failed AES-GCM authentication: altered, moved, dropped or from another envelope."""


class PayloadError(EnvelopeError):
    """The decrypted content breaks the payload rules (manifest, file sizes or hashes)."""


class SignatureInvalid(EnvelopeError):
    """The bidder's signature does not verify over this binding and digest."""


class BindingMismatch(EnvelopeError):
    """The envelope is sealed for another tender, lot, organisation or bid version."""


class KeyFileError(Exception):
    """A private-key file is refused."""


class WrongPassphrase(KeyFileError):
    """The passphrase does not open the key file (or the file was altered)."""
