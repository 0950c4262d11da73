"""The local stack's moto server (ladderctl.stack.quiet_moto): the same answers as moto's, with less CPU.

It keeps the app moto's dispatcher found for SQS and DynamoDB, checks SQS retention from one queue
attribute instead of all of them, and gives moto's SQS a cheaper clock; each is checked here
against moto itself, and the server's visibility timeouts and delays against the clock.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from ladderctl.stack.local_aws import free_port, start_quiet_moto
from ladderctl.stack.quiet_moto import fast_unix_time, fast_unix_time_millis, retention_check, signed_service
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.utils import unix_time, unix_time_millis, utcnow
from moto.sqs.models import SQSBackend, sqs_backends

REGION = "us-east-1"
KEYS = {"region_name": REGION, "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def quiet_moto() -> Iterator[str]:
    port = free_port("127.0.0.1")
    server = start_quiet_moto("127.0.0.1", port)  # as the local stack starts it
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_signed_service_reads_the_sigv4_credential_scope() -> None:
    header = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/us-east-1/dynamodb/aws4_request, "
              "SignedHeaders=host;x-amz-date, Signature=abc")
    assert signed_service(header) == "dynamodb"
    assert signed_service(header.replace("dynamodb", "SQS")) == "sqs"
    assert signed_service("") is None
    assert signed_service("AWS AKID:signature") is None  # SigV2: left to moto's dispatcher
    assert signed_service("AWS4-HMAC-SHA256 Credential=garbled, Signature=x") is None


def test_sqs_and_dynamodb_on_one_server_answer_as_moto(quiet_moto: str) -> None:
    sqs = boto3.client("sqs", endpoint_url=quiet_moto, **KEYS)
    dynamodb = boto3.client("dynamodb", endpoint_url=quiet_moto, **KEYS)
    queue_url = sqs.create_queue(QueueName="quiet-jobs", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    dynamodb.create_table(TableName="quiet-table", BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    for n in range(3):  # the second and third calls of each service take the kept app
        sqs.send_message(QueueUrl=queue_url, MessageBody=f"job {n}")
        dynamodb.put_item(TableName="quiet-table", Item={"id": {"S": f"k{n}"}},
                          ConditionExpression="attribute_not_exists(id)")
    bodies = sorted(m["Body"] for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"])
    assert bodies == ["job 0", "job 1", "job 2"]
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
        dynamodb.put_item(TableName="quiet-table", Item={"id": {"S": "k1"}}, ConditionExpression="attribute_not_exists(id)")
    assert dynamodb.get_item(TableName="quiet-table", Key={"id": {"S": "k2"}})["Item"] == {"id": {"S": "k2"}}

    # moto's own API still goes through its dispatcher.
    reset = urllib.request.Request(f"{quiet_moto}/moto-api/reset", method="POST")
    assert json.load(urllib.request.urlopen(reset, timeout=10)) == {"status": "ok"}
    assert sqs.list_queues().get("QueueUrls", []) == []
    assert dynamodb.list_tables()["TableNames"] == []


@mock_aws
def test_retention_check_agrees_with_motos_own() -> None:
    sqs = boto3.client("sqs", **KEYS)
    queue_url = sqs.create_queue(QueueName="retained", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    for n in range(5):
        sqs.send_message(QueueUrl=queue_url, MessageBody=f"m{n}")
    backend: SQSBackend = sqs_backends[DEFAULT_ACCOUNT_ID][REGION]
    messages = list(backend.get_queue("retained")._messages)
    now_ms = unix_time() * 1000
    for message, age_seconds in zip(messages, [0, 30, 59.5, 61, 600], strict=True):
        message.sent_timestamp = int(now_ms - age_seconds * 1000)
        ours = retention_check(backend, "retained", message)
        motos = SQSBackend.is_message_valid_based_on_retention_period(backend, "retained", message)
        assert ours == motos == (age_seconds < 60), age_seconds


def test_the_cheaper_clock_reads_the_same_instant_as_motos() -> None:
    assert abs(fast_unix_time() - unix_time()) < 0.05
    assert abs(fast_unix_time_millis() - unix_time_millis()) < 50
    moment = utcnow()
    assert fast_unix_time(moment) == unix_time(moment) and fast_unix_time_millis(moment) == unix_time_millis(moment)


def test_visibility_timeouts_and_delays_follow_the_clock_on_the_server(quiet_moto: str) -> None:
    sqs = boto3.client("sqs", endpoint_url=quiet_moto, **KEYS)
    queue_url = sqs.create_queue(QueueName="quiet-clock")["QueueUrl"]

    def receive() -> list[dict]:
        return sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=1,
                                   MessageSystemAttributeNames=["ApproximateReceiveCount"]).get("Messages", [])

    sqs.send_message(QueueUrl=queue_url, MessageBody="now")
    sqs.send_message(QueueUrl=queue_url, MessageBody="later", DelaySeconds=1)
    first = receive()
    assert [m["Body"] for m in first] == ["now"]
    assert receive() == []  # "now" is in flight for 1 s, "later" still delayed
    time.sleep(1.3)
    again = {m["Body"]: m["Attributes"]["ApproximateReceiveCount"] for m in receive()}
    assert again == {"now": "2", "later": "1"}


def test_what_quiet_moto_replaces_still_exists_in_this_moto() -> None:
    """After a moto upgrade, a renamed target would leave quiet_moto's replacements unused, silently."""
    import moto.sqs.models as sqs_models
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    assert callable(SQSBackend.is_message_valid_based_on_retention_period)
    assert sqs_models.unix_time is unix_time and sqs_models.unix_time_millis is unix_time_millis
    assert callable(DomainDispatcherApplication.get_application)


def test_simultaneous_conditional_writes_of_one_key_have_one_winner(quiet_moto: str) -> None:
    # As in DynamoDB, and as the idempotency record needs: a conditional put is one atomic step.
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from botocore.exceptions import ClientError

    clients = [boto3.client("dynamodb", endpoint_url=quiet_moto, **KEYS) for _ in range(16)]
    clients[0].create_table(TableName="race", BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    keys, writers = 10, 32
    start = threading.Barrier(writers)

    def claim(writer: int) -> int:
        client = clients[writer % len(clients)]
        start.wait()
        won = 0
        for key in range(keys):
            try:
                client.put_item(TableName="race", Item={"id": {"S": f"k{key}"}, "by": {"N": str(writer)}},
                                ConditionExpression="attribute_not_exists(id)")
                won += 1
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
        return won

    with ThreadPoolExecutor(max_workers=writers) as pool:
        assert sum(pool.map(claim, range(writers))) == keys  # one winner per key


def test_the_write_lock_makes_a_check_then_write_one_step(monkeypatch: pytest.MonkeyPatch) -> None:
    # moto's race is a few microseconds wide; widened here, the lock is what makes one winner.
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import moto.dynamodb.models as dynamodb_models
    from ladderctl.stack import quiet_moto as module

    stored: dict[str, int] = {}

    def slow_conditional_put(self: object, table: str, item: dict, *args: object, **kwargs: object) -> None:
        if item["id"] in stored:  # the condition...
            raise ValueError("ConditionalCheckFailed")
        time.sleep(0.01)  # ...then the write, later
        stored[item["id"]] = item["by"]

    def race() -> int:
        stored.clear()
        start = threading.Barrier(8)

        def claim(writer: int) -> bool:
            start.wait()
            try:
                dynamodb_models.DynamoDBBackend.put_item(object(), "t", {"id": "k", "by": writer})
                return True
            except ValueError:
                return False

        with ThreadPoolExecutor(max_workers=8) as pool:
            return sum(pool.map(claim, range(8)))

    monkeypatch.setattr(dynamodb_models.DynamoDBBackend, "put_item", slow_conditional_put)
    assert race() > 1  # without the lock: several winners
    module.atomic_dynamodb_writes()
    assert race() == 1


def test_a_delete_waits_for_the_queue_lock_a_send_takes() -> None:
    # moto rebuilt the message list on delete without the queue's lock, so a send landing in
    # between vanished (an accepted interaction never processed). With the patch a delete waits
    # for the lock add_message holds, so the rebuild can never overwrite a send.
    import threading

    from ladderctl.stack.quiet_moto import atomic_sqs_queues

    atomic_sqs_queues()  # as the local stack's moto server does at start
    with mock_aws():
        backend = sqs_backends[DEFAULT_ACCOUNT_ID][REGION]
        backend.create_queue("locked")
        backend.send_message("locked", "old")
        [message] = backend.receive_message("locked", 1, 0, 300)
        queue = backend.get_queue("locked")
        deleted = threading.Event()
        with queue._messages_lock:  # a send in progress
            deleter = threading.Thread(target=lambda: (backend.delete_message("locked", message.receipt_handle),
                                                       deleted.set()))
            deleter.start()
            assert not deleted.wait(0.3)  # the delete waits for the send
            queue._messages.append(queue._messages[0].__class__("new-id", "new"))  # the send lands
        deleter.join(timeout=5)
        assert deleted.is_set() and [m.body for m in queue._messages] == ["new"]
