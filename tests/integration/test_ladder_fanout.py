"""A wave's fan-out (one job per match), announced confirmation windows, and the sweep that holds
every deadline from the database, against the real PostgreSQL."""

from __future__ import annotations

from ladderline.ladder import fanout, match_messages
from ladderline.ladder.deliveries import DirectMessage

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

WAVE_AT = T0 + 60


def queue_pairs(url: str, n: int, first: int = 1000) -> list[tuple[int, int]]:
    """n Brood War and n StarCraft II players at 1500, all in the queue: n matches in one wave."""
    pairs = []
    for i in range(n):
        bw, sc2 = first + 2 * i, first + 2 * i + 1
        seed_ready(url, bw, bw="bw_zerg")
        seed_ready(url, sc2, sc2="sc2_terran")
        run(url, click_job("qjoin", bw))
        run(url, click_job("qjoin", sc2))
        pairs.append((bw, sc2))
    return pairs


def players_in_a_match(url: str) -> int:
    return sql(url, "SELECT count(*) FROM players WHERE active_match_id IS NOT NULL")[0][0]


def test_the_wave_sends_nothing_itself_and_publishes_one_found_job_per_match(database_url):
    queue_pairs(database_url, 4)
    wave = run_tick(database_url, "matchmaking_wave", "w1", at=WAVE_AT, fanout=False)

    assert wave.deliveries == ()
    assert sorted(t.key for t in wave.timers) == [f"match:{m}:found" for m in (1, 2, 3, 4)]
    assert {(t.route, t.delay_seconds) for t in wave.timers} == {("match_found", 0)}
    # Each job tells its own match's two players, nobody else.
    for timer in wave.timers:
        done = run(database_url, timer_job(timer.route, timer.key, timer.payload), at=WAVE_AT + 1)
        number = timer.payload["match_id"]
        players = sql(database_url, "SELECT player_1::text, player_2::text FROM matches_1v1 WHERE match_id = :m",
                      m=number)[0]
        assert sorted(d.user_id for d in dms(done)) == sorted(players)
        assert all(f"Match #{number} found" in text_of(d.body) for d in dms(done))


def test_a_match_announced_late_still_gets_the_full_window_to_confirm(database_url):
    queue_pairs(database_url, 1)
    wave = run_tick(database_url, "matchmaking_wave", "w1", at=WAVE_AT, fanout=False)
    # The fan-out ran 100 s behind (Discord's global limit, a 429): the window starts when the
    # players are told, not when the wave made the match.
    found = run_fanout(database_url, wave, at=WAVE_AT + 100)
    assert sql(database_url, "SELECT extract(epoch FROM confirm_deadline)::bigint FROM matches_1v1") == [
        [int(WAVE_AT + 220)]]
    assert [f"<t:{int(WAVE_AT + 220)}:R>" in text_of(d.body) for d in dms(found)] == [True, True]
    assert sorted((t.route, t.delay_seconds) for t in found.timers) == [("match_deadline", 120), ("match_remind", 40)]

    # The wave-time deadline is not the deadline any more: nothing happens at +120 s.
    early = run(database_url, timer_job("match_deadline", "match:1:deadline", {"match_id": 1}), at=WAVE_AT + 120)
    assert (early.outcome, early.deliveries) == ("deadline_confirming", ())
    assert run_tick(database_url, "confirmation_sweep", "s1", at=WAVE_AT + 219).outcome == "abandoned_0"
    assert run_tick(database_url, "confirmation_sweep", "s2", at=WAVE_AT + 220).outcome == "abandoned_1"


def test_the_window_starts_once_both_players_are_told(database_url):
    queue_pairs(database_url, 1)
    wave = run_tick(database_url, "matchmaking_wave", "w1", at=WAVE_AT, fanout=False)
    [found_timer] = wave.timers
    # The found job ran at once, but its second DM waits on Discord (a 429): its `match_told` job is
    # published only once both DMs are out. Meanwhile the first run's deadline passes: no sweep
    # may abandon a match one player was never told of.
    found = run(database_url, timer_job(found_timer.route, found_timer.key, found_timer.payload), at=WAVE_AT + 1)
    assert [(t.route, t.delay_seconds) for t in found.timers] == [("match_told", 0)]
    assert run_tick(database_url, "confirmation_sweep", "s1", at=WAVE_AT + 200).outcome == "abandoned_0"
    [told_timer] = found.timers
    told = run(database_url, timer_job(told_timer.route, told_timer.key, told_timer.payload), at=WAVE_AT + 250)
    assert told.outcome == "told"
    assert sorted((t.route, t.delay_seconds) for t in told.timers) == [("match_deadline", 120), ("match_remind", 40)]
    assert sql(database_url, "SELECT extract(epoch FROM confirm_deadline)::bigint FROM matches_1v1") == [
        [int(WAVE_AT + 370)]]
    # Run again (redelivered): the window does not move.
    assert run(database_url, timer_job(told_timer.route, told_timer.key, told_timer.payload),
               at=WAVE_AT + 260).outcome == "told_again"
    assert run_tick(database_url, "confirmation_sweep", "s2", at=WAVE_AT + 369).outcome == "abandoned_0"
    assert run_tick(database_url, "confirmation_sweep", "s3", at=WAVE_AT + 370).outcome == "abandoned_1"


def test_a_found_job_run_again_announces_once_and_sends_the_same_keys(database_url):
    queue_pairs(database_url, 1)
    wave = run_tick(database_url, "matchmaking_wave", "w1", at=WAVE_AT, fanout=False)
    first = run_fanout(database_url, wave, at=WAVE_AT + 5)
    again = run_fanout(database_url, wave, at=WAVE_AT + 30)
    assert keys(again) == keys(first)
    assert [t.key for t in again.timers] == [t.key for t in first.timers]
    assert sql(database_url, "SELECT extract(epoch FROM announced_at)::bigint FROM matches_1v1") == [
        [int(WAVE_AT + 5)]]


def test_every_timer_lost_the_sweep_abandons_each_match_at_its_deadline_once(database_url):
    pairs = queue_pairs(database_url, 3)
    run_tick(database_url, "matchmaking_wave", "w1", at=WAVE_AT)  # announced at WAVE_AT; timers dropped
    run(database_url, click_job("mc:2", pairs[1][0]), at=WAVE_AT + 10)  # one player of match 2 confirmed
    run(database_url, click_job("mc:3", pairs[2][0]), at=WAVE_AT + 10)
    run(database_url, click_job("mc:3", pairs[2][1]), at=WAVE_AT + 11)  # match 3 confirmed by both

    assert run_tick(database_url, "confirmation_sweep", "s1", at=WAVE_AT + 119).deliveries == ()
    assert players_in_a_match(database_url) == 6

    swept = run_tick(database_url, "confirmation_sweep", "s2", at=WAVE_AT + 120)
    assert swept.outcome == "abandoned_2"
    assert sql(database_url, "SELECT match_id, status FROM matches_1v1 ORDER BY match_id") == [
        [1, "abandoned"], [2, "abandoned"], [3, "confirmed"]]
    assert players_in_a_match(database_url) == 2  # match 3's players, who play
    # The same notices as the timer would have sent: each player told once, found messages closed.
    assert sorted(d.key for d in swept.deliveries if isinstance(d, DirectMessage)) == sorted(
        f"match:{m}:abandoned:{u}" for m, pair in ((1, pairs[0]), (2, pairs[1])) for u in pair)
    # The one who confirmed is not penalised; the three who did not cannot queue for 10 minutes.
    timed_out = sql(database_url, "SELECT discord_user_id FROM players WHERE queue_timeout_until IS NOT NULL "
                                  "ORDER BY 1")
    assert timed_out == [[pairs[0][0]], [pairs[0][1]], [pairs[1][1]]]
    # The next tick finds nothing; a late timer changes nothing and sends the same keys.
    assert run_tick(database_url, "confirmation_sweep", "s3", at=WAVE_AT + 180).outcome == "abandoned_0"
    late = run(database_url, timer_job("match_deadline", "match:1:deadline", {"match_id": 1}), at=WAVE_AT + 200)
    assert sorted(keys(late)) == sorted(k for k in keys(swept) if k.startswith("match:1:"))


def test_a_match_never_announced_is_cancelled_after_the_limit_without_penalty(database_url):
    queue_pairs(database_url, 1)
    run_tick(database_url, "matchmaking_wave", "w1", at=WAVE_AT, fanout=False)  # its found job is lost

    # Its players were never told: it waits for its announcement, then goes, and nobody is blamed.
    assert run_tick(database_url, "confirmation_sweep", "s1", at=WAVE_AT + 121).outcome == "abandoned_0"
    swept = run_tick(database_url, "confirmation_sweep", "s2", at=WAVE_AT + 600)
    assert swept.outcome == "abandoned_1"
    assert players_in_a_match(database_url) == 0
    assert sql(database_url, "SELECT count(*) FROM players WHERE queue_timeout_until IS NOT NULL") == [[0]]
    notice = text_of(dms(swept)[0].body)
    assert "Cancelled" in notice and "You can queue again" in notice
    # The found job, arriving after all, says nothing: the match it would announce is gone.
    late = run(database_url, timer_job("match_found", "match:1:found", {"match_id": 1, "searching": []}),
               at=WAVE_AT + 601)
    assert (late.outcome, late.deliveries, late.timers) == ("found_abandoned", (), ())


def test_queue_expiry_tells_each_player_in_a_job_of_their_own(database_url):
    for user in (1, 2, 3):
        seed_ready(database_url, user, bw="bw_zerg")
        run(database_url, click_job("qjoin", user))
    tick = run_tick(database_url, "queue_expiry", "e1", at=T0 + 9000, fanout=False)
    assert tick.deliveries == ()
    assert sorted(t.route for t in tick.timers) == [fanout.DELIVER_ROUTE] * 3
    for timer in tick.timers:
        [dm] = dms(run(database_url, timer_job(timer.route, timer.key, timer.payload), at=T0 + 9001))
        assert "2½ hours" in text_of(dm.body)
    assert sorted(dm.user_id for dm in dms(run_fanout(database_url, tick, at=T0 + 9001))) == ["1", "2", "3"]


def test_a_fanout_job_carries_only_deliveries_a_timer_can_send():
    dm = DirectMessage("k", "1", {"content": "hi"})
    [decoded] = [fanout.decode(d) for d in fanout.deliver_job("g", [dm]).payload["deliveries"]]
    assert decoded == dm
    import pytest
    from ladderline.ladder.deliveries import EditOriginal

    with pytest.raises(ValueError, match="cannot carry EditOriginal"):
        fanout.deliver_job("g", [EditOriginal({"content": "x"})])


def test_closed_text_of_an_unannounced_match_blames_nobody():
    match = {"match_id": 1, "status": "abandoned", "announced": False, "aborted_by": None,
             "players": [{"user_id": "1", "name": "A", "confirmed": False},
                         {"user_id": "2", "name": "B", "confirmed": False}]}
    texts = [text_of(n.body) for n in match_messages.closed_notices(match) if isinstance(n, DirectMessage)]
    assert len(texts) == 2 and all("can't queue" not in t and "Cancelled" in t for t in texts)


def stranded(reply) -> list[float]:
    return [v for m in reply.metrics if m.name == "StrandedPlayers" for v in m.values]


def test_the_sweep_reports_players_a_sweep_should_already_have_freed(database_url):
    queue_pairs(database_url, 2)
    run_tick(database_url, "matchmaking_wave", "w1", at=WAVE_AT)
    # Due now, swept now: nobody stranded.
    assert stranded(run_tick(database_url, "confirmation_sweep", "s1", at=WAVE_AT + 60)) == [0]
    # No sweep ran for three minutes past the deadline (ticks stopped): the next one counts the
    # four players it should not have found, then frees them.
    late = run_tick(database_url, "confirmation_sweep", "s2", at=WAVE_AT + 300)
    assert stranded(late) == [4] and late.outcome == "abandoned_2"
    assert stranded(run_tick(database_url, "confirmation_sweep", "s3", at=WAVE_AT + 360)) == [0]
    assert players_in_a_match(database_url) == 0


def test_the_next_wave_shown_to_players_follows_the_tick_interval(database_url):
    from ladderline.job import Job
    from ladderline.ladder.context import JobContext
    from ladderline.ladder.registry import registry

    from tests.support.ladder_jobs import database

    queue_pairs(database_url, 1)
    db = database(database_url)
    try:
        tick = Job.tick("2026-03-01T12:01:00Z", interval_seconds=5)  # the local stack's ticker
        registry().ticks()["matchmaking_wave"](JobContext(job=tick, db=db, clock=lambda: WAVE_AT))
    finally:
        db.close()
    assert sql(database_url, "SELECT extract(epoch FROM next_wave_at)::bigint FROM matchmaking_state") == [
        [int(WAVE_AT) + 5]]
