"""The worker's DynamoDB calls without botocore: the AWS JSON protocol on kept-alive connections.

Why: each job makes two DynamoDB calls (Powertools idempotency: a conditional PutItem, then an
UpdateItem), and a batch's ten jobs run side by side under one GIL. botocore spends ~3 ms of CPU on
each call on the bench machine (parameter validation, a dozen event hooks, endpoint rules, urllib3
and http.client, shape-driven parsing), twenty calls a batch that the tenth user waits behind. This
client sends the same request (SigV4 by adapters/sigv4.py, adapters/http1.py) for a few tenths of a
millisecond; Part D of `make bench` prints both.

It is a drop-in for the four low-level methods the worker calls on `boto3.client("dynamodb")`
(put_item, get_item, update_item, delete_item: Powertools' DynamoDBPersistenceLayer takes it as
`boto3_client`, adapters/invalid_requests.py as its client). Parameters and answers are the wire
JSON, which is what the low-level client takes and returns for DynamoDB. Errors are raised as
botocore's ClientError with the same `response` (Error.Code, Error.Message, and the error's own
fields, such as the old `Item` of a ConditionalCheckFailedException with
ReturnValuesOnConditionCheckFailure), which is what Powertools reads.

- One connection per thread (a batch's records run on a pool: requests on one HTTP/1.1 connection
  cannot interleave), reopened at once when the server closed it while idle (Http1Connection.exchange).
- Retries as botocore's standard mode does, and as often: throttling, 5xx, a dropped connection
  and a body whose CRC32 does not match DynamoDB's x-amz-crc32 are retried with jittered
  exponential backoff. A PutItem retried after a lost answer may meet its own record: the
  condition then fails, as it does with botocore (Powertools treats it as a job in progress and
  the message comes back after the in-progress expiry).
- Timeouts: CONNECT_TIMEOUT, READ_TIMEOUT per attempt, as sqs_client() sets them for SQS.
"""

from __future__ import annotations

import json
import random
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ladderline.adapters.http1 import Http1Connection
from ladderline.adapters.sigv4 import SigV4Signer
from ladderline.adapters.sqs_json import CredentialSource, SqsError, Url, tls_context
from ladderline.settings import AwsRuntime

CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 2.0
MAX_ATTEMPTS = 3  # botocore's standard retry mode
BACKOFF_BASE = 0.05
BACKOFF_CAP = 1.0
CONTENT_TYPE = "application/x-amz-json-1.0"
TARGET_PREFIX = "DynamoDB_20120810."
_RETRIABLE_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "ServiceUnavailable", "TransactionInProgressException",
})


class _Retry(Exception):
    """This attempt failed in a way another attempt may not; `error` is DynamoDB's answer, if any."""

    def __init__(self, message: str, error: ClientError | None = None) -> None:
        super().__init__(message)
        self.error = error


class DynamoDbJsonClient:
    def __init__(self, runtime: AwsRuntime, credentials: CredentialSource, *,
                 connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT,
                 max_attempts: int = MAX_ATTEMPTS, sleep: Callable[[float], None] = time.sleep) -> None:
        endpoint = runtime.endpoint_url or f"https://dynamodb.{runtime.region}.amazonaws.com"
        parts = Url(endpoint)
        self._https = parts.scheme == "https"
        self._hostname = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if self._https else 80)
        self._host = parts.netloc
        self._path = parts.path.rstrip("/") + "/"
        self._signer = SigV4Signer("dynamodb", runtime.region)
        self._credentials = credentials
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._local = threading.local()
        self._all: list[Http1Connection] = []  # every thread's, for close()
        self._lock = threading.Lock()

    # --- what boto3's low-level client offers, for the calls the worker makes --------------------
    def put_item(self, **params: Any) -> dict[str, Any]:
        return self._call("PutItem", params)

    def get_item(self, **params: Any) -> dict[str, Any]:
        return self._call("GetItem", params)

    def update_item(self, **params: Any) -> dict[str, Any]:
        return self._call("UpdateItem", params)

    def delete_item(self, **params: Any) -> dict[str, Any]:
        return self._call("DeleteItem", params)

    def close(self) -> None:
        with self._lock:
            connections, self._all = self._all, []
        for conn in connections:
            conn.close()

    # --- plumbing --------------------------------------------------------------------------------
    def _connection(self) -> Http1Connection:
        conn: Http1Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = Http1Connection(self._hostname, self._port, tls=tls_context() if self._https else None)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _call(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(params, separators=(",", ":")).encode("utf-8")
        for attempt in range(1, self._max_attempts + 1):
            try:
                return self._attempt(action, body)
            except _Retry as exc:
                if attempt == self._max_attempts:
                    # As botocore: DynamoDB's last answer, or the network's error.
                    raise exc.error or ConnectionError(f"DynamoDB {action}: {exc}") from exc
                # Full jitter, as botocore's standard mode: spread the retries of many containers.
                self._sleep(random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))))
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, action: str, body: bytes) -> dict[str, Any]:
        try:
            headers = self._signer.sign("POST", self._host, self._path, {
                "Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET_PREFIX + action}, body, self._credentials.get())
            status, answer_headers, data = self._connection().exchange(
                "POST", self._path, headers, body, connect_timeout=self._connect_timeout,
                read_timeout=self._read_timeout)
        except SqsError as exc:  # the container credentials endpoint did not answer
            raise _Retry(str(exc)) from exc
        except OSError as exc:  # refused, timed out, TLS, the connection lost
            raise _Retry(f"{type(exc).__name__}: {exc}") from exc
        return _decode(action, status, answer_headers, data)


def _decode(action: str, status: int, headers: dict[str, str], data: bytes) -> dict[str, Any]:
    expected_crc = headers.get("x-amz-crc32")
    if expected_crc is not None and expected_crc.isdigit() and zlib.crc32(data) != int(expected_crc):
        raise _Retry("the answer's CRC32 does not match x-amz-crc32")
    try:
        parsed = json.loads(data) if data else {}
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        if status < 300 or status >= 500:  # a garbled answer, or a failing front end: ask again
            raise _Retry(f"DynamoDB answered {status} with a body that is not a JSON object")
        parsed = {}  # e.g. a proxy's HTML error page: the status says what happened
    if 200 <= status < 300:
        return parsed
    code = str(parsed.get("__type", "")).rsplit("#", 1)[-1] or f"HTTP{status}"
    message = parsed.get("message") or parsed.get("Message") or ""
    extra = {key: value for key, value in parsed.items() if key not in ("__type", "message", "Message")}
    error = ClientError({"Error": {"Code": code, "Message": str(message)},
                         "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": headers.get("x-amzn-requestid", "")},
                         **extra}, action)
    if status >= 500 or code in _RETRIABLE_CODES:
        raise _Retry(f"DynamoDB answered {status} {code}", error)
    raise error


def dynamodb_client_from_env(runtime: Callable[[], AwsRuntime] | None = None) -> DynamoDbJsonClient:
    runtime = runtime or (lambda: AwsRuntime.from_env(service="dynamodb"))
    return DynamoDbJsonClient(runtime(), CredentialSource(runtime))
