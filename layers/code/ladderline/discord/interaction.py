"""A parsed, validated view of an incoming interaction payload.

Only what the bot uses is read; unknown fields are ignored (Discord adds fields often). Anything
missing that the interaction's type needs raises MalformedInteraction (answered 400).
"""

from __future__ import annotations

from ladderline.discord.constants import ComponentType, InteractionType, OptionType

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the ingress's cold start)
if TYPE_CHECKING:
    from typing import Any


class MalformedInteraction(ValueError):
    """The payload lacks what its interaction type needs."""


def _snowflake(value: Any, what: str) -> str:
    if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).isdigit():
        return str(value)
    raise MalformedInteraction(f"{what} must be a snowflake id")


def _text(value: Any, what: str) -> str:
    if isinstance(value, str) and value:
        return value
    raise MalformedInteraction(f"{what} is missing")


def _flatten_options(options: Any) -> tuple[dict[str, Any], str | None, list[str]]:
    """Options as {name: value}, the focused option's name, and the subcommand path."""
    values: dict[str, Any] = {}
    focused: str | None = None
    path: list[str] = []
    while isinstance(options, list):
        nested = None
        for option in options:
            if not isinstance(option, dict) or not isinstance(option.get("name"), str):
                raise MalformedInteraction("data.options entries need a name")
            if option.get("type") in (OptionType.SUB_COMMAND, OptionType.SUB_COMMAND_GROUP):
                path.append(option["name"])
                nested = option.get("options", [])
                continue
            values[option["name"]] = option.get("value")
            if option.get("focused"):
                focused = option["name"]
        options = nested
    return values, focused, path


def _modal_fields(components: Any) -> dict[str, Any]:
    """Text inputs (value) and selects (values) of a modal submit, by custom_id.

    Handles both the legacy ACTION_ROW wrapping and the newer LABEL wrapping of inputs.
    """
    fields: dict[str, Any] = {}
    stack = list(components) if isinstance(components, list) else []
    while stack:
        item = stack.pop(0)
        if not isinstance(item, dict):
            continue
        if item.get("type") == ComponentType.ACTION_ROW:
            stack[:0] = item.get("components") or []
        elif item.get("type") == ComponentType.LABEL:
            stack.insert(0, item.get("component") or {})
        elif isinstance(item.get("custom_id"), str):
            fields[item["custom_id"]] = item["values"] if "values" in item else item.get("value", "")
    return fields


def _with_attachments(fields: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Attachment ids (an ATTACHMENT option's value, a File Upload's values) replaced by the
    attachment Discord resolved for them: {id, url, filename, size, content_type}."""
    resolved = data.get("resolved")
    found = resolved.get("attachments") if isinstance(resolved, dict) else None
    if not isinstance(found, dict) or not found:
        return fields

    def one(value: Any) -> Any:
        item = found.get(value) if isinstance(value, str) else None
        if not isinstance(item, dict):
            return value
        return {k: item.get(k) for k in ("id", "url", "filename", "size", "content_type")}

    return {name: [one(v) for v in value] if isinstance(value, list) else one(value)
            for name, value in fields.items()}


class Interaction:
    """Not a dataclass (the ingress parses one per request; see job.Job for why)."""

    __slots__ = ("application_id", "channel_id", "focused", "guild_id", "id", "locale", "message", "name",
                 "options", "subcommand", "token", "type", "user_id", "values")

    def __init__(self, *, id: str, application_id: str, type: InteractionType, token: str, user_id: str,
                 guild_id: str | None, channel_id: str | None, locale: str | None,
                 name: str = "",  # command name, or the custom_id for components and modal submits
                 options: dict[str, Any] | None = None, focused: str | None = None,
                 subcommand: tuple[str, ...] = (), values: tuple[str, ...] = (),
                 message: dict[str, Any] | None = None) -> None:
        self.id = id
        self.application_id = application_id
        self.type = type
        self.token = token
        self.user_id = user_id
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.locale = locale
        self.name = name
        self.options: dict[str, Any] = {} if options is None else options
        self.focused = focused
        self.subcommand = subcommand
        self.values = values
        self.message = message

    def __repr__(self) -> str:  # never the token
        return f"Interaction(id={self.id!r}, type={self.type!r}, name={self.name!r}, user_id={self.user_id!r})"

    @property
    def route_key(self) -> str:
        """The registry key: custom_ids are `<route>:<arg>:<arg>...`."""
        return self.name.split(":", 1)[0]

    @property
    def custom_id_args(self) -> tuple[str, ...]:
        return tuple(self.name.split(":")[1:])

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> Interaction:
        try:
            kind = InteractionType(payload.get("type"))  # type: ignore[arg-type]  # ValueError below
        except ValueError:
            raise MalformedInteraction("unknown interaction type") from None
        # Guild payloads carry member.user, DM payloads carry user.
        member = payload.get("member")
        user = member.get("user") if isinstance(member, dict) else payload.get("user")
        if not isinstance(user, dict):
            raise MalformedInteraction("user is missing")
        data = payload.get("data")
        if not isinstance(data, dict):
            raise MalformedInteraction("data is missing")
        common: dict[str, Any] = {
            "id": _snowflake(payload.get("id"), "id"),
            "application_id": _snowflake(payload.get("application_id"), "application_id"),
            "type": kind,
            "token": _text(payload.get("token"), "token"),
            "user_id": _snowflake(user.get("id"), "user.id"),
            "guild_id": _snowflake(payload["guild_id"], "guild_id") if payload.get("guild_id") else None,
            "channel_id": _snowflake(payload["channel_id"], "channel_id") if payload.get("channel_id") else None,
            "locale": payload.get("locale") if isinstance(payload.get("locale"), str) else None,
        }
        if kind in (InteractionType.APPLICATION_COMMAND, InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE):
            options, focused, path = _flatten_options(data.get("options", []))
            return cls(**common, name=_text(data.get("name"), "data.name"),
                       options=_with_attachments(options, data), focused=focused, subcommand=tuple(path))
        if kind == InteractionType.MESSAGE_COMPONENT:
            values = data.get("values", [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise MalformedInteraction("data.values must be a list of strings")
            message = payload.get("message")
            return cls(**common, name=_text(data.get("custom_id"), "data.custom_id"), values=tuple(values),
                       message=message if isinstance(message, dict) else None)
        if kind == InteractionType.MODAL_SUBMIT:
            # A modal opened from a button carries that button's message (it can be updated: 6/7).
            message = payload.get("message")
            return cls(**common, name=_text(data.get("custom_id"), "data.custom_id"),
                       options=_with_attachments(_modal_fields(data.get("components")), data),
                       message=message if isinstance(message, dict) else None)
        raise MalformedInteraction("PING carries no user data")
