"""The Makefile as a user meets it: `make` explains itself, and `make register` reads .env like
`make dev` does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")


def make(folder: Path, *args: str) -> str:
    return subprocess.run(["make", "-s", *args], cwd=folder, capture_output=True, text=True, timeout=60,
                          check=False).stdout


def test_make_alone_lists_the_targets_a_user_runs(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    listed = make(tmp_path)
    for target in ("dev", "test", "demo", "bench", "deploy", "register"):
        assert f"make {target}" in listed


def test_make_register_takes_the_bot_token_from_dot_env(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for lock in ("requirements-dev.txt", "pyproject.toml", "layers/deps/requirements.txt"):  # install's inputs
        (tmp_path / lock).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / lock).write_text("")
    (tmp_path / ".env").write_text("DISCORD_BOT_TOKEN=from-the-file\n")
    planned = make(tmp_path, "-n", "register", "DISCORD_BOT_TOKEN=")
    assert "ladderctl --env-file .env register" in planned
