"""The versioned job the ingress publishes and the worker consumes.

The queue carries this explicit contract, never the raw API Gateway event: the worker needs no
headers or raw body, and the token (a credential) travels only inside the encrypted queue.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from ladderline.discord.constants import InteractionType
from ladderline.discord.interaction import Interaction

SCHEMA_VERSION = 1


class JobError(ValueError):
    """A queue message that is not a job this worker understands (never retried)."""


@dataclass(frozen=True)
class Job:
    interaction_id: str
    application_id: str
    token: str
    interaction_type: int
    route: str  # the registry key: command name, or the custom_id's route part
    custom_id: str | None
    options: dict[str, Any]  # command options, or modal fields by custom_id
    values: list[str]  # select values
    user_id: str
    guild_id: str | None
    channel_id: str | None
    locale: str | None
    received_at_ms: int  # when the ingress received the request (queue-delay metric)
    ack_type: int  # the callback type the ingress answered with
    ephemeral: bool
    schema_version: int = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

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
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> Job:
        if not isinstance(data, dict):
            raise JobError("job is not an object")
        if data.get("schema_version") != SCHEMA_VERSION:
            raise JobError(f"unsupported job schema_version {data.get('schema_version')!r}")
        try:
            return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})
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
