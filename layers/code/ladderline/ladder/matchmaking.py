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

How it scales (10,000 queued players in well under a second of CPU, memory linear in the queue):
- The allowed-pair graph is a band in MMR, and a close game is what a pair is for, so each player
  keeps only their CANDIDATES nearest allowed opponents below and above their MMR (and is kept by
  the opponents who chose them): a sparse graph of at most 4 x CANDIDATES edges a player.
- On it, the best pairing (most pairs, then least cost) is a minimum-cost assignment of every
  Brood War node to an opponent or to "unpaired", solved exactly by shortest augmenting paths
  with potentials (Dijkstra over the sparse edges, stopping at the first free opponent: in a band
  the search stays local). Players are added in MMR order, after a greedy start that seats every
  player whose cheapest opponent is still free.
- A player queueing both games has a node on each side. If the optimum uses both, the player
  keeps the cheaper pair, the other node is removed, and the pairing is repaired by the same
  augmenting paths (each round settles at least one such player: no exponential split search).
The exact algorithm (Hungarian, O(n³), every split of up to 6 two-game players;
ladder/pairing_exact.py) still pairs queues up to EXACT_UP_TO players, and is the oracle of the
sparse pairing's property tests. Measured against it (Part P of `make bench`), the sparse pairing
is not yet as good with many two-game players: see docs/benchmarks.md.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass

BASE_ALLOWANCE = 100
ALLOWANCE_PER_WAVE = 50
WAIT_BONUS = 20
# Allowed opponents each player keeps on each side of their MMR: more is closer to the exact
# optimum in crowded, one-sided stretches of the queue, fewer is faster. Large queues keep fewer
# (measured: `python -m tests.bench --only p`).
CANDIDATES = 16
CANDIDATES_LARGE = 6
LARGE_QUEUE = 1000
# Up to this many queued players the exact pairing runs (ladder/pairing_exact.py): it is cubic,
# under 0.1 s at 200 players (1.5 s when it tries all 64 splits of six two-game players, and 16 s
# at 500: the worker's timeout is 15 s); above, the sparse one (`python -m tests.bench --only p`).
EXACT_UP_TO = 200
# Rounds of "each keeps its cheaper side" before every two-game player is given a side at once.
SETTLE_ROUNDS = 2

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


def score(pairs: Sequence[Pair]) -> tuple[int, int]:
    """Lower is better: (−pairs, total cost)."""
    return -len(pairs), sum(p.cost for p in pairs)


Blocked = Callable[[str | None, str | None], bool]


def _candidates(rows: list[Entry], cols: list[Entry], is_blocked: Blocked, keep: int) -> list[dict[int, int]]:
    """For each row (Brood War node) its allowed columns (StarCraft II nodes) with their cost: the
    `keep` nearest allowed on each side of its MMR, plus every column that chose it so.

    pair_cost's rule, on plain lists (this runs for every player of a 10,000-player wave)."""
    edges: list[dict[int, int]] = [{} for _ in rows]
    # The widest allowance anyone has: no allowed opponent is further away than that.
    reach = allowance(max((e.waves for e in (*rows, *cols)), default=0) + 1)
    blocked: dict[tuple[str | None, str | None], bool] = {}

    def facts(entries: list[Entry], side: str) -> tuple[list[int], list[int], list[int], list[str | None], list[int]]:
        return ([e.mmr(side) for e in entries], [e.user_id for e in entries],
                [allowance(e.waves + 1) for e in entries], [e.region for e in entries], [e.waves + 1 for e in entries])

    row_mmr, row_user, row_allow, row_region, row_waves = facts(rows, BW)
    col_mmr, col_user, col_allow, col_region, col_waves = facts(cols, SC2)
    # Both sides are sorted by (MMR, user id). A node's neighbours are counted from its own place
    # in that order, not from the first of its MMR: a new ladder has everyone at the same MMR, and
    # the nearest `keep` of a tie must differ from player to player, or a thousand players would
    # all keep the same few opponents (and a wave would pair only those).
    row_keys = list(zip(row_mmr, row_user, strict=True))
    col_keys = list(zip(col_mmr, col_user, strict=True))

    def nearest(i: int, mine_is_row: bool) -> list[tuple[int, int]]:
        """(index, cost) of the nearest allowed opponents of node i, up to `keep` on each side."""
        if mine_is_row:
            mmr, user, allow, region, waves = row_mmr[i], row_user[i], row_allow[i], row_region[i], row_waves[i]
            keys, users, allows, regions, waits = col_mmr, col_user, col_allow, col_region, col_waves
            order = col_keys
        else:
            mmr, user, allow, region, waves = col_mmr[i], col_user[i], col_allow[i], col_region[i], col_waves[i]
            keys, users, allows, regions, waits = row_mmr, row_user, row_allow, row_region, row_waves
            order = row_keys
        found = []
        at = bisect.bisect_left(order, (mmr, user))
        for step, start in ((-1, at - 1), (1, at)):
            kept, k = 0, start
            while 0 <= k < len(keys) and kept < keep:
                gap = abs(keys[k] - mmr)
                if gap > reach:
                    break
                if users[k] != user and (gap <= allow or gap <= allows[k]):
                    pair = (region, regions[k]) if mine_is_row else (regions[k], region)
                    no = blocked.get(pair)
                    if no is None:
                        no = blocked[pair] = is_blocked(*pair)
                    if not no:
                        found.append((k, gap * gap - WAIT_BONUS * (waves + waits[k])))
                        kept += 1
                k += step
        return found

    for i in range(len(rows)):
        edges[i].update(nearest(i, True))
    for j in range(len(cols)):
        for i, cost in nearest(j, False):
            edges[i][j] = cost
    return edges


class _Assignment:
    """Minimum-cost assignment of every row to one of its columns or to its own "unpaired" column,
    by shortest augmenting paths with potentials (exact on the graph it is given).

    Column ids: 0..n_cols-1 the real columns, n_cols + r the unpaired column of row r (cost 0).
    A real pair costs its cost minus `big`, more than any two sets of pairs' costs can differ, so
    the minimum has the most pairs first, then the least cost."""

    def __init__(self, edges: list[dict[int, int]], n_cols: int) -> None:
        self.n_cols = n_cols
        spread = [c for row in edges for c in row.values()]
        big = (max(spread) - min(spread) + 1) * (len(edges) + 1) + max(0, max(spread)) + 1 if spread else 1
        self.adj: list[list[tuple[int, int]]] = [
            [(j, c - big) for j, c in row.items()] + [(n_cols + r, 0)] for r, row in enumerate(edges)]
        self.u = [min(c for _, c in row) for row in self.adj]  # reduced costs c - u - v >= 0
        self.v = [0] * (n_cols + len(edges))
        self.owner: list[int | None] = [None] * (n_cols + len(edges))
        self.col_of: list[int | None] = [None] * len(edges)

    def seat_greedily(self, order: Sequence[int]) -> None:
        """Every row whose cheapest column is free takes it (reduced cost 0: the potentials hold)."""
        for r in order:
            u = self.u[r]
            for j, c in self.adj[r]:
                if c == u and self.owner[j] is None:
                    self.owner[j], self.col_of[r] = r, j
                    break

    def augment(self, source: int) -> None:
        """Seat row `source` along a shortest augmenting path (Dijkstra on reduced costs)."""
        u, v, owner, adj = self.u, self.v, self.owner, self.adj
        dist: dict[int, int] = {}
        came_from: dict[int, int] = {}  # column -> the row that reached it
        done: list[tuple[int, int]] = []  # (column, distance) in the order they were settled
        settled: set[int] = set()
        heap: list[tuple[int, int, int]] = []
        for j, c in adj[source]:
            d = c - u[source] - v[j]
            if d < dist.get(j, d + 1):
                dist[j] = d
                heapq.heappush(heap, (d, j, source))
        free = -1
        total = 0
        while heap:
            d, j, r = heapq.heappop(heap)
            if j in settled or d > dist[j]:
                continue
            settled.add(j)
            came_from[j] = r
            done.append((j, d))
            holder = owner[j]
            if holder is None:
                free, total = j, d
                break
            base = d - u[holder]
            for j2, c in adj[holder]:
                if j2 in settled:
                    continue
                d2 = base + c - v[j2]
                if d2 < dist.get(j2, d2 + 1):
                    dist[j2] = d2
                    heapq.heappush(heap, (d2, j2, holder))
        if free < 0:
            raise AssertionError("every row has its own unpaired column: a free column is always reachable")
        # Potentials: every settled column moves by (its distance - the path's), so the path's
        # edges become tight and no reduced cost turns negative.
        u[source] += total
        for j, d in done:
            if j != free:
                v[j] -= total - d
                holder = owner[j]
                if holder is not None:
                    u[holder] += total - d
        # Flip the path.
        j = free
        while True:
            r = came_from[j]
            previous = self.col_of[r]
            owner[j], self.col_of[r] = r, j
            if r == source:
                break
            assert previous is not None
            j = previous


def _pairs(rows: list[Entry], cols: list[Entry], edges: list[dict[int, int]],
           skip_rows: frozenset[int], skip_cols: frozenset[int]) -> list[tuple[int, int]]:
    """The best (row, column) pairs of the candidate graph without the skipped nodes."""
    if skip_rows or skip_cols:
        edges = [{} if r in skip_rows else {j: c for j, c in row.items() if j not in skip_cols}
                 for r, row in enumerate(edges)]
    # The smaller side searches: a search that finds no opponent explores its whole stretch of
    # the queue, and on the smaller side fewer players end unpaired.
    flipped = len(rows) > len(cols)
    if flipped:
        by_col: list[dict[int, int]] = [{} for _ in cols]
        for r, row in enumerate(edges):
            for j, c in row.items():
                by_col[j][r] = c
        edges, n_rows, n_cols = by_col, len(cols), len(rows)
    else:
        n_rows, n_cols = len(rows), len(cols)
    solver = _Assignment(edges, n_cols)
    solver.seat_greedily(range(n_rows))
    for r in range(n_rows):
        if solver.col_of[r] is None:
            solver.augment(r)
    found = [(r, j) for r, j in enumerate(solver.col_of) if j is not None and j < n_cols]
    return [(j, r) for r, j in found] if flipped else found


# Two-game players seated on both sides whose every combination of sides is tried (at most 2^6
# solves); with more, each keeps its cheaper side and the pairing is solved again.
SETTLE_BOTH_WAYS = 6


def run_wave(queue: Sequence[Entry], is_blocked: Blocked = lambda a, b: False) -> list[Pair]:
    """The pairs of one wave (each player at most once, every pair allowed), best first by cost:
    exact up to EXACT_UP_TO players (where it takes well under a second), sparse beyond."""
    if len(queue) <= EXACT_UP_TO:
        from ladderline.ladder.pairing_exact import run_wave_exact

        return run_wave_exact(queue, is_blocked)
    return run_wave_sparse(queue, is_blocked)


def run_wave_sparse(queue: Sequence[Entry], is_blocked: Blocked = lambda a, b: False) -> list[Pair]:
    """The sparse pairing (this module's docstring), whatever the queue's size."""
    entries = sorted(queue, key=lambda e: e.user_id)  # the result must not depend on the order given
    if len({e.user_id for e in entries}) != len(entries):
        raise ValueError("a player is in the queue twice")
    rows = sorted((e for e in entries if e.plays(BW)), key=lambda e: (e.mmr(BW), e.user_id))
    cols = sorted((e for e in entries if e.plays(SC2)), key=lambda e: (e.mmr(SC2), e.user_id))
    if not rows or not cols:
        return []
    large = len(entries) > LARGE_QUEUE
    edges = _candidates(rows, cols, is_blocked, CANDIDATES_LARGE if large else CANDIDATES)
    # A large queue's time goes to whole solves: every two-game player gets a side after the
    # first settling round, and pairs the full graph adds are kept as found (not re-costed).
    settle_rounds = 1 if large else SETTLE_ROUNDS
    row_of = {e.user_id: i for i, e in enumerate(rows)}
    col_of = {e.user_id: j for j, e in enumerate(cols) if e.user_id in row_of}  # two-game players

    def value(found: list[tuple[int, int]]) -> tuple[int, int]:
        return -len(found), sum(edges[r][j] for r, j in found)

    def settle(skip_rows: frozenset[int], skip_cols: frozenset[int], exhaustive: bool) -> list[tuple[int, int]]:
        """A player seated on both sides plays one of them: the other node is left out and the
        pairing solved again. Every round settles at least one player, so it ends."""
        rounds = 0
        while True:
            found = _pairs(rows, cols, edges, skip_rows, skip_cols)
            seated_rows = {r: j for r, j in found}
            seated_cols = {j: r for r, j in found}
            twice = [u for u, j in col_of.items() if j in seated_cols and row_of[u] in seated_rows]
            if not twice:
                return found
            if exhaustive and len(twice) <= SETTLE_BOTH_WAYS:
                user = twice[0]
                return min((settle(skip_rows, skip_cols | {col_of[user]}, True),
                            settle(skip_rows | {row_of[user]}, skip_cols, True)), key=value)
            # Many: each keeps the side of its cheaper pair, and the pairing is solved again; after
            # SETTLE_ROUNDS rounds every two-game player gets a side at once (seated: that side;
            # unseated: Brood War), so the next solve is the last.
            rounds += 1
            exhaustive = False  # only the first solve's players are tried both ways
            drop_rows, drop_cols = set(skip_rows), set(skip_cols)
            # Ties (equal costs both ways, or seated nowhere) go to the side fewer have taken:
            # in a new ladder everyone is at the same MMR, and all taking one side pairs nobody.
            balance = 0
            for user, j in col_of.items():
                r = row_of[user]
                if r in drop_rows or j in drop_cols:
                    continue
                if user in twice:
                    bw_cost, sc2_cost = edges[r][seated_rows[r]], edges[seated_cols[j]][j]
                    keep_bw = bw_cost < sc2_cost or (bw_cost == sc2_cost and balance <= 0)
                elif rounds >= settle_rounds:
                    seated_bw, seated_sc2 = r in seated_rows, j in seated_cols
                    keep_bw = seated_bw if seated_bw != seated_sc2 else balance <= 0
                else:
                    continue
                balance += 1 if keep_bw else -1
                if keep_bw:
                    drop_cols.add(j)
                else:
                    drop_rows.add(r)
            skip_rows, skip_cols = frozenset(drop_rows), frozenset(drop_cols)

    found = settle(frozenset(), frozenset(), True)
    grown = _grow_to_maximum(rows, cols, found, is_blocked)
    if len(grown) > len(found) and not large:
        # The nearest candidates lacked edges a maximum pairing needs: solve once more for the
        # least cost on the candidates plus those edges (every two-game player keeps the side the
        # grown pairing gave them), so the extra pairs are the cheapest ones, not the first found.
        seated_rows = {r for r, _ in grown}
        seated_cols = {j for _, j in grown}
        skip_rows = frozenset(row_of[u] for u, j in col_of.items() if j in seated_cols)
        skip_cols = frozenset(j for u, j in col_of.items() if j not in seated_cols)
        widened = [dict(row) for row in edges]
        for r, j in grown:
            cost = pair_cost(rows[r], cols[j], is_blocked)
            assert cost is not None
            widened[r][j] = cost
        del seated_rows
        resolved = _pairs(rows, cols, widened, skip_rows, skip_cols)
        found = resolved if len(resolved) >= len(grown) else grown
        edges = widened
    else:
        found = grown
        for r, j in grown:
            if j not in edges[r]:
                cost = pair_cost(rows[r], cols[j], is_blocked)
                assert cost is not None
                edges[r][j] = cost
    pairs = [Pair(rows[r], cols[j], edges[r][j]) for r, j in found]
    return sorted(pairs, key=lambda p: (p.cost, p.bw.user_id))


def _grow_to_maximum(rows: list[Entry], cols: list[Entry], found: list[tuple[int, int]], is_blocked: Blocked,
                     ) -> list[tuple[int, int]]:
    """Add pairs along augmenting paths in the FULL allowed graph (not just the nearest
    candidates) until there are none: the pairing then has the most pairs any pairing can have
    (for the sides the two-game players were given).

    Depth-first augmenting paths from each unpaired row (Kuhn's algorithm), a pass over all of
    them at a time, until a pass adds nothing. Columns are grouped by (region, waves): within a
    group one MMR range holds every allowed opponent of a row, and a column is tried once a pass
    ("next untried" pointers), so a pass costs about players x groups, never players x opponents."""
    row_col = dict(found)
    col_owner = {j: r for r, j in found}
    row_users = {e.user_id for e in rows}
    seated = {rows[r].user_id for r in row_col} | {cols[j].user_id for j in col_owner}
    # A two-game player who sits out on one side stays out there; one seated nowhere may only
    # be added as Brood War (one side, never both).
    free_rows = [r for r in range(len(rows)) if r not in row_col and rows[r].user_id not in seated]
    usable = [j for j in range(len(cols)) if j in col_owner or cols[j].user_id not in row_users]
    grouped: dict[tuple[str | None, int], list[int]] = {}
    for j in usable:
        grouped.setdefault((cols[j].region, cols[j].waves), []).append(j)
    groups = []
    for (region, waves), members in grouped.items():
        members.sort(key=lambda j: cols[j].mmr(SC2))
        groups.append((region, allowance(waves + 1), members, [cols[j].mmr(SC2) for j in members]))
    # Each row's reach into each group (None: region pair blocked), shared by rows alike.
    by_kind: dict[tuple[str | None, int], list[int | None]] = {}
    reach_of = []
    for e in rows:
        kind = (e.region, e.waves)
        if kind not in by_kind:
            by_kind[kind] = [None if is_blocked(e.region, region) else max(allowance(e.waves + 1), theirs)
                             for region, theirs, _, _ in groups]
        reach_of.append(by_kind[kind])

    def next_col(row: int, state: list[int], tried: list[list[int]]) -> int | None:
        """The next untried allowed column of `row`; state = [group, index, end] (index -1: not started)."""
        me = rows[row]
        x = me.mmr(BW)
        while state[0] < len(groups):
            g = state[0]
            reach = reach_of[row][g]
            if reach is None:
                state[0], state[1] = g + 1, -1
                continue
            _, _, members, keys = groups[g]
            if state[1] < 0:
                state[1] = bisect.bisect_left(keys, x - reach)
                state[2] = bisect.bisect_right(keys, x + reach)
            k = _unvisited(tried[g], state[1])
            while k < state[2] and cols[members[k]].user_id == me.user_id:
                k = _unvisited(tried[g], k + 1)
            if k < state[2]:
                tried[g][k] = k + 1
                state[1] = k + 1
                return members[k]
            state[0], state[1] = g + 1, -1
        return None

    while free_rows:
        tried = [list(range(len(members) + 1)) for _, _, members, _ in groups]
        grown = False
        for root in free_rows:
            stack = [[root, 0, -1, 0]]  # row, then next_col's state
            chosen: list[int] = []  # the column each stacked row reaches for
            while stack:
                frame = stack[-1]
                state = frame[1:]
                picked = next_col(frame[0], state, tried)
                frame[1:] = state
                if picked is None:
                    stack.pop()
                    if chosen:
                        chosen.pop()
                    continue
                holder = col_owner.get(picked)
                if holder is None:
                    for (r, *_), c in zip(stack, [*chosen, picked], strict=True):
                        row_col[r], col_owner[c] = c, r
                    grown = True
                    break
                chosen.append(picked)
                stack.append([holder, 0, -1, 0])
        if not grown:
            break
        free_rows = [r for r in free_rows if r not in row_col]
    return sorted(row_col.items())


def _unvisited(pointers: list[int], k: int) -> int:
    """The first index >= k not yet visited (union-find with path compression; the last is a sentinel)."""
    root = k
    while pointers[root] != root:
        root = pointers[root]
    while pointers[k] != root:
        pointers[k], k = root, pointers[k]
    return root


