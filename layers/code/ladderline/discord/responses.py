"""Builders for interaction responses (what the ingress answers) and message bodies (what the
worker PATCHes). The two are different shapes: an edit takes a message body, never a response."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from ladderline.discord.constants import (
    ButtonStyle,
    CallbackType,
    ComponentType,
    MessageFlag,
    SeparatorSpacing,
    TextInputStyle,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the ingress's cold start)
if TYPE_CHECKING:
    from typing import Any

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


def modal(custom_id: str, title: str, components: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A modal of labels (see label()) and text displays, top to bottom (at most 5: the docs' limit).

    A bare text input is wrapped in a deprecated action row, as before Labels existed."""
    wrapped = [{"type": ComponentType.ACTION_ROW, "components": [c]} if c.get("type") == ComponentType.TEXT_INPUT
               else c for c in components]
    # Discord caps a modal title at 45 characters.
    return {"type": CallbackType.MODAL, "data": {"custom_id": custom_id, "title": title[:45], "components": wrapped}}


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


def text_input(custom_id: str, label: str | None = None, *, required: bool = True, min_length: int | None = None,
               max_length: int | None = None, placeholder: str | None = None, value: str | None = None,
               style: TextInputStyle = TextInputStyle.SHORT) -> dict[str, Any]:
    """A modal text input. Put it in label() and leave `label` out: a text input's own label is deprecated
    and refused inside a Label component; it is only for the old action-row form."""
    component: dict[str, Any] = {"type": ComponentType.TEXT_INPUT, "custom_id": custom_id, "style": style,
                                 "required": required}
    if label is not None:
        component["label"] = label
    for key, item in (("min_length", min_length), ("max_length", max_length),
                      ("placeholder", placeholder), ("value", value)):
        if item is not None:
            component[key] = item
    return component


def embed(title: str | None = None, description: str | None = None, *, color: int | None = None,
          fields: Iterable[tuple[str, str, bool]] = (), footer: str | None = None,
          timestamp: str | None = None) -> dict[str, Any]:
    """An embed; `timestamp` (ISO 8601) is shown by Discord beside the footer, in the reader's time zone."""
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
    if timestamp:
        out["timestamp"] = timestamp
    return out


def with_components_disabled(message_body: dict[str, Any]) -> dict[str, Any]:
    """The clicked message with every button and select disabled (answered as UPDATE_MESSAGE so a
    second click is impossible while the worker runs), at any depth (containers, section accessories)."""
    components = copy.deepcopy(message_body.get("components") or [])
    for component in _walk(components):
        if component.get("type") == ComponentType.BUTTON or component.get("type") in SELECT_TYPES:
            component["disabled"] = True
    body: dict[str, Any] = {"components": components}
    if int(message_body.get("flags") or 0) & MessageFlag.IS_COMPONENTS_V2:
        # Say so: the update is then checked against the V2 rules (the flag itself can never be removed).
        body["flags"] = MessageFlag.IS_COMPONENTS_V2
    return body


SELECT_TYPES = frozenset({ComponentType.STRING_SELECT, ComponentType.USER_SELECT, ComponentType.ROLE_SELECT,
                          ComponentType.MENTIONABLE_SELECT, ComponentType.CHANNEL_SELECT})


def _walk(components: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """Every component object, depth first: rows' and containers' children, sections' accessories."""
    for component in components:
        if not isinstance(component, dict):
            continue
        yield component
        yield from _walk(component.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                yield from _walk([component[key]])


# --- Components V2 (flag IS_COMPONENTS_V2: the components are the whole message) --------------------------


def message_v2(*components: dict[str, Any], edit: bool = True) -> dict[str, Any]:
    """A Components V2 message body: text displays, containers, sections, separators, action rows.

    The flag can be set on an edit but never removed. An edit that turns a message into V2 must reset
    `content` to null and `embeds` to [] (docs: resources/message "Edit Message"), which `edit=True` does;
    a create (followup, channel message) must leave both out. Mentions never ping, as in message()."""
    body: dict[str, Any] = {"flags": MessageFlag.IS_COMPONENTS_V2, "components": list(components),
                            "allowed_mentions": {"parse": []}}
    if edit:
        body.update(content=None, embeds=[])
    return body


def text_display(content: str) -> dict[str, Any]:
    """Markdown text (1-4000 characters; 4000 in total over a message's text displays)."""
    return {"type": ComponentType.TEXT_DISPLAY, "content": content}


def separator(*, divider: bool = True, spacing: SeparatorSpacing = SeparatorSpacing.SMALL) -> dict[str, Any]:
    return {"type": ComponentType.SEPARATOR, "divider": divider, "spacing": spacing}


def thumbnail(url: str, description: str | None = None) -> dict[str, Any]:
    component: dict[str, Any] = {"type": ComponentType.THUMBNAIL, "media": {"url": url}}
    if description:
        component["description"] = description
    return component


def section(*texts: str | dict[str, Any], accessory: dict[str, Any]) -> dict[str, Any]:
    """1-3 texts beside an accessory (a button or a thumbnail); plain strings become text displays."""
    children = [text_display(t) if isinstance(t, str) else t for t in texts]
    return {"type": ComponentType.SECTION, "components": children, "accessory": accessory}


def container(*components: dict[str, Any], accent_color: int | None = None,
              spoiler: bool = False) -> dict[str, Any]:
    """A boxed group (text displays, sections, separators, action rows, media) with an optional colour bar."""
    out: dict[str, Any] = {"type": ComponentType.CONTAINER, "components": list(components)}
    if accent_color is not None:
        out["accent_color"] = accent_color
    if spoiler:
        out["spoiler"] = True
    return out


def label(text: str, component: dict[str, Any], *, description: str | None = None) -> dict[str, Any]:
    """A modal field: its label (max 45) and optional description (max 100) around one input (a text input
    or a select). This is the form Discord documents for modal inputs; action rows there are deprecated."""
    out: dict[str, Any] = {"type": ComponentType.LABEL, "label": text, "component": component}
    if description:
        out["description"] = description
    return out


def file_upload(custom_id: str, *, min_values: int = 1, max_values: int = 1,
                required: bool = True) -> dict[str, Any]:
    """A modal's File Upload (in a label()): the submit carries attachment ids, resolved in
    data.resolved.attachments (url, filename, size, content_type)."""
    return {"type": ComponentType.FILE_UPLOAD, "custom_id": custom_id, "min_values": min_values,
            "max_values": max_values, "required": required}


def string_select(custom_id: str, options: Iterable[tuple[str, str]], *, placeholder: str | None = None,
                  min_values: int | None = None, max_values: int | None = None,
                  required: bool | None = None) -> dict[str, Any]:
    """A string select from (label, value) pairs; in an action row (messages) or a label (modals)."""
    out: dict[str, Any] = {"type": ComponentType.STRING_SELECT, "custom_id": custom_id,
                           "options": [{"label": name, "value": value} for name, value in options]}
    for key, item in (("placeholder", placeholder), ("min_values", min_values), ("max_values", max_values),
                      ("required", required)):
        if item is not None:
            out[key] = item
    return out
