"""/admin's running-the-ladder subcommands: staff, activation codes, bans, the queue, status.

A deployed ladder is run from Discord, never with SQL: the first staff (owners) come from the
deployment (the OwnerUserIds parameter, ladder_configure in migration 0013), and staff manage
everything else here. Each action is one call of ladder_admin_ops, which checks the caller is
staff and claims the interaction id in staff_actions first, so a redelivered or double-run action
happens once and answers what it answered the first time.

Activation codes are stored only as hashes: `code create` shows the code once, in the staff
member's ephemeral answer. Its id (the hash's first 8 hex digits) names it in `code list` and
`code revoke`, and tells nobody the code.
"""

from __future__ import annotations

from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import OptionType
from ladderline.ladder import fanout, guards
from ladderline.ladder.activation_codes import hash_code, new_code
from ladderline.ladder.context import JobContext, Reply, now
from ladderline.ladder.deliveries import DirectMessage, Timer

MAX_REASON = 300
MAX_CODE_USES = 10_000
MAX_CODE_DAYS = 365


def option(type_: OptionType, name: str, description: str, required: bool = True, **extra: Any) -> dict[str, Any]:
    return {"type": int(type_), "name": name, "description": description, "required": required, **extra}


def subcommand(name: str, description: str, *options: dict[str, Any]) -> dict[str, Any]:
    return {"type": int(OptionType.SUB_COMMAND), "name": name, "description": description, "options": list(options)}


def group(name: str, description: str, *subs: dict[str, Any]) -> dict[str, Any]:
    return {"type": int(OptionType.SUB_COMMAND_GROUP), "name": name, "description": description,
            "options": list(subs)}


USER = option(OptionType.USER, "user", "The member")
REASON = option(OptionType.STRING, "reason", "Why (logged, and told to the players)", max_length=MAX_REASON)

SUBCOMMANDS = (
    group("staff", "Who may use /admin",
          subcommand("add", "Make a member ladder staff", USER),
          subcommand("remove", "Take a member off the ladder staff (owners stay)", USER),
          subcommand("list", "List the ladder staff")),
    group("code", "Activation codes",
          subcommand("create", "Make an activation code (shown once, to you)",
                     option(OptionType.INTEGER, "uses", "How many players may use it (default 1)", False,
                            min_value=1, max_value=MAX_CODE_USES),
                     option(OptionType.INTEGER, "days", "Valid for this many days (default: no expiry)", False,
                            min_value=1, max_value=MAX_CODE_DAYS)),
          subcommand("list", "List the usable activation codes"),
          subcommand("revoke", "Revoke an activation code by its id (from /admin code list)",
                     option(OptionType.STRING, "code_id", "The code's id", min_length=6, max_length=64))),
    subcommand("ban", "Ban a player from queueing (takes them out of the queue)", USER, REASON),
    subcommand("unban", "Lift a player's ban", USER, REASON),
    subcommand("clear_queue", "Take every player out of the queue (each is told)", REASON),
    subcommand("status", "The ladder at a glance: queue, matches, stranded players, last wave"),
)

# Job.subcommand spells a group's subcommand "group sub"; ladder_admin_ops names it group_sub.
ACTIONS = {"staff add": "staff_add", "staff remove": "staff_remove", "staff list": "staff_list",
           "code create": "code_create", "code list": "code_list", "code revoke": "code_revoke",
           "ban": "ban", "unban": "unban", "clear_queue": "clear_queue", "status": "status"}


def reason_and_user(options: dict[str, Any]) -> dict[str, Any] | None:
    """The `reason` and `user` options every /admin subcommand may take, as its SQL function takes
    them (reason trimmed and cut to MAX_REASON, user as a snowflake string); None when invalid."""
    args: dict[str, Any] = {}
    if "reason" in options:
        args["reason"] = str(options["reason"]).strip()[:MAX_REASON]
    if "user" in options:
        if not str(options["user"]).isdigit():
            return None
        args["user_id"] = str(options["user"])
    return args


def _args(ctx: JobContext, action: str) -> tuple[dict[str, Any], str | None] | None:
    """ladder_admin_ops' arguments, and the new code's text for code_create; None when invalid."""
    options = ctx.job.options
    args = reason_and_user(options)
    if args is None:
        return None
    code = None
    if action == "code_create":
        uses, days = options.get("uses", 1), options.get("days")
        if not isinstance(uses, int) or not 1 <= uses <= MAX_CODE_USES:
            return None
        if days is not None and (not isinstance(days, int) or not 1 <= days <= MAX_CODE_DAYS):
            return None
        code = new_code()
        args.update(code_hash=hash_code(code), uses=uses, days=days)
    if action == "code_revoke":
        code_id = str(options.get("code_id", "")).strip().lower()
        if len(code_id) < 6 or any(c not in "0123456789abcdef" for c in code_id):
            return None
        args["code_id"] = code_id
    return args, code


def handle(ctx: JobContext) -> Reply:
    action = ACTIONS.get(ctx.job.subcommand or "")
    parsed = _args(ctx, action) if action else None
    if action is None or parsed is None:
        return Reply(responses.message("Unknown /admin subcommand or option."), outcome="invalid")
    args, code = parsed
    result = guards.call(ctx, "ladder_admin_ops", int(ctx.job.user_id), action, args, ctx.job.interaction_id,
                         now(ctx))
    status = result.get("status")
    if status == "not_staff":
        return Reply(responses.message("Only ladder staff can use /admin."), outcome="not_staff")
    if status == "not_found":
        return Reply(responses.message(NOT_FOUND.get(action, "Not found: nothing changed.")), outcome="not_found")
    if status == "refused":
        return Reply(responses.message(REFUSED.get(str(result.get("reason")), "Refused: nothing changed.")),
                     outcome="refused")
    key = f"admin:{ctx.job.interaction_id}"
    text, sends = RENDER[action](result, args, code, key)
    return Reply(responses.message(text), outcome=f"{action}_ok",
                 deliveries=tuple(d for d in sends if not isinstance(d, Timer)),
                 timers=tuple(d for d in sends if isinstance(d, Timer)))


NOT_FOUND = {
    "code_revoke": "No activation code has that id: see `/admin code list`.",
    "ban": "That member has no ladder profile: there is nothing to ban.",
    "unban": "That member has no ladder profile.",
}
REFUSED = {
    "owner": "That member is an owner of this ladder (from its deployment): remove them from the "
             "deployment's owner list instead.",
    "ambiguous": "More than one code starts with that id: give more of it.",
}

Rendered = tuple[str, list[Any]]


def _staff_add(result: dict[str, Any], args: dict[str, Any], code: str | None, key: str) -> Rendered:
    verb = "is now ladder staff" if result["added"] else "was already ladder staff"
    return f"<@{result['user_id']}> {verb}.", []


def _staff_remove(result: dict[str, Any], args: dict[str, Any], code: str | None, key: str) -> Rendered:
    verb = "is no longer ladder staff" if result["removed"] else "was not ladder staff"
    return f"<@{result['user_id']}> {verb}.", []


def _staff_list(result: dict[str, Any], args: dict[str, Any], code: str | None, key: str) -> Rendered:
    lines = [f"**Ladder staff** ({result['total']})"]
    lines += [f"- <@{s['user_id']}>" + (" · owner" if s["owner"] else f" · since <t:{s['added_at']}:d>")
              for s in result["staff"]]
    if result["total"] > len(result["staff"]):
        lines.append(f"… and {result['total'] - len(result['staff'])} more")
    return "\n".join(lines), []


def _code_create(result: dict[str, Any], args: dict[str, Any], code: str | None, key: str) -> Rendered:
    expiry = f"expires <t:{result['expires_at']}:R>" if result.get("expires_at") else "no expiry"
    uses = f"{result['uses']} use" + ("s" if result["uses"] != 1 else "")
    if result.get("replay"):
        # The code is stored only as its hash: a repeated run cannot show it again.
        return (f"Code `{result['code_id']}` ({uses}, {expiry}) was made by an earlier run of this command "
                "and shown then; it is not stored. If it was lost, revoke it with "
                f"`/admin code revoke code_id:{result['code_id']}` and make another."), []
    return (f"🔑 Activation code: `{code}`\n{uses}, {expiry}. Id `{result['code_id']}` (for `/admin code list` "
            "and `revoke`).\nThis is the only time the code is shown: copy it now."), []


def _code_list(result: dict[str, Any], args: dict[str, Any], code: str | None, key: str) -> Rendered:
    if not result["codes"]:
        return "No usable activation codes. Make one with `/admin code create`.", []
    lines = [f"**Usable activation codes** ({result['usable']})"]
    for c in result["codes"]:
        expiry = f"expires <t:{c['expires_at']}:R>" if c.get("expires_at") else "no expiry"
        maker = f" · by <@{c['created_by']}>" if c.get("created_by") else ""
        lines.append(f"- `{c['code_id']}` · {c['uses']}/{c['max_uses']} used · {expiry}{maker}")
    if result["usable"] > len(result["codes"]):
        lines.append(f"… and {result['usable'] - len(result['codes'])} older")
    return "\n".join(lines), []


def _code_revoke(result: dict[str, Any], args: dict[str, Any], code: str | None, key: str) -> Rendered:
    return f"Code `{result['code_id']}` is revoked: nobody can activate with it any more.", []


def _ban(result: dict[str, Any], args: dict[str, Any], code: str | None, key: str) -> Rendered:
    user = result["user_id"]
    lines = [f"<@{user}> is banned from queueing."]
    if result["left_queue"]:
        lines.append("They were taken out of the queue.")
    if result.get("active_match_id"):
        lines.append(f"They are in match #{result['active_match_id']}: decide it with `/admin resolve` "
                     "or free them with `/admin unstick`.")
    dm = DirectMessage(f"{key}:banned", user, responses.message(
        f"⛔ Ladder staff banned you from the ladder's queue.\nReason: {args.get('reason', '')}"))
    return "\n".join(lines), [dm]


def _unban(result: dict[str, Any], args: dict[str, Any], code: str | None, key: str) -> Rendered:
    user = result["user_id"]
    dm = DirectMessage(f"{key}:unbanned", user, responses.message(
        f"✅ Ladder staff lifted your ban: you can `/queue` again.\nReason: {args.get('reason', '')}"))
    return f"<@{user}>'s ban is lifted.", [dm]


def _clear_queue(result: dict[str, Any], args: dict[str, Any], code: str | None, key: str) -> Rendered:
    # One job per player: a queue of thousands must not share this job's retry budget.
    notice = responses.message(f"⚠️ Ladder staff cleared the queue, so you are no longer queued. "
                               f"`/queue` to join again.\nReason: {args.get('reason', '')}")
    deliveries = [fanout.deliver_job(f"{key}:cleared:{user}", [DirectMessage(f"{key}:cleared:{user}", user, notice)])
                  for user in result["user_ids"]]
    return f"The queue is cleared: {result['removed']} players taken out, each told.", deliveries


def _status(result: dict[str, Any], args: dict[str, Any], code: str | None, key: str) -> Rendered:
    s = result["ladder"]
    wave = s.get("last_wave")
    lines = ["**Ladder status**",
             f"Queue: {s['queued']} players",
             f"Matches: {s['confirming']} being confirmed · {s['in_play']} in play · {s['conflicts']} in conflict",
             f"Stranded players (in a confirmation past its deadline): {s['stranded']}"
             + (" ⚠️" if s["stranded"] else ""),
             (f"Last wave: <t:{wave['at']}:R>, {wave['queued']} queued, {wave['pairs']} matches made" if wave
              else "Last wave: none yet"),
             (f"Staff: {s['staff']} · banned players: {s['banned']} · "
              f"/activate {'required' if s['activation_required'] else 'not required'}")]
    return "\n".join(lines), []


RENDER = {"staff_add": _staff_add, "staff_remove": _staff_remove, "staff_list": _staff_list,
          "code_create": _code_create, "code_list": _code_list, "code_revoke": _code_revoke,
          "ban": _ban, "unban": _unban, "clear_queue": _clear_queue, "status": _status}
