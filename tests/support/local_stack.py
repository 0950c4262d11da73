"""Starting `ladderctl dev` as a child process, apart from anything outside (tests and benchmarks)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Variables that would point the stack at real Discord, real AWS or another database.
_OUTSIDE = ("DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID", "DISCORD_API_BASE", "DATABASE_URL",
            "LADDER_USE_REAL_AWS", "QUEUE_URL", "IDEMPOTENCY_TABLE", "AWS_ENDPOINT_URL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stack_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _OUTSIDE}
