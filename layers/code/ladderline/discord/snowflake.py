"""Snowflake ids: Discord encodes each object's creation time in its id."""

from __future__ import annotations

import time

from ladderline.discord.constants import DISCORD_EPOCH_MS, TOKEN_LIFETIME_SECONDS


def created_at_ms(snowflake: int | str) -> int:
    """Unix milliseconds at which Discord created the object with this id."""
    return (int(snowflake) >> 22) + DISCORD_EPOCH_MS


def age_seconds(snowflake: int | str, now: float | None = None) -> float:
    now = time.time() if now is None else now
    return now - created_at_ms(snowflake) / 1000.0


def token_expired(interaction_id: int | str, now: float | None = None) -> bool:
    """True once the interaction's token can no longer edit its response."""
    return age_seconds(interaction_id, now) >= TOKEN_LIFETIME_SECONDS


def make_snowflake(unix_ms: int, increment: int = 0) -> int:
    """An id with the given creation time (the local Discord emulator and the tests mint ids)."""
    return ((unix_ms - DISCORD_EPOCH_MS) << 22) | (increment & 0xFFF)
