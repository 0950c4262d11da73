"""The worker's record of sent deliveries in PostgreSQL (table `deliveries`, migration 0004)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ladderline.adapters import sql
from ladderline.pipeline.ports import Recorded


class _Transactions(Protocol):
    def transaction(self, statement: str) -> list[list[Any]]: ...


class PgDeliveryStore:
    def __init__(self, db: _Transactions) -> None:
        self._db = db

    def lookup(self, keys: Sequence[str]) -> dict[str, Recorded]:
        if not keys:
            return {}
        rows = self._db.transaction(
            "SELECT delivery_key, outcome, channel_id::text, message_id::text FROM deliveries "
            f"WHERE delivery_key = ANY({sql.text_array(keys)})")
        return {row[0]: Recorded(row[0], row[1], row[2], row[3]) for row in rows}

    def record(self, key: str, *, kind: str, job_key: str, outcome: str, channel_id: str | None = None,
               message_id: str | None = None) -> None:
        # The primary key makes a second record of the same delivery a no-op.
        self._db.transaction(
            "INSERT INTO deliveries (delivery_key, kind, job_key, channel_id, message_id, outcome) VALUES ("
            + ", ".join([sql.literal(key), sql.literal(kind), sql.literal(job_key),
                         sql.literal(int(channel_id) if channel_id else None),
                         sql.literal(int(message_id) if message_id else None), sql.literal(outcome)])
            + ") ON CONFLICT (delivery_key) DO NOTHING")
