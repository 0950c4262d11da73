"""Timers: jobs the worker puts on its queues to run later (SQS DelaySeconds, at most 900 s).

A wave's fan-out publishes one job per match: thousands at 10,000 queued players. They go out
as SendMessageBatch calls (SQS takes at most 10 entries a call), several calls at once, so
5,000 jobs cost ~500 calls spread over a few threads instead of 5,000 calls one after another.
Every timer has its own idempotency key, so a job that publishes its timers again after a
partial failure (it raises, SQS redelivers it) adds nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ladderline.job import Job
from ladderline.ladder.deliveries import Timer

# SQS: SendMessageBatch takes at most 10 entries.
BATCH_ENTRIES = 10
# Calls in flight at once (boto3 clients are thread-safe; its pool holds 10 connections).
PUBLISH_THREADS = 8


class TimerPublishError(RuntimeError):
    """Some timers were not accepted by SQS; the job fails and runs again (keys make it safe)."""


class SqsTimerScheduler:
    """Publishes timers on the jobs queue, and those whose route is a fan-out's (`fanout_routes`)
    on the fan-out queue, when there is one: a wave's thousands of DMs then never hold up a click."""

    def __init__(self, client: Any, queue_url: str, threads: int = PUBLISH_THREADS, *,
                 fanout_queue_url: str = "", fanout_routes: frozenset[str] = frozenset()) -> None:
        self._client = client
        self._queue_url = queue_url
        self._fanout_queue_url = fanout_queue_url or queue_url
        self._fanout_routes = fanout_routes
        self._threads = threads

    def queue_for(self, route: str) -> str:
        return self._fanout_queue_url if route in self._fanout_routes else self._queue_url

    def schedule(self, timers: Sequence[Timer], *, now_ms: int) -> None:
        by_queue: dict[str, list[dict[str, Any]]] = {}
        for index, timer in enumerate(timers):
            by_queue.setdefault(self.queue_for(timer.route), []).append(self._entry(index, timer, now_ms))
        chunks = [(url, entries[i:i + BATCH_ENTRIES]) for url, entries in by_queue.items()
                  for i in range(0, len(entries), BATCH_ENTRIES)]
        if len(chunks) <= 1:
            failed = [self._send(chunk) for chunk in chunks]
        else:
            with ThreadPoolExecutor(max_workers=min(self._threads, len(chunks))) as pool:
                failed = list(pool.map(self._send, chunks))
        refused = [f for part in failed for f in part]
        if refused:
            raise TimerPublishError(f"{len(refused)} of {len(timers)} timers not accepted by SQS "
                                    f"(first: {refused[0].get('Code')})")

    def _entry(self, index: int, timer: Timer, now_ms: int) -> dict[str, Any]:
        job = Job.timer(route=timer.route, key=timer.key, payload=timer.payload,
                        scheduled_at_ms=now_ms + timer.delay_seconds * 1000)
        return {"Id": str(index), "MessageBody": job.to_json(), "DelaySeconds": timer.delay_seconds,
                "MessageAttributes": {"route": {"DataType": "String", "StringValue": job.route}}}

    def _send(self, chunk: tuple[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        queue_url, entries = chunk
        answer = self._client.send_message_batch(QueueUrl=queue_url, Entries=entries)
        return list(answer.get("Failed") or [])
