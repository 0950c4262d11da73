"""How the ladder shows players, races, regions and records (shared by every command that renders them)."""

from __future__ import annotations

import re

from ladderline.ladder import static_data
from ladderline.ladder.i18n import Text

EMBED_COLOR = 0x5865F2
_MARKDOWN = re.compile(r"([\\*_`~|>\[\]()])")


def display_text(text: str) -> str:
    """User-chosen text shown literally in Discord markdown (names may contain * _ ` ~ |)."""
    return _MARKDOWN.sub(r"\\\1", text)


def player_label(name: str | None, user_id: str) -> str:
    return display_text(name) if name else f"<@{user_id}>"


def region_label(code: str | None) -> str | None:
    found = static_data.region(code) if code else None
    return found.name if found else code


def race_name(code: str) -> str:
    found = static_data.race(code)
    return found.name if found else code


def race_short(code: str) -> str:
    found = static_data.race(code)
    return found.short if found else code


def record_text(won: int, lost: int, drawn: int, tx: Text) -> str:
    """W-L-D and the win rate (wins over all games played, draws included)."""
    played = won + lost + drawn
    rate = " " + tx("({rate}% wins)", rate=f"{won * 100 / played:.0f}") if played else ""
    return f"{won}-{lost}-{drawn}{rate}"
