"""Command options shared by several commands (so no command imports another)."""

from __future__ import annotations

from typing import Any

from ladderline.discord.constants import OptionType
from ladderline.ladder import static_data
from ladderline.ladder.countries import MAX_OPTION_TEXT

COUNTRY_OPTION: dict[str, Any] = {
    "type": OptionType.STRING, "name": "country", "description": "Your country (start typing its name)",
    "required": True, "autocomplete": True, "max_length": MAX_OPTION_TEXT,
}

REGION_OPTION: dict[str, Any] = {
    "type": OptionType.STRING, "name": "region", "description": "Where you usually play from",
    "required": True,
    # Discord allows at most 25 static choices per option.
    "choices": [{"name": r.name, "value": r.code} for r in static_data.regions()][:25],
}
