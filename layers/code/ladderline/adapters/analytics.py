"""`command_calls`: one row per finished interaction job, written as one multi-row insert per batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ladderline.adapters import sql
from ladderline.pipeline.ports import CompletedJob


class _Transactions(Protocol):
    def transaction(self, statement: str) -> list[list[Any]]: ...


class PgCommandCalls:
    def __init__(self, db: _Transactions) -> None:
        self._db = db

    def record(self, completed: Sequence[CompletedJob]) -> None:
        # Timers and ticks are not interactions: command_calls is keyed on the interaction id.
        rows = [c for c in completed if c.job.is_interaction]
        if not rows:
            return
        values = ",\n".join(
            "(" + ", ".join([
                sql.literal(int(c.job.interaction_id)), sql.literal(int(c.job.user_id)),
                sql.literal(int(c.job.guild_id) if c.job.guild_id else None), sql.literal(c.job.route),
                f"to_timestamp({c.job.received_at_ms / 1000:.3f})", f"to_timestamp({c.processed_at_ms / 1000:.3f})",
                sql.literal(c.outcome),
            ]) + ")"
            for c in rows
        )
        self._db.transaction(
            "INSERT INTO command_calls (interaction_id, user_id, guild_id, command, received_at, "
            f"processed_at, outcome) VALUES\n{values}\nON CONFLICT (interaction_id) DO NOTHING")
