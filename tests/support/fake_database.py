"""An in-memory stand-in for the database port (ladderline.ladder.context.Database).

Each SQL function a test needs is a Python callable given by name; a call of any other function
fails loudly, so a command that starts calling something new shows up. Calls are recorded with
their arguments. It is for fast tests of a command's logic and rendering; what the SQL functions
really do is tested against PostgreSQL (tests/integration).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class UnknownFunction(AssertionError):
    pass


class FakeDatabase:
    """`language`: what ladder_language answers (the player's /setup choice; None: none), asked with
    a command's first call (call_pair, as the real adapter does) or alone."""

    def __init__(self, language: str | None = None, **functions: Callable[..., Any]) -> None:
        self._functions = {"ladder_language": lambda user, locale: language, **functions}
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.round_trips = 0
        self.time_ms = 0.0

    def call(self, function: str, *args: Any) -> Any:
        self.round_trips += 1
        self.calls.append((function, args))
        if function not in self._functions:
            raise UnknownFunction(f"the fake database has no {function}()")
        return self._functions[function](*args)

    def call_pair(self, first: tuple[str, tuple[Any, ...]], second: tuple[str, tuple[Any, ...]]) -> tuple[Any, Any]:
        """One round trip for two functions; `calls` records the command's own (the first)."""
        value = self.call(first[0], *first[1])
        return value, self._functions[second[0]](*second[1])

    def close(self) -> None:
        pass
