"""What the worker core needs from the outside, as protocols: the Lambda handler wires the real
adapters (PostgreSQL, SQS, DynamoDB, Powertools), the tests may wire fakes."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from ladderline.discord.rest import RestResult
from ladderline.job import Job
from ladderline.ladder.context import Metric
from ladderline.ladder.deliveries import Timer


class WorkerDatabase(Protocol):
    """The database port (ladderline.ladder.context.Database) plus what the worker itself needs."""

    round_trips: int
    time_ms: float

    def call(self, function: str, *args: Any) -> Any: ...

    def close(self) -> None: ...


class RetryScheduler(Protocol):
    def retry_in(self, receipt_handle: str, seconds: int) -> None: ...

    def defer(self, job_json: str, seconds: int) -> None:
        """Put the job back on the queue as a new message delivered after `seconds` (a rate limit
        waited out: a new message starts again at receive 1, so waiting is not an attempt)."""
        ...


class TimerScheduler(Protocol):
    def schedule(self, timers: Sequence[Timer], *, now_ms: int) -> None:
        """Publish each timer as a job delivered after its delay (SQS DelaySeconds)."""
        ...


@dataclass(frozen=True)
class CompletedJob:
    job: Job
    outcome: str
    processed_at_ms: int


class AnalyticsSink(Protocol):
    def record(self, completed: Sequence[CompletedJob]) -> None:
        """Write the batch's command_calls rows (idempotent); may raise, the worker only logs it."""
        ...


@dataclass(frozen=True)
class Recorded:
    """A delivery that went out (or that Discord refused for good) in an earlier run."""

    key: str
    outcome: str  # "sent" or "refused"
    channel_id: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class Claim:
    """Who holds the intent to make a room (a thread, a channel): this call (`new`), or an
    earlier holder, which may be this same job run before (`same_job`), `age_seconds` ago."""

    new: bool
    same_job: bool = False
    age_seconds: float = 0.0


class DeliveryStore(Protocol):
    def lookup(self, keys: Sequence[str]) -> dict[str, Recorded]: ...

    def claim(self, key: str, *, kind: str, job_key: str, channel_id: str | None = None) -> Claim:
        """Record the intent `key` unless it is recorded already; say who holds it."""
        ...

    def record(self, key: str, *, kind: str, job_key: str, outcome: str, channel_id: str | None = None,
               message_id: str | None = None) -> None:
        """Record a creation under its key; a second record of the same key changes nothing."""
        ...

    def dm_channel(self, user_id: str) -> str | None:
        """The user's DM channel with the bot, if it was opened before."""
        ...

    def remember_dm_channel(self, user_id: str, channel_id: str) -> None:
        """Keep the channel Discord opened for this user."""
        ...

    def forget_dm_channel(self, user_id: str) -> None:
        """Drop a kept channel Discord no longer knows (10003 Unknown Channel)."""
        ...


class WorkerObserver(Protocol):
    """Logs and metrics of the worker (ladderline.observability.worker implements it)."""

    def job_scope(self, job: Job) -> AbstractContextManager[None]: ...

    def job_started(self, job: Job, queue_delay_ms: int) -> None: ...

    def command_done(self, job: Job, elapsed_ms: float, *, round_trips: int, db_ms: float) -> None: ...

    def edit_done(self, job: Job, result: RestResult) -> None: ...

    def delivery_done(self, job: Job, delivery: str, outcome: str, result: RestResult | None = None) -> None: ...

    def end_to_end(self, job: Job, elapsed_ms: int) -> None: ...

    def replayed(self, job: Job) -> None: ...

    def in_progress_elsewhere(self, job: Job) -> None: ...

    def job_failed(self, job: Job, exc: BaseException, *, final: bool) -> None: ...

    def job_unreadable(self, exc: BaseException, *, final: bool) -> None: ...

    def analytics_failed(self, rows: int) -> None: ...

    def timers_scheduled(self, job: Job, count: int) -> None: ...

    def ladder_metrics(self, job: Job, metrics: tuple[Metric, ...]) -> None: ...
