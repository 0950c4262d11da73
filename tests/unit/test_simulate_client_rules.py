"""`ladderctl simulate` refuses what Discord's client would never send, with the command's definition,
before looking for a stack; --help lists the registry's commands; options come in any order."""

from __future__ import annotations

from pathlib import Path

import pytest
from ladderctl.cli import main
from ladderctl.drive.client_rules import ClientRefusal, command_data, commands, describe_command
from ladderctl.drive.simulate import SimulateError, check_modal_fields
from ladderline.ladder.commands.setup import modal_for
from ladderline.ladder.i18n import EN

NO_STACK = "no running stack found"


def simulate(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[int, str, str]:
    code = main(["simulate", "--data-dir", str(tmp_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_unknown_command_is_refused_with_the_registry_listing(capsys, tmp_path) -> None:
    code, _, err = simulate(capsys, tmp_path, "command", "nope")

    assert code == 1
    assert err.startswith("ladderctl simulate: /nope is not a command of this application")
    for name in commands():
        assert f"\n  /{name}  - " in err


@pytest.mark.parametrize(("args", "problem"), [
    (["setup", "country:DE"], "/setup: missing required option region;"),
    (["setup", "country:DE", "region:MOON"], "/setup: 'MOON' is not a choice of option region;"),
    (["setup", "country:DE", "region:EUW", "colour:red"],
     "/setup: no option colour in /setup country:<text> region:<NAW|NAC|NAE|...> [language:<auto|en|es-419|...>];"),
    (["ping", "dm_after:901"], "/ping: option dm_after = 901 is outside 0..900;"),
    (["ping", "dm_after:soon"], "/ping: option dm_after must be an integer, not 'soon';"),
    (["profile", "user:bob_the_great"], "/profile: option user must be a user id (a number), not 'bob_the_great';"),
    (["activate", "code:" + "x" * 101], "/activate: option code is 101 characters long, outside 0-100;"),
    (["admin"], ("/admin: a subcommand is required (resolve, adjust_mmr, player, match, remove_queue, unstick, "
                 "staff, code, ban, unban, clear_queue, status, application_panel);")),
    (["admin", "match"], "/admin: missing required option match_id;"),
    (["ping", "dm_after:1", "dm_after:2"], "dm_after is given twice"),
])
def test_what_the_client_would_not_send_is_refused_with_the_command_definition(capsys, tmp_path, args, problem):
    code, _, err = simulate(capsys, tmp_path, "command", *args)

    assert code == 1
    assert problem in err.splitlines()[0]
    if "given twice" not in problem:
        name = args[0]
        chosen = tuple(a for a in args[1:2] if ":" not in a)  # a subcommand, when one was typed
        # The definition of what was typed: the command's, or the chosen subcommand's alone.
        assert describe_command(commands()[name], path=chosen) in err
    assert NO_STACK not in err  # refused before looking for a stack


def test_a_non_numeric_acting_user_is_refused(capsys, tmp_path) -> None:
    code, _, err = simulate(capsys, tmp_path, "--user", "alice_smith", "command", "ping")

    assert code == 1
    assert err.strip() == ("ladderctl simulate: --user 'alice_smith' is not a Discord id "
                           "(a number, e.g. 410212090289192960)")


@pytest.mark.parametrize("args", [
    ["command", "setup", "country:DE", "region:EUW"],
    ["command", "setup", "region=EUW", "country=DE"],
    ["command", "--opt", "region=EUW", "setup", "country:DE"],
    ["command", "setup", "--as", "alice", "country:DE", "--opt", "region=EUW", "--json"],
    ["--as", "alice", "command", "setup", "region:Western Europe", "country:DE"],  # a choice by its name
])
def test_options_are_accepted_in_any_order_and_position(capsys, tmp_path, args) -> None:
    code, _, err = simulate(capsys, tmp_path, *args)

    assert code == 1
    assert err.startswith(f"ladderctl simulate: {NO_STACK}")  # it got past every check


def test_the_data_sent_nests_subcommands_and_types_values_like_the_client() -> None:
    data = command_data("admin", ["adjust_mmr"], {"value": "25", "user": "alice", "race": "SC2 Zerg",
                                                  "operation": "add", "reason": "test"},
                        snowflake="1", resolve_user=lambda name: {"alice": "700000000000000101"}.get(name))

    [sub] = data["options"]
    assert (sub["name"], sub["type"]) == ("adjust_mmr", 1)
    assert {o["name"]: o["value"] for o in sub["options"]} == {
        "value": 25, "user": "700000000000000101", "race": "sc2_zerg", "operation": "add", "reason": "test"}


def test_autocomplete_needs_an_option_that_has_it() -> None:
    data = command_data("setcountry", [], {"country": "ger"}, snowflake="1", focused="country")
    assert data["options"] == [{"name": "country", "type": 3, "value": "ger", "focused": True}]
    with pytest.raises(ClientRefusal, match="option dm_after has no autocomplete"):
        command_data("ping", [], {"dm_after": "1"}, snowflake="1", focused="dm_after")


def test_simulate_help_lists_every_command_and_its_options(capsys, tmp_path) -> None:
    with pytest.raises(SystemExit) as done:
        main(["simulate", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for name, command in commands().items():
        assert f"/{name}  - {command['description']}" in out
    assert "dm_after:  integer, 0..900" in out


def test_command_help_lists_the_commands_or_one_commands_options(capsys, tmp_path) -> None:
    code, listing, _ = simulate(capsys, tmp_path, "command", "--help")
    assert code == 0 and all(f"/{name}  - " in listing for name in commands())

    code, one, _ = simulate(capsys, tmp_path, "command", "setup", "--help")
    assert code == 0
    assert one.splitlines()[0] == "usage: ladderctl simulate command setup country:<text> region:<NAW|NAC|NAE|...> [language:<auto|en|es-419|...>]"
    assert "country:  text, required, at most 100 characters, autocomplete" in one
    assert "/ping" not in one


def test_a_modal_field_longer_than_its_input_is_refused_with_the_modal() -> None:
    modal = modal_for("DE", "EUW", EN)["data"]  # what the last modal holds: the response's data
    with pytest.raises(SimulateError) as refused:
        check_modal_fields(modal, {"player_name": "ThirteenChars", "battletag": "Serral#2114"})
    message = str(refused.value)
    assert message.startswith("modal setup_modal:DE:EUW: player_name is 13 characters, at most 12 fit")
    assert "--field player_name=... (Player name)" in message  # the modal's own definition

    with pytest.raises(SimulateError, match="battletag is required"):
        check_modal_fields(modal, {"player_name": "Serral"})
    with pytest.raises(SimulateError, match="player_name is 2 characters, at least 3 are needed"):
        check_modal_fields(modal, {"player_name": "ab", "battletag": "Serral#2114"})
    with pytest.raises(SimulateError, match="the modal has no field colour"):
        check_modal_fields(modal, {"colour": "red"})
    check_modal_fields(modal, {"player_name": "Serral", "battletag": "Serral#2114"})  # alt_names is optional


def test_a_refused_subcommand_shows_its_own_definition_not_the_whole_command(capsys, tmp_path) -> None:
    code, _, err = simulate(capsys, tmp_path, "command", "admin", "match", "colour:red")

    assert code == 1
    assert "no option colour in /admin match match_id:<integer>" in err.splitlines()[0]
    assert "The subcommand:\n  /admin match  - " in err
    assert "resolve" not in err and "adjust_mmr" not in err  # the other subcommands are not listed
    assert len(err.splitlines()) < 6
