"""A local stand-in for the parts of Discord this bot talks to (tests and `ladderctl dev`).

It signs and delivers interactions to our endpoint like Discord does, and serves the webhook and
application-command routes with Discord's rules and error bodies: unknown token 404/10015, token older
than 15 minutes 401/50027, invalid body 400/50035 (checked with ladderline.discord.limits), bad JSON
400/50109. The bot-token routes (open a DM, create/edit/get channel messages) check the bot token
(401), honour `nonce` + `enforce_nonce` (a repeated nonce in a channel returns the first message),
answer with per-route rate-limit headers and enforce them (429, scope "user"), and keep every
user's DMs and every channel's messages. Invalid requests (401, 403, 429 other than "shared") are
counted as Discord counts them. `script()` queues canned responses (429 with any scope, 500,
404...) to inject failures. The control API under /_emulator/ lets `ladderctl simulate` drive it
over HTTP; control calls are not recorded.

Stdlib + PyNaCl only, so it runs anywhere the dev venv does.
"""

from __future__ import annotations

import base64
import binascii
import collections
import contextlib
import copy
import fnmatch
import hashlib
import http.client
import itertools
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import nacl.signing
from ladderline.discord.constants import TOKEN_LIFETIME_SECONDS
from ladderline.discord.limits import Problem, find_modal_problems, find_problems, format_path
from ladderline.discord.snowflake import created_at_ms, make_snowflake

from ladderctl.stack.emulator_rooms import Rooms
from ladderctl.stack.local_http import BurstHTTPServer, LowLatencyHandler

__all__ = ["DiscordEmulator", "RecordedRequest"]
SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
LOADING = 1 << 7  # Discord's "<bot> is thinking..." placeholder flag on a deferred response
IS_COMPONENTS_V2 = 1 << 15
RATE_LIMIT = 5  # per-route bucket size Discord typically reports for webhook routes

# Discord's limits as the emulator enforces them, and where each number comes from. Discord
# documents the global limit and how buckets are keyed; it does not publish per-route sizes
# ("should not be hard coded ... parse response headers"), so those are the sizes Discord has been
# seen to report in X-RateLimit-Limit / -Reset-After, and the client only ever reads the headers.
# - Global: 50 requests per second per bot token, interaction routes exempt (Discord developer
#   docs, "Rate Limits" > "Global Rate Limit"; the developer support article "My Bot is Being
#   Rate Limited": "50 requests per second across most endpoints", X-RateLimit-Scope: global).
# - Buckets are per route and per top-level resource: channel_id, guild_id, webhook_id (+ token)
#   (Discord developer docs, "Rate Limits": "Top-level resources are currently limited to ...").
# - Create Message: 5 per 5 s per channel; Edit Message: 5 per 5 s per channel (the sizes in the
#   rate-limit tables bot library authors publish from what Discord reported; not published by
#   Discord).
# - Create DM: 5 per second, one bucket for the bot (no top-level resource in its path): the
#   emulator's earlier size for every route, kept; Discord publishes none for it.
GLOBAL_LIMIT_PER_SECOND = 50
ROUTE_LIMITS: dict[str, tuple[int, float]] = {
    "POST /channels/{channel_id}/messages": (5, 5.0),
    "PATCH /channels/{channel_id}/messages/{message_id}": (5, 5.0),
    "POST /users/@me/channels": (5, 1.0),
}

_API = re.compile(r"^/api/v\d+(/.*)$")
_WEBHOOK = re.compile(r"^/webhooks/(?P<app>[^/]+)/(?P<token>[^/]+)(?:/messages/(?P<msg>[^/]+))?/?$")
_CALLBACK = re.compile(r"^/interactions/(?P<id>[^/]+)/(?P<token>[^/]+)/callback/?$")
_COMMANDS = re.compile(r"^/applications/(?P<app>[^/]+)(?:/guilds/(?P<guild>[^/]+))?/commands/?$")
_DM_OPEN = re.compile(r"^/users/@me/channels/?$")
_CHANNEL_MESSAGES = re.compile(r"^/channels/(?P<channel>[0-9]+)/messages(?:/(?P<msg>[0-9]+))?/?$")
_THREADS = re.compile(r"^/channels/(?P<channel>[0-9]+)/threads/?$")
_THREAD_MEMBER = re.compile(r"^/channels/(?P<channel>[0-9]+)/thread-members/(?P<user>[0-9]+)/?$")
_ACTIVE_THREADS = re.compile(r"^/guilds/(?P<guild>[0-9]+)/threads/active/?$")
_CHANNEL = re.compile(r"^/channels/(?P<channel>[0-9]+)/?$")
_GUILD_CHANNELS = re.compile(r"^/guilds/(?P<guild>[0-9]+)/channels/?$")
# Discord recognises a repeated nonce for a few minutes.
NONCE_WINDOW_SECONDS = 300
CANNOT_DM = {"message": "Cannot send messages to this user", "code": 50007}

UNKNOWN_WEBHOOK = {"message": "Unknown Webhook", "code": 10015}
UNKNOWN_MESSAGE = {"message": "Unknown Message", "code": 10008}
INVALID_TOKEN = {"message": "Invalid Webhook Token", "code": 50027}
INVALID_JSON = {"code": 50109, "message": "The request body contains invalid JSON."}
UNAUTHORIZED = {"message": "401: Unauthorized", "code": 0}
ALREADY_ACKED = {"message": "Interaction has already been acknowledged.", "code": 40060}
NOT_FOUND = {"message": "404: Not Found", "code": 0}
RATE_LIMITED = {"message": "You are being rate limited.", "retry_after": 0.3, "global": False}


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # as sent, without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any  # parsed body, or None
    received_at: float  # emulator clock
    status: int  # what the emulator answered


@dataclass
class _Interaction:
    id: str
    application_id: str
    token: str
    type: int
    created_ms: int
    raw: dict
    response: dict | None = None
    original: dict | None = None
    followups: dict[str, dict] | None = None


@dataclass
class _Script:
    method: str
    pattern: str
    status: int
    body: Any
    headers: dict[str, str]
    times: int
    label: str = ""  # how a tool that scripted it names it (the playground's Faults panel)
    of: int = 0  # times, as scripted


class DiscordEmulator:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        signing_key: nacl.signing.SigningKey | None = None,
        endpoint_url: str | None = None,
        clock: Callable[[], float] = time.time,
        bot_token: str | None = None,
    ) -> None:
        self.host, self._port = host, port
        self.signing_key = signing_key or nacl.signing.SigningKey.generate()
        self.endpoint_url = endpoint_url
        self.clock = clock
        self.bot_token = bot_token
        self._lock = threading.RLock()
        self._requests: list[RecordedRequest] = []
        self._interactions: dict[str, _Interaction] = {}
        self._history: list[dict] = []
        self._scripts: list[_Script] = []
        self._commands: dict[tuple[str, str | None], list[dict]] = {}
        self._refused: dict[str, list[str]] = {}
        self._seq = itertools.count()
        # Per token: how many times its messages changed, and who waits for the next change
        # (`ladderctl load` waits for each final message instead of polling ten times a second).
        self._changes: dict[str, int] = {}
        self._waiters: dict[str, list[threading.Event]] = {}
        # deliver(): one kept-alive connection to the endpoint per calling thread, as Discord keeps
        # its connections open; a new connection (and a new server thread) per interaction cost
        # more CPU than the ingress itself under a burst.
        self._endpoint_connections = threading.local()
        self._dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self._dm_users: dict[str, str] = {}  # DM channel id -> user id
        # Every DM the bot created, in order (user id, message id): a load client follows this feed
        # rather than asking for each of thousands of players' DMs in turn.
        self._dm_feed: list[tuple[str, str]] = []
        self._dm_feed_grew = threading.Condition(self._lock)
        self._channels: dict[str, list[dict]] = {}  # channel id -> messages, oldest first
        self._nonces: dict[tuple[str, str], tuple[str, float]] = {}  # (channel, nonce) -> (message id, at)
        self._blocked_dms: set[str] = set()
        self._buckets: dict[str, tuple[int, float]] = {}  # bucket key -> (used, window end)
        self._global_sent: collections.deque[float] = collections.deque()  # bot requests in the last second
        self._global_block_until = 0.0  # a global 429 for every bot request until then (block_globally)
        self.global_limit = GLOBAL_LIMIT_PER_SECOND
        self.invalid_requests = 0
        self.latency_seconds = 0.0  # added before every API answer (a slow Discord), set by the playground
        self._listeners: list[Callable[[dict], None]] = []
        # Uploaded files (a modal's File Upload, an ATTACHMENT option), served under /cdn/ as
        # Discord's CDN serves them; cdn_failures: statuses the next CDN requests answer instead,
        # cdn_delay_seconds: a slow CDN.
        self._attachments: dict[str, tuple[str, bytes]] = {}
        self.cdn_failures: list[int] = []
        self.cdn_delay_seconds = 0.0
        # Guild text channels and the threads made in them (emulator_rooms.py).
        self.rooms = Rooms(self._lock, self._snowflake, lambda: "0", self._notify, _form_error)
        self._server: BurstHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> DiscordEmulator:
        handler = type("_BoundHandler", (_Handler,), {"emulator": self})
        # Listen backlog and one-segment answers: see ladderctl.stack.local_http.
        self._server = BurstHTTPServer((self.host, self._port), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="discord-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("emulator not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def cdn_base(self) -> str:
        """What DISCORD_CDN_BASE is set to against this emulator."""
        return f"{self.url}/cdn"

    def upload(self, data: bytes, filename: str, content_type: str | None = None) -> dict:
        """A file uploaded in the client: the attachment object Discord resolves in an interaction
        (data.resolved.attachments[id]) with its CDN url."""
        attachment_id = self._snowflake()
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "file"
        with self._lock:
            self._attachments[attachment_id] = (safe, bytes(data))
        return {"id": attachment_id, "filename": filename, "size": len(data),
                "url": f"{self.cdn_base}/attachments/{attachment_id}/{safe}",
                "proxy_url": f"{self.cdn_base}/attachments/{attachment_id}/{safe}",
                "content_type": content_type or "application/octet-stream", "ephemeral": True}

    def _cdn(self, method: str, path: str) -> tuple[int, Any, dict]:
        if self.cdn_delay_seconds > 0:
            time.sleep(self.cdn_delay_seconds)
        with self._lock:
            failure = self.cdn_failures.pop(0) if self.cdn_failures else None
        if failure is not None:
            return failure, {"message": f"{failure}: scripted CDN failure", "code": 0}, {}
        parts = path.split("/")  # /cdn/attachments/<id>/<filename>
        found = self._attachments.get(parts[3]) if len(parts) == 5 and method in ("GET", "HEAD") else None
        if found is None or found[0] != parts[4]:
            return 404, NOT_FOUND, {}
        return 200, found[1], {"Content-Type": "application/octet-stream"}

    @property
    def public_key_hex(self) -> str:
        return self.signing_key.verify_key.encode().hex()

    # --- inspection ------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, token: str) -> list[RecordedRequest]:
        return [r for r in self.requests if token in r.path.split("/")]

    def message(self, token: str) -> dict | None:
        with self._lock:
            inter = self._interactions.get(token)
            return copy.deepcopy(inter.original) if inter and inter.original else None

    def next_message(self, token: str, seen: int, timeout: float) -> tuple[int, dict | None]:
        """The interaction's message once it has changed more than `seen` times (or at `timeout`),
        with its change count: a waiter wakes on the edit instead of polling for it."""
        with self._lock:
            if self._changes.get(token, 0) == seen:
                waiter = threading.Event()
                self._waiters.setdefault(token, []).append(waiter)
            else:
                waiter = None
        if waiter is not None:
            waiter.wait(timeout)
            with self._lock:
                waiting = self._waiters.get(token, [])
                if waiter in waiting:
                    waiting.remove(waiter)
                    if not waiting:
                        del self._waiters[token]
        with self._lock:
            return self._changes.get(token, 0), self.message(token)

    def followups(self, token: str) -> list[dict]:
        with self._lock:
            inter = self._interactions.get(token)
            return copy.deepcopy(list((inter.followups or {}).values())) if inter else []

    @property
    def messages(self) -> list[dict]:
        """Every change to a message, in order: {token, message_id, event, message}."""
        with self._lock:
            return copy.deepcopy(self._history)

    def refused(self, token: str) -> list[str]:
        """Why Discord would have refused the interaction's in-line answer (the user sees "This interaction
        failed" and the token never becomes a webhook); empty when it was accepted or never answered."""
        with self._lock:
            return list(self._refused.get(token, []))

    def dms(self, user_id: str) -> list[dict]:
        """Every message the bot sent to this user's DM channel, oldest first."""
        with self._lock:
            channel = self._dm_channels.get(str(user_id))
            return copy.deepcopy(self._channels.get(channel, [])) if channel else []

    def dm_feed(self, after: int, timeout: float) -> tuple[int, list[dict]]:
        """The DMs the bot created after the first `after` of them (waiting up to `timeout` for
        one), as {"user_id", "message"} (the message as it is now), and the new cursor."""
        with self._dm_feed_grew:
            self._dm_feed_grew.wait_for(lambda: len(self._dm_feed) > after, timeout)
            new = self._dm_feed[after:]
            found = []
            for user, message_id in new:
                channel = self._dm_channels.get(user)
                message = next((m for m in reversed(self._channels.get(channel or "", []))
                                if m.get("id") == message_id), None)
                if message is not None:
                    found.append({"user_id": user, "message": copy.deepcopy(message)})
            return after + len(new), found

    def channel_messages(self, channel_id: str) -> list[dict]:
        with self._lock:
            return copy.deepcopy(self._channels.get(str(channel_id), []))

    def block_dms(self, user_id: str) -> None:
        """This user does not accept DMs from the bot (Discord answers 403 50007)."""
        with self._lock:
            self._blocked_dms.add(str(user_id))

    def commands(self, application_id: str, guild_id: str | None = None) -> list[dict]:
        with self._lock:
            return copy.deepcopy(self._commands.get((str(application_id), guild_id), []))

    # --- live view (the playground) ---------------------------------------------------------
    def subscribe(self, listener: Callable[[dict], None]) -> Callable[[], None]:
        """Call `listener` with every answered API request ({"kind": "request", ...}: method, path, status,
        request and answer JSON, rate-limit headers; never the request headers, which carry the bot token)
        and every message change ({"kind": "message", ...} as in `messages`). Listeners run on the
        emulator's threads, some under its lock: they must only queue the event. Returns unsubscribe."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)
        return unsubscribe

    def _notify(self, event: dict) -> None:
        for listener in list(self._listeners):
            listener(event)

    def interaction(self, token: str) -> dict | None:
        """The interaction delivered with this token, as it was sent (None when unknown)."""
        with self._lock:
            inter = self._interactions.get(token)
            return copy.deepcopy(inter.raw) if inter else None

    def dm_recipient(self, channel_id: str) -> str | None:
        """The user whose DM channel this is (None for other channels)."""
        with self._lock:
            return self._dm_users.get(str(channel_id))

    # --- failure injection ------------------------------------------------------------------
    def script(
        self,
        method: str,
        path_pattern: str,
        status: int,
        body: dict | None = None,
        headers: dict | None = None,
        times: int = 1,
        scope: str = "user",
        label: str = "",
    ) -> None:
        """Answer the next `times` requests matching METHOD + glob (on the path without /api/vN) this way.

        A 429 gets Discord's headers, with X-RateLimit-Scope `scope` (user, global or shared)."""
        if headers is None and status == 429:
            retry = float((body or RATE_LIMITED).get("retry_after", 0.3))
            headers = {
                "Retry-After": str(max(1, int(retry + 0.999))),
                "X-RateLimit-Limit": str(RATE_LIMIT),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": f"{retry:.3f}",
                "X-RateLimit-Reset": f"{self.clock() + retry:.3f}",
                "X-RateLimit-Bucket": _bucket(path_pattern),
                "X-RateLimit-Scope": scope,
            }
            if scope == "global":
                headers["X-RateLimit-Global"] = "true"
        if body is None and status == 429:
            body = dict(RATE_LIMITED, **({"global": True} if scope == "global" else {}))
        with self._lock:
            self._scripts.append(
                _Script(method.upper(), path_pattern, status, body, dict(headers or {}), times, label, times)
            )

    def pending_scripts(self) -> list[dict[str, Any]]:
        """The scripted answers not used up yet: label, times left, times scripted."""
        with self._lock:
            return [{"label": script.label or f"{script.status} to {script.method} {script.pattern}",
                     "left": script.times, "of": script.of} for script in self._scripts]

    def block_globally(self, seconds: float) -> None:
        """Every bot-token request gets a global 429 for the next `seconds` (an application that hit
        Discord's global limit hard), each told how long is left (retry_after)."""
        with self._lock:
            self._global_block_until = self.clock() + seconds

    def _take_script(self, method: str, path: str) -> _Script | None:
        with self._lock:
            for script in self._scripts:
                if script.method in (method, "*") and fnmatch.fnmatchcase(path, script.pattern):
                    script.times -= 1
                    if script.times <= 0:
                        self._scripts.remove(script)
                    return script
        return None

    # --- interactions -----------------------------------------------------------------------
    def track_interaction(self, interaction: dict, response: dict | None = None) -> None:
        """Register an interaction the bot must answer; apply its initial callback when given."""
        token = interaction["token"]
        with self._lock:
            inter = self._interactions.get(token)
            if inter is None:
                inter = _Interaction(
                    id=str(interaction["id"]),
                    application_id=str(interaction.get("application_id", "")),
                    token=token,
                    type=int(interaction.get("type", 0)),
                    created_ms=created_at_ms(interaction["id"]),
                    raw=copy.deepcopy(interaction),
                    followups={},
                )
                self._interactions[token] = inter
            if response is not None:
                problems = _response_problems(response, inter.raw.get("message"))
                if problems:
                    self._refused[token] = [f"{format_path(('data', *p.path))}: {p.message}" for p in problems]
                    return
                self._apply_callback(inter, response)

    def _apply_callback(self, inter: _Interaction, response: dict) -> None:
        inter.response = copy.deepcopy(response)
        kind, data = response.get("type"), dict(response.get("data") or {})
        clicked = inter.raw.get("message")
        if kind == 4:
            inter.original = self._new_message(inter, data)
        elif kind == 5:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            inter.original = self._new_message(inter, {"content": "", "flags": flags})
        elif kind == 6 and clicked:
            inter.original = self._stored(clicked) or copy.deepcopy(clicked)
        elif kind == 7 and clicked:
            inter.original = self._edit(self._stored(clicked) or copy.deepcopy(clicked), data)
        else:  # 1 PONG, 8 autocomplete, 9 modal: no message
            return
        self._log(inter.token, inter.original, "create" if kind in (4, 5) else "edit")

    def _stored(self, clicked: dict) -> dict | None:
        """The channel's own copy of a clicked message the bot posted (a DM or channel message): a
        component's UPDATE_MESSAGE and later @original edits change that message in place, as in
        Discord, so the channel shows the edit (None: an interaction response, kept per token)."""
        for message in self._channels.get(str(clicked.get("channel_id")), []):
            if message.get("id") == clicked.get("id"):
                return message
        return None

    def sign(self, body: bytes, timestamp: str) -> dict[str, str]:
        signature = self.signing_key.sign(timestamp.encode() + body).signature.hex()
        return {"X-Signature-Ed25519": signature, "X-Signature-Timestamp": timestamp}

    def deliver(self, interaction: dict, *, timestamp: str | None = None) -> tuple[int, Any]:
        """Sign and POST the interaction to endpoint_url as Discord does; track it with the answer."""
        if not self.endpoint_url:
            raise RuntimeError("DiscordEmulator.endpoint_url is not set")
        # Discord sends compact JSON with raw UTF-8 (non-ASCII unescaped): verifiers must use these bytes.
        body = json.dumps(interaction, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = timestamp or str(int(self.clock()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Discord-Interactions/1.0 (+https://discord.com)",
            **self.sign(body, timestamp),
        }
        status, raw = self._post_to_endpoint(body, headers)
        try:
            parsed: Any = json.loads(raw)
        except ValueError:
            parsed = raw
        if interaction.get("type") != 1 and "token" in interaction and "id" in interaction:
            ok = status == 200 and isinstance(parsed, dict) and "type" in parsed
            self.track_interaction(interaction, parsed if ok else None)
        return status, parsed

    def _post_to_endpoint(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        assert self.endpoint_url is not None
        url = urlsplit(self.endpoint_url)
        if url.scheme != "http":  # a tunnel or a deployed stage: the standard library's client
            request = urllib.request.Request(self.endpoint_url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    return answer.status, answer.read()
            except urllib.error.HTTPError as error:
                return error.code, error.read()
        target = url.path or "/"
        if url.query:
            target += f"?{url.query}"
        for attempt in (1, 2):
            conn = getattr(self._endpoint_connections, "conn", None)
            reused = conn is not None and getattr(self._endpoint_connections, "url", None) == self.endpoint_url
            if not reused:
                conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80, timeout=10)
                conn.connect()
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._endpoint_connections.conn, self._endpoint_connections.url = conn, self.endpoint_url
            try:
                conn.request("POST", target, body=body, headers=headers)
                answer = conn.getresponse()
                raw = answer.read()
                if answer.will_close:
                    conn.close()
                    self._endpoint_connections.conn = None
                return answer.status, raw
            except (http.client.HTTPException, OSError):
                # The server closed a kept-alive connection between two interactions: one new one.
                conn.close()
                self._endpoint_connections.conn = None
                if attempt == 2 or not reused:
                    raise
        raise AssertionError("unreachable")

    # --- message objects --------------------------------------------------------------------
    def _snowflake(self) -> str:
        return str(make_snowflake(int(self.clock() * 1000), next(self._seq)))

    def _now_iso(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="microseconds")

    def _new_message(self, inter: _Interaction, data: dict) -> dict:
        user = (inter.raw.get("member") or {}).get("user") or inter.raw.get("user") or {}
        message = {
            "id": self._snowflake(),
            "type": 20 if inter.type == 2 else 0,  # 20: CHAT_INPUT_COMMAND reply
            "channel_id": str(
                inter.raw.get("channel_id") or (inter.raw.get("channel") or {}).get("id") or "0"
            ),
            "content": data.get("content") or "",
            "embeds": data.get("embeds") or [],
            "components": data.get("components") or [],
            "attachments": data.get("attachments") or [],
            "flags": int(data.get("flags") or 0),
            "tts": bool(data.get("tts", False)),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "timestamp": self._now_iso(),
            "edited_timestamp": None,
            "application_id": inter.application_id,
            "webhook_id": inter.application_id,
            "author": {
                "id": inter.application_id,
                "username": "ladderline",
                "discriminator": "0000",
                "global_name": None,
                "avatar": None,
                "bot": True,
            },
            "interaction_metadata": {"id": inter.id, "type": inter.type, "user": user},
        }
        return message

    def _edit(self, message: dict, data: dict) -> dict:
        for key in ("content", "embeds", "components", "attachments"):
            if key in data:
                message[key] = data[key] if data[key] is not None else ("" if key == "content" else [])
        # An edit ends "thinking..."; ephemerality is fixed at creation, SUPPRESS_EMBEDS may change, and
        # IS_COMPONENTS_V2 may be set but never removed (docs: resources/message "Edit Message").
        flags = int(message.get("flags") or 0) & ~LOADING
        if data.get("flags") is not None:
            flags = (flags & ~SUPPRESS_EMBEDS) | (int(data["flags"]) & (SUPPRESS_EMBEDS | IS_COMPONENTS_V2))
        message["flags"] = flags
        if flags & IS_COMPONENTS_V2:  # a V2 message has no content or embeds, only components
            message["content"], message["embeds"] = "", []
        message["edited_timestamp"] = self._now_iso()
        return message

    def _log(self, token: str, message: dict | None, event: str, message_id: str | None = None) -> None:
        entry = {
            "token": token,
            "message_id": message_id or (message or {}).get("id"),
            "event": event,
            "message": copy.deepcopy(message),
        }
        self._history.append(entry)
        with self._lock:
            self._changes[token] = self._changes.get(token, 0) + 1
            for waiter in self._waiters.pop(token, []):
                waiter.set()
        if self._listeners:
            self._notify({"kind": "message", **copy.deepcopy(entry)})

    # --- routing ----------------------------------------------------------------------------
    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, dict]:
        if self.latency_seconds > 0:
            time.sleep(self.latency_seconds)
        received_at = self.clock()
        status, payload, extra = self._route(method, path, headers, body)
        if self._listeners:
            try:
                sent = json.loads(body) if body else None
            except ValueError:
                sent = None
            # The live view must never change what Discord answers.
            with contextlib.suppress(Exception), self._lock:  # the answer may be a message being edited
                answer = copy.deepcopy(payload)
                self._notify({"kind": "request", "method": method, "path": path, "status": status, "json": sent,
                              "answer": answer, "rate_limit": dict(extra), "received_at": received_at})
        return status, payload, extra

    def _route(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, dict]:
        match = _API.match(path)
        if not match:
            return 404, NOT_FOUND, {}
        route = match.group(1)
        script = self._take_script(method, route)
        if script is not None:
            self._count_invalid(script.status, script.headers)
            return script.status, script.body, script.headers
        if m := _DM_OPEN.match(route):
            return self._counted(self._bot(method, headers, lambda: self._open_dm(method, body)))
        if m := _CHANNEL_MESSAGES.match(route):
            channel, msg = m["channel"], m["msg"]
            return self._counted(self._bot(method, headers, lambda: self._channel_message(method, channel, msg, body)))
        if room := self._room_route(method, route, headers, body):
            return room
        if m := _WEBHOOK.match(route):
            return self._webhook(method, m["app"], m["token"], m["msg"], body)
        if m := _CALLBACK.match(route):
            return self._callback(method, m["id"], m["token"], body)
        if m := _COMMANDS.match(route):
            return self._counted(self._app_commands(method, m["app"], m["guild"], headers, body))
        return 404, NOT_FOUND, {}

    # --- bot-token routes ---------------------------------------------------------------------
    def _room_route(self, method: str, route: str, headers: dict[str, str], body: bytes
                    ) -> tuple[int, Any, dict] | None:
        """Threads in guild channels (emulator_rooms.py), or None for another route."""
        serve: Callable[[], tuple[int, Any, dict]] | None = None
        if (m := _THREADS.match(route)) and method == "POST":
            channel = m["channel"]
            serve = lambda: self._json_body(body, lambda data: self.rooms.create_thread(channel, data))
            template, major = "POST /channels/{channel_id}/threads", channel
        elif (m := _THREAD_MEMBER.match(route)) and method == "PUT":
            channel, user = m["channel"], m["user"]
            serve = lambda: self.rooms.add_member(channel, user)
            template, major = "PUT /channels/{channel_id}/thread-members/{user_id}", channel
        elif (m := _ACTIVE_THREADS.match(route)) and method == "GET":
            guild = m["guild"]
            serve = lambda: self.rooms.active(guild)
            template, major = "GET /guilds/{guild_id}/threads/active", guild
        elif (m := _GUILD_CHANNELS.match(route)) and method in ("GET", "POST"):
            guild = m["guild"]
            serve = ((lambda: self._json_body(body, lambda data: self.rooms.create_channel(guild, data)))
                     if method == "POST" else (lambda: self.rooms.list_channels(guild)))
            template, major = f"{method} /guilds/{{guild_id}}/channels", guild
        elif (m := _CHANNEL.match(route)) and method == "PATCH":
            channel = m["channel"]
            serve = lambda: self._json_body(body, lambda data: self.rooms.modify(channel, data))
            template, major = "PATCH /channels/{channel_id}", channel
        if serve is None:
            return None

        def limited_then_serve() -> tuple[int, Any, dict]:
            rate_headers, limited = self._limited(template, major)
            if limited:
                return limited
            status, payload, extra = serve()
            return status, payload, {**rate_headers, **extra}

        return self._counted(self._bot(method, headers, limited_then_serve))

    @staticmethod
    def _json_body(body: bytes, then: Callable[[Any], tuple[int, Any, dict]]) -> tuple[int, Any, dict]:
        try:
            data = json.loads(body or b"")
        except ValueError:
            return 400, INVALID_JSON, {}
        return then(data)

    def _count_invalid(self, status: int, headers: dict) -> None:
        # Discord: 401, 403 and 429 count towards the invalid-request limit, except shared 429s.
        if status in (401, 403) or (status == 429 and headers.get("X-RateLimit-Scope") != "shared"):
            with self._lock:
                self.invalid_requests += 1

    def _counted(self, answer: tuple[int, Any, dict]) -> tuple[int, Any, dict]:
        self._count_invalid(answer[0], answer[2])
        return answer

    def _bot(self, method: str, headers: dict[str, str], serve: Callable[[], tuple[int, Any, dict]]
             ) -> tuple[int, Any, dict]:
        if self.bot_token is not None and headers.get("authorization") != f"Bot {self.bot_token}":
            return 401, UNAUTHORIZED, {}
        limited = self._global_limited()
        return limited if limited is not None else serve()

    def _global_limited(self) -> tuple[int, Any, dict] | None:
        """Discord's global limit: GLOBAL_LIMIT_PER_SECOND bot-token requests in any second."""
        now = self.clock()
        with self._lock:
            if now < self._global_block_until:
                retry = self._global_block_until - now
                return 429, dict(RATE_LIMITED, retry_after=round(retry, 3), **{"global": True}), {
                    "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global",
                    "Retry-After": str(max(1, int(retry + 0.999)))}
            sent = self._global_sent
            while sent and sent[0] <= now - 1.0:
                sent.popleft()
            if len(sent) < self.global_limit:
                sent.append(now)
                return None
            retry = max(0.001, sent[0] + 1.0 - now)
        headers = {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global",
                   "Retry-After": str(max(1, int(retry + 0.999)))}
        return 429, dict(RATE_LIMITED, retry_after=round(retry, 3), **{"global": True}), headers

    def _limited(self, template: str, major: str = "") -> tuple[dict[str, str], tuple[int, Any, dict] | None]:
        """The route's bucket (ROUTE_LIMITS, per top-level resource `major`), with Discord's headers."""
        limit, window = ROUTE_LIMITS.get(template, (RATE_LIMIT, 1.0))
        key = f"{template}:{major}"
        bucket = _bucket(template)  # Discord's bucket id names the route; the resource splits it
        now = self.clock()
        with self._lock:
            used, ends = self._buckets.get(key, (0, now + window))
            if now >= ends:
                used, ends = 0, now + window
            reset_after = max(0.0, ends - now)
            if used >= limit:
                headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0",
                           "X-RateLimit-Reset-After": f"{reset_after:.3f}", "X-RateLimit-Reset": f"{ends:.3f}",
                           "X-RateLimit-Bucket": bucket, "X-RateLimit-Scope": "user",
                           "Retry-After": str(max(1, int(reset_after + 0.999)))}
                return headers, (429, dict(RATE_LIMITED, retry_after=round(reset_after, 3)), headers)
            self._buckets[key] = (used + 1, ends)
        return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(limit - used - 1),
                "X-RateLimit-Reset-After": f"{reset_after:.3f}", "X-RateLimit-Reset": f"{ends:.3f}",
                "X-RateLimit-Bucket": bucket}, None

    def open_dm_channels(self, user_ids: list[str]) -> dict[str, str]:
        """DM channels as if the bot had opened them earlier: {user id: channel id}."""
        with self._lock:
            for user in user_ids:
                channel = self._dm_channels.setdefault(user, self._snowflake())
                self._dm_users[channel] = user
                self._channels.setdefault(channel, [])
            return {user: self._dm_channels[user] for user in user_ids}

    def _open_dm(self, method: str, body: bytes) -> tuple[int, Any, dict]:
        if method != "POST":
            return 405, {"message": "405: Method Not Allowed", "code": 0}, {}
        try:
            recipient = str(json.loads(body or b"")["recipient_id"])
        except (ValueError, KeyError, TypeError):
            return 400, {"message": "Invalid Form Body", "code": 50035}, {}
        headers, limited = self._limited("POST /users/@me/channels")
        if limited:
            return limited
        with self._lock:
            channel = self._dm_channels.setdefault(recipient, self._snowflake())
            self._dm_users[channel] = recipient
            self._channels.setdefault(channel, [])
        return 200, {"id": channel, "type": 1, "last_message_id": None,
                     "recipients": [{"id": recipient, "username": f"user{recipient[-4:]}", "bot": False}]}, headers

    def _channel_message(self, method: str, channel: str, msg: str | None, body: bytes) -> tuple[int, Any, dict]:
        headers, limited = self._limited(
            f"{method} /channels/{{channel_id}}/messages" + ("/{message_id}" if msg else ""), channel)
        if limited:
            return limited
        with self._lock:
            messages = self._channels.setdefault(channel, [])
            if msg is None:
                if method != "POST":
                    return 405, {"message": "405: Method Not Allowed", "code": 0}, {}
                try:
                    data = json.loads(body or b"")
                except ValueError:
                    return 400, INVALID_JSON, {}
                if not isinstance(data, dict):
                    return 400, INVALID_JSON, {}
                nonce, enforce = data.pop("nonce", None), bool(data.pop("enforce_nonce", False))
                if nonce is not None and (not isinstance(nonce, (str, int)) or len(str(nonce)) > 25):
                    return 400, {"message": "Invalid Form Body", "code": 50035,
                                 "errors": {"nonce": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
                                                                   "message": "Must be 25 or fewer in length."}]}}}, {}
                problems = find_problems(data)
                if problems:
                    return 400, _form_error(problems), {}
                user = self._dm_users.get(channel)
                if user is not None and user in self._blocked_dms:
                    return 403, CANNOT_DM, {}
                if self.rooms.refuses_messages(channel):
                    return 400, {"message": "Thread is archived", "code": 50083}, {}
                if nonce is not None and enforce:
                    seen = self._nonces.get((channel, str(nonce)))
                    if seen and self.clock() - seen[1] < NONCE_WINDOW_SECONDS:
                        existing = next((m for m in messages if m["id"] == seen[0]), None)
                        if existing is not None:
                            return 200, existing, headers
                message = self._bot_message(channel, data, nonce)
                messages.append(message)
                if user is not None:
                    self._dm_feed.append((user, message["id"]))
                    self._dm_feed_grew.notify_all()
                if nonce is not None:
                    self._nonces[(channel, str(nonce))] = (message["id"], self.clock())
                self._log(f"channel:{channel}", message, "create")
                return 200, message, headers
            current = next((m for m in messages if m["id"] == msg), None)
            if current is None:
                return 404, UNKNOWN_MESSAGE, {}
            if method == "GET":
                return 200, current, headers
            if method == "PATCH":
                try:
                    data = json.loads(body or b"")
                except ValueError:
                    return 400, INVALID_JSON, {}
                problems = find_problems(data)
                if problems:
                    return 400, _form_error(problems), {}
                self._edit(current, data)
                self._log(f"channel:{channel}", current, "edit")
                return 200, current, headers
            return 405, {"message": "405: Method Not Allowed", "code": 0}, {}

    def _bot_message(self, channel: str, data: dict, nonce: Any) -> dict:
        return {
            "id": self._snowflake(),
            "type": 0,
            "channel_id": channel,
            "content": data.get("content") or "",
            "embeds": data.get("embeds") or [],
            "components": data.get("components") or [],
            "attachments": [],
            "flags": int(data.get("flags") or 0),
            "tts": False,
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "timestamp": self._now_iso(),
            "edited_timestamp": None,
            "nonce": nonce,
            "author": {"id": "0", "username": "ladderline", "discriminator": "0000", "global_name": None,
                       "avatar": None, "bot": True},
        }

    def _live(self, app: str, token: str) -> tuple[_Interaction | None, tuple[int, Any, dict] | None]:
        inter = self._interactions.get(token)
        # Before the initial callback Discord does not know the webhook yet: the "404 right after defer" race.
        if inter is None or inter.application_id != app or inter.response is None:
            return None, (404, UNKNOWN_WEBHOOK, {})
        if self.clock() * 1000 - inter.created_ms > TOKEN_LIFETIME_SECONDS * 1000:
            return None, (401, INVALID_TOKEN, {})
        return inter, None

    def _webhook(
        self, method: str, app: str, token: str, msg: str | None, body: bytes
    ) -> tuple[int, Any, dict]:
        with self._lock:
            inter, error = self._live(app, token)
            if error:
                return error
            assert inter is not None and inter.followups is not None
            data: Any = None
            if method in ("PATCH", "POST"):
                try:
                    data = json.loads(body or b"")
                except ValueError:
                    return 400, INVALID_JSON, {}
                target = None
                if msg is not None and method == "PATCH":
                    target = inter.original if msg == "@original" else inter.followups.get(msg, inter.original)
                problems = find_problems(data, components_v2=_is_v2(target))
                if problems:
                    return 400, _form_error(problems), {}
            headers = _rate_headers(f"{method} /webhooks/{app}/{token}")
            if msg is None:
                if method != "POST":
                    return 405, {"message": "405: Method Not Allowed", "code": 0}, {}
                message = self._new_message(inter, data)
                inter.followups[message["id"]] = message
                self._log(token, message, "create")
                return 200, message, headers
            if msg == "@original" or (inter.original and msg == inter.original.get("id")):
                current, followup_id = inter.original, None
            else:
                current, followup_id = inter.followups.get(msg), msg
            if current is None:
                return 404, UNKNOWN_MESSAGE, {}
            if method == "GET":
                return 200, current, headers
            if method == "DELETE":
                if followup_id:
                    del inter.followups[followup_id]
                else:
                    inter.original = None
                self._log(token, None, "delete", current["id"])
                return 204, None, headers
            if method == "PATCH":
                self._edit(current, data)
                self._log(token, current, "edit")
                return 200, current, headers
            return 405, {"message": "405: Method Not Allowed", "code": 0}, {}

    def _callback(self, method: str, interaction_id: str, token: str, body: bytes) -> tuple[int, Any, dict]:
        if method != "POST":
            return 405, {"message": "405: Method Not Allowed", "code": 0}, {}
        with self._lock:
            inter = self._interactions.get(token)
            if inter is None or inter.id != interaction_id:
                return 404, {"message": "Unknown interaction", "code": 10062}, {}
            if self.clock() * 1000 - inter.created_ms > 3000:  # the 3-second window
                return 404, {"message": "Unknown interaction", "code": 10062}, {}
            if inter.response is not None:
                return 400, ALREADY_ACKED, {}
            try:
                response = json.loads(body or b"")
            except ValueError:
                return 400, INVALID_JSON, {}
            problems = _response_problems(response, inter.raw.get("message"))
            if problems:
                return 400, _form_error(problems, prefix=("data",)), {}
            self._apply_callback(inter, response)
            return 204, None, {}

    def _app_commands(
        self, method: str, app: str, guild: str | None, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict]:
        if self.bot_token is not None and headers.get("authorization") != f"Bot {self.bot_token}":
            return 401, UNAUTHORIZED, {}
        key = (app, guild)
        with self._lock:
            if method == "GET":
                return 200, self._commands.get(key, []), _rate_headers(f"GET /applications/{app}")
            if method != "PUT":
                return 405, {"message": "405: Method Not Allowed", "code": 0}, {}
            try:
                wanted = json.loads(body or b"")
            except ValueError:
                return 400, INVALID_JSON, {}
            problems = _command_problems(wanted)
            if problems:
                return 400, {"message": "Invalid Form Body", "code": 50035, "errors": problems}, {}
            old = {(c["name"], c.get("type", 1)): c for c in self._commands.get(key, [])}
            result = []
            for command in wanted:
                kind = command.get("type", 1)
                previous = old.get((command["name"], kind))
                stored = {
                    "id": previous["id"] if previous else self._snowflake(),
                    "application_id": app,
                    "version": self._snowflake(),
                    "type": kind,
                    "description": "",
                    "default_member_permissions": None,
                    "nsfw": False,
                    **command,
                }
                stored["id"] = previous["id"] if previous else stored["id"]
                if guild:
                    stored["guild_id"] = guild
                result.append(stored)
            self._commands[key] = result
            return 200, result, _rate_headers(f"PUT /applications/{app}")

    # --- control API (for `ladderctl simulate`) ---------------------------------------------
    def _control(self, method: str, path: str, body: bytes) -> tuple[int, Any, dict]:
        if method == "POST" and path == "/_emulator/deliver":
            try:
                interaction = json.loads(body)["interaction"]
            except (ValueError, KeyError, TypeError):
                return 400, {"message": 'expected {"interaction": {...}}'}, {}
            try:
                status, response = self.deliver(interaction)
            except (RuntimeError, OSError) as error:
                return 502, {"message": f"delivery failed: {error}"}, {}
            if isinstance(response, bytes):
                response = response.decode("utf-8", "replace")
            answer = {"status": status, "response": response}
            refused = self.refused(str(interaction.get("token", "")))
            if refused:
                answer["refused"] = refused
            return 200, answer, {}
        if method == "POST" and path == "/_emulator/script":
            try:
                spec = json.loads(body)
                self.script(
                    spec["method"],
                    spec["path_pattern"],
                    int(spec["status"]),
                    spec.get("body"),
                    spec.get("headers"),
                    int(spec.get("times", 1)),
                    str(spec.get("scope", "user")),
                )
            except (ValueError, KeyError, TypeError):
                return (
                    400,
                    {"message": "expected {method, path_pattern, status, body?, headers?, times?}"},
                    {},
                )
            return 204, None, {}
        if method == "POST" and path == "/_emulator/dm-channels":
            # {"user_ids": [...]}: DM channels the bot opened before (a community it has DMed), with
            # no request and no rate limit spent now; answers {user id: channel id}.
            try:
                users = [str(u) for u in json.loads(body)["user_ids"]]
            except (ValueError, KeyError, TypeError):
                return 400, {"message": 'expected {"user_ids": [...]}'}, {}
            return 200, self.open_dm_channels(users), {}
        if method == "POST" and path == "/_emulator/attachments":
            # {"filename", "base64"}: a file uploaded in the client; answers its attachment object.
            try:
                spec = json.loads(body)
                data = base64.b64decode(spec["base64"], validate=True)
                return 200, self.upload(data, str(spec["filename"]), spec.get("content_type")), {}
            except (ValueError, KeyError, TypeError, binascii.Error):
                return 400, {"message": 'expected {"filename": ..., "base64": ...}'}, {}
        if method == "POST" and path == "/_emulator/block-globally":
            try:
                self.block_globally(float(json.loads(body)["seconds"]))
            except (ValueError, KeyError, TypeError):
                return 400, {"message": 'expected {"seconds": N}'}, {}
            return 204, None, {}
        if method == "GET" and path.startswith("/_emulator/next/"):
            # /_emulator/next/<token>/<changes seen>: answers at the next change (or after 5 s).
            _, _, _, token, seen = path.split("/", 4)
            try:
                changes, message = self.next_message(token, int(seen), 5.0)
            except ValueError:
                return 400, {"message": "expected /_emulator/next/<token>/<changes seen>"}, {}
            return 200, {"changes": changes, "message": message}, {}
        if method == "GET" and path.startswith("/_emulator/messages/"):
            message = self.message(path.rsplit("/", 1)[1])
            return (200, message, {}) if message else (404, UNKNOWN_MESSAGE, {})
        if method == "GET" and path.startswith("/_emulator/followups/"):
            return 200, self.followups(path.rsplit("/", 1)[1]), {}
        if method == "GET" and path.startswith("/_emulator/dms/"):
            return 200, self.dms(path.rsplit("/", 1)[1]), {}
        if method == "GET" and path.startswith("/_emulator/dm-feed/"):
            # /_emulator/dm-feed/<cursor>: the DMs created since (answers at the first, or after 5 s).
            try:
                cursor, found = self.dm_feed(int(path.rsplit("/", 1)[1]), 5.0)
            except ValueError:
                return 400, {"message": "expected /_emulator/dm-feed/<cursor>"}, {}
            return 200, {"cursor": cursor, "dms": found}, {}
        if method == "GET" and path == "/_emulator/threads":
            return 200, self.rooms.threads(), {}
        if method == "GET" and path == "/_emulator/guild-channels":
            return 200, self.rooms.guild_channels(), {}
        if method == "GET" and path.startswith("/_emulator/channels/"):
            return 200, self.channel_messages(path.split("/")[3]), {}
        if method == "GET" and path == "/_emulator/requests":
            return 200, [_request_json(r) for r in self.requests], {}
        if method == "GET" and path.startswith("/_emulator/requests/"):
            # One interaction's requests: a client waiting on its edit need not fetch every one.
            return 200, [_request_json(r) for r in self.requests_for(path.rsplit("/", 1)[1])], {}
        if method == "GET" and path == "/_emulator/info":
            return (
                200,
                {
                    "base_url": self.base_url,
                    "public_key": self.public_key_hex,
                    "endpoint_url": self.endpoint_url,
                },
                {},
            )
        return 404, NOT_FOUND, {}

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)


class _Handler(LowLatencyHandler):
    emulator: DiscordEmulator
    protocol_version = "HTTP/1.1"  # keep-alive, as requests.Session expects from Discord
    server_version = "discord-emulator"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        emulator = self.emulator
        received_at = emulator.clock()
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        if split.path.startswith("/_emulator/"):
            status, payload, extra = emulator._control(self.command, split.path, body)
        elif split.path.startswith("/cdn/"):
            status, payload, extra = emulator._cdn(self.command, split.path)
        else:
            try:
                status, payload, extra = emulator._handle(self.command, split.path, headers, body)
            except Exception:  # noqa: BLE001 - a bug here must show up as a 500, like a Discord outage, not a hang
                status, payload, extra = 500, {"message": "500: Internal Server Error", "code": 0}, {}
            try:
                parsed = json.loads(body) if body else None
            except ValueError:
                parsed = None
            emulator._record(
                RecordedRequest(
                    self.command,
                    split.path,
                    parse_qs(split.query),
                    headers,
                    body,
                    parsed,
                    received_at,
                    status,
                )
            )
        raw = (
            b""
            if payload is None
            else (payload if isinstance(payload, bytes) else json.dumps(payload).encode())
        )
        self.send_response(status)
        if raw and "Content-Type" not in extra:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in extra.items():
            self.send_header(name, str(value))
        self.end_headers()
        if raw and self.command != "HEAD":
            self.wfile.write(raw)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve


def _bucket(route: str) -> str:
    return hashlib.sha1(route.encode()).hexdigest()[:16]


def _rate_headers(route: str) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(RATE_LIMIT),
        "X-RateLimit-Remaining": str(RATE_LIMIT - 1),
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Bucket": _bucket(route),
    }


def _is_v2(message: dict | None) -> bool:
    return message is not None and bool(int(message.get("flags") or 0) & IS_COMPONENTS_V2)


def _response_problems(response: Any, clicked: dict | None) -> list[Problem]:
    """What Discord refuses in an interaction response, with paths under `data` (limits.py's rules)."""
    if not isinstance(response, dict):
        return [Problem((), "an interaction response must be a JSON object")]
    kind, data = response.get("type"), response.get("data")
    if kind in (4, 7):
        # UPDATE_MESSAGE edits the clicked message: a V2 one stays V2 whatever the update's flags say.
        return find_problems(data or {}, components_v2=kind == 7 and _is_v2(clicked))
    if kind == 9:
        return find_modal_problems(data)
    if kind == 5 and int((data or {}).get("flags") or 0) & ~EPHEMERAL:
        # "the only valid message flag you may use is EPHEMERAL" on a deferred channel message; a V2 answer
        # is made by editing the original response instead (docs: interactions/receiving-and-responding).
        return [Problem(("flags",), "a deferred channel message (type 5) takes only the EPHEMERAL flag")]
    return []


def _form_error(problems: list, prefix: tuple = ()) -> dict:
    """Discord's 50035 shape: errors nested by path, leaves are {"_errors": [{code, message}]}."""
    errors: dict = {}
    for problem in problems:
        node = errors
        for part in (*prefix, *problem.path):
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": "INVALID_FORM_BODY", "message": problem.message})
    summary = "; ".join(
        str(p) if not prefix else f"{format_path((*prefix, *p.path))}: {p.message}" for p in problems
    )
    return {"message": "Invalid Form Body", "code": 50035, "errors": errors, "problems": summary}


def _command_problems(commands: Any) -> dict:
    if not isinstance(commands, list):
        return {"_errors": [{"code": "BASE_TYPE_ARRAY", "message": "Must be an array."}]}
    errors: dict = {}
    if len(commands) > 100:  # Discord's cap on global commands of one type (and bulk overwrite size)
        errors["_errors"] = [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 100 or fewer in length."}]
    seen: set = set()
    for i, command in enumerate(commands):
        name = command.get("name") if isinstance(command, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 32:
            errors[str(i)] = {
                "name": {
                    "_errors": [
                        {"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 32 in length."}
                    ]
                }
            }
            continue
        if (name, command.get("type", 1)) in seen:
            errors[str(i)] = {
                "name": {
                    "_errors": [
                        {
                            "code": "APPLICATION_COMMANDS_DUPLICATE_NAME",
                            "message": "Application command names must be unique",
                        }
                    ]
                }
            }
        seen.add((name, command.get("type", 1)))
        problems = list(_localization_problems(command, (str(i),)))
        if problems:
            node = errors.setdefault(str(i), {})
            for path, message in problems:
                leaf = node
                for part in path[1:]:
                    leaf = leaf.setdefault(part, {})
                leaf.setdefault("_errors", []).append({"code": "INVALID_FORM_BODY", "message": message})
    return errors


# Discord's locales (developer docs, reference "Locales"): the only keys a *_localizations takes.
DISCORD_LOCALES = frozenset({"id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu",
                             "nl", "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk",
                             "hi", "th", "zh-CN", "ja", "zh-TW", "ko"})


def _localization_problems(item: dict, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    """A command's, option's or choice's localized names (1-32, lower case, letters, digits, - and
    _; a choice's name: 1-100 of anything) and descriptions (1-100), keyed by Discord's locales."""
    is_choice = "value" in item and "type" not in item
    for field, limit in (("name_localizations", 100 if is_choice else 32), ("description_localizations", 100)):
        values = item.get(field)
        if values is None:
            continue
        if not isinstance(values, dict):
            yield (*path, field), "Must be an object."
            continue
        for locale, text in values.items():
            if locale not in DISCORD_LOCALES:
                yield (*path, field, locale), "Invalid locale."
            elif not isinstance(text, str) or not 1 <= len(text) <= limit:
                yield (*path, field, locale), f"Must be between 1 and {limit} in length."
            elif field == "name_localizations" and not is_choice and (
                    text != text.lower() or not all(c.isalnum() or c in "-_" for c in text)):
                yield (*path, field, locale), "Command name is invalid"
    for key in ("options", "choices"):
        for n, child in enumerate(item.get(key) or []):
            if isinstance(child, dict):
                yield from _localization_problems(child, (*path, key, str(n)))


def _request_json(request: RecordedRequest) -> dict:
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "headers": request.headers,
        "json": request.json,
        "body": request.body.decode("utf-8", "replace"),
        "received_at": request.received_at,
        "status": request.status,
    }
