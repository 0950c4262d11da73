"""/termsofservice: show the terms (ladder/data/terms.md) with Accept / Decline buttons."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import ButtonStyle, InteractionType
from ladderline.ladder import guards
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.routes import SERVER_AND_BOT_DM, Ack, Route

# Discord caps an embed description at 4096 characters.
MAX_DESCRIPTION = 4096
TRUNCATED = "\n\n… (shortened: ask a moderator for the full terms)"
TITLE = "Ladder terms of service"


@cache
def terms_text() -> str:
    path = resources.files("ladderline.ladder").joinpath("data", "terms.md")
    return path.read_text(encoding="utf-8").strip()


def description(text: str) -> str:
    """The terms as an embed description, shortened at a line break if they outgrow Discord's limit."""
    if len(text) <= MAX_DESCRIPTION:
        return text
    cut = text[: MAX_DESCRIPTION - len(TRUNCATED)]
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    return cut.rstrip() + TRUNCATED


def terms_message(status: dict[str, Any]) -> dict[str, Any]:
    accepted_at = status.get("accepted_at")
    if accepted_at:
        state = f"✅ You accepted these terms <t:{int(accepted_at)}:f>."
    elif status.get("profile"):
        state = "Not accepted yet. Press **Accept** to agree."
    else:
        state = "You need a profile first: run `/setup`, then come back here to accept."
    embed = responses.embed(TITLE, description(terms_text()), color=0x5865F2,
                            fields=[("Your status", state, False)])
    components = [] if accepted_at else [responses.action_row(
        responses.button("Accept", "terms_accept", style=ButtonStyle.SUCCESS),
        responses.button("Decline", "terms_decline", style=ButtonStyle.DANGER),
    )]
    return responses.message(embeds=[embed], components=components)


def handle_show(ctx: JobContext) -> Reply:
    status = guards.call(ctx, "ladder_terms_status", int(ctx.job.user_id))
    return Reply(terms_message(status))


def handle_accept(ctx: JobContext) -> Reply:
    result = guards.call(ctx, "ladder_accept_terms", int(ctx.job.user_id), ctx.job.interaction_id)
    if reply := guards.guard_reply(result):
        return reply
    when = f"<t:{int(result['accepted_at'])}:f>"
    if result["status"] == "already_accepted":
        return Reply(responses.message(f"You already accepted the terms ({when}); nothing has changed."),
                     outcome="already_accepted")
    return Reply(responses.message(
        f"✅ Thank you, you accepted the terms ({when}).\n"
        "If your account isn't active yet, activate it with `/activate` and your activation code."))


DECLINE_TEXT = (
    "You declined the terms, so nothing was recorded. You can't be activated or play ladder matches "
    "until you accept them; run `/termsofservice` again whenever you're ready.\n"
    "Declining doesn't withdraw terms you accepted earlier: to leave the ladder, ask a moderator to delete "
    "your profile."
)


def handle_decline(ctx: JobContext) -> Reply:
    return Reply(responses.message(DECLINE_TEXT), outcome="declined")


ROUTES = (
    Route(key="termsofservice", kind=InteractionType.APPLICATION_COMMAND, contexts=SERVER_AND_BOT_DM, ack=Ack.DEFERRED_MESSAGE,
          ephemeral=True, handler=handle_show, description="Read and accept the ladder's terms of service"),
    Route(key="terms_accept", kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.UPDATE_DISABLED,
          handler=handle_accept),
    Route(key="terms_decline", kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.UPDATE_DISABLED,
          handler=handle_decline),
)
