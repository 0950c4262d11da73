"""Ranks function (EventBridge schedule, every tick interval): rebuild the ranks snapshot that
/leaderboard and /profile read (migration 0011), when anything it shows changed.

Its own function, not a worker job: at 1,000,000 players the rebuild sorts about two million
entries (tens of seconds on a small database), far past the worker's 15 s, and no user waits on it.
One database call; a second run while one is in progress returns "busy" at once (the snapshot row is locked, SKIP LOCKED).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from ladderline import settings as names
from ladderline.adapters.database import PgDatabase
from ladderline.ladder import ranks
from ladderline.worker_settings import DatabaseSettings

logger = Logger(service=os.environ.get(names.SERVICE_NAME, "ranks"), level=os.environ.get(names.LOG_LEVEL, "INFO"))
metrics = Metrics(namespace=os.environ.get(names.METRICS_NAMESPACE, names.DEFAULT_METRICS_NAMESPACE),
                  service=os.environ.get(names.SERVICE_NAME, "ranks"))
database = PgDatabase.from_settings(DatabaseSettings.from_env())


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict[str, Any]:
    result = ranks.refresh_snapshot(database, datetime.now(UTC))
    if result.get("status") == "refreshed":
        # Published only when there is something to say (log_metrics warns on an empty flush).
        metrics.add_metric(name="RanksRefreshTime", unit=MetricUnit.Milliseconds, value=result.get("build_ms", 0))
        metrics.add_metric(name="RankedEntries", unit=MetricUnit.Count, value=result.get("total", 0))
        metrics.flush_metrics()
    logger.info("ranks snapshot", extra=result)
    return result
