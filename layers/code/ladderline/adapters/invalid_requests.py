"""Discord's invalid requests (401, 403, 429), counted across every worker container.

Discord bans an application from its API (Cloudflare, for an hour) after 10,000 invalid requests
in 10 minutes. Containers share one DynamoDB item per 10-minute window (in the idempotency table,
under an id Powertools never uses): each invalid request is an atomic ADD, whose answer tells the
container the shared count; otherwise the count is re-read at most every REFRESH_SECONDS. Once it
reaches `limit` (well below 10,000: containers keep sending while their view is stale) the
client stops calling Discord until the window ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("ladderline.discord")

WINDOW_SECONDS = 600
REFRESH_SECONDS = 5.0
KEY_PREFIX = "discord-invalid-requests#"
DEFAULT_LIMIT = 8000


class DynamoDbInvalidRequestCounter:
    def __init__(self, client: Any, table: str, *, limit: int = DEFAULT_LIMIT,
                 clock: Callable[[], float] = time.time, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self._client = client
        self._table = table
        self._limit = limit
        self._clock = clock
        self._refresh = refresh_seconds
        self._lock = threading.Lock()
        self._window = -1
        self._count = 0
        self._read_at = float("-inf")

    def _key(self, window: int) -> dict[str, Any]:
        return {"id": {"S": f"{KEY_PREFIX}{window}"}}

    def _current_window(self) -> int:
        window = int(self._clock() // WINDOW_SECONDS)
        if window != self._window:
            self._window, self._count, self._read_at = window, 0, float("-inf")
        return window

    def record(self, count: int) -> None:
        with self._lock:
            window = self._current_window()
        answer = self._client.update_item(
            TableName=self._table, Key=self._key(window),
            UpdateExpression="ADD hits :n SET expiration = if_not_exists(expiration, :exp)",
            ExpressionAttributeValues={":n": {"N": str(count)},
                                       ":exp": {"N": str((window + 2) * WINDOW_SECONDS)}},
            ReturnValues="UPDATED_NEW")
        hits = int(answer["Attributes"]["hits"]["N"])
        with self._lock:
            if window == self._window:
                self._count, self._read_at = max(self._count, hits), self._clock()

    def count(self) -> int:
        with self._lock:
            window = self._current_window()
            if self._clock() - self._read_at < self._refresh:
                return self._count
        try:
            item = self._client.get_item(TableName=self._table, Key=self._key(window),
                                         ConsistentRead=True).get("Item")
        except Exception:
            # Not knowing must not stop the bot: keep the last known count.
            logger.warning("could not read the invalid-request count", exc_info=True)
            return self._count
        hits = int(item["hits"]["N"]) if item and "hits" in item else 0
        with self._lock:
            if window == self._window:
                self._count, self._read_at = max(self._count, hits), self._clock()
            return self._count

    def is_open(self) -> bool:
        return self.count() >= self._limit
