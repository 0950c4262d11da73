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

import math
from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import InteractionType
from ladderline.ladder import fanout, guards, waves
from ladderline.ladder import match_messages as msg
from ladderline.ladder.context import JobContext, Metric, Reply, now, tick_id
from ladderline.ladder.deliveries import (
    MAX_TIMER_DELAY_SECONDS,
    Delivery,
    DirectMessage,
    FollowUp,
    ThreadUpdate,
    Timer,
)
from ladderline.ladder.i18n import N_, Text, text_for
from ladderline.ladder.routes import Ack, Route
from ladderline.worker_settings import RoomSettings, StaffSettings

NOT_YOURS = N_("This isn't your match.")
UNKNOWN = N_("That match doesn't exist.")


def _args(ctx: JobContext) -> list[str]:
    return (ctx.job.custom_id or "").split(":")[1:]


def _match_id(ctx: JobContext) -> int | None:
    args = _args(ctx)
    return int(args[0]) if args and args[0].isdigit() else None


def _staff() -> tuple[str | None, str | None]:
    found = StaffSettings.from_env()
    return found.channel_id, found.role_id


def _problem(ctx: JobContext, result: dict[str, Any]) -> Reply | None:
    if result["status"] == "unknown":
        return Reply(responses.message(ctx.tx(UNKNOWN)), outcome="unknown_match")
    if result["status"] == "not_player":
        return Reply(responses.message(ctx.tx(NOT_YOURS)), outcome="not_player")
    return None


# A match's transitions as one metric with a bounded `transition` dimension, counted by the call
# that made the transition (changed), never by a replay or a double click.
TRANSITIONS = ("confirmed", "aborted", "abandoned", "final", "conflict")


def transition_metric(result: dict[str, Any], status: str) -> tuple[Metric, ...]:
    if not result.get("changed") or status not in TRANSITIONS:
        return ()
    return (Metric("MatchTransitions", (1,), dimensions=(("transition", status),)),)


def _bad_button(ctx: JobContext) -> Reply:
    return Reply(responses.message(ctx.tx("This button is out of date.")), outcome="invalid")


# --- confirm / abort -----------------------------------------------------------------------------
def after_transition(match: dict[str, Any]) -> list[Any]:
    """What both players must have been told once a match reached its current state (and, when
    the deployment has match threads, their private thread once it is confirmed)."""
    if match["status"] in ("aborted", "abandoned"):
        return msg.closed_notices(match)
    if match["status"] != "confirming":
        out: list[Any] = msg.card_deliveries(match)
        rooms = RoomSettings.from_env()
        if rooms is not None and match["status"] == "confirmed":
            out.append(msg.room_opened(match, rooms.guild_id, rooms.channel_id))
        return out
    return []


def handle_confirm(ctx: JobContext) -> Reply:
    match_id = _match_id(ctx)
    if match_id is None:
        return _bad_button(ctx)
    result = guards.call(ctx, "ladder_match_confirm", match_id, int(ctx.job.user_id), now(ctx))
    problem = _problem(ctx, result)
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
        return _bad_button(ctx)
    result = guards.call(ctx, "ladder_match_read", match_id)
    if result["status"] == "unknown":
        return Reply(responses.message(ctx.tx(UNKNOWN)), outcome="unknown_match")
    match = result["match"]
    if ctx.job.user_id not in (p["user_id"] for p in match["players"]):
        return Reply(responses.message(ctx.tx(NOT_YOURS)), outcome="not_player")
    if match["status"] != "confirming":
        return Reply(msg.confirmed_body(match, ctx.job.user_id), outcome=f"abort_{match['status']}")
    return Reply(msg.abort_check_body(match, ctx.job.user_id), outcome="abort_asked")


def handle_abort(ctx: JobContext) -> Reply:
    match_id = _match_id(ctx)
    if match_id is None:
        return _bad_button(ctx)
    result = guards.call(ctx, "ladder_match_abort", match_id, int(ctx.job.user_id), now(ctx))
    problem = _problem(ctx, result)
    if problem:
        return problem
    match = result["match"]
    if match["status"] == "aborted":
        tx = msg.player_text(match, ctx.job.user_id)
        body = responses.message(embeds=[responses.embed(tx("Match #{number}", number=match_id),
                                                          msg.closed_text(match, tx), color=msg.RED)])
    else:
        # Too late: both confirmed (or the deadline passed) first.
        body = msg.confirmed_body(match, ctx.job.user_id)
    return Reply(body, outcome=f"abort_{match['status']}", deliveries=tuple(after_transition(match)),
                 metrics=transition_metric(result, match["status"]))


def _delay_until(at: int, ctx: JobContext) -> int:
    """Seconds from now to `at` (rounded up: a timer must never fire before its time), within SQS's range."""
    return max(0, min(MAX_TIMER_DELAY_SECONDS, math.ceil(at - ctx.clock())))


def handle_found(ctx: JobContext) -> Reply:
    """A match's own job after its wave: announce it, tell both players, and once both DMs are out
    publish its `match_told` job, which starts the confirmation window (migration 0014). Run again
    (a DM was rate limited or failed), only what is not yet recorded is sent. A match that is no
    longer confirming (cancelled because this job came too late) is not announced: its notice
    comes from the deadline."""
    payload = ctx.job.payload or {}
    match_id = int(payload["match_id"])
    result = guards.call(ctx, "ladder_match_announce", match_id, now(ctx), msg.CONFIRM_SECONDS)
    if result["status"] != "ok":
        return Reply(None, outcome="unknown_match")
    match = result["match"]
    if match["status"] != "confirming":
        return Reply(None, outcome=f"found_{match['status']}")
    # Published only after every delivery below went out (the worker sends timers last).
    timers = (Timer(waves.TOLD_TIMER, f"match:{match_id}:told", 0, {"match_id": match_id}),)
    deliveries: list[Delivery] = [*msg.found_deliveries(match),
                                  *waves.searching_edits(match, list(payload.get("searching") or []))]
    # Fan-out lag: from the wave's commit to this announcement (measured once, by the announcing run).
    lag = (Metric("FanoutLag", (max(0.0, ctx.clock() - int(match["created_at"])),), "Seconds"),) \
        if result["changed"] else ()
    return Reply(None, outcome="announced" if result["changed"] else "found_again", deliveries=tuple(deliveries),
                 timers=timers, metrics=lag)


def handle_told(ctx: JobContext) -> Reply:
    """Both players have their found DM: the window runs from now; schedule the reminder and the
    deadline (the sweep holds the deadline too, should these timers be lost)."""
    match_id = int((ctx.job.payload or {})["match_id"])
    result = guards.call(ctx, "ladder_match_told", match_id, now(ctx), msg.CONFIRM_SECONDS)
    if result["status"] != "ok":
        return Reply(None, outcome="unknown_match")
    match = result["match"]
    if match["status"] != "confirming":
        return Reply(None, outcome=f"told_{match['status']}")
    deadline = int(match["confirm_deadline"])
    return Reply(None, outcome="told" if result["changed"] else "told_again", timers=(
        Timer(waves.REMIND_TIMER, f"match:{match_id}:remind",
              _delay_until(deadline - msg.CONFIRM_SECONDS + msg.REMIND_AFTER_SECONDS, ctx), {"match_id": match_id}),
        Timer(waves.DEADLINE_TIMER, f"match:{match_id}:deadline", _delay_until(deadline, ctx), {"match_id": match_id}),
    ))


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
    # Abandoned now or before (a re-run, or by the sweep): the notices. Confirmed or aborted:
    # nothing to add. Still confirming: the window was extended when the match was announced,
    # and the announcing job scheduled the deadline that counts (the sweep backs it).
    deliveries = msg.closed_notices(match) if match["status"] == "abandoned" else []
    return Reply(None, outcome=f"deadline_{match['status']}", deliveries=tuple(deliveries),
                 metrics=transition_metric(result, match["status"]))


def handle_confirmation_sweep(ctx: JobContext) -> Reply:
    """Every tick: every confirmation past its deadline is abandoned here, whatever happened to its
    timer (lost, late, dead-lettered). Each abandoned match's notices go out through its own
    deadline job (the timer's key: if the timer runs too, only one of them runs)."""
    result = guards.call(ctx, "ladder_confirmation_sweep", now(ctx))
    abandoned = [int(m) for m in result["abandoned"]]
    timers = tuple(Timer(waves.DEADLINE_TIMER, f"match:{m}:deadline", 0, {"match_id": m}) for m in abandoned)
    # Every tick reports the players it found still in a match a sweep should already have
    # ended (expected 0: the StrandedPlayers alarm), before freeing them.
    metrics = [Metric("StrandedPlayers", (int(result.get("stranded") or 0),))]
    if abandoned:
        metrics.append(Metric("MatchTransitions", (len(abandoned),), dimensions=(("transition", "abandoned"),)))
    return Reply(None, outcome=f"abandoned_{len(abandoned)}", timers=timers, metrics=tuple(metrics))


# --- reports -------------------------------------------------------------------------------------
def handle_report_ask(ctx: JobContext) -> Reply:
    args = _args(ctx)
    if len(args) != 2 or not args[0].isdigit() or args[1] not in msg.REPORTS:
        return _bad_button(ctx)
    # No database: the question is a new message under the card (the card stays as it is), in the
    # client's language (the player's /setup choice would cost a read).
    question = msg.report_question(int(args[0]), args[1], text_for(ctx.job.locale))
    return Reply(None, outcome="report_asked",
                 deliveries=(FollowUp(f"report-ask:{ctx.job.interaction_id}", question),))


def handle_report(ctx: JobContext) -> Reply:
    args = _args(ctx)
    if len(args) != 2 or not args[0].isdigit() or args[1] not in msg.REPORTS:
        return _bad_button(ctx)
    match_id, report = int(args[0]), args[1]
    result = guards.call(ctx, "ladder_match_report", match_id, int(ctx.job.user_id), report, now(ctx))
    problem = _problem(ctx, result)
    if problem:
        return problem
    status, match = result["status"], result["match"]
    tx = msg.player_text(match, ctx.job.user_id)
    if status == "not_confirmed":
        return Reply(responses.message(tx("Match #{number} isn't confirmed by both players yet.", number=match_id)),
                     outcome=status)
    if status == "closed":
        return Reply(responses.message(tx("Match #{number} is already {status}: reports are closed.", number=match_id,
                                          status=tx(msg.STATUSES.get(match["status"], match["status"])))),
                     outcome=status)
    text = msg.your_report_text(match, ctx.job.user_id)
    if status == "report_locked":
        text = tx("You already reported differently for match #{number}.", number=match_id) + " " + text
    deliveries = msg.result_deliveries(match, _staff())
    timers: tuple[Timer, ...] = ()
    if match["status"] == "conflict" and RoomSettings.from_env() is not None:
        # Staff join the thread in a job of their own: who they are is one more read.
        timers = (Timer(msg.ROOM_STAFF_TIMER, f"match:{match_id}:room-staff", 0, {"match_id": match_id}),)
    if match["status"] == "confirmed":
        text += " " + tx("Waiting for your opponent's report.")
        if result.get("changed"):
            # The opponent's nudge is its own job, which reads the match when it runs: sent late
            # (a 429), it must not ask for a report the opponent already made.
            opponent = msg.other(match, ctx.job.user_id)["user_id"]
            timers = (Timer(NUDGE_TIMER, f"match:{match_id}:opponent-reported:{opponent}", 0,
                            {"match_id": match_id, "user_id": opponent}),)
    else:
        text += " " + msg.result_line(match, tx).split("\n")[0]
    return Reply(responses.message(tx("📝 Match #{number}: {text}", number=match_id, text=text)),
                 outcome=f"report_{status}",
                 deliveries=tuple(deliveries), timers=timers,
                 metrics=transition_metric(result, str(result.get("transition"))))


NUDGE_TIMER = "match_opponent_reported"


def handle_room_staff(ctx: JobContext) -> Reply:
    """Every staff member added to a conflicted match's thread (skipped where none was made)."""
    match_id = int((ctx.job.payload or {})["match_id"])
    staff = guards.call(ctx, "ladder_staff_ids")["staff"]
    return Reply(None, outcome=f"room_staff_{len(staff)}", deliveries=(
        ThreadUpdate(f"match:{match_id}:room-staff", msg.room_key(match_id), members=tuple(staff)),))


def handle_opponent_reported(ctx: JobContext) -> Reply:
    """Tell a player their opponent reported, if that is still the news: the match is still
    waiting for this player's report. Otherwise (they reported meanwhile, the match was decided)
    nothing is sent: the result notices say what is true now."""
    payload = ctx.job.payload or {}
    result = guards.call(ctx, "ladder_match_read", int(payload["match_id"]))
    if result["status"] != "ok":
        return Reply(None, outcome="unknown_match")
    match = result["match"]
    me = next((p for p in match["players"] if p["user_id"] == str(payload["user_id"])), None)
    if me is None or match["status"] != "confirmed" or me.get("report") is not None:
        return Reply(None, outcome="nudge_stale")
    reporter = msg.other(match, me["user_id"])["user_id"]
    return Reply(None, outcome="nudged", deliveries=(msg.opponent_reported(match, reporter),))


def _report_reminder(number: int, tx: Text) -> str:
    return tx("⏰ Match #{number} still needs your result: press **{won}**, **{lost}** or **{draw}** on the match "
              "card.", number=number, won=tx(msg.REPORTS["won"]), lost=tx(msg.REPORTS["lost"]),
              draw=tx(msg.REPORTS["draw"]))


def handle_report_sweep(ctx: JobContext) -> Reply:
    """Report reminders and staff flags: one fan-out job per match (ladder/fanout.py)."""
    result = guards.call(ctx, "ladder_report_sweep", tick_id(ctx), now(ctx))
    jobs: list[Timer] = []
    for match in result["reminders"]:
        number = match["match_id"]
        reminders = [DirectMessage(
            f"match:{number}:report-reminder:{player['user_id']}", player["user_id"],
            responses.message(_report_reminder(number, text_for(player.get("language")))))
            for player in match["players"] if player.get("report") is None]
        if reminders:
            jobs.append(fanout.deliver_job(f"match:{number}:report-reminders", reminders))
    channel, role = _staff()
    if channel:
        for match in result["flags"]:
            number = match["match_id"]
            jobs.append(fanout.deliver_job(f"match:{number}:report-overdue", [msg.staff_message(
                f"match:{number}:report-overdue", channel, role,
                f"⏰ Match #{number} was confirmed 24 hours ago and still lacks a report. "
                f"Decide it with `/admin resolve match_id:{number}`.")]))
    return Reply(None, outcome="swept", timers=tuple(jobs))


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

TIMERS = {waves.FOUND_TIMER: handle_found, waves.TOLD_TIMER: handle_told, waves.REMIND_TIMER: handle_remind,
          waves.DEADLINE_TIMER: handle_deadline, NUDGE_TIMER: handle_opponent_reported,
          msg.ROOM_STAFF_TIMER: handle_room_staff}
TICKS = {"report_reminders": handle_report_sweep, "confirmation_sweep": handle_confirmation_sweep}
