"""One SQS batch's records run side by side (pipeline/batch.py) over one database connection:
every job still runs once, edits once, and fails or succeeds on its own."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from ladderline import settings as names

from tests.support.aws import LambdaContext, load_handler
from tests.support.interactions import make_interaction, snowflake
from tests.support.postgres import pg_connect
from tests.support.tcp_proxy import TcpProxy

PROFILE = {"id": "5", "name": "profile", "type": 1}


@pytest.fixture
def slow_discord(pipeline, monkeypatch):
    """Discord 50 ms away each way: a sequential batch would hold one connection throughout."""
    target = urlsplit(pipeline.discord.url)
    proxy = TcpProxy(target.hostname, target.port, delay_ms=50).start()
    monkeypatch.setenv(names.DISCORD_API_BASE, f"http://127.0.0.1:{proxy.port}/api/v10")
    pipeline.worker.worker.close()
    pipeline.worker = load_handler("worker")
    yield proxy
    proxy.stop()


def send_batch(pipeline, count):
    interactions = [make_interaction(2, data=PROFILE, user_id=snowflake()) for _ in range(count)]
    for interaction in interactions:
        assert pipeline.send(interaction)["statusCode"] == 200
    messages = []
    while len(messages) < count:
        messages += pipeline.aws.receive()
    return interactions, messages


def patches(pipeline, interaction):
    return [r for r in pipeline.discord.requests_for(interaction["token"]) if r.method == "PATCH"]


def test_a_batch_of_ten_runs_side_by_side_and_each_job_edits_once(pipeline, slow_discord):
    interactions, messages = send_batch(pipeline, 10)

    result = pipeline.worker.lambda_handler(pipeline.sqs_event(messages), LambdaContext())

    assert result == {"batchItemFailures": []}
    for interaction in interactions:
        assert len(patches(pipeline, interaction)) == 1
        assert "setup" in pipeline.discord.message(interaction["token"])["content"].lower()
    # Sequential calls would have reused one kept-alive connection to Discord.
    assert slow_discord.connections_opened > 1
    rows = pg_connect(pipeline.database_url).run("SELECT count(*), count(DISTINCT interaction_id) FROM command_calls")
    assert rows == [[10, 10]]


def test_in_a_concurrent_batch_only_the_failing_record_is_reported(pipeline, slow_discord):
    interactions, messages = send_batch(pipeline, 6)
    failing_token = interactions[2]["token"]
    # Discord is down for one user's token only: every attempt at that edit gets a 503.
    pipeline.discord.script("PATCH", f"/webhooks/*/{failing_token}/messages/@original", 503, {"message": "down"},
                            times=100)

    result = pipeline.worker.lambda_handler(pipeline.sqs_event(messages), LambdaContext())

    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    by_token = {m["MessageId"]: json.loads(m["Body"])["token"] for m in messages}
    assert {by_token[m] for m in failed} == {failing_token}
    for interaction in interactions:
        if interaction["token"] != failing_token:
            assert pipeline.discord.message(interaction["token"]) is not None


def test_a_redelivered_batch_replays_without_editing_again(pipeline, slow_discord):
    interactions, messages = send_batch(pipeline, 5)
    assert pipeline.worker.lambda_handler(pipeline.sqs_event(messages), LambdaContext()) == {"batchItemFailures": []}

    again = pipeline.worker.lambda_handler(pipeline.sqs_event(messages), LambdaContext())

    assert again == {"batchItemFailures": []}
    for interaction in interactions:
        assert len(patches(pipeline, interaction)) == 1
