"""`ladderctl load` against a running local stack: a small burst is counted exactly, and a burst
whose final messages never arrive is reported lost with a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest
from ladderctl.postgres import connect
from ladderctl.stack.info import read_stack

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
                          check=False, cwd=ROOT, env=stack_env(), capture_output=True, text=True, timeout=420)


def test_a_small_burst_is_counted_and_every_user_is_set_up_once(stack: RunningStack) -> None:
    result = load(stack, "-n", "36", "--users", "4", "--concurrency", "4")

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("36 interactions from 4 users")
    assert "4 /setup Confirm" in lines[0] and "/profile" in lines[0] and "/leaderboard" in lines[0]
    assert "non-200 0   lost 0   duplicated 0   write mismatches 0   error messages 0" in result.stdout
    assert "tokens in dev.log 0 (each of the 36 interaction tokens searched for" in result.stdout
    info = read_stack(stack.data_dir)
    conn = connect(info.database_url)
    try:
        [[players]] = conn.run("SELECT count(*) FROM players WHERE discord_user_id BETWEEN "
                               "800000000000000000 AND 800000000000000003")
    finally:
        conn.close()
    assert players == 4


def test_the_wave_scenario_matches_everyone_tells_each_once_and_every_match_ends_by_its_deadline(
        stack: RunningStack) -> None:
    # 20 players queue through the ingress; 16 confirm, 2 abort, 2 ignore the DM until the deadline.
    result = load(stack, "--scenario", "wave", "--players", "20", "--concurrency", "8", "--settle", "240")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "20 players, 20 joined through the ingress, 20 matched in 10 matches" in result.stdout
    for check in ('exactly one "found" DM per matched player', "every match ended within its deadline + 2 ticks",
                  "nobody left in a match or the queue who should not be", "dead-letter queue empty"):
        assert f"PASS: {check}" in result.stdout, result.stdout
    info = read_stack(stack.data_dir)
    conn = connect(info.database_url)
    try:
        statuses = dict(conn.run("SELECT status, count(*) FROM matches_1v1 WHERE player_1 BETWEEN "
                                 "820000000000000000 AND 820000000000000019 GROUP BY status"))
    finally:
        conn.close()
    # An abort ends its match (two aborters may share one); an ignored match is abandoned unless its
    # other player aborted; the other matches were confirmed by both.
    assert sum(statuses.values()) == 10 and set(statuses) <= {"confirmed", "aborted", "abandoned"}
    assert 1 <= statuses.get("aborted", 0) <= 2 and statuses.get("abandoned", 0) <= 2, statuses
    assert statuses.get("confirmed", 0) >= 6, statuses


@pytest.mark.parametrize(("fault", "first_user"), [("global-429", 100), ("tick-twice", 200), ("kill-worker", 300)])
def test_the_wave_scenarios_checks_hold_through_a_fault(stack: RunningStack, fault: str, first_user: int) -> None:
    # A global 429 for 60 s, the same tick twice, the worker instances killed mid-batch: once it
    # is over, every player was told once, every match ended in time, nobody is left behind.
    result = load(stack, "--scenario", "wave", "--players", "10", "--concurrency", "8", "--no-ignore",
                  "--fault", fault, "--first-user", str(first_user), "--settle", "240")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "fault: " in result.stdout and "fault: no fault" not in result.stdout
    assert "10 players, 10 joined through the ingress, 10 matched in 5 matches" in result.stdout, result.stdout
    assert result.stdout.count("PASS: ") == 4, result.stdout


def test_known_players_are_told_without_opening_a_dm_channel(stack: RunningStack) -> None:
    # A community the bot has DMed before: each "found" DM is one request, the Create DM bucket unused.
    result = load(stack, "--scenario", "wave", "--players", "10", "--concurrency", "8", "--no-ignore",
                  "--known-players", "--first-user", "400", "--settle", "240")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "their DM channels are open" in result.stdout
    assert "10 players, 10 joined through the ingress, 10 matched in 5 matches" in result.stdout, result.stdout
    info = read_stack(stack.data_dir)
    with urllib.request.urlopen(f"{info.emulator_url}/_emulator/requests", timeout=30) as answer:
        requests = json.loads(answer.read())
    ids = {str(820000000000000000 + 400 + n) for n in range(10)}
    opened = [r for r in requests if r["method"] == "POST" and r["path"].endswith("/users/@me/channels")
              and str((r.get("json") or {}).get("recipient_id")) in ids]
    assert opened == []


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
