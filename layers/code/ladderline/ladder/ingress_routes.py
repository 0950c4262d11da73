"""The routes as the ingress sees them, without importing a single command handler.

The registry (ladder/registry.py) imports every command module, their handlers and the game data:
`python -X importtime` put that at ~60 ms, the largest part of the ingress's cold start, for
answers that need only each route's ack and ephemeral flag. The ingress reads this table instead
(ladder/ingress_table.py, generated from the registry); the few in-line answers that do run code
(modal builders, autocomplete) import their module on first use, and a SnapStart snapshot
imports them before it is taken (`preload`).

tests/unit/test_ingress_routes.py fails when the table and the registry disagree; regenerate with
    python -m ladderline.ladder.ingress_routes > layers/code/ladderline/ladder/ingress_table.py
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ladderline.discord.constants import InteractionType
from ladderline.ladder.acks import Ack

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the ingress's cold start)
if TYPE_CHECKING:
    from typing import Any

    from ladderline.discord.interaction import Interaction
    from ladderline.ladder.registry import Registry

# (interaction type, route key) -> (ack callback type, ephemeral, modal builder, autocomplete,
# ephemeral in the bot's DMs)
TableRow = tuple[int, bool, "str | None", "str | None", bool]


def _resolve(reference: str) -> Callable[..., Any]:
    module, _, name = reference.partition(":")
    target: Any = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target  # type: ignore[no-any-return]


class _Lazy:
    """A function named "module:qualname", imported on its first call."""

    def __init__(self, reference: str) -> None:
        self.reference = reference
        self._function: Callable[..., Any] | None = None

    def load(self) -> Callable[..., Any]:
        if self._function is None:
            self._function = _resolve(self.reference)
        return self._function

    def __call__(self, interaction: Interaction) -> Any:
        return self.load()(interaction)


class IngressRoute:
    """A plain class: a dataclass's generated code is compiled at import, on the cold start's path."""

    __slots__ = ("ack", "autocomplete", "ephemeral", "ephemeral_in_dm", "key", "modal")

    def __init__(self, key: str, ack: Ack, ephemeral: bool,
                 modal: Callable[[Interaction], dict[str, Any]] | None = None,
                 autocomplete: Callable[[Interaction], list[dict[str, Any]]] | None = None,
                 ephemeral_in_dm: bool = True) -> None:
        self.key = key
        self.ack = ack
        self.ephemeral = ephemeral
        self.modal = modal
        self.autocomplete = autocomplete
        self.ephemeral_in_dm = ephemeral_in_dm

    def ephemeral_for(self, guild_id: str | None) -> bool:
        """As Route.ephemeral_for: whether the answer is ephemeral where the interaction happened."""
        return self.ephemeral and (guild_id is not None or self.ephemeral_in_dm)


class IngressRoutes:
    """Registry.find for the ingress: the same routes, from the generated table."""

    def __init__(self, table: dict[tuple[int, str], TableRow]) -> None:
        self._routes: dict[tuple[int, str], IngressRoute] = {}
        for (kind, key), (ack, ephemeral, modal, autocomplete, ephemeral_in_dm) in table.items():
            self._routes[(kind, key)] = IngressRoute(key, Ack(ack), ephemeral, _Lazy(modal) if modal else None,
                                                     _Lazy(autocomplete) if autocomplete else None,
                                                     ephemeral_in_dm)

    def find(self, kind: InteractionType | int, key: str) -> IngressRoute | None:
        kind = int(kind)
        # Autocomplete requests belong to their command's route.
        if kind == InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE:
            kind = int(InteractionType.APPLICATION_COMMAND)
        return self._routes.get((kind, key))

    def preload(self) -> None:
        """Import every modal builder and autocomplete now (before a SnapStart snapshot)."""
        for route in self._routes.values():
            for function in (route.modal, route.autocomplete):
                if isinstance(function, _Lazy):
                    function.load()


def ingress_routes() -> IngressRoutes:
    from ladderline.ladder.ingress_table import TABLE

    return IngressRoutes(TABLE)


def _reference(function: Callable[..., Any] | None) -> str | None:
    if function is None:
        return None
    reference = f"{function.__module__}:{function.__qualname__}"
    if "<" in reference or _resolve(reference) is not function:
        raise ValueError(f"{reference}: modal builders and autocompletes must be module-level functions")
    return reference


def table_from(registry: Registry) -> dict[tuple[int, str], TableRow]:
    return {(int(route.kind), route.key): (int(route.ack.value), route.ephemeral, _reference(route.modal),
                                           _reference(route.autocomplete), route.ephemeral_in_dm)
            for route in registry.routes()}


def render(table: dict[tuple[int, str], TableRow]) -> str:
    lines = ['"""Generated from the registry by `python -m ladderline.ladder.ingress_routes`; do not edit.',
             "", "What the ingress needs of each route (ladder/ingress_routes.py explains why).", '"""',
             "",
             "TABLE = {",
             "    # (interaction type, route key): (ack callback type, ephemeral, modal builder, autocomplete,",
             "    #   ephemeral in the bot's DMs)"]
    lines += [f"    {key!r}: {row!r}," for key, row in table.items()]
    lines += ["}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    from ladderline.ladder.registry import registry

    print(render(table_from(registry())), end="")
