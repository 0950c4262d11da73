"""The slash commands in the players' languages (ladder/command_locales.py): every description and
choice in the four locales the original's rewrite offers, names where they are localized, all
within Discord's rules for application commands."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ladderline.ladder.command_locales import AS_IS, LOCALES
from ladderline.ladder.registry import registry

# Discord's locales (developer docs, reference "Locales").
DISCORD_LOCALES = {"id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no",
                   "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN",
                   "ja", "zh-TW", "ko"}


def _walk(options: list[dict[str, Any]] | None, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for option in options or []:
        yield f"{path} {option['name']}", option
        yield from _walk(option.get("options"), f"{path} {option['name']}")


def every() -> Iterator[tuple[str, dict[str, Any]]]:
    for command in registry().commands():
        yield f"/{command['name']}", command
        yield from _walk(command.get("options"), f"/{command['name']}")


def valid_name(name: str) -> bool:
    # ^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$, lower case where the script has case.
    return 1 <= len(name) <= 32 and name == name.lower() and all(c.isalnum() or c in "-_" for c in name)


def test_every_description_is_in_every_language_within_discords_limit() -> None:
    missing = [(where, locale) for where, item in every() for locale in LOCALES
               if locale not in item.get("description_localizations", {})]
    assert missing == []
    for where, item in every():
        for locale, text in item["description_localizations"].items():
            assert locale in DISCORD_LOCALES and 1 <= len(text) <= 100, (where, locale, text)


def test_every_choice_is_named_in_every_language_but_the_games_own_names() -> None:
    for where, item in every():
        for choice in item.get("choices") or []:
            if choice["name"] in AS_IS:
                continue
            localized = choice.get("name_localizations", {})
            assert set(localized) == set(LOCALES), (where, choice["name"])
            assert all(1 <= len(text) <= 100 for text in localized.values()), (where, localized)


@pytest.mark.parametrize("locale", LOCALES)
def test_player_commands_and_their_options_have_valid_unique_names_in_each_language(locale: str) -> None:
    for command in registry().commands():
        if command["name"] == "admin":
            # Staff type the docs' names: no subcommand or option is renamed (their choices are).
            assert [w for w, o in _walk(command.get("options"), "/admin") if "name_localizations" in o] == []
            continue
        assert valid_name(command["name_localizations"][locale]), command["name"]
        names = [option["name_localizations"][locale] for option in command.get("options") or []]
        assert all(valid_name(name) for name in names), (command["name"], names)
        assert len(names) == len(set(names)), (command["name"], names)  # unique at one level
    tops = [c["name_localizations"][locale] for c in registry().commands() if c["name"] != "admin"]
    assert len(tops) == len(set(tops))
