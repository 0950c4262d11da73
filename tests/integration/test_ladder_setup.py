"""/setup end to end: the in-line modal, the queued submit (draft + summary), Confirm / Restart /
Cancel, double clicks, replays and stale drafts, asserted on the rows and the edited messages."""

from __future__ import annotations

from ladderline.discord.limits import validate_message, validate_modal

from tests.support.interactions import USER_ID, make_interaction
from tests.support.ladder import (
    DEFERRED_EPHEMERAL,
    answer,
    autocomplete,
    clear_idempotency_records,
    click,
    message_of,
    press,
    query,
    race,
    run_command,
    run_sql,
    run_worker,
    slash,
    wire_turns,
)

FIELDS = {"player_name": "SerralFan", "alt_names": "Smurfy, Alt_2", "battletag": "Serral#2114"}


# --- helpers --------------------------------------------------------------------------------------
def modal_submit(custom_id: str, fields: dict[str, str], message: dict | None = None) -> dict:
    """A submit of the /setup modal as Discord sends it: each input inside its Label (type 18)."""
    labels = [{"type": 18, "id": 2 * i + 1, "component": {"type": 4, "id": 2 * i + 2, "custom_id": key,
                                                           "value": value}}
              for i, (key, value) in enumerate(fields.items())]
    return make_interaction(5, data={"custom_id": custom_id, "components": labels}, message=message)


def buttons(message: dict) -> dict[str, dict]:
    return {c["custom_id"].split(":")[0]: c for row in message["components"] for c in row["components"]}


def fields_of(message: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}


def submit(pipeline, fields: dict[str, str] = FIELDS, custom_id: str = "setup_modal:FI:EUW"
           ) -> tuple[dict, dict]:
    """A modal submit from /setup, processed; (the interaction, the summary message)."""
    interaction = modal_submit(custom_id, fields)
    return interaction, run_command(pipeline, interaction, expect=DEFERRED_EPHEMERAL)


# --- /setup and its modal ---------------------------------------------------------------------
def test_setup_answers_in_line_with_the_modal_carrying_country_and_region(pipeline):
    body = answer(pipeline, slash("setup", country="DE", region="EUW"))

    assert body["type"] == 9
    assert body["data"]["custom_id"] == "setup_modal:DE:EUW"
    assert [c["type"] for c in body["data"]["components"]] == [18, 18, 18]  # Label components
    inputs = [label["component"] for label in body["data"]["components"]]
    assert [i["custom_id"] for i in inputs] == ["player_name", "alt_names", "battletag"]
    assert [i["required"] for i in inputs] == [True, False, True]
    assert all(i["type"] == 4 for i in inputs)
    assert validate_modal(body["data"]) == []
    assert pipeline.aws.receive() == []  # nothing queued


def test_setup_accepts_a_typed_country_name_and_refuses_an_unknown_one_in_line(pipeline):
    typed = answer(pipeline, slash("setup", country="germany", region="EUW"))
    assert typed["data"]["custom_id"] == "setup_modal:DE:EUW"

    body = answer(pipeline, slash("setup", country="Germny", region="EUW"))

    assert body["type"] == 4 and body["data"]["flags"] == 64
    assert "Germny" in body["data"]["content"] and "🇩🇪 Germany (`DE`)" in body["data"]["content"]
    assert validate_message(body["data"]) == []
    assert pipeline.aws.receive() == []


def test_setup_country_autocomplete_is_answered_in_line(pipeline):
    body = answer(pipeline, autocomplete("setup", "fin"))

    assert body["type"] == 8
    assert {"name": "🇫🇮 Finland", "value": "FI"} in body["data"]["choices"]
    assert all("fin" in c["name"].lower() for c in body["data"]["choices"])
    assert pipeline.aws.receive() == []


# --- the submit -------------------------------------------------------------------------------------
def test_a_valid_submit_stores_a_draft_and_shows_a_summary_with_buttons(pipeline):
    interaction, message = submit(pipeline)

    nonce = interaction["id"]
    assert message["flags"] & 64  # ephemeral
    assert fields_of(message) == {
        "Player name": "`SerralFan`", "Alternative names": "`Smurfy`, `Alt_2`", "BattleTag": "`Serral#2114`",
        "Country": "🇫🇮 Finland", "Region": "Western Europe (EUW)"}
    assert [c["custom_id"] for c in message["components"][0]["components"]] == [
        f"setup_confirm:{nonce}", "setup_restart:FI:EUW", f"setup_cancel:{nonce}"]
    assert query(pipeline, "SELECT discord_user_id, draft_version, draft FROM setup_drafts") == [[
        int(USER_ID), nonce, {"player_name": "SerralFan", "alt_names": ["Smurfy", "Alt_2"],
                              "battletag": "Serral#2114", "country": "FI", "region": "EUW"}]]
    assert query(pipeline, "SELECT count(*) FROM players") == [[0]]


def test_an_invalid_submit_names_each_bad_field_and_writes_no_draft(pipeline):
    _, message = submit(pipeline, {"player_name": "ab", "alt_names": "Good_one, bad name!, c1, c2, c3",
                                   "battletag": "Serral#12"}, custom_id="setup_modal:QQ:EUW")

    content = message["content"]
    assert content.startswith("Your profile was not saved")
    assert "**Player name** `ab`" in content
    assert "**Alternative names**: `bad name!`" in content
    assert "**Alternative names**: at most 3" in content
    assert "**BattleTag** `Serral#12`" in content
    assert "**Country**" in content and "`QQ`" in content
    assert "Region" not in content
    assert [c["custom_id"] for c in message["components"][0]["components"]] == ["setup_restart:QQ:EUW"]
    assert query(pipeline, "SELECT count(*) FROM setup_drafts") == [[0]]


def test_try_again_after_a_rejected_submit_reopens_the_modal_with_what_was_typed(pipeline):
    typed = {"player_name": "SerralFan", "alt_names": "", "battletag": "Serral#12"}
    _, rejected = submit(pipeline, typed)
    assert rejected["content"].startswith("Your profile was not saved")
    [retry] = rejected["components"][0]["components"]
    assert retry["label"] == "Try again"

    body = answer(pipeline, click(retry["custom_id"], rejected))

    assert body["type"] == 9 and body["data"]["custom_id"] == "setup_modal:FI:EUW"
    assert validate_modal(body["data"]) == []
    values = {label["component"]["custom_id"]: label["component"].get("value")
              for label in body["data"]["components"]}
    # The good name and the bad tag come back as typed (to fix the tag); the empty field stays empty.
    assert values == {"player_name": "SerralFan", "alt_names": None, "battletag": "Serral#12"}


# --- Confirm ----------------------------------------------------------------------------------------
def test_confirm_disables_the_buttons_at_once_then_creates_the_profile(pipeline):
    _, summary = submit(pipeline)
    confirm = click(buttons(summary)["setup_confirm"]["custom_id"], summary)

    message = press(pipeline, confirm)  # the buttons are disabled in the immediate answer

    assert message["embeds"][0]["title"] == "✅ Profile created"
    assert "/termsofservice" in message["embeds"][0]["description"]
    assert fields_of(message)["Player name"] == "`SerralFan`"
    assert message["components"] == []
    assert query(pipeline, "SELECT discord_user_id, player_name, alt_names, battletag, country, region, "
                           "terms_accepted_at, activated_at FROM players") == [
        [int(USER_ID), "SerralFan", ["Smurfy", "Alt_2"], "Serral#2114", "FI", "EUW", None, None]]
    assert query(pipeline, "SELECT discord_user_id FROM preferences_1v1") == [[int(USER_ID)]]
    assert query(pipeline, "SELECT idempotency_key, action, old_value FROM player_action_logs") == [
        [confirm["id"], "setup_confirmed", None]]
    assert query(pipeline, "SELECT count(*) FROM setup_drafts") == [[0]]


def test_a_second_confirm_click_writes_nothing_and_says_already_confirmed(pipeline):
    _, summary = submit(pipeline)
    custom_id = buttons(summary)["setup_confirm"]["custom_id"]
    first, second = click(custom_id, summary), click(custom_id, summary)  # both from the same message

    answer(pipeline, first)
    run_worker(pipeline)
    answer(pipeline, second)
    run_worker(pipeline)

    assert message_of(pipeline, first)["embeds"][0]["title"] == "✅ Profile created"
    again = message_of(pipeline, second)
    assert again["embeds"][0]["title"] == "✅ Profile saved"
    assert "already confirmed" in again["embeds"][0]["description"]
    assert query(pipeline, "SELECT count(*) FROM players") == [[1]]
    assert query(pipeline, "SELECT idempotency_key FROM player_action_logs") == [[first["id"]]]


def test_two_confirm_clicks_in_one_batch_write_once(pipeline):
    _, summary = submit(pipeline)
    custom_id = buttons(summary)["setup_confirm"]["custom_id"]
    clicks = [click(custom_id, summary), click(custom_id, summary)]
    for interaction in clicks:
        answer(pipeline, interaction)

    run_worker(pipeline)

    titles = sorted(message_of(pipeline, i)["embeds"][0]["title"] for i in clicks)
    assert titles == ["✅ Profile created", "✅ Profile saved"]
    assert query(pipeline, "SELECT count(*) FROM players") == [[1]]
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[1]]


def test_a_replayed_confirm_job_writes_once_and_answers_the_same(pipeline):
    _, summary = submit(pipeline)
    confirm = click(buttons(summary)["setup_confirm"]["custom_id"], summary)
    answer(pipeline, confirm)
    [job] = pipeline.aws.receive()

    pipeline.run_worker([job], delete=False)
    first = message_of(pipeline, confirm)
    pipeline.run_worker([job], delete=False)  # redelivery: the idempotency record answers
    clear_idempotency_records(pipeline)
    assert pipeline.run_worker([job]) == {"batchItemFailures": []}  # the handler runs again: SQL dedupes

    assert message_of(pipeline, confirm)["embeds"] == first["embeds"]
    assert first["embeds"][0]["title"] == "✅ Profile created"
    assert query(pipeline, "SELECT count(*) FROM players") == [[1]]
    assert query(pipeline, "SELECT idempotency_key FROM player_action_logs") == [[confirm["id"]]]


def test_confirm_on_a_replaced_or_cancelled_draft_is_out_of_date(pipeline):
    _, old_summary = submit(pipeline)
    _, new_summary = submit(pipeline, {**FIELDS, "player_name": "Newer"})

    stale = click(buttons(old_summary)["setup_confirm"]["custom_id"], old_summary)
    answer(pipeline, stale)
    run_worker(pipeline)

    assert "out of date" in message_of(pipeline, stale)["content"]
    assert message_of(pipeline, stale)["components"] == []
    assert query(pipeline, "SELECT count(*) FROM players") == [[0]]
    assert query(pipeline, "SELECT draft->>'player_name' FROM setup_drafts") == [["Newer"]]

    answer(pipeline, click(buttons(new_summary)["setup_cancel"]["custom_id"], new_summary))
    run_worker(pipeline)
    after_cancel = click(buttons(new_summary)["setup_confirm"]["custom_id"], new_summary)
    answer(pipeline, after_cancel)
    run_worker(pipeline)
    assert "out of date" in message_of(pipeline, after_cancel)["content"]
    assert query(pipeline, "SELECT count(*) FROM players") == [[0]]
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[0]]


def test_rerunning_setup_updates_the_profile_and_keeps_the_rest(pipeline):
    query(pipeline, f"""
        INSERT INTO players (discord_user_id, player_name, battletag, country, region, terms_accepted_at,
                             created_at)
        VALUES ({USER_ID}, 'OldName', 'Old#1111', 'DE', 'NA', '2025-01-02T00:00:00Z', '2025-01-01T00:00:00Z');
        INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won)
        VALUES ({USER_ID}, 'sc2_zerg', 1720, 3, 3)
    """)
    _, summary = submit(pipeline)
    confirm = click(buttons(summary)["setup_confirm"]["custom_id"], summary)

    answer(pipeline, confirm)
    run_worker(pipeline)

    message = message_of(pipeline, confirm)
    assert message["embeds"][0]["title"] == "✅ Profile updated"
    # Terms accepted, not activated, and this ladder has no activation gate (the default): queue.
    assert "/queue" in message["embeds"][0]["description"]
    assert "/activate" not in message["embeds"][0]["description"]
    assert "/termsofservice" not in message["embeds"][0]["description"]
    [[name, country, created, terms]] = query(
        pipeline, "SELECT player_name, country, created_at::text, terms_accepted_at IS NOT NULL FROM players")
    assert (name, country, created, terms) == ("SerralFan", "FI", "2025-01-01 00:00:00+00", True)
    assert query(pipeline, "SELECT race, mmr FROM mmrs_1v1") == [["sc2_zerg", 1720]]
    [[old]] = query(pipeline, "SELECT old_value FROM player_action_logs")
    assert old["player_name"] == "OldName" and old["country"] == "DE"


# --- Restart and Cancel --------------------------------------------------------------------------
def test_restart_reopens_the_modal_prefilled_and_its_submit_replaces_the_summary(pipeline):
    first, summary = submit(pipeline)

    body = answer(pipeline, click("setup_restart:FI:EUW", summary))

    assert body["type"] == 9 and body["data"]["custom_id"] == "setup_modal:FI:EUW"
    values = {label["component"]["custom_id"]: label["component"].get("value")
              for label in body["data"]["components"]}
    assert values == {"player_name": "SerralFan", "alt_names": "Smurfy, Alt_2", "battletag": "Serral#2114"}
    assert pipeline.aws.receive() == []

    resubmit = modal_submit("setup_modal:FI:EUW", {**FIELDS, "player_name": "Better"}, message=summary)
    assert answer(pipeline, resubmit) == {"type": 6}  # from a component: edit that message
    run_worker(pipeline)

    edited = message_of(pipeline, resubmit)
    assert edited["id"] == summary["id"]
    assert fields_of(edited)["Player name"] == "`Better`"
    assert buttons(edited)["setup_confirm"]["custom_id"] == f"setup_confirm:{resubmit['id']}"
    assert query(pipeline, "SELECT draft_version FROM setup_drafts") == [[resubmit["id"]]]
    assert first["id"] != resubmit["id"]


def test_cancel_discards_the_draft(pipeline):
    _, summary = submit(pipeline)
    cancel = click(buttons(summary)["setup_cancel"]["custom_id"], summary)

    message = press(pipeline, cancel)  # the buttons are disabled in the immediate answer

    assert message["content"] == "Setup cancelled. Nothing was saved."
    assert message["embeds"] == [] and message["components"] == []
    assert query(pipeline, "SELECT count(*) FROM setup_drafts") == [[0]]
    assert query(pipeline, "SELECT count(*) FROM players") == [[0]]


# --- one round trip per queued step ---------------------------------------------------------------
def test_each_setup_step_costs_one_database_round_trip(pipeline_via_proxy):
    pipeline = pipeline_via_proxy
    answer(pipeline, slash("ping"))
    run_worker(pipeline)  # opens the worker's connection (start-up and authentication are several turns)

    def turns(interaction: dict) -> int:
        return wire_turns(pipeline, interaction) - 1  # the batch's analytics insert is the other turn

    submit_ = modal_submit("setup_modal:FI:EUW", FIELDS)
    assert turns(submit_) == 1
    summary = message_of(pipeline, submit_)
    assert turns(click(buttons(summary)["setup_confirm"]["custom_id"], summary)) == 1
    _, summary = submit(pipeline)
    assert turns(click(buttons(summary)["setup_cancel"]["custom_id"], summary)) == 1


def test_two_overlapping_confirm_transactions_write_once(database_url):
    """Two Confirm clicks whose transactions really overlap: the second waits on the draft's row lock,
    then finds the first one's action-log row and answers already_confirmed."""
    run_sql(database_url, f"""SELECT ladder_setup_draft({USER_ID}, '{{"player_name": "SerralFan",
            "alt_names": [], "battletag": "Serral#2114", "country": "FI", "region": "EUW"}}'::jsonb, '100')""")

    won, results = race(database_url, f"SELECT ladder_setup_confirm({USER_ID}, '100', 'click-1')",
                        f"SELECT ladder_setup_confirm({USER_ID}, '100', 'click-2')",
                        failure="the second Confirm never waited for the first")

    assert won["status"] == "confirmed" and won["created"] is True
    assert [r["status"] for r in results] == ["already_confirmed"]
    assert run_sql(database_url, "SELECT count(*) FROM players") == [[1]]
    assert run_sql(database_url, "SELECT idempotency_key FROM player_action_logs") == [["click-1"]]
