"""The exact pairing: used for queues up to matchmaking.EXACT_UP_TO players, and the oracle of the
scalable pairing's property tests.

For fixed sides the best pairing is an assignment problem, solved exactly by the Hungarian
algorithm in O(n³); players queueing both games are tried on every split of sides when there are
at most EXACT_SPLIT_LIMIT of them (exact), otherwise split by balancing the sides. Exponential in
the number of two-game players and cubic in the queue: for a few hundred players at most.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from ladderline.ladder.matchmaking import BW, SC2, Entry, Pair, pair_cost, score

EXACT_SPLIT_LIMIT = 6


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


def run_wave_exact(queue: Sequence[Entry], is_blocked: Callable[[str | None, str | None], bool] = lambda a, b: False,
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
