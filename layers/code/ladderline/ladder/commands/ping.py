"""/ping [dm_after]: proves the path end to end (ack, queue delay, one database round trip, the
edit); with dm_after it also proves the timer and bot-token paths: a timer job runs that many
seconds later and DMs the user."""

from __future__ import annotations

import time

from ladderline.discord import responses
from ladderline.discord.constants import InteractionType, OptionType
from ladderline.discord.snowflake import created_at_ms
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.deliveries import MAX_TIMER_DELAY_SECONDS, DirectMessage, Timer
from ladderline.ladder.i18n import text_for
from ladderline.ladder.routes import SERVER_AND_BOT_DM, Ack, Route

TIMER_ROUTE = "ping_dm"


def handle(ctx: JobContext) -> Reply:
    job = ctx.job
    before = time.perf_counter()
    ctx.db.call("ladder_ping")
    db_ms = (time.perf_counter() - before) * 1000
    created = created_at_ms(job.interaction_id)
    tx = ctx.text()  # came with ladder_ping's round trip (ladder/context.py)
    lines = [
        "Pong!",
        tx("Discord to ingress: {ms} ms", ms=max(0, job.received_at_ms - created)),
        tx("Queue delay: {ms} ms", ms=max(0, ctx.started_at_ms - job.received_at_ms)),
        tx("Database round trip: {ms} ms", ms=f"{db_ms:.1f}"),
    ]
    delay = job.options.get("dm_after")
    if not isinstance(delay, int) or not 0 <= delay <= MAX_TIMER_DELAY_SECONDS:
        return Reply(responses.message("\n".join(lines)))
    lines.append(tx("I'll DM you in {seconds} s.", seconds=delay))
    # Keyed on the interaction: a re-run of this job schedules the same timer, which runs once.
    timer = Timer(route=TIMER_ROUTE, key=f"ping:{job.interaction_id}", delay_seconds=delay,
                  payload={"user_id": job.user_id, "due_at_ms": ctx.started_at_ms + delay * 1000,
                           "language": tx.language})
    return Reply(responses.message("\n".join(lines)), timers=(timer,))


def handle_timer(ctx: JobContext) -> Reply:
    payload = ctx.job.payload
    late_ms = max(0, int(ctx.clock() * 1000) - int(payload.get("due_at_ms") or 0))
    tx = text_for(payload.get("language"))
    text = tx("⏰ Pong from a timer: your `/ping dm_after` came due {ms} ms ago.", ms=late_ms)
    return Reply(None, deliveries=(DirectMessage(key=f"{ctx.job.interaction_id}:dm", user_id=str(payload["user_id"]),
                                                 body=responses.message(text)),))


ROUTES = (
    Route(
        key="ping",
        kind=InteractionType.APPLICATION_COMMAND, contexts=SERVER_AND_BOT_DM,
        ack=Ack.DEFERRED_MESSAGE,
        ephemeral=True,
        handler=handle,
        description="Check that the bot answers, and how fast each step is",
        options=({"type": int(OptionType.INTEGER), "name": "dm_after", "required": False,
                  "min_value": 0, "max_value": MAX_TIMER_DELAY_SECONDS,
                  "description": "Also DM me after this many seconds (checks timers and DMs)"},),
    ),
)

TIMERS = {TIMER_ROUTE: handle_timer}
