"""What the worker reports: Powertools Logger keys per job and Powertools metrics (EMF).

Every log line of a job carries the interaction id as correlation id, plus command and guild;
never the token. Metrics (namespace POWERTOOLS_METRICS_NAMESPACE, `service` in every set):

- `metrics.add_metric` goes into the invocation's one record with the dimension set {service}:
  QueueDelay, EndToEndTime, DiscordEditLatency, IdempotentReplays, JobsFailed, JobsDeadLettered,
  AnalyticsRowsDropped (and Powertools' own ColdStart with {function_name, service}).
- `single_metric` records carry one more dimension each: {service, command} for ProcessingTime,
  DatabaseTime, DatabaseRoundTrips and JobsFailed, {service, outcome} for DiscordEdits, and
  {service, delivery, outcome} for Deliveries.
  `command` is a registry route key (bounded by the registry, never a user-supplied value),
  `outcome` an EditOutcome value (or a delivery outcome: sent, skipped, refused, retry, no_target)
  and `delivery` a delivery kind. DeliveriesRefused, DiscordInvalidRequests and
  DiscordBreakerOpen go out with {service} only, for their alarms. JobsFailed goes out in both sets: alarms need a metric without
  the command dimension, because a CloudWatch alarm cannot aggregate over a dimension.
- The ladder's own metrics (a Reply's `metrics`: waves, matches) go out as EMF records written
  directly, one per dimension set with every observation of a metric as a value list (EMF allows
  100 values per metric and record), so a wave's 200 waits are two log lines, not 200.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Iterator
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from ladderline.discord.rest import RestResult
from ladderline.job import Job
from ladderline.ladder.context import Metric
from ladderline.observability.emf import MAX_VALUES, EmfRecord, write_emf
from ladderline.observability.logs import StdoutHandler, configure_package_logging

JOB_KEYS = ("correlation_id", "command", "guild_id", "interaction_type", "job_kind")
# Enough to find the failing line; CloudWatch Logs caps an event at 256 KB anyway.
MAX_TRACEBACK_CHARS = 4000


# One per process: Powertools configures a logger once per name and afterwards reads a handler
# passed to a new Logger as already set up (both functions, or two workers, share tests' process).
LOG_HANDLER = StdoutHandler()


def route_package_logs(logger: Logger) -> None:
    """Send `ladderline.*` records (worker core, Discord client, database) through the Powertools
    handler, so they come out as JSON with the job's keys instead of as the runtime's plain text."""
    configure_package_logging(logger.registered_handler, logger.log_level)


class _LockedMetrics:
    """Metrics.add_metric from several threads: Powertools' metric set is a plain dict."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._lock = threading.Lock()

    def add_metric(self, **kwargs: Any) -> None:
        with self._lock:
            self._metrics.add_metric(**kwargs)


class WorkerObserver:
    """The worker's observer (ladderline.pipeline.ports.WorkerObserver) on Powertools."""

    def __init__(self, logger: Logger, metrics: Metrics, namespace: str, service: str) -> None:
        self.logger = logger
        self.metrics = _LockedMetrics(metrics)
        self._namespace = namespace
        self._service = service

    @contextlib.contextmanager
    def job_scope(self, job: Job) -> Iterator[None]:
        # Thread-safe keys: a batch's records run in threads side by side, each with its own job.
        self.logger.thread_safe_append_keys(correlation_id=job.interaction_id, command=job.route,
                                            guild_id=job.guild_id, interaction_type=job.interaction_type,
                                            job_kind=job.kind)
        try:
            yield
        finally:
            self.logger.thread_safe_remove_keys(list(JOB_KEYS))

    def _single(self, name: str, unit: MetricUnit, value: float, **dims: str) -> None:
        with single_metric(name=name, unit=unit, value=value, namespace=self._namespace,
                           default_dimensions={"service": self._service, **dims}):
            pass

    def job_started(self, job: Job, queue_delay_ms: int) -> None:
        self.metrics.add_metric(name="QueueDelay", unit=MetricUnit.Milliseconds, value=max(0, queue_delay_ms))
        self.logger.info("job started", extra={"queue_delay_ms": queue_delay_ms})

    def command_done(self, job: Job, elapsed_ms: float, *, round_trips: int, db_ms: float) -> None:
        self._single("ProcessingTime", MetricUnit.Milliseconds, round(elapsed_ms, 3), command=job.route)
        self._single("DatabaseTime", MetricUnit.Milliseconds, round(db_ms, 3), command=job.route)
        self._single("DatabaseRoundTrips", MetricUnit.Count, round_trips, command=job.route)
        self.logger.info("command done", extra={"processing_ms": round(elapsed_ms, 2),
                                                "db_ms": round(db_ms, 2), "db_round_trips": round_trips})

    def edit_done(self, job: Job, result: RestResult) -> None:
        self.metrics.add_metric(name="DiscordEditLatency", unit=MetricUnit.Milliseconds,
                                value=round(result.latency_ms, 3))
        self._single("DiscordEdits", MetricUnit.Count, 1, outcome=result.outcome.value)
        self.logger.info("edit done", extra={"edit_outcome": result.outcome.value, "attempts": result.attempts,
                                             "status": result.status, "edit_ms": round(result.latency_ms, 2)})

    def delivery_done(self, job: Job, delivery: str, outcome: str, result: RestResult | None = None) -> None:
        self._single("Deliveries", MetricUnit.Count, 1, delivery=delivery, outcome=outcome)
        if outcome == "refused":
            self.metrics.add_metric(name="DeliveriesRefused", unit=MetricUnit.Count, value=1)
        self.logger.info("delivery done", extra={
            "delivery": delivery, "delivery_outcome": outcome,
            "status": result.status if result else None, "discord_code": result.error_code if result else None})

    def timers_scheduled(self, job: Job, count: int) -> None:
        self.metrics.add_metric(name="TimersScheduled", unit=MetricUnit.Count, value=count)
        self.logger.info("timers scheduled", extra={"timers": count})

    def ladder_metrics(self, job: Job, metrics: tuple[Metric, ...]) -> None:
        for record in ladder_records(metrics, self._namespace, self._service):
            write_emf(record)

    # RestListener (the Discord client reports these from inside its retries).
    def invalid_request(self, status: int, scope: str | None) -> None:
        self._single("DiscordInvalidRequests", MetricUnit.Count, 1)
        self.logger.warning("discord invalid request", extra={"status": status, "scope": scope})

    def breaker_open(self) -> None:
        self._single("DiscordBreakerOpen", MetricUnit.Count, 1)
        self.logger.error("too many invalid discord requests across the workers: not calling discord")

    def end_to_end(self, job: Job, elapsed_ms: int) -> None:
        self.metrics.add_metric(name="EndToEndTime", unit=MetricUnit.Milliseconds, value=max(0, elapsed_ms))
        self.logger.info("job done", extra={"end_to_end_ms": elapsed_ms})

    def replayed(self, job: Job) -> None:
        self.metrics.add_metric(name="IdempotentReplays", unit=MetricUnit.Count, value=1)
        self.logger.info("duplicate delivery: returned the stored result")

    def in_progress_elsewhere(self, job: Job) -> None:
        self.metrics.add_metric(name="IdempotentReplays", unit=MetricUnit.Count, value=1)
        self.logger.info("duplicate delivery while the first is in progress")

    def job_failed(self, job: Job, exc: BaseException, *, final: bool) -> None:
        self.metrics.add_metric(name="JobsFailed", unit=MetricUnit.Count, value=1)
        self._single("JobsFailed", MetricUnit.Count, 1, command=job.route)
        if final:
            self.metrics.add_metric(name="JobsDeadLettered", unit=MetricUnit.Count, value=1)
        self.logger.error("job failed", extra={"final_attempt": final, **_describe(exc, job.token)})

    def job_unreadable(self, exc: BaseException, *, final: bool) -> None:
        """A queue message that is not a job: no command, no correlation id, no token to redact."""
        self.metrics.add_metric(name="JobsFailed", unit=MetricUnit.Count, value=1)
        if final:
            self.metrics.add_metric(name="JobsDeadLettered", unit=MetricUnit.Count, value=1)
        # The message text says which field is wrong; the body itself is never logged.
        self.logger.error("queue message is not a job", extra={"final_attempt": final,
                                                               "error": type(exc).__name__,
                                                               "detail": str(exc)[:300]})

    def analytics_failed(self, rows: int) -> None:
        self.metrics.add_metric(name="AnalyticsRowsDropped", unit=MetricUnit.Count, value=rows)


def ladder_records(metrics: tuple[Metric, ...], namespace: str, service: str) -> list[EmfRecord]:
    """EMF records for a reply's metrics: one per dimension set (and per MAX_VALUES values)."""
    grouped: dict[tuple[tuple[str, str], ...], dict[str, tuple[list[float], str]]] = {}
    for metric in metrics:
        if not metric.values:
            continue
        names = grouped.setdefault(metric.dimensions, {})
        values, _ = names.setdefault(metric.name, ([], metric.unit))
        values.extend(float(v) for v in metric.values)
    records = []
    for dimensions, names in grouped.items():
        longest = max(len(values) for values, _ in names.values())
        for start in range(0, longest, MAX_VALUES):
            chunk: dict[str, tuple[float | list[float], str]] = {
                name: (values[start:start + MAX_VALUES], unit)
                for name, (values, unit) in names.items() if values[start:start + MAX_VALUES]}
            records.append(EmfRecord(namespace, service).add(chunk, dict(dimensions)))
    return records


def _describe(exc: BaseException, token: str) -> dict[str, str]:
    # An exception's text may quote a URL, and edit URLs contain the token.
    text = "".join(traceback.format_exception(exc))
    detail = str(exc)
    if token:  # timers and ticks carry no token ("" would match everywhere)
        text, detail = text.replace(token, "[token]"), detail.replace(token, "[token]")
    return {"error": type(exc).__name__, "detail": detail[:300],
            "traceback": text[-MAX_TRACEBACK_CHARS:]}
