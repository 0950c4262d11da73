"""A kept-alive client for the Discord emulator's control API, and a message's readable text:
what the load drivers (load.py, load_wave.py) share."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit


class EmulatorClient:
    """One kept-alive connection to the emulator's control API (one per virtual-user thread)."""

    def __init__(self, url: str, timeout: float = 30) -> None:
        parts = urlsplit(url)
        self._host, self._port, self._timeout = parts.hostname or "127.0.0.1", parts.port or 80, timeout
        self._conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            try:
                self._conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
                answer = self._conn.getresponse()
                raw = answer.read()
                return answer.status, (json.loads(raw) if raw else None)
            except (http.client.HTTPException, OSError):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def message_text(message: dict[str, Any] | None) -> str:
    if not message:
        return ""
    parts = [str(message.get("content") or "")]
    for embed in message.get("embeds") or []:
        parts += [str(embed.get("title") or ""), str(embed.get("description") or "")]
    return "\n".join(parts)
