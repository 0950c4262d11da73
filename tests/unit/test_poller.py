"""The local SQS event source (ladderctl.stack.poller) against moto's SQS, and its settings from template.yaml.

Visibility timeout 0 here so redeliveries are immediate; the stack uses the template's.
"""

from __future__ import annotations

import itertools
import json
import threading
import time

import boto3
import pytest
from ladderctl.stack.local_aws import read_template
from ladderctl.stack.poller import SqsPoller

_names = itertools.count()


@pytest.fixture
def queues(moto_endpoint: str):
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=moto_endpoint,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    suffix = next(_names)
    dlq_url = sqs.create_queue(QueueName=f"poller-dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=f"poller-jobs-{suffix}", Attributes={
        "VisibilityTimeout": "0",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
    })["QueueUrl"]
    return sqs, queue_url, dlq_url


def count(sqs, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                        "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attributes["Attributes"].values())


class Recorder:
    """A worker handler that fails the bodies it is told to, and remembers what it saw."""

    def __init__(self, fail: set[str] = frozenset(), raise_error: bool = False) -> None:
        self.fail = fail
        self.raise_error = raise_error
        self.events: list[dict] = []
        self.remaining_ms: list[int] = []

    def __call__(self, event: dict, context: object) -> dict:
        self.events.append(event)
        self.remaining_ms.append(context.get_remaining_time_in_millis())
        if self.raise_error:
            raise RuntimeError("boom")
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]
                                      if r["body"] in self.fail]}


def test_successes_are_deleted_and_failures_stay_for_redelivery(queues) -> None:
    sqs, queue_url, _ = queues
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    handler = Recorder(fail={"b"})
    poller = SqsPoller(sqs, queue_url, handler, region="us-east-1", batch_size=10)

    batch = poller.poll_once()

    assert sorted(r["body"] for r in handler.events[0]["Records"]) == ["a", "b", "c"]
    assert len(batch.failed_ids) == 1
    again = poller.poll_once()
    assert [r["body"] for r in handler.events[1]["Records"]] == ["b"]
    assert handler.events[1]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    assert again.failed_ids


def test_a_message_failing_max_receive_count_times_moves_to_the_dlq(queues) -> None:
    sqs, queue_url, dlq_url = queues
    sqs.send_message(QueueUrl=queue_url, MessageBody="poison")
    poller = SqsPoller(sqs, queue_url, Recorder(fail={"poison"}), region="us-east-1")

    attempts = [poller.poll_once() for _ in range(3)]

    assert [a is not None for a in attempts] == [True, True, False]  # maxReceiveCount 2
    moved = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=0).get("Messages", [])
    assert [m["Body"] for m in moved] == ["poison"]
    assert count(sqs, queue_url) == 0


def test_an_invocation_that_raises_fails_the_whole_batch(queues) -> None:
    sqs, queue_url, _ = queues
    sqs.send_message(QueueUrl=queue_url, MessageBody="x")
    sqs.send_message(QueueUrl=queue_url, MessageBody="y")
    poller = SqsPoller(sqs, queue_url, Recorder(raise_error=True), region="us-east-1")

    batch = poller.poll_once()

    assert isinstance(batch.error, RuntimeError)
    assert len(batch.failed_ids) == 2
    assert count(sqs, queue_url) == 2


def test_batches_respect_the_batch_size_and_carry_a_lambda_context(queues) -> None:
    sqs, queue_url, _ = queues
    for i in range(5):
        sqs.send_message(QueueUrl=queue_url, MessageBody=f"m{i}")
    handler = Recorder()
    poller = SqsPoller(sqs, queue_url, handler, region="us-east-1", batch_size=2, timeout_seconds=15)

    while poller.poll_once() is not None:
        pass

    assert all(len(e["Records"]) <= 2 for e in handler.events)
    assert sorted(r["body"] for e in handler.events for r in e["Records"]) == [f"m{i}" for i in range(5)]
    record = handler.events[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(queue_url.rsplit("/", 1)[1])
    # The worker's deadline comes from the context: the template's timeout, not Lambda's 3 s default.
    assert 10_000 < handler.remaining_ms[0] <= 15_000
    assert count(sqs, queue_url) == 0


def test_the_local_stack_takes_its_queue_and_event_source_settings_from_the_template() -> None:
    settings = read_template()

    assert settings.visibility_timeout == 90
    assert settings.max_receive_count == 4
    assert settings.batch_size == 10
    assert settings.batching_window_seconds == 0
    assert settings.worker_timeout == 15
    assert settings.ingress_timeout == 5
    assert settings.key_schema == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert settings.ttl_attribute == "expiration"
    assert settings.visibility_timeout >= 6 * settings.worker_timeout


def test_several_instances_invoke_side_by_side_each_with_its_own_batches(queues) -> None:
    sqs, _, _ = queues
    # A real visibility timeout: a message in flight in one instance is not handed to another.
    queue_url = sqs.create_queue(QueueName=f"poller-side-by-side-{next(_names)}",
                                 Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    instances = 3
    # Each invocation waits until all three are in flight: one invocation at a time never gets there.
    all_in = threading.Barrier(instances, timeout=20)
    seen: dict[int, list[str]] = {}
    lock = threading.Lock()

    def instance(number: int):
        def handler(event: dict, context: object) -> dict:
            with lock:
                first = number not in seen
                seen.setdefault(number, []).extend(r["body"] for r in event["Records"])
            if first:
                all_in.wait()
            return {"batchItemFailures": []}
        return handler

    for body in range(30):
        sqs.send_message(QueueUrl=queue_url, MessageBody=str(body))
    poller = SqsPoller(sqs, queue_url, instance(0), region="us-east-1", batch_size=1,
                       instances=[instance(n) for n in range(1, instances)]).start()
    try:
        deadline = time.monotonic() + 60
        while count(sqs, queue_url) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        poller.stop()

    assert not all_in.broken
    assert set(seen) == {0, 1, 2}
    bodies = [b for batch in seen.values() for b in batch]
    assert sorted(bodies, key=int) == [str(n) for n in range(30)]  # each message invoked once
