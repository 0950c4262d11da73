"""/setcountry end to end: in-line autocomplete, the guard, the change and its action log, replays."""

from __future__ import annotations

from tests.support.ladder import (
    DEFERRED_EPHEMERAL,
    answer,
    autocomplete,
    query,
    replay,
    run_command,
    seed_player,
    slash,
    wire_turns,
)


def setcountry(value: str) -> dict:
    return slash("setcountry", country=value)


def typing(text: str) -> dict:
    return autocomplete("setcountry", text)


def run(pipeline, interaction: dict) -> dict:
    """A queued /setcountry: deferred ephemerally, then the final message (every edit checked)."""
    return run_command(pipeline, interaction, expect=DEFERRED_EPHEMERAL)


# --- autocomplete ----------------------------------------------------------------------------------
def test_autocomplete_answers_in_line_with_flags_and_codes(pipeline):
    body = answer(pipeline, typing("ger"))

    assert body["type"] == 8
    assert body["data"]["choices"][0] == {"name": "🇩🇪 Germany", "value": "DE"}
    assert all("ger" in c["name"].lower() for c in body["data"]["choices"])
    assert pipeline.aws.receive() == []


def test_autocomplete_respects_the_current_text_and_the_25_choice_limit(pipeline):
    everything = answer(pipeline, typing(""))["data"]["choices"]
    united = answer(pipeline, typing("united"))["data"]["choices"]
    by_code = answer(pipeline, typing("fr"))["data"]["choices"]

    assert len(everything) == 25
    assert {c["value"] for c in united} >= {"US", "GB", "AE"}
    # Name prefixes first, then other matches (Tanzania's ISO name is "Tanzania, United Republic of").
    assert [c["value"] for c in united] == ["AE", "GB", "US", "UM", "TZ"]
    assert by_code[0] == {"name": "🇫🇷 France", "value": "FR"}  # an exact code comes first
    assert answer(pipeline, typing("zzzz"))["data"]["choices"] == []


# --- the command -----------------------------------------------------------------------------------
def test_without_a_profile_you_are_pointed_at_setup(pipeline):
    message = run(pipeline, setcountry("FR"))

    assert "/setup" in message["content"]
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[0]]
    assert query(pipeline, "SELECT outcome FROM command_calls") == [["guard_no_profile"]]


def test_changing_the_country_updates_the_profile_and_logs_it(pipeline):
    seed_player(pipeline, country="DE", region="EUW")
    interaction = setcountry("FR")

    message = run(pipeline, interaction)

    assert message["content"] == "Your country is now 🇫🇷 France (was 🇩🇪 Germany)."
    assert query(pipeline, "SELECT country FROM players") == [["FR"]]
    logged = query(pipeline, "SELECT idempotency_key, action, old_value, new_value FROM player_action_logs")
    assert logged == [[interaction["id"], "country_changed", {"country": "DE"}, {"country": "FR"}]]


def test_a_typed_exact_name_is_accepted_and_the_same_country_changes_nothing(pipeline):
    seed_player(pipeline, country="DE", region="EUW")

    message = run(pipeline, setcountry("germany"))

    assert message["content"] == "Your country is already 🇩🇪 Germany."
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[0]]


def test_an_unknown_country_is_refused_with_the_closest_matches(pipeline):
    seed_player(pipeline, country="DE", region="EUW")

    message = run(pipeline, setcountry("Frnace"))

    assert message["content"].startswith("I don't know the country `Frnace`. Did you mean 🇫🇷 France (`FR`)")
    assert query(pipeline, "SELECT country FROM players") == [["DE"]]
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[0]]


def test_a_replayed_job_changes_and_logs_once_and_answers_the_same(pipeline):
    seed_player(pipeline, country="DE", region="EUW")

    first, second = replay(pipeline, setcountry("FR"))  # the second run as after a Lambda timeout

    assert second["content"] == first["content"] == "Your country is now 🇫🇷 France (was 🇩🇪 Germany)."
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[1]]


def test_setcountry_costs_one_database_round_trip(pipeline_via_proxy):
    pipeline = pipeline_via_proxy
    seed_player(pipeline, country="DE", region="EUW")
    run(pipeline, setcountry("SE"))  # opens the worker's connection

    turns = wire_turns(pipeline, setcountry("FR"))

    assert turns == 2  # the command, and the batch's analytics insert
    assert query(pipeline, "SELECT country FROM players") == [["FR"]]
