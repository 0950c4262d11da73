"""Timers go out as SendMessageBatch calls of at most 10 (SQS's limit), several at once; a timer
SQS did not accept fails the publishing job (it runs again: every timer's key makes that safe)."""

from __future__ import annotations

import json
import threading

import pytest
from ladderline.adapters.timers import SqsTimerScheduler, TimerPublishError
from ladderline.ladder.deliveries import Timer


class FakeSqs:
    def __init__(self, fail_ids: frozenset[str] = frozenset()) -> None:
        self.calls: list[list[dict]] = []
        self.queues: list[str] = []
        self.fail_ids = fail_ids
        self._lock = threading.Lock()

    def send_message_batch(self, QueueUrl: str, Entries: list[dict]) -> dict:
        with self._lock:
            self.calls.append(Entries)
            self.queues.append(QueueUrl)
        failed = [{"Id": e["Id"], "Code": "InternalError", "SenderFault": False} for e in Entries
                  if e["Id"] in self.fail_ids]
        return {"Successful": [{"Id": e["Id"]} for e in Entries if e["Id"] not in self.fail_ids], "Failed": failed}


def timers(n: int) -> list[Timer]:
    return [Timer("match_found", f"match:{i}:found", 0 if i % 2 else 120, {"match_id": i}) for i in range(n)]


def test_timers_go_out_ten_a_call_each_once_with_its_delay():
    sqs = FakeSqs()
    SqsTimerScheduler(sqs, "q").schedule(timers(25), now_ms=1_000)
    assert sorted(len(call) for call in sqs.calls) == [5, 10, 10]
    sent = [e for call in sqs.calls for e in call]
    keys = [json.loads(e["MessageBody"])["interaction_id"] for e in sent]
    assert sorted(keys) == sorted(f"match:{i}:found" for i in range(25))
    assert {json.loads(e["MessageBody"])["interaction_id"]: e["DelaySeconds"] for e in sent}["match:2:found"] == 120


def test_a_timer_sqs_did_not_accept_fails_the_job():
    sqs = FakeSqs(fail_ids=frozenset({"13"}))
    with pytest.raises(TimerPublishError, match="1 of 25 timers not accepted"):
        SqsTimerScheduler(sqs, "q").schedule(timers(25), now_ms=1_000)
    assert sum(len(call) for call in sqs.calls) == 25  # every batch was still tried


def test_fan_out_timers_go_to_the_fan_out_queue_and_the_rest_to_the_jobs_queue():
    from ladderline.ladder.registry import FANOUT_ROUTES

    sqs = FakeSqs()
    mixed = [*timers(12), Timer("match_deadline", "match:1:deadline", 120), Timer("deliver", "deliver:x", 0)]
    SqsTimerScheduler(sqs, "jobs", fanout_queue_url="fanout", fanout_routes=FANOUT_ROUTES).schedule(mixed, now_ms=0)
    routes = {queue: sorted(json.loads(e["MessageBody"])["route"] for call, q in zip(sqs.calls, sqs.queues, strict=True)
                            if q == queue for e in call) for queue in set(sqs.queues)}
    assert routes == {"jobs": ["match_deadline"], "fanout": ["deliver"] + ["match_found"] * 12}
    assert all(len(call) <= 10 for call in sqs.calls)
    # Without a fan-out queue, everything shares the jobs queue.
    alone = FakeSqs()
    SqsTimerScheduler(alone, "jobs", fanout_routes=FANOUT_ROUTES).schedule(mixed, now_ms=0)
    assert set(alone.queues) == {"jobs"}


def test_a_batch_retries_and_defers_in_the_queue_it_came_from():
    from ladderline.adapters.queue import SqsRetryScheduler, queue_for_source

    urls = ["https://sqs.eu-west-1.amazonaws.com/1/app-jobs", "https://sqs.eu-west-1.amazonaws.com/1/app-fanout"]
    assert queue_for_source("arn:aws:sqs:eu-west-1:1:app-fanout", urls) == urls[1]
    assert queue_for_source("arn:aws:sqs:eu-west-1:1:app-jobs", urls) == urls[0]
    assert queue_for_source("", urls) is None

    class Calls:
        def __init__(self) -> None:
            self.seen: list[tuple[str, str]] = []

        def change_message_visibility(self, QueueUrl: str, **kwargs: object) -> None:
            self.seen.append(("retry", QueueUrl))

        def send_message(self, QueueUrl: str, **kwargs: object) -> None:
            self.seen.append(("defer", QueueUrl))

    calls = Calls()
    retries = SqsRetryScheduler(calls, urls[0])
    retries.use_queue(urls[1])
    retries.retry_in("r", 3)
    retries.defer("{}", 5)
    retries.use_queue(None)
    retries.retry_in("r", 3)
    assert calls.seen == [("retry", urls[1]), ("defer", urls[1]), ("retry", urls[0])]
