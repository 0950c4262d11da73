"""Ingress Lambda (API Gateway HTTP API, POST /interactions): verify, answer at once, queue the work.

Everything expensive happens at init (key parsing, the registry) so a warm request is signature
check + one SendMessage. Imports are kept to what pays for itself on the path Discord times at 3 s
(measured with `python -X importtime`, README "Benchmarks"): no boto3 (SendMessage is signed and
sent by adapters/sqs_json.py), no command handlers (ladder/ingress_routes.py), no Powertools.
"""

from __future__ import annotations

import gc
import time

from ladderline.adapters.sqs_json import publisher_from_env
from ladderline.discord.verify import SignatureVerifier
from ladderline.ladder.ingress_routes import ingress_routes
from ladderline.observability.ingress import IngressObserver
from ladderline.observability.logs import configure_json_logging
from ladderline.pipeline.ingress import Ingress
from ladderline.settings import IngressSettings, is_snapstart_init

settings = IngressSettings.from_env()
configure_json_logging(settings.service_name, settings.log_level, own_logger="ladderline.ingress")
observer = IngressObserver(settings)
publisher = publisher_from_env(settings.queue_url)
# The routes' acks without the command handlers (ladder/ingress_routes.py: ~60 ms less init).
routes = ingress_routes()
ingress = Ingress(
    SignatureVerifier(settings.public_key_hex, settings.replay_window_seconds),
    publisher,
    routes,
    max_body_bytes=settings.max_body_bytes,
)

# Only an init that takes a SnapStart snapshot has hooks to run (snapshot_restore_py, from the
# Lambda runtime, imports typing: ~4 ms that an on-demand cold start need not pay).
if is_snapstart_init():
    from snapshot_restore_py import register_after_restore, register_before_snapshot

    # A snapshot's init time is free: restored ingresses get the modal and autocomplete code too.
    register_before_snapshot(routes.preload)
    # A restored snapshot may run hours later on another host: its connection is dead and its
    # credentials are those of the moment the snapshot was taken.
    register_after_restore(publisher.reset)

# Everything made at init lives as long as the container: out of the collector's sight, its
# collections stay short instead of walking the init objects again (a tail-latency source).
gc.freeze()


def lambda_handler(event: dict, context: object) -> dict:
    started = time.perf_counter()
    result = ingress.handle(event)
    observer.record(result, (time.perf_counter() - started) * 1000, context)
    return result.response
