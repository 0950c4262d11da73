"""Every command's worker-side database work costs exactly ONE network round trip.

Measured on the wire: the worker's DATABASE_URL goes through tests.support.tcp_proxy, which
counts request/response turns (client bytes, then server bytes). The worker connects once per
container, so each test first runs a /ping to open the connection (start-up and SCRAM
authentication are several turns) and then resets the counter.

With one job in the SQS batch the total is exactly 2: the command's own transaction
(`BEGIN; SELECT ladder_xxx(...); COMMIT;` in one simple-query message) plus the batch's analytics
insert into command_calls, which the worker sends once per batch after the replies are edited
(off the user's path). The player's language rides in the command's own statement
(`SELECT ladder_xxx(...), ladder_language(...)`, ladderline.ladder.context), so it costs no turn. A
job whose handler needs no database (terms_decline: its language is in its custom_id) costs 1: the
analytics insert alone.
"""

from __future__ import annotations

import pytest
from ladderline.ladder.commands.activate import hash_code

from tests.support.interactions import USER_ID, make_interaction
from tests.support.ladder import answer, click, message_of, query

ANALYTICS_INSERT = 1


@pytest.fixture
def wired(pipeline_via_proxy):
    """The proxied pipeline with a warm worker connection and a zeroed counter."""
    pipeline_via_proxy.send(make_interaction(2, data={"id": "1", "name": "ping", "type": 1}))
    assert pipeline_via_proxy.run_worker() == {"batchItemFailures": []}
    assert pipeline_via_proxy.proxy.connections_opened == 1
    return pipeline_via_proxy


def run(pipeline, interaction: dict) -> tuple[int, dict | None]:
    """Send one interaction, run the worker on its job alone; (round trips on the wire, the message)."""
    assert answer(pipeline, interaction)["type"] in (5, 6, 7)
    pipeline.proxy.reset()
    before = pipeline.worker.worker._db.round_trips
    assert pipeline.run_worker() == {"batchItemFailures": []}
    turns = pipeline.proxy.round_trips
    # The adapter's own count (messages sent) agrees with what crossed the network.
    assert pipeline.worker.worker._db.round_trips - before == turns
    assert pipeline.proxy.connections_opened == 1  # no reconnects: the warm connection was reused
    return turns, message_of(pipeline, interaction)


def command(name: str, **options) -> dict:
    data = {"id": "9", "name": name, "type": 1}
    if options:
        data["options"] = [{"name": k, "type": 6 if k == "user" else 3, "value": v} for k, v in options.items()]
    return make_interaction(2, data=data)


def test_ping(wired):
    turns, message = run(wired, command("ping"))

    assert message["content"].startswith("Pong!")
    assert turns == 1 + ANALYTICS_INSERT


def test_profile_without_and_with_data(wired):
    turns, message = run(wired, command("profile"))
    assert "/setup" in message["content"]
    assert turns == 1 + ANALYTICS_INSERT

    query(wired, f"INSERT INTO players (discord_user_id, player_name) VALUES ({USER_ID}, 'Someone');"
                 f"INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won, last_played_at) "
                 f"VALUES ({USER_ID}, 'sc2_zerg', 1600, 2, 2, now())")
    turns, message = run(wired, command("profile", user=USER_ID))
    assert message["embeds"][0]["title"] == "Someone"
    assert turns == 1 + ANALYTICS_INSERT


def test_leaderboard_and_a_page_click(wired):
    query(wired, "INSERT INTO players (discord_user_id, player_name) SELECT g, 'P' || g FROM generate_series(1, 25) g;"
                 "INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won, last_played_at) "
                 "SELECT g, 'sc2_zerg', 1500 + g, 1, 1, now() FROM generate_series(1, 25) g;"
                 "SELECT ladder_refresh_ranks(now(), true, 600)")

    turns, message = run(wired, command("leaderboard", race="sc2_zerg"))
    assert message["embeds"][0]["footer"]["text"] == "Page 1/3 · 25 players · ranks as of"
    assert turns == 1 + ANALYTICS_INSERT

    turns, message = run(wired, click("lb:2:sc2_zerg::", message))
    assert message["embeds"][0]["footer"]["text"] == "Page 2/3 · 25 players · ranks as of"
    assert turns == 1 + ANALYTICS_INSERT


def test_a_new_player_walks_through_setup_terms_activate_and_setcountry(wired):
    query(wired, f"INSERT INTO activation_codes (code_hash) VALUES ('{hash_code('WELCOME-1')}')")

    submit = make_interaction(5, data={"custom_id": "setup_modal:DE:EUW", "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": "player_name", "value": "Serral"}]},
        {"type": 1, "components": [{"type": 4, "custom_id": "alt_names", "value": ""}]},
        {"type": 1, "components": [{"type": 4, "custom_id": "battletag", "value": "Serral#2114"}]},
    ]})
    turns, summary = run(wired, submit)
    [confirm] = [b for b in summary["components"][0]["components"] if b["custom_id"].startswith("setup_confirm:")]
    assert turns == 1 + ANALYTICS_INSERT, "setup modal submit"

    turns, message = run(wired, click(confirm["custom_id"], summary))
    assert message["embeds"][0]["title"].startswith("✅ Profile")
    assert turns == 1 + ANALYTICS_INSERT, "setup confirm"

    turns, terms = run(wired, command("termsofservice"))
    [accept] = [b for b in terms["components"][0]["components"] if b["custom_id"] == "terms_accept"]
    assert turns == 1 + ANALYTICS_INSERT, "termsofservice"

    turns, message = run(wired, click(accept["custom_id"], terms))
    assert "you accepted the terms" in message["content"]
    assert turns == 1 + ANALYTICS_INSERT, "terms accept"

    turns, message = run(wired, command("activate", code="welcome-1"))
    assert "activated" in message["content"]
    assert turns == 1 + ANALYTICS_INSERT, "activate"

    turns, message = run(wired, command("setcountry", country="FI"))
    assert turns == 1 + ANALYTICS_INSERT, "setcountry"
    country = query(wired, f"SELECT country FROM players WHERE discord_user_id = {USER_ID}")
    assert country == [["FI"]]


def test_a_job_without_database_work_costs_only_the_analytics_insert(wired):
    turns, _ = run(wired, command("termsofservice"))
    terms = wired.discord.message(wired.discord.messages[-1]["token"])

    decline = terms["components"][0]["components"][1]["custom_id"]  # terms_decline:<language>
    turns, message = run(wired, click(decline, terms))

    assert "declined" in message["content"]
    assert turns == ANALYTICS_INSERT
