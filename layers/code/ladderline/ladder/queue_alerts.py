"""The job a queue join publishes for /notifications (commands/notifications.py handles it): kept
here so the queue command and the notifications command share it without importing each other."""

from __future__ import annotations

from ladderline.ladder.deliveries import Timer

ALERTS_ROUTE = "queue_alerts"
SEND_ROUTE = "queue_alert_send"  # a group of a join's alerts, re-checked and sent (fan-out lane)


def alerts_job(join_key: str, joiner: str) -> Timer:
    """A join's alerts, looked up and claimed in their own job (the fan-out lane), keyed by the join."""
    return Timer(ALERTS_ROUTE, f"queue:{join_key}:alerts", 0, {"join_key": join_key, "joiner": joiner})
