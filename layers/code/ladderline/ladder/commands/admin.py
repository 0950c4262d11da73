"""/admin: the ladder staff's tools, one subcommand each.

Registered with default_member_permissions = ADMINISTRATOR, so only administrators see it by
default; server owners can grant it to anyone in their server settings, so every call is also
checked against the staff table in the same SQL call (ladder_admin, migration 0007), which logs
who did what and why under the interaction id: a redelivered action runs once and answers what
it answered the first time.

The first staff are the deployment's owners (the OwnerUserIds parameter); staff add the others
with `/admin staff add`, and run the ladder with the subcommands in ladder/admin_ops.py.
"""

from __future__ import annotations

from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import InteractionType, OptionType
from ladderline.ladder import admin_ops, applications, guards, static_data
from ladderline.ladder import match_messages as msg
from ladderline.ladder.context import JobContext, Reply, now
from ladderline.ladder.deliveries import DirectMessage
from ladderline.ladder.i18n import EN, text_for
from ladderline.ladder.routes import Ack, Route
from ladderline.worker_settings import ReplaySettings

ADMINISTRATOR = str(1 << 3)
RESOLUTIONS = {"player_1_win": "Player 1 wins", "player_2_win": "Player 2 wins", "draw": "Draw",
               "invalidate": "Invalidate (no MMR change)"}
OPERATIONS = ("set", "add", "subtract")
_opt, _sub, REASON = admin_ops.option, admin_ops.subcommand, admin_ops.REASON
USER = _opt(OptionType.USER, "user", "The player")
MATCH = _opt(OptionType.INTEGER, "match_id", "The match number", min_value=1)

SUBCOMMANDS = (
    _sub("resolve", "Decide a match (conflict or missing reports)", MATCH,
         _opt(OptionType.STRING, "result", "The result",
              choices=[{"name": label, "value": value} for value, label in RESOLUTIONS.items()]), REASON),
    _sub("adjust_mmr", "Change a player's MMR on one race", USER,
         _opt(OptionType.STRING, "race", "Which race",
              choices=[{"name": r.name, "value": r.code} for r in static_data.races()]),
         _opt(OptionType.STRING, "operation", "Set, add or subtract",
              choices=[{"name": op, "value": op} for op in OPERATIONS]),
         _opt(OptionType.INTEGER, "value", "The MMR (set) or the amount", min_value=0, max_value=5000), REASON),
    _sub("player", "Show a player's ladder state", USER),
    _sub("match", "Show a match's state", MATCH),
    _sub("remove_queue", "Take a player out of the queue", USER, REASON),
    _sub("unstick", "Free a player from a stuck match (the match is invalidated)", USER, REASON),
    *admin_ops.SUBCOMMANDS,
    applications.PANEL_SUBCOMMAND,
)


def _args(ctx: JobContext) -> dict[str, Any] | None:
    options = ctx.job.options
    sub = ctx.job.subcommand
    args = admin_ops.reason_and_user(options)
    if args is None:
        return None
    if "match_id" in options:
        args["match_id"] = int(options["match_id"])
    if sub == "resolve":
        if options.get("result") not in RESOLUTIONS:
            return None
        args["result"] = options["result"]
    if sub == "adjust_mmr":
        race = static_data.race(str(options.get("race", "")))
        if race is None or options.get("operation") not in OPERATIONS:
            return None
        args.update(race=race.code, op=options["operation"],
                    value=int(options["value"]))
    return args


def handle(ctx: JobContext) -> Reply:
    sub = ctx.job.subcommand
    if sub in admin_ops.ACTIONS:
        return admin_ops.handle(ctx)
    if sub == "application_panel":
        return applications.handle_panel(ctx)
    args = _args(ctx)
    if sub is None or sub not in {s["name"] for s in SUBCOMMANDS} or args is None:
        return Reply(responses.message("Unknown /admin subcommand or option."), outcome="invalid")
    result = guards.call(ctx, "ladder_admin", int(ctx.job.user_id), sub, args, ctx.job.interaction_id, now(ctx))
    status = result.get("status")
    if status == "not_staff":
        return Reply(responses.message("Only ladder staff can use /admin."), outcome="not_staff")
    if status == "not_found":
        return Reply(responses.message("No such player or match."), outcome="not_found")
    if status == "refused":
        return Reply(responses.message(f"That match is already {result.get('match_status')}: nothing changed."),
                     outcome="refused")
    key = f"admin:{ctx.job.interaction_id}"
    if sub in ("adjust_mmr", "remove_queue"):
        # The player's DM speaks their language: one more read, on these two staff actions only.
        result["language"] = ctx.db.call("ladder_player_language", int(result["user_id"]))
    text, deliveries = RENDER[sub](result, args, key)
    return Reply(responses.message(text), outcome=f"{sub}_ok", deliveries=tuple(deliveries))


def _resolve(result: dict[str, Any], args: dict[str, Any], key: str) -> tuple[str, list[Any]]:
    match = result["match"]
    return (f"Match #{match['match_id']} resolved: {RESOLUTIONS[args['result']]}.\n{msg.result_line(match, EN)}",
            msg.result_deliveries(match, (None, None)))


def _adjust(result: dict[str, Any], args: dict[str, Any], key: str) -> tuple[str, list[Any]]:
    race = msg.race_label(result["race"])
    line = f"{race} MMR: {result['old']} → {result['new']}"
    tx = text_for(result.get("language"))
    told = tx("⚠️ Ladder staff changed your {race} MMR: {old} → {new}.", race=race, old=result["old"], new=result["new"])
    dm = DirectMessage(f"{key}:mmr", result["user_id"],
                       responses.message(told + "\n" + tx("Reason: {reason}", reason=args.get("reason", ""))))
    return f"<@{result['user_id']}> {line}.", [dm]


def _player(result: dict[str, Any], args: dict[str, Any], key: str) -> tuple[str, list[Any]]:
    player = result["player"]
    state = (f"in match #{player['active_match_id']}" if player.get("active_match_id")
             else "queueing" if player.get("queueing") else "idle")
    lines = [f"<@{player['user_id']}> **{player.get('player_name') or '—'}** ({player.get('battletag') or '—'})",
             f"State: {state}" + (" · banned" if player.get("banned") else ""),
             f"Queue timeout until <t:{player['timeout_until']}:R>" if player.get("timeout_until") else "No queue timeout"]
    lines += [f"- {msg.race_label(m['race'])}: {m['mmr']} MMR, {m['played']} games" for m in player.get("mmrs", [])]
    return "\n".join(lines), []


def _match(result: dict[str, Any], args: dict[str, Any], key: str) -> tuple[str, list[Any]]:
    match = result["match"]
    first, second = match["players"]
    lines = [f"Match #{match['match_id']}: **{match['status']}** · map {match['map']} · server {match['server']}"]
    for number, player in ((1, first), (2, second)):
        lines.append(f"P{number} <@{player['user_id']}> {msg.race_label(player['race'])} {player['mmr']} MMR · "
                     f"confirmed {'yes' if player['confirmed'] else 'no'} · report {player.get('report') or '—'}")
    lines.append(msg.result_line(match, EN))
    if match.get("replay"):
        lines.append(f"🎞️ Deciding replay (uploaded by <@{match['replay']['uploaded_by']}>): "
                     f"[download]({replay_link(match['replay']['key'])}) (link valid 15 minutes)")
    elif match.get("replays"):
        lines.append(f"🎞️ {match['replays']} replay(s) kept that could not decide it.")
    return "\n".join(lines), []


def replay_link(key: str) -> str:
    """A short-lived download link for staff (S3 presigned; the bucket itself stays private)."""
    from ladderline.replays.store import ReplayStore

    return ReplayStore(ReplaySettings.from_env().bucket).link(key)


def _remove(result: dict[str, Any], args: dict[str, Any], key: str) -> tuple[str, list[Any]]:
    if not result["removed"]:
        return f"<@{result['user_id']}> was not in the queue.", []
    tx = text_for(result.get("language"))
    dm = DirectMessage(f"{key}:removed", result["user_id"], responses.message(
        tx("⚠️ Ladder staff took you out of the queue.") + "\n" + tx("Reason: {reason}", reason=args.get("reason", ""))))
    return f"<@{result['user_id']}> removed from the queue.", [dm]


def _unstuck_text(match: dict[str, Any], user_id: str, reason: str) -> str:
    # A player's DM, in their language (the match carries it); staff read the reply in English.
    tx = msg.player_text(match, user_id)
    return tx("⚠️ Ladder staff closed match #{number} ({status}): no MMR changes.", number=match["match_id"],
              status=tx(msg.STATUSES.get(match["status"], match["status"]))) + "\n" + tx("Reason: {reason}", reason=reason)


def _unstick(result: dict[str, Any], args: dict[str, Any], key: str) -> tuple[str, list[Any]]:
    match = result.get("match")
    if not match:
        return f"<@{result['user_id']}> is free (no match).", []
    deliveries = [DirectMessage(f"{key}:unstick:{p['user_id']}", p["user_id"],
                                responses.message(_unstuck_text(match, p["user_id"], str(args.get("reason", "")))))
                  for p in match["players"]]
    return f"<@{result['user_id']}> is free; match #{match['match_id']} is {match['status']}.", deliveries


RENDER = {"resolve": _resolve, "adjust_mmr": _adjust, "player": _player, "match": _match,
          "remove_queue": _remove, "unstick": _unstick}

ROUTES = (
    Route(key="admin", kind=InteractionType.APPLICATION_COMMAND, ack=Ack.DEFERRED_MESSAGE, ephemeral=True,
          handler=handle, description="Ladder staff tools", options=SUBCOMMANDS,
          default_member_permissions=ADMINISTRATOR),
)
