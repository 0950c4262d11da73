"""The ranks snapshot (migration 0011) on a real PostgreSQL: rebuilt only when something it shows
changed, one rebuild at a time, readers undisturbed, and every /leaderboard filter and page equal
to the order and letters computed here in Python from the same population."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from ladderline.ladder import ranks

from tests.support.ladder import pg_connect, race, run_sql

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RACES = ("bw_zerg", "bw_terran", "sc2_protoss", "sc2_zerg")


def refresh(url: str, at: datetime = NOW, *, force: bool = False) -> dict:
    [[result]] = run_sql(url, "SELECT ladder_refresh_ranks(:at, :force, 600)", at=at, force=force)
    return result


def page(url: str, *, race: str | None = None, country: str | None = None, region: str | None = None,
         letter: str | None = None, best: bool = False, number: int = 1, size: int = 100_000) -> dict:
    [[found]] = run_sql(url, "SELECT ladder_leaderboard_page(:race, :country, :region, :letter, :best, :n, :size)",
                        race=race, country=country, region=region, letter=letter, best=best, n=number, size=size)
    return found


def seed(url: str, players: int = 400) -> list[dict]:
    """Players over three countries and two regions with one to three races (some unranked); returns
    the ranked entries in the ladder's order with their letter and best-race flag, computed here."""
    rnd = random.Random(11)
    rows, entries, ranked = [], [], []
    for user in range(1, players + 1):
        country, region = rnd.choice(["DE", "FR", "KR"]), rnd.choice(["EUW", "KRJ"])
        rows.append(f"({user}, 'P{user}', '{country}', '{region}')")
        for race_code in rnd.sample(RACES, rnd.randint(1, 3)):
            mmr = rnd.choice(range(1400, 1700, 10))  # many ties: the tie-breakers decide
            days = rnd.choice([0.5, 1.5, 3.0, 45.0])
            played = NOW - timedelta(days=days)
            entries.append(f"({user}, '{race_code}', {mmr}, 4, 4, TIMESTAMPTZ '{played.isoformat()}')")
            if days < ranks.ACTIVE_DAYS:
                ranked.append({"user": user, "race": race_code, "mmr": mmr, "played": played,
                               "country": country, "region": region})
    run_sql(url, "INSERT INTO players (discord_user_id, player_name, country, region) VALUES " + ", ".join(rows))
    run_sql(url, "INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won, last_played_at) "
                 "VALUES " + ", ".join(entries))
    # The ladder's order (migration 0016): MMR, last game, win rate and games (equal here: 4 of 4),
    # then the name, case-insensitive, byte order; then ids.
    ranked.sort(key=lambda e: (-e["mmr"], -e["played"].timestamp(), f"p{e['user']}", e["user"], e["race"]))
    seen: set[int] = set()
    for entry, letter in zip(ranked, ranks.letters(len(ranked)), strict=True):
        entry["letter"], entry["best"] = letter, entry["user"] not in seen
        seen.add(entry["user"])
    return ranked


def test_every_filter_combination_lists_the_entries_in_the_ladders_order_with_their_letters(database_url):
    expected = seed(database_url)
    assert refresh(database_url)["status"] == "refreshed"

    for race_code, country, region, letter, best in itertools.product(
            (None, "sc2_zerg"), (None, "DE"), (None, "KRJ"), (None, "B", "F"), (False, True)):
        wanted = [e for e in expected if (race_code is None or e["race"] == race_code)
                  and (country is None or e["country"] == country) and (region is None or e["region"] == region)
                  and (letter is None or e["letter"] == letter) and (not best or e["best"])]
        filters = {"race": race_code, "country": country, "region": region, "letter": letter, "best": best}
        found = page(database_url, **filters)
        assert found["total"] == len(wanted), filters
        assert [(int(r["user_id"]), r["race"], r["letter"]) for r in found["rows"]] == [
            (e["user"], e["race"], e["letter"]) for e in wanted], filters
        assert [r["rank"] for r in found["rows"]] == list(range(1, len(wanted) + 1))
        # Pages of 7 are consecutive slices of the same list, places continuing across pages.
        third = page(database_url, **filters, number=3, size=7)
        assert [(int(r["user_id"]), r["race"], r["rank"]) for r in third["rows"]] == [
            (e["user"], e["race"], 15 + i) for i, e in enumerate(wanted[14:21])] or third["page"] < 3, filters


def test_a_view_lists_at_most_its_maximum_pages_and_clamps_any_page_beyond(database_url):
    expected = seed(database_url)
    refresh(database_url)
    [[limit]] = run_sql(database_url, "SELECT ladder_leaderboard_max_pages()")
    size = 2
    assert len(expected) > limit * size  # the view is longer than the pages it lists

    found = page(database_url, number=10_000, size=size)

    assert (found["pages"], found["page"], found["total"]) == (limit, limit, len(expected))
    assert [r["rank"] for r in found["rows"]] == [limit * size - 1, limit * size]
    assert [r["position"] for r in found["rows"]] == [limit * size - 1, limit * size]


def test_the_snapshot_is_rebuilt_only_when_something_it_shows_changed(database_url):
    last = seed(database_url, players=50)[-1]
    assert refresh(database_url)["status"] == "refreshed"
    assert refresh(database_url)["status"] == "fresh"

    # A rating changes: the board shows it after the next refresh, not before.
    run_sql(database_url, "UPDATE mmrs_1v1 SET mmr = 3000, updated_at = now() WHERE discord_user_id = :u AND race = :r",
            u=last["user"], r=last["race"])
    assert int(page(database_url, size=1)["rows"][0]["user_id"]) != last["user"]
    assert refresh(database_url)["status"] == "refreshed"
    assert int(page(database_url, size=1)["rows"][0]["user_id"]) == last["user"]
    assert refresh(database_url)["status"] == "fresh"

    # A player's country is on the snapshot (the country filter reads it there).
    run_sql(database_url, "UPDATE players SET country = 'FI', updated_at = now() WHERE discord_user_id = :u",
            u=last["user"])
    assert refresh(database_url)["status"] == "refreshed"
    assert {int(r["user_id"]) for r in page(database_url, country="FI")["rows"]} == {last["user"]}

    # Time alone: an entry ages out of the 30-day window (the 1.5- and 3-day-old games, 29 days on)...
    later = NOW + timedelta(days=29)
    assert refresh(database_url, later)["status"] == "refreshed"
    assert refresh(database_url, later)["status"] == "fresh"
    # ... or the snapshot reaches its maximum age (600 s here).
    run_sql(database_url, "UPDATE ranks_snapshot SET refreshed_at = :at", at=later - timedelta(seconds=601))
    assert refresh(database_url, later)["status"] == "refreshed"


def test_one_refresh_at_a_time_a_second_returns_busy_without_waiting(database_url):
    seed(database_url, players=50)
    first, second = pg_connect(database_url), pg_connect(database_url)
    try:
        first.run("BEGIN")
        [[started]] = first.run("SELECT ladder_refresh_ranks(now(), true, 600)")
        # The first has built its snapshot and not committed: the second overlaps it.
        [[overlapping]] = second.run("SELECT ladder_refresh_ranks(now(), true, 600)")
        first.run("COMMIT")
    finally:
        first.close()
        second.close()

    assert started["status"] == "refreshed" and overlapping == {"status": "busy"}
    assert page(database_url)["total"] == started["total"]


def test_a_reader_in_flight_keeps_its_snapshot_and_the_swap_waits_for_it(database_url):
    seed(database_url, players=50)
    before = refresh(database_url)["total"]
    # Only the entries whose last game was long ago play today: ranked as of now, they are all there is.
    [[revived]] = run_sql(database_url, "WITH u AS (UPDATE mmrs_1v1 SET last_played_at = now(), updated_at = now() "
                                        "WHERE last_played_at < :old RETURNING 1) SELECT count(*) FROM u",
                          old=NOW - timedelta(days=30))

    # The reader's transaction has read the snapshot; the refresh builds the new one beside it and
    # blocks only at the swap, until the reader is done (race() fails if it never waits).
    seen, [after] = race(database_url, "SELECT count(*) FROM ranked_entries",
                         "SELECT ladder_refresh_ranks(now(), true, 600)",
                         "the refresh swapped the snapshot under a reader")

    assert seen == before
    assert after == {"status": "refreshed", "total": revived, "build_ms": after["build_ms"]}
    assert page(database_url)["total"] == revived != before


def test_the_ranks_function_rebuilds_when_something_changed_and_reports_it(database_url, monkeypatch, capsys):
    import json

    from ladderctl.stack.lambdas import load_handler
    from ladderline import settings as names

    from tests.support.aws import LambdaContext

    seed(database_url, players=30)
    run_sql(database_url, "UPDATE mmrs_1v1 SET last_played_at = now(), updated_at = now()")  # ranked as of today
    monkeypatch.setenv(names.DATABASE_URL, database_url)
    monkeypatch.setenv(names.SERVICE_NAME, "ranks")
    function = load_handler("ranks")
    capsys.readouterr()

    first = function.lambda_handler({}, LambdaContext("ranks", 120))
    second = function.lambda_handler({}, LambdaContext("ranks", 120))

    [[total]] = run_sql(database_url, "SELECT count(*) FROM mmrs_1v1")
    assert first["status"] == "refreshed" and first["total"] == total
    assert second == {"status": "fresh", "total": total}
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert [m["RankedEntries"] for m in emitted] == [[total]]  # metrics for the rebuild only
    assert page(database_url)["total"] == total


def test_ties_on_mmr_and_last_game_go_by_win_rate_then_games_then_name_never_by_id(database_url):
    played = NOW - timedelta(hours=2)  # one instant: both players of a match finish it together
    run_sql(database_url, "INSERT INTO players (discord_user_id, player_name, country, region) VALUES "
                          "(1, 'Zed', 'DE', 'EUW'), (2, 'amy', 'DE', 'EUW'), (3, 'Bob', 'DE', 'EUW'), "
                          "(4, 'Cy', 'DE', 'EUW')")
    run_sql(database_url, "INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won, games_lost, "
                          "last_played_at) VALUES (1, 'bw_zerg', 1500, 10, 7, 3, :t), (2, 'bw_zerg', 1500, 10, 5, 5, :t), "
                          "(3, 'bw_zerg', 1500, 12, 6, 6, :t), (4, 'bw_zerg', 1500, 10, 5, 5, :t)", t=played)
    refresh(database_url, force=True)
    order = [r["user_id"] for r in page(database_url)["rows"]]
    # 70 % first; 50 % over 12 games before 50 % over 10; then amy before Cy by name (ids 2 and 4).
    assert order == ["1", "3", "2", "4"]
