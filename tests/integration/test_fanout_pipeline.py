"""A wave's fan-out through the deployed shape (moto SQS and DynamoDB, the worker, PostgreSQL, the
Discord emulator): one match's Discord trouble never holds, fails or repeats another's."""

from __future__ import annotations

import time

import requests
from ladderline.job import Job
from ladderline.ladder.deliveries import DirectMessage
from ladderline.ladder.fanout import encode
from ladderline.pipeline.worker import DEFER_BASE_SECONDS, DEFER_JITTER_SECONDS

from tests.support.aws import load_handler
from tests.support.discord import BOT_TOKEN
from tests.support.ladder_jobs import sql

PLAYERS = 10  # five matches


def queue_players(database_url: str) -> list[int]:
    users = []
    for i in range(PLAYERS):
        user = 5000 + i
        races = "{bw_zerg}" if i % 2 == 0 else "{sc2_terran}"
        sql(database_url, "INSERT INTO players (discord_user_id, player_name, battletag, region, terms_accepted_at, "
                          "activated_at) VALUES (:u, :n, 'P#1234', 'EUW', now(), now())", u=user, n=f"P{user}")
        sql(database_url, "INSERT INTO preferences_1v1 (discord_user_id, last_chosen_races) "
                          "VALUES (:u, CAST(:r AS text[]))", u=user, r=races)
        sql(database_url, "SELECT ladder_queue_join(:u, :k, now())", u=user, k=f"join-{user}")
        users.append(user)
    return users


def drain(pipeline, seconds: float = 30.0) -> None:
    """Run the worker like the event source until the queue is empty (failed jobs come back after
    their shortened visibility: 3 s; delayed messages, the matches' timers, are left for later)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        attributes = pipeline.aws.sqs.get_queue_attributes(
            QueueUrl=pipeline.aws.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        if all(attributes[name] == "0" for name in attributes):
            return
        if pipeline.run_worker()["batchItemFailures"] == [] and attributes["ApproximateNumberOfMessages"] == "0":
            time.sleep(0.5)
    raise AssertionError("the queue did not drain")


def found_dms(discord, user: int) -> list[dict]:
    return [m for m in discord.dms(str(user)) if any("found" in (e.get("title") or "") for e in m.get("embeds", []))]


def test_one_players_rate_limit_holds_only_their_own_match(pipeline):
    users = queue_players(pipeline.database_url)
    troubled = users[3]
    # Discord answers this player's DM channel with a long 429 once (the client hands the job back).
    channel = requests.post(f"{pipeline.discord.base_url}/users/@me/channels", json={"recipient_id": str(troubled)},
                            headers={"Authorization": f"Bot {BOT_TOKEN}"}, timeout=5).json()["id"]
    pipeline.discord.script("POST", f"/channels/{channel}/messages", 429,
                            {"message": "You are being rate limited.", "retry_after": 60.0, "global": False})
    pipeline.aws.sqs.send_message(QueueUrl=pipeline.aws.queue_url,
                                  MessageBody=Job.tick("2026-12-04T20:00:00Z").to_json())

    assert pipeline.run_worker()["batchItemFailures"] == []  # the tick: commit, publish, done
    first = pipeline.run_worker()  # the five "match found" jobs, side by side
    # A rate limit is not a failure: the troubled match's job is back on the queue as a new message,
    # delayed, its receive count starting again (waiting cannot dead-letter it).
    assert first["batchItemFailures"] == []
    # Waiting: the `match_told` jobs of the four matches told at once (their windows start there);
    # delayed: the deferred job.
    counts = pipeline.aws.sqs.get_queue_attributes(QueueUrl=pipeline.aws.queue_url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesDelayed"]) == ("4", "1")
    told = [u for u in users if found_dms(pipeline.discord, u)]
    [[troubled_match]] = sql(pipeline.database_url, "SELECT match_id FROM matches_1v1 WHERE :u IN (player_1, player_2)",
                             u=troubled)
    partner = [u for u in users if u != troubled and sql(
        pipeline.database_url, "SELECT 1 FROM matches_1v1 WHERE match_id = :m AND :u IN (player_1, player_2)",
        m=troubled_match, u=u)]
    # Everyone outside the troubled match was told at once.
    assert troubled not in told and set(users) - set(told) <= {troubled, *partner}

    # The client remembers the 60 s 429 in its container; the deferred job (5-10 s later) lands in another.
    pipeline.worker = load_handler("worker")
    time.sleep(DEFER_BASE_SECONDS + DEFER_JITTER_SECONDS + 1)
    drain(pipeline)
    for user in users:
        assert len(found_dms(pipeline.discord, user)) == 1, user  # exactly once, the troubled one too
    assert pipeline.aws.receive(pipeline.aws.dlq_url) == []
    assert sql(pipeline.database_url, "SELECT count(*) FROM matches_1v1 WHERE announced_at IS NOT NULL") == [[5]]
    # The troubled match's window started when its job came back and told both players: they have
    # the full two minutes from then, not what was left of the first run's.
    [[window, told_late]] = sql(pipeline.database_url, "SELECT extract(epoch FROM confirm_deadline - told_at), "
                                "extract(epoch FROM told_at - announced_at) FROM matches_1v1 WHERE match_id = :m",
                                m=troubled_match)
    assert float(window) == 120 and float(told_late) >= DEFER_BASE_SECONDS
    assert sql(pipeline.database_url, "SELECT count(*) FROM matches_1v1 WHERE told_at IS NOT NULL") == [[5]]


def test_the_same_tick_delivered_twice_tells_everyone_once(pipeline):
    users = queue_players(pipeline.database_url)
    tick = Job.tick("2026-12-04T20:01:00Z").to_json()
    for _ in range(2):
        pipeline.aws.sqs.send_message(QueueUrl=pipeline.aws.queue_url, MessageBody=tick)
    drain(pipeline)
    assert [len(found_dms(pipeline.discord, u)) for u in users] == [1] * PLAYERS
    assert sql(pipeline.database_url, "SELECT count(*) FROM matches_1v1") == [[5]]
    assert pipeline.aws.receive(pipeline.aws.dlq_url) == []


def test_a_tick_that_dies_between_its_commit_and_its_publish_tells_everyone_once(pipeline, monkeypatch):
    users = queue_players(pipeline.database_url)
    scheduler = pipeline.worker.worker._timers
    real_send = scheduler._send
    calls = {"n": 0}

    def dies_after_the_first_batch(chunk):
        calls["n"] += 1
        if calls["n"] == 2:  # the wave committed and published part of its jobs, then the worker died
            raise ConnectionError("the container was killed")
        return real_send(chunk)

    monkeypatch.setattr(scheduler, "_send", dies_after_the_first_batch)
    monkeypatch.setattr("ladderline.adapters.timers.BATCH_ENTRIES", 2)  # five jobs: three SendMessageBatch calls
    monkeypatch.setattr(scheduler, "_threads", 1)
    pipeline.aws.sqs.send_message(QueueUrl=pipeline.aws.queue_url, MessageBody=Job.tick("2026-12-04T20:02:00Z").to_json())
    assert len(pipeline.run_worker()["batchItemFailures"]) == 1  # the tick fails after its commit
    assert sql(pipeline.database_url, "SELECT count(*) FROM matches_1v1") == [[5]]

    drain(pipeline)  # the tick again (its wave answers the same matches), and every match's job
    assert [len(found_dms(pipeline.discord, u)) for u in users] == [1] * PLAYERS
    assert sql(pipeline.database_url, "SELECT count(*) FROM matches_1v1") == [[5]]
    assert pipeline.aws.receive(pipeline.aws.dlq_url) == []


def test_the_database_down_after_the_wave_delays_the_announcements_and_loses_nothing(pipeline, monkeypatch):
    from ladderline import settings as names

    users = queue_players(pipeline.database_url)
    pipeline.aws.sqs.send_message(QueueUrl=pipeline.aws.queue_url, MessageBody=Job.tick("2026-12-04T20:03:00Z").to_json())
    assert pipeline.run_worker()["batchItemFailures"] == []  # the wave committed and published
    # PostgreSQL stops: every match's job fails (it announces through the database) and comes back.
    up = pipeline.worker
    monkeypatch.setenv(names.DATABASE_URL, "postgresql://ladder:x@127.0.0.1:9/ladder")
    pipeline.worker = load_handler("worker")
    assert len(pipeline.run_worker()["batchItemFailures"]) == 5
    assert all(found_dms(pipeline.discord, u) == [] for u in users)
    # It is back: each match is announced once, its window starting then, and nobody is told twice.
    pipeline.worker = up
    drain(pipeline)
    assert [len(found_dms(pipeline.discord, u)) for u in users] == [1] * PLAYERS
    assert sql(pipeline.database_url, "SELECT status, count(*) FROM matches_1v1 WHERE announced_at IS NOT NULL "
                                      "AND confirm_deadline >= announced_at + interval '120 seconds' GROUP BY 1") == [
        ["confirming", 5]]
    assert pipeline.aws.receive(pipeline.aws.dlq_url) == []


def test_a_job_rate_limited_for_longer_than_it_may_wait_fails_as_an_attempt(pipeline):
    users = queue_players(pipeline.database_url)[:2]
    pipeline.discord.script("POST", "/channels/*/messages", 429,
                            {"message": "You are being rate limited.", "retry_after": 60.0, "global": False},
                            times=100)
    # A job made 16 minutes ago (past MAX_DEFER_SECONDS): the rate limit now counts as an attempt.
    dm = DirectMessage(key="old-dm", user_id=str(users[0]), body={"content": "hello"})
    old = Job.timer(route="deliver", key="deliver:old", scheduled_at_ms=int((time.time() - 16 * 60) * 1000),
                    payload={"deliveries": [encode(dm)]})
    pipeline.aws.sqs.send_message(QueueUrl=pipeline.aws.queue_url, MessageBody=old.to_json())

    assert len(pipeline.run_worker()["batchItemFailures"]) == 1
    assert pipeline.aws.sqs.get_queue_attributes(QueueUrl=pipeline.aws.queue_url, AttributeNames=[
        "ApproximateNumberOfMessagesDelayed"])["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "0"


def test_the_database_down_during_the_wave_runs_it_once_when_it_is_back(pipeline, monkeypatch):
    from ladderline import settings as names

    users = queue_players(pipeline.database_url)
    up = pipeline.worker
    monkeypatch.setenv(names.DATABASE_URL, "postgresql://ladder:x@127.0.0.1:9/ladder")
    pipeline.worker = load_handler("worker")  # PostgreSQL is unreachable for this container
    pipeline.aws.sqs.send_message(QueueUrl=pipeline.aws.queue_url, MessageBody=Job.tick("2026-12-04T20:04:00Z").to_json())
    assert len(pipeline.run_worker()["batchItemFailures"]) == 1  # the tick fails before any wave
    assert sql(pipeline.database_url, "SELECT count(*) FROM matches_1v1") == [[0]]
    # Back: the tick's retry runs the wave once, everyone is told once, nothing is dead-lettered.
    pipeline.worker = up
    drain(pipeline)
    assert sql(pipeline.database_url, "SELECT count(*) FROM matches_1v1") == [[5]]
    assert [len(found_dms(pipeline.discord, u)) for u in users] == [1] * PLAYERS
    assert pipeline.aws.receive(pipeline.aws.dlq_url) == []
