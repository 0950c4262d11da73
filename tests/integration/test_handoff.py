"""Hand-off: a click's or a command's DMs never wait out Discord's rate limits in the jobs lane.

At community scale a wave's match-found DMs use Discord's global 50 requests/s for minutes; a
Confirm click whose job then waited for the same budget would hold one of the lane's few worker
slots, and thousands of clicks would queue past their deadlines. Against the emulator (Discord's
global limit, 429s), real PostgreSQL and moto: the job ends at once with its own reply, and its
rate-limited messages go out once from a fan-out job."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from ladderline.discord import responses
from ladderline.discord.constants import InteractionType
from ladderline.job import Job
from ladderline.ladder import fanout
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.deliveries import DirectMessage
from ladderline.ladder.routes import Ack, Route

from tests.support.worker import interaction_job, make_worker, run

OPPONENT, OTHER = "222222222222222222", "333333333333333333"


def confirm(ctx: JobContext) -> Reply:
    match = ctx.job.interaction_id
    return Reply(responses.message("✅ Confirmed."), deliveries=(
        DirectMessage(f"match:{match}:card:{OPPONENT}", OPPONENT, responses.message("Your match card.")),
        DirectMessage(f"match:{match}:card:{OTHER}", OTHER, responses.message("Your match card.")),
    ))


MODULE = SimpleNamespace(
    ROUTES=(Route(key="confirm", kind=InteractionType.APPLICATION_COMMAND, ack=Ack.DEFERRED_MESSAGE, handler=confirm),),
    TIMERS={fanout.DELIVER_ROUTE: fanout.handle_deliver})


@pytest.fixture
def harness(aws, discord, database_url):
    worker, _ = make_worker(MODULE, aws=aws, discord=discord, database_url=database_url,
                            fanout_routes=frozenset({fanout.DELIVER_ROUTE}))
    yield SimpleNamespace(worker=worker, discord=discord, aws=aws)
    worker.close()


def test_a_globally_rate_limited_dm_is_handed_off_and_the_click_ends_at_once(harness):
    h = harness
    job, payload = interaction_job(h.discord, "confirm")
    h.discord.block_globally(4)  # a wave is using the whole global budget for the next 4 s

    started = time.monotonic()
    outcome = run(h.worker, job)
    took = time.monotonic() - started

    assert outcome["outcome"] == "ok" and took < 3  # not 4 s, and not a retry of the click
    assert h.discord.message(payload["token"])["content"] == "✅ Confirmed."  # interaction routes are not global
    assert h.discord.dms(OPPONENT) == []
    [handed] = h.aws.receive()
    deliver = Job.from_json(handed["Body"])
    assert (deliver.route, deliver.interaction_id) == ("deliver", f"deliver:handoff:{job.idempotency_key()}")
    assert [d["user_id"] for d in deliver.payload["deliveries"]] == [OPPONENT, OTHER]

    time.sleep(4)  # the fan-out job runs once the budget is back (SQS hands it over then)
    run(h.worker, deliver)
    run(h.worker, deliver, receive_count=2)  # delivered twice: sent once
    run(h.worker, job, receive_count=2)  # the click redelivered: its hand-off is the same job, nothing twice

    assert [m["content"] for m in h.discord.dms(OPPONENT)] == ["Your match card."]
    assert [m["content"] for m in h.discord.dms(OTHER)] == ["Your match card."]


def test_without_a_fan_out_lane_the_job_waits_as_before(aws, discord, database_url):
    worker, _ = make_worker(MODULE, aws=aws, discord=discord, database_url=database_url)
    try:
        job, _ = interaction_job(discord, "confirm")
        discord.block_globally(1.5)
        assert run(worker, job)["outcome"] == "ok"
        assert [m["content"] for m in discord.dms(OPPONENT)] == ["Your match card."]
        assert aws.receive() == []
    finally:
        worker.close()
