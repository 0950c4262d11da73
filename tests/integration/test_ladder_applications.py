"""Applications on a real PostgreSQL: staff post a panel once, a click asks for the applicant's
private channel (named, closed to everyone else), a second click is told where it is, and Start /
Withdraw / Resume belong to the applicant. Making the channel exactly once is the worker's
(tests/integration/test_private_channels.py)."""

from __future__ import annotations

import threading

from ladderline.discord.constants import InteractionType
from ladderline.job import Job
from ladderline.ladder.applications import MEMBER_ALLOW, VIEW_CHANNEL
from ladderline.ladder.deliveries import ChannelMessage, EditOriginal, FollowUp, PrivateChannel

from tests.support.interactions import snowflake
from tests.support.ladder_jobs import click_job, run, seed_ready, sql, text_of

GUILD, HERE, CATEGORY, ROLE = "900000000000000001", "900000000000000002", "900000000000000003", "900000000000000004"
STAFF, ALICE, BOB = 3001, 3002, 3003


def panel_job(user: int = STAFF, interaction_id: str | None = None, **options: str) -> Job:
    return Job(kind="interaction", route="admin", application_id="1", token="", ack_type=5, ephemeral=True,
               interaction_type=int(InteractionType.APPLICATION_COMMAND), user_id=str(user),
               interaction_id=interaction_id or snowflake(), guild_id=GUILD, channel_id=HERE,
               subcommand="application_panel",
               options={"title": "Apply to Season 3!", "description": "Tell us about you.", "category": CATEGORY,
                        "role": ROLE, **options})


def post_panel(url: str) -> int:
    sql(url, "INSERT INTO staff (discord_user_id, name) VALUES (:u, 'Mod') ON CONFLICT DO NOTHING", u=STAFF)
    reply = run(url, panel_job())
    [panel] = [d for d in reply.deliveries if isinstance(d, ChannelMessage)]
    return int(panel.body["components"][0]["components"][0]["custom_id"].split(":")[1])


def test_staff_post_a_panel_once_and_others_cannot(database_url):
    sql(database_url, "INSERT INTO staff (discord_user_id, name) VALUES (:u, 'Mod')", u=STAFF)
    job = panel_job()
    first, again = run(database_url, job), run(database_url, job)  # a redelivered post

    [message] = first.deliveries
    assert isinstance(message, ChannelMessage) and message.channel_id == HERE
    assert message.body["embeds"][0]["title"] == "Apply to Season 3!"
    button = message.body["components"][0]["components"][0]
    assert button["label"] == "Open Application" and button["emoji"] == {"name": "📝"}
    assert again.deliveries == first.deliveries  # the same panel, the same key: posted once
    assert sql(database_url, "SELECT count(*) FROM application_panels") == [[1]]
    refused = run(database_url, panel_job(ALICE))
    assert refused.outcome == "not_staff" and refused.deliveries == ()
    assert run(database_url, panel_job(name_pattern="no-placeholder")).outcome == "invalid"


def test_a_click_asks_for_a_private_channel_named_for_the_applicant(database_url):
    panel = post_panel(database_url)
    seed_ready(database_url, ALICE, name="Alice_2", bw="bw_zerg")

    reply = run(database_url, click_job(f"apply:{panel}", ALICE))

    [room] = reply.deliveries
    assert isinstance(room, PrivateChannel) and reply.body is None
    assert (room.key, room.guild_id, room.category_id) == (f"application:{panel}:{ALICE}", GUILD, CATEGORY)
    assert room.name == "📝alice_2-app" and str(ALICE) in room.topic
    overwrites = {o["id"]: o for o in room.overwrites}
    assert int(overwrites[GUILD]["deny"]) == VIEW_CHANNEL  # @everyone: nobody else sees it
    assert int(overwrites[str(ALICE)]["allow"]) == MEMBER_ALLOW and overwrites[str(ALICE)]["type"] == 1
    assert int(overwrites[ROLE]["allow"]) & VIEW_CHANNEL and overwrites[ROLE]["type"] == 0
    assert overwrites["1"]["type"] == 1  # the bot itself (its user id is the application id)
    welcome = room.body["components"][0]
    assert f"<@{ALICE}>" in welcome["components"][0]["content"] and f"<@&{ROLE}>" in welcome["components"][0]["content"]
    labels = [b["label"] for b in welcome["components"][2]["components"]]
    assert labels == ["Start your application", "Withdraw your application"]
    assert "{channel}" in room.answer["content"]
    unnamed = run(database_url, click_job(f"apply:{panel}", BOB)).deliveries[0]
    assert unnamed.name == f"📝applicant-{str(BOB)[-4:]}-app"  # no ladder profile


def test_a_second_click_gets_the_same_room_then_the_channel_once_it_exists(database_url):
    panel = post_panel(database_url)
    results: list = []
    barrier = threading.Barrier(2)

    def click() -> None:
        barrier.wait()
        results.append(run(database_url, click_job(f"apply:{panel}", ALICE)))

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {r.deliveries[0].key for r in results} == {f"application:{panel}:{ALICE}"}  # one room, asked twice
    assert sql(database_url, "SELECT count(*) FROM applications") == [[1]]

    # The worker made it and recorded it (pipeline/outbox.py): now a click is told where it is.
    sql(database_url, "INSERT INTO deliveries (delivery_key, kind, job_key, channel_id, outcome) "
                      "VALUES (:k, 'channel', 'j', 123456789012345678, 'sent')", k=f"application:{panel}:{ALICE}")
    later = run(database_url, click_job(f"apply:{panel}", ALICE))
    assert later.deliveries == () and text_of(later.body) == (
        "You already have an application channel: <#123456789012345678>")


def test_start_withdraw_and_resume_belong_to_the_applicant(database_url):
    panel = post_panel(database_url)
    run(database_url, click_job(f"apply:{panel}", ALICE))

    started = run(database_url, click_job(f"appgo:{panel}:{ALICE}", ALICE))
    [edit] = started.deliveries
    assert isinstance(edit, EditOriginal) and "Started" in str(edit.body)
    by_bob = run(database_url, click_job(f"appwd:{panel}:{ALICE}", BOB))
    [refusal] = by_bob.deliveries
    assert isinstance(refusal, FollowUp) and "Only the applicant" in text_of(refusal.body)
    withdrawn = run(database_url, click_job(f"appwd:{panel}:{ALICE}", ALICE))
    assert "Resume your application" in str(withdrawn.deliveries[0].body)
    assert sql(database_url, "SELECT status FROM applications") == [["withdrawn"]]
    run(database_url, click_job(f"appre:{panel}:{ALICE}", ALICE))
    assert sql(database_url, "SELECT status FROM applications") == [["open"]]
