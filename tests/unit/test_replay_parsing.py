"""The bounded parser (a child process with a time and a memory limit) and the CDN host rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ladderline.replays.bounded import ReplayRefused, parse_bounded
from ladderline.replays.fetch import allowed

from tests.support.replays import TWO_V_TWO, ZVP, ZVP_STARTED


def test_a_real_replay_is_read_in_a_child_process_with_what_the_checks_need():
    parsed = parse_bounded(ZVP.read_bytes())
    summary = parsed.summary
    assert [(p.name, p.race, p.human, p.result) for p in summary.players] == [
        ("FisterRoboto", "Zerg", True, "Loss"), ("Beren", "Protoss", True, "Win")]
    assert (summary.map_name, summary.start_time, summary.observers, summary.teams) == ("Odyssey LE", ZVP_STARTED, 0, 2)
    assert summary.lobby["Game Privacy"] == "Normal" and len(summary.dependencies) == 7
    assert 0 < parsed.seconds < 5 and 10 < parsed.peak_mb < 320


def test_a_2v2_is_read_with_its_four_players():
    assert len(parse_bounded(TWO_V_TWO.read_bytes()).summary.players) == 4


def test_a_parse_over_its_time_limit_is_stopped_and_refused():
    with pytest.raises(ReplayRefused, match="took longer than 0.05 s"):
        parse_bounded(ZVP.read_bytes(), timeout=0.05)


def test_a_parse_over_its_memory_limit_is_refused_without_touching_the_worker():
    with pytest.raises(ReplayRefused, match="needs more than 30 MB"):
        parse_bounded(ZVP.read_bytes(), memory_mb=30)


@pytest.mark.parametrize(("data", "says"), [
    (b"", "no MPQ archive header"), (b"MPQ\x1a" + bytes(200), "not a readable replay"),
    (ZVP.read_bytes()[: len(ZVP.read_bytes()) // 2], "not a readable replay")])
def test_broken_files_are_refused_in_one_line(data, says):
    with pytest.raises(ReplayRefused, match=says):
        parse_bounded(data)


@pytest.mark.parametrize(("url", "ok"), [
    ("https://cdn.discordapp.com/attachments/1/2/game.SC2Replay?ex=1&is=2&hm=3", True),
    ("https://media.discordapp.net/attachments/1/2/game.SC2Replay", True),
    ("http://cdn.discordapp.com/attachments/1/2/game.SC2Replay", False),
    ("https://cdn.discordapp.com:8443/attachments/1/2/g.SC2Replay", False),
    ("https://user:pw@cdn.discordapp.com/attachments/1/2/g.SC2Replay", False),
    ("https://cdn.discordapp.com.evil.example/attachments/g.SC2Replay", False),
    ("https://169.254.169.254/latest/meta-data/", False),
    ("file:///etc/passwd", False),
])
def test_only_discords_cdn_over_https_is_fetched(url, ok):
    assert allowed(url) is ok


def test_the_local_cdn_stand_in_is_allowed_only_when_set():
    local = "http://127.0.0.1:9999/cdn"
    assert allowed(f"{local}/attachments/1/g.SC2Replay", local)
    assert not allowed(f"{local}/attachments/1/g.SC2Replay")
    assert not allowed("http://127.0.0.1:9999/cdnx/attachments/1/g.SC2Replay", local)


def test_only_the_replay_job_imports_the_parser():
    # sc2reader imports in ~170 ms and pulls in Pillow: never in the ingress, never at worker init.
    code = ("import sys; sys.path.insert(0, 'functions/ingress'); import app; "
            "from ladderline.ladder.registry import registry; registry(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sc2reader', 'PIL', 'mpyq')))")
    env = {**os.environ, "DISCORD_PUBLIC_KEY": "ab" * 32, "DISCORD_APPLICATION_ID": "1",
           "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs", "AWS_REGION": "us-east-1"}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env,
                         cwd=Path(__file__).resolve().parents[2]).stdout
    assert out.strip() == "[]"
