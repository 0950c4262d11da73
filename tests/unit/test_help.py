"""/help lists exactly the commands a player may use, where they asked, within Discord's limits."""

from __future__ import annotations

from ladderline.discord.constants import InteractionContext, InteractionType
from ladderline.discord.limits import validate_message
from ladderline.ladder.commands import help as help_command
from ladderline.ladder.i18n import EN
from ladderline.ladder.registry import registry


def _player_commands() -> dict[str, bool]:
    """Registered commands without a permission gate: name -> offered in the bot's DMs."""
    return {r.key: InteractionContext.BOT_DM in r.contexts for r in registry().routes()
            if r.kind == InteractionType.APPLICATION_COMMAND and r.default_member_permissions is None}


def test_help_names_every_player_command_and_where_it_is_offered():
    assert {name: dm for name, _, dm in help_command.COMMANDS} == _player_commands()


def test_help_in_a_server_and_in_dms_is_a_valid_message_listing_the_commands_there():
    for in_dm in (False, True):
        body = help_command.help_body(in_dm, EN)
        assert validate_message(body) == []
        listed = body["embeds"][0]["fields"][1]["value"]
        assert all(f"`/{name}`" in listed for name, dm in _player_commands().items() if dm or not in_dm)
        assert "/admin" not in listed
