"""What a command handler gets (the job, a database, the clock) and what it returns (a reply)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ladderline.job import Job
from ladderline.ladder.deliveries import Delivery, Timer


class Database(Protocol):
    """The database port commands use: the ladder's SQL functions, one round trip each.

    Every write and read of a command is one SQL function (infra/migrations/) returning one jsonb
    value; the adapter quotes the arguments and runs `BEGIN; SELECT f(...); COMMIT` as a single
    message. Commands never build SQL text.
    """

    # Statements sent and time spent so far (the worker reports them per command).
    round_trips: int
    time_ms: float

    def call(self, function: str, *args: Any) -> Any:
        """Run `SELECT function(args...)` as one transaction; its jsonb result as Python (None for NULL)."""
        ...


@dataclass(frozen=True)
class Metric:
    """A ladder measurement the worker publishes (CloudWatch embedded metric format) after the job.

    values: one or more observations (e.g. each matched player's wait); unit: a CloudWatch unit
    name (Count, Milliseconds, Seconds, None); dimensions: bounded values only (e.g. side=bw),
    never an id, so the number of metric streams stays fixed.
    """

    name: str
    values: tuple[float, ...]
    unit: str = "Count"
    dimensions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Reply:
    """What a handler hands back: the original response's new body, more deliveries, timers.

    body is the common case: the message body to PATCH onto the original response (None means
    "leave the message as it is"). `deliveries` go out after it, in order, each exactly once
    (ladderline.ladder.deliveries); `timers` are scheduled after the database work committed.
    outcome is a label for analytics. `metrics` are published once the handler ran (a handler
    reports a transition only when its SQL says it changed something, so a replay adds nothing).
    """

    body: dict[str, Any] | None
    outcome: str = "ok"
    deliveries: tuple[Delivery, ...] = ()
    timers: tuple[Timer, ...] = ()
    metrics: tuple[Metric, ...] = ()


@dataclass
class JobContext:
    job: Job
    db: Database
    started_at_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    clock: Callable[[], float] = time.time


def now(ctx: JobContext) -> datetime:
    """The job's clock as an aware UTC datetime (what the SQL functions take as "now")."""
    return datetime.fromtimestamp(ctx.clock(), tz=UTC)


def tick_id(ctx: JobContext) -> str:
    """The id of the tick a tick job runs for (its idempotency key); the job's own id otherwise."""
    payload = getattr(ctx.job, "payload", None) or {}
    return str(payload.get("tick_id") or ctx.job.interaction_id)
