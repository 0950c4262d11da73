"""`ladderctl register` against the Discord emulator: diff, dry run, bulk overwrite, 429, errors."""

from __future__ import annotations

import json

import pytest
from ladderctl.cli import main
from ladderctl.stack.discord_emulator import DiscordEmulator
from ladderline.discord.rest import MAX_RATE_LIMITED
from ladderline.ladder.registry import registry

from tests.support.interactions import APPLICATION_ID, GUILD_ID

TOKEN = "bot-token-for-tests-0123456789"
COMMANDS = f"/api/v10/applications/{APPLICATION_ID}/commands"


@pytest.fixture
def emulator(monkeypatch):
    with DiscordEmulator(bot_token=TOKEN) as emulator:
        monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("DISCORD_APPLICATION_ID", APPLICATION_ID)
        monkeypatch.setenv("DISCORD_API_BASE", emulator.base_url)
        yield emulator


def names(commands):
    return sorted(c["name"] for c in commands)


def test_print_exports_the_registry_without_a_token(monkeypatch, capsys):
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)

    assert main(["register", "--print"]) == 0

    exported = json.loads(capsys.readouterr().out)
    assert exported == json.loads(json.dumps(registry().commands()))
    assert {"ping", "profile", "leaderboard"} <= {c["name"] for c in exported}


def test_first_registration_adds_every_command(emulator, capsys):
    assert main(["register"]) == 0

    out = capsys.readouterr()
    assert names(emulator.commands(APPLICATION_ID)) == names(registry().commands())
    assert "+ /profile (added)" in out.out
    assert f"{len(registry().commands())} added, 0 removed, 0 changed, 0 unchanged" in out.out
    assert TOKEN not in out.out + out.err
    [get, put] = [r for r in emulator.requests if r.path == COMMANDS]
    assert (get.method, put.method) == ("GET", "PUT")
    assert put.headers["authorization"] == f"Bot {TOKEN}"


def test_dry_run_prints_the_diff_and_changes_nothing(emulator, capsys):
    stale = [
        {"name": "ping", "type": 1, "description": "old words", "options": []},
        {"name": "oldcommand", "type": 1, "description": "gone soon"},
    ]
    emulator.script("GET", f"/applications/{APPLICATION_ID}/commands", 200, body=stale)

    assert main(["register", "--dry-run"]) == 0

    out = capsys.readouterr().out
    [ping] = [line for line in out.splitlines() if line.startswith("~ /ping (changed: ")]
    assert 'description: "old words" -> "Check that the bot answers' in ping
    # Where it works and how it is installed are part of the command (and of the diff).
    assert "contexts: (none) -> [0,1]" in ping and "integration_types: (none) -> [0]" in ping
    assert "- /oldcommand (removed)" in out
    assert "+ /leaderboard (added)" in out
    assert "dry run: nothing changed" in out
    assert not [r for r in emulator.requests if r.method == "PUT"]
    assert emulator.commands(APPLICATION_ID) == []


def test_a_second_run_sees_no_change_and_sends_nothing(emulator, capsys):
    assert main(["register"]) == 0
    capsys.readouterr()

    assert main(["register"]) == 0

    out = capsys.readouterr().out
    assert "0 added, 0 removed, 0 changed" in out
    assert "= /leaderboard (unchanged)" in out
    assert len([r for r in emulator.requests if r.method == "PUT"]) == 1


def test_guild_registration_uses_the_guild_route(emulator):
    assert main(["register", "--guild", GUILD_ID]) == 0

    assert names(emulator.commands(APPLICATION_ID, GUILD_ID)) == names(registry().commands())
    assert emulator.commands(APPLICATION_ID) == []


def test_a_429_is_waited_out_and_retried(emulator, capsys):
    emulator.script("PUT", f"/applications/{APPLICATION_ID}/commands", 429,
                    body={"message": "You are being rate limited.", "retry_after": 0.05, "global": False})

    assert main(["register"]) == 0

    puts = [r for r in emulator.requests if r.method == "PUT"]
    assert [r.status for r in puts] == [429, 200]
    assert "rate limited" in capsys.readouterr().err
    assert names(emulator.commands(APPLICATION_ID)) == names(registry().commands())


def test_endless_429s_give_up_with_one_line(emulator, capsys):
    emulator.script("GET", f"/applications/{APPLICATION_ID}/commands", 429,
                    body={"message": "You are being rate limited.", "retry_after": 0.01, "global": False},
                    times=MAX_RATE_LIMITED + 5)

    assert main(["register"]) == 1

    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("ladderctl register: GET ") and "still rate limited" in err[-1]


def test_a_wrong_token_is_one_clear_line_and_never_printed(emulator, monkeypatch, capsys):
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "wrong-token-abcdef")

    assert main(["register"]) == 1

    out = capsys.readouterr()
    assert out.err.strip() == (f"ladderctl register: GET /applications/{APPLICATION_ID}/commands: "
                               "401 Unauthorized: Discord refused the bot token in DISCORD_BOT_TOKEN")
    assert "wrong-token" not in out.out + out.err


def test_missing_token_or_application_id_fail_before_any_request(emulator, monkeypatch, capsys):
    monkeypatch.delenv("DISCORD_BOT_TOKEN")
    assert main(["register"]) == 1
    assert "set DISCORD_BOT_TOKEN" in capsys.readouterr().err

    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("DISCORD_APPLICATION_ID")
    assert main(["register"]) == 1
    assert "--application-id" in capsys.readouterr().err
    assert emulator.requests == []


def test_application_id_flag_wins_over_the_environment(emulator):
    assert main(["register", "--application-id", "42"]) == 0

    assert names(emulator.commands("42")) == names(registry().commands())


def test_the_commands_are_registered_in_the_players_languages_and_a_bad_locale_is_refused(emulator, capsys):
    import requests

    assert main(["register"]) == 0

    stored = {c["name"]: c for c in emulator.commands(APPLICATION_ID)}
    assert stored["queue"]["name_localizations"] == {"es-419": "cola", "ko": "대기열", "ru": "очередь", "zh-CN": "排队"}
    assert stored["queue"]["description_localizations"]["ko"] == "1대1 래더 경기 대기열에 들어갑니다"
    bad = [{"name": "queue", "description": "Queue", "name_localizations": {"kr": "대기열"}},
           {"name": "ping", "description": "Ping", "name_localizations": {"ru": "Пинг"}}]
    refused = requests.put(f"{emulator.base_url}/applications/{APPLICATION_ID}/commands", json=bad,
                           headers={"Authorization": f"Bot {TOKEN}"}, timeout=5)
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert "kr" in errors["0"]["name_localizations"] and "ru" in errors["1"]["name_localizations"]
