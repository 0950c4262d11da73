"""The one command registry: it routes jobs in the worker, decides the ingress's in-line answers,
and is what `ladderctl register` sends to Discord.

A route is keyed by a command name, or by the first part of a custom_id (`<route>:<arg>...`,
at most 100 characters in all). Each command module under ladderline.ladder.commands declares
its routes; handlers take their database as an argument, so importing the registry (as the
ingress does) pulls in no database or AWS code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING, Any

from ladderline.discord.constants import CallbackType, InteractionType

if TYPE_CHECKING:
    from ladderline.discord.interaction import Interaction
    from ladderline.ladder.context import JobContext, Reply


class Ack(Enum):
    """How the ingress answers before the worker runs."""

    DEFERRED_MESSAGE = CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE  # 5: "thinking..."
    DEFERRED_UPDATE = CallbackType.DEFERRED_UPDATE_MESSAGE  # 6: components; edit the clicked message
    UPDATE_DISABLED = CallbackType.UPDATE_MESSAGE  # 7: disable the clicked message's components now
    MODAL = CallbackType.MODAL  # 9: answered in-line, nothing queued


@dataclass(frozen=True)
class Route:
    key: str
    kind: InteractionType  # APPLICATION_COMMAND, MESSAGE_COMPONENT or MODAL_SUBMIT
    ack: Ack
    ephemeral: bool = True
    handler: Callable[[JobContext], Reply] | None = None
    modal: Callable[[Interaction], dict[str, Any]] | None = None
    autocomplete: Callable[[Interaction], list[dict[str, Any]]] | None = None
    # For registration (commands only): Discord's application command JSON pieces.
    description: str = ""
    options: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.ack is Ack.MODAL and self.modal is None:
            raise ValueError(f"route {self.key}: a MODAL ack needs a modal builder")
        if self.ack is not Ack.MODAL and self.handler is None:
            raise ValueError(f"route {self.key}: a queued route needs a handler")
        if ":" in self.key:
            raise ValueError(f"route {self.key}: ':' separates custom_id arguments")
        if self.kind == InteractionType.APPLICATION_COMMAND and self.ack in (Ack.DEFERRED_UPDATE, Ack.UPDATE_DISABLED):
            raise ValueError(f"route {self.key}: update acks are for components only")

    def command_json(self) -> dict[str, Any]:
        """The CHAT_INPUT application command Discord registers for this route."""
        return {"name": self.key, "type": 1, "description": self.description, "options": list(self.options)}


# Modules that declare routes (each exposes ROUTES: tuple[Route, ...]).
COMMAND_MODULES = (
    "ladderline.ladder.commands.ping",
    "ladderline.ladder.commands.setup",
    "ladderline.ladder.commands.setcountry",
    "ladderline.ladder.commands.terms",
    "ladderline.ladder.commands.activate",
    "ladderline.ladder.commands.profile",
    "ladderline.ladder.commands.leaderboard",
)


class Registry:
    def __init__(self, routes: list[Route]) -> None:
        self._routes: dict[tuple[InteractionType, str], Route] = {}
        for route in routes:
            key = (route.kind, route.key)
            if key in self._routes:
                raise ValueError(f"duplicate route {route.key}")
            self._routes[key] = route

    def find(self, kind: InteractionType, key: str) -> Route | None:
        # Autocomplete requests belong to their command's route.
        if kind == InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE:
            kind = InteractionType.APPLICATION_COMMAND
        return self._routes.get((kind, key))

    def routes(self) -> list[Route]:
        return list(self._routes.values())

    def commands(self) -> list[dict[str, Any]]:
        return [r.command_json() for r in self._routes.values() if r.kind == InteractionType.APPLICATION_COMMAND]


@cache
def registry() -> Registry:
    routes: list[Route] = []
    for module_name in COMMAND_MODULES:
        routes.extend(importlib.import_module(module_name).ROUTES)
    return Registry(routes)
