"""Ed25519 verification of Discord's request signature.

Discord signs X-Signature-Timestamp + the exact raw body. Re-serialised JSON does not verify
(real bodies contain non-ASCII), so this runs on bytes, before any JSON parsing.
"""

from __future__ import annotations

import time

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

SIGNATURE_BYTES = 64


def ed25519_verify(public_key_hex: str, message: bytes, signature: bytes) -> bool:
    """Plain Ed25519 verification (RFC 8032), as SignatureVerifier applies it."""
    try:
        VerifyKey(bytes.fromhex(public_key_hex)).verify(message, signature)
    except BadSignatureError:
        return False
    return True


class SignatureError(Exception):
    """The request is not provably from Discord (answer 401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureVerifier:
    def __init__(self, public_key_hex: str, replay_window_seconds: int = 300) -> None:
        self._key = VerifyKey(bytes.fromhex(public_key_hex))
        self._window = replay_window_seconds

    def verify(self, signature_hex: str | None, timestamp: str | None, body: bytes,
               now: float | None = None) -> None:
        """Raise SignatureError unless the signature is valid and the timestamp is fresh."""
        if not signature_hex or not timestamp:
            raise SignatureError("missing_signature")
        if not isinstance(signature_hex, str) or not isinstance(timestamp, str):
            raise SignatureError("malformed_signature")
        try:
            signature = bytes.fromhex(signature_hex)
        except ValueError:
            raise SignatureError("malformed_signature") from None
        if len(signature) != SIGNATURE_BYTES or not timestamp.isascii() or not timestamp.isdigit():
            raise SignatureError("malformed_signature")
        try:
            self._key.verify(timestamp.encode("ascii") + body, signature)
        except BadSignatureError:
            raise SignatureError("bad_signature") from None
        # Checked after the signature so a forged timestamp cannot be used to probe the window.
        if self._window > 0:
            now = time.time() if now is None else now
            if abs(now - int(timestamp)) > self._window:
                raise SignatureError("stale_timestamp")
