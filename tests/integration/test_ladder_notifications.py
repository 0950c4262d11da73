"""/notifications on a real PostgreSQL: who is alerted when someone joins the queue, at most once
per interval, never while in a match or queueing, exactly once under redelivery and races."""

from __future__ import annotations

import threading

from tests.support.ladder_jobs import T0, click_job, command_job, run, seed_ready, sql, text_of, timer_job

JOINER, NEAR, FAR, BUSY, QUEUED, SAME_GAME, LATE = 2001, 2002, 2003, 2004, 2005, 2006, 2007


def subscribe(url: str, user: int, every: str = "60", at: float = T0) -> str:
    return text_of(run(url, command_job("notifications", user, {"alerts": every}), at).body)


def join(url: str, user: int, at: float = T0):
    """A Join click, then its alerts job and their send jobs; the DMs sent, by user id."""
    click = click_job("qjoin", user)
    reply = run(url, click, at)
    [alerts] = [t for t in reply.timers if t.route == "queue_alerts"]
    return alerted(url, run(url, timer_job(alerts.route, alerts.key, alerts.payload), at), at)


def alerted(url: str, reply, at: float = T0) -> dict[str, str]:
    """Run the alerts job's send jobs (at `at`); the DMs they send, by user id."""
    dms = {}
    for job in reply.timers:
        assert job.route == "queue_alert_send"
        for delivery in run(url, timer_job(job.route, job.key, job.payload), at).deliveries:
            dms[delivery.user_id] = text_of(delivery.body)
    return dms


def community(url: str) -> None:
    seed_ready(url, JOINER, name="Joiner", bw="bw_zerg", mmr={"bw_zerg": 1500})
    seed_ready(url, NEAR, name="Near", sc2="sc2_terran", mmr={"sc2_terran": 1600})
    seed_ready(url, FAR, name="Far", sc2="sc2_terran", mmr={"sc2_terran": 1800})
    seed_ready(url, BUSY, name="Busy", sc2="sc2_terran", mmr={"sc2_terran": 1500})
    seed_ready(url, QUEUED, name="Queued", sc2="sc2_terran", mmr={"sc2_terran": 1500})
    seed_ready(url, SAME_GAME, name="Same", bw="bw_terran", mmr={"bw_terran": 1500})
    for user in (NEAR, FAR, BUSY, QUEUED, SAME_GAME):
        assert "You'll get a DM" in subscribe(url, user)
    sql(url, "UPDATE players SET active_match_id = 999 WHERE discord_user_id = :u", u=BUSY)
    run(url, click_job("qjoin", QUEUED), T0 - 60)


def test_a_join_alerts_only_free_subscribers_in_range_on_the_other_game(database_url):
    community(database_url)
    dms = join(database_url, JOINER)
    assert list(dms) == [str(NEAR)]  # not far, not in a match, not queueing, not the same game
    assert "**Joiner** just joined the ladder queue, in your range" in dms[str(NEAR)]


def test_the_alerts_job_run_again_sends_the_same_alerts_under_the_same_keys(database_url):
    community(database_url)
    reply = run(database_url, click_job("qjoin", JOINER))
    [job] = [t for t in reply.timers if t.route == "queue_alerts"]
    first = run(database_url, timer_job(job.route, job.key, job.payload))
    again = run(database_url, timer_job(job.route, job.key, job.payload), T0 + 5)
    assert [t.key for t in first.timers] == [t.key for t in again.timers]
    assert alerted(database_url, first) == alerted(database_url, again) == {str(NEAR): alerted(database_url, first)[str(NEAR)]}
    assert sql(database_url, "SELECT count(*) FROM queue_alerts_sent") == [[1]]


def test_at_most_one_alert_per_interval_and_off_stops_them(database_url):
    community(database_url)
    assert list(join(database_url, JOINER)) == [str(NEAR)]
    sql(database_url, "DELETE FROM queue_entries WHERE discord_user_id = :u", u=JOINER)
    seed_ready(database_url, LATE, name="Late", bw="bw_protoss", mmr={"bw_protoss": 1550})
    assert join(database_url, LATE, T0 + 30 * 60) == {}  # within Near's hour
    sql(database_url, "DELETE FROM queue_entries WHERE discord_user_id = :u", u=LATE)
    assert list(join(database_url, LATE, T0 + 61 * 60)) == [str(NEAR)]
    sql(database_url, "DELETE FROM queue_entries WHERE discord_user_id = :u", u=LATE)
    assert subscribe(database_url, NEAR, "off") == "🔕 Queue notifications are off."
    assert join(database_url, LATE, T0 + 200 * 60) == {}


def test_two_joins_at_the_same_instant_alert_a_player_once(database_url):
    community(database_url)
    seed_ready(database_url, LATE, name="Late", bw="bw_protoss", mmr={"bw_protoss": 1550})
    results: list[dict[str, str]] = []
    barrier = threading.Barrier(2)

    def go(user: int) -> None:
        barrier.wait()
        results.append(join(database_url, user))

    threads = [threading.Thread(target=go, args=(u,)) for u in (JOINER, LATE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r) for r in results) == [0, 1] and [str(NEAR)] in [list(r) for r in results]


def test_notifications_need_a_profile_and_the_terms(database_url):
    reply = run(database_url, command_job("notifications", 4242, {"alerts": "60"}))
    assert "/setup" in text_of(reply.body)
    assert sql(database_url, "SELECT count(*) FROM queue_alerts") == [[0]]


def test_old_alert_claims_are_pruned_by_the_housekeeping_tick(database_url):
    from tests.support.ladder_jobs import run_tick

    community(database_url)
    join(database_url, JOINER)
    sql(database_url, "UPDATE queue_alerts_sent SET sent_at = now() - interval '3 days'")
    assert run_tick(database_url, "prune_queue_alerts").outcome == "pruned"
    assert sql(database_url, "SELECT count(*) FROM queue_alerts_sent") == [[0]]


def test_a_join_publishes_no_alerts_job_when_nobody_may_be_alerted(database_url):
    seed_ready(database_url, JOINER, name="Joiner", bw="bw_zerg", mmr={"bw_zerg": 1500})
    reply = run(database_url, click_job("qjoin", JOINER))
    assert reply.outcome == "joined" and [t for t in reply.timers if t.route == "queue_alerts"] == []


def test_an_alert_held_back_is_rechecked_when_sent(database_url):
    # The send job runs later than the claim (a rate limit, a backlog): what is true then decides.
    community(database_url)
    seed_ready(database_url, LATE, name="Late", sc2="sc2_protoss", mmr={"sc2_protoss": 1450})
    assert "You'll get a DM" in subscribe(database_url, LATE)
    reply = run(database_url, click_job("qjoin", JOINER))
    [job] = [t for t in reply.timers if t.route == "queue_alerts"]
    claimed = run(database_url, timer_job(job.route, job.key, job.payload))
    [send] = claimed.timers
    assert sorted(send.payload["users"]) == sorted([str(NEAR), str(LATE)])

    run(database_url, click_job("qjoin", LATE), T0 + 20)  # Late queues before the alert goes out
    sent = run(database_url, timer_job(send.route, send.key, send.payload), T0 + 30)
    assert [d.user_id for d in sent.deliveries] == [str(NEAR)]  # never to someone now queueing

    sql(database_url, "DELETE FROM queue_entries WHERE discord_user_id = :u", u=JOINER)  # the joiner left
    again = run(database_url, timer_job(send.route, send.key, send.payload), T0 + 40)
    assert again.deliveries == () and again.outcome == "alerts_stale"
