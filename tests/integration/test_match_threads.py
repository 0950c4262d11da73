"""A confirmed match's private thread, as the ladder asks for it (real PostgreSQL): opened once
both players confirm (only when the deployment names a channel), staff added on a conflict,
told and archived when the match is decided. Sending it exactly once is the worker's
(tests/integration/test_private_threads.py)."""

from __future__ import annotations

import pytest
from ladderline.ladder.deliveries import PrivateThread, ThreadUpdate

from tests.integration.test_ladder_admin import admin_job
from tests.integration.test_ladder_results import CONFIRMED_AT, A, B, confirmed_match, report
from tests.support.ladder_jobs import click_job, run, sql

GUILD, CHANNEL, STAFF = "666000000000000001", "666000000000000002", 1009


@pytest.fixture
def threads_on(monkeypatch):
    monkeypatch.setenv("LADDER_GUILD_ID", GUILD)
    monkeypatch.setenv("MATCH_THREAD_CHANNEL_ID", CHANNEL)


def rooms(reply) -> list:
    return [d for d in reply.deliveries if isinstance(d, (PrivateThread, ThreadUpdate))]


def test_the_second_confirm_opens_the_players_thread_and_a_repeat_asks_for_the_same(database_url, threads_on):
    confirmed_match(database_url)
    again = run(database_url, click_job("mc:1", B), CONFIRMED_AT + 5)  # a double click, after the transition

    [thread] = rooms(again)
    assert (thread.key, thread.name, thread.guild_id, thread.channel_id) == ("match:1:room", "match-1", GUILD, CHANNEL)
    assert set(thread.members) == {str(A), str(B)}
    assert f"<@{A}>" in thread.body["content"] and thread.body["allowed_mentions"]["users"] == [str(A), str(B)]


def test_no_thread_without_the_setting(database_url):
    confirmed_match(database_url)
    assert rooms(run(database_url, click_job("mc:1", B), CONFIRMED_AT + 5)) == []


def test_a_conflict_adds_every_staff_member_and_a_final_result_archives_the_thread(database_url, threads_on):
    confirmed_match(database_url)
    sql(database_url, "INSERT INTO staff (discord_user_id, name) VALUES (:u, 'Mod')", u=STAFF)
    report(database_url, A, "won")
    conflict = report(database_url, B, "won")  # its staff job runs right after it (run_fanout)

    updates = rooms(conflict)
    assert [u.key for u in updates] == ["match:1:room-conflict", "match:1:room-staff"]
    assert updates[1].members == (str(STAFF),) and updates[1].target_key == "match:1:room"

    resolved = run(database_url, admin_job("resolve", STAFF, match_id=1, result="player_1_win", reason="replay"))
    [closing] = rooms(resolved)
    assert (closing.key, closing.target_key, closing.archive) == ("match:1:room-final", "match:1:room", True)
    assert "decided" in closing.body["content"]
