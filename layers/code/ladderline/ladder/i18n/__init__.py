"""The players' language: what the bot says, in English and the four languages the original's
rewrite offers (Spanish (Latin America), Korean, Russian, Simplified Chinese).

The English text is written where it is used, wrapped in `tx("...")` (gettext's way: the code
reads as what the player sees); each other language is a catalog, `<language>.json`, mapping that
English text to its translation. Placeholders are str.format names (`{match_id}`), the same in
every language. A text a catalog lacks falls back to the English, never to a key; the tests check
that every wrapped text is in every catalog with the same placeholders, and that the views fit
Discord's limits in each language (tests/unit/test_i18n.py).

Which language: the player's own choice (`/setup language:`), else the client's `locale`, which
Discord sends with every interaction (developer docs, "Interaction Object": `locale`, "the
selected language of the invoking user"). Messages that are not an answer (DMs from a tick) use
the choice or the locale the player's last interaction carried.
"""

from __future__ import annotations

import json
import os
from functools import cache, lru_cache

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of the ingress's cold start)
if TYPE_CHECKING:
    from typing import Any

ENGLISH = "en"
# Code -> the language's own name (how a player finds it in a list).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "es-419": "Español (Latinoamérica)",
    "ko": "한국어",
    "ru": "Русский",
    "zh-CN": "简体中文",
}
# Discord locales (developer docs, reference "Locales") that read one of ours. Spanish speakers of
# Spain read the Latin American text; a Taiwanese client reads Simplified Chinese more easily than
# English. Every other locale (Ukrainian too: it is not Russian) gets English.
_FROM_LOCALE = {"en-US": "en", "en-GB": "en", "es-ES": "es-419", "es-419": "es-419", "ko": "ko", "ru": "ru",
                "zh-CN": "zh-CN", "zh-TW": "zh-CN"}


def language_of(locale: str | None) -> str:
    """The language for a Discord locale or one of our codes; English for anything else."""
    if locale in LANGUAGES:
        return str(locale)
    return _FROM_LOCALE.get(locale or "", ENGLISH)


@cache
def catalog(language: str) -> dict[str, str]:
    """A language's translations (English has none: its texts are in the code). Loaded on first use,
    so the ingress reads only the catalogs its interactions need."""
    if language == ENGLISH or language not in LANGUAGES:
        return {}
    with open(os.path.join(os.path.dirname(__file__), f"{language}.json"), encoding="utf-8") as file:
        data: dict[str, str] = json.load(file)
    return data


class Text:
    """Texts in one language: `tx("You are in match #{match_id}.", match_id=7)`."""

    __slots__ = ("language",)

    def __init__(self, language: str) -> None:
        self.language = language_of(language)

    def __call__(self, source: str, /, **params: Any) -> str:
        template = catalog(self.language).get(source) or source
        return template.format(**params) if params else template

    def __repr__(self) -> str:
        return f"Text({self.language!r})"


@lru_cache(maxsize=16)
def text_for(locale: str | None) -> Text:
    """The texts for a Discord locale, one of our codes, or None (English)."""
    return Text(language_of(locale))


def N_(source: str) -> str:
    """Marks an English text kept in a table and translated where it is shown (`tx(TABLE[k])`), so the
    catalog test finds it (gettext's N_)."""
    return source


EN = text_for(None)
