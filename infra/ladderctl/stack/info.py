"""What a running local stack tells the tools that drive it: <data-dir>/stack.json (StackInfo),
where the data folder is by default, the switch that holds its schedule, and the named local
users. The drivers and the playground import this, never the stack itself."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ladderctl.stack.lambdas import ROOT

DEFAULT_DATA_DIR = ROOT / ".local"
DEFAULT_TICK_SECONDS = 5.0
STACK_FILE = "stack.json"
TICKS_HELD = "ticks.held"

# The simulator's own user, and named players for `--as` and the playground (stable ids, so a
# matchmaking run can be replayed by name). The stack makes the first two its default owners.
DEFAULT_USER = "410212090289192960"
# The local server (guild) and its #ladder text channel, where the simulated players act and where
# confirmed matches get their private threads.
DEFAULT_GUILD = "1380488052169769110"
DEFAULT_CHANNEL = "1380488052169769113"

PLAYERS = {
    "alice": "700000000000000101",
    "bob": "700000000000000102",
    "carol": "700000000000000103",
    "dave": "700000000000000104",
}


@dataclass(frozen=True)
class StackInfo:
    """What <data-dir>/stack.json holds (no secrets beyond the fixed local database password)."""

    pid: int
    endpoint_url: str
    port: int
    emulator_url: str | None
    discord_port: int | None
    discord_api_base: str
    application_id: str
    public_key: str
    database_url: str
    aws_endpoint_url: str | None
    queue_url: str
    dlq_url: str | None
    table_name: str
    log_file: str
    started_at: float


def stack_file(data_dir: Path) -> Path:
    return Path(data_dir) / STACK_FILE


def read_stack(data_dir: Path) -> StackInfo | None:
    try:
        raw = json.loads(stack_file(data_dir).read_text(encoding="utf-8"))
        return StackInfo(**{k: raw[k] for k in StackInfo.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ticks_held_file(data_dir: str | Path) -> Path:
    """While this file exists in a stack's data folder, its schedule sends no ticks (as a disabled
    EventBridge schedule): `ladderctl load --scenario wave` fills the queue first, so one wave
    pairs everyone."""
    return Path(data_dir) / TICKS_HELD
