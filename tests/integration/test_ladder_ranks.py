"""Letter ranks on a seeded population: the shares of DOMAIN.md §8 over the ranked entries only."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from ladderline.ladder import ranks

from tests.support.ladder_jobs import sql

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PLAYERS = 700


def seed_population(url: str) -> dict[tuple[int, str], int]:
    """700 players with one to three races: most played this month, some only long ago (unranked),
    some never (unranked). Returns the ranked entries' MMRs."""
    rnd = random.Random(7)
    players, entries, ranked = [], [], {}
    for user in range(1, PLAYERS + 1):
        players.append(f"({user}, 'P{user}', '{rnd.choice(['DE', 'FR', 'KR'])}', 'EUW')")
        for race in rnd.sample(["bw_zerg", "bw_terran", "sc2_protoss", "sc2_zerg"], rnd.randint(1, 3)):
            mmr = rnd.randint(900, 2600)
            kind = rnd.random()
            if kind < 0.75:
                days = rnd.uniform(0, 29.9)
                ranked[(user, race)] = mmr
            elif kind < 0.9:
                days = rnd.uniform(30.1, 200)
            else:
                entries.append(f"({user}, '{race}', {mmr}, 0, 0, NULL)")
                continue
            entries.append(f"({user}, '{race}', {mmr}, 5, 5, TIMESTAMPTZ '{NOW.isoformat()}' - interval '{days} days')")
    sql(url, "INSERT INTO players (discord_user_id, player_name, country, region) VALUES " + ", ".join(players))
    sql(url, "INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won, last_played_at) VALUES "
             + ", ".join(entries))
    sql(url, "SELECT ladder_refresh_ranks(:now, true, 600)", now=NOW)
    return ranked


def board(url: str, letter: str | None = None, best_only: bool = False, race: str | None = None) -> dict:
    [[found]] = sql(url, "SELECT ladder_leaderboard_page(:race, NULL, NULL, :l, :b, 1, 100000)",
                    race=race, l=letter, b=best_only)
    return found


def test_the_rank_distribution_of_a_seeded_population(database_url):
    ranked = seed_population(database_url)
    n = len(ranked)
    assert n > 500

    everyone = board(database_url)
    # Only ranked entries, best first, each with the letter of its position.
    assert everyone["total"] == n
    listed = {(int(r["user_id"]), r["race"]): r["mmr"] for r in everyone["rows"]}
    assert listed == ranked
    assert [r["mmr"] for r in everyone["rows"]] == sorted(ranked.values(), reverse=True)
    assert [r["letter"] for r in everyone["rows"]] == ranks.letters(n)
    # Each letter's filter holds exactly its share.
    expected = ranks.counts(n)
    for letter in ranks.LETTERS:
        assert board(database_url, letter)["total"] == expected[letter], letter
    assert expected["S"] == n // 100 and sum(expected.values()) == n
    # S is the top 1 %: nobody in A has more MMR than anyone in S.
    s_rows = board(database_url, "S")["rows"]
    a_rows = board(database_url, "A")["rows"]
    assert min(r["mmr"] for r in s_rows) >= max(r["mmr"] for r in a_rows)


def test_best_race_only_keeps_each_players_highest_ranked_race(database_url):
    ranked = seed_population(database_url)
    best: dict[int, int] = {}
    for (user, _), mmr in ranked.items():
        best[user] = max(best.get(user, 0), mmr)
    found = board(database_url, best_only=True)
    assert found["total"] == len(best)
    assert {int(r["user_id"]): r["mmr"] for r in found["rows"]} == best
    # Letters stay those of the whole ranked population (a filter does not re-rank).
    whole = {(r["user_id"], r["race"]): r["letter"] for r in board(database_url)["rows"]}
    assert all(whole[(r["user_id"], r["race"])] == r["letter"] for r in found["rows"])


def test_a_profile_shows_the_same_letter_as_the_board(database_url):
    seed_population(database_url)
    whole = {(int(r["user_id"]), r["race"]): (r["letter"], r["position"]) for r in board(database_url)["rows"]}
    for user in (1, 50, 333, 700):
        [[profile]] = sql(database_url, "SELECT ladder_profile_snapshot(:u)", u=user)
        for entry in profile["races"]:
            if (user, entry["race"]) in whole:
                assert (entry["letter"], entry["rank"]) == whole[(user, entry["race"])]
            else:
                assert entry["letter"] is None
