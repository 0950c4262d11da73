"""One matchmaking wave as a pure function: a queue snapshot in, the pairs to create out.

Rules (the original ladder's, DOMAIN.md §4):
- A match is always one Brood War race against one StarCraft II race. A player queues with at
  most one race of each game; a player with both may end up on either side.
- A player's allowed MMR gap is 100 + 50 x waves waited, counting the wave being run (a
  player's first wave allows 150). A pair is allowed when its gap fits EITHER player's allowance,
  so a long-waiting player widens the search for both.
- Region pairs whose connection is unplayable (static_data.blocked_pairs) are never paired.
- Among the allowed pairings the wave takes the one with the most pairs, then the least total
  cost, where a pair costs gap² minus WAIT_BONUS x (waves of both players): close games first,
  long waits break ties. (Minimising cost alone would rather leave two players waiting than
  pair them 140 MMR apart, which is not what a queue is for.)

The optimum for fixed sides is an assignment problem, solved exactly by the Hungarian algorithm
in O(n³) (own implementation below). Players queueing both games make the problem a general
matching; when there are at most EXACT_SPLIT_LIMIT of them every split of them into sides is
tried (exact), otherwise they are split by balancing the sides (like the original bot).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

BASE_ALLOWANCE = 100
ALLOWANCE_PER_WAVE = 50
WAIT_BONUS = 20
EXACT_SPLIT_LIMIT = 6

BW, SC2 = "bw", "sc2"


@dataclass(frozen=True)
class Entry:
    """A queued player as the wave sees it. `waves` counts the waves already survived."""

    user_id: int
    bw_race: str | None
    sc2_race: str | None
    bw_mmr: int | None
    sc2_mmr: int | None
    region: str | None
    waves: int = 0

    def mmr(self, side: str) -> int:
        value = self.bw_mmr if side == BW else self.sc2_mmr
        assert value is not None
        return value

    def plays(self, side: str) -> bool:
        return (self.bw_race if side == BW else self.sc2_race) is not None


@dataclass(frozen=True)
class Pair:
    """bw plays their Brood War race against sc2's StarCraft II race."""

    bw: Entry
    sc2: Entry
    cost: int

    @property
    def gap(self) -> int:
        return abs(self.bw.mmr(BW) - self.sc2.mmr(SC2))


def allowance(waves_waited: int) -> int:
    """The largest MMR gap a player accepts in a wave, counting that wave (>= 1)."""
    return BASE_ALLOWANCE + ALLOWANCE_PER_WAVE * waves_waited


def pair_cost(bw: Entry, sc2: Entry, is_blocked: Callable[[str | None, str | None], bool]) -> int | None:
    """The cost of pairing bw (Brood War side) with sc2 (StarCraft II side) in this wave, or None
    when they may not be paired."""
    if bw.user_id == sc2.user_id or not bw.plays(BW) or not sc2.plays(SC2):
        return None
    if is_blocked(bw.region, sc2.region):
        return None
    gap = abs(bw.mmr(BW) - sc2.mmr(SC2))
    waves_bw, waves_sc2 = bw.waves + 1, sc2.waves + 1
    if gap > allowance(waves_bw) and gap > allowance(waves_sc2):
        return None
    return gap * gap - WAIT_BONUS * (waves_bw + waves_sc2)


def hungarian(cost: Sequence[Sequence[int]]) -> list[int]:
    """Minimum-cost assignment of every row to a distinct column (rows <= columns), O(n²m).

    Returns assignment[row] = column. Integer costs stay exact (no float potentials).
    """
    n = len(cost)
    if n == 0:
        return []
    m = len(cost[0])
    if n > m:
        raise ValueError("hungarian needs rows <= columns")
    # Potentials u (rows) and v (columns), 1-based with a virtual column 0 (the classic
    # shortest-augmenting-path formulation).
    u = [0] * (n + 1)
    v = [0] * (m + 1)
    owner = [0] * (m + 1)  # owner[j] = row matched to column j (0: none)
    way = [0] * (m + 1)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        min_slack: list[int | None] = [None] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0 = owner[j0]
            delta: int | None = None
            j1 = 0
            row = cost[i0 - 1]
            for j in range(1, m + 1):
                if used[j]:
                    continue
                current = row[j - 1] - u[i0] - v[j]
                slack = min_slack[j]
                if slack is None or current < slack:
                    min_slack[j] = slack = current
                    way[j] = j0
                if delta is None or slack < delta:
                    delta = slack
                    j1 = j
            assert delta is not None
            for j in range(m + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    slack = min_slack[j]
                    if slack is not None:
                        min_slack[j] = slack - delta
            j0 = j1
            if owner[j0] == 0:
                break
        while True:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
            if j0 == 0:
                break
    assignment = [0] * n
    for j in range(1, m + 1):
        if owner[j]:
            assignment[owner[j] - 1] = j - 1
    return assignment


def _pair_sides(bw_side: Sequence[Entry], sc2_side: Sequence[Entry],
                is_blocked: Callable[[str | None, str | None], bool]) -> list[Pair]:
    """The best pairing between two fixed sides: most pairs, then least total cost."""
    if not bw_side or not sc2_side:
        return []
    costs = [[pair_cost(b, s, is_blocked) for s in sc2_side] for b in bw_side]
    allowed = [c for row in costs for c in row if c is not None]
    if not allowed:
        return []
    # Each allowed cell is shifted down by `big` (more than any sum of real costs can differ),
    # and "not paired" costs 0: the minimum then has the most pairs, and among those the least cost.
    spread = max(allowed) - min(allowed)
    big = (spread + 1) * (min(len(bw_side), len(sc2_side)) + 1) + max(0, max(allowed)) + 1
    matrix = [[(c - big) if c is not None else 0 for c in row] for row in costs]
    transposed = len(bw_side) > len(sc2_side)
    if transposed:
        matrix = [list(col) for col in zip(*matrix, strict=True)]
    assignment = hungarian(matrix)
    pairs = []
    for row, col in enumerate(assignment):
        b, s = (col, row) if transposed else (row, col)
        c = costs[b][s]
        if c is not None:
            pairs.append(Pair(bw_side[b], sc2_side[s], c))
    return pairs


def score(pairs: Sequence[Pair]) -> tuple[int, int]:
    """Lower is better: (−pairs, total cost)."""
    return -len(pairs), sum(p.cost for p in pairs)


def _balanced_split(bw_only: list[Entry], sc2_only: list[Entry], both: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """Sides for many two-game players: fill the shorter side first with those who are relatively
    stronger in its game, then alternate (the original bot's equalisation, simplified)."""
    bw, sc2 = list(bw_only), list(sc2_only)
    # Most Brood-War-leaning first.
    leaning = sorted(both, key=lambda e: (e.sc2_mmr or 0) - (e.bw_mmr or 0))
    while leaning:
        if len(bw) <= len(sc2):
            bw.append(leaning.pop(0))
        else:
            sc2.append(leaning.pop())
    return bw, sc2


def run_wave(queue: Sequence[Entry], is_blocked: Callable[[str | None, str | None], bool] = lambda a, b: False,
             ) -> list[Pair]:
    """The pairs of one wave (each player at most once, every pair allowed), best first by cost."""
    entries = sorted(queue, key=lambda e: e.user_id)  # the result must not depend on the order given
    if len({e.user_id for e in entries}) != len(entries):
        raise ValueError("a player is in the queue twice")
    bw_only = [e for e in entries if e.plays(BW) and not e.plays(SC2)]
    sc2_only = [e for e in entries if e.plays(SC2) and not e.plays(BW)]
    both = [e for e in entries if e.plays(BW) and e.plays(SC2)]
    if len(both) <= EXACT_SPLIT_LIMIT:
        best: list[Pair] = []
        for sides in itertools.product((BW, SC2), repeat=len(both)):
            bw = bw_only + [e for e, side in zip(both, sides, strict=True) if side == BW]
            sc2 = sc2_only + [e for e, side in zip(both, sides, strict=True) if side == SC2]
            found = _pair_sides(bw, sc2, is_blocked)
            if score(found) < score(best):
                best = found
    else:
        best = _pair_sides(*_balanced_split(bw_only, sc2_only, both), is_blocked)
    return sorted(best, key=lambda p: (p.cost, p.bw.user_id))
