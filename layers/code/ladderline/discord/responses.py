"""Builders for interaction responses (what the ingress answers) and message bodies (what the
worker PATCHes). The two are different shapes: an edit takes a message body, never a response."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from ladderline.discord.constants import (
    ButtonStyle,
    CallbackType,
    ComponentType,
    MessageFlag,
    TextInputStyle,
)

# --- interaction responses (the HTTP answer to Discord) -----------------------------------


def pong() -> dict[str, Any]:
    return {"type": CallbackType.PONG}


def channel_message(body: dict[str, Any], *, ephemeral: bool = False) -> dict[str, Any]:
    data = dict(body)
    if ephemeral:
        data["flags"] = int(data.get("flags", 0)) | MessageFlag.EPHEMERAL
    return {"type": CallbackType.CHANNEL_MESSAGE_WITH_SOURCE, "data": data}


def deferred_channel_message(*, ephemeral: bool) -> dict[str, Any]:
    # EPHEMERAL is the only flag Discord accepts on a deferred channel message.
    if ephemeral:
        return {"type": CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, "data": {"flags": MessageFlag.EPHEMERAL}}
    return {"type": CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE}


def deferred_update() -> dict[str, Any]:
    return {"type": CallbackType.DEFERRED_UPDATE_MESSAGE}


def update_message(body: dict[str, Any]) -> dict[str, Any]:
    return {"type": CallbackType.UPDATE_MESSAGE, "data": body}


def autocomplete_result(choices: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"type": CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT, "data": {"choices": list(choices)[:25]}}


def modal(custom_id: str, title: str, inputs: Iterable[dict[str, Any]]) -> dict[str, Any]:
    rows = [{"type": ComponentType.ACTION_ROW, "components": [text_input]} for text_input in inputs]
    return {"type": CallbackType.MODAL, "data": {"custom_id": custom_id, "title": title[:45], "components": rows}}


# --- message parts ---------------------------------------------------------------------------


def message(content: str | None = None, *, embeds: list[dict[str, Any]] | None = None,
            components: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A message body for an edit. Fields left out are kept by Discord, so send all three.

    Mentions never ping: replies echo user-chosen text (names, typed values)."""
    return {"content": content or "", "embeds": embeds or [], "components": components or [],
            "allowed_mentions": {"parse": []}}


def button(label: str, custom_id: str, *, style: ButtonStyle = ButtonStyle.SECONDARY,
           disabled: bool = False, emoji: str | None = None) -> dict[str, Any]:
    component: dict[str, Any] = {"type": ComponentType.BUTTON, "style": style, "label": label, "custom_id": custom_id}
    if disabled:
        component["disabled"] = True
    if emoji:
        component["emoji"] = {"name": emoji}
    return component


def action_row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": ComponentType.ACTION_ROW, "components": list(components)}


def text_input(custom_id: str, label: str, *, required: bool = True, min_length: int | None = None,
               max_length: int | None = None, placeholder: str | None = None, value: str | None = None,
               style: TextInputStyle = TextInputStyle.SHORT) -> dict[str, Any]:
    component: dict[str, Any] = {"type": ComponentType.TEXT_INPUT, "custom_id": custom_id, "label": label,
                                 "style": style, "required": required}
    for key, item in (("min_length", min_length), ("max_length", max_length),
                      ("placeholder", placeholder), ("value", value)):
        if item is not None:
            component[key] = item
    return component


def embed(title: str | None = None, description: str | None = None, *, color: int | None = None,
          fields: Iterable[tuple[str, str, bool]] = (), footer: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if title:
        out["title"] = title
    if description:
        out["description"] = description
    if color is not None:
        out["color"] = color
    field_list = [{"name": name, "value": value, "inline": inline} for name, value, inline in fields]
    if field_list:
        out["fields"] = field_list
    if footer:
        out["footer"] = {"text": footer}
    return out


def with_components_disabled(message_body: dict[str, Any]) -> dict[str, Any]:
    """The clicked message with every button and select disabled (answered as UPDATE_MESSAGE so a
    second click is impossible while the worker runs)."""
    components = copy.deepcopy(message_body.get("components") or [])
    for row in components:
        for component in row.get("components", []):
            if component.get("type") != ComponentType.TEXT_INPUT:
                component["disabled"] = True
    return {"components": components}
