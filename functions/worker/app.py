"""Worker Lambda (SQS event source, ReportBatchItemFailures): run each job once, edit the reply.

Wiring only: settings, the database (connected lazily, reused across invocations), the Discord
client (keep-alive session), the idempotency store, and Powertools' partial batch processing.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from ladderline.adapters.database import PgDatabase
from ladderline.adapters.queue import SqsRetryScheduler, sqs_client
from ladderline.discord.rest import DiscordRest
from ladderline.ladder.registry import registry
from ladderline.observability.worker import LOG_HANDLER, WorkerObserver, route_package_logs
from ladderline.pipeline.worker import Worker, idempotency_config
from ladderline.settings import DatabaseSettings, WorkerSettings

settings = WorkerSettings.from_env()
# `name`: the stdlib logger a line came from (ladderline.worker, ladderline.discord, ...).
logger = Logger(service=settings.service_name, level=settings.log_level, logger_handler=LOG_HANDLER,
                name="%(name)s")
route_package_logs(logger)
metrics = Metrics(namespace=settings.metrics_namespace, service=settings.service_name)
# A batch whose records all failed still answers with batchItemFailures (instead of raising), so
# every failure takes the same, per-record path back to the queue and, in the end, the DLQ.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
worker = Worker(
    registry=registry(),
    database=PgDatabase.from_settings(DatabaseSettings.from_env()),
    discord=DiscordRest(settings.discord_api_base),
    persistence=DynamoDBPersistenceLayer(table_name=settings.idempotency_table),
    config=idempotency_config(),
    max_receive_count=settings.max_receive_count,
    observer=WorkerObserver(logger, metrics, settings.metrics_namespace, settings.service_name),
    retries=SqsRetryScheduler(sqs_client(), settings.queue_url),
)


def record_handler(record: SQSRecord) -> dict:
    return worker.handle_record(record.body, int(record.attributes.approximate_receive_count),
                                record.receipt_handle)


@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> PartialItemFailureResponse:
    worker.begin_batch(context)
    try:
        return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    finally:
        worker.end_batch()
