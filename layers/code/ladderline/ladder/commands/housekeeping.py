"""Ticks that keep the ladder's own records small (no command: they run on every tick)."""

from __future__ import annotations

from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.routes import Route

# The delivery record must outlive every re-run of its job (a day, like the idempotency records)
# and every later edit by key (a match message edited when the match ends): a month covers both.
DELIVERY_RETENTION_DAYS = 30
# A join's alert claims (/notifications) only need to outlive a re-run of its job.
ALERT_CLAIM_RETENTION_DAYS = 2


def prune_deliveries(ctx: JobContext) -> Reply:
    result = ctx.db.call("ladder_prune_deliveries", DELIVERY_RETENTION_DAYS)
    return Reply(None, outcome="pruned" if result and result.get("deleted") else "nothing_to_prune")


def prune_queue_alerts(ctx: JobContext) -> Reply:
    result = ctx.db.call("ladder_prune_queue_alerts", ALERT_CLAIM_RETENTION_DAYS)
    return Reply(None, outcome="pruned" if result and result.get("deleted") else "nothing_to_prune")


ROUTES: tuple[Route, ...] = ()
TICKS = {"prune_deliveries": prune_deliveries, "prune_queue_alerts": prune_queue_alerts}
