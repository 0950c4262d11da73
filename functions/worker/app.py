"""Worker Lambda (SQS event source, ReportBatchItemFailures): run each job once, send its deliveries.

Wiring only: settings, the database (connected lazily, reused across invocations), the Discord
client (keep-alive session, bot token from its secret, the shared invalid-request counter), the
idempotency store, the deliveries record, timers, analytics, and Powertools' partial batch processing.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from ladderline.adapters import bot_token
from ladderline.adapters.analytics import PgCommandCalls
from ladderline.adapters.database import PgDatabase
from ladderline.adapters.deliveries import PgDeliveryStore
from ladderline.adapters.dynamodb_json import dynamodb_client_from_env
from ladderline.adapters.invalid_requests import DynamoDbInvalidRequestCounter
from ladderline.adapters.queue import SqsRetryScheduler, queue_for_source, sqs_client
from ladderline.adapters.timers import SqsTimerScheduler
from ladderline.discord.rest import DiscordRest
from ladderline.ladder.registry import FANOUT_ROUTES, registry
from ladderline.observability.worker import LOG_HANDLER, WorkerObserver, route_package_logs
from ladderline.pipeline.batch import ConcurrentBatchProcessor
from ladderline.pipeline.worker import Worker, idempotency_config
from ladderline.worker_settings import DatabaseSettings, WorkerSettings

settings = WorkerSettings.from_env()
# `name`: the stdlib logger a line came from (ladderline.worker, ladderline.discord, ...).
logger = Logger(service=settings.service_name, level=settings.log_level, logger_handler=LOG_HANDLER,
                name="%(name)s")
route_package_logs(logger)
metrics = Metrics(namespace=settings.metrics_namespace, service=settings.service_name)
# A batch whose records all failed still answers with batchItemFailures (instead of raising), so
# every failure takes the same, per-record path back to the queue and, in the end, the DLQ.
# The batch's records run side by side (pipeline/batch.py): no user waits for another's Discord call.
processor = ConcurrentBatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
observer = WorkerObserver(logger, metrics, settings.metrics_namespace, settings.service_name)
database = PgDatabase.from_settings(DatabaseSettings.from_env())
sqs = sqs_client()
# DynamoDB through our own JSON-protocol client: botocore's CPU per call was what a batch's records
# queued behind (adapters/dynamodb_json.py; `make bench` Part D).
persistence = DynamoDBPersistenceLayer(table_name=settings.idempotency_table, boto3_client=dynamodb_client_from_env())
# The secret is read on first use and cached per container; locally DISCORD_BOT_TOKEN stands in.
token = (bot_token.from_secret(settings.bot_token_secret_arn) if settings.bot_token_secret_arn
         else bot_token.fixed(settings.bot_token))
retries = SqsRetryScheduler(sqs, settings.queue_url)
worker = Worker(
    registry=registry(),
    database=database,
    discord=DiscordRest(
        settings.discord_api_base, bot_token=token, listener=observer,
        invalid_requests=DynamoDbInvalidRequestCounter(persistence.client, settings.idempotency_table,
                                                       limit=settings.invalid_request_limit)),
    persistence=persistence,
    config=idempotency_config(),
    max_receive_count=settings.max_receive_count,
    observer=observer,
    deliveries=PgDeliveryStore(database),
    timers=SqsTimerScheduler(sqs, settings.queue_url, fanout_queue_url=settings.fanout_queue_url,
                             fanout_routes=FANOUT_ROUTES),
    analytics=PgCommandCalls(database),
    retries=retries,
    # A click's or a command's DMs never wait out a wave's use of Discord's global limit here:
    # handed off to the fan-out lane (pipeline/outbox.py, Hand-off).
    fanout_routes=FANOUT_ROUTES,
)


def record_handler(record: SQSRecord) -> dict:
    return worker.handle_record(record.body, int(record.attributes.approximate_receive_count),
                                record.receipt_handle)


@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> PartialItemFailureResponse:
    # One batch comes from one of the two queues: its retries and deferrals stay in that lane.
    records = event.get("Records") or [{}]
    retries.use_queue(queue_for_source(str(records[0].get("eventSourceARN", "")),
                                       [settings.queue_url, settings.fanout_queue_url]))
    worker.begin_batch(context)
    try:
        return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    finally:
        worker.end_batch()
