"""Confirm / Abort / the confirmation timers, and the races between them, against the real PostgreSQL."""

from __future__ import annotations

import threading

from ladderline.discord.limits import validate_message
from ladderline.ladder.deliveries import EditMessage

from tests.support.ladder import race
from tests.support.ladder_jobs import (
    T0,
    click_job,
    custom_ids,
    dms,
    keys,
    run,
    run_tick,
    seed_ready,
    sql,
    text_of,
    timer_job,
)

A, B = 1001, 1002
FOUND_AT = T0 + 60


def matched(url: str) -> int:
    seed_ready(url, A, name="Alpha", bw="bw_zerg", region="NAW")
    seed_ready(url, B, name="Bravo", sc2="sc2_terran", region="NAW")
    for user in (A, B):
        run(url, click_job("qjoin", user))
    reply = run_tick(url, "matchmaking_wave", "w1", at=FOUND_AT)
    assert len(dms(reply)) == 2
    return 1


def confirm(url: str, user: int, at: float = FOUND_AT + 10):
    return run(url, click_job("mc:1", user), at)


def deadline(url: str, at: float = FOUND_AT + 120):
    return run(url, timer_job("match_deadline", "match:1:deadline", {"match_id": 1}), at)


def test_both_confirm_and_both_get_the_match_card(database_url):
    matched(database_url)
    first = confirm(database_url, A)
    assert first.outcome == "confirm_confirming"
    assert "Waiting for your opponent" in text_of(first.body)
    assert [d.user_id for d in dms(first)] == [str(B)]  # "your opponent confirmed"
    second = confirm(database_url, B)
    assert second.outcome == "confirm_confirmed"
    cards = [d for d in dms(second) if ":card:" in d.key]
    assert sorted(d.user_id for d in cards) == [str(A), str(B)]
    card = text_of(cards[0].body)
    for expected in ("Alpha", "Bravo", "P1001#1234", "SC: Evo Complete", "**Western United States** (AM)",
                     "SCEvoLadder", "Faster", "battlenet:://starcraft/map/1/", "Not reported yet"):
        assert expected in card
    assert validate_message(cards[0].body) == []
    assert custom_ids(cards[0].body) == ["mr:1:won", "mr:1:lost", "mr:1:draw", "mup:1"]
    # The found messages lose their buttons (edited by the key that created them).
    edits = [d for d in second.deliveries if isinstance(d, EditMessage)]
    assert sorted(e.target_key for e in edits) == [f"match:1:found:{A}", f"match:1:found:{B}"]
    assert sql(database_url, "SELECT status FROM matches_1v1") == [["confirmed"]]


def test_a_double_click_and_a_redelivery_change_nothing_and_send_the_same_keys(database_url):
    matched(database_url)
    job = click_job("mc:1", A)
    first, again = run(database_url, job), run(database_url, job)
    assert first.outcome == again.outcome == "confirm_confirming"
    assert keys(again) == []  # no second "your opponent confirmed"
    done = confirm(database_url, B)
    late = confirm(database_url, B, at=FOUND_AT + 20)
    assert set(keys(late)) == set(keys(done))  # the worker sends each key once
    assert sql(database_url, "SELECT player_1_confirmed_at IS NOT NULL, player_2_confirmed_at IS NOT NULL, status "
                             "FROM matches_1v1") == [[True, True, "confirmed"]]


def test_someone_else_cannot_confirm(database_url):
    matched(database_url)
    seed_ready(database_url, 999)
    assert run(database_url, click_job("mc:1", 999)).outcome == "not_player"
    assert run(database_url, click_job("mc:77", A)).outcome == "unknown_match"


def test_reminder_at_40_s_goes_to_whoever_has_not_confirmed(database_url):
    matched(database_url)
    confirm(database_url, A)
    reply = run(database_url, timer_job("match_remind", "match:1:remind", {"match_id": 1}), FOUND_AT + 40)
    assert [d.user_id for d in dms(reply)] == [str(B)]
    assert "⏰" in text_of(dms(reply)[0].body)
    confirm(database_url, B)
    assert run(database_url, timer_job("match_remind", "match:1:remind", {"match_id": 1})).deliveries == ()


def test_not_confirmed_in_time_is_abandoned_and_the_no_show_waits_10_minutes(database_url):
    matched(database_url)
    confirm(database_url, A)
    reply = deadline(database_url)
    assert reply.outcome == "deadline_abandoned"
    notices = {d.user_id: text_of(d.body) for d in dms(reply)}
    assert "Bravo" in notices[str(A)] and "did not confirm" in notices[str(A)]
    assert "can't queue for 10 minutes" in notices[str(B)]
    assert "can queue again" in notices[str(A)]
    assert sql(database_url, "SELECT status FROM matches_1v1") == [["abandoned"]]
    assert sql(database_url, "SELECT discord_user_id, active_match_id, queue_timeout_until IS NOT NULL FROM players "
                             "ORDER BY 1") == [[A, None, False], [B, None, True]]
    assert run(database_url, click_job("qjoin", B), FOUND_AT + 120 + 599).outcome == "refused_timed_out"
    assert run(database_url, click_job("qjoin", B), FOUND_AT + 120 + 600).outcome == "joined"
    assert run(database_url, click_job("qjoin", A), FOUND_AT + 121).outcome == "joined"
    # The timer delivered again: the same notices (same keys), nothing moves.
    assert set(keys(deadline(database_url, FOUND_AT + 130))) == set(keys(reply))


def test_the_deadline_after_both_confirmed_does_nothing(database_url):
    matched(database_url)
    confirm(database_url, A)
    confirm(database_url, B)
    reply = deadline(database_url)
    assert reply.outcome == "deadline_confirmed" and reply.deliveries == ()
    assert sql(database_url, "SELECT status FROM matches_1v1") == [["confirmed"]]


def test_the_timer_and_the_last_confirm_at_the_same_instant(database_url):
    """Really overlapping: the Confirm holds the match row's lock while the deadline waits on it."""
    matched(database_url)
    confirm(database_url, A)
    won, [second] = race(database_url,
                         f"SELECT ladder_match_confirm(1, {B}, to_timestamp({FOUND_AT + 119}))",
                         f"SELECT ladder_match_deadline(1, to_timestamp({FOUND_AT + 120}))")
    assert won["match"]["status"] == "confirmed"
    assert second["changed"] is False and second["match"]["status"] == "confirmed"
    # And the other way round: the deadline first, then the Confirm finds the match abandoned.
    sql(database_url, "UPDATE matches_1v1 SET status = 'confirming', player_2_confirmed_at = NULL, confirmed_at = NULL")
    sql(database_url, "UPDATE players SET active_match_id = 1")
    won, [second] = race(database_url,
                         f"SELECT ladder_match_deadline(1, to_timestamp({FOUND_AT + 120}))",
                         f"SELECT ladder_match_confirm(1, {B}, to_timestamp({FOUND_AT + 120}))")
    assert won["changed"] is True and won["match"]["status"] == "abandoned"
    assert second["changed"] is False and second["match"]["status"] == "abandoned"


def test_both_players_confirming_at_once_give_one_confirmed_match(database_url):
    matched(database_url)
    replies = []
    barrier = threading.Barrier(2)

    def click(user: int) -> None:
        barrier.wait()
        replies.append(confirm(database_url, user))

    threads = [threading.Thread(target=click, args=(u,)) for u in (A, B)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.outcome for r in replies) == ["confirm_confirmed", "confirm_confirming"]
    assert sql(database_url, "SELECT status FROM matches_1v1") == [["confirmed"]]


def test_abort_needs_a_second_click_and_times_the_aborter_out_for_5_minutes(database_url):
    matched(database_url)
    ask = run(database_url, click_job("ma:1", A))
    assert ask.outcome == "abort_asked" and custom_ids(ask.body) == ["mc:1", "mab:1"]
    assert sql(database_url, "SELECT status FROM matches_1v1") == [["confirming"]]
    reply = run(database_url, click_job("mab:1", A), FOUND_AT + 30)
    assert reply.outcome == "abort_aborted"
    assert "Aborted by **Alpha**" in text_of(reply.body)
    notices = {d.user_id: text_of(d.body) for d in dms(reply)}
    assert "can't queue for 5 minutes" in notices[str(A)] and "can queue again" in notices[str(B)]
    assert run(database_url, click_job("qjoin", A), FOUND_AT + 30 + 299).outcome == "refused_timed_out"
    assert run(database_url, click_job("qjoin", B), FOUND_AT + 31).outcome == "joined"
    # A second abort, or the deadline afterwards, changes nothing.
    assert keys(run(database_url, click_job("mab:1", B))) == keys(reply)
    assert deadline(database_url).outcome == "deadline_aborted"
    assert sql(database_url, "SELECT status, aborted_by FROM matches_1v1") == [["aborted", A]]


def test_abort_after_both_confirmed_is_too_late(database_url):
    matched(database_url)
    confirm(database_url, A)
    confirm(database_url, B)
    assert run(database_url, click_job("mab:1", A)).outcome == "abort_confirmed"
    assert sql(database_url, "SELECT status FROM matches_1v1") == [["confirmed"]]


def counted(reply) -> list[str]:
    return [dict(m.dimensions)["transition"] for m in reply.metrics if m.name == "MatchTransitions"
            for _ in m.values]


def test_each_transition_is_counted_once(database_url):
    matched(database_url)
    assert counted(confirm(database_url, A)) == []
    assert counted(confirm(database_url, B)) == ["confirmed"]
    assert counted(confirm(database_url, B)) == []  # a double click
    assert counted(deadline(database_url)) == []


def test_abandoned_and_aborted_are_counted_once(database_url):
    matched(database_url)
    assert counted(deadline(database_url)) == ["abandoned"]
    assert counted(deadline(database_url)) == []
    sql(database_url, "UPDATE players SET queue_timeout_until = NULL")
    run(database_url, click_job("qjoin", A), FOUND_AT + 200)
    run(database_url, click_job("qjoin", B), FOUND_AT + 200)
    assert len(dms(run_tick(database_url, "matchmaking_wave", "w2", at=FOUND_AT + 260))) == 2
    assert counted(run(database_url, click_job("mab:2", A), FOUND_AT + 270)) == ["aborted"]
    assert counted(run(database_url, click_job("mab:2", A), FOUND_AT + 271)) == []
