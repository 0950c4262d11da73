"""A worker core wired to the real parts (PostgreSQL, moto's DynamoDB and SQS, the Discord
emulator) around a registry of the test's own handlers, for delivery and job-kind tests that need
handlers the ladder does not have."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from ladderline.adapters.analytics import PgCommandCalls
from ladderline.adapters.database import PgDatabase, open_connection, params_from_url
from ladderline.adapters.deliveries import PgDeliveryStore
from ladderline.adapters.invalid_requests import DynamoDbInvalidRequestCounter
from ladderline.adapters.timers import SqsTimerScheduler
from ladderline.discord.constants import InteractionType
from ladderline.discord.rest import DiscordRest
from ladderline.job import Job
from ladderline.ladder.registry import Registry
from ladderline.pipeline.worker import Worker, idempotency_config

from tests.support.aws import REGION, AwsResources, LambdaContext
from tests.support.discord import BOT_TOKEN
from tests.support.interactions import make_interaction


@dataclass
class RecordingObserver:
    """A WorkerObserver that keeps what it was told (the Powertools one is tested elsewhere)."""

    events: list[tuple[str, Any]] = field(default_factory=list)

    def job_scope(self, job: Job) -> Any:
        import contextlib

        return contextlib.nullcontext()

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> None:
            self.events.append((name, (args, kwargs)))

        return record

    def deliveries(self) -> list[tuple[str, str]]:
        """(delivery kind, outcome) of each delivery_done, in order."""
        return [(args[1], args[2]) for name, (args, _) in self.events if name == "delivery_done"]


def make_worker(routes_module: ModuleType | SimpleNamespace, *, aws: AwsResources, discord: Any,
                database_url: str, invalid_limit: int = 8000,
                fanout_routes: frozenset[str] = frozenset()) -> tuple[Worker, RecordingObserver]:
    registry = Registry.from_modules((routes_module,))  # type: ignore[arg-type]
    database = PgDatabase(lambda: open_connection(params_from_url(database_url)))
    observer = RecordingObserver()
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=aws.endpoint)
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=aws.endpoint)
    worker = Worker(
        registry=registry, database=database,
        discord=DiscordRest(discord.base_url, bot_token=lambda: BOT_TOKEN, listener=observer,
                            invalid_requests=DynamoDbInvalidRequestCounter(dynamodb, aws.table_name,
                                                                           limit=invalid_limit)),
        persistence=DynamoDBPersistenceLayer(table_name=aws.table_name, boto3_client=dynamodb),
        config=idempotency_config(), max_receive_count=4, observer=observer,  # type: ignore[arg-type]
        deliveries=PgDeliveryStore(database), timers=SqsTimerScheduler(sqs, aws.queue_url),
        analytics=PgCommandCalls(database), fanout_routes=fanout_routes)
    return worker, observer


def interaction_job(discord: Any, route: str, *, created: float | None = None, **options: Any) -> tuple[Job, dict]:
    """An interaction the emulator knows (deferred, "thinking..."), and its job."""
    from tests.support.interactions import snowflake

    payload = make_interaction(2, data={"id": "1", "name": route, "type": 1},
                               id=snowflake(created) if created else None)
    discord.track_interaction(payload, {"type": 5, "data": {"flags": 64}})
    job = Job(interaction_id=payload["id"], route=route, application_id=payload["application_id"],
              token=payload["token"], interaction_type=int(InteractionType.APPLICATION_COMMAND),
              user_id=payload["member"]["user"]["id"], guild_id=payload["guild_id"],
              channel_id=payload["channel_id"], received_at_ms=int(time.time() * 1000), ack_type=5,
              options=dict(options))
    return job, payload


def run(worker: Worker, job: Job | str, receive_count: int = 1) -> dict[str, Any]:
    """One invocation with one record, as the Lambda handler does it; raises when the record fails."""
    body = job if isinstance(job, str) else job.to_json()
    worker.begin_batch(LambdaContext())
    try:
        return worker.handle_record(body, receive_count)
    finally:
        worker.end_batch()


def dies_recording(monkeypatch: Any, worker: Worker, key: str) -> Callable[[], None]:
    """Until the returned function is called, recording delivery `key` raises: the worker killed
    between Discord's answer and the record (what no nonce protects a room's creation from)."""
    store = worker._outbox._store
    real_record = store.record

    def die(delivery_key: str, **kwargs: Any) -> None:
        if delivery_key == key:
            raise ConnectionError("the worker died between Discord's answer and the record")
        real_record(delivery_key, **kwargs)

    monkeypatch.setattr(store, "record", die)
    return lambda: monkeypatch.setattr(store, "record", real_record)
