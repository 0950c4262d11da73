"""One validator for the message bodies we send to Discord.

It covers PATCH /webhooks/{app}/{token}/messages/@original (and /messages/{id}), followup POSTs, and the
`data` of interaction responses of type 4 (CHANNEL_MESSAGE) and 7 (UPDATE_MESSAGE). Discord rejects a body
over any of these limits with 400 / 50035 "Invalid Form Body"; for a deferred interaction that means the
user sees "thinking..." until the token dies, so the worker checks before it sends.

Limits come from Discord's OpenAPI spec (IncomingWebhookUpdateRequestPartial, RichEmbed*,
*ComponentForMessageRequest, StringSelectOptionForRequest) and the documented 6000-character embed total.
Legacy (non-"components v2") messages only: the bot never sets IS_COMPONENTS_V2.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

__all__ = ["MessageLimitError", "Problem", "check_message", "find_problems", "validate_message"]

# Keys a webhook message body (edit or followup) may carry. `type`/`data` are the interaction-response
# envelope and are handled separately so the mistake gets a precise message.
MESSAGE_KEYS = frozenset(
    {
        "content",
        "embeds",
        "components",
        "flags",
        "allowed_mentions",
        "attachments",
        "poll",
        "tts",
        # followup-only (execute webhook) keys
        "username",
        "avatar_url",
        "thread_name",
        "applied_tags",
    }
)
# SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS: the only flags a bot may set on these messages.
# IS_COMPONENTS_V2 (1 << 15) changes the whole layout model; this validator does not model it.
ALLOWED_FLAGS = (1 << 2) | (1 << 6) | (1 << 12)
IS_COMPONENTS_V2 = 1 << 15

MAX_EMBEDS = 10
MAX_ATTACHMENTS = 10
MAX_EMBED_FIELDS = 25
EMBED_TOTAL = 6000  # sum over ALL embeds of the message, not per embed
MAX_ACTION_ROWS = 5
MAX_BUTTONS_PER_ROW = 5
MAX_SELECT_OPTIONS = 25
MAX_SELECT_VALUES = 25

ACTION_ROW = 1
BUTTON = 2
SELECT_TYPES = {
    3: "string select",
    5: "user select",
    6: "role select",
    7: "mentionable select",
    8: "channel select",
}
STRING_SELECT = 3
LINK_STYLE = 5
PREMIUM_STYLE = 6
# Known to Discord but not allowed at this place of a legacy message (text input is modal-only,
# the rest need IS_COMPONENTS_V2).
NOT_IN_MESSAGE = {
    4: "text input (modals only)",
    9: "section",
    10: "text display",
    11: "thumbnail",
    12: "media gallery",
    13: "file",
    14: "separator",
    17: "container",
    18: "label",
}

# (object kind) -> {field: max characters}
TEXT_LIMITS: dict[str, dict[str, int]] = {
    "message": {"content": 2000},
    "embed": {"title": 256, "description": 4096, "url": 2048},
    "field": {"name": 256, "value": 1024},
    "footer": {"text": 2048, "icon_url": 2048},
    "author": {"name": 256, "url": 2048, "icon_url": 2048},
    "button": {"custom_id": 100, "label": 80, "url": 512},
    "select": {"custom_id": 100, "placeholder": 150},
    "option": {"label": 100, "value": 100, "description": 100},
}
# Strings that must be present and non-empty.
REQUIRED_TEXT: dict[str, tuple[str, ...]] = {
    "field": ("name", "value"),
    "select": ("custom_id",),
    "option": ("label", "value"),
}

Path = tuple["str | int", ...]


class Problem(NamedTuple):
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{format_path(self.path)}: {self.message}" if self.path else self.message


class MessageLimitError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid Discord message body: " + "; ".join(problems))


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def validate_message(body: Any) -> list[str]:
    """Human-readable problems with an outgoing message body; empty when Discord would accept it."""
    return [str(p) for p in find_problems(body)]


def check_message(body: Any) -> None:
    problems = validate_message(body)
    if problems:
        raise MessageLimitError(problems)


def find_problems(body: Any) -> list[Problem]:
    """Like validate_message, but each problem keeps its path (the emulator builds Discord's error tree)."""
    if not isinstance(body, dict):
        return [Problem((), f"message body must be a JSON object, got {type(body).__name__}")]
    if "type" in body and "data" in body:
        return [
            Problem(
                (),
                "this is an interaction response ({type, data}), not a message body: "
                "webhook edits and followups take the message itself (send body['data'])",
            )
        ]
    return list(_message(body))


def _text(obj: dict, kind: str, path: Path) -> Iterator[Problem]:
    for key in REQUIRED_TEXT.get(kind, ()):
        if obj.get(key) in (None, ""):
            yield Problem((*path, key), f"{kind} {key} is required")
    for key, limit in TEXT_LIMITS[kind].items():
        value = obj.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            yield Problem((*path, key), f"must be a string, got {type(value).__name__}")
        elif len(value) > limit:
            yield Problem((*path, key), f"must be {limit} or fewer characters (got {len(value)})")


def _list(obj: dict, key: str, path: Path, max_items: int, min_items: int = 0) -> tuple[list, list[Problem]]:
    value = obj.get(key)
    if value is None:
        return [], ([Problem((*path, key), f"at least {min_items} required")] if min_items else [])
    if not isinstance(value, list):
        return [], [Problem((*path, key), f"must be an array, got {type(value).__name__}")]
    if len(value) > max_items:
        return value, [Problem((*path, key), f"must have {max_items} or fewer items (got {len(value)})")]
    if len(value) < min_items:
        return value, [Problem((*path, key), f"must have at least {min_items} items (got {len(value)})")]
    return value, []


def _message(body: dict) -> Iterator[Problem]:
    for key in sorted(set(body) - MESSAGE_KEYS):
        yield Problem((key,), "is not a field of a webhook message body")
    yield from _text(body, "message", ())
    flags = body.get("flags")
    if flags is not None:
        if not isinstance(flags, int) or isinstance(flags, bool):
            yield Problem(("flags",), "must be an integer")
        elif flags & IS_COMPONENTS_V2:
            yield Problem(("flags",), "IS_COMPONENTS_V2 (1 << 15) is not supported by this validator")
        elif flags & ~ALLOWED_FLAGS:
            yield Problem(
                ("flags",),
                f"only SUPPRESS_EMBEDS, EPHEMERAL and SUPPRESS_NOTIFICATIONS may be set (got {flags})",
            )
    _, problems = _list(body, "attachments", (), MAX_ATTACHMENTS)
    yield from problems
    yield from _embeds(body)
    yield from _components(body)


def _embeds(body: dict) -> Iterator[Problem]:
    embeds, problems = _list(body, "embeds", (), MAX_EMBEDS)
    yield from problems
    total = 0
    for i, embed in enumerate(embeds):
        path = ("embeds", i)
        if not isinstance(embed, dict):
            yield Problem(path, "embed must be an object")
            continue
        yield from _text(embed, "embed", path)
        total += _len(embed.get("title")) + _len(embed.get("description"))
        for sub in ("footer", "author"):
            part = embed.get(sub)
            if part is None:
                continue
            if not isinstance(part, dict):
                yield Problem((*path, sub), "must be an object")
                continue
            yield from _text(part, sub, (*path, sub))
            total += _len(part.get("text" if sub == "footer" else "name"))
        fields, problems = _list(embed, "fields", path, MAX_EMBED_FIELDS)
        yield from problems
        for j, field in enumerate(fields):
            if not isinstance(field, dict):
                yield Problem((*path, "fields", j), "field must be an object")
                continue
            yield from _text(field, "field", (*path, "fields", j))
            total += _len(field.get("name")) + _len(field.get("value"))
    if total > EMBED_TOTAL:
        yield Problem(
            ("embeds",),
            f"embeds total {EMBED_TOTAL} or fewer characters across title, description, "
            f"field names and values, footer text and author name (got {total})",
        )


def _len(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def _components(body: dict) -> Iterator[Problem]:
    rows, problems = _list(body, "components", (), MAX_ACTION_ROWS)
    yield from problems
    seen: dict[str, Path] = {}
    for i, row in enumerate(rows):
        path: Path = ("components", i)
        if not isinstance(row, dict):
            yield Problem(path, "component must be an object")
            continue
        if row.get("type") != ACTION_ROW:
            yield _wrong_type(row.get("type"), path, "only action rows (type 1) at the top level")
            continue
        children, problems = _list(row, "components", path, MAX_BUTTONS_PER_ROW, min_items=1)
        yield from problems
        kinds = []
        for j, child in enumerate(children):
            cpath: Path = (*path, "components", j)
            if not isinstance(child, dict):
                yield Problem(cpath, "component must be an object")
                continue
            ctype = child.get("type")
            if ctype == BUTTON:
                kinds.append("button")
                yield from _button(child, cpath)
            elif ctype in SELECT_TYPES:
                kinds.append("select")
                yield from _select(child, cpath)
            else:
                yield _wrong_type(ctype, cpath, "an action row holds buttons (2) or one select (3, 5-8)")
                continue
            custom_id = child.get("custom_id")
            if isinstance(custom_id, str) and custom_id:
                if custom_id in seen:
                    yield Problem(
                        (*cpath, "custom_id"),
                        f"custom_id {custom_id!r} is already used at "
                        f"{format_path(seen[custom_id])}; it must be unique",
                    )
                else:
                    seen[custom_id] = cpath
        if "select" in kinds and len(kinds) > 1:
            yield Problem((*path, "components"), "a select must be alone in its action row")


def _wrong_type(ctype: Any, path: Path, expected: str) -> Problem:
    if ctype in NOT_IN_MESSAGE:
        return Problem(
            (*path, "type"),
            f"component type {ctype} ({NOT_IN_MESSAGE[ctype]}) is not allowed here: {expected}",
        )
    if ctype == ACTION_ROW:
        return Problem((*path, "type"), f"action rows cannot be nested: {expected}")
    if ctype == BUTTON or ctype in SELECT_TYPES:
        return Problem((*path, "type"), f"component type {ctype} must be inside an action row")
    return Problem((*path, "type"), f"unknown component type {ctype!r}: {expected}")


def _button(button: dict, path: Path) -> Iterator[Problem]:
    yield from _text(button, "button", path)
    style = button.get("style")
    if style not in (1, 2, 3, 4, LINK_STYLE, PREMIUM_STYLE):
        yield Problem((*path, "style"), f"button style must be 1-6 (got {style!r})")
        return
    if style == LINK_STYLE:
        if not button.get("url"):
            yield Problem((*path, "url"), "link buttons (style 5) need a url")
        if "custom_id" in button:
            yield Problem((*path, "custom_id"), "link buttons (style 5) cannot have a custom_id")
    elif style == PREMIUM_STYLE:
        if not button.get("sku_id"):
            yield Problem((*path, "sku_id"), "premium buttons (style 6) need a sku_id")
        for key in ("custom_id", "url", "label", "emoji"):
            if key in button:
                yield Problem((*path, key), f"premium buttons (style 6) cannot have a {key}")
    else:
        if not button.get("custom_id"):
            yield Problem((*path, "custom_id"), "non-link buttons need a custom_id")
        if "url" in button:
            yield Problem((*path, "url"), "only link buttons (style 5) can have a url")
    if style != PREMIUM_STYLE and not button.get("label") and not button.get("emoji"):
        yield Problem((*path, "label"), "a button needs a label or an emoji")


def _select(select: dict, path: Path) -> Iterator[Problem]:
    yield from _text(select, "select", path)
    bounds = {"min_values": (0, MAX_SELECT_VALUES), "max_values": (1, MAX_SELECT_VALUES)}
    for key, (low, high) in bounds.items():
        value = select.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            yield Problem((*path, key), f"must be an integer from {low} to {high} (got {value!r})")
    low, high = select.get("min_values"), select.get("max_values")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        yield Problem((*path, "min_values"), f"min_values ({low}) cannot exceed max_values ({high})")
    if select.get("type") == STRING_SELECT:
        options, problems = _list(select, "options", path, MAX_SELECT_OPTIONS, min_items=1)
        yield from problems
        for k, option in enumerate(options):
            if not isinstance(option, dict):
                yield Problem((*path, "options", k), "option must be an object")
                continue
            yield from _text(option, "option", (*path, "options", k))
    elif "options" in select:
        yield Problem(
            (*path, "options"), f"only string selects have options ({SELECT_TYPES[select['type']]})"
        )
    else:
        _, problems = _list(select, "default_values", path, MAX_SELECT_VALUES)
        yield from problems
