"""Replays settle results, end to end below the ingress: the attachment on the emulator's CDN,
the bounded parser, every check, moto's S3, PostgreSQL's ladder_replay_decide under the match's
lock, and what each player is told. Bad input: each refused with one line, nothing changed."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import boto3
import pytest
import requests
from ladderline.replays.fetch import MAX_REPLAY_BYTES

from tests.support.ladder_jobs import (
    T0,
    _job,
    click_job,
    command_job,
    dms,
    keys,
    run,
    seed_ready,
    sql,
    text_of,
)
from tests.support.replays import PVT_AI, TWO_V_TWO, ZVP, ZVP_HANDLE, ZVP_STARTED

A, B, C = 1001, 1002, 1003  # A: FisterRoboto (Zerg, loses), B: Beren (Protoss, wins), C: not in the match
BUCKET = "test-replays"


@pytest.fixture
def replay_env(aws, discord, monkeypatch):
    boto3.client("s3", region_name="us-east-1", endpoint_url=aws.endpoint).create_bucket(Bucket=BUCKET)
    monkeypatch.setenv("REPLAY_BUCKET", BUCKET)
    monkeypatch.setenv("DISCORD_CDN_BASE", discord.cdn_base)
    monkeypatch.setenv("REPLAY_MOD_HANDLES", ZVP_HANDLE)
    monkeypatch.setenv("STAFF_CHANNEL_ID", "555000000000000001")
    return discord


def s3_keys(aws) -> list[str]:
    listed = boto3.client("s3", region_name="us-east-1", endpoint_url=aws.endpoint).list_objects_v2(Bucket=BUCKET)
    return [o["Key"] for o in listed.get("Contents", [])]


def fitted_match(url: str, match_id: int = 1, *, status: str = "confirmed", confirmed_at: float = ZVP_STARTED - 60,
                 races: tuple[str, str] = ("sc2_zerg", "sc2_protoss"), players: tuple[int, int] = (A, B),
                 map_code: str = "Odyssey LE") -> None:
    """A match built to fit the ZVP replay (the ladder never pairs two SC2 races itself)."""
    for user, name in zip(players, ("FisterRoboto", "Beren"), strict=True):
        if not sql(url, "SELECT 1 FROM players WHERE discord_user_id = :u", u=user):
            seed_ready(url, user, name=name, mmr={races[players.index(user)]: 1500})
    sql(url, "INSERT INTO matches_1v1 (match_id, match_key, wave_tick_id, player_1, player_2, player_1_race, "
             "player_2_race, player_1_mmr, player_2_mmr, map_code, server_code, status, created_at, confirm_deadline, "
             "confirmed_at, player_1_confirmed_at, player_2_confirmed_at) VALUES (:m, :k, 'fitted', :p1, :p2, :r1, :r2, "
             "1500, 1500, :map, 'USW', :s, to_timestamp(:c) - interval '3 minutes', to_timestamp(:c), "
             "to_timestamp(:c), to_timestamp(:c), to_timestamp(:c))",
        m=match_id, k=f"fitted-{match_id}", p1=players[0], p2=players[1], r1=races[0], r2=races[1], map=map_code,
        s=status, c=confirmed_at)
    if status == "confirmed":
        sql(url, "UPDATE players SET active_match_id = :m WHERE discord_user_id = ANY(:u)", m=match_id,
            u=list(players))


def modal_job(discord, user: int, data: bytes | None = None, filename: str = "game.SC2Replay", match_id: int = 1,
              **attachment: Any) -> Any:
    """The card's Upload replay modal, submitted with one file (uploaded to the emulator's CDN)."""
    uploaded = discord.upload(ZVP.read_bytes() if data is None else data, filename)
    return _job(kind="interaction", route="mupm", custom_id=f"mupm:{match_id}", user_id=str(user),
                interaction_id=str(9_000_000 + user), interaction_type=5, ack_type=5,
                options={"replay": [{**uploaded, **attachment}]})


def state(url: str) -> list[list[Any]]:
    return sql(url, "SELECT status, result, decided_by_replay IS NOT NULL FROM matches_1v1 ORDER BY match_id")


def ratings(url: str) -> list[list[Any]]:
    return sql(url, "SELECT discord_user_id, mmr, games_played FROM mmrs_1v1 ORDER BY discord_user_id")


def unchanged(url: str, aws) -> None:
    assert state(url) == [["confirmed", None, False]]
    assert sql(url, "SELECT count(*) FROM replays") == [[0]]
    assert ratings(url) == [[A, 1500, 0], [B, 1500, 0]]
    assert s3_keys(aws) == []


def test_a_replay_uploaded_in_the_cards_modal_decides_the_match_for_both_players(database_url, aws, replay_env):
    fitted_match(database_url)
    job = modal_job(replay_env, A)
    reply = run(database_url, job)

    assert reply.outcome == "replay_decided"
    assert "Match #1 is decided by your replay" in text_of(reply.body) and "Beren** won" in text_of(reply.body)
    assert state(database_url) == [["final", "player_2_win", True]]
    assert ratings(database_url) == [[A, 1480, 1], [B, 1520, 1]]
    digest = hashlib.sha256(ZVP.read_bytes()).hexdigest()
    [key] = s3_keys(aws)
    assert key == f"replays/{digest[:2]}/{digest}.SC2Replay"
    stored = boto3.client("s3", region_name="us-east-1", endpoint_url=aws.endpoint).get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == ZVP.read_bytes()
    assert sql(database_url, "SELECT content_hash, match_id, uploaded_by, s3_key, result FROM replays") == [
        [digest, 1, A, key, "player_2_win"]]
    told = {d.user_id: text_of(d.body) for d in dms(reply)}
    assert set(told) == {str(A), str(B)}
    for text in told.values():
        assert "Decided by the replay <@1001> uploaded: Beren (SC2 Protoss) won" in text
        assert "✅ **Map**: Odyssey LE" in text and "✅ **SC: Evo Complete**" in text
    assert "(-20" in told[str(A)] and "(+20" in told[str(B)]

    # The same job again (a redelivery): nothing changes; what it owes the players has the same
    # keys (the worker sends each key once), so only what a crash left unsent would go out.
    again = run(database_url, job)
    assert again.outcome == "same_replay" and keys(again) == keys(reply)
    assert ratings(database_url) == [[A, 1480, 1], [B, 1520, 1]]


def test_replay_with_an_attachment_option_finds_the_players_match(database_url, aws, replay_env):
    fitted_match(database_url)
    attachment = replay_env.upload(ZVP.read_bytes(), "zvp.SC2Replay")
    reply = run(database_url, command_job("replay", B, {"file": attachment}))
    assert reply.outcome == "replay_decided"
    assert state(database_url) == [["final", "player_2_win", True]]


def test_a_replay_that_fails_a_check_changes_nothing_and_says_which(database_url, aws, replay_env, monkeypatch):
    fitted_match(database_url)
    monkeypatch.setenv("REPLAY_MOD_HANDLES", "")  # only SC: Evo Complete's own handles count
    reply = run(database_url, modal_job(replay_env, A))
    assert reply.outcome == "replay_failed" and reply.deliveries == ()
    text = text_of(reply.body)
    assert text.startswith("❌ This replay doesn't fit match #1 (SC: Evo Complete). Nothing changed.")
    assert "❌ **SC: Evo Complete**: the mod is not among the replay's files" in text and "✅ **Races**" in text
    unchanged(database_url, aws)


@pytest.mark.parametrize(("path", "failed"), [(PVT_AI, "No A.I."), (TWO_V_TWO, "1v1")])
def test_an_ai_game_or_a_2v2_is_refused(database_url, aws, replay_env, path, failed):
    fitted_match(database_url)
    reply = run(database_url, modal_job(replay_env, A, path.read_bytes()))
    assert reply.outcome == "replay_failed" and f"❌ **{failed}**" in text_of(reply.body)
    unchanged(database_url, aws)


@pytest.mark.parametrize(("changes", "failed"), [
    ({"races": ("bw_zerg", "sc2_protoss")}, "Races"),
    ({"map_code": "celestial_enclave"}, "Map"),
    ({"confirmed_at": ZVP_STARTED + 3600}, "Played after the match"),  # played before the match
    ({"confirmed_at": ZVP_STARTED - 30 * 86400}, "Played after the match"),  # weeks after it: not its game
])
def test_wrong_races_map_or_time_are_refused(database_url, aws, replay_env, changes, failed):
    fitted_match(database_url, **changes)
    reply = run(database_url, modal_job(replay_env, A))
    assert reply.outcome == "replay_failed" and f"❌ **{failed}**" in text_of(reply.body)
    assert sql(database_url, "SELECT count(*) FROM replays") == [[0]] and s3_keys(aws) == []


@pytest.mark.parametrize(("data", "filename", "outcome", "says"), [
    (b"", "empty.SC2Replay", "unreadable", "no MPQ archive header"),
    (b"not a replay at all\n", "notes.SC2Replay", "unreadable", "no MPQ archive header"),
    (bytes(range(256)) * 64, "noise.SC2Replay", "unreadable", "no MPQ archive header"),
    (ZVP.read_bytes()[:20000], "cut.SC2Replay", "unreadable", "not a readable replay"),
    (ZVP.read_bytes(), "game.txt", "not_sc2replay", "is not a `.SC2Replay` file"),
])
def test_files_that_are_not_replays_are_refused_in_one_line(database_url, aws, replay_env, data, filename, outcome, says):
    fitted_match(database_url)
    reply = run(database_url, modal_job(replay_env, A, data, filename))
    assert reply.outcome == outcome and says in text_of(reply.body) and "Nothing changed" in text_of(reply.body)
    assert "\n" not in text_of(reply.body)
    unchanged(database_url, aws)


def test_a_file_over_the_cap_or_off_discords_cdn_is_never_fetched(database_url, aws, replay_env):
    fitted_match(database_url)
    big = run(database_url, modal_job(replay_env, A, size=MAX_REPLAY_BYTES + 1))
    assert big.outcome == "fetch_refused" and "a replay is at most 5 MB" in text_of(big.body)
    elsewhere = run(database_url, modal_job(replay_env, A, url="https://example.com/attachments/1/game.SC2Replay"))
    assert elsewhere.outcome == "fetch_refused" and "not on Discord's CDN" in text_of(elsewhere.body)
    plain_http = run(database_url, modal_job(replay_env, A, url="http://cdn.discordapp.com/attachments/1/g.SC2Replay"))
    assert plain_http.outcome == "fetch_refused"
    unchanged(database_url, aws)


def test_the_cdn_is_retried_then_the_uploader_is_told(database_url, aws, replay_env):
    fitted_match(database_url)
    replay_env.cdn_failures[:] = [404]  # a moment after an upload
    assert run(database_url, modal_job(replay_env, B)).outcome == "replay_decided"

    fitted_match(database_url, 2, players=(A, B))
    replay_env.cdn_failures[:] = [500, 500]
    other = ZVP.read_bytes() + b"\0"  # another file (another hash) for match 2
    reply = run(database_url, modal_job(replay_env, B, other, match_id=2))
    assert reply.outcome == "fetch_failed"
    assert text_of(reply.body) == ("Your replay for match #2 wasn't read: Discord's CDN answered 500 after 2 tries. "
                                   "Nothing changed; upload it again.")
    assert state(database_url)[1] == ["confirmed", None, False]


def test_a_cdn_that_never_answers_in_time_is_a_failed_fetch(database_url, aws, replay_env, monkeypatch):
    from ladderline.replays import fetch

    monkeypatch.setattr(fetch, "TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(fetch, "BACKOFF_SECONDS", (0.0,))
    fitted_match(database_url)
    replay_env.cdn_delay_seconds = 1.0
    reply = run(database_url, modal_job(replay_env, A))
    assert reply.outcome == "fetch_failed" and "did not answer (ReadTimeout)" in text_of(reply.body)
    unchanged(database_url, aws)


def test_one_file_decides_one_match(database_url, aws, replay_env):
    fitted_match(database_url)
    fitted_match(database_url, 2)
    assert run(database_url, modal_job(replay_env, A)).outcome == "replay_decided"
    second = run(database_url, modal_job(replay_env, A, match_id=2))
    assert second.outcome == "replay_used_elsewhere"
    assert text_of(second.body) == ("This replay was already uploaded for match #1: one game decides one match. "
                                    "Nothing changed.")
    assert state(database_url) == [["final", "player_2_win", True], ["confirmed", None, False]]


def test_an_upload_after_the_match_was_decided_or_by_an_outsider_changes_nothing(database_url, aws, replay_env):
    fitted_match(database_url)
    for user, value in ((A, "lost"), (B, "won")):
        run(database_url, click_job(f"mrs:1:{value}", user), T0)
    assert state(database_url) == [["final", "player_2_win", False]]
    late = run(database_url, modal_job(replay_env, A))
    assert late.outcome == "replay_closed" and "closed (decided)" in text_of(late.body)
    seed_ready(database_url, C)
    outsider = run(database_url, modal_job(replay_env, C))
    assert outsider.outcome == "replay_not_player" and "only its two players" in text_of(outsider.body)
    assert sql(database_url, "SELECT count(*) FROM replays") == [[0]] and s3_keys(aws) == []


def test_a_verified_replay_overrules_a_report_that_disagrees_and_settles_a_conflict(database_url, aws, replay_env):
    fitted_match(database_url)
    run(database_url, click_job("mrs:1:won", A), T0)  # A claims the win the replay gives to B
    reply = run(database_url, modal_job(replay_env, B))
    assert state(database_url) == [["final", "player_2_win", True]]
    overruled = [d for d in dms(reply) if "replay-overruled" in d.key]
    assert [d.user_id for d in overruled] == [str(A)]
    assert "your report differed from the verified replay" in text_of(overruled[0].body)

    fitted_match(database_url, 2)
    run(database_url, click_job("mrs:2:won", A), T0)
    run(database_url, click_job("mrs:2:won", B), T0)
    assert state(database_url)[1] == ["conflict", None, False]
    settled = run(database_url, modal_job(replay_env, A, ZVP.read_bytes() + b"\0", match_id=2))
    assert settled.outcome == "replay_decided"
    assert state(database_url)[1] == ["final", "player_2_win", True]


def test_two_uploads_at_the_same_instant_decide_once(database_url, aws, replay_env):
    fitted_match(database_url)
    jobs = [modal_job(replay_env, A), modal_job(replay_env, B)]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def upload(job: Any) -> None:
        barrier.wait()
        outcomes.append(run(database_url, job).outcome)

    threads = [threading.Thread(target=upload, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["replay_decided", "same_replay"]
    assert ratings(database_url) == [[A, 1480, 1], [B, 1520, 1]]
    assert sql(database_url, "SELECT count(*) FROM replays") == [[1]]


def test_staff_get_a_short_lived_link_to_the_deciding_replay(database_url, aws, replay_env):
    fitted_match(database_url)
    run(database_url, modal_job(replay_env, A))
    sql(database_url, "INSERT INTO staff (discord_user_id, name) VALUES (9001, 'Mod')")
    reply = run(database_url, command_job("admin", 9001, {"match_id": 1}, subcommand="match"))
    text = text_of(reply.body)
    assert "Deciding replay (uploaded by <@1001>)" in text and "link valid 15 minutes" in text
    link = text.split("[download](", 1)[1].split(")", 1)[0]
    assert "X-Amz-Expires=900" in link
    assert requests.get(link, timeout=10).content == ZVP.read_bytes()  # the presigned link fetches the file
