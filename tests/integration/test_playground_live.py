"""The playground's live view against a real emulator over HTTP (no browser): the subscribe hook,
where messages show, rejections with Discord's error body, and the interaction token kept off
the page."""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator

import nacl.signing
import pytest
import requests
from ladderctl.playground.live import TOKEN_SHOWN, Live
from ladderctl.stack.discord_emulator import DiscordEmulator

from tests.support.interactions import make_interaction

BOT = {"Authorization": "Bot bot-secret"}


@pytest.fixture
def emulator(discord_key: nacl.signing.SigningKey) -> Iterator[DiscordEmulator]:
    with DiscordEmulator(signing_key=discord_key, bot_token="bot-secret") as emu:
        yield emu


@pytest.fixture
def live(emulator: DiscordEmulator) -> Iterator[Live]:
    view = Live(emulator).start()
    yield view
    view.stop()


def events_of(live: Live) -> list[dict]:
    """Everything the page would have received so far (snapshot first)."""
    live.drain()
    stream = live.subscribe()
    found = []
    while True:
        try:
            found.append(stream.get_nowait())
        except queue.Empty:
            return found


def test_subscribers_get_requests_without_their_headers_and_message_changes(emulator: DiscordEmulator) -> None:
    seen: list[dict] = []
    unsubscribe = emulator.subscribe(seen.append)
    channel = requests.post(f"{emulator.base_url}/users/@me/channels", json={"recipient_id": "42"}, headers=BOT,
                            timeout=5).json()["id"]

    requests.post(f"{emulator.base_url}/channels/{channel}/messages", json={"content": "hi"}, headers=BOT, timeout=5)
    unsubscribe()
    requests.post(f"{emulator.base_url}/channels/{channel}/messages", json={"content": "later"}, headers=BOT,
                  timeout=5)

    kinds = [(e["kind"], e.get("method"), e.get("event")) for e in seen]
    assert kinds == [("request", "POST", None), ("message", None, "create"), ("request", "POST", None)]
    assert seen[1]["message"]["content"] == "hi" and seen[1]["token"] == f"channel:{channel}"
    assert seen[2]["status"] == 200 and seen[2]["json"] == {"content": "hi"}
    assert "bot-secret" not in json.dumps(seen)  # the bot token never leaves the emulator this way
    assert emulator.dm_recipient(channel) == "42" and emulator.dm_recipient("1") is None


def test_a_dm_shows_in_the_users_dm_and_an_ephemeral_answer_only_to_its_user(
        emulator: DiscordEmulator, live: Live) -> None:
    channel = requests.post(f"{emulator.base_url}/users/@me/channels", json={"recipient_id": "42"}, headers=BOT,
                            timeout=5).json()["id"]
    requests.post(f"{emulator.base_url}/channels/{channel}/messages", json={"content": "match found"},
                  headers=BOT, timeout=5)
    interaction = make_interaction(2, data={"id": "1", "name": "ping", "type": 1})
    emulator.track_interaction(interaction, {"type": 5, "data": {"flags": 64}})

    messages = {e["message"]["content"]: e for e in events_of(live)[0]["messages"]}

    assert messages["match found"]["place"] == "dm:42" and messages["match found"]["visible_to"] is None
    thinking = messages[""]
    user = interaction["member"]["user"]["id"]
    assert (thinking["place"], thinking["visible_to"]) == ("channel", user)
    assert thinking["caption"] == "used /ping" and thinking["interaction_id"] == interaction["id"]


def test_a_refused_edit_is_a_rejection_with_discords_reason_and_no_token(
        emulator: DiscordEmulator, live: Live) -> None:
    interaction = make_interaction(2, data={"id": "1", "name": "ping", "type": 1})
    emulator.track_interaction(interaction, {"type": 5})
    url = f"{emulator.base_url}/webhooks/{interaction['application_id']}/{interaction['token']}/messages/@original"

    refused = requests.patch(url, json={"content": "x" * 2001}, timeout=5)
    requests.patch(url, json={"content": "Pong!"}, timeout=5)

    assert refused.status_code == 400
    events = events_of(live)
    [rejection] = [n for n in events[0]["notes"] if n["type"] == "rejection"]
    assert rejection["text"].startswith("Discord answered 400 to PATCH")
    assert "Invalid Form Body (code 50035)" in rejection["text"] and "content" in rejection["text"]
    raw = live.raw(interaction["id"])
    assert raw is not None
    assert [r["status"] for r in raw["requests"]] == [400, 200]
    assert "edit_ms" in events[0]["timings"][interaction["id"]]  # from the first edit that went through
    text = json.dumps(events) + json.dumps(raw)
    assert interaction["token"] not in text and TOKEN_SHOWN in text


def test_a_refused_dm_open_shows_in_that_users_dm_and_the_playgrounds_own_notes_in_no_chat(
        emulator: DiscordEmulator, live: Live) -> None:
    emulator.script("POST", "/users/@me/channels", 429, times=1, label="429 to DM opens")

    refused = requests.post(f"{emulator.base_url}/users/@me/channels", json={"recipient_id": "42"}, headers=BOT,
                            timeout=5)
    live.notice("Matchmaking wave queued now.")

    assert refused.status_code == 429
    notes = events_of(live)[0]["notes"]
    [rejection] = [n for n in notes if n["type"] == "rejection"]
    assert rejection["place"] == "dm:42"  # where it happened: not every user's channel and DMs
    [notice] = [n for n in notes if n["type"] == "notice"]
    assert notice["place"] is None  # the page's activity list


def test_a_used_fault_leaves_the_pending_list_and_the_pages_are_told(emulator: DiscordEmulator, live: Live) -> None:
    emulator.script("*", "/channels/*", 500, {"message": "500: Internal Server Error", "code": 0}, times=2,
                    label="500 to dms")
    assert live.faults(announce=True)["pending"] == [{"label": "500 to dms", "left": 2, "of": 2}]
    page = live.subscribe()
    channel = requests.post(f"{emulator.base_url}/users/@me/channels", json={"recipient_id": "42"}, headers=BOT,
                            timeout=5).json()["id"]

    statuses = [requests.post(f"{emulator.base_url}/channels/{channel}/messages", json={"content": "hi"},
                              headers=BOT, timeout=5).status_code for _ in range(3)]

    live.drain()
    told = []
    while not page.empty():
        event = page.get_nowait()
        if event and event["type"] == "faults":
            told.append([(f["left"], f["of"]) for f in event["pending"]])
    live.unsubscribe(page)
    assert statuses == [500, 500, 200]
    assert told == [[(1, 2)], []]  # each use told to the page; then nothing pending
    assert live.faults()["pending"] == []


# --- the playground's HTTP side (no stack behind it: only what needs none) -------------------------------
@pytest.fixture
def server(emulator: DiscordEmulator, tmp_path) -> Iterator[str]:
    from types import SimpleNamespace

    from ladderctl.playground import Playground

    stack = SimpleNamespace(emulator=emulator, info=None, aws=None, data_dir=tmp_path,
                            options=SimpleNamespace(tick_seconds=0))
    playground = Playground(stack, 0).start()
    yield playground.url
    playground.stop()


def test_the_page_and_its_commands_are_served_on_loopback(server: str) -> None:
    page = requests.get(server, timeout=5)
    boot = requests.get(server + "api/bootstrap", timeout=5).json()

    assert server.startswith("http://127.0.0.1:")
    assert page.status_code == 200 and '<script src="/app.js">' in page.text
    assert requests.get(server + "app.js", timeout=5).headers["Content-Type"].startswith("text/javascript")
    assert [u["name"] for u in boot["users"]] == ["Alice", "Bob", "Carol", "Dave"]
    setup = next(c for c in boot["commands"] if c["name"] == "setup")
    assert {o["name"] for o in setup["options"]} == {"country", "region", "language"}


def test_actions_need_json_from_our_own_host(server: str) -> None:
    form = requests.post(server + "api/wave", data="x", headers={"Content-Type": "text/plain"}, timeout=5)
    rebound = requests.get(server + "api/bootstrap", headers={"Host": "evil.example:80"}, timeout=5)
    stranger = requests.post(server + "api/interact", json={"user": "1", "type": "command", "name": "ping"},
                             timeout=5)

    assert form.status_code == 415  # a cross-site form cannot send application/json without a preflight
    assert rebound.status_code == 403  # DNS rebinding: another name for our loopback port
    assert stranger.status_code == 400 and stranger.json()["error"] == "unknown user 1"


def test_the_event_stream_sends_a_snapshot_then_each_change(emulator: DiscordEmulator, server: str) -> None:
    stream = requests.get(server + "api/events", stream=True, timeout=10)
    lines = stream.iter_lines(chunk_size=1, decode_unicode=True)  # each event as it comes

    def next_event() -> dict:
        for line in lines:
            if line.startswith("data: "):
                return json.loads(line[len("data: "):])
        raise AssertionError("the stream ended")

    snapshot = next_event()
    channel = requests.post(f"{emulator.base_url}/users/@me/channels", json={"recipient_id": "7"}, headers=BOT,
                            timeout=5).json()["id"]
    requests.post(f"{emulator.base_url}/channels/{channel}/messages", json={"content": "live!"}, headers=BOT,
                  timeout=5)
    event = next_event()
    stream.close()

    assert stream.headers["Content-Type"].startswith("text/event-stream")
    assert snapshot["type"] == "snapshot" and snapshot["messages"] == []
    assert (event["type"], event["place"], event["message"]["content"]) == ("message", "dm:7", "live!")
