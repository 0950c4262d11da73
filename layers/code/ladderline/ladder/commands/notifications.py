"""/notifications: a DM when someone joins the queue in your range (their rating on a race of the
other game within the first wave's window of yours), at most one per chosen interval, never while
you are in a match or queueing yourself.

A join publishes one `queue_alerts` job (the fan-out lane): it claims the alerts once in SQL
(`ladder_queue_alerts`, migration 0017) and hands them to send jobs of ALERTS_PER_JOB, so one
join never carries many players' DMs on one retry budget. A send job may run minutes later (a
rate limit, a backlog): it asks again who is still free and whether the joiner still queues
(`ladder_queue_alert_recipients`, migration 0018) and alerts only them; an alert is never sent
once it is untrue, and each is sent at most once (its delivery key).
"""

from __future__ import annotations

from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import InteractionType, OptionType
from ladderline.ladder import guards
from ladderline.ladder.context import JobContext, Reply, now
from ladderline.ladder.deliveries import DirectMessage, Timer
from ladderline.ladder.i18n import N_, Text, text_for
from ladderline.ladder.labels import player_label
from ladderline.ladder.queue_alerts import ALERTS_ROUTE, SEND_ROUTE
from ladderline.ladder.routes import SERVER_AND_BOT_DM, Ack, Route

ALERTS_PER_JOB = 10
CHOICES = (("Off", "off"), ("At most every 15 minutes", "15"), ("At most every hour", "60"),
           ("At most every 3 hours", "180"), ("At most once a day", "1440"))
LABELS = {value: name for name, value in CHOICES}
# How often, inside the "on" answer (the choices' names are localized in registration).
EVERY = {"15": N_("at most every 15 minutes"), "60": N_("at most every hour"), "180": N_("at most every 3 hours"),
         "1440": N_("at most once a day")}


def handle(ctx: JobContext) -> Reply:
    chosen = str(ctx.job.options.get("alerts") or "")
    if chosen not in LABELS:
        return Reply(responses.message(ctx.tx("Pick one of the choices.")), outcome="invalid")
    every = None if chosen == "off" else int(chosen)
    result = guards.call(ctx, "ladder_alerts_set", int(ctx.job.user_id), every, now(ctx))
    tx = ctx.text()
    refused = guards.guard_reply(result, tx)
    if refused:
        return refused
    if every is None:
        return Reply(responses.message(tx("🔕 Queue notifications are off.")), outcome="alerts_off")
    return Reply(responses.message(tx(
        "🔔 You'll get a DM when someone joins the queue in your range, {every}; never while you're in a match or "
        "queueing. `/notifications alerts:Off` stops them.", every=tx(EVERY[chosen]))), outcome="alerts_on")


def handle_alerts(ctx: JobContext) -> Reply:
    payload = ctx.job.payload or {}
    join_key = str(payload["join_key"])
    result = guards.call(ctx, "ladder_queue_alerts", join_key, int(payload["joiner"]), now(ctx))
    joiner = result.get("joiner") or {}
    who = player_label(joiner.get("name"), str(joiner.get("user_id") or payload["joiner"]))
    users = list(result["alerted"])
    jobs = tuple(Timer(SEND_ROUTE, f"queue:{join_key}:alerts:{i}", 0,
                       {"join_key": join_key, "joiner": str(payload["joiner"]), "who": who,
                        "users": users[i:i + ALERTS_PER_JOB]})
                 for i in range(0, len(users), ALERTS_PER_JOB))
    return Reply(None, outcome=f"alerted_{len(users)}", timers=jobs)


def handle_alert_send(ctx: JobContext) -> Reply:
    """Send a group's alerts to those for whom they are still true (see the module's docstring)."""
    payload = ctx.job.payload or {}
    join_key = str(payload["join_key"])
    now_true = guards.call(ctx, "ladder_queue_alert_recipients", join_key, int(payload["joiner"]),
                           [str(user) for user in payload["users"]])
    if not now_true["joiner_queued"]:
        return Reply(None, outcome="alerts_stale")
    languages = now_true.get("languages") or {}
    alerts = tuple(DirectMessage(f"queue-alert:{join_key}:{user}", user,
                                 _alert_body(str(payload["who"]), text_for(languages.get(user))))
                   for user in now_true["free"])
    return Reply(None, outcome=f"alerts_sent_{len(alerts)}", deliveries=alerts)


def _alert_body(who: str, tx: Text) -> dict[str, Any]:
    return responses.message(tx("🔔 **{who}** just joined the ladder queue, in your range. `/queue` to play.", who=who))


ROUTES = (
    Route(key="notifications", kind=InteractionType.APPLICATION_COMMAND, contexts=SERVER_AND_BOT_DM,
          ack=Ack.DEFERRED_MESSAGE, ephemeral=True, handler=handle,
          description="Get a DM when someone joins the queue in your range",
          options=({"type": int(OptionType.STRING), "name": "alerts", "required": True,
                    "description": "How often at most (Off stops them)",
                    "choices": [{"name": name, "value": value} for name, value in CHOICES]},)),
)
TIMERS = {ALERTS_ROUTE: handle_alerts, SEND_ROUTE: handle_alert_send}
