"""The worker handler in-process: idempotency, retries, the DLQ path and Discord's failure modes.

Each test sends a real signed interaction through the ingress, so the job in the (moto) queue is
exactly what production would carry.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from ladderline import settings as names
from ladderline.pipeline.worker import DEFER_BASE_SECONDS, DEFER_JITTER_SECONDS

from tests.support.aws import LambdaContext, load_handler
from tests.support.interactions import make_interaction, snowflake
from tests.support.postgres import pg_connect

PING = {"id": "1", "name": "ping", "type": 1}
ORIGINAL = "/webhooks/*/messages/@original"


@pytest.fixture
def database_down(pipeline, monkeypatch):
    """The worker's database is down for good: nothing listens on the discard port."""
    monkeypatch.setenv(names.DATABASE_URL, "postgresql://ladder:x@127.0.0.1:9/ladder")
    pipeline.worker = load_handler("worker")


def send_ping(pipeline, **kwargs):
    interaction = make_interaction(2, data=PING, **kwargs)
    assert pipeline.send(interaction)["statusCode"] == 200
    return interaction


def patches(pipeline, interaction):
    return [r for r in pipeline.discord.requests_for(interaction["token"]) if r.method == "PATCH"]


def analytics(pipeline):
    return pg_connect(pipeline.database_url).run(
        "SELECT interaction_id, user_id, guild_id, command, outcome, received_at <= processed_at "
        "FROM command_calls ORDER BY interaction_id")


def make_visible_again(pipeline, message):
    # Stands in for the visibility timeout passing (90 s in the template).
    pipeline.aws.sqs.change_message_visibility(QueueUrl=pipeline.aws.queue_url,
                                               ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)


def test_a_job_writes_one_analytics_row_and_edits_the_original_message(pipeline):
    interaction = send_ping(pipeline)

    assert pipeline.run_worker() == {"batchItemFailures": []}

    assert pipeline.discord.message(interaction["token"])["content"].startswith("Pong!")
    [sent] = patches(pipeline, interaction)
    assert set(sent.json) == {"content", "embeds", "components", "allowed_mentions"}  # a message body, not a response
    assert analytics(pipeline) == [[int(interaction["id"]), int(interaction["member"]["user"]["id"]),
                                    int(interaction["guild_id"]), "ping", "ok", True]]


def test_a_batch_writes_its_analytics_in_one_insert(pipeline):
    interactions = [send_ping(pipeline) for _ in range(3)]

    assert pipeline.run_worker() == {"batchItemFailures": []}

    assert [row[0] for row in analytics(pipeline)] == sorted(int(i["id"]) for i in interactions)


def test_a_job_delivered_twice_in_sequence_runs_once(pipeline):
    interaction = send_ping(pipeline)
    [message] = pipeline.aws.receive()

    first = pipeline.run_worker([message], delete=False)
    second = pipeline.run_worker([message])

    assert first == second == {"batchItemFailures": []}
    assert len(patches(pipeline, interaction)) == 1
    assert len(analytics(pipeline)) == 1


def test_a_job_published_twice_runs_once_even_in_a_new_container(pipeline):
    interaction = send_ping(pipeline)
    [message] = pipeline.aws.receive()
    pipeline.aws.sqs.send_message(QueueUrl=pipeline.aws.queue_url, MessageBody=message["Body"])

    pipeline.run_worker([message])
    pipeline.worker = load_handler("worker")  # no in-memory cache: DynamoDB must catch it
    [duplicate] = pipeline.aws.receive()
    assert duplicate["MessageId"] != message["MessageId"]
    assert pipeline.run_worker([duplicate]) == {"batchItemFailures": []}

    assert len(patches(pipeline, interaction)) == 1
    assert len(analytics(pipeline)) == 1
    assert pipeline.discord.message(interaction["token"])["content"].startswith("Pong!")


def test_concurrent_deliveries_of_one_job_write_once_and_leave_one_final_message(pipeline):
    interaction = send_ping(pipeline)
    [message] = pipeline.aws.receive()
    containers = [pipeline.worker, load_handler("worker")]
    # The first PATCH is slow, so both containers hold the job at the same time.
    pipeline.discord.script("PATCH", ORIGINAL, 500, {"message": "slow"}, times=1)
    results = [None, None]

    def run(index):
        results[index] = containers[index].lambda_handler(pipeline.sqs_event([message]), LambdaContext())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    failures = [r["batchItemFailures"] for r in results]
    # One container did the work; the other saw it in progress and handed the record back.
    assert sorted(len(f) for f in failures) == [0, 1]
    # The redelivery finds the stored result and does nothing more.
    pipeline.worker = containers[0]
    assert pipeline.run_worker([message]) == {"batchItemFailures": []}
    successful = [r for r in patches(pipeline, interaction) if r.status == 200]
    assert len(successful) == 1
    assert len(analytics(pipeline)) == 1
    assert pipeline.discord.message(interaction["token"])["content"].startswith("Pong!")




def test_discord_429_is_waited_out_and_retried(pipeline):
    interaction = send_ping(pipeline)
    pipeline.discord.script("PATCH", ORIGINAL, 429, {"message": "You are being rate limited.",
                                                     "retry_after": 0.2, "global": False})

    assert pipeline.run_worker() == {"batchItemFailures": []}

    statuses = [r.status for r in patches(pipeline, interaction)]
    assert statuses == [429, 200]
    assert pipeline.discord.message(interaction["token"])["content"].startswith("Pong!")


def test_a_429_longer_than_the_time_left_puts_the_job_back_as_a_new_delayed_message(pipeline):
    interaction = send_ping(pipeline)
    pipeline.discord.script("PATCH", ORIGINAL, 429, {"message": "You are being rate limited.",
                                                     "retry_after": 60.0, "global": False})

    result = pipeline.run_worker()

    # Waiting out a rate limit is not a failed attempt: the message is deleted and the job comes
    # back as a new one (receive count 1 again) after 5-10 s, counting its deferrals.
    assert result["batchItemFailures"] == []
    assert [r.status for r in patches(pipeline, interaction)] == [429]
    assert analytics(pipeline) == []  # not done yet: recorded when it completes
    deadline = time.time() + DEFER_BASE_SECONDS + DEFER_JITTER_SECONDS + 5
    back = []
    while not back and time.time() < deadline:
        back = pipeline.aws.receive()
    [message] = back
    job = json.loads(message["Body"])
    assert job["interaction_id"] == interaction["id"] and job["extra"] == {"deferrals": 1}
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    # The new message runs the job again (in a container that has not seen the 429): the answer goes out, once.
    pipeline.worker = load_handler("worker")
    pipeline.aws.sqs.change_message_visibility(QueueUrl=pipeline.aws.queue_url, ReceiptHandle=message["ReceiptHandle"],
                                               VisibilityTimeout=0)
    assert pipeline.run_worker() == {"batchItemFailures": []}
    assert [r.status for r in patches(pipeline, interaction)] == [429, 200]


def test_discord_5xx_is_retried_with_backoff(pipeline):
    interaction = send_ping(pipeline)
    pipeline.discord.script("PATCH", ORIGINAL, 502, {"message": "Bad Gateway"}, times=2)

    assert pipeline.run_worker() == {"batchItemFailures": []}

    assert [r.status for r in patches(pipeline, interaction)] == [502, 502, 200]


def test_the_404_race_right_after_a_defer_is_retried(pipeline):
    interaction = send_ping(pipeline)
    pipeline.discord.script("PATCH", ORIGINAL, 404, {"message": "Unknown Webhook", "code": 10015})

    assert pipeline.run_worker() == {"batchItemFailures": []}

    assert [r.status for r in patches(pipeline, interaction)] == [404, 200]


def test_an_expired_token_is_never_called_and_the_job_is_not_retried(pipeline):
    sixteen_minutes_ago = time.time() - 16 * 60
    interaction = make_interaction(2, data=PING, id=snowflake(sixteen_minutes_ago))
    assert pipeline.send(interaction)["statusCode"] == 200

    assert pipeline.run_worker() == {"batchItemFailures": []}

    assert patches(pipeline, interaction) == []
    assert [row[4] for row in analytics(pipeline)] == ["ok"]
    # The answer went out as a DM instead, saying what it answers.
    [dm] = pipeline.discord.dms(interaction["member"]["user"]["id"])
    assert dm["content"].startswith("This answers your `/ping`") and "Pong!" in dm["content"]


def test_401_invalid_webhook_token_is_recorded_and_not_retried(pipeline):
    interaction = send_ping(pipeline)
    pipeline.discord.script("PATCH", ORIGINAL, 401, {"message": "Invalid Webhook Token", "code": 50027})

    assert pipeline.run_worker() == {"batchItemFailures": []}

    assert [r.status for r in patches(pipeline, interaction)] == [401]


def test_another_4xx_leaves_a_plain_fallback_logs_discords_code_and_counts_it(pipeline, capsys):
    from ladderline.pipeline.outbox import REFUSED_TEXT

    interaction = send_ping(pipeline)
    pipeline.discord.script("PATCH", ORIGINAL, 400, {"message": "Invalid Form Body", "code": 50035})

    assert pipeline.run_worker() == {"batchItemFailures": []}

    # Not retried: the refused body once, then the plain text instead of "thinking...".
    assert [r.status for r in patches(pipeline, interaction)] == [400, 200]
    assert pipeline.discord.message(interaction["token"])["content"] == REFUSED_TEXT
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    [refusal] = [ln for ln in lines if ln.get("message") == "discord refused the delivery"]
    assert (refusal["status"], refusal["discord_code"], refusal["delivery"]) == (400, 50035, "edit_original")
    assert [ln["DeliveriesRefused"] for ln in lines if "DeliveriesRefused" in ln] == [[1.0]]


def test_a_job_that_keeps_failing_ends_in_the_dlq_and_the_user_is_told(pipeline, database_down):
    interaction = send_ping(pipeline)

    receive_counts = []
    for _ in range(4):
        [message] = pipeline.aws.receive()
        receive_counts.append(int(message["Attributes"]["ApproximateReceiveCount"]))
        result = pipeline.run_worker([message])
        assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [message["MessageId"]]
        if receive_counts[-1] < 4:
            assert pipeline.discord.message(interaction["token"])["flags"] & 128  # still "thinking"
        make_visible_again(pipeline, message)

    assert receive_counts == [1, 2, 3, 4]
    final = pipeline.discord.message(interaction["token"])
    assert "something went wrong" in final["content"]
    assert pipeline.aws.receive() == []  # the fifth receive moves it to the DLQ instead
    [dead] = pipeline.aws.receive(pipeline.aws.dlq_url)
    assert json.loads(dead["Body"])["interaction_id"] == interaction["id"]


def test_a_message_that_is_not_a_job_fails_without_touching_the_others(pipeline):
    interaction = send_ping(pipeline)
    pipeline.aws.sqs.send_message(QueueUrl=pipeline.aws.queue_url, MessageBody='{"schema_version": 99}')
    messages = pipeline.aws.receive()
    assert len(messages) == 2

    result = pipeline.run_worker(messages)

    bad = [m["MessageId"] for m in messages if json.loads(m["Body"]) == {"schema_version": 99}]
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == bad
    assert pipeline.discord.message(interaction["token"])["content"].startswith("Pong!")


@pytest.mark.parametrize("receive_count", [1, 4])
def test_the_friendly_error_is_only_sent_on_the_last_attempt(pipeline, database_down, receive_count):
    interaction = send_ping(pipeline)
    [message] = pipeline.aws.receive()
    message["Attributes"]["ApproximateReceiveCount"] = str(receive_count)

    pipeline.run_worker([message], delete=False)

    told = "something went wrong" in (pipeline.discord.message(interaction["token"]).get("content") or "")
    assert told is (receive_count == 4)


def test_a_404_outside_the_race_window_means_the_token_is_unusable(pipeline):
    interaction = make_interaction(2, data=PING, id=snowflake(time.time() - 20))
    assert pipeline.send(interaction)["statusCode"] == 200
    pipeline.discord.script("PATCH", ORIGINAL, 404, {"message": "Unknown Webhook", "code": 10015})

    assert pipeline.run_worker() == {"batchItemFailures": []}

    assert [r.status for r in patches(pipeline, interaction)] == [404]


def test_a_failed_job_comes_back_after_seconds_not_the_visibility_timeout(pipeline, database_down):
    from ladderline.pipeline.worker import RETRY_DELAYS_SECONDS

    interaction = send_ping(pipeline)

    assert pipeline.run_worker()["batchItemFailures"]
    assert pipeline.aws.receive() == []  # not visible right away...
    time.sleep(RETRY_DELAYS_SECONDS[0] + 0.5)  # ...but long before the queue's 90 s

    [again] = pipeline.aws.receive()
    assert json.loads(again["Body"])["interaction_id"] == interaction["id"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
def test_a_batch_carrying_the_same_jobs_twice_runs_each_once_with_its_records_side_by_side(pipeline):
    # Ten records in one batch run on the worker's thread pool (pipeline/batch.py); five interactions,
    # each published twice (an ingress retry can do that), so both copies race inside one container.
    interactions = [send_ping(pipeline) for _ in range(5)]
    first = pipeline.aws.receive()
    assert len(first) == 5
    for message in first:
        pipeline.aws.sqs.send_message(QueueUrl=pipeline.aws.queue_url, MessageBody=message["Body"])
    copies = pipeline.aws.receive()
    assert len(copies) == 5
    # The first PATCH is slow, so at least one job is held while its copy arrives.
    pipeline.discord.script("PATCH", ORIGINAL, 500, {"message": "slow"}, times=1)

    result = pipeline.run_worker(first + copies)
    # A copy that found its job in progress is handed back; its redelivery replays the stored result.
    handed_back = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    assert len(handed_back) <= 5
    leftovers = [m for m in first + copies if m["MessageId"] in handed_back]
    if leftovers:
        assert pipeline.run_worker(leftovers) == {"batchItemFailures": []}

    for interaction in interactions:
        assert len([r for r in patches(pipeline, interaction) if r.status == 200]) == 1
        assert pipeline.discord.message(interaction["token"])["content"].startswith("Pong!")
    assert len(analytics(pipeline)) == 5


def test_when_the_reply_cannot_carry_the_failure_notice_a_dm_does(pipeline, database_down):
    # The last attempt's notice meets a rate-limited webhook route with a long reset: the user
    # would see "thinking..." until the token died. The notice goes out as a DM instead, once.
    interaction = send_ping(pipeline)
    user = interaction["member"]["user"]["id"]
    for attempt in range(1, 5):
        [message] = pipeline.aws.receive()
        if attempt == 4:
            pipeline.discord.script("PATCH", ORIGINAL, 429, {"message": "You are being rate limited.",
                                                             "retry_after": 600.0, "global": False})
        pipeline.run_worker([message])
        make_visible_again(pipeline, message)

    assert pipeline.discord.message(interaction["token"])["flags"] & 128  # the reply could not change
    [dm] = pipeline.discord.dms(user)
    assert "About your `/ping`" in dm["content"] and "something went wrong" in dm["content"]
    assert pipeline.aws.receive() == []  # the fifth receive moves it to the DLQ
    assert len(pipeline.aws.receive(pipeline.aws.dlq_url)) == 1
