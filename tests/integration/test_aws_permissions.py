"""The AWS calls each handler really makes (through botocore, or our own SQS and DynamoDB clients) are
the ones settings.py declares (and the template test checks the roles grant exactly those):
together they prove IAM covers every call, no more."""

from __future__ import annotations

import contextlib
import json

import botocore.client
import pytest
from ladderline import settings
from ladderline.adapters.dynamodb_json import DynamoDbJsonClient
from ladderline.adapters.sqs_json import SqsJsonClient

from tests.support.aws import LambdaContext, load_handler
from tests.support.interactions import make_interaction

PING = {"id": "1", "name": "ping", "type": 1}
# /ping dm_after schedules a timer: the worker publishes it to its own queue.
PING_WITH_TIMER = {**PING, "options": [{"name": "dm_after", "type": 4, "value": 0}]}


@pytest.fixture
def calls(monkeypatch):
    made: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(client, operation_name, api_params):
        made.append(f"{client.meta.service_model.signing_name}:{operation_name}")
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    # The ingress signs its own calls (no botocore): record them where they are made.
    original_call = SqsJsonClient.call

    def recording_call(client, target, payload):
        made.append(f"sqs:{target}")
        return original_call(client, target, payload)

    monkeypatch.setattr(SqsJsonClient, "call", recording_call)
    # So does the worker's DynamoDB client.
    original_dynamodb = DynamoDbJsonClient._call

    def recording_dynamodb(client, action, params):
        made.append(f"dynamodb:{action}")
        return original_dynamodb(client, action, params)

    monkeypatch.setattr(DynamoDbJsonClient, "_call", recording_dynamodb)
    return made


@contextlib.contextmanager
def collected(calls):
    calls.clear()
    found: set[str] = set()
    yield found
    found.update(calls)


# API operations authorised by another action's permission (AWS: "the permissions for
# SendMessageBatch are the same as for SendMessage").
AUTHORISED_AS = {"sqs:SendMessageBatch": "sqs:SendMessage"}


def as_iam(operations: set[str]) -> set[str]:
    return {AUTHORISED_AS.get(op, op) for op in operations}


def test_each_handler_calls_only_what_its_role_grants(pipeline, calls):
    interaction = make_interaction(2, data=PING_WITH_TIMER)
    with collected(calls) as ingress_calls:
        pipeline.send(interaction)
    [message] = pipeline.aws.receive()
    with collected(calls) as worker_calls:
        pipeline.worker.lambda_handler(pipeline.sqs_event([message]), LambdaContext())
        pipeline.worker.lambda_handler(pipeline.sqs_event([message]), LambdaContext())  # a replay reads too

    [timer] = pipeline.aws.receive()
    assert json.loads(timer["Body"])["kind"] == "timer"
    pipeline.aws.sqs.delete_message(QueueUrl=pipeline.aws.queue_url, ReceiptHandle=timer["ReceiptHandle"])

    # A failed attempt releases its claim (DeleteItem); a new container's replay reads DynamoDB.
    failing = make_interaction(2, data=PING)
    pipeline.send(failing)
    # (Discord unavailable: a rate limit would put the job back as a new message instead.)
    pipeline.discord.script("PATCH", "/webhooks/*/messages/@original", 503, {"message": "down"}, times=20)
    [retried] = pipeline.aws.receive()
    with collected(calls) as more_worker_calls:
        assert pipeline.worker.lambda_handler(pipeline.sqs_event([retried]), LambdaContext())["batchItemFailures"]
        fresh_container = load_handler("worker")
        fresh_container.lambda_handler(pipeline.sqs_event([message]), LambdaContext())

    assert ingress_calls == set(settings.INGRESS_AWS_ACTIONS)
    worker_grants = set(settings.WORKER_AWS_ACTIONS) | set(settings.WORKER_QUEUE_ACTIONS)
    assert as_iam(worker_calls | more_worker_calls) <= worker_grants
    # Every granted action is really used: the failed attempt also shortened its retry delay, and
    # /ping dm_after published its timer.
    # (GetItem: the shared invalid-request count, read before calling Discord.)
    assert as_iam(worker_calls | more_worker_calls) == worker_grants


