"""The versioned job the queue carries, and what a handler reads as `ctx.job`.

The queue carries this explicit contract, never the raw API Gateway event: the worker needs no
headers or raw body, and the token (a credential) travels only inside the encrypted queue.

Three kinds share one envelope:
- `interaction`: published by the ingress for a command, a click or a modal submit;
- `timer`: published by the worker for a Reply's Timer, delivered after its DelaySeconds;
  `interaction_id` is the timer's key and `payload` its payload;
- `tick`: put on the queue by the EventBridge Scheduler schedule (template.yaml) or the local
  stack; `interaction_id` is the tick id (the schedule's scheduled time).

Version 2 added `kind`, `subcommand` and `payload`. Version 1 jobs (every one an interaction) are
still read, because jobs published by the previous release are in flight during a deploy.
"""

from __future__ import annotations

import copy
import json
from enum import Enum

from ladderline.discord.constants import InteractionType

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the ingress's cold start)
if TYPE_CHECKING:
    from typing import Any

    from ladderline.discord.interaction import Interaction

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)


class JobKind(str, Enum):
    INTERACTION = "interaction"
    TIMER = "timer"
    TICK = "tick"


class JobError(ValueError):
    """A queue message that is not a job this worker understands (never retried)."""


class Job:
    """Not a dataclass: the ingress makes one per request, and `dataclasses` (with `inspect`) plus
    the code a dataclass compiles were ~15 ms of its cold start (`python -X importtime`).
    Treated as immutable, as the frozen dataclass was: `replace` makes a changed copy."""

    __slots__ = _FIELD_NAMES = (
        "interaction_id",  # the interaction id; a timer's key; a tick's id
        "route",  # the registry key: command name, custom_id's route part, timer route, tick name
        "kind",
        "application_id",
        "token",
        "interaction_type",
        "custom_id",
        "options",  # a subcommand's own options, or modal fields
        "values",  # select values
        "user_id",
        "guild_id",
        "channel_id",
        "locale",
        "received_at_ms",  # when the ingress received the request (queue-delay metric)
        "ack_type",  # the callback type the ingress answered with
        "ephemeral",
        "subcommand",  # "resolve" for /admin resolve, "group sub" for a group
        "payload",  # a timer's payload; a tick's id and time
        "schema_version",
        "extra",
    )

    def __init__(self, *, interaction_id: str, route: str, kind: str = JobKind.INTERACTION.value,
                 application_id: str = "", token: str = "", interaction_type: int = 0, custom_id: str | None = None,
                 options: dict[str, Any] | None = None, values: list[str] | None = None, user_id: str = "",
                 guild_id: str | None = None, channel_id: str | None = None, locale: str | None = None,
                 received_at_ms: int = 0, ack_type: int = 0, ephemeral: bool = True, subcommand: str | None = None,
                 payload: dict[str, Any] | None = None, schema_version: int = SCHEMA_VERSION,
                 extra: dict[str, Any] | None = None) -> None:
        self.interaction_id = interaction_id
        self.route = route
        self.kind = kind
        self.application_id = application_id
        self.token = token
        self.interaction_type = interaction_type
        self.custom_id = custom_id
        self.options: dict[str, Any] = {} if options is None else options
        self.values: list[str] = [] if values is None else values
        self.user_id = user_id
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.locale = locale
        self.received_at_ms = received_at_ms
        self.ack_type = ack_type
        self.ephemeral = ephemeral
        self.subcommand = subcommand
        self.payload: dict[str, Any] = {} if payload is None else payload
        self.schema_version = schema_version
        self.extra: dict[str, Any] = {} if extra is None else extra

    def __eq__(self, other: object) -> bool:
        return type(other) is Job and all(getattr(self, n) == getattr(other, n) for n in self._FIELD_NAMES)

    def __repr__(self) -> str:  # never the token: it is a credential for the interaction's webhook
        return (f"Job(kind={self.kind!r}, route={self.route!r}, interaction_id={self.interaction_id!r}, "
                f"user_id={self.user_id!r}, guild_id={self.guild_id!r})")

    def replace(self, **changes: Any) -> Job:
        return Job(**{**{name: getattr(self, name) for name in self._FIELD_NAMES}, **changes})

    @classmethod
    def from_interaction(cls, interaction: Interaction, *, route: str, ack_type: int, ephemeral: bool,
                         received_at_ms: int) -> Job:
        is_custom = interaction.type in (InteractionType.MESSAGE_COMPONENT, InteractionType.MODAL_SUBMIT)
        return cls(
            interaction_id=interaction.id,
            application_id=interaction.application_id,
            token=interaction.token,
            interaction_type=int(interaction.type),
            route=route,
            custom_id=interaction.name if is_custom else None,
            options=dict(interaction.options),
            values=list(interaction.values),
            user_id=interaction.user_id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            locale=interaction.locale,
            received_at_ms=received_at_ms,
            ack_type=int(ack_type),
            ephemeral=ephemeral,
            subcommand=" ".join(interaction.subcommand) or None,
        )

    @classmethod
    def timer(cls, *, route: str, key: str, payload: dict[str, Any], scheduled_at_ms: int) -> Job:
        return cls(interaction_id=key, route=route, kind=JobKind.TIMER.value, payload=dict(payload),
                   received_at_ms=scheduled_at_ms)

    @classmethod
    def tick(cls, tick_id: str, scheduled_at_ms: int | None = None, interval_seconds: float | None = None) -> Job:
        at = tick_time_ms(tick_id) if scheduled_at_ms is None else scheduled_at_ms
        payload: dict[str, Any] = {"tick_id": tick_id, "scheduled_at_ms": at}
        if interval_seconds is not None:
            payload["interval_seconds"] = interval_seconds
        return cls(interaction_id=tick_id, route="tick", kind=JobKind.TICK.value, payload=payload,
                   received_at_ms=at)

    def to_dict(self) -> dict[str, Any]:
        """Every field, the dicts and lists copied (a caller may change them)."""
        return {name: copy.deepcopy(getattr(self, name)) for name in self._FIELD_NAMES}

    def to_json(self) -> str:
        # The fields as they are (json.dumps copies nothing): a deep copy was a fifth of the
        # ingress's CPU per request (cProfile, issue 12).
        return json.dumps({name: getattr(self, name) for name in self._FIELD_NAMES}, separators=(",", ":"),
                          ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> Job:
        if not isinstance(data, dict):
            raise JobError("job is not an object")
        version = data.get("schema_version")
        if version not in READABLE_VERSIONS:
            raise JobError(f"unsupported job schema_version {version!r}")
        kind = data.get("kind", JobKind.INTERACTION.value)
        if kind not in {k.value for k in JobKind}:
            raise JobError(f"unknown job kind {kind!r}")
        if version == 1 and kind != JobKind.INTERACTION.value:
            raise JobError("a version-1 job is always an interaction")
        fields = {key: data[key] for key in cls._FIELD_NAMES if key in data}
        if kind == JobKind.TICK.value and "tick_id" not in (fields.get("payload") or {}):
            # The schedule cannot compute anything: it sends its scheduled time as the tick id
            # (and, in its payload, its interval).
            tick_id = str(fields.get("interaction_id") or "")
            try:
                at = tick_time_ms(tick_id)
            except ValueError:
                raise JobError(f"tick id {tick_id[:40]!r} is not a time") from None
            fields["payload"] = {**(fields.get("payload") or {}), "tick_id": tick_id, "scheduled_at_ms": at}
            fields.setdefault("received_at_ms", at)
            fields.setdefault("route", "tick")
        try:
            return cls(**fields)
        except TypeError as exc:
            raise JobError(f"job is missing fields: {exc}") from None

    @classmethod
    def from_json(cls, body: str) -> Job:
        try:
            return cls.from_dict(json.loads(body))
        except json.JSONDecodeError:
            raise JobError("job is not JSON") from None

    @property
    def command(self) -> str:
        """What analytics and metrics call this job: bounded by the registry."""
        return self.route

    @property
    def is_interaction(self) -> bool:
        return self.kind == JobKind.INTERACTION.value

    def idempotency_key(self, tick_name: str | None = None) -> str:
        """What the worker's idempotency record is keyed on.

        An interaction keeps its bare id (the key version 1 used, so a job in flight during a
        deploy still finds its record); a timer is keyed on its key, each tick handler on
        "<tick_id>:<name>".
        """
        if self.kind == JobKind.TIMER.value:
            return f"timer:{self.interaction_id}"
        if self.kind == JobKind.TICK.value:
            return f"{self.interaction_id}:{tick_name or self.route}"
        return self.interaction_id


def tick_time_ms(tick_id: str) -> int:
    """A tick id is the schedule's scheduled time (ISO 8601, e.g. 2026-12-01T11:30:00Z)."""
    from datetime import datetime  # here: only the worker reads ticks

    return int(datetime.fromisoformat(tick_id).timestamp() * 1000)

