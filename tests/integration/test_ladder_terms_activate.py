"""/termsofservice (Accept / Decline) and /activate end to end: guards, idempotent writes, every
refusal with its own message, replays, and one database round trip per command."""

from __future__ import annotations

import json
from typing import Any

from ladderline.discord.limits import validate_message
from ladderline.ladder.commands.activate import hash_code
from ladderline.ladder.commands.terms import terms_text

from tests.support.interactions import USER_ID, make_interaction
from tests.support.postgres import pg_connect

OTHER_ID = "333333333333333333"


def slash(name: str, user_id: str = USER_ID, **options: Any) -> dict:
    return make_interaction(2, user_id=user_id, data={"id": "1", "name": name, "type": 1, "options": [
        {"name": key, "type": 3, "value": value} for key, value in options.items()]})


def click(custom_id: str, message: dict) -> dict:
    return make_interaction(3, data={"custom_id": custom_id, "component_type": 2}, message=message)


def answer(pipeline, interaction: dict) -> dict:
    response = pipeline.send(interaction)
    assert response["statusCode"] == 200
    return json.loads(response["body"])


def run(pipeline, interaction: dict) -> dict:
    """Send, run the worker; the message the user sees afterwards (every edit checked)."""
    answer(pipeline, interaction)
    assert pipeline.run_worker() == {"batchItemFailures": []}
    for patch in (r for r in pipeline.discord.requests_for(interaction["token"]) if r.method == "PATCH"):
        assert validate_message(patch.json) == []
    return pipeline.discord.message(interaction["token"])


def query(pipeline, sql: str) -> list[list[Any]]:
    conn = pg_connect(pipeline.database_url)
    try:
        return conn.run(sql)
    finally:
        conn.close()


def seed_player(pipeline, *, terms: bool = False, active: bool = False, user_id: str = USER_ID) -> None:
    query(pipeline, f"""INSERT INTO players (discord_user_id, player_name, terms_accepted_at, activated_at)
        VALUES ({user_id}, 'Serral_fan', {"'2025-01-01T00:00:00Z'" if terms else "NULL"},
                {"now()" if active else "NULL"})""")


def seed_code(pipeline, code: str, *, max_uses: int = 1, uses: int = 0, expires: str = "NULL") -> None:
    query(pipeline, f"INSERT INTO activation_codes (code_hash, max_uses, uses, expires_at) "
                    f"VALUES ('{hash_code(code)}', {max_uses}, {uses}, {expires})")


def clear_idempotency_records(pipeline) -> None:
    table = pipeline.aws.table_name
    for item in pipeline.aws.dynamodb.scan(TableName=table)["Items"]:
        pipeline.aws.dynamodb.delete_item(TableName=table, Key={"id": item["id"]})


def replay(pipeline, interaction: dict) -> tuple[dict, dict]:
    """Deliver the same job twice, the second time as if the first run's idempotency record were lost."""
    answer(pipeline, interaction)
    [job] = pipeline.aws.receive()
    pipeline.run_worker([job], delete=False)
    first = pipeline.discord.message(interaction["token"])
    clear_idempotency_records(pipeline)
    assert pipeline.run_worker([job]) == {"batchItemFailures": []}
    return first, pipeline.discord.message(interaction["token"])


def terms_message(pipeline) -> dict:
    return run(pipeline, slash("termsofservice"))


# --- /termsofservice ---------------------------------------------------------------------------------
def test_terms_are_shown_in_an_embed_with_accept_and_decline(pipeline):
    seed_player(pipeline)

    message = terms_message(pipeline)

    [embed] = message["embeds"]
    assert embed["title"] == "Ladder terms of service"
    assert embed["description"] == terms_text() and len(embed["description"]) <= 4096
    status = "Not accepted yet. Press **Accept** to agree."
    assert embed["fields"] == [{"name": "Your status", "value": status, "inline": False}]
    assert [(c["label"], c["custom_id"]) for c in message["components"][0]["components"]] == [
        ("Accept", "terms_accept"), ("Decline", "terms_decline")]
    assert message["flags"] & 64


def test_terms_without_a_profile_say_to_run_setup_first(pipeline):
    message = terms_message(pipeline)

    assert "/setup" in message["embeds"][0]["fields"][0]["value"]


def test_accept_records_the_time_once_and_keeps_the_first(pipeline):
    seed_player(pipeline)
    shown = terms_message(pipeline)
    accept = click("terms_accept", shown)

    body = answer(pipeline, accept)

    assert body["type"] == 7
    assert all(c["disabled"] for row in body["data"]["components"] for c in row["components"])
    assert pipeline.run_worker() == {"batchItemFailures": []}
    message = pipeline.discord.message(accept["token"])
    assert message["content"].startswith("✅ Thank you, you accepted the terms (<t:")
    assert message["embeds"] == [] and message["components"] == []
    [[first_at]] = query(pipeline, "SELECT terms_accepted_at FROM players")
    assert first_at is not None
    assert query(pipeline, "SELECT idempotency_key, action FROM player_action_logs") == [
        [accept["id"], "terms_accepted"]]

    again = run(pipeline, click("terms_accept", shown))  # a second click on the same message

    assert again["content"].startswith("You already accepted the terms (<t:")
    assert query(pipeline, "SELECT terms_accepted_at FROM players") == [[first_at]]
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[1]]
    # Shown again, the terms carry the acceptance and no buttons.
    shown_again = terms_message(pipeline)
    assert shown_again["embeds"][0]["fields"][0]["value"].startswith("✅ You accepted these terms <t:")
    assert shown_again["components"] == []


def test_accept_without_a_profile_is_refused_and_points_at_setup(pipeline):
    shown = terms_message(pipeline)

    message = run(pipeline, click("terms_accept", shown))

    assert "/setup" in message["content"]
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[0]]


def test_a_replayed_accept_logs_once_and_answers_the_same(pipeline):
    seed_player(pipeline)
    shown = terms_message(pipeline)

    first, second = replay(pipeline, click("terms_accept", shown))

    assert first["content"] == second["content"]
    assert first["content"].startswith("✅ Thank you")
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[1]]


def test_decline_explains_what_it_means_and_writes_nothing(pipeline):
    seed_player(pipeline)
    shown = terms_message(pipeline)

    message = run(pipeline, click("terms_decline", shown))

    assert message["content"].startswith("You declined the terms")
    assert "/termsofservice" in message["content"]
    assert message["components"] == []
    assert query(pipeline, "SELECT terms_accepted_at FROM players") == [[None]]
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[0]]


# --- /activate ---------------------------------------------------------------------------------------
def test_activate_needs_a_profile_then_accepted_terms(pipeline):
    seed_code(pipeline, "ABC-123")
    assert "/setup" in run(pipeline, slash("activate", code="ABC-123"))["content"]
    seed_player(pipeline)
    assert "/termsofservice" in run(pipeline, slash("activate", code="ABC-123"))["content"]
    assert query(pipeline, "SELECT uses FROM activation_codes") == [[0]]
    assert query(pipeline, "SELECT activated_at FROM players") == [[None]]


def test_a_valid_code_activates_and_consumes_one_use_in_the_same_transaction(pipeline):
    seed_player(pipeline, terms=True)
    seed_code(pipeline, "ABC-123")
    interaction = slash("activate", code="  abc-123 ")  # normalised: trimmed, upper-cased

    message = run(pipeline, interaction)

    assert message["content"] == "✅ Your account is activated. Welcome to the ladder!"
    assert query(pipeline, "SELECT activated_at IS NOT NULL FROM players") == [[True]]
    assert query(pipeline, "SELECT uses FROM activation_codes") == [[1]]
    assert query(pipeline, "SELECT discord_user_id, idempotency_key FROM activation_code_uses") == [
        [int(USER_ID), interaction["id"]]]
    assert query(pipeline, "SELECT idempotency_key, action FROM player_action_logs") == [
        [interaction["id"], "activated"]]


def test_each_refusal_has_its_own_message_and_consumes_nothing(pipeline):
    seed_player(pipeline, terms=True)
    seed_code(pipeline, "USED", uses=1)
    seed_code(pipeline, "OLD", max_uses=5, expires="now() - interval '1 day'")

    wrong = run(pipeline, slash("activate", code="NOPE"))["content"]
    used = run(pipeline, slash("activate", code="used"))["content"]
    expired = run(pipeline, slash("activate", code="old"))["content"]

    assert wrong == "That activation code isn't valid. Check it for typos and try again."
    assert used == "That activation code has already been used up. Ask a moderator for a new one."
    assert expired == "That activation code has expired. Ask a moderator for a new one."
    assert query(pipeline, "SELECT uses FROM activation_codes ORDER BY max_uses") == [[1], [0]]
    assert query(pipeline, "SELECT activated_at FROM players") == [[None]]
    assert query(pipeline, "SELECT count(*) FROM activation_code_uses") == [[0]]


def test_an_active_player_is_told_so_and_uses_nothing(pipeline):
    seed_player(pipeline, terms=True, active=True)
    seed_code(pipeline, "ABC-123")

    message = run(pipeline, slash("activate", code="ABC-123"))

    assert message["content"] == "Your account is already active; no code was used."
    assert query(pipeline, "SELECT uses FROM activation_codes") == [[0]]


def test_a_multi_use_code_serves_max_uses_players(pipeline):
    seed_code(pipeline, "CLAN", max_uses=2)
    users = [USER_ID, OTHER_ID, "444444444444444444"]
    for user in users:
        seed_player(pipeline, terms=True, user_id=user)

    answers = [run(pipeline, slash("activate", user_id=user, code="CLAN"))["content"] for user in users]

    assert answers[0] == answers[1] == "✅ Your account is activated. Welcome to the ladder!"
    assert answers[2].startswith("That activation code has already been used up")
    assert query(pipeline, "SELECT uses, max_uses FROM activation_codes") == [[2, 2]]
    assert query(pipeline, "SELECT count(*) FROM players WHERE activated_at IS NOT NULL") == [[2]]


def test_a_replayed_activation_consumes_nothing_twice(pipeline):
    seed_player(pipeline, terms=True)
    seed_code(pipeline, "MULTI", max_uses=3)

    first, second = replay(pipeline, slash("activate", code="MULTI"))

    assert first["content"] == second["content"] == "✅ Your account is activated. Welcome to the ladder!"
    assert query(pipeline, "SELECT uses FROM activation_codes") == [[1]]
    assert query(pipeline, "SELECT count(*) FROM activation_code_uses") == [[1]]
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[1]]


def test_sql_snippet_for_operators_hashes_like_hash_code(pipeline):
    snippet = "SELECT encode(sha256(convert_to(upper(btrim('  my-code ')), 'UTF8')), 'hex')"
    [[digest]] = query(pipeline, snippet)
    assert digest == hash_code("  my-code ")


# --- one round trip per command ----------------------------------------------------------------------
def test_terms_and_activate_cost_one_database_round_trip_each(pipeline_via_proxy):
    pipeline, proxy = pipeline_via_proxy, pipeline_via_proxy.proxy
    seed_player(pipeline)
    seed_code(pipeline, "ABC-123")
    shown = run(pipeline, slash("termsofservice"))  # also opens the worker's connection

    def turns(interaction: dict) -> int:
        answer(pipeline, interaction)
        proxy.reset()
        assert pipeline.run_worker() == {"batchItemFailures": []}
        return proxy.round_trips - 1  # the batch's analytics insert is the other turn

    assert turns(slash("termsofservice")) == 1
    assert turns(click("terms_accept", shown)) == 1
    assert turns(slash("activate", code="ABC-123")) == 1
    assert query(pipeline, "SELECT activated_at IS NOT NULL FROM players") == [[True]]


# --- concurrency (directly in SQL: two transactions overlapping for real) ---------------------------
def _wait_until_blocked(url: str, application_name: str) -> None:
    conn = pg_connect(url)
    try:
        for _ in range(500):
            rows = conn.run("SELECT wait_event_type FROM pg_stat_activity WHERE application_name = :n",
                            n=application_name)
            if rows and rows[0][0] == "Lock":
                return
            conn.run("SELECT pg_sleep(0.01)")
        raise AssertionError("the second transaction never waited for the first")
    finally:
        conn.close()


def test_two_players_racing_for_the_last_use_of_a_code_get_one_activation(database_url):
    import threading

    setup = pg_connect(database_url)
    setup.run(f"""INSERT INTO players (discord_user_id, terms_accepted_at) VALUES
                  ({USER_ID}, now()), ({OTHER_ID}, now());
                  INSERT INTO activation_codes (code_hash, max_uses) VALUES ('{hash_code("LAST")}', 1)""")
    setup.close()
    first, second = pg_connect(database_url), pg_connect(database_url)
    second.run("SET application_name = 'racer_two'")
    results: list[Any] = []
    try:
        first.run("BEGIN")
        [[won]] = first.run(f"SELECT ladder_activate({USER_ID}, '{hash_code('LAST')}', 'k1')")
        racer = threading.Thread(target=lambda: results.append(
            second.run(f"SELECT ladder_activate({OTHER_ID}, '{hash_code('LAST')}', 'k2')")[0][0]))
        racer.start()
        _wait_until_blocked(database_url, "racer_two")  # blocked on the code row the first one updated
        first.run("COMMIT")
        racer.join(timeout=10)
    finally:
        first.close()
        second.close()

    assert won == {"status": "activated"}
    assert results == [{"status": "used_up"}]
    check = pg_connect(database_url)
    try:
        assert check.run("SELECT uses FROM activation_codes") == [[1]]
        active = check.run("SELECT discord_user_id FROM players WHERE activated_at IS NOT NULL")
        assert active == [[int(USER_ID)]]
    finally:
        check.close()
