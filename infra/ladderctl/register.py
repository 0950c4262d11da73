"""`ladderctl register`: bulk-overwrite the application's commands on Discord from the registry.

It first GETs what Discord has and prints a readable diff (added / removed / changed, with the
changed fields), then PUTs the whole list (PUT /applications/{app}/commands, or
/applications/{app}/guilds/{guild}/commands with --guild; guild commands update at once, global
ones are meant for production). `--dry-run` stops after the diff; `--print` prints the registry's
command JSON and talks to nobody.

The bot token comes from env DISCORD_BOT_TOKEN only (a command-line argument would land in shell
history and process listings) and is never printed. A 429 is waited out (`retry_after`) and
retried, a bounded number of times.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import requests
from ladderline import settings

BOT_TOKEN_ENV = "DISCORD_BOT_TOKEN"
MAX_ATTEMPTS = 5
# A longer wait means a global or shared limit: better to stop and say so than to hang.
MAX_RETRY_AFTER_SECONDS = 60.0
TIMEOUT_SECONDS = 15
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
    from ladderline.ladder.registry import registry

    # json round trip: IntEnum values become plain ints, tuples become lists.
    return json.loads(json.dumps(registry().commands()))


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
    path = f"/applications/{args.application_id}" + (f"/guilds/{args.guild}" if args.guild else "") + "/commands"
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
    def __init__(self, base: str, token: str) -> None:
        self._base = base
        self._session = requests.Session()
        self._session.headers.update({
            "Authorization": f"Bot {token}",
            "User-Agent": "DiscordBot (https://github.com/ladderline, 0.1) ladderctl",
        })

    def call(self, method: str, path: str, body: Any = None) -> Any:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = self._session.request(method, self._base + path, json=body, timeout=TIMEOUT_SECONDS)
            except requests.RequestException as exc:
                raise RegisterError(f"{method} {path}: cannot reach Discord ({type(exc).__name__})") from None
            if response.status_code == 429:
                if attempt == MAX_ATTEMPTS:
                    break
                wait = _retry_after(response)
                if wait > MAX_RETRY_AFTER_SECONDS:
                    raise RegisterError(f"{method} {path}: rate limited for {wait:.0f} s; try again later")
                print(f"rate limited on {method} {path}; retrying in {wait:.2f} s", file=sys.stderr)
                time.sleep(wait)
                continue
            if response.status_code >= 400:
                raise RegisterError(f"{method} {path}: {_error_text(response)}")
            return response.json() if response.content else None
        raise RegisterError(f"{method} {path}: still rate limited after {MAX_ATTEMPTS} attempts")


def _retry_after(response: requests.Response) -> float:
    try:
        return max(0.0, float(response.json()["retry_after"]))
    except (ValueError, KeyError, TypeError):
        pass
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code == 401:
        return f"401 Unauthorized: Discord refused the bot token in {BOT_TOKEN_ENV}"
    message = body.get("message") if isinstance(body, dict) else None
    code = body.get("code") if isinstance(body, dict) else None
    detail = ""
    if isinstance(body, dict) and body.get("errors"):
        detail = " " + json.dumps(body["errors"], separators=(",", ":"))[:300]
    return f"{response.status_code} {message or response.reason}" + (f" (code {code})" if code else "") + detail
