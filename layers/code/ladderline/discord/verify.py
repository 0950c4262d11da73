"""Ed25519 verification of Discord's request signature.

Discord signs X-Signature-Timestamp + the exact raw body. Re-serialised JSON does not verify
(real bodies contain non-ASCII), so this runs on bytes, before any JSON parsing.

The check is libsodium's crypto_sign_open, called through PyNaCl's own compiled binding
(nacl._sodium), which is what nacl.signing.VerifyKey.verify runs. Importing nacl.signing also
imports every other binding PyNaCl has (boxes, AEADs, password hashing, secret streams, ...):
`python -X importtime` measured that at ~10 ms of the ingress's cold start, against ~2 ms for the
one binding module. Should a PyNaCl release move that module, VerifyKey is used instead
(tests/unit/test_verify.py runs the RFC 8032 vectors through both).
"""

from __future__ import annotations

import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cold start)
if TYPE_CHECKING:
    from collections.abc import Callable

SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32


def _sodium_open() -> Callable[[bytes, bytes], bool]:
    """crypto_sign_open(signature + message, public key) -> bool, via PyNaCl's libsodium."""
    try:
        from nacl._sodium import ffi, lib
    except ImportError:  # pragma: no cover - only if PyNaCl moves its binding
        return _verify_key_open
    # Once per process before any call, as PyNaCl does (same tag: it picks the CPU's code paths).
    if ffi.init_once(lib.sodium_init, "libsodium") == -1:
        raise RuntimeError("libsodium could not be initialised")

    def sodium_open(signed: bytes, public_key: bytes) -> bool:
        message = ffi.new("unsigned char[]", len(signed))
        message_len = ffi.new("unsigned long long *")
        return bool(lib.crypto_sign_open(message, message_len, signed, len(signed), public_key) == 0)

    return sodium_open


def _verify_key_open(signed: bytes, public_key: bytes) -> bool:
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    try:
        VerifyKey(public_key).verify(signed)
    except BadSignatureError:
        return False
    return True


_open: Callable[[bytes, bytes], bool] = _sodium_open()


def ed25519_verify(public_key_hex: str, message: bytes, signature: bytes, *, via_verify_key: bool = False) -> bool:
    """Plain Ed25519 verification (RFC 8032), as SignatureVerifier applies it; `via_verify_key`
    checks with nacl.signing.VerifyKey instead (the fallback)."""
    public_key = bytes.fromhex(public_key_hex)
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    check = _verify_key_open if via_verify_key else _open
    return check(signature + message, public_key)


class SignatureError(Exception):
    """The request is not provably from Discord (answer 401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureVerifier:
    def __init__(self, public_key_hex: str, replay_window_seconds: int = 300) -> None:
        self._key = bytes.fromhex(public_key_hex)
        if len(self._key) != PUBLIC_KEY_BYTES:
            raise ValueError("an Ed25519 public key is 32 bytes")
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
        if not _open(signature + timestamp.encode("ascii") + body, self._key):
            raise SignatureError("bad_signature")
        # Checked after the signature so a forged timestamp cannot be used to probe the window.
        if self._window > 0:
            now = time.time() if now is None else now
            if abs(now - int(timestamp)) > self._window:
                raise SignatureError("stale_timestamp")
