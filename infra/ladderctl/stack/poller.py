"""The SQS event source, emulated: batches from the queue into the worker handler.

What Lambda's poller does for a function with ReportBatchItemFailures: long-poll ReceiveMessage
(all attributes, so ApproximateReceiveCount reaches the worker), gather up to BatchSize messages
within MaximumBatchingWindowInSeconds, invoke, then delete every message not named in
batchItemFailures. Failed messages are left alone: they reappear after the visibility timeout
(which the worker itself shortens for a failed job) and SQS (moto too) moves them to the DLQ once received maxReceiveCount times. An invocation that
raises fails the whole batch (nothing deleted), as in Lambda. One poller = one concurrent
invocation: the handler module holds per-invocation state, as a Lambda container does. Like the
event source, which runs up to the function's MaximumConcurrency invocations at once, the poller
runs one polling loop per handler instance it is given (`instances`): each instance is its own
loaded worker module, with its own database connection.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ladderctl.stack.lambdas import LambdaContext, queue_arn, sqs_event

logger = logging.getLogger("ladderctl.stack.poller")

# Long-poll length: short enough that stop() returns promptly.
WAIT_SECONDS = 1
# SQS returns at most 10 messages per ReceiveMessage.
RECEIVE_MAX = 10


@dataclass(frozen=True)
class BatchResult:
    messages: list[dict[str, Any]]
    failed_ids: set[str]
    error: BaseException | None  # the invocation itself raised: every message failed
    elapsed_ms: float


class SqsPoller:
    def __init__(self, sqs: Any, queue_url: str, handler: Callable[[dict, Any], Any], *, region: str,
                 batch_size: int = 10, batching_window_seconds: float = 0, timeout_seconds: float = 15,
                 function_name: str = "worker",
                 on_batch: Callable[[BatchResult], None] | None = None,
                 instances: Sequence[Callable[[dict, Any], Any]] = ()) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        # Further instances (other loaded worker modules), each polled by its own loop.
        self.instances = [handler, *instances]
        self.region = region
        self.batch_size = max(1, batch_size)
        self.window = max(0.0, float(batching_window_seconds))
        self.timeout_seconds = timeout_seconds
        self.function_name = function_name
        self.on_batch = on_batch
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._arn = queue_arn(queue_url, region)

    def start(self) -> SqsPoller:
        for number, handler in enumerate(self.instances):
            thread = threading.Thread(target=self._run, args=(handler,), name=f"sqs-poller-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 30) -> None:
        """Stop polling; invocations under way finish first (as Lambda lets them)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self._threads = []

    def _receive(self, max_messages: int, wait: int) -> list[dict[str, Any]]:
        return self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=min(RECEIVE_MAX, max_messages),
            WaitTimeSeconds=wait, AttributeNames=["All"], MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])

    def _gather(self) -> list[dict[str, Any]]:
        messages = self._receive(self.batch_size, WAIT_SECONDS)
        if not messages:
            return []
        deadline = time.monotonic() + self.window
        while len(messages) < self.batch_size and time.monotonic() < deadline and not self._stop.is_set():
            wait = max(0, min(WAIT_SECONDS, int(deadline - time.monotonic())))
            messages.extend(self._receive(self.batch_size - len(messages), wait))
        return messages

    def poll_once(self, handler: Callable[[dict, Any], Any] | None = None) -> BatchResult | None:
        """One receive + invoke + delete cycle (None when the queue was empty)."""
        handler = handler or self.handler
        messages = self._gather()
        if not messages:
            return None
        started = time.perf_counter()
        error: BaseException | None = None
        failed: set[str] = set()
        try:
            result = handler(sqs_event(messages, self._arn, self.region),
                                  LambdaContext(self.function_name, self.timeout_seconds, self.region))
            failed = {str(item.get("itemIdentifier")) for item in (result or {}).get("batchItemFailures", [])}
        except Exception as exc:  # noqa: BLE001 - a function error: Lambda retries the whole batch
            error = exc
            failed = {m["MessageId"] for m in messages}
        elapsed_ms = (time.perf_counter() - started) * 1000
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):  # DeleteMessageBatch takes at most 10 entries
            chunk = done[start:start + 10]
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)])
        batch = BatchResult(messages, failed, error, elapsed_ms)
        if self.on_batch is not None:
            self.on_batch(batch)
        return batch

    def _run(self, handler: Callable[[dict, Any], Any]) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                self.poll_once(handler)
                backoff = 0.5
            except Exception:
                logger.exception("polling the queue failed; retrying in %.1f s", backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10)
