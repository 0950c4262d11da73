"""Part W (issue 20): `ladderctl load --scenario wave` at WAVE_PLAYERS players on a fresh local stack.

Starts `ladderctl dev` (its own PostgreSQL, moto and the Discord emulator with Discord's rate limits)
in a temporary folder, runs the scenario (joins through the real ingress, the stack's ticks run the
waves, players confirm, abort or ignore) and prints its checks and the time to the last DM. Passes
when every check passes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.local_stack import ROOT, free_port, stack_env

WAVE_PLAYERS = int(os.environ.get("BENCH_WAVE_PLAYERS", "2000"))
# BENCH_WAVE_KNOWN=1: players the bot has DMed before (DM channels open), as in `--known-players`.
KNOWN_PLAYERS = os.environ.get("BENCH_WAVE_KNOWN", "") == "1"
TICK_SECONDS = 5.0  # the local stack's default


def run_part_w(players: int = WAVE_PLAYERS) -> bool:
    from ladderctl.drive.load_wave import run_wave_scenario
    from ladderctl.stack.info import read_stack

    folder = Path(tempfile.mkdtemp(prefix="ladderline-bench-w-"))
    console = open(folder / "console.txt", "w", encoding="utf-8")  # noqa: SIM115 - the child writes to it
    process = subprocess.Popen(
        [sys.executable, "-m", "ladderctl", "dev", "--data-dir", str(folder / "data"), "--no-playground",
         "--port", str(free_port()), "--discord-port", str(free_port()), "--tick-seconds", str(TICK_SECONDS)],
        cwd=ROOT, env=stack_env(), stdout=console, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        info = None
        while time.monotonic() < deadline and process.poll() is None:
            info = read_stack(folder / "data")
            if info is not None and info.pid == process.pid:
                break
            time.sleep(0.2)
        if info is None or process.poll() is not None:
            print("Part W: the local stack did not start:\n" + (folder / "console.txt").read_text()[-2000:])
            return False
        print(f"Part W: `ladderctl load --scenario wave --players {players}` on a fresh local stack "
              f"(ticks every {TICK_SECONDS:g} s; the emulator enforces Discord's global and per-route limits)",
              flush=True)
        args = argparse.Namespace(players=players, first_user=0, concurrency=32, wait=60.0, settle=900.0,
                                  tick_seconds=TICK_SECONDS, known_players=KNOWN_PLAYERS)
        started = time.perf_counter()
        report = run_wave_scenario(info, args)
        print(report.render())
        print(f"{'PASS' if not report.failed else 'FAIL'} in {time.perf_counter() - started:.0f} s")
        return not report.failed
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        console.close()
        shutil.rmtree(folder, ignore_errors=True)
