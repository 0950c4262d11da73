"""/admin against the real PostgreSQL: the staff list, a conflict resolved by staff, MMR
adjustments, the queue and stuck matches; every action logged and done exactly once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from ladderline.discord.limits import validate_message
from ladderline.job import Job

from tests.support.interactions import snowflake
from tests.support.ladder_jobs import T0, click_job, dms, run, run_tick, seed_ready, sql, text_of

A, B, STAFF, OUTSIDER = 1001, 1002, 9001, 9002
CONFIRMED_AT = T0 + 100


@pytest.fixture(autouse=True)
def staff_member(database_url):
    sql(database_url, "INSERT INTO staff (discord_user_id, name) VALUES (:s, 'Mod')", s=STAFF)


def admin_job(sub: str, staff: int = STAFF, interaction_id: str | None = None, **options: Any) -> Job:
    return Job(kind="interaction", route="admin", application_id="1", token="", interaction_type=2, ack_type=5,
               ephemeral=True, user_id=str(staff), interaction_id=interaction_id or snowflake(),
               options=options, subcommand=sub)


def confirmed_match(url: str) -> None:
    seed_ready(url, A, name="Alpha", bw="bw_zerg", mmr={"bw_zerg": 1500})
    seed_ready(url, B, name="Bravo", sc2="sc2_terran", mmr={"sc2_terran": 1500})
    for user in (A, B):
        run(url, click_job("qjoin", user))
    assert dms(run_tick(url, "matchmaking_wave", "w1", at=T0 + 60))
    for user in (A, B):
        run(url, click_job("mc:1", user), CONFIRMED_AT)


def conflict(url: str) -> None:
    confirmed_match(url)
    run(url, click_job("mrs:1:won", A), CONFIRMED_AT + 600)
    run(url, click_job("mrs:1:won", B), CONFIRMED_AT + 601)
    assert sql(url, "SELECT status FROM matches_1v1") == [["conflict"]]


def mmrs(url: str) -> list[list[Any]]:
    return sql(url, "SELECT discord_user_id, mmr, games_played FROM mmrs_1v1 ORDER BY 1")


def test_only_staff_in_the_database_may_act(database_url):
    conflict(database_url)
    reply = run(database_url, admin_job("resolve", OUTSIDER, match_id=1, result="player_1_win", reason="x"))
    assert reply.outcome == "not_staff" and "Only ladder staff" in text_of(reply.body)
    assert sql(database_url, "SELECT status FROM matches_1v1") == [["conflict"]]
    assert sql(database_url, "SELECT count(*) FROM staff_actions") == [[0]]


def test_a_conflict_resolved_by_staff_applies_elo_once_and_tells_both(database_url):
    conflict(database_url)
    job = admin_job("resolve", match_id=1, result="player_1_win", reason="Replay shows Alpha won")

    reply = run(database_url, job, CONFIRMED_AT + 3600)

    assert reply.outcome == "resolve_ok" and "Player 1 wins" in text_of(reply.body)
    told = {d.user_id: text_of(d.body) for d in dms(reply)}
    assert set(told) == {str(A), str(B)}
    assert "1500 → 1520 (+20" in told[str(A)] and "1500 → 1480 (-20" in told[str(B)]
    assert all("Decided by ladder staff: Replay shows Alpha won" in t for t in told.values())
    assert all(validate_message(d.body) == [] for d in dms(reply))
    assert mmrs(database_url) == [[A, 1520, 1], [B, 1480, 1]]
    assert sql(database_url, "SELECT status, result, resolved_by, resolve_reason FROM matches_1v1") == [
        ["final", "player_1_win", STAFF, "Replay shows Alpha won"]]
    assert sql(database_url, "SELECT staff_id, action, target_match, reason FROM staff_actions") == [
        [STAFF, "resolve", 1, "Replay shows Alpha won"]]
    # The same interaction redelivered: the same answer and keys, nothing applied twice.
    again = run(database_url, job, CONFIRMED_AT + 3700)
    assert [d.key for d in again.deliveries] == [d.key for d in reply.deliveries]
    assert mmrs(database_url) == [[A, 1520, 1], [B, 1480, 1]]
    # Another staff action on the decided match is refused in one line.
    late = run(database_url, admin_job("resolve", match_id=1, result="draw", reason="oops"))
    assert late.outcome == "refused" and "already final" in text_of(late.body)
    assert mmrs(database_url) == [[A, 1520, 1], [B, 1480, 1]]
    # The players are free to queue again.
    assert sql(database_url, "SELECT count(*) FROM players WHERE active_match_id IS NOT NULL") == [[0]]


def test_two_staff_resolving_at_the_same_instant_decide_once(database_url):
    conflict(database_url)
    sql(database_url, "INSERT INTO staff (discord_user_id) VALUES (9003)")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def resolve(staff: int, result: str) -> None:
        barrier.wait()
        outcomes.append(run(database_url, admin_job("resolve", staff, match_id=1, result=result, reason="r")).outcome)

    threads = [threading.Thread(target=resolve, args=(STAFF, "player_1_win")),
               threading.Thread(target=resolve, args=(9003, "player_2_win"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "resolve_ok"]
    [[result]] = sql(database_url, "SELECT result FROM matches_1v1")
    expected = {"player_1_win": [[A, 1520, 1], [B, 1480, 1]], "player_2_win": [[A, 1480, 1], [B, 1520, 1]]}
    assert mmrs(database_url) == expected[result]


def test_invalidate_moves_nothing_and_tells_both(database_url):
    conflict(database_url)
    reply = run(database_url, admin_job("resolve", match_id=1, result="invalidate", reason="Both disconnected"))
    assert {d.user_id for d in dms(reply)} == {str(A), str(B)}
    assert all("invalidated" in text_of(d.body) for d in dms(reply))
    assert mmrs(database_url) == [[A, 1500, 0], [B, 1500, 0]]
    assert sql(database_url, "SELECT status FROM matches_1v1") == [["invalidated"]]


def test_adjust_mmr_set_add_subtract_tells_the_player_and_is_logged(database_url):
    seed_ready(database_url, A, bw="bw_zerg", mmr={"bw_zerg": 1500})
    for op, value, expected in (("set", 1700, 1700), ("add", 25, 1725), ("subtract", 100, 1625)):
        reply = run(database_url, admin_job("adjust_mmr", user=str(A), race="bw_zerg", operation=op, value=value,
                                            reason=f"{op} it"))
        [dm] = dms(reply, A)
        assert f"→ {expected}" in text_of(dm.body) and f"Reason: {op} it" in text_of(dm.body)
        assert sql(database_url, "SELECT mmr FROM mmrs_1v1 WHERE race = 'bw_zerg'") == [[expected]]
    # A race the player never played gets its row (at 1500) first.
    run(database_url, admin_job("adjust_mmr", user=str(A), race="sc2_zerg", operation="add", value=10, reason="r"))
    assert sql(database_url, "SELECT mmr FROM mmrs_1v1 WHERE race = 'sc2_zerg'") == [[1510]]
    assert sql(database_url, "SELECT action, target_user, reason FROM staff_actions ORDER BY created_at, reason") == [
        ["adjust_mmr", A, r] for r in ("add it", "r", "set it", "subtract it")]


def test_a_redelivered_adjustment_applies_once(database_url):
    seed_ready(database_url, A, bw="bw_zerg", mmr={"bw_zerg": 1500})
    job = admin_job("adjust_mmr", user=str(A), race="bw_zerg", operation="add", value=50, reason="bonus")
    threads = [threading.Thread(target=run, args=(database_url, job)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run(database_url, job)
    assert sql(database_url, "SELECT mmr FROM mmrs_1v1") == [[1550]]
    assert sql(database_url, "SELECT count(*) FROM staff_actions") == [[1]]


def test_remove_from_queue_and_show_the_player(database_url):
    seed_ready(database_url, A, name="Alpha", bw="bw_zerg")
    run(database_url, click_job("qjoin", A))
    shown = run(database_url, admin_job("player", user=str(A)))
    assert "State: queueing" in text_of(shown.body)
    reply = run(database_url, admin_job("remove_queue", user=str(A), reason="AFK"))
    assert "removed from the queue" in text_of(reply.body)
    [dm] = dms(reply, A)
    assert "Reason: AFK" in text_of(dm.body)
    assert sql(database_url, "SELECT count(*) FROM queue_entries") == [[0]]
    # The player's DM speaks their language (the last locale their client sent), staff's reply English.
    sql(database_url, f"UPDATE players SET locale = 'ko' WHERE discord_user_id = {A}")
    run(database_url, click_job("qjoin", A))
    reply = run(database_url, admin_job("remove_queue", user=str(A), reason="AFK"))
    [dm] = dms(reply, A)
    assert text_of(dm.body) == "⚠️ 래더 스태프가 당신을 대기열에서 제외했습니다.\n사유: AFK"
    assert "removed from the queue" in text_of(reply.body)
    assert "State: idle" in text_of(run(database_url, admin_job("player", user=str(A))).body)
    assert run(database_url, admin_job("player", user="123")).outcome == "not_found"


def test_unstick_invalidates_the_stuck_match_and_frees_both(database_url):
    confirmed_match(database_url)
    shown = run(database_url, admin_job("match", match_id=1))
    assert "Match #1: **confirmed**" in text_of(shown.body)
    reply = run(database_url, admin_job("unstick", user=str(B), reason="Opponent vanished"))
    assert {d.user_id for d in dms(reply)} == {str(A), str(B)}
    assert sql(database_url, "SELECT status FROM matches_1v1") == [["invalidated"]]
    assert sql(database_url, "SELECT count(*) FROM players WHERE active_match_id IS NOT NULL") == [[0]]
    assert mmrs(database_url) == [[A, 1500, 0], [B, 1500, 0]]
    # Both can queue again.
    assert run(database_url, click_job("qjoin", A)).outcome == "joined"
