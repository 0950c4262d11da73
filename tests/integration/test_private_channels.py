"""Private channels exactly once (an applicant's room): the worker core against real PostgreSQL,
moto and the Discord emulator, which serves Create Guild Channel with Discord's validation of
names, categories and permission overwrites. Channel creation has no nonce: one channel must
stand however the job ends, and the click is answered with a link to it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import requests
from ladderline.discord import responses
from ladderline.discord.constants import InteractionType
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.deliveries import PrivateChannel
from ladderline.ladder.routes import Ack, Route

from tests.support.discord import BOT_TOKEN
from tests.support.worker import dies_recording, interaction_job, make_worker, run

GUILD, CATEGORY, STAFF_ROLE = "111111111111111111", "333333333333333333", "444444444444444444"
APPLICANT = "700000000000000101"
VIEW, SEND = 1 << 10, 1 << 11
BOT = {"Authorization": f"Bot {BOT_TOKEN}"}
OVERWRITES = ({"id": GUILD, "type": 0, "allow": "0", "deny": str(VIEW)},
              {"id": APPLICANT, "type": 1, "allow": str(VIEW | SEND), "deny": "0"},
              {"id": STAFF_ROLE, "type": 0, "allow": str(VIEW | SEND), "deny": "0"})


def apply(ctx: JobContext) -> Reply:
    return Reply(None, deliveries=(PrivateChannel(
        "application:1:" + APPLICANT, GUILD, CATEGORY, "📝Alice App", "Application of <@700000000000000101> (#1)",
        OVERWRITES, responses.message("Welcome! This is your private application channel."),
        answer=responses.message("✅ Your application channel: {channel}")),))


MODULE = SimpleNamespace(ROUTES=(Route(key="apply", kind=InteractionType.APPLICATION_COMMAND,
                                       ack=Ack.DEFERRED_MESSAGE, handler=apply),), TIMERS={})


@pytest.fixture
def harness(aws, discord, database_url):
    discord.rooms.add_guild_channel(GUILD, CATEGORY, "Applications", kind=4)
    worker, _ = make_worker(MODULE, aws=aws, discord=discord, database_url=database_url)
    yield SimpleNamespace(worker=worker, discord=discord)
    worker.close()


def made(discord) -> list[dict]:
    return [c for c in discord.rooms.guild_channels(GUILD) if c["type"] == 0]


def test_the_channel_is_made_once_private_to_the_applicant_and_the_click_gets_a_link(harness):
    h = harness
    job, payload = interaction_job(h.discord, "apply")

    assert run(h.worker, job)["outcome"] == "ok"
    assert run(h.worker, job, receive_count=2)["outcome"] == "ok"

    [channel] = made(h.discord)
    assert (channel["name"], channel["parent_id"]) == ("📝alice-app", CATEGORY)  # as Discord names it
    overwrites = {o["id"]: o for o in channel["permission_overwrites"]}
    assert int(overwrites[GUILD]["deny"]) & VIEW and int(overwrites[APPLICANT]["allow"]) & VIEW
    assert [m["content"] for m in h.discord.channel_messages(channel["id"])] == [
        "Welcome! This is your private application channel."]
    assert h.discord.message(payload["token"])["content"] == f"✅ Your application channel: <#{channel['id']}>"


def test_a_worker_killed_after_discord_made_the_channel_finds_it_by_its_topic(harness, monkeypatch):
    h = harness
    job, payload = interaction_job(h.discord, "apply")
    revive = dies_recording(monkeypatch, h.worker, "application:1:" + APPLICANT)
    with pytest.raises(ConnectionError):
        run(h.worker, job)
    revive()

    assert run(h.worker, job, receive_count=2)["outcome"] == "ok"

    [channel] = made(h.discord)
    posts = [r for r in h.discord.requests if r.method == "POST" and r.path.endswith(f"/guilds/{GUILD}/channels")]
    assert len(posts) == 1 and len(h.discord.channel_messages(channel["id"])) == 1
    assert h.discord.message(payload["token"])["content"].endswith(f"<#{channel['id']}>")


def test_a_rate_limited_create_is_retried_into_one_channel(harness):
    h = harness
    job, _ = interaction_job(h.discord, "apply")
    h.discord.script("POST", f"/guilds/{GUILD}/channels", 429, times=20)

    with pytest.raises(Exception, match="channel rate_limited"):
        run(h.worker, job)
    assert made(h.discord) == []
    assert run(h.worker, job, receive_count=2)["outcome"] == "ok"
    assert len(made(h.discord)) == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"name": ""}, "name"),
    ({"parent_id": "999"}, "parent_id"),
    ({"permission_overwrites": [{"id": "x", "type": 1}]}, "permission_overwrites"),
    ({"permission_overwrites": [{"id": APPLICANT, "type": 2}]}, "permission_overwrites"),
    ({"permission_overwrites": [{"id": APPLICANT, "type": 1, "allow": "view"}]}, "permission_overwrites"),
    ({"topic": "x" * 1025}, "topic"),
])
def test_the_emulator_validates_channel_creation_as_discord_does(discord, change, field):
    discord.rooms.add_guild_channel(GUILD, CATEGORY, "Applications", kind=4)
    body = {"name": "app", "type": 0, "parent_id": CATEGORY, **change}
    answer = requests.post(f"{discord.base_url}/guilds/{GUILD}/channels", json=body, headers=BOT, timeout=5)
    assert answer.status_code == 400 and answer.json()["code"] == 50035 and field in answer.json()["errors"]


def test_a_double_click_running_at_the_same_instant_makes_one_channel(harness):
    # Two clicks are two jobs with one room key: while the first is making the channel (Discord
    # slow), the second must neither make another nor answer without it: it waits its turn.
    import threading

    h = harness
    jobs = [interaction_job(h.discord, "apply") for _ in range(2)]
    h.discord.latency_seconds = 0.3
    barrier, outcomes = threading.Barrier(2), {}

    def click(n: int) -> None:
        barrier.wait()
        try:
            outcomes[n] = run(h.worker, jobs[n][0])["outcome"]
        except Exception as exc:  # noqa: BLE001 - the one that waits is retried below
            outcomes[n] = f"retry: {exc}"

    threads = [threading.Thread(target=click, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    h.discord.latency_seconds = 0.0
    for n, outcome in outcomes.items():
        if outcome != "ok":
            assert "being made by another job" in outcome
            assert run(h.worker, jobs[n][0], receive_count=2)["outcome"] == "ok"

    [channel] = made(h.discord)
    assert len(h.discord.channel_messages(channel["id"])) == 1
    for _, payload in jobs:  # both clicks are answered with the one channel
        assert h.discord.message(payload["token"])["content"].endswith(f"<#{channel['id']}>")
