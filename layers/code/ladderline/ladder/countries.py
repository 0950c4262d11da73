"""Countries as the commands use them: labels, autocomplete choices, and reading what a user sent.

Shared by /setup, /setcountry, /profile and /leaderboard so that every command accepts, refuses
and shows a country the same way.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from ladderline.discord.interaction import Interaction
from ladderline.ladder import static_data
from ladderline.ladder.i18n import Text

# Discord caps an option's value and an autocomplete choice's name/value at 100 characters.
MAX_OPTION_TEXT = 100


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().split())


def country_label(code: str | None) -> str | None:
    """'🇩🇪 Germany' for a known code, the code itself otherwise (None when there is none)."""
    country = static_data.country(code) if code else None
    return f"{country.flag} {country.name}" if country else code


def country_choices(text: str) -> list[dict[str, Any]]:
    """Autocomplete choices for what the user has typed so far (<= 25, name '🇩🇪 Germany', value 'DE')."""
    return [{"name": f"{c.flag} {c.name}"[:MAX_OPTION_TEXT], "value": c.code}
            for c in static_data.search_countries(text[:MAX_OPTION_TEXT])]


def autocomplete_country(interaction: Interaction) -> list[dict[str, Any]]:
    """In-line autocomplete for any command whose `country` option is focused."""
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


def unknown_country_text(text: Any, tx: Text) -> str:
    typed = str(text or "")
    suggestions = static_data.closest_countries(typed) or static_data.search_countries(typed, 3)
    line = tx("I don't know the country `{typed}`.", typed=safe_echo(text))
    if suggestions:
        line += " " + tx("Did you mean {countries}?", countries=", ".join(
            f"{c.flag} {c.name} (`{c.code}`)" for c in suggestions))
    return line + " " + tx("Pick a country from the list that appears while you type.")
