"""The one Discord REST client: interaction-token routes (the job's own response and follow-ups)
and bot-token routes (DMs, channel messages, edits by id, command registration).

- requests.Session keeps the TLS connection to discord.com alive across a container's jobs.
- Rate limits, as Discord documents them: each route's bucket is learned from
  `X-RateLimit-Bucket`, `X-RateLimit-Remaining` and `X-RateLimit-Reset-After`; a request to an
  exhausted bucket waits for its reset (or is handed back when that would outlast the time
  left). Bot-token requests share the global limit of 50 per second (interaction routes are not
  bound by it). A 429 is waited out per its `X-RateLimit-Scope`: `global` pauses every bot-token
  request, `user`/`shared` pause that bucket.
- Invalid requests (401, 403, and 429 other than `shared` scope) are counted across all
  containers (InvalidRequestCounter): Discord bans an application for an hour after 10,000 in
  10 minutes, so once the shared count reaches its limit this client stops calling Discord and
  answers BREAKER_OPEN, which the worker treats as "retry later".
- 5xx and connection errors: bounded exponential backoff, then hand the job back.
- 404 10015 within RACE_WINDOW_SECONDS of the interaction: a known race right after a defer
  (the webhook is not visible yet); retried. Outside the window it means the token is unusable.
- 401 50027, or an interaction older than 15 minutes (from its snowflake): the token has expired;
  never retried.
- Any other 4xx: our request is wrong; never retried, returned with Discord's code and message.
Tokens are credentials: the interaction token appears in the URL only, the bot token in the
Authorization header only, and neither ever in logs, errors or results.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

import requests

from ladderline.discord.constants import TOKEN_LIFETIME_SECONDS, ErrorCode
from ladderline.discord.limits import validate_message
from ladderline.discord.snowflake import age_seconds

logger = logging.getLogger("ladderline.discord")

RACE_WINDOW_SECONDS = 10.0
MAX_ATTEMPTS = 5
# 429s waited out in one call (each for its retry_after), within the caller's deadline. They are
# not failed attempts: a busy bucket (a wave's DM opens) is worth waiting for inside the job, where
# counting them as attempts gave up after five and sent the whole job to the back of its queue.
MAX_RATE_LIMITED = 20
BACKOFF_BASE_SECONDS = 0.25
TIMEOUT = (3.05, 5.0)  # connect, read
# Discord's global limit for bot-token requests.
GLOBAL_PER_SECOND = 50
# Route and bucket memory per container (interaction routes are one bucket per token).
MAX_REMEMBERED_ROUTES = 2000
# Path segments whose following id is a "major parameter": buckets are per value of it.
_MAJOR = frozenset({"channels", "guilds", "webhooks"})
USER_AGENT = "DiscordBot (https://github.com/ladderline, 0.1)"


class Outcome(str, Enum):
    OK = "ok"
    RETRIED = "retried"  # succeeded after at least one retry
    RATE_LIMITED = "rate_limited"  # gave up within this invocation: retry later
    UNAVAILABLE = "unavailable"  # 5xx/connection errors outlasted the retries: retry later
    TOKEN_EXPIRED = "token_expired"
    FAILED = "failed"  # Discord refused the request (4xx): retrying cannot help
    BREAKER_OPEN = "breaker_open"  # too many invalid requests across containers: not sent, retry later


# The edit of an interaction's response reports the same outcomes (the DiscordEdits metric).
EditOutcome = Outcome


@dataclass(frozen=True)
class RestResult:
    outcome: Outcome
    attempts: int
    status: int | None = None
    error_code: int | None = None
    error_message: str | None = None
    latency_ms: float = 0.0
    data: Any = None  # the parsed JSON answer (Discord's error body for FAILED)

    @property
    def retriable(self) -> bool:
        return self.outcome in (Outcome.RATE_LIMITED, Outcome.UNAVAILABLE, Outcome.BREAKER_OPEN)

    @property
    def delivered(self) -> bool:
        return self.outcome in (Outcome.OK, Outcome.RETRIED)


EditResult = RestResult


class InvalidRequestCounter(Protocol):
    """Invalid requests (401/403/429) of every container in Discord's current 10-minute window."""

    def record(self, count: int) -> None: ...

    def is_open(self) -> bool:
        """True once the shared count reached the limit: stop calling Discord until the window ends."""
        ...


class RestListener(Protocol):
    def invalid_request(self, status: int, scope: str | None) -> None: ...

    def breaker_open(self) -> None: ...


def route_key(method: str, path: str) -> str:
    """Discord's rate-limit route: the path with every id but the major parameters replaced."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    out: list[str] = []
    for i, part in enumerate(parts):
        # A webhook's token (after its id) is kept like a major parameter: one bucket per token.
        if part.isdigit() and (parts[i - 1] if i else "") not in _MAJOR:
            out.append(":id")
        else:
            out.append(part)
    return f"{method.upper()} /{'/'.join(out)}"


@dataclass
class _Bucket:
    remaining: int
    reset_at: float
    limit: int = 1  # X-RateLimit-Limit: what the bucket holds once it resets


def _error_fields(response: requests.Response) -> tuple[int | None, str | None, float | None]:
    try:
        data = response.json()
    except ValueError:
        return None, response.text[:200] or None, None
    if not isinstance(data, dict):
        return None, None, None
    retry_after = data.get("retry_after")
    return data.get("code"), data.get("message"), float(retry_after) if retry_after is not None else None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class DiscordRest:
    def __init__(self, base_url: str, *, bot_token: Callable[[], str | None] | None = None,
                 session: requests.Session | None = None, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep, max_attempts: int = MAX_ATTEMPTS,
                 invalid_requests: InvalidRequestCounter | None = None, listener: RestListener | None = None,
                 global_per_second: int = GLOBAL_PER_SECOND) -> None:
        self._base = base_url.rstrip("/")
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT
        self._bot_token = bot_token
        self._clock = clock
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._invalid = invalid_requests
        self._listener = listener
        self._global_per_second = global_per_second
        self._lock = threading.Lock()
        self._route_buckets: dict[str, str] = {}  # route key -> Discord's bucket hash
        self._buckets: dict[str, _Bucket] = {}  # bucket hash + major parameters -> state
        self._global_until = 0.0  # a global 429 pauses every bot-token request until then
        self._sent: deque[float] = deque()  # bot-token request times within the last second

    # --- interaction-token routes --------------------------------------------------------------
    def edit_original(self, application_id: str, token: str, interaction_id: str, body: dict[str, Any],
                      *, deadline: float) -> RestResult:
        """PATCH the original response; `deadline` is the clock time by which we must have returned."""
        return self._interaction_call("PATCH", f"/webhooks/{application_id}/{token}/messages/@original",
                                      interaction_id, body, deadline)

    def create_followup(self, application_id: str, token: str, interaction_id: str, body: dict[str, Any],
                        *, deadline: float) -> RestResult:
        """POST a follow-up message (wait=true: Discord answers with the message and its id)."""
        return self._interaction_call("POST", f"/webhooks/{application_id}/{token}?wait=true",
                                      interaction_id, body, deadline)

    def _interaction_call(self, method: str, path: str, interaction_id: str, body: dict[str, Any],
                          deadline: float) -> RestResult:
        problems = validate_message(body)
        if problems:
            # A body Discord would reject is a bug; sending it would only earn a 400.
            return RestResult(Outcome.FAILED, 0, error_message="; ".join(problems))
        return self.request(method, path, body=body, bot=False, deadline=deadline, interaction_id=interaction_id)

    # --- bot-token routes ------------------------------------------------------------------------
    def open_dm(self, user_id: str, *, deadline: float) -> RestResult:
        """The DM channel with a user (Discord returns the existing one if it is open)."""
        return self.request("POST", "/users/@me/channels", body={"recipient_id": str(user_id)}, deadline=deadline)

    def create_message(self, channel_id: str, body: dict[str, Any], *, nonce: str | None = None,
                       deadline: float) -> RestResult:
        """POST a channel message. With a nonce, enforce_nonce makes Discord return the message
        already created with that nonce (within a few minutes) instead of creating a second one."""
        problems = validate_message(body)
        if problems:
            return RestResult(Outcome.FAILED, 0, error_message="; ".join(problems))
        payload = dict(body)
        if nonce is not None:
            payload.update(nonce=nonce, enforce_nonce=True)
        return self.request("POST", f"/channels/{channel_id}/messages", body=payload, deadline=deadline)

    def edit_message(self, channel_id: str, message_id: str, body: dict[str, Any], *,
                     deadline: float) -> RestResult:
        problems = validate_message(body)
        if problems:
            return RestResult(Outcome.FAILED, 0, error_message="; ".join(problems))
        return self.request("PATCH", f"/channels/{channel_id}/messages/{message_id}", body=body, deadline=deadline)

    # Threads (a private room per match): creation has no nonce, see pipeline/outbox.py.
    def create_thread(self, channel_id: str, body: dict[str, Any], *, deadline: float) -> RestResult:
        return self.request("POST", f"/channels/{channel_id}/threads", body=body, deadline=deadline)

    def active_threads(self, guild_id: str, *, deadline: float) -> RestResult:
        return self.request("GET", f"/guilds/{guild_id}/threads/active", deadline=deadline)

    def add_thread_member(self, thread_id: str, user_id: str, *, deadline: float) -> RestResult:
        return self.request("PUT", f"/channels/{thread_id}/thread-members/{user_id}", deadline=deadline)

    def create_guild_channel(self, guild_id: str, body: dict[str, Any], *, deadline: float) -> RestResult:
        return self.request("POST", f"/guilds/{guild_id}/channels", body=body, deadline=deadline)

    def guild_channels(self, guild_id: str, *, deadline: float) -> RestResult:
        return self.request("GET", f"/guilds/{guild_id}/channels", deadline=deadline)

    def modify_channel(self, channel_id: str, body: dict[str, Any], *, deadline: float) -> RestResult:
        return self.request("PATCH", f"/channels/{channel_id}", body=body, deadline=deadline)

    def get_message(self, channel_id: str, message_id: str, *, deadline: float) -> RestResult:
        return self.request("GET", f"/channels/{channel_id}/messages/{message_id}", deadline=deadline)

    # --- the one request loop --------------------------------------------------------------------
    def request(self, method: str, path: str, *, body: Any = None, bot: bool = True, deadline: float,
                interaction_id: str | None = None) -> RestResult:
        """One call with rate limits, retries and the invalid-request breaker.

        `bot`: authenticate with the bot token (else the URL's interaction token does).
        `interaction_id`: for interaction routes, the token's age is checked before each attempt.
        """
        headers: dict[str, str] = {}
        if bot:
            token = self._bot_token() if self._bot_token else None
            if not token:
                return RestResult(Outcome.FAILED, 0, error_message="no bot token configured")
            headers["Authorization"] = f"Bot {token}"
        route = route_key(method, path)
        started = time.perf_counter()
        attempt = 0
        limited = 0  # 429s waited out (attempt counts the other failures)
        while True:
            if self._invalid is not None and self._invalid.is_open():
                if self._listener:
                    self._listener.breaker_open()
                return self._result(Outcome.BREAKER_OPEN, attempt, started)
            if interaction_id and age_seconds(interaction_id, self._clock()) >= TOKEN_LIFETIME_SECONDS:
                return self._result(Outcome.TOKEN_EXPIRED, attempt, started)
            while (wait := self._wait_before(route, bot)) > 0:
                if self._clock() + wait >= deadline:
                    return self._result(Outcome.RATE_LIMITED, attempt, started)
                self._sleep(wait)
            attempt += 1
            retry_in: float
            status: int | None
            message: str | None
            try:
                response = self._session.request(method, self._base + path, json=body, headers=headers,
                                                 timeout=TIMEOUT)
            except requests.RequestException as exc:
                logger.warning("discord request failed: %s", type(exc).__name__)
                status, code, message = None, None, type(exc).__name__
                retry_in, if_exhausted = self._backoff(attempt), Outcome.UNAVAILABLE
            else:
                status = response.status_code
                self._learn(route, response)
                if status < 300:
                    return self._result(Outcome.RETRIED if attempt > 1 else Outcome.OK, attempt, started, status,
                                        data=self._json(response))
                code, message, retry_after = _error_fields(response)
                if status in (401, 403, 429):
                    self._count_invalid(status, response)
                if status == 429:
                    retry_in = self._rate_limited(route, response, retry_after)
                    if_exhausted = Outcome.RATE_LIMITED
                    limited += 1
                elif status >= 500 or (status == 404 and code == ErrorCode.UNKNOWN_WEBHOOK and interaction_id
                                       and age_seconds(interaction_id, self._clock()) < RACE_WINDOW_SECONDS):
                    retry_in, if_exhausted = self._backoff(attempt), Outcome.UNAVAILABLE
                elif interaction_id and ((status == 401 and code == ErrorCode.INVALID_WEBHOOK_TOKEN) or
                                         (status == 404 and code == ErrorCode.UNKNOWN_WEBHOOK)):
                    return self._result(Outcome.TOKEN_EXPIRED, attempt, started, status, code, message)
                else:
                    return self._result(Outcome.FAILED, attempt, started, status, code, message,
                                        data=self._json(response))
            spent = limited >= MAX_RATE_LIMITED if status == 429 else attempt - limited >= self._max_attempts
            if spent or self._clock() + retry_in >= deadline:
                return self._result(if_exhausted, attempt, started, status, code, message)
            self._sleep(retry_in)

    # --- rate limits -----------------------------------------------------------------------------
    @staticmethod
    def _major(route: str) -> str:
        parts = route.split(" ", 1)[1].strip("/").split("/")
        major: list[str] = []
        for i, part in enumerate(parts):
            if part in _MAJOR:
                # A webhook's bucket is per id and token (an interaction's own routes).
                major.extend(parts[i + 1:i + (3 if part == "webhooks" else 2)])
        return "/".join(major)

    def _state_key(self, route: str) -> str | None:
        bucket = self._route_buckets.get(route)
        return f"{bucket}:{self._major(route)}" if bucket else None

    def _wait_before(self, route: str, bot: bool) -> float:
        """Seconds to wait before this request may go out; 0 takes a slot now."""
        now = self._clock()
        with self._lock:
            key = self._state_key(route)
            state = self._buckets.get(key) if key else None
            if state is not None and state.remaining <= 0 and now >= state.reset_at:
                # Reset: as many requests go as the bucket holds, and the rest wait for their
                # answers' headers (else every waiting thread went at once, and most got a 429).
                state.remaining, state.reset_at = state.limit, now + 1.0
            wait = state.reset_at - now if state is not None and state.remaining <= 0 else 0.0
            if bot:
                wait = max(wait, self._global_until - now)
                while self._sent and self._sent[0] <= now - 1.0:
                    self._sent.popleft()
                if len(self._sent) >= self._global_per_second:
                    wait = max(wait, self._sent[0] + 1.0 - now)
            if wait > 0:
                return wait
            if bot:
                self._sent.append(now)
            if state is not None:
                state.remaining -= 1
            return 0.0

    def _learn(self, route: str, response: requests.Response) -> None:
        bucket = response.headers.get("X-RateLimit-Bucket")
        remaining = response.headers.get("X-RateLimit-Remaining")
        reset_after = _float(response.headers.get("X-RateLimit-Reset-After"))
        if not bucket or remaining is None or reset_after is None:
            return
        with self._lock:
            if len(self._route_buckets) > MAX_REMEMBERED_ROUTES:
                self._route_buckets.clear()
                self._buckets.clear()
            self._route_buckets[route] = bucket
            key = f"{bucket}:{self._major(route)}"
            try:
                left = int(remaining)
                limit = int(response.headers.get("X-RateLimit-Limit") or max(left, 1))
            except ValueError:
                return
            reset_at = self._clock() + reset_after
            known = self._buckets.get(key)
            if known is not None and abs(known.reset_at - reset_at) < 0.5:
                # The same window, answers arriving out of order: an older answer's "remaining"
                # must not hand out slots the later requests already took.
                left = min(left, known.remaining)
            self._buckets[key] = _Bucket(left, reset_at, max(limit, 1))

    def _rate_limited(self, route: str, response: requests.Response, retry_after: float | None) -> float:
        wait = retry_after if retry_after is not None else _float(response.headers.get("Retry-After")) or 1.0
        scope = response.headers.get("X-RateLimit-Scope")
        try:
            is_global = scope == "global" or bool(response.json().get("global"))
        except (ValueError, AttributeError):
            is_global = scope == "global"
        with self._lock:
            if is_global:
                self._global_until = max(self._global_until, self._clock() + wait)
            else:
                # A 429 without bucket headers still pauses its route: the route stands in for the bucket.
                bucket = self._route_buckets.setdefault(route, f"route:{route}")
                key = f"{bucket}:{self._major(route)}"
                known = self._buckets.get(key)
                self._buckets[key] = _Bucket(0, self._clock() + wait, known.limit if known else 1)
        logger.info("discord rate limited", extra={"scope": scope or ("global" if is_global else "unknown"),
                                                   "retry_after": wait})
        return wait

    def _count_invalid(self, status: int, response: requests.Response) -> None:
        scope = response.headers.get("X-RateLimit-Scope")
        # Discord: 429s of the `shared` scope do not count towards the invalid-request limit.
        if status == 429 and scope == "shared":
            return
        if self._listener:
            self._listener.invalid_request(status, scope)
        if self._invalid is not None:
            try:
                self._invalid.record(1)
            except Exception:  # the counter must never turn a Discord answer into a crash
                logger.warning("could not count an invalid request", exc_info=True)

    @staticmethod
    def _json(response: requests.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    @staticmethod
    def _backoff(attempt: int) -> float:
        # Full jitter keeps a batch of retries from hitting Discord in lockstep.
        return BACKOFF_BASE_SECONDS * (2 ** (attempt - 1)) * (0.5 + random.random() / 2)

    @staticmethod
    def _result(outcome: Outcome, attempts: int, started: float, status: int | None = None,
                code: int | None = None, message: str | None = None, data: Any = None) -> RestResult:
        return RestResult(outcome, attempts, status, code, message, (time.perf_counter() - started) * 1000, data)
