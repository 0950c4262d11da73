"""/termsofservice (Accept / Decline) and /activate end to end: guards, idempotent writes, every
refusal with its own message, replays, and one database round trip per command."""

from __future__ import annotations

from ladderline.ladder.commands.activate import hash_code
from ladderline.ladder.commands.terms import terms_text

from tests.support.interactions import USER_ID
from tests.support.ladder import (
    click,
    press,
    query,
    race,
    replay,
    run_command,
    run_sql,
    seed_player,
    slash,
    wire_turns,
)

OTHER_ID = "333333333333333333"


def seed_code(pipeline, code: str, *, max_uses: int = 1, uses: int = 0, expires: str = "NULL") -> None:
    query(pipeline, f"INSERT INTO activation_codes (code_hash, max_uses, uses, expires_at) "
                    f"VALUES ('{hash_code(code)}', {max_uses}, {uses}, {expires})")


def terms_message(pipeline) -> dict:
    return run_command(pipeline, slash("termsofservice"))


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
        ("Accept", "terms_accept"), ("Decline", "terms_decline:en")]
    assert message["flags"] & 64


def test_terms_without_a_profile_say_to_run_setup_first(pipeline):
    message = terms_message(pipeline)

    assert "/setup" in message["embeds"][0]["fields"][0]["value"]


def test_accept_records_the_time_once_and_keeps_the_first(pipeline):
    seed_player(pipeline)
    shown = terms_message(pipeline)
    accept = click("terms_accept", shown)

    message = press(pipeline, accept)  # the buttons are disabled in the immediate answer

    assert message["content"].startswith("✅ Thank you, you accepted the terms (<t:")
    assert message["embeds"] == [] and message["components"] == []
    [[first_at]] = query(pipeline, "SELECT terms_accepted_at FROM players")
    assert first_at is not None
    assert query(pipeline, "SELECT idempotency_key, action FROM player_action_logs") == [
        [accept["id"], "terms_accepted"]]

    again = run_command(pipeline, click("terms_accept", shown))  # a second click on the same message

    assert again["content"].startswith("You already accepted the terms (<t:")
    assert query(pipeline, "SELECT terms_accepted_at FROM players") == [[first_at]]
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[1]]
    # Shown again, the terms carry the acceptance and no buttons.
    shown_again = terms_message(pipeline)
    assert shown_again["embeds"][0]["fields"][0]["value"].startswith("✅ You accepted these terms <t:")
    assert shown_again["components"] == []


def test_accept_without_a_profile_is_refused_and_points_at_setup(pipeline):
    shown = terms_message(pipeline)

    message = run_command(pipeline, click("terms_accept", shown))

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

    message = run_command(pipeline, click("terms_decline", shown))

    assert message["content"].startswith("You declined the terms")
    assert "/termsofservice" in message["content"]
    assert message["components"] == []
    assert query(pipeline, "SELECT terms_accepted_at FROM players") == [[None]]
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[0]]


# --- /activate ---------------------------------------------------------------------------------------
def test_activate_needs_a_profile_then_accepted_terms(pipeline):
    seed_code(pipeline, "ABC-123")
    assert "/setup" in run_command(pipeline, slash("activate", code="ABC-123"))["content"]
    seed_player(pipeline)
    assert "/termsofservice" in run_command(pipeline, slash("activate", code="ABC-123"))["content"]
    assert query(pipeline, "SELECT uses FROM activation_codes") == [[0]]
    assert query(pipeline, "SELECT activated_at FROM players") == [[None]]


def test_a_valid_code_activates_and_consumes_one_use_in_the_same_transaction(pipeline):
    seed_player(pipeline, terms=True)
    seed_code(pipeline, "ABC-123")
    interaction = slash("activate", code="  abc-123 ")  # normalised: trimmed, upper-cased

    message = run_command(pipeline, interaction)

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

    wrong = run_command(pipeline, slash("activate", code="NOPE"))["content"]
    used = run_command(pipeline, slash("activate", code="used"))["content"]
    expired = run_command(pipeline, slash("activate", code="old"))["content"]

    assert wrong == "That activation code isn't valid. Check it for typos and try again."
    assert used == "That activation code has already been used up. Ask a moderator for a new one."
    assert expired == "That activation code is no longer valid (expired or revoked). Ask a moderator for a new one."
    assert query(pipeline, "SELECT uses FROM activation_codes ORDER BY max_uses") == [[1], [0]]
    assert query(pipeline, "SELECT activated_at FROM players") == [[None]]
    assert query(pipeline, "SELECT count(*) FROM activation_code_uses") == [[0]]


def test_an_active_player_is_told_so_and_uses_nothing(pipeline):
    seed_player(pipeline, terms=True, active=True)
    seed_code(pipeline, "ABC-123")

    message = run_command(pipeline, slash("activate", code="ABC-123"))

    assert message["content"] == "Your account is already active; no code was used."
    assert query(pipeline, "SELECT uses FROM activation_codes") == [[0]]


def test_a_multi_use_code_serves_max_uses_players(pipeline):
    seed_code(pipeline, "CLAN", max_uses=2)
    users = [USER_ID, OTHER_ID, "444444444444444444"]
    for user in users:
        seed_player(pipeline, terms=True, user_id=user)

    answers = [run_command(pipeline, slash("activate", user_id=user, code="CLAN"))["content"] for user in users]

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
    pipeline = pipeline_via_proxy
    seed_player(pipeline)
    seed_code(pipeline, "ABC-123")
    shown = run_command(pipeline, slash("termsofservice"))  # also opens the worker's connection

    def turns(interaction: dict) -> int:
        return wire_turns(pipeline, interaction) - 1  # the batch's analytics insert is the other turn

    assert turns(slash("termsofservice")) == 1
    assert turns(click("terms_accept", shown)) == 1
    assert turns(slash("activate", code="ABC-123")) == 1
    assert query(pipeline, "SELECT activated_at IS NOT NULL FROM players") == [[True]]


# --- concurrency (directly in SQL: two transactions overlapping for real) ---------------------------
def test_two_players_racing_for_the_last_use_of_a_code_get_one_activation(database_url):
    run_sql(database_url, f"""INSERT INTO players (discord_user_id, terms_accepted_at) VALUES
                  ({USER_ID}, now()), ({OTHER_ID}, now());
                  INSERT INTO activation_codes (code_hash, max_uses) VALUES ('{hash_code("LAST")}', 1)""")

    # The second one blocks on the code row the first one updated.
    won, results = race(database_url, f"SELECT ladder_activate({USER_ID}, '{hash_code('LAST')}', 'k1')",
                        f"SELECT ladder_activate({OTHER_ID}, '{hash_code('LAST')}', 'k2')")

    assert won == {"status": "activated"}
    assert results == [{"status": "used_up"}]
    assert run_sql(database_url, "SELECT uses FROM activation_codes") == [[1]]
    active = run_sql(database_url, "SELECT discord_user_id FROM players WHERE activated_at IS NOT NULL")
    assert active == [[int(USER_ID)]]
