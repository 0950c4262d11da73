"""The local stack end to end: `ladderctl dev` in a subprocess, driven over real HTTP.

Interactions go through the Discord emulator's control API (it signs them and tracks their
tokens), the ingress answers over HTTP, the poller feeds the worker from moto's SQS, the worker
writes PostgreSQL and edits the message on the emulator. Nothing is called in-process.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ladderctl.devstack import read_stack
from ladderctl.simulate import Simulator

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60
# Variables that would point the stack at real Discord, real AWS or another database.
_OUTSIDE = ("DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID", "DISCORD_API_BASE", "DATABASE_URL",
            "LADDER_USE_REAL_AWS", "QUEUE_URL", "IDEMPOTENCY_TABLE", "AWS_ENDPOINT_URL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stack_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _OUTSIDE}


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
    lines = [line for line in stack.console().splitlines() if tail in line]
    steps = [line.split("/ping", 1)[1].strip() for line in lines]
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


def test_autocomplete_is_answered_in_line(stack: RunningStack) -> None:
    outcome = stack.simulator().autocomplete("setcountry", {"country": "ger"})

    assert outcome.callback_type == 8
    assert {"name": "🇩🇪 Germany", "value": "DE"} in outcome.response["data"]["choices"]


def test_a_timer_comes_back_after_its_delay_and_dms_the_player(stack: RunningStack, capsys) -> None:
    from ladderctl.cli import main
    from ladderctl.simulate import PLAYERS

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
