"""The real replays the local tools ship (infra/ladderctl/sample_replays: sc2reader's public test
set, MIT; see its README) and a match built to fit one, as the ladder never pairs two SC2 races."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from ladderctl.sample_replays import PVT_AI, REPLAYS, ZVP, ZVP_HANDLE, ZVP_STARTED
from ladderline.replays.summary import ReplaySummary

PVZ_AI_NO_HISTORY = REPLAYS / "pvz_ai_no_match_history_4.4.0.SC2Replay"
TWO_V_TWO = REPLAYS / "2v2_high_orbit_1.1.0.SC2Replay"
__all__ = ["PVT_AI", "PVZ_AI_NO_HISTORY", "REPLAYS", "TWO_V_TWO", "ZVP", "ZVP_HANDLE", "ZVP_STARTED", "summary_of",
           "zvp_match"]


@cache
def summary_of(path: Path) -> ReplaySummary:
    from ladderline.replays.parse import summarise

    return summarise(path.read_bytes())


def zvp_match(**changes: Any) -> dict[str, Any]:
    """The ZVP replay's match as ladder_match_json answers it: Zerg (player 1) vs Protoss (player 2)
    on Odyssey LE, confirmed a minute before the game started."""
    match = {
        "match_id": 1, "status": "confirmed", "map": "Odyssey LE", "confirmed_at": ZVP_STARTED - 60,
        "players": [
            {"user_id": "1001", "name": "FisterRoboto", "battletag": "FisterRoboto#123", "alt_names": [],
             "race": "sc2_zerg"},
            {"user_id": "1002", "name": "Beren", "battletag": "Beren#456", "alt_names": [], "race": "sc2_protoss"},
        ],
    }
    return {**match, **changes}
