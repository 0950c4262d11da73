"""What the ladder reads from a replay, as plain data: it crosses a process boundary as JSON (the
parser runs in a child process, see bounded.py) and the checks never see sc2reader's objects."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ReplayPlayer:
    name: str
    race: str  # as the recording client names it ("Zerg", "BW Terran", "스1 테란")
    human: bool
    result: str | None  # "Win" | "Loss" | "Tie" | None (unknown)


@dataclass(frozen=True)
class ReplaySummary:
    players: tuple[ReplayPlayer, ...]
    observers: int
    map_name: str
    start_time: float  # epoch seconds (UTC) the game started
    game_seconds: float  # the game's length in real seconds
    lobby: dict[str, str] = field(default_factory=dict)  # attribute block 16: "Game Privacy", ...
    dependencies: tuple[str, ...] = ()  # cache handle URLs (…/<sha256>.s2ma)
    teams: int = 0
    release: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReplaySummary:
        return cls(players=tuple(ReplayPlayer(**p) for p in data["players"]), observers=int(data["observers"]),
                   map_name=str(data["map_name"]), start_time=float(data["start_time"]),
                   game_seconds=float(data["game_seconds"]), lobby=dict(data.get("lobby") or {}),
                   dependencies=tuple(data.get("dependencies") or ()), teams=int(data.get("teams") or 0),
                   release=str(data.get("release") or ""))
