"""The worker's own DynamoDB client (no botocore on the call path): the calls the worker makes answer as
boto3's do against the moto server, errors carry what Powertools reads, and retries, CRC checks,
per-thread connections and exhausted retries behave as botocore's standard mode does."""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from botocore.exceptions import ClientError
from ladderctl.stack.lambdas import LambdaContext
from ladderline.adapters.dynamodb_json import DynamoDbJsonClient, dynamodb_client_from_env
from ladderline.adapters.invalid_requests import DynamoDbInvalidRequestCounter
from ladderline.adapters.sqs_json import CredentialSource
from ladderline.settings import AwsRuntime

CONDITION = "attribute_not_exists(#id) OR #expiry < :now"


def client_for(endpoint: str, **options: Any) -> DynamoDbJsonClient:
    runtime = AwsRuntime.from_env({"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
                                   "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                                   "AWS_SESSION_TOKEN": "testing"}, service="dynamodb")
    return DynamoDbJsonClient(runtime, CredentialSource(lambda: runtime), sleep=lambda _: None, **options)


def _strip(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k not in ("ResponseMetadata", "ConsumedCapacity")}


def _calls(client: Any, table: str) -> list[Any]:
    outcomes: list[Any] = []
    put = {"TableName": table, "Item": {"id": {"S": "k"}, "expiration": {"N": "4102444800"}, "status": {"S": "INPROGRESS"}},
           "ConditionExpression": CONDITION, "ExpressionAttributeNames": {"#id": "id", "#expiry": "expiration"},
           "ExpressionAttributeValues": {":now": {"N": "1"}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    calls = [
        ("put_item", put),
        ("put_item", put),  # taken: ConditionalCheckFailedException with the old item
        ("update_item", {"TableName": table, "Key": {"id": {"S": "k"}},
                         "UpdateExpression": "SET #status = :s", "ExpressionAttributeNames": {"#status": "status"},
                         "ExpressionAttributeValues": {":s": {"S": "COMPLETED"}}}),
        ("update_item", {"TableName": table, "Key": {"id": {"S": "hits"}},
                         "UpdateExpression": "ADD hits :n SET expiration = if_not_exists(expiration, :exp)",
                         "ExpressionAttributeValues": {":n": {"N": "3"}, ":exp": {"N": "4102444800"}},
                         "ReturnValues": "UPDATED_NEW"}),
        ("get_item", {"TableName": table, "Key": {"id": {"S": "k"}}, "ConsistentRead": True}),
        ("delete_item", {"TableName": table, "Key": {"id": {"S": "k"}}}),
        ("get_item", {"TableName": table, "Key": {"id": {"S": "k"}}, "ConsistentRead": True}),
        ("get_item", {"TableName": table + "-gone", "Key": {"id": {"S": "k"}}}),
    ]
    for method, params in calls:
        try:
            outcomes.append(("ok", _strip(getattr(client, method)(**params))))
        except ClientError as exc:
            outcomes.append((exc.response["Error"]["Code"], exc.response.get("Item"), exc.operation_name))
    return outcomes


def test_the_workers_calls_answer_as_boto3s_do_on_moto(aws):
    ours = _calls(client_for(aws.endpoint), aws.table_name)
    aws.dynamodb.delete_item(TableName=aws.table_name, Key={"id": {"S": "hits"}})
    theirs = _calls(aws.dynamodb, aws.table_name)

    assert ours == theirs
    assert ours[1] == ("ConditionalCheckFailedException",
                       {"id": {"S": "k"}, "expiration": {"N": "4102444800"}, "status": {"S": "INPROGRESS"}}, "PutItem")
    assert ours[3][0] == "ok" and ours[3][1]["Attributes"]["hits"] == {"N": "3"}
    assert ours[-1][0] == "ResourceNotFoundException"


def test_powertools_idempotency_and_the_invalid_request_counter_run_on_it(aws):
    client = client_for(aws.endpoint)
    runs = []

    config = IdempotencyConfig(event_key_jmespath="id")
    # As the worker does: Powertools reads the invocation's remaining time from it.
    config.register_lambda_context(LambdaContext("worker", 15, "us-east-1"))

    @idempotent_function(data_keyword_argument="job", config=config,
                         persistence_store=DynamoDBPersistenceLayer(table_name=aws.table_name, boto3_client=client))
    def handle(job: dict) -> dict:
        runs.append(job["id"])
        return {"answered": job["id"]}

    assert handle(job={"id": "1"}) == handle(job={"id": "1"}) == {"answered": "1"}
    assert runs == ["1"]
    counter = DynamoDbInvalidRequestCounter(client, aws.table_name, limit=5)
    counter.record(3)
    counter.record(2)
    assert counter.is_open()


class Scripted:
    """A stand-in DynamoDB: answers from a script, counts connections and requests."""

    def __init__(self, script: list[str]) -> None:
        self.script = script  # per request: "ok", "500", "throttle", "bad-crc", "garbled", "close"
        self.requests: list[dict[str, Any]] = []
        self.connections = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                outer.connections += 1
                super().setup()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"target": self.headers["X-Amz-Target"], "body": json.loads(body),
                                       "thread": threading.get_ident()})
                step = outer.script.pop(0) if outer.script else "ok"
                status, answer = {
                    "500": (500, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError"}),
                    "throttle": (400, {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                                       "message": "slow down"}),
                    "garbled": (200, "<html>"),
                }.get(step, (200, {"Item": {"id": {"S": "k"}}}))
                data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                crc = zlib.crc32(data) + (1 if step == "bad-crc" else 0)
                self.send_header("x-amz-crc32", str(crc))
                self.end_headers()
                self.wfile.write(data)
                if step == "close":  # as a server closing an idle keep-alive connection
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def scripted() -> Iterator[Any]:
    made: list[Scripted] = []

    def make(*script: str) -> Scripted:
        made.append(Scripted(list(script)))
        return made[-1]

    yield make
    for server in made:
        server.server.shutdown()
        server.server.server_close()


@pytest.mark.parametrize("failure", ["500", "throttle", "bad-crc", "garbled"])
def test_a_retriable_answer_is_retried_and_the_call_succeeds(scripted, failure):
    server = scripted(failure, "ok")

    answer = client_for(server.url).get_item(TableName="t", Key={"id": {"S": "k"}})

    assert answer == {"Item": {"id": {"S": "k"}}}
    assert len(server.requests) == 2 and server.requests[0]["target"] == "DynamoDB_20120810.GetItem"


def test_retries_run_out_with_dynamodbs_last_answer():
    server = Scripted(["throttle", "throttle", "throttle", "ok"])

    with pytest.raises(ClientError) as raised:
        client_for(server.url, max_attempts=3).get_item(TableName="t", Key={"id": {"S": "k"}})

    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert len(server.requests) == 3
    server.server.shutdown()


def test_nothing_listening_ends_in_a_connection_error():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()

    with pytest.raises(ConnectionError):
        client_for(f"http://127.0.0.1:{port}").get_item(TableName="t", Key={"id": {"S": "k"}})

    assert time.monotonic() - started < 5


def test_a_closed_idle_connection_is_reopened_without_using_a_retry(scripted):
    server = scripted("close", "ok")
    client = client_for(server.url, max_attempts=1)

    client.get_item(TableName="t", Key={"id": {"S": "k"}})
    client.get_item(TableName="t", Key={"id": {"S": "k"}})

    assert server.connections == 2 and len(server.requests) == 2


def test_each_thread_keeps_its_own_connection(scripted):
    server = scripted()
    client = client_for(server.url)
    barrier = threading.Barrier(4)

    def calls() -> None:
        barrier.wait()
        for _ in range(5):
            client.get_item(TableName="t", Key={"id": {"S": "k"}})

    threads = [threading.Thread(target=calls) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(server.requests) == 20 and server.connections == 4
    client.close()


def test_the_endpoint_comes_from_aws_endpoint_url_dynamodb_first(monkeypatch, scripted):
    server = scripted()
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKID")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing there
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", server.url)

    dynamodb_client_from_env().get_item(TableName="t", Key={"id": {"S": "k"}})

    assert len(server.requests) == 1
