"""/setcountry country:<autocomplete>: change the country of an existing profile."""

from __future__ import annotations

from ladderline.discord import responses
from ladderline.discord.constants import InteractionType
from ladderline.ladder import guards
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.countries import (
    autocomplete_country,
    country_label,
    resolve_country,
    unknown_country_text,
)
from ladderline.ladder.i18n import Text
from ladderline.ladder.options import COUNTRY_OPTION
from ladderline.ladder.routes import SERVER_AND_BOT_DM, Ack, Route


def handle(ctx: JobContext) -> Reply:
    raw = ctx.job.options.get("country")
    country = resolve_country(raw)
    if country is None:
        return Reply(responses.message(unknown_country_text(raw, ctx.text())), outcome="unknown_country")
    job = ctx.job
    result = guards.call(ctx, "ladder_set_country", int(job.user_id), country.code, job.interaction_id)
    tx: Text = ctx.text()
    if reply := guards.guard_reply(result, tx):
        return reply
    shown = f"{country.flag} {country.name}"
    if result["status"] == "unchanged":
        return Reply(responses.message(tx("Your country is already {country}.", country=shown)), outcome="unchanged")
    old = result.get("old")
    text = (tx("Your country is now {country} (was {old}).", country=shown, old=country_label(old)) if old
            else tx("Your country is now {country}.", country=shown))
    return Reply(responses.message(text))


ROUTES = (
    Route(
        key="setcountry",
        kind=InteractionType.APPLICATION_COMMAND, contexts=SERVER_AND_BOT_DM,
        ack=Ack.DEFERRED_MESSAGE,
        ephemeral=True,
        handler=handle,
        autocomplete=autocomplete_country,
        description="Change the country shown on your ladder profile",
        options=(COUNTRY_OPTION,),
    ),
)
