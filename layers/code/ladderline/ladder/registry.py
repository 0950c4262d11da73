"""The one command registry: it routes jobs in the worker, decides the ingress's in-line answers,
and is what `ladderctl register` sends to Discord.

A route is keyed by a command name, or by the first part of a custom_id (`<route>:<arg>...`,
at most 100 characters in all). Each command module listed in COMMAND_MODULES declares its
routes (`ROUTES`) and may declare `TIMERS` (timer route -> handler) and `TICKS` (name -> handler,
run on every tick). Handlers take their database as an argument, so importing the registry (as
the ingress does) pulls in no database or AWS code.
"""

from __future__ import annotations

from functools import cache
from types import ModuleType
from typing import Any

from ladderline.discord.constants import InteractionType
from ladderline.ladder import fanout, queue_alerts, waves
from ladderline.ladder.command_locales import localized
from ladderline.ladder.commands import (
    activate,
    admin,
    applications,
    help,
    housekeeping,
    leaderboard,
    match,
    notifications,
    ping,
    profile,
    queue,
    replay,
    setcountry,
    setup,
    terms,
)
from ladderline.ladder.routes import Ack, Handler, Route

__all__ = ["COMMAND_MODULES", "FANOUT_ROUTES", "Ack", "Registry", "Route", "registry"]

# Every module that declares routes, timers or ticks; a new command module is added here.
COMMAND_MODULES: tuple[ModuleType, ...] = (
    ping, help, setup, setcountry, terms, activate, profile, leaderboard, queue, match, replay, notifications,
    admin, applications, housekeeping, fanout,
)

# The timers that send one group's share of a fan-out (a match's "found" DMs and reminders, a
# fan-out job's messages). They run in the worker's second lane (the fan-out queue), so a wave's
# minutes of sending at Discord's global limit never hold up a click, a command or a tick.
FANOUT_ROUTES = frozenset({fanout.DELIVER_ROUTE, waves.FOUND_TIMER, waves.REMIND_TIMER,
                           queue_alerts.ALERTS_ROUTE, queue_alerts.SEND_ROUTE})


FIRST_TICKS = ("confirmation_sweep",)


class Registry:
    def __init__(self, routes: list[Route], timers: dict[str, Handler] | None = None,
                 ticks: dict[str, Handler] | None = None) -> None:
        self._routes: dict[tuple[InteractionType, str], Route] = {}
        for route in routes:
            key = (route.kind, route.key)
            if key in self._routes:
                raise ValueError(f"duplicate route {route.key}")
            self._routes[key] = route
        self._timers = dict(timers or {})
        self._ticks = dict(ticks or {})

    @classmethod
    def from_modules(cls, modules: tuple[ModuleType, ...]) -> Registry:
        routes: list[Route] = []
        timers: dict[str, Handler] = {}
        ticks: dict[str, Handler] = {}
        for module in modules:
            routes.extend(module.ROUTES)
            for attribute, into in (("TIMERS", timers), ("TICKS", ticks)):
                for name, handler in getattr(module, attribute, {}).items():
                    if name in into:
                        raise ValueError(f"duplicate {attribute[:-1].lower()} {name}")
                    into[name] = handler
        return cls(routes, timers, ticks)

    def find(self, kind: InteractionType | int, key: str) -> Route | None:
        kind = InteractionType(kind)
        # Autocomplete requests belong to their command's route.
        if kind == InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE:
            kind = InteractionType.APPLICATION_COMMAND
        return self._routes.get((kind, key))

    def timer(self, route: str) -> Handler | None:
        return self._timers.get(route)

    def ticks(self) -> dict[str, Handler]:
        """Every tick handler, in the order one tick runs them: deadlines first, so a tick's other
        work (a 2,000-player wave pairs, commits and publishes for seconds) never makes one late."""
        ordered = {name: self._ticks[name] for name in FIRST_TICKS if name in self._ticks}
        ordered.update(self._ticks)
        return ordered

    def job_names(self) -> set[str]:
        """Every name a job's `route` (the metrics' `command` dimension) can have."""
        return {r.key for r in self._routes.values()} | set(self._timers) | set(self._ticks)

    def routes(self) -> list[Route]:
        return list(self._routes.values())

    def commands(self) -> list[dict[str, Any]]:
        return [localized(r.command_json()) for r in self._routes.values()
                if r.kind == InteractionType.APPLICATION_COMMAND]


@cache
def registry() -> Registry:
    return Registry.from_modules(COMMAND_MODULES)
