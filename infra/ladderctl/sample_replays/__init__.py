"""Real replays for the local tools and the tests (see README.md here for their source and licence).

No public SC: Evo Complete replay exists, so the local stack counts one of these replays' own
dependencies (Blizzard's Liberty mod) as the mod (REPLAY_MOD_HANDLES), and `make demo` builds a
match to fit the ZVP replay: SC2 Zerg vs SC2 Protoss on Odyssey LE, which the ladder never pairs.
"""

from __future__ import annotations

from pathlib import Path

REPLAYS = Path(__file__).resolve().parent
ZVP = REPLAYS / "zvp_odyssey_4.0.1.SC2Replay"  # FisterRoboto (Zerg) loses to Beren (Protoss)
PVT_AI = REPLAYS / "pvt_ai_acid_plant_4.7.0.SC2Replay"
ZVP_STARTED = 1510972724.0  # 2017-11-18 02:38:44 UTC, as sc2reader reads it
ZVP_MAP = "Odyssey LE"
# One of the ZVP replay's own dependencies (Blizzard's Liberty mod, in every SC2 replay): a
# deployment that lists it in REPLAY_MOD_HANDLES accepts plain SC2 replays as played with the mod.
ZVP_HANDLE = "6de41503baccd05656360b6f027db88169fa1989bb6357b1b215a2547939f5fb"
