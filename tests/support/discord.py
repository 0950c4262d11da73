"""pytest plugin: a test signing key and a local Discord (the emulator) per test.

`discord` is a started DiscordEmulator signing with `discord_key`; point the code under test at
`discord.base_url` and its verifier at `discord.public_key_hex` (or `discord_key.verify_key`).
"""

from __future__ import annotations

from collections.abc import Iterator

import nacl.signing
import pytest
from ladderctl.stack.discord_emulator import DiscordEmulator, RecordedRequest

from tests.support.interactions import (
    APPLICATION_ID,
    CHANNEL_ID,
    GUILD_ID,
    USER_ID,
    dumps,
    make_interaction,
    signed_event,
    snowflake,
    snowflake_time,
)

# The bot token the test emulator accepts and the test workers send (never a real one).
BOT_TOKEN = "test-bot-token-not-a-secret-0123456789"

__all__ = [
    "APPLICATION_ID",
    "BOT_TOKEN",
    "CHANNEL_ID",
    "GUILD_ID",
    "USER_ID",
    "DiscordEmulator",
    "RecordedRequest",
    "discord",
    "discord_key",
    "dumps",
    "make_interaction",
    "signed_event",
    "snowflake",
    "snowflake_time",
]


@pytest.fixture(scope="session")
def discord_key() -> nacl.signing.SigningKey:
    return nacl.signing.SigningKey.generate()


@pytest.fixture
def discord(discord_key: nacl.signing.SigningKey) -> Iterator[DiscordEmulator]:
    with DiscordEmulator(signing_key=discord_key, bot_token=BOT_TOKEN) as emulator:
        yield emulator
