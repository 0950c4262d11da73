"""`ladderctl load` against a running local stack: a small burst is counted exactly, and a burst
whose final messages never arrive is reported lost with a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest
from ladderctl.devstack import read_stack
from ladderctl.postgres import connect

from tests.e2e.test_local_stack import ROOT, RunningStack, stack_env, start_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    folder = tmp_path_factory.mktemp("loadstack")
    running = start_stack(folder / "data", folder / "console.txt")
    yield running
    assert running.stop() == 0


def load(stack: RunningStack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ladderctl", "load", "--data-dir", str(stack.data_dir), *args],
                          check=False, cwd=ROOT, env=stack_env(), capture_output=True, text=True, timeout=300)


def test_a_small_burst_is_counted_and_every_user_is_set_up_once(stack: RunningStack) -> None:
    result = load(stack, "-n", "36", "--users", "4", "--concurrency", "4")

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("36 interactions from 4 users")
    assert "4 /setup Confirm" in lines[0] and "/profile" in lines[0] and "/leaderboard" in lines[0]
    assert "non-200 0   lost 0   duplicated 0   write mismatches 0   error messages 0" in result.stdout
    info = read_stack(stack.data_dir)
    conn = connect(info.database_url)
    try:
        [[players]] = conn.run("SELECT count(*) FROM players WHERE discord_user_id BETWEEN "
                               "800000000000000000 AND 800000000000000003")
    finally:
        conn.close()
    assert players == 4


def test_final_messages_that_never_come_are_lost_and_fail_the_run(stack: RunningStack) -> None:
    info = read_stack(stack.data_dir)
    # Discord is down for every edit of an original message: nothing deferred ever gets its answer.
    script = json.dumps({"method": "PATCH", "path_pattern": "/webhooks/*/messages/@original", "status": 503,
                         "body": {"message": "down"}, "times": 100000}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{info.emulator_url}/_emulator/script", data=script,
                                                  method="POST"), timeout=10)

    result = load(stack, "-n", "3", "--users", "1", "--concurrency", "1", "--wait", "2", "--first-user", "50")

    assert result.returncode == 1
    assert "lost 1" in result.stdout
    assert "lost: /setup modal" in result.stdout
