"""Running a ladder from Discord against the real PostgreSQL (issue 22, item 1 and 2): owners from
the deployment, staff by command, activation codes made, listed and revoked, bans, clearing the
queue, the status view, and whether /activate is required; every action once, logged."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from ladderline.adapters.migrations import configure_ladder, parse_owner_ids
from ladderline.discord.limits import validate_message
from ladderline.job import Job
from ladderline.ladder.deliveries import ChannelMessage
from ladderline.ladder.fanout import DELIVER_ROUTE

from tests.support.interactions import snowflake
from tests.support.ladder_jobs import (
    T0,
    click_job,
    command_job,
    dms,
    run,
    run_fanout,
    seed_ready,
    sql,
    text_of,
    timers,
)
from tests.support.postgres import pg_connect

OWNER, OWNER_2, MOD, PLAYER, OTHER = 111111111111111111, 222222222222222222, 9101, 9201, 9202


def configure(url: str, owners: list[int], activation_required: bool = False) -> dict[str, Any]:
    conn = pg_connect(url)
    try:
        return configure_ladder(conn, owners, activation_required)
    finally:
        conn.close()


@pytest.fixture(autouse=True)
def owner(database_url):
    configure(database_url, [OWNER])


def admin(sub: str, staff: int = OWNER, interaction_id: str | None = None, **options: Any) -> Job:
    return Job(kind="interaction", route="admin", application_id="1", token="", interaction_type=2, ack_type=5,
               ephemeral=True, user_id=str(staff), interaction_id=interaction_id or snowflake(),
               options=options, subcommand=sub)


def join(url: str, user: int) -> str:
    return run(url, click_job("qjoin", user)).outcome


def test_owner_ids_are_parsed_strictly():
    assert parse_owner_ids(" 111111111111111111, 222222222222222222 ,") == [OWNER, OWNER_2]
    assert parse_owner_ids("") == []
    with pytest.raises(ValueError, match="'abc' is not a Discord user id"):
        parse_owner_ids("111111111111111111,abc")


def test_the_deployments_owners_are_staff_and_cannot_be_removed_by_command(database_url):
    assert run(database_url, admin("status")).outcome == "status_ok"
    assert run(database_url, admin("status", MOD)).outcome == "not_staff"
    refused = run(database_url, admin("staff remove", OWNER, user=str(OWNER)))
    assert refused.outcome == "refused" and "owner of this ladder" in text_of(refused.body)
    # A new deployment names another owner: the former stays staff, as an ordinary member.
    assert configure(database_url, [OWNER_2])["owners"] == 1
    assert sql(database_url, "SELECT discord_user_id, owner FROM staff ORDER BY 1") == [[OWNER, False],
                                                                                        [OWNER_2, True]]
    assert run(database_url, admin("staff remove", OWNER_2, user=str(OWNER))).outcome == "staff_remove_ok"
    assert run(database_url, admin("status", OWNER)).outcome == "not_staff"


def test_staff_add_list_remove_each_once_and_logged(database_url):
    job = admin("staff add", user=str(MOD))
    first = run(database_url, job)
    assert first.outcome == "staff_add_ok" and f"<@{MOD}> is now ladder staff" in text_of(first.body)
    again = run(database_url, job)  # redelivered: the first answer, no second row or log line
    assert text_of(again.body) == text_of(first.body)
    assert run(database_url, admin("staff add", user=str(MOD))).body is not None  # a new click: "already"
    assert "already" in text_of(run(database_url, admin("staff add", user=str(MOD))).body)
    listed = text_of(run(database_url, admin("staff list", MOD)).body)
    assert f"<@{OWNER}> · owner" in listed and f"<@{MOD}> · since" in listed and "(2)" in listed
    assert run(database_url, admin("staff remove", MOD, user=str(MOD))).outcome == "staff_remove_ok"
    assert run(database_url, admin("staff list", MOD)).outcome == "not_staff"
    assert sql(database_url, "SELECT action, count(*) FROM staff_actions GROUP BY 1 ORDER BY 1") == [
        ["staff_add", 3], ["staff_list", 1], ["staff_remove", 1]]


def test_a_code_is_shown_once_stored_hashed_used_listed_and_revoked(database_url):
    configure(database_url, [OWNER], activation_required=True)
    job = admin("code create", uses=2, days=7)
    at = time.time()  # ladder_activate judges expiry by the database's clock
    made = run(database_url, job, at)
    text = text_of(made.body)
    code = text.split("`")[1]
    assert made.outcome == "code_create_ok" and len(code) == 14 and code.count("-") == 2
    assert validate_message(made.body) == []
    # Only the hash is stored, and the log holds no code either.
    assert sql(database_url, "SELECT max_uses, created_by FROM activation_codes") == [[2, OWNER]]
    assert code not in str(sql(database_url, "SELECT details, result FROM staff_actions"))
    # The same interaction again (a redelivery): the same code row, and no code text to show.
    replay = run(database_url, job, at)
    assert sql(database_url, "SELECT count(*) FROM activation_codes") == [[1]]
    assert code not in text_of(replay.body) and "shown then" in text_of(replay.body)

    seed_ready(database_url, PLAYER, bw="bw_zerg")
    sql(database_url, "UPDATE players SET activated_at = NULL")
    refused = run(database_url, click_job("qjoin", PLAYER))
    assert refused.outcome == "guard_not_activated"
    assert run(database_url, command_job("activate", PLAYER, {"code": code.lower()})).outcome == "activated"
    assert join(database_url, PLAYER) != "guard_not_activated"

    code_id = text.split("Id `")[1].split("`")[0]
    listed = text_of(run(database_url, admin("code list"), at).body)
    assert f"`{code_id}` · 1/2 used · expires" in listed and f"by <@{OWNER}>" in listed
    assert run(database_url, admin("code revoke", code_id=code_id), at + 1).outcome == "code_revoke_ok"
    assert "No usable activation codes" in text_of(run(database_url, admin("code list"), at + 2).body)
    seed_ready(database_url, OTHER, sc2="sc2_terran")
    sql(database_url, "UPDATE players SET activated_at = NULL WHERE discord_user_id = :u", u=OTHER)
    late = run(database_url, command_job("activate", OTHER, {"code": code}))
    assert late.outcome == "expired" and "no longer valid" in text_of(late.body)
    elsewhere = ("0" if code_id[0] != "0" else "f") * 8  # the one code's id does not start so
    unknown = run(database_url, admin("code revoke", code_id=elsewhere))
    assert unknown.outcome == "not_found" and "/admin code list" in text_of(unknown.body)
    assert run(database_url, admin("code revoke", code_id="zz")).outcome == "invalid"


def test_two_runs_of_one_code_create_at_the_same_instant_make_one_code(database_url):
    job = admin("code create")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def go() -> None:
        barrier.wait()
        outcomes.append(run(database_url, job).outcome)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["code_create_ok", "code_create_ok"]
    assert sql(database_url, "SELECT count(*) FROM activation_codes") == [[1]]
    assert sql(database_url, "SELECT count(*) FROM staff_actions") == [[1]]


def test_without_the_gate_a_player_queues_without_activate_and_is_not_sent_there(database_url):
    seed_ready(database_url, PLAYER, bw="bw_zerg")
    sql(database_url, "UPDATE players SET activated_at = NULL")
    assert join(database_url, PLAYER) == "joined"
    profile = text_of(run(database_url, command_job("profile", PLAYER)).body)
    assert "/activate" not in profile
    configure(database_url, [OWNER], activation_required=True)
    assert "Not activated yet" in text_of(run(database_url, command_job("profile", PLAYER)).body)


def test_a_ban_takes_the_player_out_tells_them_once_and_refuses_the_queue_until_lifted(database_url):
    seed_ready(database_url, PLAYER, bw="bw_zerg")
    assert join(database_url, PLAYER) == "joined"
    job = admin("ban", user=str(PLAYER), reason="Smurfing")
    banned = run(database_url, job)
    assert banned.outcome == "ban_ok" and "taken out of the queue" in text_of(banned.body)
    [dm] = dms(banned)
    assert dm.user_id == str(PLAYER) and "Reason: Smurfing" in text_of(dm.body)
    assert [d.key for d in run(database_url, job).deliveries] == [dm.key]  # redelivery: the same DM key
    assert sql(database_url, "SELECT count(*) FROM queue_entries") == [[0]]
    assert join(database_url, PLAYER) != "joined"
    assert run(database_url, admin("ban", user="123")).outcome == "not_found"
    lifted = run(database_url, admin("unban", user=str(PLAYER), reason="Appeal accepted"))
    assert lifted.outcome == "unban_ok" and "/queue" in text_of(dms(lifted)[0].body)
    assert join(database_url, PLAYER) == "joined"


def test_clearing_the_queue_tells_each_player_in_their_own_job(database_url):
    players = [PLAYER + n for n in range(5)]
    for user in players:
        seed_ready(database_url, user, bw="bw_zerg")
        assert join(database_url, user) == "joined"
    job = admin("clear_queue", reason="Server maintenance")
    cleared = run(database_url, job)
    assert "5 players taken out" in text_of(cleared.body)
    assert sql(database_url, "SELECT count(*) FROM queue_entries") == [[0]]
    # One deliver job per player (each its own retry budget), none of the DMs in this job.
    assert not dms(cleared)
    jobs = timers(cleared)
    assert [t.route for t in jobs] == [DELIVER_ROUTE] * 5 and len({t.key for t in jobs}) == 5
    told = run_fanout(database_url, cleared)
    assert sorted(d.user_id for d in dms(told)) == sorted(str(u) for u in players)
    assert all("Server maintenance" in text_of(d.body) for d in dms(told))
    # Redelivered: the same jobs (same keys), so each player is told once.
    assert [t.key for t in timers(run(database_url, job))] == [t.key for t in jobs]


def test_status_counts_the_queue_matches_and_stranded_players(database_url):
    for user, race in ((PLAYER, "bw_zerg"), (OTHER, "sc2_terran"), (PLAYER + 5, "bw_zerg")):
        seed_ready(database_url, user, **({"bw": race} if race.startswith("bw") else {"sc2": race}))
        join(database_url, user)
    text = text_of(run(database_url, admin("status")).body)
    assert "Queue: 3 players" in text and "Last wave: none yet" in text and "/activate not required" in text
    assert "Stranded players (in a confirmation past its deadline): 0" in text


@pytest.mark.parametrize("channel", [True, False])
def test_a_conflict_says_staff_were_alerted_only_when_a_staff_channel_gets_the_message(database_url, monkeypatch,
                                                                                    channel):
    if channel:
        monkeypatch.setenv("STAFF_CHANNEL_ID", "555000000000000001")
    else:
        monkeypatch.delenv("STAFF_CHANNEL_ID", raising=False)
    seed_ready(database_url, PLAYER, bw="bw_zerg")
    seed_ready(database_url, OTHER, sc2="sc2_terran")
    for user in (PLAYER, OTHER):
        join(database_url, user)
    from tests.support.ladder_jobs import run_tick

    run_tick(database_url, "matchmaking_wave", "w1", at=T0 + 60)
    for user in (PLAYER, OTHER):
        run(database_url, click_job("mc:1", user), T0 + 100)
    run(database_url, click_job("mrs:1:won", PLAYER), T0 + 700)
    reply = run(database_url, click_job("mrs:1:won", OTHER), T0 + 701)
    told = [text_of(d.body) for d in dms(reply)]
    assert len(told) == 2
    if channel:
        assert isinstance(reply.deliveries[0], ChannelMessage)  # before the players hear "alerted"
        assert all("Ladder staff have been alerted" in t for t in told)
    else:
        assert not any(isinstance(d, ChannelMessage) for d in reply.deliveries)
        assert all("nobody has been alerted" in t and "/admin resolve match_id:1" in t for t in told)
