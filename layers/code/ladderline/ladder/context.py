"""What a command handler gets (the job, a database, the clock) and what it returns (a reply)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ladderline.ladder.deliveries import Delivery, Timer
from ladderline.pipeline.job import Job


class Database(Protocol):
    # Statements sent and time spent so far (the worker reports them per command).
    round_trips: int
    time_ms: float

    def transaction(self, statement: str) -> list[list[Any]]:
        """Run one SQL statement inside BEGIN/COMMIT in a single network round trip; return its rows."""

    def close(self) -> None:
        """Close the connection (a new one opens on the next transaction)."""


@dataclass(frozen=True)
class Reply:
    """What a handler hands back: the original response's new body, more deliveries, timers.

    body is the common case: the message body to PATCH onto the original response (None means
    "leave the message as it is"). `deliveries` go out after it, in order, each exactly once
    (ladderline.ladder.deliveries); `timers` are scheduled after the database work committed.
    outcome is a label for analytics.
    """

    body: dict[str, Any] | None
    outcome: str = "ok"
    deliveries: tuple[Delivery, ...] = ()
    timers: tuple[Timer, ...] = ()


@dataclass
class JobContext:
    job: Job
    db: Database
    started_at_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    clock: Callable[[], float] = time.time
