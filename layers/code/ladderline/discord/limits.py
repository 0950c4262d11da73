"""One validator for the bodies we send to Discord: messages and modals.

Messages: PATCH /webhooks/{app}/{token}/messages/@original (and /messages/{id}), followup POSTs, channel
messages, and the `data` of interaction responses of type 4 (CHANNEL_MESSAGE) and 7 (UPDATE_MESSAGE).
Modals: the `data` of an interaction response of type 9. Discord rejects a body over any of these limits
with 400 / 50035 "Invalid Form Body"; for a deferred interaction that means the user sees "thinking..."
until the token dies, so the worker checks before it sends.

Both message layouts are understood:
- legacy: `content` + `embeds` + up to 5 action rows of buttons or one select;
- Components V2 (flag IS_COMPONENTS_V2, 1 << 15): the components ARE the message (text displays,
  containers, sections, separators, media, action rows), at most 40 components counted at every depth.

Limits come from Discord's OpenAPI spec (discord/discord-api-spec, specs/openapi.json: the schemas named
at each limit below; a copy of the fragments used is in tests/fixtures/discord_component_schemas.json) and
from the documentation where the spec is silent or looser (docs: discord/discord-api-docs,
developers/components/reference.mdx unless said otherwise). The upstream spec README says to follow the
docs where they disagree; where they do, the stricter rule is kept and the comment says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeGuard

from ladderline.discord.constants import ButtonStyle, ComponentType, MessageFlag, TextInputStyle

__all__ = [
    "MessageLimitError",
    "Problem",
    "check_message",
    "check_modal",
    "find_modal_problems",
    "find_problems",
    "validate_message",
    "validate_modal",
]

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
IS_COMPONENTS_V2 = int(MessageFlag.IS_COMPONENTS_V2)
# The flags a bot may set on these messages (docs: interactions/receiving-and-responding, "Messages":
# SUPPRESS_EMBEDS, EPHEMERAL, IS_COMPONENTS_V2, IS_VOICE_MESSAGE, SUPPRESS_NOTIFICATIONS; voice messages
# need an audio upload, which the bot never sends).
ALLOWED_FLAGS = (
    MessageFlag.SUPPRESS_EMBEDS | MessageFlag.EPHEMERAL | MessageFlag.SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2
)

MAX_EMBEDS = 10
MAX_ATTACHMENTS = 10
MAX_EMBED_FIELDS = 25
EMBED_TOTAL = 6000  # sum over ALL embeds of the message, not per embed
MAX_ACTION_ROWS = 5  # legacy messages: "up to 5 action rows as top-level components" (docs)
MAX_ROW_CHILDREN = 5  # ActionRowComponentForMessageRequest.components maxItems
MAX_SELECT_OPTIONS = 25
MAX_SELECT_VALUES = 25
# Components V2: "Messages allow up to 40 total components" (docs), nested ones included (change-log
# 2025-04-29 "Raised Component Limits"); the spec's top-level maxItems is 40 too.
MAX_V2_COMPONENTS = 40
# TextDisplayComponentForMessageRequest.content maxLength 4000, and 4000 is also the total over all text
# displays of one message (discord/discord-api-docs pull request #8562, "Document that text display
# components allows 4k characters").
TEXT_DISPLAY_TOTAL = 4000
MAX_SECTION_TEXTS = 3  # SectionComponentForMessageRequest.components 1-3 text displays
MAX_GALLERY_ITEMS = 10  # MediaGalleryComponentForMessageRequest.items 1-10
MAX_ACCENT_COLOR = 0xFFFFFF  # ContainerComponentForMessageRequest.accent_color 0..16777215
# ModalInteractionCallbackRequestData.components: the spec says 1-40; the docs (interactions/
# receiving-and-responding, "Modal") say "Between 1 and 5 (inclusive)". The stricter one is kept.
MAX_MODAL_COMPONENTS = 5
MAX_TEXT_INPUT = 4000  # TextInputComponentForModalRequest min_length/max_length/value
MAX_CHOICE_OPTIONS = 10  # radio group (2-10) and checkbox group (1-10) options
MAX_UPLOADS = 10  # file upload min_values/max_values 0-10

T = ComponentType
SELECT_TYPES = {
    T.STRING_SELECT: "string select",
    T.USER_SELECT: "user select",
    T.ROLE_SELECT: "role select",
    T.MENTIONABLE_SELECT: "mentionable select",
    T.CHANNEL_SELECT: "channel select",
}
TYPE_NAMES = {
    T.ACTION_ROW: "action row",
    T.BUTTON: "button",
    **SELECT_TYPES,
    T.TEXT_INPUT: "text input",
    T.SECTION: "section",
    T.TEXT_DISPLAY: "text display",
    T.THUMBNAIL: "thumbnail",
    T.MEDIA_GALLERY: "media gallery",
    T.FILE: "file",
    T.SEPARATOR: "separator",
    T.CONTAINER: "container",
    T.LABEL: "label",
    T.FILE_UPLOAD: "file upload",
    T.RADIO_GROUP: "radio group",
    T.CHECKBOX_GROUP: "checkbox group",
    T.CHECKBOX: "checkbox",
}
# Which component types may stand where (spec: the oneOf lists of each *ForMessageRequest /
# *ForModalRequest schema; docs: the "... Child Components" tables).
V2_TOP_LEVEL = {T.ACTION_ROW, T.CONTAINER, T.FILE, T.MEDIA_GALLERY, T.SECTION, T.SEPARATOR, T.TEXT_DISPLAY}
CONTAINER_CHILDREN = {T.ACTION_ROW, T.FILE, T.MEDIA_GALLERY, T.SECTION, T.SEPARATOR, T.TEXT_DISPLAY}
SECTION_ACCESSORIES = {T.BUTTON, T.THUMBNAIL}
MODAL_TOP_LEVEL = {T.LABEL, T.TEXT_DISPLAY, T.ACTION_ROW}
LABEL_CHILDREN = {T.TEXT_INPUT, *SELECT_TYPES, T.FILE_UPLOAD, T.RADIO_GROUP, T.CHECKBOX_GROUP, T.CHECKBOX}
V2_ONLY = {T.SECTION, T.TEXT_DISPLAY, T.THUMBNAIL, T.MEDIA_GALLERY, T.FILE, T.SEPARATOR, T.CONTAINER}
MODAL_ONLY = {T.TEXT_INPUT, T.LABEL, T.FILE_UPLOAD, T.RADIO_GROUP, T.CHECKBOX_GROUP, T.CHECKBOX}

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
    "text display": {"content": 4000},
    "media": {"url": 2048},  # UnfurledMediaRequest.url
    "media item": {"description": 1024},  # ThumbnailComponentForMessageRequest, MediaGalleryItemRequest
    "modal": {"custom_id": 100, "title": 45},
    "label": {"label": 45, "description": 100},
    "text input": {"custom_id": 100, "label": 45, "value": MAX_TEXT_INPUT, "placeholder": 100},
    "modal input": {"custom_id": 100},
}
# Strings that must be present and non-empty.
REQUIRED_TEXT: dict[str, tuple[str, ...]] = {
    "field": ("name", "value"),
    "select": ("custom_id",),
    "option": ("label", "value"),
    "text display": ("content",),
    "media": ("url",),
    "modal": ("custom_id", "title"),
    "label": ("label",),
    "text input": ("custom_id",),
    "modal input": ("custom_id",),
}
# Strings that may be left out but, when given, need at least one character (spec minLength 1).
NON_EMPTY_TEXT: dict[str, tuple[str, ...]] = {
    "media item": ("description",),
    "label": ("description",),
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


# --- public API ---------------------------------------------------------------------------------------
def validate_message(body: Any, *, components_v2: bool = False) -> list[str]:
    """Human-readable problems with an outgoing message body; empty when Discord would accept it.

    components_v2: the message being edited already has IS_COMPONENTS_V2 (it can never be removed, so the
    edit is held to the V2 rules even when its own `flags` leave the bit out)."""
    return [str(p) for p in find_problems(body, components_v2=components_v2)]


def check_message(body: Any) -> None:
    problems = validate_message(body)
    if problems:
        raise MessageLimitError(problems)


def find_problems(body: Any, *, components_v2: bool = False) -> list[Problem]:
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
    return list(_message(body, components_v2))


def validate_modal(data: Any) -> list[str]:
    """Problems with the `data` of a MODAL (type 9) interaction response; empty when Discord would accept it."""
    return [str(p) for p in find_modal_problems(data)]


def check_modal(data: Any) -> None:
    problems = validate_modal(data)
    if problems:
        raise MessageLimitError(problems)


def find_modal_problems(data: Any) -> list[Problem]:
    if not isinstance(data, dict):
        return [Problem((), f"modal data must be a JSON object, got {type(data).__name__}")]
    if "type" in data and "data" in data:
        return [Problem((), "this is the whole interaction response ({type, data}): pass its data")]
    return list(_modal(data))


# --- shared pieces ------------------------------------------------------------------------------------
@dataclass
class _Seen:
    """State shared by the whole walk of one message or modal."""

    custom_ids: dict[str, Path] = field(default_factory=dict)
    ids: dict[int, Path] = field(default_factory=dict)
    count: int = 0
    text_total: int = 0
    v2: bool = False  # a Components V2 message or a modal: the newer component types are known here


def _text(obj: dict, kind: str, path: Path) -> Iterator[Problem]:
    for key in REQUIRED_TEXT.get(kind, ()):
        if obj.get(key) in (None, ""):
            yield Problem((*path, key), f"{kind} {key} is required")
    for key in NON_EMPTY_TEXT.get(kind, ()):
        if obj.get(key) == "":
            yield Problem((*path, key), "must be at least 1 character when given (or left out)")
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


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_in(obj: dict, key: str, path: Path, low: int, high: int) -> Iterator[Problem]:
    value = obj.get(key)
    if value is not None and (not _is_int(value) or not low <= value <= high):
        yield Problem((*path, key), f"must be an integer from {low} to {high} (got {value!r})")


def _bool(obj: dict, key: str, path: Path) -> Iterator[Problem]:
    if obj.get(key) is not None and not isinstance(obj.get(key), bool):
        yield Problem((*path, key), f"must be true or false (got {obj.get(key)!r})")


def _type_name(ctype: Any) -> str:
    return f"{ctype} ({TYPE_NAMES[ctype]})" if ctype in TYPE_NAMES else repr(ctype)


def _component(obj: Any, path: Path, seen: _Seen) -> Iterator[Problem]:
    """What every component shares: an object, counted, with a unique optional `id` and `custom_id`."""
    if not isinstance(obj, dict):
        yield Problem(path, "component must be an object")
        return
    seen.count += 1
    # "The id must be unique within the message"; 0 counts as empty and is replaced by the API (docs,
    # "Anatomy of a Component"); spec: int32, minimum 0.
    ident = obj.get("id")
    if ident is not None:
        if not _is_int(ident) or not 0 <= ident <= 2**31 - 1:
            yield Problem((*path, "id"), f"must be an integer from 0 to {2**31 - 1} (got {ident!r})")
        elif ident:
            if ident in seen.ids:
                yield Problem((*path, "id"), f"id {ident} is already used at {format_path(seen.ids[ident])}")
            else:
                seen.ids[ident] = path
    # "Multiple components on the same message must not share the same custom_id" (docs).
    custom_id = obj.get("custom_id")
    if isinstance(custom_id, str) and custom_id:
        if custom_id in seen.custom_ids:
            yield Problem(
                (*path, "custom_id"),
                f"custom_id {custom_id!r} is already used at {format_path(seen.custom_ids[custom_id])}; "
                "it must be unique",
            )
        else:
            seen.custom_ids[custom_id] = path


def _wrong_type(ctype: Any, path: Path, expected: str, seen: _Seen) -> Problem:
    where = (*path, "type")
    if ctype not in TYPE_NAMES:
        return Problem(where, f"unknown component type {ctype!r}: {expected}")
    if ctype in MODAL_ONLY:
        why = "modals only"
    elif ctype in V2_ONLY and not seen.v2:
        why = "needs the IS_COMPONENTS_V2 flag (1 << 15) on the message"
    elif ctype == T.ACTION_ROW:
        why = "action rows cannot be nested"
    elif ctype == T.BUTTON or ctype in SELECT_TYPES:
        why = "must be inside an action row"
    else:
        why = "not allowed here"
    return Problem(where, f"component type {_type_name(ctype)}: {why}; {expected}")


# --- messages -----------------------------------------------------------------------------------------
def _message(body: dict, components_v2: bool) -> Iterator[Problem]:
    for key in sorted(set(body) - MESSAGE_KEYS):
        yield Problem((key,), "is not a field of a webhook message body")
    flags = body.get("flags")
    v2 = components_v2
    if flags is not None:
        if not _is_int(flags):
            yield Problem(("flags",), "must be an integer")
        else:
            v2 = v2 or bool(flags & IS_COMPONENTS_V2)
            if flags & ~ALLOWED_FLAGS:
                yield Problem(
                    ("flags",),
                    "only SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS and IS_COMPONENTS_V2 may be set "
                    f"(got {flags})",
                )
    _, problems = _list(body, "attachments", (), MAX_ATTACHMENTS)
    yield from problems
    if v2:
        yield from _v2_message(body)
        return
    yield from _text(body, "message", ())
    yield from _embeds(body)
    yield from _legacy_components(body)


def _v2_message(body: dict) -> Iterator[Problem]:
    # "When the flag IS_COMPONENTS_V2 is set, the webhook message can only contain components. Providing
    # content, embeds, files[n] or poll will fail with a 400"; an edit turning a message into V2 resets them
    # "to empty ... For content and poll this is null. For embeds and sticker_ids this is []" (docs:
    # resources/webhook "Execute Webhook", resources/message "Edit Message").
    why = "is not allowed with IS_COMPONENTS_V2 (use text display components)"
    if body.get("content") is not None:
        yield Problem(("content",), f"{why}: leave it out or send null")
    if body.get("embeds") not in (None, []):
        yield Problem(("embeds",), f"{why}: leave it out or send []")
    if body.get("poll") is not None:
        yield Problem(("poll",), "is not allowed with IS_COMPONENTS_V2")
    seen = _Seen(v2=True)
    components, problems = _list(body, "components", (), MAX_V2_COMPONENTS, min_items=1)
    yield from problems
    for i, component in enumerate(components):
        yield from _v2_component(component, ("components", i), seen, V2_TOP_LEVEL, "top level")
    if seen.count > MAX_V2_COMPONENTS:
        yield Problem(
            ("components",),
            f"a message with IS_COMPONENTS_V2 holds {MAX_V2_COMPONENTS} or fewer components in total, "
            f"nested ones included (got {seen.count})",
        )
    if seen.text_total > TEXT_DISPLAY_TOTAL:
        yield Problem(
            ("components",),
            f"text displays total {TEXT_DISPLAY_TOTAL} or fewer characters per message (got {seen.text_total})",
        )


def _v2_component(obj: Any, path: Path, seen: _Seen, allowed: set, where: str) -> Iterator[Problem]:
    yield from _component(obj, path, seen)
    if not isinstance(obj, dict):
        return
    ctype = obj.get("type")
    if ctype not in allowed:
        names = ", ".join(_type_name(t) for t in sorted(allowed))
        yield _wrong_type(ctype, path, f"the {where} holds {names}", seen)
        return
    if ctype == T.ACTION_ROW:
        yield from _action_row(obj, path, seen)
    elif ctype == T.TEXT_DISPLAY:
        yield from _text_display(obj, path, seen)
    elif ctype == T.SECTION:
        yield from _section(obj, path, seen)
    elif ctype == T.CONTAINER:
        yield from _container(obj, path, seen)
    elif ctype == T.SEPARATOR:
        # SeparatorComponentForMessageRequest: spacing 1 (small) or 2 (large), divider boolean.
        if obj.get("spacing") not in (None, 1, 2):
            yield Problem((*path, "spacing"), f"must be 1 (small) or 2 (large) (got {obj.get('spacing')!r})")
        yield from _bool(obj, "divider", path)
    elif ctype == T.THUMBNAIL:
        yield from _media_item(obj, path)
    elif ctype == T.MEDIA_GALLERY:
        items, problems = _list(obj, "items", path, MAX_GALLERY_ITEMS, min_items=1)
        yield from problems
        for k, item in enumerate(items):
            if not isinstance(item, dict):
                yield Problem((*path, "items", k), "gallery item must be an object")
            else:
                yield from _media_item(item, (*path, "items", k))
    elif ctype == T.FILE:
        yield from _bool(obj, "spoiler", path)
        media = obj.get("file")
        if not isinstance(media, dict):
            yield Problem((*path, "file"), "file component needs file: {url: 'attachment://<filename>'}")
        else:
            yield from _text(media, "media", (*path, "file"))
            url = media.get("url")
            # "only supports attachment references using the attachment://<filename> syntax" (docs, File).
            if isinstance(url, str) and url and not url.startswith("attachment://"):
                yield Problem((*path, "file", "url"), "a file component takes attachment://<filename> only")


def _text_display(obj: dict, path: Path, seen: _Seen) -> Iterator[Problem]:
    yield from _text(obj, "text display", path)
    content = obj.get("content")
    if isinstance(content, str):
        seen.text_total += len(content)


def _media_item(obj: dict, path: Path) -> Iterator[Problem]:
    yield from _text(obj, "media item", path)
    yield from _bool(obj, "spoiler", path)
    media = obj.get("media")
    if not isinstance(media, dict):
        yield Problem((*path, "media"), "media: {url: ...} is required")
    else:
        yield from _text(media, "media", (*path, "media"))


def _section(obj: dict, path: Path, seen: _Seen) -> Iterator[Problem]:
    texts, problems = _list(obj, "components", path, MAX_SECTION_TEXTS, min_items=1)
    yield from problems
    for j, child in enumerate(texts):
        yield from _v2_component(child, (*path, "components", j), seen, {T.TEXT_DISPLAY}, "section")
    accessory = obj.get("accessory")
    if accessory is None:
        yield Problem((*path, "accessory"), "a section needs an accessory (a button or a thumbnail)")
        return
    yield from _component(accessory, (*path, "accessory"), seen)
    if not isinstance(accessory, dict):
        return
    kind = accessory.get("type")
    if kind == T.BUTTON:
        yield from _button(accessory, (*path, "accessory"))
    elif kind == T.THUMBNAIL:
        yield from _media_item(accessory, (*path, "accessory"))
    else:
        yield _wrong_type(kind, (*path, "accessory"), "a section's accessory is a button (2) or a thumbnail (11)",
                          seen)


def _container(obj: dict, path: Path, seen: _Seen) -> Iterator[Problem]:
    color = obj.get("accent_color")
    if color is not None and (not _is_int(color) or not 0 <= color <= MAX_ACCENT_COLOR):
        yield Problem((*path, "accent_color"), f"must be an RGB integer from 0 to 0xFFFFFF (got {color!r})")
    yield from _bool(obj, "spoiler", path)
    # The spec caps a container at 40 children; the docs dropped the per-container limit (change-log
    # 2025-04-29): the message-wide 40 is what binds.
    children, problems = _list(obj, "components", path, MAX_V2_COMPONENTS, min_items=1)
    yield from problems
    for j, child in enumerate(children):
        yield from _v2_component(child, (*path, "components", j), seen, CONTAINER_CHILDREN, "container")


def _legacy_components(body: dict) -> Iterator[Problem]:
    rows, problems = _list(body, "components", (), MAX_ACTION_ROWS)
    yield from problems
    seen = _Seen()
    for i, row in enumerate(rows):
        path: Path = ("components", i)
        yield from _component(row, path, seen)
        if not isinstance(row, dict):
            continue
        if row.get("type") != T.ACTION_ROW:
            yield _wrong_type(row.get("type"), path, "only action rows (type 1) at the top level", seen)
            continue
        yield from _action_row(row, path, seen)


def _action_row(row: dict, path: Path, seen: _Seen) -> Iterator[Problem]:
    children, problems = _list(row, "components", path, MAX_ROW_CHILDREN, min_items=1)
    yield from problems
    kinds = []
    for j, child in enumerate(children):
        cpath: Path = (*path, "components", j)
        yield from _component(child, cpath, seen)
        if not isinstance(child, dict):
            continue
        ctype = child.get("type")
        if ctype == T.BUTTON:
            kinds.append("button")
            yield from _button(child, cpath)
        elif ctype in SELECT_TYPES:
            kinds.append("select")
            yield from _select(child, cpath)
        else:
            yield _wrong_type(ctype, cpath, "an action row holds buttons (2) or one select (3, 5-8)", seen)
    if "select" in kinds and len(kinds) > 1:
        yield Problem((*path, "components"), "a select must be alone in its action row")


def _button(button: dict, path: Path) -> Iterator[Problem]:
    yield from _text(button, "button", path)
    style = button.get("style")
    if style not in tuple(ButtonStyle):
        yield Problem((*path, "style"), f"button style must be 1-6 (got {style!r})")
        return
    if style == ButtonStyle.LINK:
        if not button.get("url"):
            yield Problem((*path, "url"), "link buttons (style 5) need a url")
        if "custom_id" in button:
            yield Problem((*path, "custom_id"), "link buttons (style 5) cannot have a custom_id")
    elif style == ButtonStyle.PREMIUM:
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
    if style != ButtonStyle.PREMIUM and not button.get("label") and not button.get("emoji"):
        yield Problem((*path, "label"), "a button needs a label or an emoji")


def _select(select: dict, path: Path, *, in_modal: bool = False) -> Iterator[Problem]:
    yield from _text(select, "select", path)
    yield from _int_in(select, "min_values", path, 0, MAX_SELECT_VALUES)
    yield from _int_in(select, "max_values", path, 1, MAX_SELECT_VALUES)
    yield from _min_max(select, path, "min_values", "max_values")
    if in_modal:
        # "Using disabled in a modal will result in an error" (docs, String Select); "min_values must be
        # either omitted or at least 1 if required is omitted or true".
        if select.get("disabled"):
            yield Problem((*path, "disabled"), "components in a modal cannot be disabled")
        if select.get("required", True) and select.get("min_values") == 0:
            yield Problem((*path, "min_values"), "must be at least 1 unless required is false")
    if select.get("type") == T.STRING_SELECT:
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


def _min_max(obj: dict, path: Path, low_key: str, high_key: str) -> Iterator[Problem]:
    low, high = obj.get(low_key), obj.get(high_key)
    if _is_int(low) and _is_int(high) and low > high:
        yield Problem((*path, low_key), f"{low_key} ({low}) cannot exceed {high_key} ({high})")


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
        for j, item in enumerate(fields):
            if not isinstance(item, dict):
                yield Problem((*path, "fields", j), "field must be an object")
                continue
            yield from _text(item, "field", (*path, "fields", j))
            total += _len(item.get("name")) + _len(item.get("value"))
    if total > EMBED_TOTAL:
        yield Problem(
            ("embeds",),
            f"embeds total {EMBED_TOTAL} or fewer characters across title, description, "
            f"field names and values, footer text and author name (got {total})",
        )


def _len(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


# --- modals -------------------------------------------------------------------------------------------
MODAL_KEYS = frozenset({"custom_id", "title", "components"})


def _modal(data: dict) -> Iterator[Problem]:
    for key in sorted(set(data) - MODAL_KEYS):
        yield Problem((key,), "is not a field of a modal")
    yield from _text(data, "modal", ())
    seen = _Seen(v2=True)
    components, problems = _list(data, "components", (), MAX_MODAL_COMPONENTS, min_items=1)
    yield from problems
    expected = "a modal's top level holds labels (18), text displays (10) or deprecated action rows (1)"
    for i, component in enumerate(components):
        path: Path = ("components", i)
        yield from _component(component, path, seen)
        if not isinstance(component, dict):
            continue
        ctype = component.get("type")
        if ctype == T.LABEL:
            yield from _label(component, path, seen)
        elif ctype == T.TEXT_DISPLAY:
            yield from _text_display(component, path, seen)
        elif ctype == T.ACTION_ROW:
            # Deprecated form (docs: "Action Row with Text Inputs in modals are now deprecated"), still
            # accepted: ActionRowComponentForModalRequest holds 1-5 text inputs, each with its own label.
            inputs, problems = _list(component, "components", path, MAX_ROW_CHILDREN, min_items=1)
            yield from problems
            for j, child in enumerate(inputs):
                cpath: Path = (*path, "components", j)
                yield from _component(child, cpath, seen)
                if not isinstance(child, dict):
                    continue
                if child.get("type") != T.TEXT_INPUT:
                    yield _wrong_type(child.get("type"), cpath, "an action row in a modal holds text inputs "
                                      "(4); put other inputs in a label", seen)
                    continue
                yield from _text_input(child, cpath, in_label=False)
        else:
            yield _wrong_type(ctype, path, expected, seen)


def _label(obj: dict, path: Path, seen: _Seen) -> Iterator[Problem]:
    yield from _text(obj, "label", path)
    child = obj.get("component")
    cpath: Path = (*path, "component")
    if child is None:
        yield Problem(cpath, "a label needs its component (a text input, select, file upload, radio/checkbox)")
        return
    yield from _component(child, cpath, seen)
    if not isinstance(child, dict):
        return
    ctype = child.get("type")
    if ctype not in LABEL_CHILDREN:
        names = ", ".join(_type_name(t) for t in sorted(LABEL_CHILDREN))
        yield _wrong_type(ctype, cpath, f"a label holds one of {names}", seen)
    elif ctype == T.TEXT_INPUT:
        yield from _text_input(child, cpath, in_label=True)
    elif ctype in SELECT_TYPES:
        yield from _select(child, cpath, in_modal=True)
    else:
        yield from _modal_choice(child, cpath)


def _text_input(obj: dict, path: Path, *, in_label: bool) -> Iterator[Problem]:
    yield from _text(obj, "text input", path)
    if obj.get("style") not in tuple(TextInputStyle):
        yield Problem((*path, "style"), f"must be 1 (short) or 2 (paragraph) (got {obj.get('style')!r})")
    if in_label and obj.get("label") is not None:
        # "The label field on a Text Input is deprecated in favor of label and description on the Label
        # component" (docs, Text Input); a text input inside a Label cannot carry its own.
        yield Problem((*path, "label"), "a text input inside a label takes no label of its own")
    if not in_label and obj.get("label") in (None, ""):
        yield Problem((*path, "label"), "a text input in an action row needs a label (or put it in a label)")
    yield from _int_in(obj, "min_length", path, 0, MAX_TEXT_INPUT)
    yield from _int_in(obj, "max_length", path, 1, MAX_TEXT_INPUT)
    yield from _min_max(obj, path, "min_length", "max_length")
    value, high = obj.get("value"), obj.get("max_length")
    if isinstance(value, str) and _is_int(high) and len(value) > high:
        # Discord refuses a prefilled value longer than the input allows.
        yield Problem((*path, "value"), f"prefilled value is longer than max_length {high} ({len(value)})")
    yield from _bool(obj, "required", path)


def _modal_choice(obj: dict, path: Path) -> Iterator[Problem]:
    """File upload (19), radio group (21), checkbox group (22), checkbox (23): the spec's counts."""
    yield from _text(obj, "modal input", path)
    ctype = obj.get("type")
    if ctype in (T.FILE_UPLOAD, T.CHECKBOX_GROUP):
        yield from _int_in(obj, "min_values", path, 0, MAX_UPLOADS)
        yield from _int_in(obj, "max_values", path, 1, MAX_UPLOADS)
        yield from _min_max(obj, path, "min_values", "max_values")
    if ctype in (T.RADIO_GROUP, T.CHECKBOX_GROUP):
        low = 2 if ctype == T.RADIO_GROUP else 1
        options, problems = _list(obj, "options", path, MAX_CHOICE_OPTIONS, min_items=low)
        yield from problems
        for k, option in enumerate(options):
            if not isinstance(option, dict):
                yield Problem((*path, "options", k), "option must be an object")
            else:
                yield from _text(option, "option", (*path, "options", k))
