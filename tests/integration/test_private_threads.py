"""Private threads exactly once: the worker core against real PostgreSQL (the deliveries record),
moto and the Discord emulator, which serves the thread routes with Discord's validation.

Discord's thread creation has no nonce. One thread must stand however the job ends: run twice,
killed between Discord's answer and the record, rate-limited in between."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import requests
from ladderline.discord import responses
from ladderline.discord.constants import InteractionType
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.deliveries import PrivateThread, ThreadUpdate
from ladderline.ladder.routes import Ack, Route

from tests.support.discord import BOT_TOKEN
from tests.support.postgres import pg_connect
from tests.support.worker import dies_recording, interaction_job, make_worker, run

GUILD, LADDER = "111111111111111111", "222222222222222222"
ALICE, BOB, STAFF = "700000000000000101", "700000000000000102", "700000000000000109"
BOT = {"Authorization": f"Bot {BOT_TOKEN}"}


def room(ctx: JobContext) -> Reply:
    return Reply(responses.message("Match confirmed."), deliveries=(
        PrivateThread("match:7:room", GUILD, LADDER, "match-7", (ALICE, BOB),
                      responses.message("Match #7: Alice vs Bob. Agree on the game here.")),))


def conflict(ctx: JobContext) -> Reply:
    return Reply(responses.message("Reported."), deliveries=(
        ThreadUpdate("match:7:room-conflict", "match:7:room", (STAFF,), responses.message("Staff joined.")),))


def decided(ctx: JobContext) -> Reply:
    return Reply(responses.message("Decided."), deliveries=(
        ThreadUpdate("match:7:room-final", "match:7:room", body=responses.message("Alice won."), archive=True),))


def command(key, handler):
    return Route(key=key, kind=InteractionType.APPLICATION_COMMAND, ack=Ack.DEFERRED_MESSAGE, handler=handler)


MODULE = SimpleNamespace(ROUTES=(command("room", room), command("conflict", conflict), command("decided", decided)),
                         TIMERS={})


@pytest.fixture
def harness(aws, discord, database_url):
    discord.rooms.add_guild_channel(GUILD, LADDER, "ladder")
    worker, _ = make_worker(MODULE, aws=aws, discord=discord, database_url=database_url)
    yield SimpleNamespace(worker=worker, discord=discord, db=database_url)
    worker.close()


def creates(discord) -> list:
    return [r for r in discord.requests if r.method == "POST" and r.path.endswith(f"/channels/{LADDER}/threads")]


def test_a_match_room_is_made_once_with_both_players_and_one_first_message(harness):
    h = harness
    job, _ = interaction_job(h.discord, "room")

    assert run(h.worker, job)["outcome"] == "ok"
    assert run(h.worker, job, receive_count=2)["outcome"] == "ok"  # a redelivery

    [thread] = h.discord.rooms.threads()
    assert (thread["name"], thread["type"], thread["parent_id"]) == ("match-7", 12, LADDER)
    assert thread["thread_metadata"]["invitable"] is False  # members cannot invite others
    assert sorted(thread["member_ids"]) == [ALICE, BOB]
    assert [m["content"] for m in h.discord.channel_messages(thread["id"])] == [
        "Match #7: Alice vs Bob. Agree on the game here."]
    assert len(creates(h.discord)) == 1
    rows = dict(pg_connect(h.db).run("SELECT delivery_key, channel_id::text FROM deliveries "
                                     "WHERE delivery_key LIKE 'match:7:room%'"))
    assert rows["match:7:room"] == thread["id"] and "match:7:room:intent" in rows


def test_a_worker_killed_between_discords_answer_and_the_record_finds_the_thread_again(harness, monkeypatch):
    h = harness
    job, _ = interaction_job(h.discord, "room")
    revive = dies_recording(monkeypatch, h.worker, "match:7:room")
    with pytest.raises(ConnectionError):
        run(h.worker, job)
    assert len(h.discord.rooms.threads()) == 1  # Discord made it; nothing recorded it
    revive()

    assert run(h.worker, job, receive_count=2)["outcome"] == "ok"

    [thread] = h.discord.rooms.threads()
    assert len(creates(h.discord)) == 1  # found by its name among the active threads, not made again
    assert sorted(thread["member_ids"]) == [ALICE, BOB]
    assert len(h.discord.channel_messages(thread["id"])) == 1


def test_a_rate_limit_on_the_thread_route_then_a_retry_makes_one_thread(harness):
    h = harness
    job, _ = interaction_job(h.discord, "room")
    h.discord.script("PUT", "/channels/*/thread-members/*", 429, times=20)  # after the create, before the record's use

    with pytest.raises(Exception, match="rate_limited|thread_member"):
        run(h.worker, job)
    assert run(h.worker, job, receive_count=2)["outcome"] == "ok"

    [thread] = h.discord.rooms.threads()
    assert len(creates(h.discord)) == 1 and sorted(thread["member_ids"]) == [ALICE, BOB]


def test_staff_join_on_a_conflict_and_the_room_is_archived_when_decided(harness):
    h = harness
    run(h.worker, interaction_job(h.discord, "room")[0])
    run(h.worker, interaction_job(h.discord, "conflict")[0])
    final = interaction_job(h.discord, "decided")[0]
    run(h.worker, final)
    run(h.worker, final, receive_count=2)

    [thread] = h.discord.rooms.threads()
    assert sorted(thread["member_ids"]) == [ALICE, BOB, STAFF]
    assert thread["thread_metadata"]["archived"] and thread["thread_metadata"]["locked"]
    assert [m["content"] for m in h.discord.channel_messages(thread["id"])][1:] == ["Staff joined.", "Alice won."]
    # Archived and locked: Discord takes no more messages there.
    refused = requests.post(f"{h.discord.base_url}/channels/{thread['id']}/messages", json={"content": "late"},
                            headers=BOT, timeout=5)
    assert (refused.status_code, refused.json()["code"]) == (400, 50083)


def test_without_a_room_an_update_is_skipped_not_retried(harness):
    h = harness
    assert run(h.worker, interaction_job(h.discord, "decided")[0])["outcome"] == "ok"
    assert h.discord.rooms.threads() == []


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"name": "", "type": 12}, 400, "name"),
    ({"name": "x" * 101, "type": 12}, 400, "name"),
    ({"name": "match-1", "type": 10}, 400, "type"),
    ({"name": "match-1", "type": 12, "auto_archive_duration": 30}, 400, "auto_archive_duration"),
    ({"name": "match-1", "type": 12, "invitable": "no"}, 400, "invitable"),
])
def test_the_emulator_validates_thread_creation_as_discord_does(discord, body, status, field):
    discord.rooms.add_guild_channel(GUILD, LADDER, "ladder")
    answer = requests.post(f"{discord.base_url}/channels/{LADDER}/threads", json=body, headers=BOT, timeout=5)
    assert answer.status_code == status and answer.json()["code"] == 50035 and field in answer.json()["errors"]


def test_a_thread_needs_a_known_guild_text_channel(discord):
    answer = requests.post(f"{discord.base_url}/channels/999/threads", json={"name": "x"}, headers=BOT, timeout=5)
    assert (answer.status_code, answer.json()["code"]) == (404, 10003)
