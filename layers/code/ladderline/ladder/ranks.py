"""Letter ranks S/A/B/C/D/E/F over the ranked (player, race) entries (DOMAIN.md §8).

Ranked: an entry that played at least one game within the last ACTIVE_DAYS days; everyone else
is unranked. Entries are ordered best first (MMR desc, then most recent game, then user id, then
race) and the letters are handed out in fixed shares: S 1 %, A 7 %, B 21 %, C 21 %, D 21 %,
E 21 %, F 8 %. Each letter first gets floor(N x share); what is left goes one at a time to D, C,
E, B, then (A, F, S) when F already outnumbers S + A, else (F, A, S).

The same allocation runs in SQL (ladder_rank_counts in 0005) for /profile and /leaderboard;
tests check both agree for every N up to a few hundred.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ladderline.ladder.context import Database

ACTIVE_DAYS = 30
LETTERS = ("S", "A", "B", "C", "D", "E", "F")
PERCENT = {"S": 1, "A": 7, "B": 21, "C": 21, "D": 21, "E": 21, "F": 8}
REMAINDER_ORDER = ("D", "C", "E", "B")


def counts(n: int) -> dict[str, int]:
    """How many of n ranked entries get each letter (sums to n)."""
    if n < 0:
        raise ValueError("a negative population")
    out = {letter: n * PERCENT[letter] // 100 for letter in LETTERS}
    left = n - sum(out.values())
    tail = ("A", "F", "S") if out["F"] > out["S"] + out["A"] else ("F", "A", "S")
    for letter in REMAINDER_ORDER + tail:
        if left == 0:
            break
        out[letter] += 1
        left -= 1
    assert left == 0  # the shares' fractional parts sum to less than 7
    return out


def letters(n: int) -> list[str]:
    """The letter of each position 1..n (index 0 is the best entry)."""
    found = counts(n)
    return [letter for letter in LETTERS for _ in range(found[letter])]


def letter_at(position: int, n: int) -> str:
    """The letter of 1-based `position` among n ranked entries."""
    if not 1 <= position <= n:
        raise ValueError("position outside the ranked population")
    return letters(n)[position - 1]


# The ranks every view shows come from a snapshot (migration 0011) rebuilt by its own scheduled
# function when a rating or a player's country/region changed. Nothing changed for this long: it is
# rebuilt anyway (a change made by hand without updated_at still shows within this time).
SNAPSHOT_MAX_AGE_SECONDS = 600


def refresh_snapshot(db: Database, at: datetime, *, force: bool = False) -> dict[str, Any]:
    """Rebuild the ranks snapshot if it is out of date (one call): {"status": "refreshed" | "fresh" |
    "busy" (another refresh is running), "total": ranked entries, "build_ms": ...}."""
    result = db.call("ladder_refresh_ranks", at, force, SNAPSHOT_MAX_AGE_SECONDS)
    return dict(result or {})
