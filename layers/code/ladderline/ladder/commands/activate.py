"""/activate code:<text>: activate a profile with a (single- or multi-use) activation code.

Codes are stored only as sha256 hex of the normalised code (`hash_code`). Staff make them with
`/admin code create` (admin_ops.py); whether /activate is needed at all is the deployment's
ActivationRequired (off by default, as the original bot dropped its gate).
"""

from __future__ import annotations

from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import InteractionType, OptionType
from ladderline.ladder import guards
from ladderline.ladder.activation_codes import hash_code, normalise_code
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.i18n import N_
from ladderline.ladder.routes import SERVER_AND_BOT_DM, Ack, Route

__all__ = ["hash_code", "normalise_code"]  # kept importable from here

MAX_CODE_LENGTH = 100


MESSAGES: dict[str, str] = {
    "activated": N_("✅ Your account is activated. Welcome to the ladder!"),
    "already_active": N_("Your account is already active; no code was used."),
    "invalid_code": N_("That activation code isn't valid. Check it for typos and try again."),
    # Expired or revoked by staff (a revocation ends the code's validity: migration 0013).
    "expired": N_("That activation code is no longer valid (expired or revoked). Ask a moderator for a new one."),
    "used_up": N_("That activation code has already been used up. Ask a moderator for a new one."),
    "already_used": N_(
        "You have already used this activation code. Ask a moderator if your account needs a new one."
    ),
}


def handle(ctx: JobContext) -> Reply:
    code = ctx.job.options.get("code")
    if not isinstance(code, str) or not normalise_code(code):
        return Reply(responses.message(ctx.tx(MESSAGES["invalid_code"])), outcome="invalid_code")
    job = ctx.job
    result = guards.call(ctx, "ladder_activate", int(job.user_id), hash_code(code), job.interaction_id)
    if reply := guards.guard_reply(result, ctx.text()):
        return reply
    status = result["status"]
    return Reply(responses.message(ctx.tx(MESSAGES[status])), outcome=status)


CODE_OPTION: dict[str, Any] = {
    "type": OptionType.STRING, "name": "code", "description": "Your activation code",
    "required": True, "max_length": MAX_CODE_LENGTH,
}

ROUTES = (
    Route(key="activate", kind=InteractionType.APPLICATION_COMMAND, contexts=SERVER_AND_BOT_DM, ack=Ack.DEFERRED_MESSAGE, ephemeral=True,
          handler=handle, description="Activate your ladder account with a code", options=(CODE_OPTION,)),
)
