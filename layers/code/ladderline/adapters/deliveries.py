"""The worker's record of sent deliveries in PostgreSQL (table `deliveries`, migration 0004), and
each user's DM channel with the bot (table `dm_channels`, migration 0009)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

from ladderline.adapters import sql
from ladderline.pipeline.ports import Claim, Recorded


class _Transactions(Protocol):
    def transaction(self, statement: str) -> list[list[Any]]: ...


# DM channel ids kept in the container too (a few MB at most): a DM to a player this container
# has written to before costs no database round trip either.
DM_CHANNELS_CACHED = 50_000


class PgDeliveryStore:
    def __init__(self, db: _Transactions) -> None:
        self._db = db
        self._dm_channels: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()  # a batch's records run on threads

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

    def claim(self, key: str, *, kind: str, job_key: str, channel_id: str | None = None) -> Claim:
        # One statement: the insert, or the row that was there (the CTE's row is not visible to
        # the outer query, so a NULL holder means this call inserted it).
        [[inserted, holder, age]] = self._db.transaction(
            "WITH mine AS (INSERT INTO deliveries (delivery_key, kind, job_key, channel_id, outcome) VALUES ("
            + ", ".join([sql.literal(key), sql.literal(kind), sql.literal(job_key),
                         sql.literal(int(channel_id) if channel_id else None), "'intent'"])
            + ") ON CONFLICT (delivery_key) DO NOTHING RETURNING 1) "
            "SELECT EXISTS (SELECT 1 FROM mine), d.job_key, extract(epoch FROM now() - d.recorded_at)::float8 "
            f"FROM (SELECT 1) one LEFT JOIN deliveries d ON d.delivery_key = {sql.literal(key)}")
        if inserted:
            return Claim(new=True)
        return Claim(new=False, same_job=holder == job_key, age_seconds=float(age or 0.0))

    # --- DM channels: Discord answers the same channel for every open of a user's DM, so it is
    # opened once per user and kept; a DM is then one request (create message), not two.
    def dm_channel(self, user_id: str) -> str | None:
        with self._lock:
            cached = self._dm_channels.get(user_id)
            if cached is not None:
                self._dm_channels.move_to_end(user_id)
                return cached
        rows = self._db.transaction(
            f"SELECT channel_id::text FROM dm_channels WHERE discord_user_id = {sql.literal(int(user_id))}")
        if rows:
            self._cache(user_id, rows[0][0])
            return str(rows[0][0])
        return None

    def remember_dm_channel(self, user_id: str, channel_id: str) -> None:
        self._db.transaction(f"SELECT ladder_remember_dm_channel({sql.literal(int(user_id))}, "
                             f"{sql.literal(int(channel_id))})")
        self._cache(user_id, channel_id)

    def forget_dm_channel(self, user_id: str) -> None:
        with self._lock:
            self._dm_channels.pop(user_id, None)
        self._db.transaction(f"DELETE FROM dm_channels WHERE discord_user_id = {sql.literal(int(user_id))}")

    def _cache(self, user_id: str, channel_id: str) -> None:
        with self._lock:
            self._dm_channels[user_id] = str(channel_id)
            self._dm_channels.move_to_end(user_id)
            while len(self._dm_channels) > DM_CHANNELS_CACHED:
                self._dm_channels.popitem(last=False)
