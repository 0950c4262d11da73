"""The local stack end to end: `ladderctl dev` in a subprocess, driven over real HTTP.

Interactions go through the Discord emulator's control API (it signs them and tracks their
tokens), the ingress answers over HTTP, the poller feeds the worker from moto's SQS, the worker
writes PostgreSQL and edits the message on the emulator. Nothing is called in-process.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ladderctl.drive.simulate import Simulator
from ladderctl.stack.info import read_stack

from tests.support.local_stack import ROOT, free_port, stack_env

pytestmark = pytest.mark.e2e

START_TIMEOUT_S = 60


@dataclass
class RunningStack:
    process: subprocess.Popen
    data_dir: Path
    output: Path

    def simulator(self, user_id: str = "410212090289192960") -> Simulator:
        info = read_stack(self.data_dir)
        assert info is not None
        return Simulator(info, self.data_dir, user_id=user_id)

    def console(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def start_stack(data_dir: Path, output: Path, *extra: str) -> RunningStack:
    # The playground's fixed port would collide between stacks: only the browser tests ask for one.
    playground = () if "--playground-port" in extra else ("--no-playground",)
    command = [sys.executable, "-m", "ladderctl", "dev", "--data-dir", str(data_dir),
               "--port", str(free_port()), "--discord-port", str(free_port()), *playground, *extra]
    out = open(output, "a", encoding="utf-8")  # noqa: SIM115 - the child writes to it until stopped
    process = subprocess.Popen(command, cwd=ROOT, env=stack_env(), stdout=out, stderr=subprocess.STDOUT)
    out.close()
    stack = RunningStack(process, data_dir, output)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"ladderctl dev exited with {process.returncode}:\n{stack.console()}")
        info = read_stack(data_dir)
        if info is not None and info.pid == process.pid and stack.simulator().reachable():
            return stack
        time.sleep(0.1)
    stack.stop(signal.SIGKILL)
    raise AssertionError(f"ladderctl dev did not come up in {START_TIMEOUT_S} s:\n{stack.console()}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    folder = tmp_path_factory.mktemp("devstack")
    running = start_stack(folder / "data", folder / "console.txt", "--tick-seconds", "1")
    yield running
    assert running.stop() == 0


def test_ping_is_answered_then_edited_and_each_step_is_printed(stack: RunningStack) -> None:
    sim = stack.simulator()

    outcome = sim.command("ping")

    assert outcome.status == 200
    assert outcome.response == {"type": 5, "data": {"flags": 64}}
    assert not outcome.waited_out
    assert outcome.message["content"].startswith("Pong!")
    assert outcome.message["flags"] & 64  # ephemeral, as the route says
    tail = "#" + outcome.interaction["id"][-6:]

    def steps_printed() -> list[str]:
        lines = [line for line in stack.console().splitlines() if tail in line]
        return [line.split("/ping", 1)[1].strip() for line in lines]

    # The worker logs "edited" after Discord answered the edit, which the simulator may see first:
    # the line reaches the console a moment later, from the worker host's process.
    deadline = time.monotonic() + 10
    while len(steps := steps_printed()) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [s.split(" ")[0] for s in steps] == ["received", "answered", "job", "edited"]
    assert "(5 deferred, ephemeral)" in steps[1]
    assert steps[3].endswith("(ok)")
    assert outcome.interaction["token"] not in stack.console()


def test_setup_flow_modal_submit_then_confirm(stack: RunningStack) -> None:
    sim = stack.simulator(user_id="700000000000000001")

    opened = sim.command("setup", {"country": "DE", "region": "EUW"})
    submitted = sim.submit_modal({"player_name": "Stacky", "alt_names": "", "battletag": "Stacky#1234"})
    confirmed = sim.click("Confirm")
    profile = sim.command("profile")

    assert opened.callback_type == 9 and opened.modal["custom_id"] == "setup_modal:DE:EUW"
    assert submitted.callback_type == 5
    assert submitted.message["embeds"][0]["title"] == "Check your ladder profile"
    assert confirmed.callback_type == 7
    assert confirmed.message["embeds"][0]["title"] == "✅ Profile created"
    assert all(c.get("disabled") for row in confirmed.message["components"] for c in row["components"])
    assert profile.message["embeds"][0]["title"] == "Stacky"


def test_simulate_like_the_client_options_anywhere_refused_modal_then_try_again_prefilled(
        stack: RunningStack, capsys) -> None:
    from ladderctl.cli import main

    def simulate(*args: str) -> tuple[int, str, str]:
        code = main(["simulate", "--data-dir", str(stack.data_dir), *args])
        out, err = capsys.readouterr()
        return code, out, err

    capsys.readouterr()
    # Options after the command, mixed with simulate's own (--as after the action too).
    code, out, _ = simulate("command", "setup", "region:EUW", "--as", "carol", "--opt", "country=DE")
    assert code == 0
    assert "modal setup_modal:DE:EUW" in out

    # Longer than the input's max_length: the client stops typing, so nothing is sent.
    code, _, err = simulate("--as", "carol", "modal", "player_name=ThirteenChars", "battletag=Carol#1234")
    assert code == 1
    assert "player_name is 13 characters, at most 12 fit" in err
    assert "--field player_name=... (Player name)" in err

    # Valid for the client, refused by the bot (the tag needs 3-5 digits), then "Try again".
    code, out, _ = simulate("--as", "carol", "modal", "--field", "player_name=Carol_B", "battletag=Carol#12")
    assert code == 0
    assert "Your profile was not saved" in out and "[Try again]" in out
    code, out, _ = simulate("--as", "carol", "click", "Try again")
    assert code == 0
    assert "modal setup_modal:DE:EUW" in out
    assert "--field player_name=... (Player name) [3–12 English letters (A–Z), your main in-game name] prefilled 'Carol_B'" in out
    assert "prefilled 'Carol#12'" in out


def test_autocomplete_is_answered_in_line(stack: RunningStack) -> None:
    outcome = stack.simulator().autocomplete("setcountry", {"country": "ger"})

    assert outcome.callback_type == 8
    assert {"name": "🇩🇪 Germany", "value": "DE"} in outcome.response["data"]["choices"]


def test_a_timer_comes_back_after_its_delay_and_dms_the_player(stack: RunningStack, capsys) -> None:
    from ladderctl.cli import main
    from ladderctl.drive.simulate import PLAYERS

    alice = stack.simulator(user_id=PLAYERS["alice"])

    outcome = alice.command("ping", {"dm_after": "2"})

    assert "I'll DM you in 2 s." in outcome.message["content"]
    assert alice.dms() == []  # DelaySeconds: not before its time
    [dm] = alice.dms(at_least=1, wait=20)
    assert dm["content"].startswith("⏰ Pong from a timer")
    # `simulate --as` shows a player's DMs; another player has none.
    capsys.readouterr()
    assert main(["simulate", "--data-dir", str(stack.data_dir), "--as", "alice", "dms"]) == 0
    assert "1 DM(s) from the bot to" in capsys.readouterr().out
    assert main(["simulate", "--data-dir", str(stack.data_dir), "--as", "bob", "dms"]) == 0
    assert "no DMs from the bot" in capsys.readouterr().out


def test_ticks_run_the_tick_handlers_every_few_seconds(stack: RunningStack) -> None:
    from tests.support.postgres import pg_connect

    info = read_stack(stack.data_dir)
    assert info is not None
    db = pg_connect(info.database_url)
    db.run("INSERT INTO deliveries (delivery_key, kind, job_key, channel_id, message_id, outcome, recorded_at) "
           "VALUES ('e2e-stale', 'dm', 'j', 1, 2, 'sent', now() - interval '40 days')")

    deadline = time.monotonic() + 20
    while db.run("SELECT 1 FROM deliveries WHERE delivery_key = 'e2e-stale'") and time.monotonic() < deadline:
        time.sleep(0.2)

    assert db.run("SELECT 1 FROM deliveries WHERE delivery_key = 'e2e-stale'") == []  # the prune tick ran
    db.close()


def test_data_survives_a_restart_on_the_same_folder(tmp_path: Path) -> None:
    data_dir, output = tmp_path / "data", tmp_path / "console.txt"
    first = start_stack(data_dir, output)
    try:
        sim = first.simulator(user_id="700000000000000002")
        sim.command("setup", {"country": "FI", "region": "EUW"})
        sim.submit_modal({"player_name": "Keeper", "battletag": "Keeper#4321"})
        assert sim.click("Confirm").message["embeds"][0]["title"] == "✅ Profile created"
    finally:
        assert first.stop(signal.SIGTERM) == 0
    assert read_stack(data_dir) is None  # a clean stop removes stack.json

    second = start_stack(data_dir, output)
    try:
        profile = second.simulator(user_id="700000000000000002").command("profile")
    finally:
        assert second.stop() == 0

    assert profile.message["embeds"][0]["title"] == "Keeper"
    assert "Finland" in profile.message["embeds"][0]["description"]


def test_a_port_in_use_is_one_readable_line_and_exit_code_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = subprocess.run(
            [sys.executable, "-m", "ladderctl", "dev", "--data-dir", str(tmp_path / "data"), "--port", str(port)],
            check=False, cwd=ROOT, env=stack_env(), capture_output=True, text=True, timeout=60)

    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert errors == [
        f"ladderctl dev: port {port} on 127.0.0.1 is already in use (another `ladderctl dev`? choose one with --port)"
    ]


def test_a_second_stack_on_the_same_folder_refuses_and_the_first_keeps_working(stack: RunningStack) -> None:
    # Its own free ports, so only the data folder is shared; before the lock, this second stack
    # restarted the first one's PostgreSQL on another port and the first stack's jobs all failed.
    assert stack.simulator().command("ping").message["content"].startswith("Pong!")
    second = subprocess.run(
        [sys.executable, "-m", "ladderctl", "dev", "--data-dir", str(stack.data_dir),
         "--port", str(free_port()), "--discord-port", str(free_port())],
        check=False, cwd=ROOT, env=stack_env(), capture_output=True, text=True, timeout=60)

    assert second.returncode == 1
    errors = second.stderr.strip().splitlines()
    assert len(errors) == 1
    assert errors[0].startswith(f"ladderctl dev: {stack.data_dir.resolve()} is in use by another local stack "
                                f"(pid {stack.process.pid}: ")
    assert "ladderctl dev --data-dir" in errors[0]
    info = read_stack(stack.data_dir)
    assert info is not None and info.pid == stack.process.pid  # stack.json still names the first
    assert stack.simulator().command("ping").message["content"].startswith("Pong!")  # its database still answers


# --- the ladder: two players from /queue to a result, over HTTP -------------------------------------
def _text(message: dict | None) -> str:
    if not message:
        return ""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f.get('name')}: {f.get('value')}" for f in embed.get("fields") or []]
    return "\n".join(parts)


def _dm(sim: Simulator, needle: str, wait: float = 30) -> dict:
    """The bot's DM to this player that mentions `needle` (waits for it)."""
    deadline = time.monotonic() + wait
    while True:
        found = [m for m in sim.dms() if needle in _text(m)]
        if found or time.monotonic() >= deadline:
            assert found, f"no DM with {needle!r}; the DMs are: {[_text(m)[:80] for m in sim.dms()]}"
            return found[-1]
        time.sleep(0.2)


def _ready(stack: RunningStack, user_id: str, name: str, code: str) -> Simulator:
    """A player set up through the commands: /setup, the terms, /activate."""
    sim = stack.simulator(user_id=user_id)
    sim.last_file = f"last-{user_id}.json"  # each player keeps their own last message
    sim.command("setup", {"country": "DE", "region": "EUW"})
    sim.submit_modal({"player_name": name, "alt_names": "", "battletag": f"{name}#1234"})
    assert sim.click("Confirm").message["embeds"][0]["title"] == "✅ Profile created"
    sim.command("termsofservice")
    sim.click("Accept")
    assert sim.command("activate", {"code": code}).status == 200
    return sim


def _in_dms(sim: Simulator) -> Simulator:
    """The same player clicking in the bot's DMs (no guild: Discord sends DM interactions without one)."""
    return Simulator(sim.info, sim.data_dir, user_id=sim.user_id, guild_id=None,
                     last_file=f"last-dm-{sim.user_id}.json")


def test_two_players_queue_are_matched_on_a_tick_confirm_report_and_get_plus_minus_20(stack: RunningStack,
                                                                                      capsys) -> None:
    from ladderctl.cli import main
    from ladderctl.drive.simulate import PLAYERS
    from ladderline.ladder.commands.activate import hash_code

    from tests.support.postgres import pg_connect

    info = read_stack(stack.data_dir)
    assert info is not None
    db = pg_connect(info.database_url)
    db.run("INSERT INTO activation_codes (code_hash, max_uses) VALUES (:h, 10) ON CONFLICT DO NOTHING",
           h=hash_code("E2E-LADDER"))
    db.close()
    carol = _ready(stack, PLAYERS["carol"], "Carol", "E2E-LADDER")
    dave = _ready(stack, PLAYERS["dave"], "Dave", "E2E-LADDER")

    # /queue: each picks a race (saved at once) and joins; the message turns into "Searching".
    searching_tokens = {}
    for sim, select, race, shown in ((carol, "q:bw", "bw_zerg", "Zerg"), (dave, "q:sc2", "sc2_terran", "Terran")):
        opened = sim.command("queue")
        assert "Matchmaking queue" in _text(opened.message)
        assert shown in _text(sim.select(select, [race]).message)
        searching = sim.click("Join queue")
        searching_tokens[sim.user_id] = searching.interaction["token"]
        if sim is dave and "Match #" in _text(searching.message):
            continue  # a wave (every second here) ran before the message was read: already matched
        assert "Searching" in _text(searching.message), _text(searching.message)
        assert "<t:" in _text(searching.message)  # the next wave counts down in the client

    # A tick (every second here) runs the wave: both get "Match #N found" with Confirm / Abort.
    found = {name: _dm(sim, "found") for name, sim in (("carol", carol), ("dave", dave))}
    number = _text(found["carol"]).split("Match #", 1)[1].split(" ", 1)[0]
    assert f"Match #{number} found" in _text(found["dave"])
    assert "Dave" in _text(found["carol"]) and "Carol" in _text(found["dave"])
    # The Searching messages (ephemeral: only the Join click's token can edit them) say so too.
    for sim in (carol, dave):
        deadline = time.monotonic() + 30
        while (f"Match #{number} found" not in _text(sim._message(searching_tokens[sim.user_id]))
               and time.monotonic() < deadline):
            time.sleep(0.2)
        assert f"Match #{number} found" in _text(sim._message(searching_tokens[sim.user_id]))

    # Both confirm in their DMs: both get the match card.
    for sim in (carol, dave):
        confirmed = _in_dms(sim).click("Confirm", message=found["carol" if sim is carol else "dave"])
        assert confirmed.status == 200 and not confirmed.waited_out
    cards = {name: _dm(sim, "Host the lobby") for name, sim in (("carol", carol), ("dave", dave))}
    for card in cards.values():
        text = _text(card)
        assert f"Match #{number}: " in text and "Carol#1234" in text and "Dave#1234" in text
        assert "Match settings" in text and "Not reported yet" in text

    # Reports: "I won" asks first (a follow-up with one button), then reports.
    in_dm = _in_dms(carol)
    asked = in_dm.click("I won", message=cards["carol"])
    [question] = in_dm.followups(asked)
    assert f"Report **I won** for match #{number}?" in question["content"]
    reported = in_dm.click("Yes, report “I won”", message=question)
    assert "You reported **I won**" in _text(reported.message), _text(reported.message)
    # Dave does the same from the command line: `simulate --as dave click "I lost" --in-dms`.
    capsys.readouterr()
    cli = ["simulate", "--data-dir", str(stack.data_dir), "--as", "dave"]
    assert main([*cli, "click", "I lost", "--in-dms"]) == 0
    assert f"Report **I lost** for match #{number}?" in capsys.readouterr().out
    assert main([*cli, "--dm", "click", "Yes, report “I lost”"]) == 0
    assert "You reported **I lost**" in capsys.readouterr().out

    # The second report finalised the match: both get the result with ±20 at equal ratings.
    assert "1500 → 1520 (+20" in _text(_dm(carol, f"Match #{number} result"))
    assert "1500 → 1480 (-20" in _text(_dm(dave, f"Match #{number} result"))
    profile = carol.command("profile")
    assert "MMR **1520**" in _text(profile.message) and "Won (+20)" in _text(profile.message)
    # The ranks function runs on the tick's schedule: within a few ticks Carol's letter is on her
    # profile and she leads the board (the one ranked match made her the best ranked entry).
    deadline = time.monotonic() + 30
    while "Rank **" not in _text(profile.message) and time.monotonic() < deadline:
        time.sleep(1)
        profile = carol.command("profile")
    assert "Rank **" in _text(profile.message) and "#1 of 2" in _text(profile.message), _text(profile.message)
    board = carol.command("leaderboard")
    assert "**#1**" in _text(board.message) and board.message["embeds"][0]["footer"]["text"].endswith("ranks as of")


def test_demo_while_a_stack_is_starting_on_the_folder_refuses_without_touching_it(tmp_path: Path) -> None:
    # A stack that holds the folder but has not written stack.json yet (still starting): a real
    # process holding the lock as `ladderctl dev` does first thing.
    data_dir = tmp_path / "data"
    holder_code = ("import sys; from pathlib import Path; from ladderctl.stack.folder_lock import FolderLock\n"
                   "with FolderLock(Path(sys.argv[1]), owner='ladderctl dev'):\n"
                   "    print('locked', flush=True); sys.stdin.read()\n")
    holder = subprocess.Popen([sys.executable, "-c", holder_code, str(data_dir)], cwd=ROOT, env=stack_env(),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        demo = subprocess.run([sys.executable, "-m", "ladderctl", "demo", "--data-dir", str(data_dir)],
                              check=False, cwd=ROOT, env=stack_env(), capture_output=True, text=True, timeout=120)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)

    assert demo.returncode == 1
    expected = (f"ladderctl demo: {data_dir.resolve()} is in use by another local stack "
                f"(pid {holder.pid}: ladderctl dev); stop it first, or use another --data-dir")
    assert demo.stderr.strip().splitlines() == [expected]
    assert not (data_dir / "postgres").exists()  # it started nothing on the held folder


def test_make_demo_walks_two_players_to_a_result_and_prints_both_ratings(stack: RunningStack, capsys) -> None:
    from ladderctl.cli import main

    assert main(["demo", "--data-dir", str(stack.data_dir)]) == 0
    out = capsys.readouterr().out
    assert "FAILED" not in out
    ratings = [line for line in out.splitlines() if line.startswith("rating now: ")]
    # The reported match (±20), then the one a real replay decided (its MMRs 1500 and 1480: ±19).
    assert [r.split(" ", 3)[3] for r in ratings] == ["BW Protoss 1520 (from 1500)", "SC2 Protoss 1519 (from 1500)",
                                                    "SC2 Zerg 1461 (from 1500)"]
    assert "A.I.: refused, nothing changed" in out and "is decided by your replay" in out
    # The sample players it added for a second leaderboard page are gone again, ranks included.
    from tests.support.postgres import pg_connect

    info = read_stack(stack.data_dir)
    assert info is not None
    db = pg_connect(info.database_url)
    try:
        assert db.run("SELECT count(*) FROM players WHERE discord_user_id > 990000000000000000") == [[0]]
        # The replay that decided the second match is recorded with its S3 key.
        assert db.run("SELECT count(*) FROM matches_1v1 m JOIN replays r ON r.content_hash = m.decided_by_replay "
                      "WHERE r.s3_key LIKE 'replays/%'")[0][0] >= 1
        assert db.run("SELECT count(*) FROM ranked_entries WHERE discord_user_id > 990000000000000000") == [[0]]
    finally:
        db.close()
    assert "removed the 24 sample players again" in out
