"""moto's server, lighter and at a chosen priority (`python -m ladderctl.stack.quiet_moto NICENESS -H HOST -p PORT`).

Under a burst the local stack is CPU-bound on two cores and moto is about half of that CPU (README,
Benchmarks), so this runs moto's own application with four costs taken out, none of which
changes an answer:
- werkzeug logs every request at INFO; formatting those lines (sent to /dev/null by the local
  stack) took about a tenth of moto's CPU.
- moto's dispatcher finds each request's service anew: under one lock, it lists moto's ~150
  package folders (a listdir and an isdir each) before it reads the SigV4 scope. The app it finds
  for an SQS or DynamoDB request is kept here by (signed service, X-Amz-Target prefix).
- moto's SQS checks each received message's retention by computing every queue attribute, three
  of which scan every message in the queue: a receive cost O(messages in the queue) per message
  returned, so a backlog made every receive slower, and with it the acks' SendMessage. The check
  here reads the queue's retention period alone.
- moto's SQS reads the clock for every message it looks at (is it visible? delayed?) through
  moto's unix_time, which builds two datetimes and imports a name on each call; SendMessage scans
  the whole queue three times (the queue's attributes again). Its clock here is time.time(), the
  same instant: with 500 messages in the queue a SendMessage took 5.6 ms of CPU, 0.3 ms with it.
And one thing added, which does change an answer, to the one real DynamoDB gives:
- moto's DynamoDB checks a write's condition, then writes, without a lock: of 200 simultaneous
  conditional PutItems on one key, sometimes two succeeded, and two copies of one interaction
  both ran (the idempotency record is exactly such a write). DynamoDB applies each item's
  conditional write atomically; here every DynamoDB write runs under one lock.
NICENESS is added to the process's niceness (0: unchanged; local_aws.py lowers DynamoDB's).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import logging
import os
import sys
import threading
import time
from typing import Any

import moto.dynamodb.models as dynamodb_models
import moto.sqs.models as sqs_models
from moto.core.utils import unix_time, unix_time_millis
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.sqs.models import Message, SQSBackend
from werkzeug.serving import run_simple

# The services the local stack calls at volume; any other request goes through moto's dispatcher.
CACHED_SERVICES = frozenset({"sqs", "dynamodb"})


def signed_service(authorization: str) -> str | None:
    """The service in a SigV4 Authorization header's credential scope
    (`AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...`), else None."""
    if not authorization.startswith("AWS4-HMAC-SHA256 Credential="):
        return None
    scope = authorization[len("AWS4-HMAC-SHA256 Credential="):].split(",", 1)[0].split("/")
    return scope[3].lower() if len(scope) == 5 else None


class ServiceCachingDispatcher(DomainDispatcherApplication):
    """moto's dispatcher, asked once per (service, target prefix) instead of once per request."""

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._by_key: dict[tuple[str, str], Any] = {}

    def get_application(self, environ: dict[str, Any]) -> Any:
        service = signed_service(environ.get("HTTP_AUTHORIZATION", ""))
        if service not in CACHED_SERVICES or environ.get("PATH_INFO", "").startswith("/moto-api"):
            return super().get_application(environ)
        # DynamoDB and DynamoDB Streams share a signing name; the target prefix tells them apart.
        key = (service, environ.get("HTTP_X_AMZ_TARGET", "").split(".", 1)[0])
        app = self._by_key.get(key)
        if app is None:
            app = self._by_key.setdefault(key, super().get_application(environ))
        return app


def retention_check(self: SQSBackend, queue_name: str, message: Message) -> bool:
    """SQSBackend.is_message_valid_based_on_retention_period, reading one attribute instead of all."""
    queue = self.get_queue(queue_name)
    return int(queue.message_retention_period) + message.sent_timestamp / 1000 > time.time()  # type: ignore[attr-defined,operator]


def fast_unix_time(dt: datetime.datetime | None = None) -> float:
    """moto's unix_time: seconds since the epoch, of now or of a naive UTC datetime."""
    return time.time() if dt is None else unix_time(dt)


def fast_unix_time_millis(dt: datetime.datetime | None = None) -> float:
    return time.time() * 1000.0 if dt is None else unix_time_millis(dt)


def lighten_sqs() -> None:
    """The retention check and the clock above, in place of moto's (this process only)."""
    SQSBackend.is_message_valid_based_on_retention_period = retention_check  # type: ignore[method-assign]
    sqs_models.unix_time = fast_unix_time
    sqs_models.unix_time_millis = fast_unix_time_millis


# DynamoDB's writes whose condition check and write must be one step.
ATOMIC_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
_dynamodb_writes = threading.Lock()


def atomic_dynamodb_writes() -> None:
    """Every DynamoDB write of this process checks its condition and writes under one lock."""
    backend = dynamodb_models.DynamoDBBackend
    for name in ATOMIC_WRITES:
        original = getattr(backend, name)
        if getattr(original, "_atomic", False):
            continue

        @functools.wraps(original)
        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _dynamodb_writes:
                return __original(self, *args, **kwargs)

        locked._atomic = True  # type: ignore[attr-defined]
        setattr(backend, name, locked)


# SQS calls that read and rewrite a queue's message list. moto's delete_message rebuilds the list
# and assigns it back without the queue's lock, so a message sent in between was dropped: an
# accepted interaction (SendMessage answered) that no worker ever saw, in neither queue nor DLQ
# (issue 23's "lost interaction"). Real SQS loses nothing; here each call holds its queue's lock.
QUEUE_CALLS = ("receive_message", "delete_message", "change_message_visibility", "purge_queue")


def atomic_sqs_queues() -> None:
    """Every call above runs under its queue's own lock (the Condition moto's add_message takes);
    a long poll's wait releases it, so senders are never held up by a waiting receiver."""
    for name in QUEUE_CALLS:
        original = getattr(SQSBackend, name)
        if getattr(original, "_atomic", False):
            continue

        @functools.wraps(original)
        def locked(self: Any, queue_name: str, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with self.get_queue(queue_name)._messages_lock:
                return __original(self, queue_name, *args, **kwargs)

        locked._atomic = True  # type: ignore[attr-defined]
        setattr(SQSBackend, name, locked)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m ladderctl.stack.quiet_moto")
    parser.add_argument("niceness", type=int)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    if args.niceness:
        with contextlib.suppress(OSError, AttributeError):
            os.nice(args.niceness)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds queue URLs from it
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    lighten_sqs()
    atomic_dynamodb_writes()
    atomic_sqs_queues()
    run_simple(args.host, args.port, ServiceCachingDispatcher(), threaded=True,
               request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main(sys.argv[1:])
