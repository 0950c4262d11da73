"""The worker core: one SQS record → one job → its handler (one database round trip) → its
deliveries, each exactly once → its timers.

- Idempotency (Powertools, DynamoDB) is keyed on the job's own key (Job.idempotency_key): the
  interaction id (not the SQS messageId: a second publish of the same interaction gets a new
  messageId), a timer's key, or "<tick_id>:<name>" for each tick handler. The SQL is idempotent
  too (unique keys), because after a Lambda timeout the same job runs again by design, and so
  are the deliveries (pipeline/outbox.py: recorded creations are skipped on a re-run).
- A job that fails retriably raises, so Powertools reports it in batchItemFailures and SQS
  redelivers it: after RETRY_DELAYS_SECONDS (the message's visibility is shortened), or after the
  queue's visibility timeout if that fails. On its last receive an interaction's user is first
  told; then the raise sends it to the DLQ. Nothing is dropped silently.
- Timers go to the queue (DelaySeconds) after the deliveries, when the handler's database work
  has committed; a re-run publishes them again, and their own key makes the second one a no-op.
- Analytics are handed to an AnalyticsSink once per batch, off the user's path.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

from ladderline.discord import responses
from ladderline.discord.rest import DiscordRest
from ladderline.discord.snowflake import created_at_ms
from ladderline.job import Job, JobError, JobKind
from ladderline.ladder import fanout
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.deliveries import Delivery, EditOriginal
from ladderline.ladder.i18n import N_, text_for
from ladderline.ladder.registry import Registry
from ladderline.ladder.routes import Handler
from ladderline.pipeline.outbox import Outbox, answered_what, nonce_for
from ladderline.pipeline.ports import (
    AnalyticsSink,
    CompletedJob,
    DeliveryStore,
    RetryScheduler,
    TimerScheduler,
    WorkerDatabase,
    WorkerObserver,
)

logger = logging.getLogger("ladderline.worker")

FINAL_ERROR_TEXT = N_(
    "Sorry, something went wrong while processing this and I couldn't finish it. "
    "The problem has been recorded; please try again in a few minutes."
)
# Time kept in reserve at the end of an invocation for the idempotency record and the batch insert.
DEADLINE_MARGIN_SECONDS = 2.0
# When the next attempt of a failed job starts, by the attempt that failed (1st, 2nd, 3rd...):
# soon enough that the user is not left waiting, spaced enough for a restart or a rate limit to pass.
RETRY_DELAYS_SECONDS = (3, 15, 45)
IDEMPOTENCY_KEY_FIELD = "idempotency_key"


# A job Discord rate-limits is put back on the queue as a new message instead of failing an attempt
# (a community-sized fan-out shares one global limit: its jobs would otherwise spend every attempt
# waiting and dead-letter). Waiting is bounded: after this long since the job was made, a rate
# limit counts as an attempt again, so nothing waits forever.
MAX_DEFER_SECONDS = 15 * 60
# The n-th deferral waits DEFER_BASE_SECONDS * 2**n (capped), plus up to DEFER_JITTER_SECONDS, so
# the jobs a limit held back do not all come back in the same second.
DEFER_BASE_SECONDS = 5
DEFER_MAX_SECONDS = 60
DEFER_JITTER_SECONDS = 5


class RetryLater(Exception):
    """The job could not finish now but may later (Discord unavailable, rate limited, breaker open)."""

    def __init__(self, why: str, rate_limited: bool = False) -> None:
        super().__init__(why)
        self.rate_limited = rate_limited


def idempotency_config() -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath=IDEMPOTENCY_KEY_FIELD,
        raise_on_no_idempotency_key=True,
        # Interaction tokens die after 15 minutes; a day covers every redelivery that matters.
        expires_after_seconds=24 * 3600,
        # No in-process cache: a batch's records run on threads (pipeline/batch.py) and Powertools'
        # local cache (an LRU OrderedDict) is not thread-safe: two threads evicting or reading at
        # once raise KeyError/RuntimeError, failing a record whose job already ran (on its last
        # receive the user would then be told it failed). It would only spare one GetItem when a
        # completed job is redelivered to the same container, and the conditional PutItem already
        # returns the stored record then (ReturnValuesOnConditionCheckFailure).
        use_local_cache=False,
    )


class Worker:
    def __init__(self, *, registry: Registry, database: WorkerDatabase, discord: DiscordRest,
                 persistence: BasePersistenceLayer, config: IdempotencyConfig, max_receive_count: int,
                 observer: WorkerObserver, deliveries: DeliveryStore, timers: TimerScheduler | None = None,
                 analytics: AnalyticsSink | None = None, retries: RetryScheduler | None = None,
                 clock: Callable[[], float] = time.time, fanout_routes: frozenset[str] = frozenset()) -> None:
        self._registry = registry
        self._db = database
        self._discord = discord
        self._max_receive_count = max_receive_count
        self._retries = retries
        self._timers = timers
        # The fan-out lane's routes: every other job hands rate-limited messages off to that lane
        # (outbox.py, Hand-off). Empty: one lane, nothing is handed off.
        self._fanout_routes = fanout_routes
        self._analytics = analytics
        self._observer = observer
        self._outbox = Outbox(discord, deliveries, observer, clock)
        self._clock = clock
        self._config = config
        self._completed: list[CompletedJob] = []
        self._context: Any = None
        # Per thread: the records of a batch may run side by side (pipeline/batch.py).
        self._local = threading.local()
        self._process = idempotent_function(
            data_keyword_argument="job", config=config, persistence_store=persistence)(self._process_job)
        # Configured here, once, before a batch's records run side by side: Powertools configures
        # the store on first use and marks it configured before it has set the key expression, so
        # a second thread arriving then would hash the whole job instead of its key.
        persistence.configure(config, f"{self._process_job.__module__}.{self._process_job.__qualname__}")

    # --- batch lifecycle (called by the Lambda handler) -------------------------------------

    def begin_batch(self, lambda_context: Any) -> None:
        # Powertools needs the context in every invocation to expire in-progress records when
        # this invocation would have timed out.
        self._config.register_lambda_context(lambda_context)
        self._context = lambda_context
        self._completed = []

    def end_batch(self) -> None:
        """Hand the batch's analytics to the sink; never fails the batch."""
        completed, self._completed = self._completed, []
        if not completed or self._analytics is None:
            return
        try:
            self._analytics.record(completed)
        except Exception:
            logger.exception("analytics insert failed; %d rows not recorded", len(completed))
            self._observer.analytics_failed(len(completed))

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
        if job.kind == JobKind.TICK.value:
            return self._handle_tick(job, last_attempt, receipt_handle, receive_count)
        return self._handle_one(job, job.idempotency_key(), last_attempt, receipt_handle, receive_count)

    def _handle_tick(self, job: Job, last_attempt: bool, receipt_handle: str | None,
                     receive_count: int) -> dict[str, Any]:
        """Every tick handler, each under its own key: one that fails does not re-run the others."""
        outcomes: dict[str, Any] = {}
        failure: BaseException | None = None
        for name in self._registry.ticks():
            named = job.replace(route=name)
            try:
                outcomes[name] = self._handle_one(named, job.idempotency_key(name), last_attempt, None,
                                                  receive_count)["outcome"]
            except Exception as exc:  # noqa: BLE001 - the others still run; the record fails afterwards
                failure = failure or exc
        if failure is not None:
            self._retry_soon(receipt_handle, receive_count, last_attempt)
            raise failure
        return {"outcome": "ok", "ticks": outcomes}

    def _handle_one(self, job: Job, key: str, last_attempt: bool, receipt_handle: str | None,
                    receive_count: int) -> dict[str, Any]:
        with self._observer.job_scope(job):
            self._local.ran_fresh = False
            try:
                result = self._process(job={**job.to_dict(), IDEMPOTENCY_KEY_FIELD: key})
            except IdempotencyAlreadyInProgressError:
                self._observer.in_progress_elsewhere(job)
                if last_attempt:
                    # Another delivery of this job holds it; it will finish or retry itself.
                    return {"outcome": "in_progress_elsewhere"}
                self._retry_soon(receipt_handle, receive_count, last_attempt)
                raise
            except Exception as exc:
                if isinstance(exc, RetryLater) and exc.rate_limited and self._defer(job):
                    return {"outcome": "deferred"}  # not completed: it is recorded when it is
                self._observer.job_failed(job, exc, final=last_attempt)
                if last_attempt:
                    if job.is_interaction:
                        self._tell_user_it_failed(job)
                    self._completed.append(CompletedJob(job, "dead_lettered", self._now_ms()))
                else:
                    self._retry_soon(receipt_handle, receive_count, last_attempt)
                raise
            if not self._local.ran_fresh:
                self._observer.replayed(job)
            self._completed.append(CompletedJob(job, result["outcome"], self._now_ms()))
            return result

    def _defer(self, job: Job) -> bool:
        """Put a rate-limited timer or interaction job back on the queue as a new message, after a
        growing delay (True), unless it is too old or the queue refuses it (False: it fails as usual).
        Its in-progress idempotency record is already gone (the job raised), and what it delivered is
        recorded, so the new message sends only what is left."""
        if self._retries is None or job.kind == JobKind.TICK.value:
            return False
        made_ms = created_at_ms(job.interaction_id) if job.is_interaction else job.received_at_ms
        if self._now_ms() - made_ms > MAX_DEFER_SECONDS * 1000:
            return False
        deferrals = int(job.extra.get("deferrals", 0))
        delay = min(DEFER_MAX_SECONDS, DEFER_BASE_SECONDS * 2 ** deferrals) + random.randint(0, DEFER_JITTER_SECONDS)
        try:
            self._retries.defer(job.replace(extra={**job.extra, "deferrals": deferrals + 1}).to_json(), delay)
        except Exception:
            logger.warning("could not defer a rate-limited job; it is retried as a failed attempt", exc_info=True)
            return False
        logger.info("rate limited: the job comes back as a new message", extra={"deferrals": deferrals + 1,
                                                                              "delay_seconds": delay})
        return True

    def _retry_soon(self, receipt_handle: str | None, receive_count: int, last_attempt: bool) -> None:
        if (last_attempt or self._retries is None or receipt_handle is None
                or receive_count > len(RETRY_DELAYS_SECONDS)):
            return
        try:
            self._retries.retry_in(receipt_handle, RETRY_DELAYS_SECONDS[receive_count - 1])
        except Exception:  # best effort: the queue's visibility timeout brings it back anyway
            logger.warning("could not shorten the retry delay; the job returns after the visibility timeout",
                           exc_info=True)

    def _handler(self, job: Job) -> Handler | None:
        if job.kind == JobKind.TIMER.value:
            return self._registry.timer(job.route)
        if job.kind == JobKind.TICK.value:
            return self._registry.ticks().get(job.route)
        route = self._registry.find(job.interaction_type, job.route)
        return route.handler if route is not None else None

    def _process_job(self, job: dict[str, Any]) -> dict[str, Any]:
        """Runs once per idempotency key (Powertools stores the returned dict as the result)."""
        self._local.ran_fresh = True
        parsed = Job.from_dict(job)
        handler = self._handler(parsed)
        if handler is None:
            if not parsed.is_interaction:
                logger.error("no %s handler named %s; the job is dropped", parsed.kind, parsed.route)
                return {"outcome": "unknown_route", "edit": "none"}
            tx = text_for(parsed.locale)
            reply = Reply(responses.message(tx("That command is no longer available.")), outcome="unknown_route")
        else:
            ctx = JobContext(job=parsed, db=self._db, started_at_ms=self._now_ms(), clock=self._clock)
            self._observer.job_started(parsed, queue_delay_ms=ctx.started_at_ms - parsed.received_at_ms)
            round_trips_before, db_ms_before = self._db_counters()
            started = time.perf_counter()
            reply = handler(ctx)
            self._observer.command_done(
                parsed, (time.perf_counter() - started) * 1000,
                round_trips=self._db_counters()[0] - round_trips_before, db_ms=self._db_counters()[1] - db_ms_before)
            if reply.metrics:
                self._observer.ladder_metrics(parsed, reply.metrics)
        deliveries: list[Delivery] = []
        if reply.body is not None:
            if parsed.is_interaction:
                deliveries.append(EditOriginal(reply.body))
            else:
                logger.error("a %s reply's body has no interaction to edit; use DirectMessage or "
                             "ChannelMessage", parsed.kind)
        deliveries.extend(reply.deliveries)
        handoff = bool(self._fanout_routes) and self._timers is not None and parsed.route not in self._fanout_routes
        report = self._outbox.send(parsed, deliveries, deadline=self._deadline(), handoff=handoff)
        if report.retry is not None:
            # Raising deletes the in-progress idempotency record, so the redelivery runs again;
            # the SQL is idempotent and recorded deliveries are skipped, so nothing happens twice.
            raise RetryLater(report.retry, rate_limited=report.rate_limited)
        timers = list(reply.timers)
        if report.handed_off:
            # Keyed by this job: a re-run hands off under the same key, and the fan-out job's
            # deliveries keep their own keys, so each message still goes out once.
            timers.append(fanout.deliver_job(f"handoff:{parsed.idempotency_key()}", report.handed_off))
        if timers and self._timers is not None:
            self._timers.schedule(timers, now_ms=self._now_ms())
            self._observer.timers_scheduled(parsed, len(timers))
        if report.edit is not None and report.edit.delivered and parsed.is_interaction:
            self._observer.end_to_end(parsed, self._now_ms() - created_at_ms(parsed.interaction_id))
        return {"outcome": reply.outcome, "edit": report.edit.outcome.value if report.edit else "none",
                "sent": len(report.sent), "skipped": len(report.skipped)}

    def _db_counters(self) -> tuple[int, float]:
        # This thread's own statements: other records of the batch may be using the database too.
        per_thread = getattr(self._db, "thread_counters", None)
        return per_thread() if per_thread else (self._db.round_trips, self._db.time_ms)

    def _tell_user_it_failed(self, job: Job) -> None:
        """On the last attempt, the user must learn the job failed: the original response says so,
        or, when that route cannot carry it now (rate limited with a long reset, Discord down, the
        token expired), a DM does. The DM is keyed on the interaction, so it goes out once."""
        # In the client's language: the failure may be the database's, which holds the player's choice.
        tx = text_for(job.locale)
        try:
            result = self._discord.edit_original(job.application_id, job.token, job.interaction_id,
                                                 responses.message(tx(FINAL_ERROR_TEXT)), deadline=self._deadline())
            self._observer.edit_done(job, result)
            if result.delivered:
                return
            logger.warning("the failure notice could not replace the reply; sending it as a DM",
                           extra={"status": result.status, "discord_code": result.error_code})
            about = tx("About your {what}", what=answered_what(job, tx))
            if job.interaction_id.isdigit():
                about += " " + tx("from <t:{at}:f>", at=created_at_ms(job.interaction_id) // 1000)
            # Straight to Discord, not through the outbox: the failure may be the database's, and
            # the outbox records through it. The nonce (enforce_nonce) keeps a repeat to one DM.
            opened = self._discord.open_dm(job.user_id, deadline=self._deadline())
            channel = opened.data.get("id") if opened.delivered and isinstance(opened.data, dict) else None
            sent = self._discord.create_message(
                str(channel), responses.message(f"{about}: {tx(FINAL_ERROR_TEXT)}"),
                nonce=nonce_for(f"{job.interaction_id}:failed:dm"), deadline=self._deadline()) if channel else None
            if sent is None or not sent.delivered:
                logger.error("the failure notice could not be sent as a DM either",
                             extra={"status": (sent or opened).status, "discord_code": (sent or opened).error_code})
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
