"""Fan-out: what one job would have sent to many users, split into one job per recipient group.

A tick that tells many players something (a wave's "match found", queue expiries, report
reminders, staff flags) must not send it all itself: its deliveries would share one job's retry
budget, so one user's 429 or 5xx would delay, and in the end dead-letter, everybody's message.
Instead the tick commits its database work and publishes one `deliver` job per group (a match,
a queue entry): each is a timer with delay 0 and its own idempotency key, retried on its own,
sending its deliveries exactly once by their keys like any job (pipeline/outbox.py).

The deliveries travel in the job's payload (the queue is encrypted, as it is for interaction
tokens); SQS takes 256 KiB a message, far above a group's few small messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.deliveries import (
    ChannelMessage,
    Delivery,
    DirectMessage,
    EditMessage,
    EditResponse,
    Timer,
)

DELIVER_ROUTE = "deliver"

# The deliveries a fan-out job may carry (never EditOriginal or FollowUp: a timer has no token).
_KINDS: dict[str, type[Any]] = {
    "dm": DirectMessage, "channel_message": ChannelMessage, "edit_message": EditMessage,
    "edit_response": EditResponse,
}
_NAMES = {kind: name for name, kind in _KINDS.items()}


def encode(delivery: Delivery) -> dict[str, Any]:
    name = _NAMES.get(type(delivery))
    if name is None:
        raise ValueError(f"a fan-out job cannot carry {type(delivery).__name__}")
    return {"kind": name, **asdict(delivery)}


def decode(data: dict[str, Any]) -> Delivery:
    fields = dict(data)
    kind = _KINDS.get(str(fields.pop("kind", "")))
    if kind is None:
        raise ValueError(f"unknown delivery kind in a fan-out job: {data.get('kind')!r}")
    delivery: Delivery = kind(**fields)
    return delivery


def can_carry(delivery: Delivery) -> bool:
    """Whether a fan-out job can send this delivery (it needs no interaction token or room)."""
    return type(delivery) in _NAMES


def deliver_job(key: str, deliveries: Sequence[Delivery]) -> Timer:
    """One job that sends `deliveries` (in order, each once) as soon as the queue hands it over.
    `key` names the group (e.g. `queue:<join key>:expired`); it is the job's idempotency key."""
    return Timer(DELIVER_ROUTE, f"deliver:{key}", 0, {"deliveries": [encode(d) for d in deliveries]})


def handle_deliver(ctx: JobContext) -> Reply:
    deliveries = tuple(decode(d) for d in (ctx.job.payload or {}).get("deliveries") or [])
    return Reply(None, outcome="delivered", deliveries=deliveries)


# The registry's view of this module (ladder/registry.py): no commands, one timer route.
ROUTES: tuple[Any, ...] = ()
TIMERS = {DELIVER_ROUTE: handle_deliver}
