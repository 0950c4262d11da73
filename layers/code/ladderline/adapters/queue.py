"""The worker's SQS client (boto3). The ingress publishes without boto3: adapters/sqs_json.py."""

from __future__ import annotations

from typing import Any


def sqs_client(endpoint_url: str | None = None) -> Any:
    import boto3
    from botocore.config import Config

    # Fail fast: a stuck call would hold the batch (and its users) until the function times out.
    config = Config(connect_timeout=1, read_timeout=1.5, retries={"max_attempts": 2, "mode": "standard"},
                    tcp_keepalive=True)
    return boto3.client("sqs", endpoint_url=endpoint_url, config=config)


class SqsRetryScheduler:
    """Brings a failed job back sooner than the queue's visibility timeout.

    The timeout must stay at 6x the worker's (for the event source's own retries), which would
    leave a user looking at "thinking..." for 90 s per failed attempt; a shorter visibility for
    just that message retries it in seconds.

    The worker consumes two queues (the jobs and the fan-out lane), one batch from one queue at a
    time: `use_queue` names the batch's queue, so a retry or a deferral stays in its lane.
    """

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._default = queue_url
        self._queue_url = queue_url

    def use_queue(self, queue_url: str | None) -> None:
        """The queue the current batch came from (None: the jobs queue)."""
        self._queue_url = queue_url or self._default

    def retry_in(self, receipt_handle: str, seconds: int) -> None:
        self._client.change_message_visibility(QueueUrl=self._queue_url, ReceiptHandle=receipt_handle,
                                               VisibilityTimeout=seconds)

    def defer(self, job_json: str, seconds: int) -> None:
        # SQS delays a message by at most 15 minutes.
        self._client.send_message(QueueUrl=self._queue_url, MessageBody=job_json,
                                  DelaySeconds=max(0, min(900, seconds)))


def queue_for_source(event_source_arn: str, queue_urls: list[str]) -> str | None:
    """Which of `queue_urls` an SQS event source ARN (arn:aws:sqs:<region>:<account>:<name>) names."""
    name = event_source_arn.rsplit(":", 1)[-1]
    return next((url for url in queue_urls if url and url.rstrip("/").rsplit("/", 1)[-1] == name), None)
