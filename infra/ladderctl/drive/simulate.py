"""`ladderctl simulate`: act as a Discord user against the running local stack.

    ladderctl simulate command setup country:DE region:EUW    (options as name:value or name=value,
    ladderctl simulate command profile --opt user=alice        or --opt name=value, in any order)
    ladderctl simulate command admin match match_id:3        (a subcommand right after the name)
    ladderctl simulate click setup_confirm                    (a button of the last message; a label works too)
    ladderctl simulate select leaderboard:region eu
    ladderctl simulate modal --field player_name=Alice      (fills the last modal; or give its custom_id)
    ladderctl simulate autocomplete setcountry country=ger
    ladderctl simulate ping                                 (the PING Discord sends when the URL is saved)
    ladderctl simulate command --help                       (every command and its options)

Like Discord's client, it refuses what the client would never send (an unknown command, a missing
required option, a value outside an option's choices or range, a non-numeric user, a modal field
longer than its input allows), showing the command's or modal's own definition (client_rules.py).
Interactions go through the emulator's control API, so the emulator signs them as Discord would
and tracks their tokens; the immediate answer is printed, then the final message once the worker
has edited it. The last message and modal are kept in <data-dir>/last.json for the next click.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import re
import secrets
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ladderline.discord.snowflake import make_snowflake

from ladderctl.drive import client_rules
from ladderctl.drive.client_rules import ClientRefusal
from ladderctl.stack.info import (
    DEFAULT_CHANNEL,
    DEFAULT_DATA_DIR,
    DEFAULT_GUILD,
    DEFAULT_USER,
    PLAYERS,
    StackInfo,
    read_stack,
)
from ladderctl.stack.local_log import CALLBACK_NAMES

EPHEMERAL = 1 << 6
LOADING = 1 << 7
LAST_FILE = "last.json"
# Long embed descriptions (the terms) are cut in the console; --json shows everything.
MAX_DESCRIPTION_LINES = 12
BUTTON, SELECT, TEXT_INPUT, ACTION_ROW, LABEL, FILE_UPLOAD = 2, 3, 4, 1, 18, 19
SECTION, TEXT_DISPLAY, THUMBNAIL, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER = 9, 10, 11, 12, 13, 14, 17
SELECT_TYPES = (3, 5, 6, 7, 8)
IS_COMPONENTS_V2 = 1 << 15


class SimulateError(RuntimeError):
    """One readable line for the user (no stack, unknown button...)."""


# --- payloads --------------------------------------------------------------------------------------
# Discord never issues one id twice; a random 12-bit increment did, now and then, when `ladderctl
# load`'s threads made interactions in the same millisecond (the worker, keyed on the interaction
# id, then rightly ran the second as a replay of the first and its user never got an answer).
_INCREMENTS = itertools.count(secrets.randbelow(1 << 12))


def snowflake() -> str:
    return str(make_snowflake(int(time.time() * 1000), next(_INCREMENTS)))


def _user(user_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": f"player{user_id[-4:]}", "global_name": f"Player {user_id[-4:]}",
            "discriminator": "0", "avatar": None, "public_flags": 0}


def make_interaction(kind: int, application_id: str, data: dict[str, Any] | None, *, user_id: str = DEFAULT_USER,
                     guild_id: str | None = DEFAULT_GUILD, channel_id: str = DEFAULT_CHANNEL,
                     message: dict[str, Any] | None = None, locale: str = "en-US") -> dict[str, Any]:
    """A Discord-shaped interaction created now (guild payloads carry member.user, DMs carry user)."""
    interaction_id = snowflake()
    # Real tokens are base64url("interaction:<id>:<random>"), unpadded.
    raw = f"interaction:{interaction_id}:{secrets.token_urlsafe(96)}".encode()
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    payload: dict[str, Any] = {
        "id": interaction_id, "application_id": application_id, "type": kind, "token": token, "version": 1,
        "app_permissions": "2248473465835073", "entitlements": [], "locale": locale,
    }
    if kind == 1:
        payload.pop("locale")
        payload["user"] = {**_user("643945264868098049"), "username": "discord", "system": True}
        return payload
    payload["channel_id"] = channel_id
    if guild_id:
        payload.update(guild_id=guild_id, guild_locale="en-US", context=0,
                       guild={"id": guild_id, "features": [], "locale": "en-US"},
                       channel={"id": channel_id, "guild_id": guild_id, "name": "ladder", "type": 0},
                       member={"user": _user(user_id), "roles": [], "nick": None, "permissions": "2251799813685247",
                               "joined_at": "2025-06-06T10:06:39.888000+00:00", "deaf": False, "mute": False})
    else:
        payload.update(context=1, channel={"id": channel_id, "type": 1}, user=_user(user_id))
    if data is not None:
        payload["data"] = data
    if message is not None:
        payload["message"] = message
    return payload


def command_data(name: str, options: dict[str, str], focused: str | None = None, *, words: list[str] | None = None,
                 dm: bool = False) -> dict[str, Any]:
    """The data Discord's client sends for /name [subcommand] option:value..., checked like the client."""
    try:
        return client_rules.command_data(name, list(words or []), options, snowflake=snowflake(), dm=dm,
                                         focused=focused, resolve_user=lambda text: PLAYERS.get(text.lower()))
    except ClientRefusal as exc:
        raise SimulateError(str(exc)) from None


def iter_components(components: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Interactive components of a message or modal, flattened (rows, labels, containers)."""
    found: list[dict[str, Any]] = []
    stack = list(components or [])
    while stack:
        item = stack.pop(0)
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("components"), list):
            stack[:0] = item["components"]
        if isinstance(item.get("component"), dict):
            stack.insert(0, item["component"])
        if item.get("accessory"):
            stack.insert(0, item["accessory"])
        if item.get("custom_id"):
            found.append(item)
    return found


def modal_submit_data(modal: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    """A MODAL_SUBMIT's data: every input of the modal, with given values (else its prefilled one)."""
    unknown = set(fields) - {c["custom_id"] for c in iter_components(modal.get("components"))}
    if unknown:
        names = ", ".join(c["custom_id"] for c in iter_components(modal.get("components")))
        raise SimulateError(f"the modal has no field {', '.join(sorted(unknown))} (its fields: {names})")

    def submitted(component: dict[str, Any]) -> dict[str, Any]:
        cid = component["custom_id"]
        if component.get("type") == FILE_UPLOAD:
            raw = fields.get(cid)
            return {"type": FILE_UPLOAD, "custom_id": cid, "values": [raw] if raw else []}
        if component.get("type") in SELECT_TYPES:
            raw = fields.get(cid)
            values = raw.split(",") if raw else [o["value"] for o in component.get("options", []) if o.get("default")]
            return {"type": component["type"], "custom_id": cid, "values": values}
        return {"type": TEXT_INPUT, "custom_id": cid, "value": fields.get(cid, component.get("value") or "")}

    rows: list[dict[str, Any]] = []
    for row in modal.get("components") or []:
        if row.get("type") == LABEL and isinstance(row.get("component"), dict):
            rows.append({"type": LABEL, "component": submitted(row["component"])})
        elif row.get("type") == ACTION_ROW:
            rows.append({"type": ACTION_ROW, "components": [submitted(c) for c in row.get("components", [])
                                                            if c.get("custom_id")]})
        elif row.get("type") == TEXT_DISPLAY:
            rows.append({"type": TEXT_DISPLAY})  # Discord echoes a modal's text displays (type and id only)
    # Discord numbers every component it sends back (`id`, sequential when the modal left it out).
    ids = itertools.count(1)
    for component in _walk_all(rows):
        component.setdefault("id", next(ids))
    return {"custom_id": modal["custom_id"], "components": rows}


def check_modal_fields(modal: dict[str, Any], fields: dict[str, str]) -> None:
    """Refuse what the client would not submit (too long, too short, required and empty)."""
    modal_submit_data(modal, fields)  # unknown fields first, with the modal's field names
    try:
        client_rules.check_modal(modal, iter_components(modal.get("components")), fields, render_modal)
    except ClientRefusal as exc:
        raise SimulateError(str(exc)) from None


def _walk_all(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for component in components:
        out.append(component)
        out += _walk_all(component.get("components") or [])
        if isinstance(component.get("component"), dict):
            out += _walk_all([component["component"]])
    return out


# --- the emulator's control API -----------------------------------------------------------------
@dataclass
class Outcome:
    interaction: dict[str, Any]
    status: int
    response: Any
    answer_ms: float
    message: dict[str, Any] | None = None
    final_ms: float | None = None
    waited_out: bool = False
    modal: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def callback_type(self) -> int | None:
        return self.response.get("type") if isinstance(self.response, dict) else None


class Simulator:
    """Delivers interactions through the emulator and waits for their final message."""

    def __init__(self, info: StackInfo, data_dir: Path, *, user_id: str = DEFAULT_USER,
                 guild_id: str | None = DEFAULT_GUILD, last_file: str = LAST_FILE, locale: str = "en-US") -> None:
        if not info.emulator_url:
            raise SimulateError("the stack talks to the real Discord: simulate needs the local emulator "
                                "(start `ladderctl dev` without DISCORD_PUBLIC_KEY/DISCORD_APPLICATION_ID)")
        if not client_rules.is_snowflake(user_id):
            raise SimulateError(f"user id {user_id!r} is not a Discord user id (a number, e.g. {DEFAULT_USER})")
        self.info = info
        self.data_dir = Path(data_dir)
        self.user_id = user_id
        self.guild_id = guild_id
        self.last_file = last_file
        self.locale = locale  # the client's language, sent with every interaction as Discord does

    # -- HTTP
    def _call(self, method: str, path: str, body: Any = None, timeout: float = 15) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.info.emulator_url}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except (urllib.error.URLError, OSError) as error:
            raise SimulateError(f"the local stack is not reachable at {self.info.emulator_url} ({error}): "
                                "is `ladderctl dev` running?") from None
        return status, (json.loads(raw) if raw else None)

    def reachable(self) -> bool:
        try:
            return self._call("GET", "/_emulator/info", timeout=2)[0] == 200
        except SimulateError:
            return False

    # -- last.json
    def load_last(self) -> dict[str, Any]:
        try:
            return json.loads((self.data_dir / self.last_file).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def save_last(self, **changes: Any) -> None:
        last = {**self.load_last(), **changes}
        (self.data_dir / self.last_file).write_text(json.dumps(last, indent=1), encoding="utf-8")

    # -- interactions
    def send(self, kind: int, data: dict[str, Any] | None, *, message: dict[str, Any] | None = None,
             wait: float = 15.0) -> Outcome:
        interaction = make_interaction(kind, self.info.application_id, data, user_id=self.user_id,
                                       guild_id=self.guild_id, message=message, locale=self.locale)
        started = time.perf_counter()
        status, answer = self._call("POST", "/_emulator/deliver", {"interaction": interaction})
        if status != 200 or not isinstance(answer, dict):
            raise SimulateError(f"the emulator could not deliver: {status} {answer}")
        outcome = Outcome(interaction, int(answer["status"]), answer.get("response"),
                          (time.perf_counter() - started) * 1000)
        if answer.get("refused"):
            outcome.extra["refused"] = list(answer["refused"])
        kind_back = outcome.callback_type
        if outcome.status == 200 and kind_back == 4:
            outcome.message = self._message(interaction["token"])
            outcome.final_ms = outcome.answer_ms
        elif outcome.status == 200 and kind_back in (5, 6, 7):
            self._wait_for_edit(outcome, started, wait)
        if outcome.status == 200 and kind_back == 9:
            outcome.modal = {**(outcome.response.get("data") or {}), "message": message}
            self.save_last(modal=outcome.modal)
        if outcome.message is not None:
            self.save_last(message=outcome.message, modal=None if kind_back != 9 else outcome.modal)
        return outcome

    def _message(self, token: str) -> dict[str, Any] | None:
        status, message = self._call("GET", f"/_emulator/messages/{token}")
        return message if status == 200 else None

    def _wait_for_edit(self, outcome: Outcome, started: float, wait: float) -> None:
        token = outcome.interaction["token"]
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            _, requests = self._call("GET", f"/_emulator/requests/{token}")
            edited = any(r["method"] in ("PATCH", "POST") and 200 <= int(r["status"]) < 300 for r in requests or [])
            if edited:
                outcome.final_ms = (time.perf_counter() - started) * 1000
                outcome.message = self._message(token)
                return
            time.sleep(0.05)
        outcome.waited_out = True
        outcome.message = self._message(token)

    def followups(self, outcome: Outcome, at_least: int = 1, wait: float = 15.0) -> list[dict[str, Any]]:
        """Follow-up messages the bot posted with an interaction's token (e.g. a question under a
        message), oldest first; waits (up to `wait` s) until there are `at_least`."""
        return self._messages(f"/_emulator/followups/{outcome.interaction['token']}", at_least, wait)

    def dms(self, at_least: int = 0, wait: float = 15.0) -> list[dict[str, Any]]:
        """The bot's DMs to this user, oldest first; waits (up to `wait` s) until there are `at_least`."""
        return self._messages(f"/_emulator/dms/{self.user_id}", at_least, wait)

    def _messages(self, path: str, at_least: int, wait: float) -> list[dict[str, Any]]:
        """A list of messages the emulator keeps at `path`, once there are `at_least` (or `wait` s passed)."""
        deadline = time.monotonic() + wait
        while True:
            status, messages = self._call("GET", path)
            found = messages if status == 200 and isinstance(messages, list) else []
            if len(found) >= at_least or time.monotonic() >= deadline:
                return found
            time.sleep(0.1)

    def command(self, name: str, options: dict[str, str] | None = None, wait: float = 15.0,
                words: list[str] | None = None) -> Outcome:
        data = command_data(name, options or {}, words=words, dm=self.guild_id is None)
        return self.send(2, data, wait=wait)

    def autocomplete(self, name: str, options: dict[str, str], focused: str | None = None,
                     words: list[str] | None = None) -> Outcome:
        if not options:
            raise SimulateError("autocomplete needs the option being typed, e.g. country=ger")
        focused = focused or next(iter(options))
        return self.send(4, command_data(name, options, focused=focused, words=words, dm=self.guild_id is None))

    def last_message(self) -> dict[str, Any]:
        message = self.load_last().get("message")
        if not message:
            raise SimulateError("no last message: send a command first")
        return message

    def find_component(self, wanted: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        """A component of the message by custom_id, then by label, then by custom_id prefix."""
        message = message or self.last_message()
        components = iter_components(message.get("components"))
        for test in (lambda c: c["custom_id"] == wanted,
                     lambda c: str(c.get("label", "")).lower() == wanted.lower(),
                     lambda c: c["custom_id"].startswith(wanted)):
            matches = [c for c in components if test(c)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise SimulateError(f"{wanted!r} matches several components: "
                                    + ", ".join(c["custom_id"] for c in matches))
        have = ", ".join(f"{c.get('label') or ''}={c['custom_id']}" for c in components) or "none"
        raise SimulateError(f"the last message has no component {wanted!r} (it has: {have})")

    def click(self, wanted: str, wait: float = 15.0, message: dict[str, Any] | None = None) -> Outcome:
        message = message or self.last_message()
        button = self.find_component(wanted, message)
        if button.get("disabled"):
            raise SimulateError(f"the button {button['custom_id']} is disabled (Discord would not send the click)")
        data = {"custom_id": button["custom_id"], "component_type": int(button.get("type", BUTTON))}
        outcome = self.send(3, data, message=message, wait=wait)
        # A click answered with a new message under the clicked one (a follow-up, e.g. "Report
        # I won?"): that message is the one to click next.
        status, followups = self._call("GET", f"/_emulator/followups/{outcome.interaction['token']}")
        if status == 200 and isinstance(followups, list) and followups:
            outcome.extra["followups"] = followups
            self.save_last(message=followups[-1])
        return outcome

    def dm_with(self, wanted: str) -> dict[str, Any]:
        """The newest of the bot's DMs to this user with an enabled component `wanted` (custom_id,
        label or custom_id prefix), e.g. the Confirm of "Match #N found"."""
        for message in reversed(self.dms()):
            try:
                if not self.find_component(wanted, message).get("disabled"):
                    return message
            except SimulateError:
                continue
        raise SimulateError(f"no DM from the bot to {self.user_id} has an enabled {wanted!r} component")

    def select(self, wanted: str, values: list[str], wait: float = 15.0) -> Outcome:
        message = self.last_message()
        menu = self.find_component(wanted, message)
        offered = [str(o.get("value")) for o in menu.get("options") or []]
        if offered and not set(values) <= set(offered):
            raise SimulateError(f"the select {menu['custom_id']} offers {', '.join(offered)}; Discord's client "
                                f"cannot send {', '.join(v for v in values if v not in offered)}")
        low, high = int(menu.get("min_values", 1)), int(menu.get("max_values", 1))
        if not low <= len(values) <= high:
            raise SimulateError(f"the select {menu['custom_id']} takes {low}-{high} values, not {len(values)}")
        data = {"custom_id": menu["custom_id"], "component_type": int(menu.get("type", SELECT)), "values": values}
        return self.send(3, data, message=message, wait=wait)

    def submit_modal(self, fields: dict[str, str], custom_id: str | None = None, wait: float = 15.0) -> Outcome:
        modal = self.load_last().get("modal")
        if modal is None or (custom_id and modal.get("custom_id") != custom_id):
            if custom_id is None:
                raise SimulateError("no last modal: run the command or click the button that opens it, "
                                    "or give the modal's custom_id and every --field")
            modal = {"custom_id": custom_id, "components": [
                {"type": ACTION_ROW, "components": [{"type": TEXT_INPUT, "custom_id": k}]} for k in fields]}
        else:
            check_modal_fields(modal, fields)
        return self.send(5, modal_submit_data(modal, fields), message=modal.get("message"), wait=wait)

    def ping(self) -> Outcome:
        return self.send(1, None)

    def upload(self, path: Path, match: str | None = None, wait: float = 15.0) -> Outcome:
        """Upload a file as the client does (to the emulator's CDN), then submit it: into the last
        modal when it has a File Upload (the match card's Upload replay), else with `/replay`."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SimulateError(f"cannot read {path}: {exc.strerror}") from None
        status, attachment = self._call("POST", "/_emulator/attachments",
                                        {"filename": path.name, "base64": base64.b64encode(data).decode()})
        if status != 200 or not isinstance(attachment, dict):
            raise SimulateError(f"the emulator refused the upload: {status} {attachment}")
        resolved = {"attachments": {attachment["id"]: attachment}}
        modal = self.load_last().get("modal")
        uploads = [c for c in iter_components((modal or {}).get("components")) if c.get("type") == FILE_UPLOAD]
        if modal and uploads and match is None:
            data_out = modal_submit_data(modal, {uploads[0]["custom_id"]: attachment["id"]})
            return self.send(5, {**data_out, "resolved": resolved}, message=modal.get("message"), wait=wait)
        options = {"file": attachment["id"], **({"match": match} if match else {})}
        command = command_data("replay", options, dm=self.guild_id is None)
        return self.send(2, {**command, "resolved": resolved}, wait=wait)


# --- readable output -----------------------------------------------------------------------------
def render_answer(outcome: Outcome) -> str:
    if outcome.status != 200:
        return f"answer: HTTP {outcome.status} {outcome.response}"
    response = outcome.response if isinstance(outcome.response, dict) else {}
    kind = response.get("type")
    data = response.get("data") or {}
    text = f"answer: {kind} {CALLBACK_NAMES.get(kind, '?')} in {outcome.answer_ms:.0f} ms"
    if outcome.extra.get("refused"):
        # The emulator checked the answer with Discord's rules: a real user would see "This interaction failed".
        return "\n".join([text + ", which Discord would REFUSE (the user sees \"This interaction failed\"):",
                          *(f"  {problem}" for problem in outcome.extra["refused"])])
    if kind in (4, 5) and int(data.get("flags") or 0) & EPHEMERAL:
        text += " (ephemeral)"
    if kind == 8:
        choices = data.get("choices") or []
        lines = [f"  {c.get('name')}  ->  {c.get('value')}" for c in choices] or ["  (no choices)"]
        return "\n".join([text + f": {len(choices)} choice{'' if len(choices) == 1 else 's'}", *lines])
    if kind == 9:
        return "\n".join([text, render_modal(data)])
    if kind == 4:
        return text
    return text


def render_modal(modal: dict[str, Any]) -> str:
    lines = [f"  modal {modal.get('custom_id')}: {modal.get('title', '')}"]
    for row in modal.get("components") or []:
        if row.get("type") == TEXT_DISPLAY:
            lines += [f"    {line}" for line in str(row.get("content") or "").splitlines()]
            continue
        label = row.get("label") if row.get("type") == LABEL else None
        for c in iter_components([row]):
            name = label or c.get("label") or ""
            bits = [f"--field {c['custom_id']}=...", f"({name})" if name else ""]
            if row.get("type") == LABEL and row.get("description"):
                bits.append(f"[{row['description']}]")
            if c.get("type") in SELECT_TYPES:
                bits.append("one of " + ", ".join(o.get("value", "") for o in c.get("options") or [])
                            if c.get("options") else "select")
            if c.get("value"):
                bits.append(f"prefilled {c['value']!r}")
            if c.get("required", True) is False:
                bits.append("optional")
            if c.get("placeholder"):
                bits.append(f"e.g. {c['placeholder']!r}")
            lines.append("    " + " ".join(b for b in bits if b))
    return "\n".join(lines)


def _render_interactive(components: list[dict[str, Any]]) -> str:
    """One line for an action row's buttons and selects (or a section's button)."""
    parts = []
    for c in iter_components(components):
        state = " (disabled)" if c.get("disabled") else ""
        if c.get("type") == BUTTON:
            parts.append(f"[{c.get('label') or c.get('emoji', {}).get('name', '')}] {c['custom_id']}{state}")
        else:
            options = ", ".join(o.get("value", "") for o in c.get("options") or [])
            parts.append(f"<select {c['custom_id']}: {options}>{state}")
    return "   ".join(parts)


def render_v2(components: list[dict[str, Any]] | None) -> list[str]:
    """Lines for a Components V2 layout: text displays as text, a container boxed like an embed (with its
    accent colour), a section's accessory after its text, separators as rules, media by URL."""
    lines: list[str] = []
    for c in components or []:
        if not isinstance(c, dict):
            continue
        kind = c.get("type")
        if kind == TEXT_DISPLAY:
            lines += str(c.get("content") or "").splitlines() or [""]
        elif kind == CONTAINER:
            color = c.get("accent_color")
            head = "+--" + (f" #{int(color):06X}" if isinstance(color, int) else "")
            lines += [head + (" (spoiler)" if c.get("spoiler") else "")]
            lines += [f"| {line}" if line else "|" for line in render_v2(c.get("components"))]
            lines.append("+--")
        elif kind == SECTION:
            lines += render_v2(c.get("components"))
            accessory = c.get("accessory") or {}
            if accessory.get("type") == THUMBNAIL:
                lines.append(f"  (thumbnail {(accessory.get('media') or {}).get('url', '')})")
            elif accessory.get("custom_id") or accessory.get("url"):
                text = _render_interactive([accessory]) or f"[{accessory.get('label', '')}] {accessory.get('url')}"
                lines.append(f"  -> {text}")
        elif kind == SEPARATOR:
            lines.append("-" * 24 if c.get("divider", True) else "")
        elif kind == MEDIA_GALLERY:
            urls = [(item.get("media") or {}).get("url", "") for item in c.get("items") or []]
            lines.append(f"(gallery: {', '.join(urls)})")
        elif kind == FILE:
            lines.append(f"(file {(c.get('file') or {}).get('url', '')})")
        elif kind == ACTION_ROW:
            row = _render_interactive([c])
            if row:
                lines.append(row)
    return lines


def render_message(message: dict[str, Any] | None, indent: str = "  ") -> str:
    if not message:
        return f"{indent}(no message)"
    lines: list[str] = []
    flags = int(message.get("flags") or 0)
    if flags & LOADING:
        lines.append("(still thinking...)")
    if flags & IS_COMPONENTS_V2:
        lines += render_v2(message.get("components"))
        return "\n".join(indent + line for line in lines) or f"{indent}(empty message)"
    lines += (message.get("content") or "").splitlines()
    for embed in message.get("embeds") or []:
        title = embed.get("title") or ""
        lines.append(f"+-- {title}" if title else "+--")
        if embed.get("author", {}).get("name"):
            lines.append(f"| by {embed['author']['name']}")
        description = (embed.get("description") or "").splitlines()
        shown = description if len(description) <= MAX_DESCRIPTION_LINES else description[:MAX_DESCRIPTION_LINES]
        lines += [f"| {line}" for line in shown]
        if len(shown) < len(description):
            lines.append(f"| ... ({len(description) - len(shown)} more lines)")
        for f in embed.get("fields") or []:
            value = str(f.get("value", "")).replace("\n", " / ")
            lines.append(f"| {f.get('name')}: {value}")
        if embed.get("footer", {}).get("text"):
            # Discord shows the embed's timestamp after the footer, in the reader's time zone.
            at = f" {embed['timestamp'][11:19]} UTC" if len(str(embed.get("timestamp") or "")) >= 19 else ""
            lines.append(f"| ({embed['footer']['text']}{at})")
        lines.append("+--")
    for row in message.get("components") or []:
        parts = _render_interactive([row])
        if parts:
            lines.append(parts)
    return "\n".join(indent + line for line in lines) or f"{indent}(empty message)"


def render_outcome(outcome: Outcome) -> str:
    lines = [render_answer(outcome)]
    if outcome.callback_type in (5, 6, 7):
        ephemeral = " (ephemeral)" if outcome.message and int(outcome.message.get("flags") or 0) & EPHEMERAL else ""
        if outcome.waited_out:
            lines.append("final message: not edited yet (the job may be retrying; see the dev stack's output)")
        else:
            lines.append(f"final message{ephemeral} after {outcome.final_ms:.0f} ms:")
        lines.append(render_message(outcome.message))
    elif outcome.callback_type == 4:
        lines.append(render_message(outcome.message))
    for followup in outcome.extra.get("followups") or []:
        lines.append("follow-up message (the last message now):")
        lines.append(render_message(followup))
    return "\n".join(lines)


def render_dms(user_id: str, messages: list[dict[str, Any]]) -> str:
    if not messages:
        return f"no DMs from the bot to {user_id}"
    lines = [f"{len(messages)} DM(s) from the bot to {user_id}:"]
    for message in messages:
        lines.append(f"- {message.get('timestamp', '')[11:19]} (message {message.get('id')})")
        lines.append(render_message(message, indent="    "))
    return "\n".join(lines)


# --- CLI -------------------------------------------------------------------------------------------
# simulate's own options may come anywhere; command options and modal fields come as name:value
# (what Discord's client shows), name=value, or --opt/--field name=value, in any order.
ACCEPTS_EXTRA = True
_PAIR = re.compile(r"([A-Za-z0-9_-]+)[:=](.*)", re.DOTALL)


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in items or []:
        found = _PAIR.fullmatch(item)
        if not found:
            raise SimulateError(f"{what} {item!r} must look like name:value or name=value")
        key, value = found.group(1), found.group(2)
        if key in result:
            raise SimulateError(f"{key} is given twice (Discord's client takes each option once)")
        result[key] = value
    return result


def split_words(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Loose tokens after the command: (words such as a subcommand, name:value pairs)."""
    words = [t for t in tokens if not _PAIR.fullmatch(t)]
    return words, [t for t in tokens if _PAIR.fullmatch(t)]


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """simulate's own options, on the simulate parser and again on each action's (given after it).

    On the actions' parsers the defaults are SUPPRESS, or they would overwrite what was given
    before the action (argparse copies a subparser's defaults over the namespace).
    """
    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    parser.add_argument("--data-dir", type=Path, default=default(DEFAULT_DATA_DIR),
                        help="the dev stack's data folder")
    parser.add_argument("--user", default=default(DEFAULT_USER), help=f"acting user id (default {DEFAULT_USER})")
    parser.add_argument("--as", dest="as_player", metavar="PLAYER", default=default(None),
                        help=f"act as a named player ({', '.join(PLAYERS)}) or a user id; each keeps its own "
                             "last message")
    parser.add_argument("--guild", default=default(DEFAULT_GUILD), help=f"guild id (default {DEFAULT_GUILD})")
    parser.add_argument("--dm", action="store_true", default=default(False), help="send as a DM (no guild)")
    parser.add_argument("--wait", type=float, default=default(15.0), help="seconds to wait for the final message")
    parser.add_argument("--json", action="store_true", default=default(False),
                        help="print the raw answer and message as JSON")


def _registry_help() -> str:
    try:
        listing = client_rules.describe_all()
    except Exception as exc:  # noqa: BLE001 - help must print even if the registry is broken
        listing = f"  (the registry could not be read: {exc})"
    return "commands (the registry's; `simulate command NAME --help` for one):\n" + listing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = "Act as a Discord user against the local stack, refusing what Discord's client would."
    parser.epilog = _registry_help()
    parser.allow_abbrev = False
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help_text: str, **kwargs: Any) -> argparse.ArgumentParser:
        made = sub.add_parser(name, help=help_text, description=help_text, allow_abbrev=False, **kwargs)
        _common(made, top=False)
        return made

    command = action("command", "a slash command: NAME [SUBCOMMAND] [option:value ...]", add_help=False)
    command.add_argument("-h", "--help", dest="show_help", action="store_true",
                         help="list the commands, or NAME's options")
    command.add_argument("name", nargs="?", help="the command (see --help)")
    command.add_argument("--opt", action="append", metavar="NAME=VALUE", help="an option (repeatable)")
    click = action("click", "click a button of the last message (custom_id or label)")
    click.add_argument("custom_id")
    click.add_argument("--in-dms", action="store_true",
                       help="click it on the newest of the bot's DMs that has it (sent without a guild, as "
                            "Discord does in DMs), e.g. Confirm on \"Match #N found\"")
    select = action("select", "choose values in a select menu of the last message")
    select.add_argument("custom_id")
    select.add_argument("values", nargs="+")
    modal = action("modal", "submit the last modal (or the one named): field=value ...")
    modal.add_argument("custom_id", nargs="?")
    modal.add_argument("--field", action="append", metavar="NAME=VALUE", help="a field value (repeatable)")
    autocomplete = action("autocomplete", "ask a command's autocomplete for choices: NAME option:partial ...")
    autocomplete.add_argument("name")
    autocomplete.add_argument("--opt", action="append", metavar="NAME=VALUE", help="an option (repeatable)")
    autocomplete.add_argument("--focus", help="which option is being typed (default: the first)")
    action("ping", "the PING Discord sends to check the endpoint")
    upload = action("upload", "upload a file: into the last modal's File Upload (after clicking Upload replay), "
                              "else as /replay file:FILE")
    upload.add_argument("file", type=Path)
    upload.add_argument("--match", help="the match number (/replay's match option)")
    dms = action("dms", "show the bot's DMs to the acting user")
    dms.add_argument("--at-least", type=int, default=0, help="wait (up to --wait) until there are this many")


def command_help(name: str | None) -> str:
    if not name:
        return _registry_help()
    registered = client_rules.commands()
    if name not in registered:
        raise SimulateError(f"/{name} is not a command of this application; its commands:\n"
                            + client_rules.describe_all(registered))
    return f"usage: ladderctl simulate command {client_rules.usage(registered[name])[1:]}\n" + \
        client_rules.describe_command(registered[name])


def player_id(name: str) -> str:
    """A named player's user id, or the id itself."""
    if name.lower() in PLAYERS:
        return PLAYERS[name.lower()]
    if name.isdigit():
        return name
    raise SimulateError(f"--as {name!r}: use one of {', '.join(PLAYERS)} or a numeric user id")


def open_simulator(data_dir: Path, user_id: str = DEFAULT_USER, guild_id: str | None = DEFAULT_GUILD,
                   last_file: str = LAST_FILE) -> Simulator:
    info = read_stack(data_dir)
    if info is None:
        raise SimulateError(f"no running stack found ({Path(data_dir) / 'stack.json'}): start `ladderctl dev` first")
    simulator = Simulator(info, data_dir, user_id=user_id, guild_id=guild_id, last_file=last_file)
    if not simulator.reachable():
        raise SimulateError(f"the stack in {data_dir} is not answering at {info.emulator_url}: "
                            "start `ladderctl dev` first")
    return simulator


def _check_ids(args: argparse.Namespace) -> None:
    for flag, value in (("--user", args.user), ("--guild", args.guild)):
        if not client_rules.is_snowflake(str(value)):
            raise SimulateError(f"{flag} {value!r} is not a Discord id (a number, e.g. {DEFAULT_USER})")


def _interaction_args(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """A command's subcommand words and its options, from wherever they were typed."""
    words, pairs = split_words(list(getattr(args, "extra", None) or []))
    return words, _pairs([*(args.opt or []), *pairs], "option")


def run(args: argparse.Namespace) -> int:
    try:
        extra = list(getattr(args, "extra", None) or [])
        if args.action == "command" and args.show_help:
            print(command_help(args.name.lstrip("/") if args.name else None))
            return 0
        if extra and args.action not in ("command", "autocomplete", "modal"):
            raise SimulateError(f"{args.action} takes no {' '.join(extra)!r} (see `simulate {args.action} --help`)")
        user, last_file = args.user, LAST_FILE
        if args.as_player:
            user = player_id(args.as_player)
            last_file = f"last-{user}.json"  # each player clicks on their own last message
        _check_ids(argparse.Namespace(user=user, guild=args.guild))
        dm = bool(args.dm)
        # Checked before looking for the stack: what the client would refuse never needs one.
        if args.action == "command":
            if not args.name:
                raise SimulateError("which command? " + _registry_help())
            words, options = _interaction_args(args)
            command_data(args.name.lstrip("/"), options, words=words, dm=dm)
        elif args.action == "autocomplete":
            words, options = _interaction_args(args)
            if not options:
                raise SimulateError("autocomplete needs the option being typed, e.g. country:ger")
            command_data(args.name.lstrip("/"), options, args.focus or next(iter(options)), words=words, dm=dm)
        elif args.action == "modal":
            # Fields are name=value only: a modal's custom_id has colons (setup_modal:DE:EUW).
            loose = extra
            if args.custom_id and "=" in args.custom_id:
                loose, args.custom_id = [args.custom_id, *extra], None
            words = [t for t in loose if "=" not in t]
            if words:
                raise SimulateError(f"modal fields look like name=value, not {' '.join(words)!r}")
            fields = _pairs([*(args.field or []), *loose], "--field")
        sim = open_simulator(args.data_dir, user, None if dm else args.guild, last_file)
        if args.action == "dms":
            messages = sim.dms(args.at_least, wait=args.wait if args.at_least else 0)
            if args.json:
                print(json.dumps(messages, indent=2, ensure_ascii=False))
            else:
                print(render_dms(user, messages))
            return 0 if len(messages) >= args.at_least else 1
        if args.action == "command":
            outcome = sim.command(args.name.lstrip("/"), options, wait=args.wait, words=words)
        elif args.action == "click" and args.in_dms:
            sim.guild_id = None
            outcome = sim.click(args.custom_id, wait=args.wait, message=sim.dm_with(args.custom_id))
        elif args.action == "click":
            outcome = sim.click(args.custom_id, wait=args.wait)
        elif args.action == "select":
            outcome = sim.select(args.custom_id, args.values, wait=args.wait)
        elif args.action == "modal":
            outcome = sim.submit_modal(fields, args.custom_id, wait=args.wait)
        elif args.action == "upload":
            outcome = sim.upload(args.file, args.match, wait=args.wait)
        elif args.action == "autocomplete":
            outcome = sim.autocomplete(args.name.lstrip("/"), options, args.focus, words=words)
        else:
            outcome = sim.ping()
    except SimulateError as exc:
        print(f"ladderctl simulate: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"status": outcome.status, "response": outcome.response, "message": outcome.message},
                         indent=2, ensure_ascii=False))
    else:
        print(render_outcome(outcome))
    return 0 if outcome.status == 200 and not outcome.waited_out else 1
