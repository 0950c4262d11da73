"""Deliveries exactly once: the worker core against real PostgreSQL (the deliveries record), moto
(idempotency, the invalid-request counter, timers) and the Discord emulator (nonces, DMs)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from ladderline.discord import responses
from ladderline.discord.constants import InteractionType
from ladderline.job import Job
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.deliveries import (
    ChannelMessage,
    DirectMessage,
    EditMessage,
    EditResponse,
    FollowUp,
    Timer,
)
from ladderline.ladder.routes import Ack, Route
from ladderline.pipeline.outbox import nonce_for

from tests.support.postgres import pg_connect
from tests.support.worker import interaction_job, make_worker, run

OPPONENT = "222222222222222222"
STAFF_CHANNEL = "333333333333333333"
RESULTS_CHANNEL = "444444444444444444"


def three(ctx: JobContext) -> Reply:
    match = ctx.job.interaction_id
    return Reply(responses.message("Match found!"), deliveries=(
        DirectMessage(f"match:{match}:dm", OPPONENT, responses.message("You have a match.")),
        ChannelMessage(f"match:{match}:staff", STAFF_CHANNEL, responses.message("New match.")),
        ChannelMessage(f"match:{match}:results", RESULTS_CHANNEL, responses.message("Results go here.")),
    ))


def edit_later(ctx: JobContext) -> Reply:
    target = ctx.job.options["target"]
    return Reply(None, deliveries=(EditMessage(f"{ctx.job.interaction_id}:edit", responses.message("Match over."),
                                               target_key=target),))


def follow(ctx: JobContext) -> Reply:
    return Reply(responses.message("Queued."), deliveries=(
        FollowUp(f"{ctx.job.interaction_id}:follow", responses.message("A follow-up.")),))


def remind(ctx: JobContext) -> Reply:
    return Reply(responses.message("Reminder set."),
                 timers=(Timer("remind", f"remind:{ctx.job.interaction_id}", 0, {"user": ctx.job.user_id}),))


def reminder(ctx: JobContext) -> Reply:
    return Reply(None, deliveries=(DirectMessage(f"{ctx.job.interaction_id}:dm", ctx.job.payload["user"],
                                                 responses.message("Reminder!")),))


def command(key, handler):
    return Route(key=key, kind=InteractionType.APPLICATION_COMMAND, ack=Ack.DEFERRED_MESSAGE, handler=handler)


def edit_earlier(ctx: JobContext) -> Reply:
    """A timer editing an earlier interaction's response with that interaction's token."""
    p = ctx.job.payload
    return Reply(None, deliveries=(EditResponse(f"{ctx.job.interaction_id}:searching", p["interaction_id"],
                                                p["application_id"], p["token"], responses.message("Match found!")),))


MODULE = SimpleNamespace(
    ROUTES=(command("three", three), command("edit_later", edit_later), command("follow", follow),
            command("remind", remind)),
    TIMERS={"remind": reminder, "edit_earlier": edit_earlier},
)


@pytest.fixture
def harness(aws, discord, database_url):
    worker, observer = make_worker(MODULE, aws=aws, discord=discord, database_url=database_url)
    yield SimpleNamespace(worker=worker, observer=observer, discord=discord, aws=aws, db=database_url)
    worker.close()


def creations(discord, channel_id):
    return [r for r in discord.requests if r.method == "POST" and r.path.endswith(f"/channels/{channel_id}/messages")]


def recorded(database_url):
    return dict(pg_connect(database_url).run("SELECT delivery_key, outcome FROM deliveries"))


def test_a_rerun_after_the_first_of_three_deliveries_sends_the_other_two_once(harness):
    h = harness
    job, payload = interaction_job(h.discord, "three")
    # The staff channel is down for this run: the DM went out, the rest must wait for the re-run.
    h.discord.script("POST", f"/channels/{STAFF_CHANNEL}/messages", 500, {"message": "oops"}, times=5)

    with pytest.raises(Exception, match="channel_message unavailable"):
        run(h.worker, job)
    assert [m["content"] for m in h.discord.dms(OPPONENT)] == ["You have a match."]
    assert h.discord.channel_messages(RESULTS_CHANNEL) == []  # in order: nothing after the failure

    assert run(h.worker, job, receive_count=2)["outcome"] == "ok"

    assert [m["content"] for m in h.discord.dms(OPPONENT)] == ["You have a match."]
    assert [m["content"] for m in h.discord.channel_messages(STAFF_CHANNEL)] == ["New match."]
    assert [m["content"] for m in h.discord.channel_messages(RESULTS_CHANNEL)] == ["Results go here."]
    dm_channel = h.discord.dms(OPPONENT)[0]["channel_id"]
    assert len(creations(h.discord, dm_channel)) == 1  # skipped on the re-run, not re-sent
    assert set(recorded(h.db).values()) == {"sent"} and len(recorded(h.db)) == 3
    assert h.discord.message(payload["token"])["content"] == "Match found!"


def test_a_crash_between_sending_and_recording_still_leaves_one_message(harness, monkeypatch):
    h = harness
    job, _ = interaction_job(h.discord, "three")
    store = h.worker._outbox._store
    real_record = store.record
    crashed = []

    def crash_once(key, **kwargs):
        if not crashed:
            crashed.append(key)
            raise ConnectionError("the database went away after Discord answered")
        return real_record(key, **kwargs)

    monkeypatch.setattr(store, "record", crash_once)
    with pytest.raises(ConnectionError):
        run(h.worker, job)
    assert run(h.worker, job, receive_count=2)["outcome"] == "ok"

    [message] = h.discord.dms(OPPONENT)
    posts = creations(h.discord, message["channel_id"])
    # Sent twice with the same nonce; Discord (enforce_nonce) answered the second with the first message.
    assert [p.json["nonce"] for p in posts] == [nonce_for(crashed[0])] * 2
    assert all(p.json["enforce_nonce"] is True for p in posts)
    assert recorded(h.db)[crashed[0]] == "sent"


def test_a_later_job_edits_a_message_by_the_key_that_created_it(harness):
    h = harness
    first, _ = interaction_job(h.discord, "three")
    run(h.worker, first)
    later, _ = interaction_job(h.discord, "edit_later", target=f"match:{first.interaction_id}:staff")

    run(h.worker, later)

    [message] = h.discord.channel_messages(STAFF_CHANNEL)
    assert message["content"] == "Match over." and message["edited_timestamp"]
    # A key that was never sent is skipped, not retried.
    missing, _ = interaction_job(h.discord, "edit_later", target="match:0:staff")
    assert run(h.worker, missing)["outcome"] == "ok"
    assert ("edit_message", "no_target") in h.observer.deliveries()


def test_a_user_who_refuses_dms_is_recorded_and_never_retried(harness):
    h = harness
    h.discord.block_dms(OPPONENT)
    job, _ = interaction_job(h.discord, "three")

    assert run(h.worker, job)["outcome"] == "ok"  # the other deliveries still go out

    assert recorded(h.db)[f"match:{job.interaction_id}:dm"] == "refused"
    assert ("dm", "refused") in h.observer.deliveries()
    assert [m["content"] for m in h.discord.channel_messages(RESULTS_CHANNEL)] == ["Results go here."]


def test_an_expired_token_answers_by_dm_saying_which_command(harness):
    h = harness
    job, payload = interaction_job(h.discord, "follow", created=time.time() - 16 * 60)

    run(h.worker, job)

    assert not [r for r in h.discord.requests_for(payload["token"])]  # the dead token is never used
    texts = [m["content"] for m in h.discord.dms(job.user_id)]
    assert len(texts) == 2  # the reply and the follow-up, each as a DM
    assert all(t.startswith("This answers your `/follow`") for t in texts)
    assert texts[0].endswith("Queued.") and texts[1].endswith("A follow-up.")
    assert ("fallback_dm", "sent") in h.observer.deliveries()
    run(h.worker, job, receive_count=2)  # a redelivery sends nothing more
    assert len(h.discord.dms(job.user_id)) == 2


def test_a_token_about_to_expire_is_not_retried_later_but_answered_by_dm(harness):
    h = harness
    job, payload = interaction_job(h.discord, "follow", created=time.time() - 14 * 60 - 30)
    h.discord.script("PATCH", "/webhooks/*/messages/@original", 503, {"message": "down"}, times=5)

    run(h.worker, job)

    [dm] = h.discord.dms(job.user_id)
    assert dm["content"].startswith("This answers your `/follow`") and dm["content"].endswith("Queued.")
    # The token still works for the follow-up itself.
    assert [m["content"] for m in h.discord.followups(payload["token"])] == ["A follow-up."]


def test_a_followup_is_recorded_with_its_message_id(harness):
    h = harness
    job, payload = interaction_job(h.discord, "follow")

    run(h.worker, job)
    run(h.worker, job, receive_count=2)

    [followup] = h.discord.followups(payload["token"])
    row = pg_connect(h.db).run("SELECT message_id::text, outcome FROM deliveries WHERE delivery_key = :k",
                               k=f"{job.interaction_id}:follow")
    assert row == [[followup["id"], "sent"]]


def test_a_timer_is_published_with_its_delay_and_runs_once(harness):
    h = harness
    job, _ = interaction_job(h.discord, "remind")
    run(h.worker, job)
    run(h.worker, job.to_json(), receive_count=1)  # a duplicate of the job: nothing published twice...
    [timer_message] = h.aws.receive()
    timer = Job.from_json(timer_message["Body"])
    assert (timer.kind, timer.route, timer.interaction_id) == ("timer", "remind", f"remind:{job.interaction_id}")
    assert timer.payload == {"user": job.user_id}

    run(h.worker, timer)
    run(h.worker, timer, receive_count=2)  # ...and a timer delivered twice runs once

    assert [m["content"] for m in h.discord.dms(job.user_id)] == ["Reminder!"]


def test_a_reply_that_publishes_a_timer_twice_still_runs_it_once(harness):
    h = harness
    job, _ = interaction_job(h.discord, "remind")
    run(h.worker, job)
    # The job re-runs (its idempotency record expired with a Lambda timeout): the timer goes out again.
    h.worker._timers.schedule(
        (Timer("remind", f"remind:{job.interaction_id}", 0, {"user": job.user_id}),), now_ms=0)
    timers = [Job.from_json(m["Body"]) for m in h.aws.receive()]
    assert len(timers) == 2

    for timer in timers:
        run(h.worker, timer)

    assert [m["content"] for m in h.discord.dms(job.user_id)] == ["Reminder!"]


@pytest.mark.parametrize(("age_s", "edited"), [(60, True), (16 * 60, False)])
def test_a_timer_edits_an_earlier_response_only_while_its_token_lives(harness, age_s, edited):
    h = harness
    earlier, _ = interaction_job(h.discord, "three", created=time.time() - age_s)
    timer = Job.timer(route="edit_earlier", key=f"t:{earlier.interaction_id}", scheduled_at_ms=int(time.time() * 1000),
                      payload={"interaction_id": earlier.interaction_id, "application_id": earlier.application_id,
                               "token": earlier.token})

    assert run(h.worker, timer)["outcome"] == "ok"

    patches = [r for r in h.discord.requests if r.method == "PATCH" and earlier.token in r.path.split("/")]
    if edited:
        assert len(patches) == 1 and h.discord.message(earlier.token)["content"] == "Match found!"
        assert ("edit_response", "sent") in h.observer.deliveries()
    else:  # a token this old is never used (Discord would count a 401 against the bot)
        assert patches == [] and ("edit_response", "skipped") in h.observer.deliveries()


def dm_opens(discord):
    return [r for r in discord.requests if r.method == "POST" and r.path.endswith("/users/@me/channels")]


def test_a_users_dm_channel_is_opened_once_then_each_dm_is_one_request(harness, database_url):
    h = harness
    for n in range(3):
        job = Job.timer(route="remind", key=f"reminder-{n}", payload={"user": OPPONENT},
                        scheduled_at_ms=int(time.time() * 1000))
        run(h.worker, job)
    assert [m["content"] for m in h.discord.dms(OPPONENT)] == ["Reminder!"] * 3
    assert len(dm_opens(h.discord)) == 1
    # Kept in the database too: a new container (an empty in-process cache) opens nothing.
    fresh, _ = make_worker(MODULE, aws=h.aws, discord=h.discord, database_url=database_url)
    try:
        run(fresh, Job.timer(route="remind", key="reminder-fresh", payload={"user": OPPONENT},
                             scheduled_at_ms=int(time.time() * 1000)))
    finally:
        fresh.close()
    assert len(dm_opens(h.discord)) == 1 and len(h.discord.dms(OPPONENT)) == 4
    [[channel]] = pg_connect(database_url).run("SELECT channel_id::text FROM dm_channels")
    assert h.discord.dm_recipient(channel) == OPPONENT


def test_a_kept_dm_channel_discord_no_longer_knows_is_opened_again(harness, database_url):
    h = harness
    run(h.worker, Job.timer(route="remind", key="r1", payload={"user": OPPONENT},
                            scheduled_at_ms=int(time.time() * 1000)))
    [[channel]] = pg_connect(database_url).run("SELECT channel_id::text FROM dm_channels")
    h.discord.script("POST", f"/channels/{channel}/messages", 404, {"message": "Unknown Channel", "code": 10003})
    run(h.worker, Job.timer(route="remind", key="r2", payload={"user": OPPONENT},
                            scheduled_at_ms=int(time.time() * 1000)))
    assert len(dm_opens(h.discord)) == 2 and len(h.discord.dms(OPPONENT)) == 2
