"""The one Discord REST client: edits an interaction's original response.

- requests.Session keeps the TLS connection to discord.com alive across a container's jobs.
- 429: waits `retry_after` (float seconds) when that fits the time left, else hands the job back.
- 5xx and connection errors: bounded exponential backoff, then hand the job back to the queue.
- 404 10015 within RACE_WINDOW_SECONDS of the interaction: a known race right after a defer
  (the webhook is not visible yet); retried. Outside the window it means the token is unusable.
- 401 50027, or an interaction older than 15 minutes (from its snowflake): the token has expired;
  never retried, recorded.
- Any other 4xx: our request is wrong; never retried, recorded with Discord's code and message.
The token is a credential: it appears in the URL only, and never in logs or errors.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import requests

from ladderline.discord.constants import TOKEN_LIFETIME_SECONDS, ErrorCode
from ladderline.discord.limits import validate_message
from ladderline.discord.snowflake import age_seconds

logger = logging.getLogger("ladderline.discord")

RACE_WINDOW_SECONDS = 10.0
MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 0.25
TIMEOUT = (3.05, 5.0)  # connect, read


class EditOutcome(str, Enum):
    OK = "ok"
    RETRIED = "retried"  # succeeded after at least one retry
    RATE_LIMITED = "rate_limited"  # gave up within this invocation: retry later
    UNAVAILABLE = "unavailable"  # 5xx/connection errors outlasted the retries: retry later
    TOKEN_EXPIRED = "token_expired"
    FAILED = "failed"  # Discord refused the request (4xx): retrying cannot help


@dataclass(frozen=True)
class EditResult:
    outcome: EditOutcome
    attempts: int
    status: int | None = None
    error_code: int | None = None
    error_message: str | None = None
    latency_ms: float = 0.0

    @property
    def retriable(self) -> bool:
        return self.outcome in (EditOutcome.RATE_LIMITED, EditOutcome.UNAVAILABLE)

    @property
    def delivered(self) -> bool:
        return self.outcome in (EditOutcome.OK, EditOutcome.RETRIED)


def _error_fields(response: requests.Response) -> tuple[int | None, str | None, float | None]:
    try:
        data = response.json()
    except ValueError:
        return None, response.text[:200] or None, None
    if not isinstance(data, dict):
        return None, None, None
    retry_after = data.get("retry_after")
    return data.get("code"), data.get("message"), float(retry_after) if retry_after is not None else None


class DiscordRest:
    def __init__(self, base_url: str, *, session: requests.Session | None = None,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
                 max_attempts: int = MAX_ATTEMPTS) -> None:
        self._base = base_url.rstrip("/")
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = "DiscordBot (https://github.com/ladderline, 0.1)"
        self._clock = clock
        self._sleep = sleep
        self._max_attempts = max_attempts

    def edit_original(self, application_id: str, token: str, interaction_id: str, body: dict[str, Any],
                      *, deadline: float) -> EditResult:
        """PATCH the original response; `deadline` is the clock time by which we must have returned."""
        problems = validate_message(body)
        if problems:
            # A body Discord would reject is a bug; sending it would only earn a 400.
            return EditResult(EditOutcome.FAILED, 0, error_message="; ".join(problems))
        url = f"{self._base}/webhooks/{application_id}/{token}/messages/@original"
        started = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            if age_seconds(interaction_id, self._clock()) >= TOKEN_LIFETIME_SECONDS:
                return self._result(EditOutcome.TOKEN_EXPIRED, attempt - 1, started)
            wait: float | None
            try:
                response = self._session.patch(url, json=body, timeout=TIMEOUT)
            except requests.RequestException as exc:
                logger.warning("discord request failed: %s", type(exc).__name__)
                status, code, message, wait = None, None, type(exc).__name__, self._backoff(attempt)
                outcome_if_exhausted = EditOutcome.UNAVAILABLE
            else:
                status = response.status_code
                if status < 300:
                    return self._result(EditOutcome.RETRIED if attempt > 1 else EditOutcome.OK,
                                        attempt, started, status)
                code, message, retry_after = _error_fields(response)
                if status == 429:
                    header = response.headers.get("Retry-After")
                    wait = retry_after if retry_after is not None else float(header or 1)
                    outcome_if_exhausted = EditOutcome.RATE_LIMITED
                elif status >= 500 or status == 404 and code == ErrorCode.UNKNOWN_WEBHOOK and \
                        age_seconds(interaction_id, self._clock()) < RACE_WINDOW_SECONDS:
                    wait, outcome_if_exhausted = self._backoff(attempt), EditOutcome.UNAVAILABLE
                elif (status == 401 and code == ErrorCode.INVALID_WEBHOOK_TOKEN) or \
                        (status == 404 and code == ErrorCode.UNKNOWN_WEBHOOK):
                    return self._result(EditOutcome.TOKEN_EXPIRED, attempt, started, status, code, message)
                else:
                    return self._result(EditOutcome.FAILED, attempt, started, status, code, message)
            if attempt >= self._max_attempts or self._clock() + wait >= deadline:
                return self._result(outcome_if_exhausted, attempt, started, status, code, message)
            self._sleep(wait)

    @staticmethod
    def _backoff(attempt: int) -> float:
        # Full jitter keeps a batch of retries from hitting Discord in lockstep.
        return BACKOFF_BASE_SECONDS * (2 ** (attempt - 1)) * (0.5 + random.random() / 2)

    @staticmethod
    def _result(outcome: EditOutcome, attempts: int, started: float, status: int | None = None,
                code: int | None = None, message: str | None = None) -> EditResult:
        return EditResult(outcome, attempts, status, code, message, (time.perf_counter() - started) * 1000)
