"""AWS Signature Version 4 for one request, stdlib only (hashlib + hmac).

The ingress signs its one SendMessage itself instead of importing botocore: `python -X importtime`
put botocore.auth alone at ~135 ms of a cold start (boto3 with a client at ~200 ms), against well
under 1 ms for this module. tests/unit/test_sigv4.py checks it against botocore's own signer.

Headers authentication as AWS documents it: canonical request -> string to sign -> signature with
the derived key (date -> region -> service -> "aws4_request"). The session token, when there is one
(always, for a Lambda role), is sent as X-Amz-Security-Token and signed like the other headers.
"""

from __future__ import annotations

import hashlib
import hmac
import time

ALGORITHM = "AWS4-HMAC-SHA256"
# RFC 3986 unreserved characters: never percent-encoded in a canonical request. Percent-encoding
# is done here rather than with urllib.parse, whose import (with ipaddress) cost ~4 ms of the
# ingress's cold start for one fixed path ("/").
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


class Credentials:
    """An access key, its secret and the session token (never in a repr)."""

    __slots__ = ("access_key", "secret_key", "session_token")

    def __init__(self, access_key: str, secret_key: str, session_token: str | None = None) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.session_token = session_token

    def __repr__(self) -> str:
        return f"Credentials(access_key={self.access_key!r})"


def _quote(text: str, keep: bytes = b"") -> str:
    """Percent-encode the UTF-8 bytes of `text` except unreserved characters and `keep`."""
    allowed = _UNRESERVED.union(keep)
    return "".join(chr(byte) if byte in allowed else f"%{byte:02X}" for byte in text.encode("utf-8"))


def _unquote(text: str) -> str:
    """Decode %XX escapes (as UTF-8); a '%' not followed by two hex digits stays as it is."""
    if "%" not in text:
        return text
    out = bytearray()
    i = 0
    while i < len(text):
        escape = text[i + 1:i + 3]
        if text[i] == "%" and len(escape) == 2 and all(c in "0123456789abcdefABCDEF" for c in escape):
            out.append(int(escape, 16))
            i += 3
        else:
            out += text[i].encode("utf-8")
            i += 1
    return out.decode("utf-8", errors="replace")


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _canonical_uri(path: str) -> str:
    # `path` as sent (already URI-encoded); services other than S3 sign it encoded once more.
    return _quote(path or "/", keep=b"/")


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs = []
    for part in query.split("&"):
        name, _, value = part.partition("=")
        pairs.append((_quote(_unquote(name)), _quote(_unquote(value))))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


class SigV4Signer:
    """Signs requests for one service in one region; the signing key is cached per day."""

    def __init__(self, service: str, region: str) -> None:
        self._service = service
        self._region = region
        self._key_cache: tuple[str, str, bytes] | None = None  # (secret, date, key)

    def _signing_key(self, secret_key: str, date: str) -> bytes:
        cached = self._key_cache
        if cached is not None and cached[0] == secret_key and cached[1] == date:
            return cached[2]
        key = _hmac(("AWS4" + secret_key).encode("utf-8"), date)
        for part in (self._region, self._service, "aws4_request"):
            key = _hmac(key, part)
        self._key_cache = (secret_key, date, key)
        return key

    def sign(self, method: str, host: str, path: str, headers: dict[str, str], body: bytes,
             credentials: Credentials, *, query: str = "", now: float | None = None) -> dict[str, str]:
        """The headers to send: `headers` plus Host, X-Amz-Date, the token and Authorization.

        `path` and `query` are as they go on the wire (URI-encoded)."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
        date = stamp[:8]
        signed = {**headers, "Host": host, "X-Amz-Date": stamp}
        if credentials.session_token:
            signed["X-Amz-Security-Token"] = credentials.session_token
        canonical = {name.lower(): " ".join(str(value).strip().split()) for name, value in signed.items()}
        names = sorted(canonical)
        signed_headers = ";".join(names)
        canonical_request = "\n".join((
            method.upper(), _canonical_uri(path), _canonical_query(query),
            "".join(f"{name}:{canonical[name]}\n" for name in names), signed_headers,
            hashlib.sha256(body).hexdigest()))
        scope = f"{date}/{self._region}/{self._service}/aws4_request"
        string_to_sign = "\n".join((ALGORITHM, stamp, scope,
                                    hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()))
        signature = hmac.new(self._signing_key(credentials.secret_key, date), string_to_sign.encode("utf-8"),
                             hashlib.sha256).hexdigest()
        signed["Authorization"] = (f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
                                   f"SignedHeaders={signed_headers}, Signature={signature}")
        return signed
