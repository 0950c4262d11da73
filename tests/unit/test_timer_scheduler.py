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
        self.fail_ids = fail_ids
        self._lock = threading.Lock()

    def send_message_batch(self, QueueUrl: str, Entries: list[dict]) -> dict:
        with self._lock:
            self.calls.append(Entries)
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
