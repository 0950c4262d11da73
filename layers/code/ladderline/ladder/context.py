"""What a command handler gets (the job, a database, the clock) and what it returns (a reply)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ladderline.job import Job
from ladderline.ladder.deliveries import Delivery, Timer
from ladderline.ladder.i18n import Text, text_for


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


class _AskingLanguage:
    """The job's database, asking the player's language with the job's first call: the adapter
    sends `SELECT f(...), ladder_language(user, locale)`, one round trip for both (a database
    without call_pair, like the tests' fake, is asked separately when a text needs it)."""

    def __init__(self, db: Database, ctx: JobContext) -> None:
        self._db, self._ctx = db, ctx

    # The counters are the database's own (the protocol declares them as attributes).
    @property
    def round_trips(self) -> int:
        return self._db.round_trips

    @round_trips.setter
    def round_trips(self, value: int) -> None:
        self._db.round_trips = value

    @property
    def time_ms(self) -> float:
        return self._db.time_ms

    @time_ms.setter
    def time_ms(self, value: float) -> None:
        self._db.time_ms = value

    def call(self, function: str, *args: Any) -> Any:
        ctx, pair = self._ctx, getattr(self._db, "call_pair", None)
        if ctx._text is not None or pair is None or ctx._language_args() is None:
            return self._db.call(function, *args)
        value, language = pair((function, args), ("ladder_language", ctx._language_args()))
        ctx._text = text_for(language if isinstance(language, str) else ctx.job.locale)
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


@dataclass
class JobContext:
    job: Job
    db: Database
    started_at_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    clock: Callable[[], float] = time.time
    _text: Text | None = field(default=None, repr=False)
    _own_db: Database | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._own_db, self.db = self.db, _AskingLanguage(self.db, self)

    def tx(self, source: str, /, **params: Any) -> str:
        """A text in the language of the user who interacted (ladderline.ladder.i18n)."""
        return self.text()(source, **params)

    def text(self) -> Text:
        """The interacting user's language: their `/setup` choice, else the client's locale (Discord
        sends it with every interaction). Asked with the job's first database call; a job whose
        first text comes before any call asks alone. The same call records the locale, so DMs sent
        later by ticks speak it too. Jobs that are no interaction (ticks) speak English here: what
        they send to players is in each recipient's language (ladder/match_messages.py)."""
        if self._text is None:
            args = self._language_args()
            choice = self._own_db.call("ladder_language", *args) if args and self._own_db else None
            self._text = text_for(choice if isinstance(choice, str) else self.job.locale)
        return self._text

    def _language_args(self) -> tuple[int, str | None] | None:
        job = self.job
        return (int(job.user_id), job.locale) if job.user_id.isdigit() and job.token else None


def now(ctx: JobContext) -> datetime:
    """The job's clock as an aware UTC datetime (what the SQL functions take as "now")."""
    return datetime.fromtimestamp(ctx.clock(), tz=UTC)


def tick_id(ctx: JobContext) -> str:
    """The id of the tick a tick job runs for (its idempotency key); the job's own id otherwise."""
    payload = getattr(ctx.job, "payload", None) or {}
    return str(payload.get("tick_id") or ctx.job.interaction_id)
