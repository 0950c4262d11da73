"""The ingress's SendMessage without boto3: SQS's JSON protocol over one kept-alive connection.

Why not boto3: importing it and creating a client was most of the ingress's cold start (~200 ms
measured with `python -X importtime`, against a few ms for adapters/http1.py + adapters/sigv4.py), and
the ingress makes exactly one kind of AWS call. The worker keeps boto3 (Powertools needs it).

- Protocol: POST / with `X-Amz-Target: AmazonSQS.SendMessage` and a JSON body
  (application/x-amz-json-1.0), signed with SigV4 for service "sqs".
- Time: Discord gives the whole interaction 3 s. One attempt gets CONNECT_TIMEOUT to connect and
  READ_TIMEOUT for the answer; one retry (a new connection) follows a network error, a 5xx or a
  throttle, only while BUDGET_SECONDS has not run out, so "temporarily unavailable" still reaches
  the user in time. A kept-alive connection the server closed while idle is reopened at once
  without using the retry. A retried SendMessage may queue the job twice: the worker's idempotency
  key (the interaction id) makes the second one a no-op.
- Credentials: the role's, from AWS_ACCESS_KEY_ID/SECRET/SESSION_TOKEN, or (SnapStart) from the
  container credentials endpoint, refreshed before they expire. `reset()` (after a SnapStart
  restore) drops the connection and the credentials, which belong to the snapshot's moment.
"""

from __future__ import annotations

import hashlib
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Mapping

from ladderline.adapters.http1 import ConnectionClosed, Http1Connection
from ladderline.adapters.sigv4 import Credentials, SigV4Signer
from ladderline.job import Job
from ladderline.settings import AwsRuntime, ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the ingress's cold start)
if TYPE_CHECKING:
    from typing import Any

logger = logging.getLogger("ladderline.ingress")

CONNECT_TIMEOUT = 0.5
READ_TIMEOUT = 1.0
# Both attempts together; what is left of Discord's 3 s covers verification and the answer.
BUDGET_SECONDS = 2.2
CONTENT_TYPE = "application/x-amz-json-1.0"
# Container credentials are refreshed this long before they expire (SDKs use 5-15 minutes).
REFRESH_MARGIN_SECONDS = 300
_RETRIABLE_TYPES = ("Throttling", "RequestThrottled", "ServiceUnavailable", "InternalError", "InternalFailure")


class Url:
    """scheme://host[:port][/path][?query], split without urllib.parse: importing it (and the
    ipaddress module it pulls in) cost ~3 ms of a ~75 ms cold start, for two fixed URLs."""

    __slots__ = ("hostname", "netloc", "path", "port", "query", "scheme")

    def __init__(self, url: str) -> None:
        scheme, sep, rest = url.partition("://")
        if not sep or scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.scheme = scheme
        self.netloc, slash, tail = rest.partition("/")
        if "?" in self.netloc:
            self.netloc, _, tail = self.netloc.partition("?")
            tail, slash = "?" + tail, ""
        path_part, _, self.query = (slash + tail).partition("?")
        self.path = path_part
        host, colon, port = self.netloc.rpartition(":") if not self.netloc.endswith("]") else ("", "", "")
        self.port: int | None = int(port) if colon and port.isdigit() else None
        self.hostname = (host if self.port is not None else self.netloc).strip("[]")


class SqsError(Exception):
    def __init__(self, message: str, *, retriable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retriable = retriable
        self.status = status


class CredentialSource:
    """The role's credentials: environment variables, or the container endpoint under SnapStart."""

    def __init__(self, runtime_env: Callable[[], AwsRuntime], clock: Callable[[], float] = time.time) -> None:
        self._runtime_env = runtime_env
        self._clock = clock
        self._cached: Credentials | None = None
        self._expires_at = 0.0

    def reset(self) -> None:
        self._cached = None
        self._expires_at = 0.0

    def get(self) -> Credentials:
        if self._cached is not None and self._clock() < self._expires_at - REFRESH_MARGIN_SECONDS:
            return self._cached
        runtime = self._runtime_env()
        if runtime.access_key_id and runtime.secret_access_key:
            # Lambda sets these per execution environment; they are re-read after a restore.
            self._cached = Credentials(runtime.access_key_id, runtime.secret_access_key,
                                       runtime.session_token or None)
            self._expires_at = float("inf")
        elif runtime.container_credentials_uri:
            self._cached, self._expires_at = _container_credentials(runtime)
        else:
            raise ConfigError("no AWS credentials: neither AWS_ACCESS_KEY_ID nor AWS_CONTAINER_CREDENTIALS_FULL_URI")
        return self._cached


def _container_credentials(runtime: AwsRuntime) -> tuple[Credentials, float]:
    url = Url(runtime.container_credentials_uri)
    https = url.scheme == "https"
    conn = Http1Connection(url.hostname or "127.0.0.1", url.port or (443 if https else 80),
                           tls=tls_context() if https else None)
    try:
        conn.connect(CONNECT_TIMEOUT)
        headers = {"Authorization": runtime.container_authorization_token} if runtime.container_authorization_token else {}
        status, _, body = conn.request("GET", url.path + (f"?{url.query}" if url.query else ""), headers, b"",
                                       READ_TIMEOUT)
    except OSError as exc:
        raise SqsError(f"container credentials endpoint: {type(exc).__name__}", retriable=True) from exc
    finally:
        conn.close()
    if status != 200:
        raise SqsError(f"container credentials endpoint answered {status}", retriable=True)
    data = json.loads(body)
    expiration = data.get("Expiration")
    if expiration:
        from datetime import datetime  # here: only SnapStart functions read this endpoint

        expires_at = datetime.fromisoformat(expiration).timestamp()  # 3.11+ reads "Z"
    else:
        expires_at = float("inf")
    return Credentials(data["AccessKeyId"], data["SecretAccessKey"], data.get("Token")), expires_at


_TLS: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    global _TLS
    if _TLS is None:
        # Loading the CA bundle costs a few ms: once per container (and before a snapshot).
        _TLS = ssl.create_default_context()
    return _TLS


class SqsJsonClient:
    """Signed AWS JSON-protocol calls to SQS over one kept-alive HTTP(S) connection."""

    def __init__(self, runtime: AwsRuntime, credentials: CredentialSource, *,
                 connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT,
                 budget_seconds: float = BUDGET_SECONDS) -> None:
        endpoint = runtime.endpoint_url or f"https://sqs.{runtime.region}.amazonaws.com"
        parts = Url(endpoint)
        https = parts.scheme == "https"
        hostname = parts.hostname or "127.0.0.1"
        self._conn = Http1Connection(hostname, parts.port or (443 if https else 80),
                                     tls=tls_context() if https else None)
        self._host = parts.netloc  # what is signed: the Host header as sent
        self._path = parts.path.rstrip("/") + "/"
        self._signer = SigV4Signer("sqs", runtime.region)
        self._credentials = credentials
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._budget = budget_seconds
        # Lambda runs one request per container at a time; a caller with threads shares the one
        # connection in turn (requests on one HTTP/1.1 connection cannot interleave).
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget the connection and the credentials (after a SnapStart restore)."""
        with self._lock:
            self._conn.close()
            self._credentials.reset()

    def call(self, target: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """One SQS action (e.g. "SendMessage"); raises SqsError when it did not succeed in time."""
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        deadline = time.monotonic() + self._budget
        last: SqsError | None = None
        for attempt in (1, 2):
            if deadline - time.monotonic() <= 0.05:
                break
            try:
                with self._lock:
                    return self._attempt(target, body, deadline)
            except SqsError as exc:
                last = exc
                if not exc.retriable:
                    raise
                logger.warning("SQS %s attempt %d failed: %s", target, attempt, exc)
        raise last or SqsError(f"SQS {target}: no time left", retriable=True)

    def _attempt(self, target: str, body: bytes, deadline: float) -> dict[str, Any]:
        try:
            headers = self._signer.sign("POST", self._host, self._path, {
                "Content-Type": CONTENT_TYPE, "X-Amz-Target": f"AmazonSQS.{target}"}, body, self._credentials.get())
            status, _, data = self._conn.exchange(
                "POST", self._path, headers, body,
                connect_timeout=min(self._connect_timeout, max(0.05, deadline - time.monotonic())),
                read_timeout=min(self._read_timeout, max(0.05, deadline - time.monotonic())))
        except (ConnectionClosed, ConnectionResetError, BrokenPipeError) as exc:
            raise SqsError(f"connection lost: {type(exc).__name__}", retriable=True) from exc
        except OSError as exc:  # refused, timed out, TLS
            raise SqsError(f"{type(exc).__name__}: {exc}", retriable=True) from exc
        return _decode(status, data)


def _decode(status: int, data: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(data) if data else {}
    except ValueError:
        parsed = {}
    if 200 <= status < 300:
        return parsed if isinstance(parsed, dict) else {}
    kind = str(parsed.get("__type", "")).rsplit("#", 1)[-1] if isinstance(parsed, dict) else ""
    message = parsed.get("message") or parsed.get("Message") or "" if isinstance(parsed, dict) else ""
    retriable = status >= 500 or any(t in kind for t in _RETRIABLE_TYPES)
    raise SqsError(f"SQS answered {status} {kind}: {str(message)[:200]}", retriable=retriable, status=status)


class SqsJsonPublisher:
    """The ingress's Publisher: one job -> one SendMessage."""

    def __init__(self, client: SqsJsonClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def publish(self, job: Job) -> None:
        message = job.to_json()
        answer = self._client.call("SendMessage", {
            "QueueUrl": self._queue_url,
            "MessageBody": message,
            # Lets operators filter the DLQ by command without decoding bodies (no token here).
            "MessageAttributes": {"route": {"DataType": "String", "StringValue": job.route}},
        })
        # As botocore does: the body SQS stored is the body sent.
        if answer.get("MD5OfMessageBody") != hashlib.md5(message.encode("utf-8")).hexdigest():
            raise SqsError("SQS stored a different message body (MD5 mismatch)", retriable=False)

    def reset(self) -> None:
        self._client.reset()


def publisher_from_env(queue_url: str, runtime: Callable[[], AwsRuntime] = AwsRuntime.from_env) -> SqsJsonPublisher:
    return SqsJsonPublisher(SqsJsonClient(runtime(), CredentialSource(runtime)), queue_url)
