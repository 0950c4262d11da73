"""The replay parser: sc2reader at load level 4 -> ReplaySummary. Run as a child process by
bounded.py (`python -m ladderline.replays.parse` reads the file on stdin and writes one JSON line):
this module is the only one that imports sc2reader (~170 ms, and Pillow with it)."""

from __future__ import annotations

import io
import json
import sys
from typing import Any

from ladderline.replays.summary import ReplayPlayer, ReplaySummary


class NotAReplay(ValueError):
    """The bytes are not a StarCraft II replay sc2reader can read (said in one line)."""


_RESULTS = {"win": "Win", "loss": "Loss", "tie": "Tie"}


def _player(p: Any) -> ReplayPlayer:
    result = _RESULTS.get(str(getattr(p, "result", "") or "").lower())
    return ReplayPlayer(name=str(p.name), race=str(getattr(p, "play_race", "") or ""),
                        human=bool(p.is_human), result=result)


def summarise(data: bytes) -> ReplaySummary:
    import sc2reader  # only here: see the module's docstring

    if not data.startswith(b"MPQ"):
        raise NotAReplay("not a StarCraft II replay (no MPQ archive header)")
    try:
        replay = sc2reader.load_replay(io.BytesIO(data), load_level=4)
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 - sc2reader raises any kind on broken input
        raise NotAReplay(f"not a readable replay ({type(error).__name__})") from None
    try:
        description = replay.raw_data["replay.initData"]["game_description"]
        handles = tuple(str(getattr(h, "url", h)) for h in description.get("cache_handles") or ())
    except (KeyError, TypeError):
        handles = ()
    return ReplaySummary(
        players=tuple(_player(p) for p in replay.players),
        observers=len(replay.observers),
        map_name=str(replay.map_name or ""),
        start_time=replay.start_time.timestamp(),
        game_seconds=float(replay.real_length.total_seconds()),
        lobby={str(k): str(v) for k, v in (replay.attributes.get(16) or {}).items()},
        dependencies=handles,
        teams=len(replay.teams),
        release=str(replay.release_string or ""),
    )


def _peak_mb(fallback: float) -> float:
    """This process's own peak resident memory: what a replay costs, start-up and imports included.
    VmHWM belongs to this program's memory map; ru_maxrss is kept across exec on Linux, so after a
    fork from a large parent it reports the parent's size."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return fallback


def main() -> int:
    import resource

    data = sys.stdin.buffer.read()
    try:
        answer: dict[str, Any] = {"summary": summarise(data).to_json()}
    except NotAReplay as error:
        answer = {"refused": str(error)}
    answer["peak_mb"] = _peak_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    sys.stdout.write(json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
