"""/setcountry end to end: in-line autocomplete, the guard, the change and its action log, replays."""

from __future__ import annotations

import json
from typing import Any

from ladderline.discord.limits import validate_message

from tests.support.interactions import USER_ID, make_interaction
from tests.support.postgres import pg_connect


def setcountry(value: str) -> dict:
    return make_interaction(2, data={"id": "1", "name": "setcountry", "type": 1,
                                     "options": [{"name": "country", "type": 3, "value": value}]})


def typing(text: str) -> dict:
    option = {"name": "country", "type": 3, "value": text, "focused": True}
    return make_interaction(4, data={"id": "1", "name": "setcountry", "type": 1, "options": [option]})


def answer(pipeline, interaction: dict) -> dict:
    response = pipeline.send(interaction)
    assert response["statusCode"] == 200
    return json.loads(response["body"])


def run_command(pipeline, interaction: dict) -> dict:
    assert answer(pipeline, interaction) == {"type": 5, "data": {"flags": 64}}
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


def seed_player(pipeline, country: str = "DE") -> None:
    query(pipeline, f"INSERT INTO players (discord_user_id, player_name, country, region) "
                    f"VALUES ({USER_ID}, 'Serral_fan', '{country}', 'EU')")


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
    message = run_command(pipeline, setcountry("FR"))

    assert "/setup" in message["content"]
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[0]]
    assert query(pipeline, "SELECT outcome FROM command_calls") == [["guard_no_profile"]]


def test_changing_the_country_updates_the_profile_and_logs_it(pipeline):
    seed_player(pipeline, "DE")
    interaction = setcountry("FR")

    message = run_command(pipeline, interaction)

    assert message["content"] == "Your country is now 🇫🇷 France (was 🇩🇪 Germany)."
    assert query(pipeline, "SELECT country FROM players") == [["FR"]]
    logged = query(pipeline, "SELECT idempotency_key, action, old_value, new_value FROM player_action_logs")
    assert logged == [[interaction["id"], "country_changed", {"country": "DE"}, {"country": "FR"}]]


def test_a_typed_exact_name_is_accepted_and_the_same_country_changes_nothing(pipeline):
    seed_player(pipeline, "DE")

    message = run_command(pipeline, setcountry("germany"))

    assert message["content"] == "Your country is already 🇩🇪 Germany."
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[0]]


def test_an_unknown_country_is_refused_with_the_closest_matches(pipeline):
    seed_player(pipeline, "DE")

    message = run_command(pipeline, setcountry("Frnace"))

    assert message["content"].startswith("I don't know the country `Frnace`. Did you mean 🇫🇷 France (`FR`)")
    assert query(pipeline, "SELECT country FROM players") == [["DE"]]
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[0]]


def test_a_replayed_job_changes_and_logs_once_and_answers_the_same(pipeline):
    seed_player(pipeline, "DE")
    interaction = setcountry("FR")
    answer(pipeline, interaction)
    [job] = pipeline.aws.receive()
    pipeline.run_worker([job], delete=False)
    first = pipeline.discord.message(interaction["token"])["content"]
    table = pipeline.aws.table_name
    for item in pipeline.aws.dynamodb.scan(TableName=table)["Items"]:  # as after a Lambda timeout
        pipeline.aws.dynamodb.delete_item(TableName=table, Key={"id": item["id"]})

    assert pipeline.run_worker([job]) == {"batchItemFailures": []}

    assert pipeline.discord.message(interaction["token"])["content"] == first == (
        "Your country is now 🇫🇷 France (was 🇩🇪 Germany).")
    assert query(pipeline, "SELECT count(*) FROM player_action_logs") == [[1]]


def test_setcountry_costs_one_database_round_trip(pipeline_via_proxy):
    pipeline, proxy = pipeline_via_proxy, pipeline_via_proxy.proxy
    seed_player(pipeline, "DE")
    run_command(pipeline, setcountry("SE"))  # opens the worker's connection
    interaction = setcountry("FR")
    answer(pipeline, interaction)
    proxy.reset()

    assert pipeline.run_worker() == {"batchItemFailures": []}

    assert proxy.round_trips == 2  # the command, and the batch's analytics insert
    assert query(pipeline, "SELECT country FROM players") == [["FR"]]
