"""/termsofservice: show the terms (ladder/data/terms.md) with Accept / Decline buttons."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import ButtonStyle, InteractionType
from ladderline.ladder import guards
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.i18n import N_, Text, text_for
from ladderline.ladder.routes import SERVER_AND_BOT_DM, Ack, Route

# Discord caps an embed description at 4096 characters.
MAX_DESCRIPTION = 4096
TRUNCATED = "\n\n… (shortened: ask a moderator for the full terms)"
TITLE = N_("Ladder terms of service")


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


def terms_message(status: dict[str, Any], tx: Text) -> dict[str, Any]:
    """The terms themselves are the operator's document (data/terms.md), shown as written; what
    the bot says around them speaks the player's language."""
    accepted_at = status.get("accepted_at")
    if accepted_at:
        state = tx("✅ You accepted these terms <t:{at}:f>.", at=int(accepted_at))
    elif status.get("profile"):
        state = tx("Not accepted yet. Press **Accept** to agree.")
    else:
        state = tx("You need a profile first: run `/setup`, then come back here to accept.")
    embed = responses.embed(tx(TITLE), description(terms_text()), color=0x5865F2,
                            fields=[(tx("Your status"), state, False)])
    components = [] if accepted_at else [responses.action_row(
        responses.button(tx("Accept"), "terms_accept", style=ButtonStyle.SUCCESS),
        # The language rides in the custom_id: Decline writes nothing and needs no database read.
        responses.button(tx("Decline"), f"terms_decline:{tx.language}", style=ButtonStyle.DANGER),
    )]
    return responses.message(embeds=[embed], components=components)


def handle_show(ctx: JobContext) -> Reply:
    status = guards.call(ctx, "ladder_terms_status", int(ctx.job.user_id))
    return Reply(terms_message(status, ctx.text()))


def handle_accept(ctx: JobContext) -> Reply:
    result = guards.call(ctx, "ladder_accept_terms", int(ctx.job.user_id), ctx.job.interaction_id)
    tx = ctx.text()
    if reply := guards.guard_reply(result, tx):
        return reply
    when = f"<t:{int(result['accepted_at'])}:f>"
    if result["status"] == "already_accepted":
        return Reply(responses.message(tx("You already accepted the terms ({when}); nothing has changed.", when=when)),
                     outcome="already_accepted")
    return Reply(responses.message(
        tx("✅ Thank you, you accepted the terms ({when}).", when=when) + "\n"
        + tx("If your account isn't active yet, activate it with `/activate` and your activation code.")))


DECLINE_TEXT = N_(
    "You declined the terms, so nothing was recorded. You can't be activated or play ladder matches "
    "until you accept them; run `/termsofservice` again whenever you're ready.\n"
    "Declining doesn't withdraw terms you accepted earlier: to leave the ladder, ask a moderator to delete "
    "your profile."
)


def handle_decline(ctx: JobContext) -> Reply:
    language = (ctx.job.custom_id or "").partition(":")[2]
    tx = text_for(language) if language else ctx.text()
    return Reply(responses.message(tx(DECLINE_TEXT)), outcome="declined")


ROUTES = (
    Route(key="termsofservice", kind=InteractionType.APPLICATION_COMMAND, contexts=SERVER_AND_BOT_DM, ack=Ack.DEFERRED_MESSAGE,
          ephemeral=True, handler=handle_show, description="Read and accept the ladder's terms of service"),
    Route(key="terms_accept", kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.UPDATE_DISABLED,
          handler=handle_accept),
    Route(key="terms_decline", kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.UPDATE_DISABLED,
          handler=handle_decline),
)
