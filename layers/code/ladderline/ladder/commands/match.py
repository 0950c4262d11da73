"""A match's buttons, timers and report tick: Confirm / Abort (a second click confirms the abort),
the report buttons with their confirm step, the confirmation reminder and deadline (timers), and
the report reminders / staff flags (a tick).

Every transition is one SQL call under the match row's lock (ladder_match_confirm / _abort /
_deadline / _report), so double clicks, redeliveries and a timer firing at the same instant as
the last Confirm each change the match once. The deliveries are derived from the match's state
with keys made of the match and user ids, so a handler that runs again after the transition
resends nothing (the worker sends each key once) and completes anything a crash left unsent.

custom_ids: `mc:<match>` Confirm, `ma:<match>` Abort (first click: asks), `mab:<match>` Abort
for real, `mr:<match>:<won|lost|draw>` asks, `mrs:<match>:<won|lost|draw>` reports.
"""

from __future__ import annotations

from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import InteractionType
from ladderline.ladder import guards
from ladderline.ladder import match_messages as msg
from ladderline.ladder.context import JobContext, Metric, Reply, now, tick_id
from ladderline.ladder.deliveries import DirectMessage, FollowUp
from ladderline.ladder.routes import Ack, Route
from ladderline.worker_settings import StaffSettings

NOT_YOURS = "This isn't your match."
UNKNOWN = "That match doesn't exist."


def _args(ctx: JobContext) -> list[str]:
    return (ctx.job.custom_id or "").split(":")[1:]


def _match_id(ctx: JobContext) -> int | None:
    args = _args(ctx)
    return int(args[0]) if args and args[0].isdigit() else None


def _staff() -> tuple[str | None, str | None]:
    found = StaffSettings.from_env()
    return found.channel_id, found.role_id


def _problem(result: dict[str, Any]) -> Reply | None:
    if result["status"] == "unknown":
        return Reply(responses.message(UNKNOWN), outcome="unknown_match")
    if result["status"] == "not_player":
        return Reply(responses.message(NOT_YOURS), outcome="not_player")
    return None


# A match's transitions as one metric with a bounded `transition` dimension, counted by the call
# that made the transition (changed), never by a replay or a double click.
TRANSITIONS = ("confirmed", "aborted", "abandoned", "final", "conflict")


def transition_metric(result: dict[str, Any], status: str) -> tuple[Metric, ...]:
    if not result.get("changed") or status not in TRANSITIONS:
        return ()
    return (Metric("MatchTransitions", (1,), dimensions=(("transition", status),)),)


def _bad_button() -> Reply:
    return Reply(responses.message("This button is out of date."), outcome="invalid")


# --- confirm / abort -----------------------------------------------------------------------------
def after_transition(match: dict[str, Any]) -> list[Any]:
    """What both players must have been told once a match reached its current state."""
    if match["status"] in ("aborted", "abandoned"):
        return msg.closed_notices(match)
    if match["status"] != "confirming":
        return msg.card_deliveries(match)
    return []


def handle_confirm(ctx: JobContext) -> Reply:
    match_id = _match_id(ctx)
    if match_id is None:
        return _bad_button()
    result = guards.call(ctx, "ladder_match_confirm", match_id, int(ctx.job.user_id), now(ctx))
    problem = _problem(result)
    if problem:
        return problem
    match = result["match"]
    deliveries = after_transition(match)
    if result["changed"] and match["status"] == "confirming":
        deliveries.append(msg.opponent_confirmed(match, ctx.job.user_id))
    return Reply(msg.confirmed_body(match, ctx.job.user_id), outcome=f"confirm_{match['status']}",
                 deliveries=tuple(deliveries), metrics=transition_metric(result, match["status"]))


def handle_abort_ask(ctx: JobContext) -> Reply:
    match_id = _match_id(ctx)
    if match_id is None:
        return _bad_button()
    result = guards.call(ctx, "ladder_match_read", match_id)
    if result["status"] == "unknown":
        return Reply(responses.message(UNKNOWN), outcome="unknown_match")
    match = result["match"]
    if ctx.job.user_id not in (p["user_id"] for p in match["players"]):
        return Reply(responses.message(NOT_YOURS), outcome="not_player")
    if match["status"] != "confirming":
        return Reply(msg.confirmed_body(match, ctx.job.user_id), outcome=f"abort_{match['status']}")
    return Reply(msg.abort_check_body(match, ctx.job.user_id), outcome="abort_asked")


def handle_abort(ctx: JobContext) -> Reply:
    match_id = _match_id(ctx)
    if match_id is None:
        return _bad_button()
    result = guards.call(ctx, "ladder_match_abort", match_id, int(ctx.job.user_id), now(ctx))
    problem = _problem(result)
    if problem:
        return problem
    match = result["match"]
    if match["status"] == "aborted":
        body = responses.message(embeds=[responses.embed(f"Match #{match_id}", msg.closed_text(match), color=msg.RED)])
    else:
        # Too late: both confirmed (or the deadline passed) first.
        body = msg.confirmed_body(match, ctx.job.user_id)
    return Reply(body, outcome=f"abort_{match['status']}", deliveries=tuple(after_transition(match)),
                 metrics=transition_metric(result, match["status"]))


def handle_remind(ctx: JobContext) -> Reply:
    match_id = int((ctx.job.payload or {})["match_id"])
    result = guards.call(ctx, "ladder_match_read", match_id)
    if result["status"] != "ok" or result["match"]["status"] != "confirming":
        return Reply(None, outcome="not_needed")
    match = result["match"]
    return Reply(None, outcome="reminded",
                 deliveries=tuple(msg.reminder(match, p["user_id"]) for p in match["players"] if not p["confirmed"]))


def handle_deadline(ctx: JobContext) -> Reply:
    match_id = int((ctx.job.payload or {})["match_id"])
    result = guards.call(ctx, "ladder_match_deadline", match_id, now(ctx))
    if result["status"] != "ok":
        return Reply(None, outcome="unknown_match")
    match = result["match"]
    # Abandoned now or before (a re-run): the notices; confirmed or aborted: nothing to add here.
    deliveries = msg.closed_notices(match) if match["status"] == "abandoned" else []
    return Reply(None, outcome=f"deadline_{match['status']}", deliveries=tuple(deliveries),
                 metrics=transition_metric(result, match["status"]))


# --- reports -------------------------------------------------------------------------------------
def handle_report_ask(ctx: JobContext) -> Reply:
    args = _args(ctx)
    if len(args) != 2 or not args[0].isdigit() or args[1] not in msg.REPORTS:
        return _bad_button()
    # No database: the question is a new message under the card (the card stays as it is).
    return Reply(None, outcome="report_asked",
                 deliveries=(FollowUp(f"report-ask:{ctx.job.interaction_id}", msg.report_question(int(args[0]), args[1])),))


def handle_report(ctx: JobContext) -> Reply:
    args = _args(ctx)
    if len(args) != 2 or not args[0].isdigit() or args[1] not in msg.REPORTS:
        return _bad_button()
    match_id, report = int(args[0]), args[1]
    result = guards.call(ctx, "ladder_match_report", match_id, int(ctx.job.user_id), report, now(ctx))
    problem = _problem(result)
    if problem:
        return problem
    status, match = result["status"], result["match"]
    if status == "not_confirmed":
        return Reply(responses.message(f"Match #{match_id} isn't confirmed by both players yet."), outcome=status)
    if status == "closed":
        return Reply(responses.message(f"Match #{match_id} is already {match['status']}: reports are closed."),
                     outcome=status)
    text = msg.your_report_text(match, ctx.job.user_id)
    if status == "report_locked":
        text = f"You already reported differently for match #{match_id}. {text}"
    deliveries = msg.result_deliveries(match, _staff())
    if match["status"] == "confirmed":
        text += " Waiting for your opponent's report."
        if result.get("changed"):
            deliveries.append(msg.opponent_reported(match, ctx.job.user_id))
    else:
        text += " " + msg.result_line(match).split("\n")[0]
    return Reply(responses.message(f"📝 Match #{match_id}: {text}"), outcome=f"report_{status}",
                 deliveries=tuple(deliveries), metrics=transition_metric(result, str(result.get("transition"))))


def handle_report_sweep(ctx: JobContext) -> Reply:
    result = guards.call(ctx, "ladder_report_sweep", tick_id(ctx), now(ctx))
    deliveries: list[Any] = []
    for match in result["reminders"]:
        for player in match["players"]:
            if player.get("report") is None:
                deliveries.append(DirectMessage(
                    f"match:{match['match_id']}:report-reminder:{player['user_id']}", player["user_id"],
                    responses.message(f"⏰ Match #{match['match_id']} still needs your result: press **I won**, "
                                      "**I lost** or **Draw** on the match card.")))
    channel, role = _staff()
    if channel:
        for match in result["flags"]:
            deliveries.append(msg.staff_message(
                f"match:{match['match_id']}:report-overdue", channel, role,
                f"⏰ Match #{match['match_id']} was confirmed 24 hours ago and still lacks a report. "
                f"Decide it with `/admin resolve match_id:{match['match_id']}`."))
    return Reply(None, outcome="swept", deliveries=tuple(deliveries))


ROUTES = (
    Route(key=msg.CONFIRM_ROUTE, kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.UPDATE_DISABLED,
          ephemeral=False, handler=handle_confirm),
    Route(key=msg.ABORT_ROUTE, kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.DEFERRED_UPDATE,
          ephemeral=False, handler=handle_abort_ask),
    Route(key=msg.ABORT_SURE_ROUTE, kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.UPDATE_DISABLED,
          ephemeral=False, handler=handle_abort),
    Route(key=msg.REPORT_ROUTE, kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.DEFERRED_UPDATE,
          ephemeral=True, handler=handle_report_ask),
    Route(key=msg.REPORT_SURE_ROUTE, kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.UPDATE_DISABLED,
          ephemeral=True, handler=handle_report),
)

TIMERS = {"match_remind": handle_remind, "match_deadline": handle_deadline}
TICKS = {"report_reminders": handle_report_sweep}
