"""/queue: pick races and map vetoes, Join, and the "Searching" view with Leave; the matchmaking
wave and the queue expiry run as ticks.

Each click is one SQL call (infra/migrations/0006_*.sql): a select saves that choice at once
(ladder_queue_set), Join checks every guard and writes the entry in one transaction
(ladder_queue_join, keyed by the click's interaction id), Leave deletes the entry. The
"next wave" is a Discord timestamp (<t:…:R>), which the client counts down by itself, so the
message never needs editing to stay current.

custom_ids: `q:<bw|sc2|veto|clear|cancel|leave>` (acknowledged as a deferred update: the worker
edits the clicked message) and `qjoin` (acknowledged with the buttons disabled at once, so Join
cannot be clicked twice while it runs).
"""

from __future__ import annotations

from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import ButtonStyle, ComponentType, InteractionType
from ladderline.ladder import fanout, guards, static_data, waves
from ladderline.ladder.context import JobContext, Reply, now, tick_id
from ladderline.ladder.labels import EMBED_COLOR
from ladderline.ladder.match_messages import race_label
from ladderline.ladder.queue_alerts import alerts_job
from ladderline.ladder.routes import SERVER_AND_BOT_DM, Ack, Route

ROUTE, JOIN_ROUTE = "q", "qjoin"
SEARCHING_COLOR = 0x3498DB



# --- rendering -----------------------------------------------------------------------------------
def _select(custom_id: str, placeholder: str, options: list[dict[str, Any]], max_values: int) -> dict[str, Any]:
    return responses.action_row({"type": ComponentType.STRING_SELECT, "custom_id": custom_id,
                                 "placeholder": placeholder, "min_values": 0, "max_values": max_values,
                                 "options": options})


def _race_lines(races: list[str]) -> str:
    bw = next((r for r in races if r.startswith("bw_")), None)
    sc2 = next((r for r in races if r.startswith("sc2_")), None)
    return (f"- Brood War: {race_label(bw) if bw else 'none'}\n"
            f"- StarCraft II: {race_label(sc2) if sc2 else 'none'}")


def _veto_lines(vetoes: list[str]) -> str:
    names = [m.short_name for m in static_data.maps() if m.code in vetoes]
    return "\n".join(f"{i}. {name}" for i, name in enumerate(names, 1)) or "No vetoes"


def setup_view(state: dict[str, Any], note: str | None = None) -> dict[str, Any]:
    races, vetoes = list(state.get("races") or []), list(state.get("vetoes") or [])
    embed = responses.embed(
        "🎮 Matchmaking queue",
        (f"{note}\n\n" if note else "") + "Pick at most one Brood War race and one StarCraft II race (a match "
        "is always Brood War against StarCraft II), veto up to "
        f"{static_data.max_vetoes()} maps, then **Join**. Your choices are saved as you make them.",
        color=EMBED_COLOR,
        fields=[("Selected races", _race_lines(races), False),
                (f"Vetoed maps ({len(vetoes)}/{static_data.max_vetoes()})", _veto_lines(vetoes), False)])
    buttons = responses.action_row(
        responses.button("Join queue", JOIN_ROUTE, style=ButtonStyle.SUCCESS, emoji="🚀"),
        responses.button("Clear all", f"{ROUTE}:clear", style=ButtonStyle.DANGER, emoji="🗑️"),
        responses.button("Cancel", f"{ROUTE}:cancel", emoji="✖️"),
    )
    rows = [buttons]
    for game, custom_id, label in (("bw", f"{ROUTE}:bw", "Brood War"), ("sc2", f"{ROUTE}:sc2", "StarCraft II")):
        options = [{"label": r.name, "value": r.code, "default": r.code in races} for r in static_data.races_of(game)]
        rows.append(_select(custom_id, f"Your {label} race (at most 1)", options, 1))
    veto_options = [{"label": m.short_name, "value": m.code, "description": m.name[:100], "default": m.code in vetoes}
                    for m in static_data.maps()]
    rows.append(_select(f"{ROUTE}:veto", f"Maps to veto (at most {static_data.max_vetoes()})", veto_options,
                        static_data.max_vetoes()))
    return responses.message(embeds=[embed], components=rows)


def searching_view(state: dict[str, Any], note: str | None = None) -> dict[str, Any]:
    entry = state.get("entry") or {}
    races = [r for r in (entry.get("bw_race"), entry.get("sc2_race")) if r]
    counts = state.get("counts") or {}
    lines = [note] if note else []
    lines += [
        "The queue is searching for a game. You'll get a direct message when a match is found.",
        f"- Next matchmaking wave: <t:{state['next_wave_at']}:R>",
        f"- Queueing now: Brood War {counts.get('bw', 0)} · StarCraft II {counts.get('sc2', 0)}",
        f"- In the queue since <t:{entry.get('joined_at')}:R> (you leave it after 2½ hours)",
    ]
    embed = responses.embed("🔍 Searching…", "\n".join(lines), color=SEARCHING_COLOR,
                            fields=[("Races", _race_lines(races), True),
                                    ("Vetoed maps", _veto_lines(list(entry.get("vetoes") or [])), True)])
    leave = responses.action_row(responses.button("Leave queue", f"{ROUTE}:leave", style=ButtonStyle.DANGER,
                                                  emoji="✖️"))
    return responses.message(embeds=[embed], components=[leave])


def in_match_view(match_id: int | None) -> dict[str, Any]:
    return responses.message(f"⚔️ You are in match #{match_id}: see your direct messages. Finish it before queueing "
                             "again.")


REFUSALS = {
    "banned": "You are banned from the ladder. Contact ladder staff if you think this is a mistake.",
    "no_race": "Select at least one race before joining the queue.",
}


def refusal_text(result: dict[str, Any]) -> str:
    reason = result.get("reason")
    if reason == "timed_out":
        return f"You can't queue again until <t:{result['until']}:R> (a match you aborted or did not confirm)."
    if reason == "in_match":
        return f"You are in match #{result.get('match_id')}: finish it first."
    return REFUSALS.get(str(reason), "You can't join the queue right now.")


def view_for(state: dict[str, Any], note: str | None = None) -> dict[str, Any]:
    """The message for the player's state: setup, searching or in a match."""
    if state.get("state") == "queueing":
        return searching_view(state, note)
    if state.get("state") == "in_match":
        return in_match_view(state.get("match_id"))
    return setup_view(state, note)


# --- handlers ------------------------------------------------------------------------------------
def handle_command(ctx: JobContext) -> Reply:
    result = guards.call(ctx, "ladder_queue_open", int(ctx.job.user_id), now(ctx))
    refused = _refused(result)
    if refused:
        return refused
    return Reply(view_for(result))


def _refused(result: dict[str, Any]) -> Reply | None:
    guard = guards.guard_reply(result)
    if guard:
        return guard
    if result.get("status") == "refused" and result.get("reason") == "banned":
        return Reply(responses.message(refusal_text(result)), outcome="refused_banned")
    return None


def _valid_choice(field: str, values: list[str]) -> list[str] | None:
    """The select's values if they are what the select offers (a crafted payload is refused)."""
    if field in ("bw", "sc2"):
        allowed = {r.code for r in static_data.races_of(field)}
        limit = 1
    else:
        allowed = {m.code for m in static_data.maps()}
        limit = static_data.max_vetoes()
    if len(values) > limit or not set(values) <= allowed:
        return None
    return values


def handle_component(ctx: JobContext) -> Reply:
    action = (ctx.job.custom_id or "").split(":")[1:2]
    action_name = action[0] if action else ""
    user = int(ctx.job.user_id)
    if action_name == "cancel":
        return Reply(responses.message("Queue closed. Run `/queue` again any time."), outcome="cancelled")
    if action_name == "leave":
        result = guards.call(ctx, "ladder_queue_leave", user, now(ctx))
        if result["status"] == "in_match":
            return Reply(in_match_view(result.get("match_id")), outcome="in_match")
        note = "You left the queue." if result["status"] == "left" else "You were not in the queue."
        return Reply(setup_view(result, note), outcome=result["status"])
    if action_name in ("bw", "sc2", "veto"):
        field = "vetoes" if action_name == "veto" else action_name
        values = _valid_choice(action_name, list(ctx.job.values))
        if values is None:
            return Reply(responses.message("That choice isn't offered; run `/queue` again."), outcome="invalid")
        result = guards.call(ctx, "ladder_queue_set", user, field, values, now(ctx))
    elif action_name == "clear":
        result = guards.call(ctx, "ladder_queue_set", user, "clear", [], now(ctx))
    else:
        return Reply(responses.message("This button is out of date; run `/queue` again."), outcome="invalid")
    refused = _refused(result)
    return refused or Reply(view_for(result))


def handle_join(ctx: JobContext) -> Reply:
    # The click's token is kept with the entry: the wave edits this Searching message with it when
    # the player is matched (an ephemeral message can only be edited through its token, 15 min).
    result = guards.call(ctx, "ladder_queue_join", int(ctx.job.user_id), ctx.job.interaction_id, now(ctx),
                         ctx.job.application_id, ctx.job.token)
    refused = _refused(result)
    if refused:
        return refused
    if result["status"] == "joined":
        # Whoever asked to hear of a join in their range is told by its own job (/notifications),
        # published only when someone may be alerted (the join's SQL says so).
        alerts = (alerts_job(ctx.job.interaction_id, ctx.job.user_id),) if result.get("alerts") else ()
        return Reply(searching_view(result), outcome="joined", timers=alerts)
    reason = result.get("reason")
    if reason == "already_queueing":
        state = guards.call(ctx, "ladder_queue_open", int(ctx.job.user_id), now(ctx))
        return Reply(view_for(state, "You are already in the queue."), outcome="already_queueing")
    if reason == "in_match":
        return Reply(in_match_view(result.get("match_id")), outcome="in_match")
    # Refused with the setup view kept, so the player can fix the choice and press Join again.
    state_view = result.get("state_view")
    body = (responses.message(refusal_text(result)) if state_view is None
            else setup_view(state_view, refusal_text(result)))
    return Reply(body, outcome=f"refused_{reason}")


# --- ticks ---------------------------------------------------------------------------------------
def handle_wave(ctx: JobContext) -> Reply:
    return waves.run(ctx, tick_id(ctx), now(ctx))


def handle_expiry(ctx: JobContext) -> Reply:
    """Entries older than 2½ hours leave the queue; each player is told by a job of their own
    (ladder/fanout.py), so one player's Discord trouble never holds another's notice."""
    result = guards.call(ctx, "ladder_queue_expire", tick_id(ctx), now(ctx))
    jobs = tuple(
        fanout.deliver_job(f"queue:{e['join_key']}:expired", [waves.dm(
            f"queue:{e['join_key']}:expired", e["user_id"],
            "⌛ You were in the queue for 2½ hours without a match, so you left it. Run `/queue` to search "
            "again.")])
        for e in result["expired"])
    return Reply(None, outcome=f"expired_{len(jobs)}", timers=jobs)


ROUTES = (
    # Ephemeral in a server, plain in the bot's DMs (it stays there while the player searches).
    Route(key="queue", kind=InteractionType.APPLICATION_COMMAND, ack=Ack.DEFERRED_MESSAGE, ephemeral=True,
          ephemeral_in_dm=False, handler=handle_command, description="Queue for a 1v1 ladder match", contexts=SERVER_AND_BOT_DM),
    Route(key=ROUTE, kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.DEFERRED_UPDATE, ephemeral=True,
          handler=handle_component),
    Route(key=JOIN_ROUTE, kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.UPDATE_DISABLED, ephemeral=True,
          handler=handle_join),
)

TICKS = {"matchmaking_wave": handle_wave, "queue_expiry": handle_expiry}
