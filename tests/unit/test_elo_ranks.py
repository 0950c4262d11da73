from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ladderline.ladder import elo, ranks

# DOMAIN.md §6, exactly: (R1, R2) -> P1 win, P1 loss, draw as (P1 change, P2 change).
TABLE = {
    (1500, 1500): ((20, -20), (-20, 20), (0, 0)),
    (1600, 1500): ((15, -15), (-25, 25), (-5, 5)),
    (1500, 1800): ((32, -32), (-8, 8), (12, -12)),
}


@pytest.mark.parametrize(("ratings", "expected"), TABLE.items())
def test_the_reference_table(ratings: tuple[int, int], expected) -> None:
    found = tuple(elo.changes(*ratings, result) for result in (elo.PLAYER_1_WIN, elo.PLAYER_2_WIN, elo.DRAW))
    assert found == expected


def test_each_rating_is_rounded_half_up() -> None:
    # 1537 vs 1500, P2 wins: P1 loses 40 x E = 21.70 -> 1515.30 -> 1515; P2 gains 21.70 -> 1522.
    assert elo.new_ratings(1537, 1500, elo.PLAYER_2_WIN) == (1515, 1522)
    # A draw at +22: 40 x (0.5 - E) = -1.27 -> -1 and +1.
    assert elo.changes(1522, 1500, elo.DRAW) == (-1, 1)


def test_unknown_result_is_refused() -> None:
    with pytest.raises(ValueError):
        elo.new_ratings(1500, 1500, "abort")


@given(st.integers(0, 4000), st.integers(0, 4000), st.sampled_from(elo.RESULTS))
def test_winner_never_loses_and_change_is_at_most_k(r1: int, r2: int, result: str) -> None:
    d1, d2 = elo.changes(r1, r2, result)
    assert abs(d1) <= elo.K and abs(d2) <= elo.K
    if result == elo.PLAYER_1_WIN:
        assert d1 >= 0 >= d2
    if result == elo.PLAYER_2_WIN:
        assert d2 >= 0 >= d1


def test_rank_counts_for_a_hundred_are_the_shares() -> None:
    assert ranks.counts(100) == {"S": 1, "A": 7, "B": 21, "C": 21, "D": 21, "E": 21, "F": 8}


def test_remainders_go_to_d_c_e_b_first() -> None:
    # 7 entries: every floor is 0 or 1 (B..E get 1), 3 left -> D, C, E.
    assert ranks.counts(7) == {"S": 0, "A": 0, "B": 1, "C": 2, "D": 2, "E": 2, "F": 0}
    # 13: floors B..E 2, F 1 = 9, 4 left -> D, C, E, B.
    assert ranks.counts(13) == {"S": 0, "A": 0, "B": 3, "C": 3, "D": 3, "E": 3, "F": 1}
    # 6: floors B..E 1 = 4; 2 left -> D, C.
    assert ranks.counts(6) == {"S": 0, "A": 0, "B": 1, "C": 2, "D": 2, "E": 1, "F": 0}


def test_after_d_c_e_b_the_tail_depends_on_f_against_s_plus_a() -> None:
    # 99: floors S0 A6 B20 C20 D20 E20 F7 = 93, 6 left -> D C E B, then F (7) > S+A (6): A, F.
    assert ranks.counts(99) == {"S": 0, "A": 7, "B": 21, "C": 21, "D": 21, "E": 21, "F": 8}
    # 14: floors A0 B2 C2 D2 E2 F1 = 9, 5 left -> D C E B, then F (1) > S+A (0): A.
    assert ranks.counts(14) == {"S": 0, "A": 1, "B": 3, "C": 3, "D": 3, "E": 3, "F": 1}


@given(st.integers(0, 5000))
def test_counts_sum_to_n_and_letters_are_ordered(n: int) -> None:
    found = ranks.counts(n)
    assert sum(found.values()) == n
    order = ranks.letters(n)
    assert order == sorted(order, key=ranks.LETTERS.index)
    for letter in ranks.LETTERS:
        assert abs(found[letter] - n * ranks.PERCENT[letter] / 100) < 2
