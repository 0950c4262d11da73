"""Publishing jobs to SQS (the only AWS call the ingress makes)."""

from __future__ import annotations

from typing import Any

from ladderline.job import Job


def sqs_client(endpoint_url: str | None = None) -> Any:
    import boto3
    from botocore.config import Config

    # Discord gives us 3 s in all: a slow SQS call must fail fast so the ingress can still answer
    # "temporarily unavailable" in time, rather than time out and leave "This interaction failed".
    config = Config(connect_timeout=1, read_timeout=1.5, retries={"max_attempts": 2, "mode": "standard"},
                    tcp_keepalive=True)
    return boto3.client("sqs", endpoint_url=endpoint_url, config=config)


class SqsPublisher:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def publish(self, job: Job) -> None:
        self._client.send_message(
            QueueUrl=self._queue_url,
            MessageBody=job.to_json(),
            # Lets operators filter the DLQ by command without decoding bodies (no token here).
            MessageAttributes={"route": {"DataType": "String", "StringValue": job.route}},
        )


class SqsRetryScheduler:
    """Brings a failed job back sooner than the queue's visibility timeout.

    The timeout must stay at 6x the worker's (for the event source's own retries), which would
    leave a user looking at "thinking..." for 90 s per failed attempt; a shorter visibility for
    just that message retries it in seconds.
    """

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def retry_in(self, receipt_handle: str, seconds: int) -> None:
        self._client.change_message_visibility(QueueUrl=self._queue_url, ReceiptHandle=receipt_handle,
                                               VisibilityTimeout=seconds)
