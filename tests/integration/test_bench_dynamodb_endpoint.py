"""Bench Part D's minimal DynamoDB (tests/bench/dynamodb_endpoint.py) answers the idempotency layer's
calls as moto does: the same calls on both, the same answers (or the same errors and old items),
and Powertools' idempotency runs a function once per key on it."""

from __future__ import annotations

import subprocess
import sys
import time

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from botocore.exceptions import ClientError, EndpointConnectionError
from ladderctl.stack.lambdas import LambdaContext

from tests.bench.dynamodb_endpoint import Refused, evaluate
from tests.bench.ingress import ROOT, _free_port
from tests.support.aws import REGION

# The condition Powertools' DynamoDBPersistenceLayer puts its in-progress record with.
CONDITION = ("attribute_not_exists(#id) OR #expiry < :now OR "
             "(#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)")
NAMES = {"#id": "id", "#expiry": "expiration", "#in_progress_expiry": "in_progress_expiration", "#status": "status"}


@pytest.fixture
def endpoint():
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "tests.bench.dynamodb_endpoint", str(port), "1"], cwd=ROOT)
    try:
        deadline = time.monotonic() + 20
        client = boto3.client("dynamodb", region_name=REGION, endpoint_url=f"http://127.0.0.1:{port}",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        while True:
            try:
                client.get_item(TableName="probe", Key={"id": {"S": "x"}})
                break
            except EndpointConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield client
    finally:
        server.terminate()
        server.wait(timeout=10)


def _put(client, table, key, *, status, expiry, in_progress_expiry=None):
    now = time.time()
    item = {"id": {"S": key}, "expiration": {"N": str(int(now + expiry))}, "status": {"S": status}}
    if in_progress_expiry is not None:
        item["in_progress_expiration"] = {"N": str(int((now + in_progress_expiry) * 1000))}
    return client.put_item(TableName=table, Item=item, ConditionExpression=CONDITION, ExpressionAttributeNames=NAMES,
                           ExpressionAttributeValues={":now": {"N": str(int(now))},
                                                      ":now_in_millis": {"N": str(int(now * 1000))},
                                                      ":inprogress": {"S": "INPROGRESS"}},
                           ReturnValuesOnConditionCheckFailure="ALL_OLD")


def _script(client, table):
    """The idempotency layer's calls, each answer without its request metadata."""
    calls = [
        lambda: _put(client, table, "new", status="INPROGRESS", expiry=3600, in_progress_expiry=60),
        lambda: _put(client, table, "new", status="INPROGRESS", expiry=3600, in_progress_expiry=60),  # taken
        lambda: _put(client, table, "expired", status="COMPLETED", expiry=-10),
        lambda: _put(client, table, "expired", status="INPROGRESS", expiry=3600),  # the old one expired
        lambda: _put(client, table, "stuck", status="INPROGRESS", expiry=3600, in_progress_expiry=-5),
        lambda: _put(client, table, "stuck", status="INPROGRESS", expiry=3600, in_progress_expiry=60),  # timed out
        lambda: client.update_item(TableName=table, Key={"id": {"S": "new"}},
                                   UpdateExpression="SET #response_data = :response_data, #expiry = :expiry, #status = :status",
                                   ExpressionAttributeNames={"#response_data": "data", "#expiry": "expiration",
                                                             "#status": "status"},
                                   ExpressionAttributeValues={":response_data": {"S": '{"ok":1}'},
                                                              ":expiry": {"N": "4102444800"},
                                                              ":status": {"S": "COMPLETED"}}),
        lambda: client.get_item(TableName=table, Key={"id": {"S": "new"}}, ConsistentRead=True),
        lambda: _put(client, table, "new", status="INPROGRESS", expiry=3600, in_progress_expiry=60),  # completed
        lambda: client.delete_item(TableName=table, Key={"id": {"S": "new"}}),
        lambda: client.get_item(TableName=table, Key={"id": {"S": "new"}}, ConsistentRead=True),
    ]
    answers = []
    for call in calls:
        try:
            answer = call()
            # moto adds ConsumedCapacity to UpdateItem's answer unasked (DynamoDB does not); nobody reads it.
            answer = {k: v for k, v in answer.items() if k not in ("ResponseMetadata", "ConsumedCapacity")}
            if "Item" in answer:  # the in-progress expiry was made from the clock when it was put
                answer["Item"] = {k: v for k, v in answer["Item"].items() if k != "in_progress_expiration"}
            answers.append(("ok", answer))
        except ClientError as exc:
            old = exc.response.get("Item")
            answers.append((exc.response["Error"]["Code"], {k: v for k, v in (old or {}).items()
                                                            if k not in ("expiration", "in_progress_expiration")}))
    return answers


def test_the_idempotency_layers_calls_answer_as_on_moto(endpoint, aws):
    on_moto = _script(aws.dynamodb, aws.table_name)
    here = _script(endpoint, aws.table_name)

    assert here == on_moto
    assert [kind for kind, _ in here] == ["ok", "ConditionalCheckFailedException", "ok", "ok", "ok", "ok", "ok", "ok",
                                          "ConditionalCheckFailedException", "ok", "ok"]
    assert here[7][1]["Item"]["status"] == {"S": "COMPLETED"} and "Item" not in here[10][1]


def test_powertools_idempotency_runs_a_function_once_per_key_on_it(endpoint, aws):
    runs = []
    persistence = DynamoDBPersistenceLayer(table_name=aws.table_name, boto3_client=endpoint)

    config = IdempotencyConfig(event_key_jmespath="id")
    # As the worker does: Powertools reads the invocation's remaining time from it.
    config.register_lambda_context(LambdaContext("worker", 15, "us-east-1"))

    @idempotent_function(data_keyword_argument="job", persistence_store=persistence,
                         config=config)
    def handle(job: dict) -> dict:
        runs.append(job["id"])
        return {"answered": job["id"]}

    first = handle(job={"id": "1"})
    again = handle(job={"id": "1"})
    other = handle(job={"id": "2"})

    assert first == again == {"answered": "1"} and other == {"answered": "2"}
    assert runs == ["1", "2"]


@pytest.mark.parametrize("expression", ["#a > :b", "begins_with(#a, :b)", "#a = :b AND", "SET #a = :a"])
def test_anything_outside_the_subset_is_refused(expression):
    with pytest.raises(Refused):
        evaluate(expression, {"a": {"S": "x"}}, {"#a": "a"}, {":b": {"S": "x"}})
