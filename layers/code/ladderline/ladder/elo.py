"""Ratings: plain Elo per (player, race), as the original ladder (DOMAIN.md §6).

Divisor 500 (not chess's 400), K = 40, everyone starts at 1500. Each player's new rating is
rounded on its own (so the two changes need not sum to zero). The same formula runs in SQL
(ladder_elo in infra/migrations/0005_*.sql, where the result is applied in the transaction of the
second report); tests check that both give the same numbers. Rounding is half up (floor(x + 0.5))
in both: Python's round() rounds half to even, PostgreSQL's round() half away from zero.
"""

from __future__ import annotations

import math

START = 1500
K = 40
DIVISOR = 500

PLAYER_1_WIN, PLAYER_2_WIN, DRAW = "player_1_win", "player_2_win", "draw"
RESULTS = (PLAYER_1_WIN, PLAYER_2_WIN, DRAW)


def expected(rating: int, opponent: int) -> float:
    """The expected score of `rating` against `opponent` (0..1)."""
    return 1.0 / (1.0 + 10.0 ** ((opponent - rating) / DIVISOR))


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def new_ratings(rating_1: int, rating_2: int, result: str) -> tuple[int, int]:
    """Both players' ratings after a game with `result` (player_1_win / player_2_win / draw)."""
    if result not in RESULTS:
        raise ValueError(f"not a game result: {result!r}")
    score_1 = {PLAYER_1_WIN: 1.0, PLAYER_2_WIN: 0.0, DRAW: 0.5}[result]
    expected_1 = expected(rating_1, rating_2)
    new_1 = _round_half_up(rating_1 + K * (score_1 - expected_1))
    new_2 = _round_half_up(rating_2 + K * ((1.0 - score_1) - (1.0 - expected_1)))
    return new_1, new_2


def changes(rating_1: int, rating_2: int, result: str) -> tuple[int, int]:
    new_1, new_2 = new_ratings(rating_1, rating_2, result)
    return new_1 - rating_1, new_2 - rating_2
