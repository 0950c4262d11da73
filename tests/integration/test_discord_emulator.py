"""The local Discord over real HTTP: webhook edits, Discord's error bodies, scripted failures,
command registration and signed delivery to an endpoint."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import nacl.exceptions
import nacl.signing
import pytest
import requests
from ladderctl.stack.discord_emulator import DiscordEmulator

from tests.support.interactions import APPLICATION_ID, make_interaction


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(discord_key: nacl.signing.SigningKey, clock: FakeClock) -> Iterator[DiscordEmulator]:
    with DiscordEmulator(signing_key=discord_key, clock=clock, bot_token="bot-secret") as emu:
        yield emu


def original_url(emu: DiscordEmulator, interaction: dict) -> str:
    return (
        f"{emu.base_url}/webhooks/{interaction['application_id']}/{interaction['token']}/messages/@original"
    )


def deferred_command(emu: DiscordEmulator, *, ephemeral: bool = False) -> dict:
    interaction = make_interaction(2, data={"id": "1", "name": "profile", "type": 1})
    emu.track_interaction(interaction, {"type": 5, "data": {"flags": 64} if ephemeral else {}})
    return interaction


def test_patch_on_a_tracked_token_edits_the_original(emulator: DiscordEmulator) -> None:
    interaction = deferred_command(emulator, ephemeral=True)
    assert emulator.message(interaction["token"])["flags"] & 64

    answer = requests.patch(original_url(emulator, interaction), json={"content": "Saved."}, timeout=5)

    assert answer.status_code == 200
    assert answer.json()["content"] == "Saved."
    assert answer.json()["author"]["id"] == APPLICATION_ID and answer.json()["author"]["bot"] is True
    assert "x-ratelimit-bucket" in {name.lower() for name in answer.headers}
    current = emulator.message(interaction["token"])
    assert current["content"] == "Saved." and current["flags"] == 64  # still ephemeral, no longer "thinking"
    assert [r.json for r in emulator.requests_for(interaction["token"])] == [{"content": "Saved."}]
    assert requests.get(original_url(emulator, interaction), timeout=5).json()["content"] == "Saved."


def test_the_requests_of_one_interaction_are_served_apart(emulator: DiscordEmulator) -> None:
    mine, other = deferred_command(emulator), deferred_command(emulator)
    requests.patch(original_url(emulator, mine), json={"content": "Mine."}, timeout=5)
    requests.patch(original_url(emulator, other), json={"content": "Other."}, timeout=5)

    served = requests.get(f"{emulator.url}/_emulator/requests/{mine['token']}", timeout=5).json()

    assert [(r["method"], r["json"], r["status"]) for r in served] == [("PATCH", {"content": "Mine."}, 200)]
    assert len(requests.get(f"{emulator.url}/_emulator/requests", timeout=5).json()) == 2
    assert requests.get(f"{emulator.url}/_emulator/requests/unknown-token", timeout=5).json() == []


def test_any_api_version_prefix_is_served(emulator: DiscordEmulator) -> None:
    interaction = deferred_command(emulator)
    url = original_url(emulator, interaction).replace("/api/v10/", "/api/v9/")
    assert requests.patch(url, json={"content": "v9"}, timeout=5).status_code == 200


def test_followups_and_delete(emulator: DiscordEmulator) -> None:
    interaction = deferred_command(emulator)
    hook = f"{emulator.base_url}/webhooks/{APPLICATION_ID}/{interaction['token']}"
    created = requests.post(hook, json={"content": "second"}, timeout=5).json()
    edited = requests.patch(f"{hook}/messages/{created['id']}", json={"content": "2nd"}, timeout=5)
    assert edited.json()["content"] == "2nd"
    assert [m["content"] for m in emulator.followups(interaction["token"])] == ["2nd"]
    assert requests.delete(original_url(emulator, interaction), timeout=5).status_code == 204
    assert emulator.message(interaction["token"]) is None


def test_unknown_token_is_unknown_webhook(emulator: DiscordEmulator) -> None:
    stranger = make_interaction(2)  # never answered, so Discord has no webhook for it

    answer = requests.patch(original_url(emulator, stranger), json={"content": "hi"}, timeout=5)

    assert answer.status_code == 404
    assert answer.json() == {"message": "Unknown Webhook", "code": 10015}
    assert emulator.requests[-1].status == 404


def test_token_expires_fifteen_minutes_after_the_interaction(
    emulator: DiscordEmulator, clock: FakeClock
) -> None:
    interaction = deferred_command(emulator)
    clock.now += 15 * 60 + 1

    answer = requests.patch(original_url(emulator, interaction), json={"content": "late"}, timeout=5)

    assert answer.status_code == 401
    assert answer.json() == {"message": "Invalid Webhook Token", "code": 50027}


def test_invalid_bodies_are_rejected_like_discord(emulator: DiscordEmulator) -> None:
    interaction = deferred_command(emulator)
    url = original_url(emulator, interaction)

    too_long = requests.patch(url, json={"content": "x" * 2001}, timeout=5)
    wrapped = requests.patch(url, json={"type": 4, "data": {"content": "hi"}}, timeout=5)
    broken = requests.patch(
        url, data=b'{"content": ', headers={"Content-Type": "application/json"}, timeout=5
    )

    assert too_long.status_code == 400
    assert too_long.json()["code"] == 50035 and too_long.json()["message"] == "Invalid Form Body"
    assert "content" in too_long.json()["errors"]
    assert wrapped.status_code == 400 and "interaction response" in wrapped.json()["problems"]
    assert broken.status_code == 400
    assert broken.json() == {"code": 50109, "message": "The request body contains invalid JSON."}
    assert emulator.message(interaction["token"])["content"] == ""  # nothing applied


def test_scripted_429_then_success(emulator: DiscordEmulator) -> None:
    interaction = deferred_command(emulator)
    emulator.script(
        "PATCH",
        "/webhooks/*/messages/@original",
        429,
        {"message": "You are being rate limited.", "retry_after": 0.3, "global": False},
    )
    url = original_url(emulator, interaction)

    first = requests.patch(url, json={"content": "try"}, timeout=5)
    second = requests.patch(url, json={"content": "try"}, timeout=5)

    assert first.status_code == 429
    assert first.json()["retry_after"] == 0.3
    assert first.headers["X-RateLimit-Remaining"] == "0" and "X-RateLimit-Reset-After" in first.headers
    assert second.status_code == 200
    assert [r.status for r in emulator.requests_for(interaction["token"])] == [429, 200]


def test_application_commands_need_the_bot_token(emulator: DiscordEmulator) -> None:
    url = f"{emulator.base_url}/applications/{APPLICATION_ID}/commands"
    auth = {"Authorization": "Bot bot-secret"}
    commands = [
        {"name": "profile", "description": "Show a profile"},
        {"name": "queue", "description": "Queue"},
    ]

    refused = requests.put(url, json=commands, timeout=5)
    first = requests.put(url, json=commands, headers=auth, timeout=5).json()
    second = requests.put(url, json=[{"name": "profile", "description": "Show it"}], headers=auth, timeout=5)
    listed = requests.get(url, headers=auth, timeout=5).json()

    assert refused.status_code == 401 and refused.json() == {"message": "401: Unauthorized", "code": 0}
    assert requests.get(url, timeout=5).status_code == 401
    assert [c["name"] for c in first] == ["profile", "queue"] and first[0]["id"] != first[1]["id"]
    assert second.status_code == 200
    assert [(c["name"], c["id"], c["description"]) for c in listed] == [
        ("profile", first[0]["id"], "Show it")
    ]
    guild_url = f"{emulator.base_url}/applications/{APPLICATION_ID}/guilds/42/commands"
    assert requests.get(guild_url, headers=auth, timeout=5).json() == []


@pytest.fixture
def endpoint() -> Iterator[dict]:
    """A tiny interactions endpoint that records what it got and answers a deferred response."""
    seen: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen["headers"] = {k.lower(): v for k, v in self.headers.items()}
            seen["body"] = self.rfile.read(int(self.headers["Content-Length"]))
            raw = json.dumps({"type": 5, "data": {"flags": 64}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    seen["url"] = f"http://127.0.0.1:{server.server_address[1]}/interactions"
    yield seen
    server.shutdown()
    server.server_close()


def test_deliver_signs_like_discord_and_tracks_the_answer(
    emulator: DiscordEmulator, endpoint: dict, discord_key: nacl.signing.SigningKey
) -> None:
    emulator.endpoint_url = endpoint["url"]
    interaction = make_interaction(
        2,
        data={
            "id": "1",
            "name": "setup",
            "type": 1,
            "options": [{"name": "name", "type": 3, "value": "Zoë 👋"}],
        },
    )

    status, answer = emulator.deliver(interaction, timestamp="1749368683")

    assert (status, answer) == (200, {"type": 5, "data": {"flags": 64}})
    headers, body = endpoint["headers"], endpoint["body"]
    assert headers["x-signature-timestamp"] == "1749368683"
    verify_key = nacl.signing.VerifyKey(bytes.fromhex(emulator.public_key_hex))
    verify_key.verify(b"1749368683" + body, bytes.fromhex(headers["x-signature-ed25519"]))
    with pytest.raises(nacl.exceptions.BadSignatureError):
        discord_key.verify_key.verify(b"1749368684" + body, bytes.fromhex(headers["x-signature-ed25519"]))
    assert "Zoë 👋".encode() in body  # raw UTF-8, as Discord sends it
    assert emulator.sign(body, "1749368683") == {
        "X-Signature-Ed25519": headers["x-signature-ed25519"],
        "X-Signature-Timestamp": "1749368683",
    }
    assert emulator.message(interaction["token"])["flags"] & 64  # the deferred answer was applied


def test_control_api_delivers_and_shows_messages(emulator: DiscordEmulator, endpoint: dict) -> None:
    emulator.endpoint_url = endpoint["url"]
    interaction = make_interaction(2, data={"id": "1", "name": "profile", "type": 1})

    delivered = requests.post(
        f"{emulator.url}/_emulator/deliver", json={"interaction": interaction}, timeout=10
    )
    shown = requests.get(f"{emulator.url}/_emulator/messages/{interaction['token']}", timeout=5)
    missing = requests.get(f"{emulator.url}/_emulator/messages/nope", timeout=5)

    assert delivered.json() == {"status": 200, "response": {"type": 5, "data": {"flags": 64}}}
    assert shown.status_code == 200 and shown.json()["flags"] & 64
    assert missing.status_code == 404
    assert requests.get(f"{emulator.url}/_emulator/requests", timeout=5).json() == []


def test_component_update_edits_the_clicked_message(discord: DiscordEmulator) -> None:
    clicked = {
        "id": "844397162624450620",
        "content": "Confirm?",
        "flags": 0,
        "embeds": [],
        "components": [
            {"type": 1, "components": [{"type": 2, "style": 3, "label": "Yes", "custom_id": "setup:confirm"}]}
        ],
    }
    interaction = make_interaction(
        3, data={"custom_id": "setup:confirm", "component_type": 2}, message=clicked
    )

    discord.track_interaction(interaction, {"type": 7, "data": {"content": "Done.", "components": []}})

    assert discord.message(interaction["token"])["id"] == clicked["id"]
    assert discord.message(interaction["token"])["content"] == "Done."
    assert discord.message(interaction["token"])["components"] == []


# --- bot-token routes ------------------------------------------------------------------------------
BOT = {"Authorization": "Bot bot-secret"}


def open_dm(emu: DiscordEmulator, user: str) -> str:
    answer = requests.post(f"{emu.base_url}/users/@me/channels", json={"recipient_id": user}, headers=BOT, timeout=5)
    assert answer.status_code == 200
    return answer.json()["id"]


def test_bot_routes_need_the_bot_token_and_count_refusals_as_invalid(emulator: DiscordEmulator) -> None:
    refused = requests.post(f"{emulator.base_url}/users/@me/channels", json={"recipient_id": "5"}, timeout=5)
    wrong = requests.post(f"{emulator.base_url}/channels/1/messages", json={"content": "x"},
                          headers={"Authorization": "Bot nope"}, timeout=5)

    assert (refused.status_code, wrong.status_code) == (401, 401)
    assert emulator.invalid_requests == 2


def test_a_dm_channel_is_one_per_user_and_keeps_the_users_messages(emulator: DiscordEmulator) -> None:
    channel = open_dm(emulator, "5")
    assert open_dm(emulator, "5") == channel and open_dm(emulator, "6") != channel

    sent = requests.post(f"{emulator.base_url}/channels/{channel}/messages", json={"content": "hi"},
                         headers=BOT, timeout=5).json()
    edited = requests.patch(f"{emulator.base_url}/channels/{channel}/messages/{sent['id']}",
                            json={"content": "hello"}, headers=BOT, timeout=5).json()
    fetched = requests.get(f"{emulator.base_url}/channels/{channel}/messages/{sent['id']}", headers=BOT, timeout=5)
    missing = requests.get(f"{emulator.base_url}/channels/{channel}/messages/1", headers=BOT, timeout=5)

    assert edited["content"] == fetched.json()["content"] == "hello" and edited["author"]["bot"] is True
    assert [m["content"] for m in emulator.dms("5")] == ["hello"] and emulator.dms("6") == []
    assert (missing.status_code, missing.json()["code"]) == (404, 10008)
    assert requests.get(f"{emulator.url}/_emulator/dms/5", timeout=5).json()[0]["id"] == sent["id"]


def test_an_enforced_nonce_returns_the_first_message_instead_of_a_second(emulator: DiscordEmulator,
                                                                         clock: FakeClock) -> None:
    url = f"{emulator.base_url}/channels/77/messages"
    body = {"content": "once", "nonce": "abc", "enforce_nonce": True}

    first = requests.post(url, json=body, headers=BOT, timeout=5).json()
    again = requests.post(url, json=body, headers=BOT, timeout=5).json()
    unenforced = requests.post(url, json={"content": "once", "nonce": "abc"}, headers=BOT, timeout=5).json()
    too_long = requests.post(url, json={"content": "x", "nonce": "n" * 26}, headers=BOT, timeout=5)
    clock.now += 301  # Discord remembers a nonce for a few minutes only
    later = requests.post(url, json=body, headers=BOT, timeout=5).json()

    assert again["id"] == first["id"] and unenforced["id"] != first["id"] and later["id"] != first["id"]
    assert len(emulator.channel_messages("77")) == 3
    assert too_long.status_code == 400


def test_bot_routes_answer_with_buckets_and_429_beyond_them(emulator: DiscordEmulator, clock: FakeClock) -> None:
    url = f"{emulator.base_url}/channels/88/messages"
    answers = [requests.post(url, json={"content": str(i)}, headers=BOT, timeout=5) for i in range(6)]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0"]
    assert len({a.headers["X-RateLimit-Bucket"] for a in answers}) == 1
    assert answers[-1].headers["X-RateLimit-Scope"] == "user" and emulator.invalid_requests == 1
    # Create Message: 5 per 5 s per channel (the emulator's ROUTE_LIMITS, with their sources).
    assert answers[0].headers["X-RateLimit-Reset-After"] == "5.000"
    clock.now += 1.0
    assert requests.post(url, json={"content": "still"}, headers=BOT, timeout=5).status_code == 429
    # Another channel is another bucket (channel_id is a top-level resource).
    assert requests.post(f"{emulator.base_url}/channels/89/messages", json={"content": "x"}, headers=BOT,
                         timeout=5).status_code == 200
    clock.now += 4.0
    assert requests.post(url, json={"content": "ok"}, headers=BOT, timeout=5).status_code == 200


def test_the_global_limit_is_50_bot_requests_a_second_across_routes(
        emulator: DiscordEmulator, clock: FakeClock) -> None:
    answers = [requests.post(f"{emulator.base_url}/channels/{1000 + i}/messages", json={"content": "x"},
                             headers=BOT, timeout=5) for i in range(51)]
    assert [a.status_code for a in answers] == [200] * 50 + [429]
    limited = answers[-1]
    assert limited.headers["X-RateLimit-Scope"] == "global" and limited.headers["X-RateLimit-Global"] == "true"
    assert limited.json()["global"] is True and 0 < limited.json()["retry_after"] <= 1.0
    clock.now += 1.0
    assert requests.post(f"{emulator.base_url}/channels/2000/messages", json={"content": "x"}, headers=BOT,
                         timeout=5).status_code == 200


def test_a_scripted_shared_429_is_not_an_invalid_request(emulator: DiscordEmulator) -> None:
    emulator.script("POST", "/channels/*/messages", 429, scope="shared")
    emulator.script("POST", "/channels/*/messages", 429, scope="global")

    shared = requests.post(f"{emulator.base_url}/channels/9/messages", json={"content": "x"}, headers=BOT, timeout=5)
    global_ = requests.post(f"{emulator.base_url}/channels/9/messages", json={"content": "x"}, headers=BOT, timeout=5)

    assert shared.headers["X-RateLimit-Scope"] == "shared" and global_.json()["global"] is True
    assert emulator.invalid_requests == 1


def test_a_user_who_refuses_dms_gets_50007(emulator: DiscordEmulator) -> None:
    emulator.block_dms("5")
    channel = open_dm(emulator, "5")

    refused = requests.post(f"{emulator.base_url}/channels/{channel}/messages", json={"content": "x"},
                            headers=BOT, timeout=5)

    assert (refused.status_code, refused.json()["code"]) == (403, 50007)


def test_next_answers_at_the_messages_next_change(emulator: DiscordEmulator) -> None:
    interaction = deferred_command(emulator)
    token = interaction["token"]
    now = requests.get(f"{emulator.url}/_emulator/next/{token}/-1", timeout=5).json()
    assert now["changes"] == 1 and now["message"]["flags"] & 128  # the "thinking" message, at once
    answered: list[dict] = []
    waiting = threading.Thread(target=lambda: answered.append(
        requests.get(f"{emulator.url}/_emulator/next/{token}/{now['changes']}", timeout=10).json()))
    waiting.start()
    time.sleep(0.3)  # the waiter is parked on the emulator (it has no answer yet)
    assert answered == []

    requests.patch(original_url(emulator, interaction), json={"content": "Saved."}, timeout=5)
    waiting.join(timeout=10)

    assert [(a["changes"], a["message"]["content"]) for a in answered] == [(2, "Saved.")]
    assert requests.get(f"{emulator.url}/_emulator/next/{token}/x", timeout=5).status_code == 400
