"""Reports, Elo, the report reminders and staff flags, letter ranks: the SQL against Python's rules."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ladderline.discord.limits import validate_message
from ladderline.ladder import elo, ranks
from ladderline.ladder.deliveries import ChannelMessage

from tests.support.ladder import race
from tests.support.ladder_jobs import (
    T0,
    click_job,
    dms,
    keys,
    run,
    run_fanout,
    run_tick,
    seed_ready,
    sql,
    text_of,
    timer_job,
)
from tests.support.postgres import pg_connect

A, B = 1001, 1002
CONFIRMED_AT = T0 + 100
STAFF = {"STAFF_CHANNEL_ID": "555000000000000001", "STAFF_ROLE_ID": "555000000000000002"}


@pytest.fixture(autouse=True)
def staff_channel(monkeypatch):
    for name, value in STAFF.items():
        monkeypatch.setenv(name, value)


def confirmed_match(url: str, mmr_a: int = 1500, mmr_b: int = 1500) -> None:
    seed_ready(url, A, name="Alpha", bw="bw_zerg", mmr={"bw_zerg": mmr_a})
    seed_ready(url, B, name="Bravo", sc2="sc2_terran", mmr={"sc2_terran": mmr_b})
    for user in (A, B):
        run(url, click_job("qjoin", user))
    for tick in range(8):  # a wide gap needs a few waves
        if dms(run_tick(url, "matchmaking_wave", f"w{tick}", at=T0 + 60 * tick)):
            break
    for user in (A, B):
        run(url, click_job("mc:1", user), CONFIRMED_AT)
    assert sql(url, "SELECT status FROM matches_1v1") == [["confirmed"]]


def report(url: str, user: int, value: str, at: float = CONFIRMED_AT + 600):
    """A report, and the jobs it publishes for now (the opponent's nudge) run right after it."""
    return run_fanout(url, run(url, click_job(f"mrs:1:{value}", user), at), at)


def test_the_report_button_asks_first_without_touching_the_database(database_url):
    confirmed_match(database_url)
    reply = run(database_url, click_job("mr:1:won", A))
    assert reply.body is None
    [question] = reply.deliveries
    assert "Report **I won** for match #1?" in question.body["content"]
    assert question.body["components"][0]["components"][0]["custom_id"] == "mrs:1:won"
    assert sql(database_url, "SELECT player_1_report FROM matches_1v1") == [[None]]


def test_agreeing_reports_finalise_with_elo_in_the_second_reports_transaction(database_url):
    confirmed_match(database_url)
    first = report(database_url, A, "won")
    assert "You reported **I won**" in text_of(first.body) and "Waiting" in text_of(first.body)
    assert [d.user_id for d in dms(first)] == [str(B)]
    assert sql(database_url, "SELECT mmr, games_played FROM mmrs_1v1 ORDER BY discord_user_id") == [[1500, 0], [1500, 0]]
    second = report(database_url, B, "lost")
    assert second.outcome == "report_ok"
    assert [(m.name, m.dimensions) for m in second.metrics] == [("MatchTransitions", (("transition", "final"),))]
    assert first.metrics == () and report(database_url, B, "lost").metrics == ()
    results = {d.user_id: text_of(d.body) for d in dms(second)}
    assert "Alpha** won" in results[str(A)] and "1500 → 1520 (+20" in results[str(A)]
    assert "1500 → 1480 (-20" in results[str(B)]
    assert all(validate_message(d.body) == [] for d in dms(second))
    assert sql(database_url, "SELECT discord_user_id, mmr, games_played, games_won, games_lost, games_drawn, "
                             "last_played_at IS NOT NULL FROM mmrs_1v1 ORDER BY 1") == [
        [A, 1520, 1, 1, 0, 0, True], [B, 1480, 1, 0, 1, 0, True]]
    assert sql(database_url, "SELECT status, result, player_1_mmr_change, player_2_mmr_change FROM matches_1v1") == [
        ["final", "player_1_win", 20, -20]]
    assert sql(database_url, "SELECT active_match_id FROM players") == [[None], [None]]


def test_a_draw_between_unequal_ratings(database_url):
    confirmed_match(database_url, 1600, 1500)
    report(database_url, B, "draw")
    report(database_url, A, "draw")
    assert sql(database_url, "SELECT mmr FROM mmrs_1v1 ORDER BY discord_user_id") == [[1595], [1505]]


def test_disagreeing_reports_are_a_conflict_nothing_moves_staff_pinged_once(database_url):
    confirmed_match(database_url)
    report(database_url, A, "won")
    reply = report(database_url, B, "won")
    assert sql(database_url, "SELECT status, result FROM matches_1v1") == [["conflict", None]]
    assert sql(database_url, "SELECT mmr, games_played FROM mmrs_1v1") == [[1500, 0], [1500, 0]]
    assert sorted(d.user_id for d in dms(reply)) == [str(A), str(B)]
    [staff] = [d for d in reply.deliveries if isinstance(d, ChannelMessage)]
    assert staff.channel_id == STAFF["STAFF_CHANNEL_ID"]
    assert staff.body["content"].startswith(f"<@&{STAFF['STAFF_ROLE_ID']}>")
    assert staff.body["allowed_mentions"] == {"parse": [], "roles": [STAFF["STAFF_ROLE_ID"]]}
    # Clicking again (or a redelivery): the same keys, so one staff message in all.
    assert set(keys(report(database_url, B, "won"))) == set(keys(reply))


def test_a_report_before_both_confirmed_or_after_the_end_is_refused_in_one_line(database_url):
    seed_ready(database_url, A, bw="bw_zerg")
    seed_ready(database_url, B, sc2="sc2_terran")
    for user in (A, B):
        run(database_url, click_job("qjoin", user))
    run_tick(database_url, "matchmaking_wave", "w1", at=T0 + 60)
    assert report(database_url, A, "won").outcome == "not_confirmed"
    for user in (A, B):
        run(database_url, click_job("mc:1", user), CONFIRMED_AT)
    sql(database_url, "UPDATE matches_1v1 SET status = 'invalidated'")
    reply = report(database_url, A, "won")
    assert reply.outcome == "closed" and "already invalidated" in text_of(reply.body)


def test_changing_ones_report_is_refused(database_url):
    confirmed_match(database_url)
    report(database_url, A, "won")
    reply = report(database_url, A, "lost")
    assert reply.outcome == "report_report_locked" and "You reported **I won**" in text_of(reply.body)


def test_both_players_reporting_at_the_same_instant(database_url):
    """The first report holds the match row's lock; the second waits, then finalises."""
    confirmed_match(database_url)
    first, [second] = race(database_url,
                           f"SELECT ladder_match_report(1, {A}, 'won', to_timestamp({CONFIRMED_AT + 60}))",
                           f"SELECT ladder_match_report(1, {B}, 'lost', to_timestamp({CONFIRMED_AT + 60}))")
    assert first["transition"] is None and second["transition"] == "final"
    assert sql(database_url, "SELECT mmr, games_played FROM mmrs_1v1 ORDER BY discord_user_id") == [[1520, 1], [1480, 1]]


def test_many_threads_reporting_repeatedly_change_each_rating_once(database_url):
    confirmed_match(database_url)
    barrier = threading.Barrier(6)

    def hammer(user: int, value: str) -> None:
        barrier.wait()
        for _ in range(3):
            report(database_url, user, value)

    threads = [threading.Thread(target=hammer, args=(u, v)) for u, v in [(A, "lost"), (B, "won")] * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sql(database_url, "SELECT mmr, games_played FROM mmrs_1v1 ORDER BY discord_user_id") == [[1480, 1], [1520, 1]]


# --- properties against the SQL ----------------------------------------------------------------------
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 4000), st.integers(0, 4000), st.sampled_from(elo.RESULTS))
def test_sql_elo_is_python_elo(database_url, r1: int, r2: int, result: str) -> None:
    [[found]] = sql(database_url, "SELECT ladder_elo(:a, :b, :r)", a=r1, b=r2, r=result)
    assert tuple(found) == elo.new_ratings(r1, r2, result)


def test_elo_table_in_sql(database_url):
    conn = pg_connect(database_url)
    try:
        rows = conn.run("SELECT ladder_elo(1600, 1500, 'player_1_win'), ladder_elo(1600, 1500, 'player_2_win'), "
                        "ladder_elo(1600, 1500, 'draw'), ladder_elo(1500, 1800, 'player_1_win'), "
                        "ladder_elo(1500, 1800, 'draw')")
    finally:
        conn.close()
    assert rows == [[[1615, 1485], [1575, 1525], [1595, 1505], [1532, 1768], [1512, 1788]]]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from([A, B]), st.sampled_from(["won", "lost", "draw"])), min_size=1,
                max_size=8))
def test_a_rating_changes_once_per_match_whatever_the_reports(database_url, reports) -> None:
    """Any order and repetition of reports: the ratings move exactly as the first agreeing pair says,
    or not at all (conflict / missing report)."""
    conn = pg_connect(database_url)
    try:
        conn.run("DELETE FROM matches_1v1; DELETE FROM mmrs_1v1; DELETE FROM preferences_1v1; DELETE FROM players")
        for user in (A, B):
            conn.run("INSERT INTO players (discord_user_id, player_name, active_match_id) VALUES (:u, 'p', 1)", u=user)
        conn.run("INSERT INTO mmrs_1v1 (discord_user_id, race, mmr) VALUES (:a, 'bw_zerg', 1540), "
                 "(:b, 'sc2_zerg', 1500)", a=A, b=B)
        conn.run("INSERT INTO matches_1v1 (match_id, match_key, wave_tick_id, player_1, player_2, player_1_race, "
                 "player_2_race, player_1_mmr, player_2_mmr, map_code, server_code, status, created_at, "
                 "confirm_deadline, confirmed_at) VALUES (1, 'k', 't', :a, :b, 'bw_zerg', 'sc2_zerg', 1540, 1500, "
                 "'radeon', 'EUC', 'confirmed', now(), now(), now())", a=A, b=B)
        for user, value in reports:
            conn.run(f"BEGIN; SELECT ladder_match_report(1, {user}, '{value}', now()); COMMIT;")
        [[mmr_a, games_a], [mmr_b, games_b]] = conn.run(
            "SELECT mmr, games_played FROM mmrs_1v1 ORDER BY discord_user_id")
    finally:
        conn.close()
    firsts: dict[int, str] = {}
    for user, value in reports:
        firsts.setdefault(user, value)
    as_result = {(A, "won"): "player_1_win", (A, "lost"): "player_2_win", (B, "won"): "player_2_win",
                 (B, "lost"): "player_1_win"}
    results = {as_result.get((u, v), "draw") for u, v in firsts.items()}
    if len(firsts) == 2 and len(results) == 1:
        expected = elo.new_ratings(1540, 1500, results.pop())
        assert (mmr_a, mmr_b, games_a, games_b) == (*expected, 1, 1)
    else:
        assert (mmr_a, mmr_b, games_a, games_b) == (1540, 1500, 0, 0)


def test_rank_counts_in_sql_are_pythons(database_url):
    conn = pg_connect(database_url)
    try:
        rows = conn.run("SELECT n, ladder_rank_counts(n) FROM generate_series(0, 400) n")
    finally:
        conn.close()
    for n, found in rows:
        assert found == [ranks.counts(n)[letter] for letter in ranks.LETTERS], n


# --- reminders and flags -----------------------------------------------------------------------------
def test_one_reminder_after_an_hour_and_one_staff_flag_after_a_day(database_url):
    confirmed_match(database_url)
    report(database_url, A, "won")
    assert run_tick(database_url, "report_reminders", "r0", at=CONFIRMED_AT + 3599).deliveries == ()
    reply = run_tick(database_url, "report_reminders", "r1", at=CONFIRMED_AT + 3600)
    assert [d.user_id for d in dms(reply)] == [str(B)]
    assert keys(run_tick(database_url, "report_reminders", "r1", at=CONFIRMED_AT + 3600)) == keys(reply)
    assert run_tick(database_url, "report_reminders", "r2", at=CONFIRMED_AT + 7200).deliveries == ()
    flagged = run_tick(database_url, "report_reminders", "r3", at=CONFIRMED_AT + 86400)
    [flag] = flagged.deliveries
    assert isinstance(flag, ChannelMessage) and "24 hours" in flag.body["content"]
    assert run_tick(database_url, "report_reminders", "r4", at=CONFIRMED_AT + 90000).deliveries == ()
    # Nothing was decided: still waiting for the report.
    assert sql(database_url, "SELECT status FROM matches_1v1") == [["confirmed"]]


def refresh_ranks_at(database_url: str, at: float) -> None:
    from datetime import UTC, datetime

    from tests.support.ladder_jobs import sql

    sql(database_url, "SELECT ladder_refresh_ranks(:at, true, 600)", at=datetime.fromtimestamp(at, UTC))


def test_the_profile_shows_the_rank_record_and_last_matches_after_a_result(database_url):
    from tests.support.ladder_jobs import command_job

    confirmed_match(database_url)
    report(database_url, A, "won")
    report(database_url, B, "lost")
    # The ranks function's next rebuild (migration 0011) puts the new ratings on the snapshot.
    refresh_ranks_at(database_url, CONFIRMED_AT + 690)
    body = run(database_url, command_job("profile", A), CONFIRMED_AT + 700).body
    fields = {f["name"]: f["value"] for f in body["embeds"][0]["fields"]}
    # Two ranked entries get C and D (the remainders go to D, then C: DOMAIN.md §8).
    assert fields["BW Zerg"] == "MMR **1520**\n1-0-0 (100% wins)\nRank **C** · #1 of 2"
    assert fields["Last matches"].startswith("#1 · Z1 vs T2 · vs Bravo · Won (+20) · <t:")
    loser = run(database_url, command_job("profile", B), CONFIRMED_AT + 700).body
    assert "· vs Alpha · Lost (-20)" in text_of(loser)
    # 31 days later nobody is ranked any more.
    refresh_ranks_at(database_url, CONFIRMED_AT + 31 * 86400 - 10)
    later = run(database_url, command_job("profile", A), CONFIRMED_AT + 31 * 86400).body
    assert "Unranked (no game in 30 days)" in text_of(later)


def test_a_nudge_sent_late_says_nothing_once_the_opponent_has_reported(database_url):
    # A reports; the nudge to B waits (a 429, a slow queue); B reports meanwhile and the match is
    # decided. The late nudge must not ask B for a report B already made.
    confirmed_match(database_url)
    first = run(database_url, click_job("mrs:1:won", A), CONFIRMED_AT + 600)
    [nudge] = first.timers
    assert (nudge.route, nudge.delay_seconds, nudge.payload) == ("match_opponent_reported", 0,
                                                                 {"match_id": 1, "user_id": str(B)})
    report(database_url, B, "lost", at=CONFIRMED_AT + 601)
    late = run(database_url, timer_job(nudge.route, nudge.key, nudge.payload), CONFIRMED_AT + 620)
    assert (late.outcome, late.deliveries) == ("nudge_stale", ())


def test_a_decided_matchs_cards_are_edited_to_the_result_without_buttons(database_url):
    from ladderline.ladder.deliveries import EditMessage

    confirmed_match(database_url)
    report(database_url, A, "won")
    second = report(database_url, B, "lost")
    edits = [d for d in second.deliveries if isinstance(d, EditMessage)]
    assert sorted(e.target_key for e in edits) == [f"match:1:card:{A}", f"match:1:card:{B}"]
    for edit in edits:
        assert edit.body["components"] == []  # no I won / I lost / Draw / Upload replay any more
        assert "Alpha** won" in text_of(edit.body) and "This match is over" in text_of(edit.body)
    assert second.deliveries[-3:-1] == tuple(edits)  # after the result DMs
    room = second.deliveries[-1]  # then the match's thread, if one was made, told and archived
    assert (type(room).__name__, room.target_key, room.archive) == ("ThreadUpdate", "match:1:room", True)


def test_a_conflicts_cards_lose_their_buttons_after_the_staff_message(database_url):
    from ladderline.ladder.deliveries import ChannelMessage, EditMessage

    confirmed_match(database_url)
    report(database_url, A, "won")
    second = report(database_url, B, "won")
    kinds = [type(d) for d in second.deliveries]
    assert kinds[0] is ChannelMessage and kinds[-3:-1] == [EditMessage, EditMessage]
    assert all(d.body["components"] == [] for d in second.deliveries if isinstance(d, EditMessage))
