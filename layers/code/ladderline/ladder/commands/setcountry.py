"""/setcountry country:<autocomplete>: change the country of an existing profile.

The country helpers here (autocomplete choices, resolving typed text, the "did you mean" text)
are shared with /setup.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import InteractionType, OptionType
from ladderline.discord.interaction import Interaction
from ladderline.ladder import guards, static_data
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.registry import Ack, Route

# Discord caps an option's value and an autocomplete choice's name/value at 100 characters.
MAX_OPTION_TEXT = 100


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().split())


def country_label(code: str) -> str:
    """'🇩🇪 Germany' for a known code, the code itself otherwise."""
    country = static_data.country(code) if code else None
    return f"{country.flag} {country.name}" if country else (code or "—")


def country_choices(text: str) -> list[dict[str, Any]]:
    """Autocomplete choices for what the user has typed so far (<= 25, name '🇩🇪 Germany', value 'DE')."""
    return [{"name": f"{c.flag} {c.name}"[:MAX_OPTION_TEXT], "value": c.code}
            for c in static_data.search_countries(text[:MAX_OPTION_TEXT])]


def autocomplete_country(interaction: Interaction) -> list[dict[str, Any]]:
    if interaction.focused != "country":
        return []
    value = interaction.options.get("country")
    return country_choices(value if isinstance(value, str) else "")


def resolve_country(text: Any) -> static_data.Country | None:
    """The country a submitted value means: a code (what a picked choice sends) or an exact name.

    Discord lets users submit free text in an autocomplete option, so a half-typed name is refused
    (with suggestions) rather than guessed.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    by_code = static_data.country(text) if len(text.strip()) == 2 else None
    if by_code:
        return by_code
    folded = _fold(text)
    for country in static_data.search_countries(text):
        if folded in (_fold(country.name), _fold(country.iso_name)):
            return country
    return None


def safe_echo(text: Any, limit: int = 40) -> str:
    """User text quoted in a reply: bounded, no backticks or newlines (it sits inside `...`)."""
    value = " ".join(str(text or "").replace("`", "'").split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def unknown_country_text(text: Any) -> str:
    typed = str(text or "")
    suggestions = static_data.closest_countries(typed) or static_data.search_countries(typed, 3)
    line = f"I don't know the country `{safe_echo(text)}`."
    if suggestions:
        line += " Did you mean " + ", ".join(f"{c.flag} {c.name} (`{c.code}`)" for c in suggestions) + "?"
    return line + " Pick a country from the list that appears while you type."


def quiet_message(content: str, **parts: Any) -> dict[str, Any]:
    """A message body that can never ping anyone (it may echo user text)."""
    return {**responses.message(content, **parts), "allowed_mentions": {"parse": []}}


def handle(ctx: JobContext) -> Reply:
    raw = ctx.job.options.get("country")
    country = resolve_country(raw)
    if country is None:
        return Reply(quiet_message(unknown_country_text(raw)), outcome="unknown_country")
    job = ctx.job
    result = guards.call(ctx, "ladder_set_country", int(job.user_id), country.code, job.interaction_id)
    if reply := guards.guard_reply(result):
        return reply
    if result["status"] == "unchanged":
        return Reply(responses.message(f"Your country is already {country.flag} {country.name}."),
                     outcome="unchanged")
    old = result.get("old")
    text = f"Your country is now {country.flag} {country.name}"
    return Reply(responses.message(text + (f" (was {country_label(old)})." if old else ".")))


COUNTRY_OPTION: dict[str, Any] = {
    "type": OptionType.STRING, "name": "country", "description": "Your country (start typing its name)",
    "required": True, "autocomplete": True, "max_length": MAX_OPTION_TEXT,
}

ROUTES = (
    Route(
        key="setcountry",
        kind=InteractionType.APPLICATION_COMMAND,
        ack=Ack.DEFERRED_MESSAGE,
        ephemeral=True,
        handler=handle,
        autocomplete=autocomplete_country,
        description="Change the country shown on your ladder profile",
        options=(COUNTRY_OPTION,),
    ),
)
