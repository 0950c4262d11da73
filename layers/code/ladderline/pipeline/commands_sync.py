"""The registry's application commands as Discord stores them, and the one bulk overwrite.

Shared by `ladderctl register` (an operator's machine, with a diff first) and the deploy's
register function. PUT /applications/{id}/commands replaces the whole list: commands missing
from it are deleted, so the registry is the only source of truth.
"""

from __future__ import annotations

import json
from typing import Any

from ladderline.discord.rest import DiscordRest, Outcome


class CommandSyncError(RuntimeError):
    """Discord did not take the command list (one readable line, never the token)."""


def desired_commands() -> list[dict[str, Any]]:
    from ladderline.ladder.registry import registry

    # json round trip: IntEnum values become plain ints, tuples become lists.
    return json.loads(json.dumps(registry().commands()))


def commands_path(application_id: str, guild_id: str | None = None) -> str:
    return f"/applications/{application_id}" + (f"/guilds/{guild_id}" if guild_id else "") + "/commands"


def put_commands(rest: DiscordRest, application_id: str, *, deadline: float, guild_id: str | None = None) -> int:
    """Overwrite the application's commands with the registry's; returns how many Discord stored."""
    if not str(application_id).isdigit():
        raise CommandSyncError("the application id must be a numeric snowflake")
    wanted = desired_commands()
    result = rest.request("PUT", commands_path(application_id, guild_id), body=wanted, deadline=deadline)
    if result.delivered:
        return len(result.data) if isinstance(result.data, list) else len(wanted)
    if result.outcome is Outcome.RATE_LIMITED:
        raise CommandSyncError(f"still rate limited after {result.attempts} attempts")
    if result.status is None:
        raise CommandSyncError(f"cannot reach Discord ({result.error_message})")
    detail = ""
    if isinstance(result.data, dict) and result.data.get("errors"):
        detail = " " + json.dumps(result.data["errors"], separators=(",", ":"))[:300]
    raise CommandSyncError(f"PUT commands: {result.status} {result.error_message or ''}{detail}".rstrip())
