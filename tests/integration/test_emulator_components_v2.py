"""The local Discord over real HTTP with Components V2 messages and Label modals: it takes what Discord takes,
refuses what Discord refuses (with the 50035 error tree), and keeps a V2 message V2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest
import requests
from ladderctl.stack.discord_emulator import DiscordEmulator
from ladderline.discord import responses as r
from ladderline.ladder.commands import setup
from ladderline.ladder.i18n import EN

from tests.support.interactions import make_interaction

V2 = 1 << 15


def original_url(emu: DiscordEmulator, interaction: dict) -> str:
    return f"{emu.base_url}/webhooks/{interaction['application_id']}/{interaction['token']}/messages/@original"


def deferred(emu: DiscordEmulator, *, ephemeral: bool = True) -> dict:
    interaction = make_interaction(2, data={"id": "1", "name": "queue", "type": 1})
    emu.track_interaction(interaction, {"type": 5, "data": {"flags": 64} if ephemeral else {}})
    return interaction


def match_card() -> dict:
    return r.message_v2(r.container(
        r.text_display("## Match found"),
        r.section("**Serral** vs **Maru**", accessory=r.button("Accept", "accept:1")),
        r.separator(),
        r.action_row(r.button("Decline", "decline:1")),
        accent_color=0x57F287,
    ))


def test_a_deferred_answer_becomes_a_v2_message_and_stays_one(discord: DiscordEmulator) -> None:
    interaction = deferred(discord)
    url = original_url(discord, interaction)

    edited = requests.patch(url, json=match_card(), timeout=5)

    assert edited.status_code == 200
    message = discord.message(interaction["token"])
    assert message["flags"] == V2 | 64  # V2 set by the edit, still ephemeral, no longer "thinking"
    assert message["content"] == "" and message["embeds"] == []
    assert message["components"][0]["accent_color"] == 0x57F287
    # An edit leaving the flag out cannot remove it (Discord: "the flag can only be set")...
    kept = requests.patch(url, json={"flags": 0, "components": [r.text_display("Accepted.")]}, timeout=5)
    assert kept.status_code == 200 and kept.json()["flags"] & V2
    # ...and a legacy-shaped edit of a V2 message is refused like Discord does, changing nothing.
    legacy = requests.patch(url, json={"content": "Accepted.", "components": []}, timeout=5)
    assert legacy.status_code == 400 and legacy.json()["code"] == 50035
    assert "IS_COMPONENTS_V2" in legacy.json()["errors"]["content"]["_errors"][0]["message"]
    assert discord.message(interaction["token"])["components"] == [{"type": 10, "content": "Accepted."}]


def test_invalid_v2_bodies_get_discords_error_tree(discord: DiscordEmulator) -> None:
    interaction = deferred(discord)
    too_many = r.message_v2(r.container(*[r.text_display("x") for _ in range(40)]))
    bad_color = r.message_v2(r.container(r.text_display("x"), accent_color=0x1000000))

    counted = requests.patch(original_url(discord, interaction), json=too_many, timeout=5)
    colored = requests.patch(original_url(discord, interaction), json=bad_color, timeout=5)

    assert counted.status_code == 400 and "41" in counted.json()["problems"]
    assert colored.status_code == 400
    assert colored.json()["errors"]["components"]["0"]["accent_color"]["_errors"]
    assert discord.message(interaction["token"])["flags"] & (1 << 7)  # still thinking: nothing applied


def test_a_v2_followup_is_a_new_v2_message(discord: DiscordEmulator) -> None:
    interaction = deferred(discord, ephemeral=False)
    hook = f"{discord.base_url}/webhooks/{interaction['application_id']}/{interaction['token']}"

    created = requests.post(hook, json=r.message_v2(r.text_display("Queue joined"), edit=False), timeout=5)
    refused = requests.post(hook, json={**r.message_v2(r.text_display("x"), edit=False), "content": "x"},
                            timeout=5)

    assert created.status_code == 200 and created.json()["flags"] == V2
    assert refused.status_code == 400 and "content" in refused.json()["errors"]


def test_callbacks_are_checked_deferred_v2_and_modals(discord: DiscordEmulator) -> None:
    def callback(response: dict) -> requests.Response:
        interaction = make_interaction(2, data={"id": "1", "name": "setup", "type": 1})
        discord.track_interaction(interaction)
        url = f"{discord.base_url}/interactions/{interaction['id']}/{interaction['token']}/callback"
        return requests.post(url, json=response, timeout=5)

    # A V2 answer must be made by editing the original response, not by a deferred one.
    deferred_v2 = callback({"type": 5, "data": {"flags": 64 | V2}})
    assert deferred_v2.status_code == 400 and "EPHEMERAL" in deferred_v2.json()["problems"]

    assert callback(setup.modal_for("DE", "EUW", EN)).status_code == 204
    labelled_twice = setup.modal_for("DE", "EUW", EN)
    labelled_twice["data"]["components"][0]["component"]["label"] = "Player name"
    refused = callback(labelled_twice)
    assert refused.status_code == 400
    assert refused.json()["errors"]["data"]["components"]["0"]["component"]["label"]["_errors"]
    assert callback(r.channel_message(match_card())).status_code == 204


def test_updating_a_clicked_v2_message_keeps_the_v2_rules(discord: DiscordEmulator) -> None:
    clicked = {**match_card(), "id": "844397162624450620", "content": "", "embeds": []}
    click = make_interaction(3, data={"custom_id": "accept:1", "component_type": 2}, message=clicked)

    discord.track_interaction(click, r.update_message(r.with_components_disabled(clicked)))

    assert discord.refused(click["token"]) == []
    updated = discord.message(click["token"])
    assert updated["flags"] & V2 and updated["components"][0]["components"][1]["accessory"]["disabled"] is True

    again = make_interaction(3, data={"custom_id": "accept:1", "component_type": 2}, message=clicked)
    discord.track_interaction(again, r.update_message({"content": "Accepted."}))
    assert any("data.content" in p and "IS_COMPONENTS_V2" in p for p in discord.refused(again["token"]))
    assert discord.message(again["token"]) is None  # refused: not applied


@pytest.fixture
def bot_answering() -> Iterator[dict]:
    """An interactions endpoint answering with whatever `answer["body"]` holds."""
    answer: dict = {"body": {"type": 5}}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            raw = json.dumps(answer["body"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    answer["url"] = f"http://127.0.0.1:{server.server_address[1]}/interactions"
    yield answer
    server.shutdown()
    server.server_close()


def test_delivery_reports_an_answer_discord_would_refuse(discord: DiscordEmulator, bot_answering: dict) -> None:
    discord.endpoint_url = bot_answering["url"]
    bad = setup.modal_for("DE", "EUW", EN)
    bad["data"]["title"] = "t" * 46
    bot_answering["body"] = bad
    interaction = make_interaction(2, data={"id": "1", "name": "setup", "type": 1})

    delivered = requests.post(f"{discord.url}/_emulator/deliver", json={"interaction": interaction}, timeout=10)

    assert delivered.json()["status"] == 200
    assert delivered.json()["refused"] == ["data.title: must be 45 or fewer characters (got 46)"]
    # Never acknowledged, so Discord has no webhook for the token.
    late = requests.patch(original_url(discord, interaction), json={"content": "x"}, timeout=5)
    assert late.status_code == 404

    bot_answering["body"] = setup.modal_for("DE", "EUW", EN)
    fine = make_interaction(2, data={"id": "1", "name": "setup", "type": 1})
    answer = requests.post(f"{discord.url}/_emulator/deliver", json={"interaction": fine}, timeout=10).json()
    assert "refused" not in answer and answer["response"]["type"] == 9
