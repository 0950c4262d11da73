"""Timers: jobs the worker puts on the jobs queue to run later (SQS DelaySeconds, at most 900 s)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ladderline.job import Job
from ladderline.ladder.deliveries import Timer


class SqsTimerScheduler:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def schedule(self, timers: Sequence[Timer], *, now_ms: int) -> None:
        for timer in timers:
            job = Job.timer(route=timer.route, key=timer.key, payload=timer.payload,
                            scheduled_at_ms=now_ms + timer.delay_seconds * 1000)
            self._client.send_message(
                QueueUrl=self._queue_url, MessageBody=job.to_json(), DelaySeconds=timer.delay_seconds,
                MessageAttributes={"route": {"DataType": "String", "StringValue": job.route}})
