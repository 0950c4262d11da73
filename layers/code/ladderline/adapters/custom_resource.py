"""CloudFormation custom resources: run the work, then always answer CloudFormation.

CloudFormation waits (up to an hour) for a PUT of the outcome to the request's presigned
ResponseURL; a function that dies without answering leaves the stack hanging. So the outcome is
sent on success, on any exception, and, if the function is about to hit its own timeout, by a
timer that answers FAILED first. Exactly one answer is ever sent per invocation.

Delete requests succeed without doing anything by default: the schema and the registered commands
outlive a stack update that replaces the resource, and a rollback after a failed Create sends a
Delete that must not fail too. Only the standard library: the response is a plain HTTPS PUT.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

logger = logging.getLogger("ladderline.custom_resource")

SUCCESS = "SUCCESS"
FAILED = "FAILED"
# Answer this long before the function's own timeout, so the timer's PUT still has time to finish.
TIMEOUT_MARGIN_MS = 10_000
# CloudFormation shows the reason in the stack events; the whole response must stay under 4 KB.
MAX_REASON_CHARS = 1000
PUT_TIMEOUT_SECONDS = 20

Work = Callable[[Mapping[str, Any]], Mapping[str, str] | None]


def response_body(event: Mapping[str, Any], status: str, reason: str, physical_id: str,
                  data: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "Status": status,
        "Reason": reason[:MAX_REASON_CHARS],
        "PhysicalResourceId": physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": False,
        "Data": dict(data or {}),
    }


def send(event: Mapping[str, Any], body: Mapping[str, Any]) -> None:
    """PUT the response to the presigned S3 URL (never logged: it is a credential until it expires)."""
    payload = json.dumps(body).encode("utf-8")
    # The presigned URL was signed without a content type: sending one would break the signature.
    request = urllib.request.Request(event["ResponseURL"], data=payload, method="PUT",
                                     headers={"Content-Type": "", "Content-Length": str(len(payload))})
    with urllib.request.urlopen(request, timeout=PUT_TIMEOUT_SECONDS) as response:
        response.read()


class _Responder:
    """Sends at most one response per invocation (the work or the timeout timer, whichever is first)."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self._event = event
        self._lock = threading.Lock()
        self.sent: str | None = None

    def answer(self, status: str, reason: str, physical_id: str, data: Mapping[str, str] | None = None) -> bool:
        with self._lock:
            if self.sent is not None:
                return False
            self.sent = status
        send(self._event, response_body(self._event, status, reason, physical_id, data))
        logger.info("answered CloudFormation", extra={"status": status,
                                                       "request_type": self._event.get("RequestType")})
        return True


def handle(event: Mapping[str, Any], context: Any, work: Work, physical_id: str,
           on_delete: Work | None = None) -> str:
    """Run `work` for Create and Update (`on_delete`, if any, for Delete) and answer CloudFormation.

    Returns the status sent. `physical_id` is constant for a resource, so an Update never looks
    like a replacement (which would make CloudFormation send a Delete for the "old" one).
    """
    responder = _Responder(event)
    request_type = str(event.get("RequestType", ""))
    # On Delete, echo the id CloudFormation holds (a failed Create may have answered another one).
    resource_id = str(event.get("PhysicalResourceId") or physical_id)
    remaining_ms = int(context.get_remaining_time_in_millis()) if context is not None else 900_000
    timer = threading.Timer(
        max(0.0, (remaining_ms - TIMEOUT_MARGIN_MS) / 1000),
        lambda: responder.answer(FAILED, "timed out before the work finished (see the function's log)",
                                 resource_id))
    timer.daemon = True
    timer.start()
    try:
        if request_type in ("Create", "Update"):
            data = work(event)
        elif request_type == "Delete":
            data = on_delete(event) if on_delete is not None else None
        else:
            raise ValueError(f"unknown RequestType {request_type!r}")
    except Exception as exc:
        logger.exception("custom resource work failed", extra={"request_type": request_type})
        responder.answer(FAILED, f"{type(exc).__name__}: {exc}", resource_id)
    else:
        responder.answer(SUCCESS, "OK", resource_id, data)
    finally:
        timer.cancel()
    return responder.sent or FAILED
