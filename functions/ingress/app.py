"""Ingress Lambda (API Gateway HTTP API, POST /interactions): verify, answer at once, queue the work.

Everything expensive happens at init (key parsing, the SQS client, the registry) so a warm request
is signature check + one SendMessage. No Powertools Tracer/idempotency/parameters/Logger here: each
adds hundreds of milliseconds to a cold start on the path Discord times at 3 s.
"""

from __future__ import annotations

import time

from ladderline.adapters.queue import SqsPublisher, sqs_client
from ladderline.discord.verify import SignatureVerifier
from ladderline.ladder.registry import registry
from ladderline.observability.ingress import IngressObserver
from ladderline.observability.logs import configure_json_logging
from ladderline.pipeline.ingress import Ingress
from ladderline.settings import IngressSettings

settings = IngressSettings.from_env()
configure_json_logging(settings.service_name, settings.log_level, own_logger="ladderline.ingress")
observer = IngressObserver(settings)
ingress = Ingress(
    SignatureVerifier(settings.public_key_hex, settings.replay_window_seconds),
    SqsPublisher(sqs_client(), settings.queue_url),
    registry(),
    max_body_bytes=settings.max_body_bytes,
)


def lambda_handler(event: dict, context: object) -> dict:
    started = time.perf_counter()
    result = ingress.handle(event)
    observer.record(result, (time.perf_counter() - started) * 1000, context)
    return result.response
