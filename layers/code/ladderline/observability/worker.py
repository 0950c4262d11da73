"""What the worker reports: Powertools Logger keys per job and Powertools metrics (EMF).

Every log line of a job carries the interaction id as correlation id, plus command and guild;
never the token. Metrics with a `command` dimension use registry route names only (bounded).
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from ladderline.discord.rest import EditResult
from ladderline.pipeline.job import Job

JOB_KEYS = ("correlation_id", "command", "guild_id", "interaction_type")


class WorkerObserver:
    def __init__(self, logger: Logger, metrics: Metrics, namespace: str, service: str) -> None:
        self.logger = logger
        self.metrics = metrics
        self._namespace = namespace
        self._service = service

    @contextlib.contextmanager
    def job_scope(self, job: Job) -> Iterator[None]:
        self.logger.append_keys(correlation_id=job.interaction_id, command=job.route,
                                guild_id=job.guild_id, interaction_type=job.interaction_type)
        try:
            yield
        finally:
            self.logger.remove_keys(list(JOB_KEYS))

    def _by_command(self, name: str, unit: MetricUnit, value: float, job: Job, **dims: str) -> None:
        with single_metric(name=name, unit=unit, value=value, namespace=self._namespace,
                           default_dimensions={"service": self._service}) as metric:
            metric.add_dimension(name="command", value=job.route)
            for key, dim in dims.items():
                metric.add_dimension(name=key, value=dim)

    def job_started(self, job: Job, queue_delay_ms: int) -> None:
        self.metrics.add_metric(name="QueueDelay", unit=MetricUnit.Milliseconds, value=max(0, queue_delay_ms))
        self.logger.info("job started", extra={"queue_delay_ms": queue_delay_ms})

    def command_done(self, job: Job, elapsed_ms: float, *, round_trips: int, db_ms: float) -> None:
        self._by_command("ProcessingTime", MetricUnit.Milliseconds, elapsed_ms, job)
        self._by_command("DatabaseTime", MetricUnit.Milliseconds, db_ms, job)
        self._by_command("DatabaseRoundTrips", MetricUnit.Count, round_trips, job)
        self.logger.info("command done", extra={"processing_ms": round(elapsed_ms, 2),
                                                "db_ms": round(db_ms, 2), "db_round_trips": round_trips})

    def edit_done(self, job: Job, result: EditResult) -> None:
        self.metrics.add_metric(name="DiscordEditLatency", unit=MetricUnit.Milliseconds, value=result.latency_ms)
        with single_metric(name="DiscordEdits", unit=MetricUnit.Count, value=1, namespace=self._namespace,
                           default_dimensions={"service": self._service}) as metric:
            metric.add_dimension(name="outcome", value=result.outcome.value)
        self.logger.info("edit done", extra={"edit_outcome": result.outcome.value, "attempts": result.attempts,
                                             "status": result.status, "edit_ms": round(result.latency_ms, 2)})

    def end_to_end(self, job: Job, elapsed_ms: int) -> None:
        self.metrics.add_metric(name="EndToEndTime", unit=MetricUnit.Milliseconds, value=max(0, elapsed_ms))

    def replayed(self, job: Job) -> None:
        self.metrics.add_metric(name="IdempotentReplays", unit=MetricUnit.Count, value=1)
        self.logger.info("duplicate delivery: returned the stored result")

    def in_progress_elsewhere(self, job: Job) -> None:
        self.metrics.add_metric(name="IdempotentReplays", unit=MetricUnit.Count, value=1)
        self.logger.info("duplicate delivery while the first is in progress")

    def job_failed(self, job: Job, exc: BaseException, *, final: bool) -> None:
        self._by_command("JobsFailed", MetricUnit.Count, 1, job)
        if final:
            self.metrics.add_metric(name="JobsDeadLettered", unit=MetricUnit.Count, value=1)
        self.logger.error("job failed", extra={"final_attempt": final, "error": type(exc).__name__,
                                               "detail": str(exc).replace(job.token, "[token]")[:300]})

    def analytics_failed(self, rows: int) -> None:
        self.metrics.add_metric(name="AnalyticsRowsDropped", unit=MetricUnit.Count, value=rows)

    def cold_start(self) -> None:
        self.metrics.add_metric(name="ColdStart", unit=MetricUnit.Count, value=1)

    def context(self) -> dict[str, Any]:
        return {"service": self._service}
