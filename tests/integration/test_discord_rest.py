"""The one Discord client against the emulator: buckets and scopes from Discord's headers, the
global limit, and the invalid-request breaker shared through DynamoDB (moto) by two workers."""

from __future__ import annotations

import time

import boto3
import pytest
from ladderline import settings as names
from ladderline.adapters.invalid_requests import DynamoDbInvalidRequestCounter
from ladderline.discord import responses
from ladderline.discord.rest import DiscordRest, Outcome, route_key

from tests.support.aws import REGION, LambdaContext, load_handler
from tests.support.discord import BOT_TOKEN
from tests.support.interactions import make_interaction

CHANNEL = "555555555555555555"
OTHER_CHANNEL = "666666666666666666"
PING = {"id": "1", "name": "ping", "type": 1}


class Counter:
    """An InvalidRequestCounter in memory (the DynamoDB one is tested below)."""

    def __init__(self, limit: int = 10_000) -> None:
        self.count, self.limit = 0, limit

    def record(self, count: int) -> None:
        self.count += count

    def is_open(self) -> bool:
        return self.count >= self.limit


def client(discord, **kwargs) -> DiscordRest:
    return DiscordRest(discord.base_url, bot_token=lambda: BOT_TOKEN, **kwargs)


def later(seconds: float = 10) -> float:
    return time.time() + seconds


def statuses(discord, path_end: str) -> list[int]:
    return [r.status for r in discord.requests if r.path.endswith(path_end)]


def test_route_keys_keep_major_parameters_and_drop_other_ids():
    assert route_key("PATCH", "/channels/12/messages/34") == "PATCH /channels/12/messages/:id"
    assert route_key("POST", "/users/@me/channels") == "POST /users/@me/channels"
    assert route_key("PATCH", "/webhooks/1/tok/messages/@original") == "PATCH /webhooks/1/tok/messages/@original"


def test_a_bucket_learned_from_the_headers_is_never_overrun(discord):
    rest = client(discord)

    results = [rest.create_message(CHANNEL, responses.message(f"#{i}"), deadline=later()) for i in range(8)]

    # The emulator allows 5 per second per route and answers 429 beyond: the client waited instead.
    assert [r.outcome for r in results] == [Outcome.OK] * 8
    assert set(statuses(discord, f"/channels/{CHANNEL}/messages")) == {200}
    assert len(discord.channel_messages(CHANNEL)) == 8


def test_an_exhausted_bucket_that_outlasts_the_deadline_is_handed_back_unsent(discord):
    rest = client(discord)
    for i in range(5):
        rest.create_message(CHANNEL, responses.message(f"#{i}"), deadline=later())

    result = rest.create_message(CHANNEL, responses.message("late"), deadline=time.time() + 0.05)

    assert result.outcome is Outcome.RATE_LIMITED and result.retriable and result.attempts == 0
    assert len(statuses(discord, f"/channels/{CHANNEL}/messages")) == 5


@pytest.mark.parametrize(("scope", "counted"), [("user", 1), ("global", 1), ("shared", 0)])
def test_a_429_is_waited_out_and_counted_as_invalid_unless_shared(discord, scope, counted):
    counter = Counter()
    rest = client(discord, invalid_requests=counter)
    discord.script("POST", f"/channels/{CHANNEL}/messages", 429,
                   {"message": "You are being rate limited.", "retry_after": 0.2}, scope=scope)

    result = rest.create_message(CHANNEL, responses.message("hi"), deadline=later())

    assert result.outcome is Outcome.RETRIED
    assert statuses(discord, f"/channels/{CHANNEL}/messages") == [429, 200]
    assert counter.count == counted == discord.invalid_requests


def test_a_busy_bucket_is_waited_out_past_the_attempt_limit_but_errors_are_not(discord):
    # A wave's DM opens keep a small bucket busy: eight 429s in a row are waited out inside the
    # call (within its deadline), where counting them as failed attempts gave up after five.
    rest = client(discord)
    discord.script("POST", f"/channels/{CHANNEL}/messages", 429, {"retry_after": 0.05}, scope="user", times=8)
    result = rest.create_message(CHANNEL, responses.message("hi"), deadline=later())
    assert result.outcome is Outcome.RETRIED and result.attempts == 9
    assert statuses(discord, f"/channels/{CHANNEL}/messages") == [429] * 8 + [200]
    # A server error is a failed attempt: five, then the job's own retry.
    discord.script("POST", f"/channels/{OTHER_CHANNEL}/messages", 500, {"message": "oops"}, times=8)
    failed = rest.create_message(OTHER_CHANNEL, responses.message("hi"), deadline=later(30))
    assert failed.outcome is Outcome.UNAVAILABLE and failed.attempts == 5
    # And a deadline ends the waiting: a 429 whose wait passes it answers "rate limited" at once.
    discord.script("POST", f"/channels/{CHANNEL}/messages", 429, {"retry_after": 5.0}, scope="user", times=1)
    late = rest.create_message(CHANNEL, responses.message("hi"), deadline=later(1))
    assert late.outcome is Outcome.RATE_LIMITED and late.retriable


def test_threads_sharing_a_busy_bucket_take_turns_when_it_resets(discord):
    # A fan-out container opens DMs on many threads against one small bucket (Create DM, 5 a
    # second here). Once the bucket is known, a reset lets through as many as it holds and the rest
    # wait for the answers' headers: 429s (which Discord counts towards its ban) stay few.
    import threading

    rest = client(discord)
    barrier = threading.Barrier(12)
    results: list = []

    def opener(number: int) -> None:
        barrier.wait()
        for i in range(3):
            results.append(rest.open_dm(str(700_000_000_000_000_000 + number * 10 + i), deadline=later(30)))

    threads = [threading.Thread(target=opener, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 36 and all(r.delivered for r in results)
    opened = statuses(discord, "/users/@me/channels")
    assert opened.count(200) == 36
    # The first burst goes before any header is known (12 at once into a bucket of 5).
    assert opened.count(429) <= 12, opened  # 48 when every waiting thread went at each reset


def test_a_global_429_pauses_every_bot_route_but_a_user_429_only_its_bucket(discord):
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    rest = client(discord, sleep=sleep)
    discord.script("POST", f"/channels/{CHANNEL}/messages", 429, {"retry_after": 0.3}, scope="user", times=1)
    rest.create_message(CHANNEL, responses.message("a"), deadline=later())
    slept.clear()
    rest.create_message(OTHER_CHANNEL, responses.message("b"), deadline=later())
    assert slept == []  # another channel is another bucket

    discord.script("POST", f"/channels/{CHANNEL}/messages", 429, {"retry_after": 0.3, "global": True},
                   scope="global", times=1)
    rest.create_message(CHANNEL, responses.message("c"), deadline=time.time() + 0.1)  # handed back
    rest.create_message(OTHER_CHANNEL, responses.message("d"), deadline=later())
    assert slept and 0.1 < slept[0] <= 0.3  # the other channel waited for the global limit


def test_the_global_limit_spaces_bot_requests(discord):
    slept: list[float] = []
    rest = client(discord, sleep=lambda s: (slept.append(s), time.sleep(s)), global_per_second=3)

    for channel in range(4):  # four buckets, so only the global limit can make it wait
        rest.create_message(str(700000000000000000 + channel), responses.message("x"), deadline=later())

    assert len(slept) == 1 and 0 < slept[0] <= 1.0


def test_the_invalid_request_count_is_shared_by_containers_through_dynamodb(aws):
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=aws.endpoint)
    first = DynamoDbInvalidRequestCounter(dynamodb, aws.table_name, limit=3, refresh_seconds=0)
    second = DynamoDbInvalidRequestCounter(dynamodb, aws.table_name, limit=3, refresh_seconds=0)

    first.record(2)
    assert not second.is_open()
    second.record(1)

    assert first.is_open() and second.is_open()
    assert first.count() == second.count() == 3


def test_the_breaker_stops_a_second_worker_instance_and_fails_its_jobs_retriably(pipeline, monkeypatch):
    monkeypatch.setenv(names.DISCORD_INVALID_REQUEST_LIMIT, "3")
    first, second = load_handler("worker"), load_handler("worker")
    # Three refused edits in the first container (403 each). The first two users get the fallback
    # text; the third refusal reaches the limit, so the third fallback is not even tried.
    pipeline.discord.script("PATCH", "/webhooks/*/messages/@original", 403,
                            {"message": "Missing Access", "code": 50001}, times=3)
    failures = []
    for _ in range(3):
        pipeline.send(make_interaction(2, data=PING))
        [message] = pipeline.aws.receive()
        failures.append(len(first.lambda_handler(pipeline.sqs_event([message]), LambdaContext())["batchItemFailures"]))
        pipeline.aws.sqs.delete_message(QueueUrl=pipeline.aws.queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert failures == [0, 0, 1]
    assert pipeline.discord.invalid_requests == 3
    before = len(pipeline.discord.requests)

    interaction = make_interaction(2, data=PING)
    pipeline.send(interaction)
    [message] = pipeline.aws.receive()
    result = second.lambda_handler(pipeline.sqs_event([message]), LambdaContext())

    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [message["MessageId"]]
    assert len(pipeline.discord.requests) == before  # not one call reached Discord
    assert pipeline.discord.message(interaction["token"])["flags"] & 128  # still "thinking", for the retry
    first.worker.close()
    second.worker.close()
