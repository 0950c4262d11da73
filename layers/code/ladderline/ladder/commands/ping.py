"""/ping: proves the path end to end (ack, queue delay, one database round trip, the edit)."""

from __future__ import annotations

import time

from ladderline.discord import responses
from ladderline.discord.constants import InteractionType
from ladderline.discord.snowflake import created_at_ms
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.routes import SERVER_AND_BOT_DM, Ack, Route


def handle(ctx: JobContext) -> Reply:
    job = ctx.job
    before = time.perf_counter()
    ctx.db.call("ladder_ping")
    db_ms = (time.perf_counter() - before) * 1000
    created = created_at_ms(job.interaction_id)
    lines = [
        "Pong!",
        f"Discord to ingress: {max(0, job.received_at_ms - created)} ms",
        f"Queue delay: {max(0, ctx.started_at_ms - job.received_at_ms)} ms",
        f"Database round trip: {db_ms:.1f} ms",
    ]
    return Reply(responses.message("\n".join(lines)))


ROUTES = (
    Route(
        key="ping",
        kind=InteractionType.APPLICATION_COMMAND, contexts=SERVER_AND_BOT_DM,
        ack=Ack.DEFERRED_MESSAGE,
        ephemeral=True,
        handler=handle,
        description="Check that the bot answers, and how fast each step is",
    ),
)
