"""What the page shows, kept in one place and streamed as events (server-sent events).

The emulator tells the playground about every message change and every API request it answered
(DiscordEmulator.subscribe); the playground adds what only it knows (the ack of each interaction
it sent, queue delays from the poller). `Live` turns these into page events:

- message:   a message was created or edited, with where it shows (the server channel or a
             user's DM with the bot) and who may see it (ephemeral messages: only their user);
- delete:    a message was deleted;
- timing:    a figure for an interaction (ack_ms, queue_ms, worker_ms, edit_ms);
- rejection: Discord (the emulator) refused something: a request of the bot (4xx/5xx, with
             Discord's error body) or an interaction answer it would not accept;
- notice:    what the playground did (a wave queued, a fault injected, a tick ran);
- faults:    the emulator's faults still pending (and its latency), whenever that changes;
- thread:    a thread the bot made or changed (its name, members, archived): a page lists it
             for its members only, and its messages show under `thread:<id>`;
- room:      a channel the bot made (an application's): listed for the members its permission
             overwrites let see it, its messages under `room:<id>`.

Every note has the place it happened in (a channel, a user's DM) and, where one user caused it,
that user: a page shows it there only. A note of no place (the playground's own doings, a
request of the bot tied to no chat) goes to the page's activity list, never into a chat.

Emulator listeners run on its threads, some under its lock, so they only queue; one thread here
does the work (it may call back into the emulator). A new page gets a snapshot first, then the
live events, from the same lock: nothing is lost between the two.
"""

from __future__ import annotations

import copy
import itertools
import queue
import re
import threading
import time
from collections import deque
from typing import Any

from ladderline.discord.snowflake import created_at_ms, make_snowflake

from ladderctl.drive.simulate import DEFAULT_CHANNEL, iter_components

EPHEMERAL = 1 << 6
MAX_NOTES = 300  # rejections and notices kept for a page that opens later
MAX_REQUESTS_PER_INTERACTION = 50
_WEBHOOK_TOKEN = re.compile(r"^/api/v\d+/webhooks/[^/]+/(?P<token>[^/]+)")
_INTERACTION_TOKEN = re.compile(r"^/api/v\d+/interactions/[^/]+/(?P<token>[^/]+)")
_CHANNEL = re.compile(r"^/api/v\d+/channels/(?P<channel>[0-9]+)/messages")
TOKEN_SHOWN = "<interaction token>"  # tokens are secrets: never on the page


def place_of(interaction: dict[str, Any]) -> tuple[str, str | None]:
    """(place, acting user) of an interaction: the server channel, or the user's DM with the bot."""
    user = ((interaction.get("member") or {}).get("user") or interaction.get("user") or {}).get("id")
    if interaction.get("guild_id"):
        return "channel", user
    return f"dm:{user}", user


def caption(interaction: dict[str, Any]) -> str:
    """What Discord prints above an interaction's reply ("used /queue", "clicked Join")."""
    data = interaction.get("data") or {}
    kind = interaction.get("type")
    if kind == 2:
        options = " ".join(f"{o.get('name')}:{o.get('value')}" for o in data.get("options") or [])
        return f"used /{data.get('name')}" + (f" {options}" if options else "")
    if kind == 3:
        values = data.get("values")
        if values:
            return f"chose {', '.join(values)}"
        clicked = iter_components((interaction.get("message") or {}).get("components"))
        label = next((c.get("label") for c in clicked if c.get("custom_id") == data.get("custom_id")), None)
        return f"clicked {label or data.get('custom_id')}"
    if kind == 5:
        return f"submitted {data.get('custom_id')}"
    return ""


def redact(value: Any, token: str | None) -> Any:
    """A deep copy with the interaction token replaced (it would let anyone post as the bot for 15 min)."""
    if token is None:
        return copy.deepcopy(value)
    if isinstance(value, str):
        return value.replace(token, TOKEN_SHOWN)
    if isinstance(value, list):
        return [redact(v, token) for v in value]
    if isinstance(value, dict):
        return {k: redact(v, token) for k, v in value.items()}
    return value


def rejection_text(request: dict[str, Any]) -> str:
    answer = request.get("answer") if isinstance(request.get("answer"), dict) else {}
    text = f"Discord answered {request['status']} to {request['method']} {request['path']}"
    if answer.get("message"):
        text += f": {answer['message']}"
    if answer.get("code"):
        text += f" (code {answer['code']})"
    if answer.get("problems"):
        text += f" - {answer['problems']}"
    if request["status"] == 429:
        limits = request.get("rate_limit") or {}
        text += f"; retry after {answer.get('retry_after')} s, scope {limits.get('X-RateLimit-Scope', '?')}"
    return text


class Live:
    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self._lock = threading.Lock()
        self._inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._subscribers: list[queue.Queue[dict[str, Any] | None]] = []
        self._messages: dict[str, dict[str, Any]] = {}  # message id -> page entry
        self._timings: dict[str, dict[str, float]] = {}  # interaction id -> figures
        self._raw: dict[str, dict[str, Any]] = {}  # interaction id -> what was sent and received
        self._message_requests: dict[str, list[dict[str, Any]]] = {}  # bot-token requests per message
        self._notes: deque[dict[str, Any]] = deque(maxlen=MAX_NOTES)
        self._faults_shown: dict[str, Any] = {}
        self._threads: dict[str, dict[str, Any]] = {}  # thread id -> the thread, with member_ids
        self._rooms: dict[str, dict[str, Any]] = {}  # channel id -> a guild channel the bot made
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Any = None

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> Live:
        self._unsubscribe = self.emulator.subscribe(self._inbox.put)
        self._thread = threading.Thread(target=self._run, name="playground-live", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._inbox.put(None)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            for subscriber in self._subscribers:
                subscriber.put(None)
            self._subscribers.clear()

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until every event queued so far is handled (tests and orderly answers)."""
        done = threading.Event()
        self._inbox.put({"kind": "_mark", "done": done})
        done.wait(timeout)

    # --- subscribers (one per open page) ------------------------------------------------------------
    def subscribe(self) -> queue.Queue[dict[str, Any] | None]:
        events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        with self._lock:
            events.put({"type": "snapshot", "messages": list(self._messages.values()),
                        "timings": dict(self._timings), "notes": list(self._notes),
                        "threads": list(self._threads.values()), "rooms": list(self._rooms.values())})
            self._subscribers.append(events)
        return events

    def unsubscribe(self, events: queue.Queue[dict[str, Any] | None]) -> None:
        with self._lock:
            if events in self._subscribers:
                self._subscribers.remove(events)

    def _emit(self, event: dict[str, Any]) -> None:
        """Call with self._lock held (state change and fan-out are one step)."""
        for subscriber in self._subscribers:
            subscriber.put(event)

    # --- what the page asks for -----------------------------------------------------------------------
    def message(self, message_id: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._messages.get(message_id)
            return copy.deepcopy(entry) if entry else None

    def raw(self, key: str) -> dict[str, Any] | None:
        """An interaction's payload, answer and the bot's requests for it; or a bot message's requests."""
        with self._lock:
            if key in self._raw:
                return copy.deepcopy({**self._raw[key], "timings": self._timings.get(key, {})})
            entry = self._messages.get(key)
            if entry is None:
                return None
            return copy.deepcopy({"message": entry["message"], "requests": self._message_requests.get(key, [])})

    # --- what the playground adds ------------------------------------------------------------------------
    def answered(self, interaction: dict[str, Any], status: int, response: Any, ack_ms: float,
                 refused: list[str]) -> None:
        """The interaction the page sent and its immediate answer (the ack)."""
        token = interaction.get("token")
        interaction_id = str(interaction["id"])
        place, user = place_of(interaction)
        with self._lock:
            raw = self._raw.setdefault(interaction_id, {"requests": []})
            raw.update(interaction=redact(interaction, token), status=status, response=redact(response, token),
                       refused=refused)
            self._set_timing(interaction_id, ack_ms=round(ack_ms, 1))
            if refused:
                self._note("rejection", place, "Discord would refuse this answer, so the user sees \"This "
                           "interaction failed\": " + "; ".join(refused), visible_to=user, interaction_id=interaction_id)
            elif status != 200:
                self._note("rejection", place, f"The bot's endpoint answered HTTP {status}: {response}",
                           visible_to=user, interaction_id=interaction_id)

    def job_done(self, interaction_id: str, queue_ms: float | None, worker_ms: float, failed: bool) -> None:
        with self._lock:
            figures: dict[str, float] = {"worker_ms": round(worker_ms, 1)}
            if queue_ms is not None:
                figures["queue_ms"] = round(queue_ms, 1)
            self._set_timing(interaction_id, **figures)
            if failed:
                # Shown where the interaction was made, to the user who made it.
                interaction = (self._raw.get(interaction_id) or {}).get("interaction")
                place, user = place_of(interaction) if interaction else (None, None)
                self._note("rejection", place, f"job {interaction_id} failed in the worker: it stays on the queue "
                           "and is retried (see the dev stack's console)", visible_to=user,
                           interaction_id=interaction_id)

    def notice(self, text: str, place: str | None = None) -> None:
        """What the playground did; place None: the page's activity list, not a chat."""
        with self._lock:
            self._note("notice", place, text)

    def faults(self, *, announce: bool = False) -> dict[str, Any]:
        """The emulator's pending faults and latency; with announce, streamed to the pages as well."""
        state = {"latency_seconds": self.emulator.latency_seconds, "pending": self.emulator.pending_scripts()}
        with self._lock:
            if announce or state != self._faults_shown:
                self._faults_shown = state
                self._emit({"type": "faults", **state})
        return state

    def _set_timing(self, interaction_id: str, **figures: float) -> None:
        timings = self._timings.setdefault(interaction_id, {})
        timings.update(figures)
        self._emit({"type": "timing", "interaction_id": interaction_id, "timings": dict(timings)})

    def _note(self, kind: str, place: str | None, text: str, *, visible_to: str | None = None,
              interaction_id: str | None = None) -> None:
        note = {"type": kind, "id": str(make_snowflake(int(time.time() * 1000), next(self._seq) % 4096)),
                "place": place, "visible_to": visible_to, "text": text, "interaction_id": interaction_id,
                "at": time.time()}
        self._notes.append(note)
        self._emit(note)

    # --- the emulator's events ---------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            event = self._inbox.get()
            if event is None:
                return
            try:
                if event.get("kind") == "_mark":
                    event["done"].set()
                elif event.get("kind") == "message":
                    self._on_message(event)
                elif event.get("kind") == "request":
                    self._on_request(event)
                elif event.get("kind") == "guild_channel":
                    with self._lock:
                        room = event["channel"]
                        self._rooms[str(room["id"])] = room
                        self._emit({"type": "room", "room": room})
                elif event.get("kind") == "thread":
                    with self._lock:
                        thread = event["thread"]
                        self._threads[str(thread["id"])] = thread
                        self._emit({"type": "thread", "thread": thread})
            except Exception:
                import logging

                logging.getLogger("ladderctl.playground").exception("could not show an emulator event")

    def _where(self, token: str, message: dict[str, Any] | None) -> tuple[str, str | None, dict | None]:
        """(place, acting user, interaction) of a message change."""
        if token.startswith("channel:"):
            channel = token.split(":", 1)[1]
            user = self.emulator.dm_recipient(channel)
            if user is not None:
                return f"dm:{user}", None, None
            if self.emulator.rooms.is_thread(channel):
                return f"thread:{channel}", None, None
            if channel in self._rooms:
                return f"room:{channel}", None, None
            return ("channel" if channel == DEFAULT_CHANNEL else f"other:{channel}"), None, None
        interaction = self.emulator.interaction(token)
        if interaction is None:
            return "channel", None, None
        place, user = place_of(interaction)
        return place, user, interaction

    def _on_message(self, event: dict[str, Any]) -> None:
        token, message = str(event["token"]), event.get("message")
        place, user, interaction = self._where(token, message)
        interaction_id = str(interaction["id"]) if interaction else None
        with self._lock:
            if event["event"] == "delete":
                message_id = str(event.get("message_id"))
                if self._messages.pop(message_id, None) is not None:
                    self._emit({"type": "delete", "id": message_id})
                return
            if not isinstance(message, dict):
                return
            message = redact(message, None if token.startswith("channel:") else token)
            message_id = str(message["id"])
            previous = self._messages.get(message_id)
            ephemeral = bool(int(message.get("flags") or 0) & EPHEMERAL)
            entry = {
                "id": message_id,
                # A message keeps the place it was first shown in (an edit through a click's token
                # comes from wherever the click was).
                "place": previous["place"] if previous else place,
                "visible_to": (previous or {}).get("visible_to") or (user if ephemeral else None),
                "interaction_id": interaction_id or (previous or {}).get("interaction_id"),
                "author_user": (previous or {}).get("author_user") or (user if event["event"] == "create" else None),
                "caption": (previous or {}).get("caption") or (
                    caption(interaction) if interaction and event["event"] == "create" else ""),
                "message": message,
            }
            self._messages[message_id] = entry
            self._emit({"type": "message", **entry})

    def _on_request(self, event: dict[str, Any]) -> None:
        path = str(event["path"])
        match = _WEBHOOK_TOKEN.match(path) or _INTERACTION_TOKEN.match(path)
        token = match["token"] if match else None
        interaction = self.emulator.interaction(token) if token else None
        request = redact({k: event.get(k) for k in ("method", "path", "status", "json", "answer", "rate_limit",
                                                    "received_at")}, token)
        place: str | None = None
        visible_to: str | None = None
        interaction_id: str | None = None
        if interaction is not None:
            place, visible_to = place_of(interaction)
            interaction_id = str(interaction["id"])
        elif channel := _CHANNEL.match(path):
            user = self.emulator.dm_recipient(channel["channel"])
            thread = self.emulator.rooms.is_thread(channel["channel"])
            place = (f"dm:{user}" if user else f"thread:{channel['channel']}" if thread
                     else f"room:{channel['channel']}" if channel["channel"] in self._rooms else "channel")
        elif path.endswith("/users/@me/channels") and isinstance(event.get("json"), dict):
            # Opening a DM channel: it happened in the DM with that user.
            recipient = event["json"].get("recipient_id")
            place = f"dm:{recipient}" if recipient else None
        with self._lock:
            if interaction_id is not None:
                raw = self._raw.setdefault(interaction_id, {"requests": []})
                if len(raw["requests"]) < MAX_REQUESTS_PER_INTERACTION:
                    raw["requests"].append(request)
                ok = 200 <= int(event["status"]) < 300 and event["method"] in ("PATCH", "POST")
                if ok and "edit_ms" not in self._timings.get(interaction_id, {}):
                    edit_ms = float(event["received_at"]) * 1000 - created_at_ms(interaction_id)
                    self._set_timing(interaction_id, edit_ms=round(edit_ms, 1))
            answer = event.get("answer")
            if isinstance(answer, dict) and answer.get("id") and _CHANNEL.match(path):
                self._message_requests.setdefault(str(answer["id"]), []).append(request)
            if int(event["status"]) >= 400:
                self._note("rejection", place, rejection_text(request), visible_to=visible_to,
                           interaction_id=interaction_id)
        if int(event["status"]) >= 400:
            self.faults()  # a fault used up: the Faults panel says what is still pending
