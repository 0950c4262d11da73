"""The worker core: one SQS record → one job → at most one database round trip → one edit.

- Idempotency (Powertools, DynamoDB) is keyed on the Discord interaction id, not the SQS
  messageId: a second publish of the same interaction gets a new messageId. The SQL itself is
  idempotent too (unique keys), because after a Lambda timeout the same job runs again by design.
- A job that fails retriably raises, so Powertools reports it in batchItemFailures and SQS
  redelivers it: after RETRY_DELAYS_SECONDS (the message's visibility is shortened), or after the
  queue's visibility timeout if that fails. On its last receive the user's message is first
  edited to a friendly error; then the raise sends it to the DLQ. Nothing is dropped silently.
- Analytics (`command_calls`) is one multi-row, idempotent insert per batch, off the user's path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

from ladderline.discord import responses
from ladderline.discord.rest import DiscordRest, EditOutcome, EditResult
from ladderline.discord.snowflake import created_at_ms
from ladderline.ladder import sql
from ladderline.ladder.context import Database, JobContext, Reply
from ladderline.ladder.registry import Registry
from ladderline.observability.worker import WorkerObserver
from ladderline.pipeline.job import Job, JobError

logger = logging.getLogger("ladderline.worker")

FINAL_ERROR_TEXT = (
    "Sorry, something went wrong while processing this and I couldn't finish it. "
    "The problem has been recorded; please try again in a few minutes."
)
# Time kept in reserve at the end of an invocation for the idempotency record and the batch insert.
DEADLINE_MARGIN_SECONDS = 2.0
# When the next attempt of a failed job starts, by the attempt that failed (1st, 2nd, 3rd...):
# soon enough that the user is not left waiting, spaced enough for a restart or a rate limit to pass.
RETRY_DELAYS_SECONDS = (3, 15, 45)


class RetryScheduler(Protocol):
    def retry_in(self, receipt_handle: str, seconds: int) -> None: ...


class RetryLater(Exception):
    """The job could not finish now but may later (Discord unavailable or rate limited)."""


def idempotency_config() -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath="interaction_id",
        raise_on_no_idempotency_key=True,
        # Interaction tokens die after 15 minutes; a day covers every redelivery that matters.
        expires_after_seconds=24 * 3600,
        use_local_cache=True,
    )


@dataclass
class _Completed:
    job: Job
    outcome: str
    processed_at_ms: int


class Worker:
    def __init__(self, *, registry: Registry, database: Database, discord: DiscordRest,
                 persistence: BasePersistenceLayer, config: IdempotencyConfig, max_receive_count: int,
                 observer: WorkerObserver, retries: RetryScheduler | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._registry = registry
        self._db = database
        self._discord = discord
        self._max_receive_count = max_receive_count
        self._retries = retries
        self._observer = observer
        self._clock = clock
        self._config = config
        self._completed: list[_Completed] = []
        self._context: Any = None
        self._ran_fresh = False
        self._process = idempotent_function(
            data_keyword_argument="job", config=config, persistence_store=persistence)(self._process_job)

    # --- batch lifecycle (called by the Lambda handler) -------------------------------------

    def begin_batch(self, lambda_context: Any) -> None:
        # Powertools needs the context in every invocation to expire in-progress records when
        # this invocation would have timed out.
        self._config.register_lambda_context(lambda_context)
        self._context = lambda_context
        self._completed = []

    def end_batch(self) -> None:
        """Write the batch's analytics rows in one idempotent insert; never fails the batch."""
        if not self._completed:
            return
        rows = ",\n".join(
            "(" + ", ".join([
                sql.literal(int(c.job.interaction_id)), sql.literal(int(c.job.user_id)),
                sql.literal(int(c.job.guild_id) if c.job.guild_id else None), sql.literal(c.job.route),
                f"to_timestamp({c.job.received_at_ms / 1000:.3f})", f"to_timestamp({c.processed_at_ms / 1000:.3f})",
                sql.literal(c.outcome),
            ]) + ")"
            for c in self._completed
        )
        try:
            self._db.transaction(
                "INSERT INTO command_calls (interaction_id, user_id, guild_id, command, received_at, "
                f"processed_at, outcome) VALUES\n{rows}\nON CONFLICT (interaction_id) DO NOTHING")
        except Exception:
            logger.exception("analytics insert failed; %d rows not recorded", len(self._completed))
            self._observer.analytics_failed(len(self._completed))
        self._completed = []

    def close(self) -> None:
        """Close the database connection (the local stack and the tests, when they are done)."""
        self._db.close()

    # --- one record --------------------------------------------------------------------------

    def handle_record(self, body: str, receive_count: int, receipt_handle: str | None = None) -> dict[str, Any]:
        last_attempt = receive_count >= self._max_receive_count
        try:
            job = Job.from_json(body)
        except JobError as exc:  # propagates: the record fails and ends in the DLQ
            self._observer.job_unreadable(exc, final=last_attempt)
            raise
        with self._observer.job_scope(job):
            self._ran_fresh = False
            try:
                result = self._process(job=job.to_dict())
            except IdempotencyAlreadyInProgressError:
                self._observer.in_progress_elsewhere(job)
                if last_attempt:
                    # Another delivery of this interaction holds it; it will finish or retry itself.
                    return {"outcome": "in_progress_elsewhere"}
                self._retry_soon(receipt_handle, receive_count)
                raise
            except Exception as exc:
                self._observer.job_failed(job, exc, final=last_attempt)
                if last_attempt:
                    self._tell_user_it_failed(job)
                    self._completed.append(_Completed(job, "dead_lettered", self._now_ms()))
                else:
                    self._retry_soon(receipt_handle, receive_count)
                raise
            if not self._ran_fresh:
                self._observer.replayed(job)
            self._completed.append(_Completed(job, result["outcome"], self._now_ms()))
            return result

    def _retry_soon(self, receipt_handle: str | None, receive_count: int) -> None:
        if self._retries is None or receipt_handle is None or receive_count > len(RETRY_DELAYS_SECONDS):
            return
        try:
            self._retries.retry_in(receipt_handle, RETRY_DELAYS_SECONDS[receive_count - 1])
        except Exception:  # best effort: the queue's visibility timeout brings it back anyway
            logger.warning("could not shorten the retry delay; the job returns after the visibility timeout",
                           exc_info=True)

    def _process_job(self, job: dict[str, Any]) -> dict[str, Any]:
        """Runs once per interaction id (Powertools stores the returned dict as the result)."""
        self._ran_fresh = True
        parsed = Job.from_dict(job)
        route = self._registry.find(parsed.interaction_type, parsed.route)
        if route is None or route.handler is None:
            reply = Reply(responses.message("That command is no longer available."), outcome="unknown_route")
        else:
            ctx = JobContext(job=parsed, db=self._db, started_at_ms=self._now_ms(), clock=self._clock)
            self._observer.job_started(parsed, queue_delay_ms=ctx.started_at_ms - parsed.received_at_ms)
            round_trips_before, db_ms_before = self._db.round_trips, self._db.time_ms
            started = time.perf_counter()
            reply = route.handler(ctx)
            self._observer.command_done(
                parsed, (time.perf_counter() - started) * 1000,
                round_trips=self._db.round_trips - round_trips_before, db_ms=self._db.time_ms - db_ms_before)
        edit = self._edit(parsed, reply.body) if reply.body is not None else None
        if edit is not None and edit.retriable:
            # Raising deletes the in-progress idempotency record, so the redelivery runs again;
            # the SQL is idempotent, so the re-run writes nothing twice.
            raise RetryLater(f"discord edit {edit.outcome.value} after {edit.attempts} attempts")
        if edit is not None and edit.delivered:
            self._observer.end_to_end(parsed, self._now_ms() - created_at_ms(parsed.interaction_id))
        return {"outcome": reply.outcome, "edit": edit.outcome.value if edit else "none"}

    def _edit(self, job: Job, body: dict[str, Any]) -> EditResult:
        result = self._discord.edit_original(job.application_id, job.token, job.interaction_id, body,
                                             deadline=self._deadline())
        self._observer.edit_done(job, result)
        if result.outcome in (EditOutcome.FAILED, EditOutcome.TOKEN_EXPIRED):
            logger.error("discord refused the edit: %s (status %s, code %s: %s)", result.outcome.value,
                         result.status, result.error_code, result.error_message)
        return result

    def _tell_user_it_failed(self, job: Job) -> None:
        try:
            self._edit(job, responses.message(FINAL_ERROR_TEXT))
        except Exception:
            logger.exception("could not tell the user the job failed")

    def _deadline(self) -> float:
        remaining_ms = None
        if self._context is not None and hasattr(self._context, "get_remaining_time_in_millis"):
            remaining_ms = self._context.get_remaining_time_in_millis()
        if remaining_ms is None:
            remaining_ms = 10_000
        return self._clock() + remaining_ms / 1000 - DEADLINE_MARGIN_SECONDS

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)
