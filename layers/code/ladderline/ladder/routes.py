"""A route (what handles one command, button, modal or select) and how the ingress acks it.

Command modules declare `ROUTES` from these; the registry only collects them, so no command
module imports the registry or another command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ladderline.discord.constants import IntegrationType, InteractionContext, InteractionType
from ladderline.ladder.acks import Ack

if TYPE_CHECKING:
    from ladderline.discord.interaction import Interaction
    from ladderline.ladder.context import JobContext, Reply

Handler = Callable[["JobContext"], "Reply"]

# The ladder is installed to a server (a guild install): its players, channels and staff live
# there. Player commands also work in the bot's DM, where a player can check a profile or queue
# without posting in a channel; the answers never depend on the guild. Commands that act on a
# server (staff tools, posting to its channels) are GUILD only: a DM has no members or roles to
# check. User installs are not offered: the ladder needs its server.
GUILD_INSTALL = (IntegrationType.GUILD_INSTALL,)
SERVER_AND_BOT_DM = (InteractionContext.GUILD, InteractionContext.BOT_DM)
SERVER_ONLY = (InteractionContext.GUILD,)


@dataclass(frozen=True)
class Route:
    key: str
    kind: InteractionType  # APPLICATION_COMMAND, MESSAGE_COMPONENT or MODAL_SUBMIT
    ack: Ack
    ephemeral: bool = True
    # In the bot's DMs nobody else can see the message anyway; a plain one stays in the DM's
    # history (an ephemeral one is dismissable and goes away), which a long-lived message (the
    # /queue view) wants.
    ephemeral_in_dm: bool = True
    handler: Handler | None = None
    modal: Callable[[Interaction], dict[str, Any]] | None = None
    autocomplete: Callable[[Interaction], list[dict[str, Any]]] | None = None
    # For registration (commands only): Discord's application command JSON pieces.
    description: str = ""
    options: tuple[dict[str, Any], ...] = ()
    # Where the command may be used; the safe default is the server only.
    contexts: tuple[InteractionContext, ...] = SERVER_ONLY
    integration_types: tuple[IntegrationType, ...] = GUILD_INSTALL
    # Permission bits (a decimal string) a member needs to see the command by default, e.g. "8"
    # (ADMINISTRATOR) for /admin; server owners can change it, so handlers still check.
    default_member_permissions: str | None = None

    def __post_init__(self) -> None:
        if self.ack is Ack.MODAL and self.modal is None:
            raise ValueError(f"route {self.key}: a MODAL ack needs a modal builder")
        if self.ack is not Ack.MODAL and self.handler is None:
            raise ValueError(f"route {self.key}: a queued route needs a handler")
        if ":" in self.key:
            raise ValueError(f"route {self.key}: ':' separates custom_id arguments")
        if self.kind == InteractionType.APPLICATION_COMMAND and self.ack in (Ack.DEFERRED_UPDATE, Ack.UPDATE_DISABLED):
            raise ValueError(f"route {self.key}: update acks are for components only")
        if not self.contexts or not self.integration_types:
            raise ValueError(f"route {self.key}: contexts and integration_types must not be empty")

    def ephemeral_for(self, guild_id: str | None) -> bool:
        """Whether the answer is ephemeral where the interaction happened (no guild: the bot's DM)."""
        return self.ephemeral and (guild_id is not None or self.ephemeral_in_dm)

    def command_json(self) -> dict[str, Any]:
        """The CHAT_INPUT application command Discord registers for this route."""
        command: dict[str, Any] = {
            "name": self.key, "type": 1, "description": self.description, "options": list(self.options),
            "contexts": [int(c) for c in self.contexts],
            "integration_types": [int(i) for i in self.integration_types]}
        if self.default_member_permissions is not None:
            command["default_member_permissions"] = self.default_member_permissions
        return command
