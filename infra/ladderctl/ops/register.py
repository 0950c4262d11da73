"""`ladderctl register`: bulk-overwrite the application's commands on Discord from the registry.

It first GETs what Discord has and prints a readable diff (added / removed / changed, with the
changed fields), then PUTs the whole list (PUT /applications/{app}/commands, or
/applications/{app}/guilds/{guild}/commands with --guild; guild commands update at once, global
ones are meant for production). `--dry-run` stops after the diff; `--print` prints the registry's
command JSON and talks to nobody.

The bot token comes from env DISCORD_BOT_TOKEN only (a command-line argument would land in shell
history and process listings) and is never printed. Calls go through the worker's Discord client
(ladderline.discord.rest): rate-limit buckets, 429s waited out within a minute, bounded retries.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from ladderline import settings
from ladderline.discord.rest import DiscordRest, Outcome
from ladderline.pipeline import commands_sync

BOT_TOKEN_ENV = settings.DISCORD_BOT_TOKEN
MAX_ATTEMPTS = 5
# A longer wait means a global or shared limit: better to stop and say so than to hang.
MAX_WAIT_SECONDS = 60.0
# Fields Discord adds to a stored command that we never send: ignored by the diff.
_SERVER_FIELDS = frozenset({"id", "application_id", "version", "guild_id", "dm_permission"})
# Compared even when we do not set them (an extra option or localisation on Discord is a change);
# other stored fields (contexts, integration_types, nsfw...) get Discord's defaults and only
# count when the registry sets them.
_ALWAYS_COMPARED = frozenset({"description", "options", "name_localizations", "description_localizations"})


class RegisterError(RuntimeError):
    """One readable line for the operator."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--application-id", default=os.environ.get(settings.DISCORD_APPLICATION_ID, ""),
                        help=f"the application (default: ${settings.DISCORD_APPLICATION_ID})")
    parser.add_argument("--guild", default=None, help="register as guild commands of this guild (instant)")
    parser.add_argument("--dry-run", action="store_true", help="print the diff, change nothing")
    parser.add_argument("--print", dest="print_json", action="store_true",
                        help="print the registry's command JSON and exit (no Discord call)")
    parser.add_argument("--api-base", default=os.environ.get(settings.DISCORD_API_BASE, "")
                        or settings.DEFAULT_DISCORD_API_BASE,
                        help=f"Discord API base (default: ${settings.DISCORD_API_BASE} or the public API)")


def desired_commands() -> list[dict[str, Any]]:
    return commands_sync.desired_commands()


def run(args: argparse.Namespace) -> int:
    try:
        if args.print_json:
            print(json.dumps(desired_commands(), indent=2, ensure_ascii=False))
            return 0
        return _register(args)
    except RegisterError as exc:
        print(f"ladderctl register: {exc}", file=sys.stderr)
        return 1


def _register(args: argparse.Namespace) -> int:
    token = os.environ.get(BOT_TOKEN_ENV, "").strip()
    if not token:
        raise RegisterError(f"set {BOT_TOKEN_ENV} to the bot token (it is never taken as an argument)")
    if not str(args.application_id).isdigit():
        raise RegisterError(f"pass --application-id or set {settings.DISCORD_APPLICATION_ID} (a numeric id)")
    if args.guild is not None and not str(args.guild).isdigit():
        raise RegisterError("--guild must be a numeric guild id")
    path = commands_sync.commands_path(args.application_id, args.guild)
    client = _Client(args.api_base.rstrip("/"), token)
    wanted = desired_commands()
    current = client.call("GET", path)
    if not isinstance(current, list):
        raise RegisterError("Discord answered the command list with something that is not a list")
    lines, changes = diff(current, wanted)
    scope = f"guild {args.guild}" if args.guild else "global"
    print(f"{scope} commands of application {args.application_id}:")
    print("\n".join(lines))
    if args.dry_run:
        print("dry run: nothing changed" if changes else "dry run: already up to date")
        return 0
    if not changes:
        print("already up to date; nothing sent")
        return 0
    stored = client.call("PUT", path, wanted)
    print(f"registered {len(stored) if isinstance(stored, list) else len(wanted)} commands")
    return 0


# --- diff --------------------------------------------------------------------------------------
def _normalise(value: Any) -> Any:
    """Discord leaves out empty/false/null fields it stores (required: false, options: [])."""
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items() if v not in (None, False, [], {}, "")}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def _comparable(command: dict[str, Any]) -> dict[str, Any]:
    cleaned = _normalise({k: v for k, v in command.items() if k not in _SERVER_FIELDS})
    cleaned.setdefault("type", 1)
    return cleaned


def diff(current: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> tuple[list[str], int]:
    """Readable lines (+ added, - removed, ~ changed with its fields, = unchanged) and the change count.

    Fields Discord fills in that we do not set (default_member_permissions, nsfw...) only count
    when we set them.
    """
    have = {(c.get("name"), c.get("type", 1)): _comparable(c) for c in current}
    want = {(c["name"], c.get("type", 1)): _comparable(c) for c in wanted}
    lines: list[str] = []
    changes = 0
    for key, command in want.items():
        old = have.get(key)
        if old is None:
            lines.append(f"+ /{key[0]} (added)")
            changes += 1
            continue
        changed = sorted(f for f in set(command) | (set(old) & _ALWAYS_COMPARED)
                         if command.get(f) != old.get(f))
        if changed:
            changes += 1
            details = "; ".join(f"{f}: {_short(old.get(f))} -> {_short(command.get(f))}" for f in changed)
            lines.append(f"~ /{key[0]} (changed: {details})")
        else:
            lines.append(f"= /{key[0]} (unchanged)")
    for key in have:
        if key not in want:
            lines.append(f"- /{key[0]} (removed)")
            changes += 1
    summary = (f"{sum(ln.startswith('+') for ln in lines)} added, {sum(ln.startswith('-') for ln in lines)} removed, "
               f"{sum(ln.startswith('~') for ln in lines)} changed, {sum(ln.startswith('=') for ln in lines)} unchanged")
    return [*lines, summary], changes


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":")) if value is not None else "(none)"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- HTTP --------------------------------------------------------------------------------------
class _Client:
    """register's calls through the one Discord client, failures as one readable line."""

    def __init__(self, base: str, token: str) -> None:
        def sleep(seconds: float) -> None:
            print(f"rate limited or retrying; waiting {seconds:.2f} s", file=sys.stderr)
            time.sleep(seconds)

        self._rest = DiscordRest(base, bot_token=lambda: token, sleep=sleep, max_attempts=MAX_ATTEMPTS)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        result = self._rest.request(method, path, body=body, deadline=time.time() + MAX_WAIT_SECONDS)
        if result.delivered:
            return result.data
        if result.outcome is Outcome.RATE_LIMITED:
            raise RegisterError(f"{method} {path}: still rate limited after {result.attempts} attempts; "
                                "try again later")
        if result.status is None:
            raise RegisterError(f"{method} {path}: cannot reach Discord ({result.error_message})")
        if result.status == 401:
            raise RegisterError(f"{method} {path}: 401 Unauthorized: Discord refused the bot token in {BOT_TOKEN_ENV}")
        detail = ""
        if isinstance(result.data, dict) and result.data.get("errors"):
            detail = " " + json.dumps(result.data["errors"], separators=(",", ":"))[:300]
        code = f" (code {result.error_code})" if result.error_code else ""
        raise RegisterError(f"{method} {path}: {result.status} {result.error_message or ''}{code}{detail}")
