from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from ladderctl.stack.folder_lock import FolderLock, FolderLocked

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from ladderctl.stack.folder_lock import FolderLock
    with FolderLock(Path(sys.argv[1]), owner="holder test"):
        print("locked", flush=True)
        sys.stdin.read()  # hold until the test closes our stdin
""")


def test_a_folder_held_by_another_process_is_refused_with_its_pid_and_command(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(FolderLocked) as refused:
            FolderLock(tmp_path).acquire()
        assert str(refused.value) == (f"{tmp_path} is in use by another local stack (pid {holder.pid}: holder test); "
                                      "stop it first, or use another --data-dir")
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    # Released when the holder exits: the folder can be taken again.
    with FolderLock(tmp_path, owner="second") as lock:
        assert lock.held
        assert (tmp_path / "stack.lock").read_text().startswith("pid ")


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.wait(timeout=30)
    with FolderLock(tmp_path) as lock:
        assert lock.held


def test_the_process_is_described_by_its_command_line() -> None:
    from ladderctl.stack.folder_lock import describe_process

    assert describe_process(["/repo/.venv/bin/ladderctl", "dev", "--data-dir", "my dir"]) == (
        "ladderctl dev --data-dir 'my dir'")
    assert describe_process(["/repo/infra/ladderctl/__main__.py", "demo"]) == "ladderctl demo"
