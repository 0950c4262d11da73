"""The registry and the domain's import rules."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest
from ladderline.discord.constants import IntegrationType, InteractionContext, InteractionType
from ladderline.ladder.registry import Registry, registry
from ladderline.ladder.routes import Ack, Route

LADDER = Path(__file__).resolve().parents[2] / "layers" / "code" / "ladderline" / "ladder"


def test_every_registered_command_says_where_it_works_and_how_it_is_installed():
    for command in registry().commands():
        assert command["integration_types"] == [IntegrationType.GUILD_INSTALL], command["name"]
        if command["name"] == "admin":
            # Staff tools act on the server (its members, channels and staff): server only, admins by default.
            assert command["contexts"] == [InteractionContext.GUILD]
            assert command["default_member_permissions"] == "8"
            continue
        # A player's own commands: usable in the server and in the bot's DM.
        assert command["contexts"] == [InteractionContext.GUILD, InteractionContext.BOT_DM], command["name"]
        assert "default_member_permissions" not in command, command["name"]


def test_a_command_that_does_not_say_is_server_only():
    route = Route(key="admin", kind=InteractionType.APPLICATION_COMMAND, ack=Ack.DEFERRED_MESSAGE,
                  handler=lambda ctx: None)  # type: ignore[arg-type, return-value]

    assert route.command_json()["contexts"] == [InteractionContext.GUILD]


def test_timer_and_tick_names_are_unique_across_modules():
    def handler(ctx):
        return None

    module = SimpleNamespace(ROUTES=(), TIMERS={"remind": handler})
    with pytest.raises(ValueError, match="duplicate timer remind"):
        Registry.from_modules((module, module))  # type: ignore[arg-type]
    assert "prune_deliveries" in registry().ticks() and registry().timer("ping_dm") is not None


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_commands_import_no_other_command_and_the_domain_no_queue_or_aws_code():
    for path in LADDER.rglob("*.py"):
        imported = _imports(path)
        assert not {m for m in imported if m.startswith(("ladderline.pipeline", "ladderline.adapters",
                                                         "boto3", "botocore", "pg8000"))}, path
        if path.parent.name == "commands":
            assert not {m for m in imported if m.startswith("ladderline.ladder.commands")}, path


def test_a_tick_runs_the_confirmation_sweep_before_the_wave():
    # A wave of thousands pairs, commits and publishes for seconds; a deadline must not wait for it.
    names = list(registry().ticks())
    assert names[0] == "confirmation_sweep" and "matchmaking_wave" in names[1:]
