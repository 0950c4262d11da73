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
from ladderline.ladder.i18n import N_, Text, text_for
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


def _race_lines(races: list[str], tx: Text) -> str:
    bw = next((r for r in races if r.startswith("bw_")), None)
    sc2 = next((r for r in races if r.startswith("sc2_")), None)
    none = tx("none")
    return (f"- Brood War: {race_label(bw) if bw else none}\n"
            f"- StarCraft II: {race_label(sc2) if sc2 else none}")


def _veto_lines(vetoes: list[str], tx: Text) -> str:
    names = [m.short_name for m in static_data.maps() if m.code in vetoes]
    return "\n".join(f"{i}. {name}" for i, name in enumerate(names, 1)) or tx("No vetoes")


def setup_view(state: dict[str, Any], tx: Text, note: str | None = None) -> dict[str, Any]:
    races, vetoes = list(state.get("races") or []), list(state.get("vetoes") or [])
    most = static_data.max_vetoes()
    embed = responses.embed(
        tx("🎮 Matchmaking queue"),
        (f"{note}\n\n" if note else "") + tx(
            "Pick at most one Brood War race and one StarCraft II race (a match is always Brood War against "
            "StarCraft II), veto up to {most} maps, then **Join**. Your choices are saved as you make them.",
            most=most),
        color=EMBED_COLOR,
        fields=[(tx("Selected races"), _race_lines(races, tx), False),
                (tx("Vetoed maps ({count}/{most})", count=len(vetoes), most=most), _veto_lines(vetoes, tx), False)])
    buttons = responses.action_row(
        responses.button(tx("Join queue"), JOIN_ROUTE, style=ButtonStyle.SUCCESS, emoji="🚀"),
        responses.button(tx("Clear all"), f"{ROUTE}:clear", style=ButtonStyle.DANGER, emoji="🗑️"),
        # The language rides in the custom_id: Cancel writes nothing and needs no database read.
        responses.button(tx("Cancel"), f"{ROUTE}:cancel:{tx.language}", emoji="✖️"),
    )
    rows = [buttons]
    for game, custom_id, label in (("bw", f"{ROUTE}:bw", "Brood War"), ("sc2", f"{ROUTE}:sc2", "StarCraft II")):
        options = [{"label": r.name, "value": r.code, "default": r.code in races} for r in static_data.races_of(game)]
        rows.append(_select(custom_id, tx("Your {game} race (at most 1)", game=label), options, 1))
    veto_options = [{"label": m.short_name, "value": m.code, "description": m.name[:100], "default": m.code in vetoes}
                    for m in static_data.maps()]
    rows.append(_select(f"{ROUTE}:veto", tx("Maps to veto (at most {most})", most=most), veto_options, most))
    return responses.message(embeds=[embed], components=rows)


def searching_view(state: dict[str, Any], tx: Text, note: str | None = None) -> dict[str, Any]:
    entry = state.get("entry") or {}
    races = [r for r in (entry.get("bw_race"), entry.get("sc2_race")) if r]
    counts = state.get("counts") or {}
    lines = [note] if note else []
    lines += [
        tx("The queue is searching for a game. You'll get a direct message when a match is found."),
        tx("- Next matchmaking wave: <t:{at}:R>", at=state["next_wave_at"]),
        tx("- Queueing now: Brood War {bw} · StarCraft II {sc2}", bw=counts.get("bw", 0), sc2=counts.get("sc2", 0)),
        tx("- In the queue since <t:{at}:R> (you leave it after 2½ hours)", at=entry.get("joined_at")),
    ]
    embed = responses.embed(tx("🔍 Searching…"), "\n".join(lines), color=SEARCHING_COLOR,
                            fields=[(tx("Races"), _race_lines(races, tx), True),
                                    (tx("Vetoed maps"), _veto_lines(list(entry.get("vetoes") or []), tx), True)])
    leave = responses.action_row(responses.button(tx("Leave queue"), f"{ROUTE}:leave", style=ButtonStyle.DANGER,
                                                  emoji="✖️"))
    return responses.message(embeds=[embed], components=[leave])


def in_match_view(match_id: int | None, tx: Text) -> dict[str, Any]:
    return responses.message(tx("⚔️ You are in match #{match_id}: see your direct messages. Finish it before "
                                "queueing again.", match_id=match_id))


REFUSALS = {
    "banned": N_("You are banned from the ladder. Contact ladder staff if you think this is a mistake."),
    "no_race": N_("Select at least one race before joining the queue."),
}


def refusal_text(result: dict[str, Any], tx: Text) -> str:
    reason = result.get("reason")
    if reason == "timed_out":
        return tx("You can't queue again until <t:{until}:R> (a match you aborted or did not confirm).",
                  until=result["until"])
    if reason == "in_match":
        return tx("You are in match #{match_id}: finish it first.", match_id=result.get("match_id"))
    return tx(REFUSALS.get(str(reason), N_("You can't join the queue right now.")))


def view_for(state: dict[str, Any], tx: Text, note: str | None = None) -> dict[str, Any]:
    """The message for the player's state: setup, searching or in a match."""
    if state.get("state") == "queueing":
        return searching_view(state, tx, note)
    if state.get("state") == "in_match":
        return in_match_view(state.get("match_id"), tx)
    return setup_view(state, tx, note)


# --- handlers ------------------------------------------------------------------------------------
def handle_command(ctx: JobContext) -> Reply:
    result = guards.call(ctx, "ladder_queue_open", int(ctx.job.user_id), now(ctx))
    refused = _refused(result, ctx.text())
    if refused:
        return refused
    return Reply(view_for(result, ctx.text()))


def _refused(result: dict[str, Any], tx: Text) -> Reply | None:
    guard = guards.guard_reply(result, tx)
    if guard:
        return guard
    if result.get("status") == "refused" and result.get("reason") == "banned":
        return Reply(responses.message(refusal_text(result, tx)), outcome="refused_banned")
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
        language = (ctx.job.custom_id or "").split(":")[2:3]
        tx = text_for(language[0]) if language else ctx.text()
        return Reply(responses.message(tx("Queue closed. Run `/queue` again any time.")), outcome="cancelled")
    if action_name == "leave":
        result = guards.call(ctx, "ladder_queue_leave", user, now(ctx))
        if result["status"] == "in_match":
            return Reply(in_match_view(result.get("match_id"), ctx.text()), outcome="in_match")
        note = ctx.tx("You left the queue.") if result["status"] == "left" else ctx.tx("You were not in the queue.")
        return Reply(setup_view(result, ctx.text(), note), outcome=result["status"])
    if action_name in ("bw", "sc2", "veto"):
        field = "vetoes" if action_name == "veto" else action_name
        values = _valid_choice(action_name, list(ctx.job.values))
        if values is None:
            return Reply(responses.message(ctx.tx("That choice isn't offered; run `/queue` again.")), outcome="invalid")
        result = guards.call(ctx, "ladder_queue_set", user, field, values, now(ctx))
    elif action_name == "clear":
        result = guards.call(ctx, "ladder_queue_set", user, "clear", [], now(ctx))
    else:
        return Reply(responses.message(ctx.tx("This button is out of date; run `/queue` again.")), outcome="invalid")
    refused = _refused(result, ctx.text())
    return refused or Reply(view_for(result, ctx.text()))


def handle_join(ctx: JobContext) -> Reply:
    # The click's token is kept with the entry: the wave edits this Searching message with it when
    # the player is matched (an ephemeral message can only be edited through its token, 15 min).
    result = guards.call(ctx, "ladder_queue_join", int(ctx.job.user_id), ctx.job.interaction_id, now(ctx),
                         ctx.job.application_id, ctx.job.token)
    tx = ctx.text()
    refused = _refused(result, tx)
    if refused:
        return refused
    if result["status"] == "joined":
        # Whoever asked to hear of a join in their range is told by its own job (/notifications),
        # published only when someone may be alerted (the join's SQL says so).
        alerts = (alerts_job(ctx.job.interaction_id, ctx.job.user_id),) if result.get("alerts") else ()
        return Reply(searching_view(result, tx), outcome="joined", timers=alerts)
    reason = result.get("reason")
    if reason == "already_queueing":
        state = guards.call(ctx, "ladder_queue_open", int(ctx.job.user_id), now(ctx))
        return Reply(view_for(state, tx, tx("You are already in the queue.")), outcome="already_queueing")
    if reason == "in_match":
        return Reply(in_match_view(result.get("match_id"), tx), outcome="in_match")
    # Refused with the setup view kept, so the player can fix the choice and press Join again.
    state_view = result.get("state_view")
    body = (responses.message(refusal_text(result, tx)) if state_view is None
            else setup_view(state_view, tx, refusal_text(result, tx)))
    return Reply(body, outcome=f"refused_{reason}")


# --- ticks ---------------------------------------------------------------------------------------
def _expired_text(language: str | None) -> str:
    tx = text_for(language)
    return tx("⌛ You were in the queue for 2½ hours without a match, so you left it. Run `/queue` to search again.")


def handle_wave(ctx: JobContext) -> Reply:
    return waves.run(ctx, tick_id(ctx), now(ctx))


def handle_expiry(ctx: JobContext) -> Reply:
    """Entries older than 2½ hours leave the queue; each player is told by a job of their own
    (ladder/fanout.py), so one player's Discord trouble never holds another's notice."""
    result = guards.call(ctx, "ladder_queue_expire", tick_id(ctx), now(ctx))
    jobs = tuple(
        fanout.deliver_job(f"queue:{e['join_key']}:expired", [waves.dm(
            f"queue:{e['join_key']}:expired", e["user_id"],
            _expired_text(e.get("language")))])
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
