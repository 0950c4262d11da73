"""What the ingress reports per request: one structured log line and one EMF record.

Never the token, the raw body or the headers: only ids, the route, the outcome and timings.
Metrics (namespace from POWERTOOLS_METRICS_NAMESPACE, `service` dimension in every set):
- AckLatency (ms): handler time, from the event to the answer Discord gets.
- IngressRejections (count) by `reason`: one of REJECTION_REASONS (a fixed set).
- ColdStart (count) by function_name + service, as Powertools emits it in the worker.
"""

from __future__ import annotations

import logging

from ladderline.observability.emf import EmfRecord, write_emf
from ladderline.pipeline.ingress import IngressResult
from ladderline.settings import IngressSettings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the ingress's cold start)
if TYPE_CHECKING:
    from typing import Any

logger = logging.getLogger("ladderline.ingress")

# Outcomes that are rejections, as the IngressRejections metric's `reason` dimension (bounded set).
REJECTION_REASONS = ("bad_signature", "stale", "malformed", "too_large", "publish_failed")


class IngressObserver:
    def __init__(self, settings: IngressSettings, stream: Any = None) -> None:
        self._namespace = settings.metrics_namespace
        self._service = settings.service_name
        self._stream = stream
        # With SnapStart the snapshot is taken after init, so the first request after every
        # restore still sees True: a restore is a cold start too, only a faster one.
        self._cold = True

    def record(self, result: IngressResult, elapsed_ms: float, context: Any = None) -> None:
        emf = EmfRecord(self._namespace, self._service)
        emf.add({"AckLatency": (round(elapsed_ms, 3), "Milliseconds")})
        if result.outcome in REJECTION_REASONS:
            emf.add({"IngressRejections": (1, "Count")}, {"reason": result.outcome})
        if self._cold:
            self._cold = False
            function_name = getattr(context, "function_name", None)
            if function_name:
                emf.add({"ColdStart": (1, "Count")}, {"function_name": function_name})
        write_emf(emf, self._stream)
        level = logging.WARNING if result.outcome in REJECTION_REASONS else logging.INFO
        logger.log(level, "interaction answered", extra={
            "correlation_id": result.interaction_id,
            "command": result.route,
            "guild_id": result.guild_id,
            "interaction_type": result.interaction_type,
            "outcome": result.outcome,
            "status": result.response["statusCode"],
            "callback_type": result.callback_type,
            "ack_ms": round(elapsed_ms, 3),
            "function_request_id": getattr(context, "aws_request_id", None),
        })

