"""pytest plugin: AWS through a real moto server on loopback, and the two Lambda handlers wired to it.

The handlers are imported fresh per test *after* the environment points at the moto server, the
test's PostgreSQL database and the test's Discord emulator, because they build their clients at
init exactly as they do in Lambda.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
import pytest
import requests
from ladderctl.stack import lambdas
from ladderctl.stack.lambdas import load_handler
from ladderline import settings as names
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
QUEUE_NAME = "ladderline-jobs"
DLQ_NAME = "ladderline-jobs-dlq"
TABLE_NAME = "ladderline-idempotency"
MAX_RECEIVE_COUNT = 4
VISIBILITY_TIMEOUT = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@dataclass
class AwsResources:
    endpoint: str
    queue_url: str
    dlq_url: str
    table_name: str
    sqs: Any
    dynamodb: Any

    def receive(self, queue_url: str | None = None, *, max_messages: int = 10) -> list[dict]:
        return self.sqs.receive_message(
            QueueUrl=queue_url or self.queue_url, MaxNumberOfMessages=max_messages,
            AttributeNames=["All"], MessageAttributeNames=["All"], WaitTimeSeconds=0,
        ).get("Messages", [])


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> AwsResources:
    """Fresh queue, DLQ (redrive) and idempotency table on the moto server, env pointed at it."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=5)
    for key, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=moto_endpoint)
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=moto_endpoint)
    dlq_url = sqs.create_queue(QueueName=DLQ_NAME)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=QUEUE_NAME, Attributes={
        "VisibilityTimeout": str(VISIBILITY_TIMEOUT),
        "RedrivePolicy": f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{MAX_RECEIVE_COUNT}"}}',
    })["QueueUrl"]
    dynamodb.create_table(
        TableName=TABLE_NAME, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    return AwsResources(moto_endpoint, queue_url, dlq_url, TABLE_NAME, sqs, dynamodb)


class LambdaContext(lambdas.LambdaContext):
    """A Lambda context for a handler call (the worker's 15 s timeout by default, as in template.yaml)."""

    def __init__(self, function_name: str = "worker", timeout_seconds: float = 15.0) -> None:
        super().__init__(function_name, timeout_seconds, region=REGION)


@dataclass
class Pipeline:
    """The deployed shape, in-process: signed event → ingress → SQS (moto) → worker → PostgreSQL → Discord."""

    ingress: ModuleType
    worker: ModuleType
    aws: AwsResources
    discord: Any
    key: Any
    database_url: str
    events_sent: list[dict] = field(default_factory=list)

    def send(self, interaction: dict, **event_options: Any) -> dict:
        """Sign and send an interaction to the ingress handler; track it with the emulator."""
        from tests.support.interactions import dumps, signed_event

        event = signed_event(dumps(interaction), self.key, **event_options)
        response = self.ingress.lambda_handler(event, LambdaContext("ingress", 5))
        if response["statusCode"] == 200 and interaction.get("type") != 1:
            import json

            self.discord.track_interaction(interaction, json.loads(response["body"]))
        return response

    def sqs_event(self, messages: list[dict]) -> dict:
        return lambdas.sqs_event(messages, lambdas.queue_arn(self.aws.queue_url, REGION), REGION)

    def run_worker(self, messages: list[dict] | None = None, *, delete: bool = True) -> dict:
        """Receive (or take) messages, invoke the worker like the event source, delete the successes."""
        messages = self.aws.receive() if messages is None else messages
        if not messages:
            return {"batchItemFailures": []}
        result = self.worker.lambda_handler(self.sqs_event(messages), LambdaContext())
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        if delete:
            for m in messages:
                if m["MessageId"] not in failed:
                    self.aws.sqs.delete_message(QueueUrl=self.aws.queue_url, ReceiptHandle=m["ReceiptHandle"])
        return result


@pytest.fixture
def pipeline_env(aws: AwsResources, discord: Any, discord_key: Any, database_url: str,
                 monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    from tests.support.discord import BOT_TOKEN
    from tests.support.interactions import APPLICATION_ID

    env = {
        names.DISCORD_BOT_TOKEN: BOT_TOKEN,
        names.DISCORD_PUBLIC_KEY: discord_key.verify_key.encode().hex(),
        names.DISCORD_APPLICATION_ID: APPLICATION_ID,
        names.QUEUE_URL: aws.queue_url,
        names.REPLAY_WINDOW_SECONDS: "300",
        names.IDEMPOTENCY_TABLE: aws.table_name,
        names.MAX_RECEIVE_COUNT: str(MAX_RECEIVE_COUNT),
        names.DISCORD_API_BASE: discord.base_url,
        names.DATABASE_URL: database_url,
        names.DB_AUTH: "url",
        names.SERVICE_NAME: "ladderline",
        names.METRICS_NAMESPACE: "Ladderline",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def pipeline(pipeline_env: dict[str, str], aws: AwsResources, discord: Any, discord_key: Any,
             database_url: str) -> Iterator[Pipeline]:
    ingress = load_handler("ingress")
    worker = load_handler("worker")
    yield Pipeline(ingress, worker, aws, discord, discord_key, database_url)
    worker.worker.close()
