"""/queue, Join / Leave, the expiry tick and matchmaking waves, against the real PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from ladderline.discord.limits import validate_message
from ladderline.ladder import guards, waves
from ladderline.ladder.context import JobContext

from tests.support.ladder_jobs import (
    T0,
    click_job,
    command_job,
    custom_ids,
    database,
    dms,
    keys,
    run,
    run_tick,
    seed_ready,
    sql,
    text_of,
    tick_job,
    timers,
)

A, B, C = 1001, 1002, 1003


def join(url: str, user: int, at: float = T0):
    return run(url, click_job("qjoin", user), at)


def test_queue_needs_a_profile_terms_and_activation(database_url):
    reply = run(database_url, command_job("queue", A))
    assert "/setup" in text_of(reply.body)
    sql(database_url, "INSERT INTO players (discord_user_id, player_name) VALUES (:u, 'x')", u=A)
    assert "/termsofservice" in text_of(run(database_url, command_job("queue", A)).body)


def test_the_queue_message_offers_races_vetoes_and_join(database_url):
    seed_ready(database_url, A)
    reply = run(database_url, command_job("queue", A))
    assert validate_message(reply.body) == []
    assert custom_ids(reply.body) == ["qjoin", "q:clear", "q:cancel:en", "q:bw", "q:sc2", "q:veto"]
    selects = [c for row in reply.body["components"][1:] for c in row["components"]]
    assert [len(s["options"]) for s in selects] == [3, 3, 9]
    assert [s["max_values"] for s in selects] == [1, 1, 4]
    assert all(len(cid) <= 100 for cid in custom_ids(reply.body))


def test_each_choice_is_saved_at_once_and_the_next_queue_starts_from_it(database_url):
    seed_ready(database_url, A)
    run(database_url, click_job("q:bw", A, ["bw_zerg"]))
    run(database_url, click_job("q:sc2", A, ["sc2_protoss"]))
    reply = run(database_url, click_job("q:veto", A, ["radeon", "holy_world"]))
    assert "BW Zerg" in text_of(reply.body) and "Holy World" in text_of(reply.body)
    assert sql(database_url, "SELECT last_chosen_races, last_chosen_vetoes FROM preferences_1v1 WHERE "
                             "discord_user_id = :u", u=A) == [[["bw_zerg", "sc2_protoss"], ["holy_world", "radeon"]]]
    # Changing the BW race replaces it; the next /queue pre-selects what was saved.
    run(database_url, click_job("q:bw", A, ["bw_terran"]))
    body = run(database_url, command_job("queue", A)).body
    defaults = [o["value"] for row in body["components"][1:] for c in row["components"] for o in c["options"]
                if o.get("default")]
    assert defaults == ["bw_terran", "sc2_protoss", "holy_world", "radeon"]


def test_a_choice_the_select_does_not_offer_is_refused(database_url):
    seed_ready(database_url, A)
    assert run(database_url, click_job("q:bw", A, ["sc2_zerg"])).outcome == "invalid"
    assert run(database_url, click_job("q:veto", A, ["radeon", "holy_world", "khione", "vermeer", "sylphid"])
               ).outcome == "invalid"


def test_join_writes_the_entry_with_new_mmr_rows_and_shows_searching(database_url):
    seed_ready(database_url, A, bw="bw_zerg", sc2="sc2_terran", vetoes=["radeon"], mmr={"bw_zerg": 1620})
    reply = join(database_url, A)
    assert reply.outcome == "joined"
    assert "Searching" in text_of(reply.body) and "<t:" in text_of(reply.body)
    assert custom_ids(reply.body) == ["q:leave"]
    assert sql(database_url, "SELECT bw_race, sc2_race, bw_mmr, sc2_mmr, vetoes, region FROM queue_entries") == [
        ["bw_zerg", "sc2_terran", 1620, 1500, ["radeon"], "EUW"]]
    assert sql(database_url, "SELECT race, mmr FROM mmrs_1v1 ORDER BY race") == [["bw_zerg", 1620], ["sc2_terran", 1500]]


def test_join_refusals_each_say_why(database_url):
    seed_ready(database_url, A)
    assert join(database_url, A).outcome == "refused_no_race"
    assert "at least one race" in text_of(join(database_url, A).body)
    sql(database_url, "UPDATE preferences_1v1 SET last_chosen_races = '{bw_zerg}'")
    sql(database_url, "UPDATE players SET queue_timeout_until = to_timestamp(:t)", t=T0 + 300)
    reply = join(database_url, A)
    assert reply.outcome == "refused_timed_out" and f"<t:{int(T0) + 300}:R>" in text_of(reply.body)
    assert join(database_url, A, at=T0 + 301).outcome == "joined"
    assert join(database_url, A).outcome == "already_queueing"
    seed_ready(database_url, B, bw="bw_zerg")
    sql(database_url, "UPDATE players SET banned_at = now() WHERE discord_user_id = :u", u=B)
    assert "banned" in text_of(join(database_url, B).body)
    assert sql(database_url, "SELECT discord_user_id FROM queue_entries") == [[A]]


def test_a_replayed_join_is_one_entry(database_url):
    seed_ready(database_url, A, bw="bw_zerg")
    job = click_job("qjoin", A)
    first, second = run(database_url, job), run(database_url, job)
    assert first.outcome == second.outcome == "joined"
    assert sql(database_url, "SELECT count(*) FROM queue_entries") == [[1]]


def test_concurrent_joins_of_one_player_make_one_entry(database_url):
    seed_ready(database_url, A, bw="bw_zerg")
    outcomes: list[str] = []
    threads = [threading.Thread(target=lambda: outcomes.append(join(database_url, A).outcome)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already_queueing"] * 3 + ["joined"]
    assert sql(database_url, "SELECT count(*) FROM queue_entries") == [[1]]


def test_leave_takes_the_player_out(database_url):
    seed_ready(database_url, A, bw="bw_zerg")
    join(database_url, A)
    reply = run(database_url, click_job("q:leave", A))
    assert reply.outcome == "left" and "You left the queue" in text_of(reply.body)
    assert sql(database_url, "SELECT count(*) FROM queue_entries") == [[0]]
    assert run(database_url, click_job("q:leave", A)).outcome == "not_queueing"


def test_entries_older_than_two_and_a_half_hours_expire_and_are_told_once(database_url):
    seed_ready(database_url, A, bw="bw_zerg")
    seed_ready(database_url, B, sc2="sc2_zerg")
    join(database_url, A, at=T0)
    join(database_url, B, at=T0 + 600)
    reply = run_tick(database_url, "queue_expiry", "t1", at=T0 + 9000)
    assert [d.user_id for d in dms(reply)] == [str(A)]
    assert "2½ hours" in text_of(dms(reply)[0].body)
    # The same tick again (a redelivery) answers the same keys; a later tick has nothing new.
    again = run_tick(database_url, "queue_expiry", "t1", at=T0 + 9000)
    assert keys(again) == keys(reply)
    assert dms(run_tick(database_url, "queue_expiry", "t2", at=T0 + 9060)) == []
    assert sql(database_url, "SELECT discord_user_id FROM queue_entries") == [[B]]


# --- waves ---------------------------------------------------------------------------------------
def test_a_wave_pairs_bw_with_sc2_and_tells_both_with_timers(database_url):
    seed_ready(database_url, A, bw="bw_zerg", vetoes=["radeon", "holy_world", "khione", "vermeer"])
    seed_ready(database_url, B, sc2="sc2_terran", region="EUE",
               vetoes=["sylphid", "mothership", "ruby_rock", "keres_passage"])
    join(database_url, A)
    join(database_url, B)
    reply = run_tick(database_url, "matchmaking_wave", "w1", at=T0 + 60)
    assert reply.outcome == "created"
    [row] = sql(database_url, "SELECT match_id, player_1, player_2, player_1_race, player_2_race, player_1_mmr, "
                              "player_2_mmr, map_code, server_code, status FROM matches_1v1")
    assert row == [1, A, B, "bw_zerg", "sc2_terran", 1500, 1500, "celestial_enclave", "EUC", "confirming"]
    assert sorted(d.user_id for d in dms(reply)) == [str(A), str(B)]
    body = dms(reply, A)[0].body
    assert validate_message(body) == []
    assert "Match #1 found" in text_of(body) and f"P{B}" in text_of(body) and "SC2 Terran" in text_of(body)
    assert custom_ids(body) == ["mc:1", "ma:1"]
    assert [(t.route, t.delay_seconds, t.payload) for t in timers(reply)] == [
        ("match_remind", 40, {"match_id": 1}), ("match_deadline", 120, {"match_id": 1})]
    assert sql(database_url, "SELECT count(*) FROM queue_entries") == [[0]]
    assert sql(database_url, "SELECT active_match_id FROM players ORDER BY discord_user_id") == [[1], [1]]


def test_a_wave_run_twice_creates_nothing_twice(database_url):
    seed_ready(database_url, A, bw="bw_zerg")
    seed_ready(database_url, B, sc2="sc2_terran")
    join(database_url, A)
    join(database_url, B)
    first = run_tick(database_url, "matchmaking_wave", "w1", at=T0 + 60)
    second = run_tick(database_url, "matchmaking_wave", "w1", at=T0 + 61)
    assert second.outcome == "replay"
    assert keys(second) == keys(first) and [t.key for t in second.timers] == [t.key for t in first.timers]
    assert sql(database_url, "SELECT count(*) FROM matches_1v1") == [[1]]


def test_no_pair_outside_both_allowances_until_the_wait_widens_it(database_url):
    seed_ready(database_url, A, bw="bw_zerg", mmr={"bw_zerg": 1500})
    seed_ready(database_url, B, sc2="sc2_terran", mmr={"sc2_terran": 1700})
    join(database_url, A)
    join(database_url, B)
    assert dms(run_tick(database_url, "matchmaking_wave", "w1", at=T0 + 60)) == []  # 150 < 200
    assert sql(database_url, "SELECT waves FROM queue_entries") == [[1], [1]]
    assert len(dms(run_tick(database_url, "matchmaking_wave", "w2", at=T0 + 120))) == 2  # 200


def test_blocked_regions_are_never_paired(database_url):
    seed_ready(database_url, A, bw="bw_zerg", region="USB")
    seed_ready(database_url, B, sc2="sc2_terran", region="SAM")
    join(database_url, A)
    join(database_url, B)
    for tick in range(5):
        run_tick(database_url, "matchmaking_wave", f"w{tick}", at=T0 + 60 * tick)
    assert sql(database_url, "SELECT count(*) FROM matches_1v1") == [[0]]


def test_a_player_who_leaves_between_snapshot_and_commit_is_not_matched(database_url):
    seed_ready(database_url, A, bw="bw_zerg")
    seed_ready(database_url, B, sc2="sc2_terran")
    join(database_url, A)
    join(database_url, B)
    db = database(database_url)
    try:
        now = datetime.fromtimestamp(T0 + 60, tz=UTC)
        ctx = JobContext(job=tick_job("w1"), db=db, clock=lambda: T0 + 60)
        snapshot = guards.call(ctx, "ladder_wave_snapshot", now)
        rows, _ = waves.plan("w1", snapshot)
        assert len(rows) == 1
        run(database_url, click_job("q:leave", B))  # B leaves while the wave is thinking
        result = guards.call(ctx, "ladder_wave_commit", "w1", snapshot["wave_count"], rows,
                             [e["join_key"] for e in snapshot["entries"]], now)
    finally:
        db.close()
    assert result["matches"] == []
    assert sql(database_url, "SELECT discord_user_id, waves FROM queue_entries") == [[A, 1]]
    assert sql(database_url, "SELECT active_match_id FROM players ORDER BY discord_user_id") == [[None], [None]]


def _assert_each_player_in_at_most_one_match(url: str) -> int:
    rows = sql(url, "SELECT player_1, player_2 FROM matches_1v1")
    players = [p for row in rows for p in row]
    assert len(players) == len(set(players))
    assert sql(url, "SELECT count(*) FROM queue_entries e JOIN players p USING (discord_user_id) "
                    "WHERE p.active_match_id IS NOT NULL") == [[0]]
    assert sql(url, "SELECT count(*) FROM players p WHERE p.active_match_id IS NOT NULL AND NOT EXISTS "
                    "(SELECT 1 FROM matches_1v1 m WHERE m.match_id = p.active_match_id "
                    "AND p.discord_user_id IN (m.player_1, m.player_2))") == [[0]]
    return len(rows)


def test_fifty_players_joining_concurrently_across_several_waves(database_url):
    users = list(range(2000, 2050))
    for i, user in enumerate(users):
        races = {"bw": "bw_protoss"} if i % 3 == 0 else {"sc2": "sc2_zerg"} if i % 3 == 1 else \
            {"bw": "bw_terran", "sc2": "sc2_terran"}
        seed_ready(database_url, user, mmr={r: 1400 + (i * 37) % 300 for r in races.values()}, **races)
    stop = threading.Event()
    errors: list[BaseException] = []

    def joiner(chunk: list[int]) -> None:
        try:
            for user in chunk:
                join(database_url, user, at=T0)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def waver() -> None:
        tick = 0
        try:
            while not stop.is_set():
                tick += 1
                run_tick(database_url, "matchmaking_wave", f"c{threading.get_ident()}-{tick}", at=T0 + tick)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    joiners = [threading.Thread(target=joiner, args=(users[i::5],)) for i in range(5)]
    wavers = [threading.Thread(target=waver) for _ in range(2)]
    for t in wavers + joiners:
        t.start()
    for t in joiners:
        t.join()
    stop.set()
    for t in wavers:
        t.join()
    assert errors == []
    for tick in range(6):  # let the queue settle
        run_tick(database_url, "matchmaking_wave", f"final-{tick}", at=T0 + 1000 + tick)
    matches = _assert_each_player_in_at_most_one_match(database_url)
    assert matches >= 20
    queued = sql(database_url, "SELECT count(*) FROM queue_entries")[0][0]
    assert queued + 2 * matches == 50


def test_two_waves_at_once_never_pair_a_player_twice(database_url):
    for i in range(20):
        seed_ready(database_url, 3000 + i, **({"bw": "bw_zerg"} if i % 2 else {"sc2": "sc2_zerg"}))
        join(database_url, 3000 + i)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def wave(tick: str) -> None:
        barrier.wait()
        outcomes.append(run_tick(database_url, "matchmaking_wave", tick, at=T0 + 60).outcome)

    threads = [threading.Thread(target=wave, args=(f"x{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _assert_each_player_in_at_most_one_match(database_url) == 10
    assert "created" in outcomes


def measured(reply) -> dict[tuple[str, tuple], list[float]]:
    out: dict[tuple[str, tuple], list[float]] = {}
    for metric in reply.metrics:
        out.setdefault((metric.name, metric.dimensions), []).extend(metric.values)
    return out


def test_a_wave_measures_sides_pairs_waits_and_gaps_once(database_url):
    seed_ready(database_url, A, bw="bw_zerg", sc2="sc2_zerg", mmr={"bw_zerg": 1500, "sc2_zerg": 1400})
    seed_ready(database_url, B, sc2="sc2_terran", mmr={"sc2_terran": 1560})
    seed_ready(database_url, 1003, bw="bw_terran", mmr={"bw_terran": 2400})
    for user in (A, B, 1003):
        join(database_url, user)
    reply = run_tick(database_url, "matchmaking_wave", "w1", at=T0 + 90)
    found = measured(reply)
    assert found[("QueueingPlayers", (("side", "bw"),))] == [2]
    assert found[("QueueingPlayers", (("side", "sc2"),))] == [2]
    assert found[("WavePairs", ())] == [1]
    assert found[("MatchMmrGap", ())] == [60]
    assert found[("MatchWait", ())] == [90, 90]  # both joined at T0, matched at T0 + 90
    assert len(found[("WaveDuration", ())]) == 1
    # The same tick again: the same matches, measured once only.
    again = measured(run_tick(database_url, "matchmaking_wave", "w1", at=T0 + 91))
    assert again[("WavePairs", ())] == [0] and again[("MatchWait", ())] == []


def test_the_wave_edits_each_joiners_searching_message_with_the_join_clicks_token(database_url):

    from ladderline.ladder.deliveries import EditResponse

    seed_ready(database_url, A, bw="bw_zerg")
    seed_ready(database_url, B, sc2="sc2_terran")
    clicks = {}
    for user in (A, B):
        clicks[user] = click_job("qjoin", user).replace(token=f"join-token-{user}", application_id="77")
        run(database_url, clicks[user])
    assert sql(database_url, "SELECT join_token FROM queue_entries ORDER BY discord_user_id") == [
        [f"join-token-{A}"], [f"join-token-{B}"]]
    reply = run_tick(database_url, "matchmaking_wave", "w1", at=T0 + 60)
    edits = [d for d in reply.deliveries if isinstance(d, EditResponse)]
    assert sorted((e.interaction_id, e.application_id, e.token) for e in edits) == sorted(
        (clicks[u].interaction_id, "77", f"join-token-{u}") for u in (A, B))
    assert all("Match #1 found" in text_of(e.body) for e in edits)
    assert "join-token" not in repr(edits)  # a token is never printed
    # The tokens left with the entries.
    assert sql(database_url, "SELECT count(*) FROM queue_entries") == [[0]]


def test_queue_is_ephemeral_in_a_server_and_plain_in_the_bots_dms(pipeline):
    from tests.support.interactions import make_interaction
    from tests.support.ladder import DEFERRED_EPHEMERAL, run_command

    data = {"id": "9", "name": "queue", "type": 1}
    in_server = run_command(pipeline, make_interaction(2, data=data), expect=DEFERRED_EPHEMERAL)
    in_dm = run_command(pipeline, make_interaction(2, data=data, guild_id=None), expect={"type": 5})
    assert in_server["flags"] & 64
    assert not (in_dm.get("flags") or 0) & 64
    # Other commands stay ephemeral in DMs too (they answer one question and may go away).
    run_command(pipeline, make_interaction(2, data={"id": "2", "name": "profile", "type": 1}, guild_id=None),
                expect=DEFERRED_EPHEMERAL)
