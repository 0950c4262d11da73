"""What the ingress reports per request: one structured log line and one EMF record.

Never the token, the raw body or the headers: only ids, the route, the outcome and timings.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from ladderline.observability.emf import emf_record, write_emf
from ladderline.pipeline.ingress import IngressResult
from ladderline.settings import IngressSettings

# Outcomes that are rejections, as the IngressRejections metric's `reason` dimension (bounded set).
REJECTION_REASONS = ("bad_signature", "stale", "malformed", "too_large", "publish_failed")


class IngressObserver:
    def __init__(self, settings: IngressSettings, stream=None) -> None:
        self._namespace = settings.metrics_namespace
        self._service = settings.service_name
        self._level = logging.getLevelName(settings.log_level.upper())
        self._stream = stream
        self._cold = True

    def record(self, result: IngressResult, elapsed_ms: float) -> None:
        metrics = {"AckLatency": (round(elapsed_ms, 3), "Milliseconds")}
        if self._cold:
            metrics["ColdStart"] = (1, "Count")
            self._cold = False
        write_emf(emf_record(self._namespace, self._service, metrics), self._stream)
        if result.outcome in REJECTION_REASONS:
            write_emf(emf_record(self._namespace, self._service, {"IngressRejections": (1, "Count")},
                                 {"reason": result.outcome}), self._stream)
        level = logging.WARNING if result.outcome in REJECTION_REASONS else logging.INFO
        if level >= (self._level if isinstance(self._level, int) else logging.INFO):
            line = {
                "level": logging.getLevelName(level),
                "timestamp": int(time.time() * 1000),
                "service": self._service,
                "message": "interaction answered",
                "correlation_id": result.interaction_id,
                "command": result.route,
                "guild_id": result.guild_id,
                "interaction_type": result.interaction_type,
                "outcome": result.outcome,
                "status": result.response["statusCode"],
                "callback_type": _callback_type(result),
                "ack_ms": round(elapsed_ms, 3),
            }
            (self._stream or sys.stdout).write(json.dumps(line, separators=(",", ":")) + "\n")


def _callback_type(result: IngressResult) -> int | None:
    try:
        return json.loads(result.response["body"]).get("type")
    except (ValueError, AttributeError):
        return None
