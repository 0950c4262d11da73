"""One local stack per data folder: an exclusive lock on <data-dir>/stack.lock.

Without it a second `ladderctl dev` (or a `ladderctl demo` starting its own stack while `dev` is
still starting) finds the first one's PostgreSQL running on the same folder, restarts it on
another port and leaves the first stack pointing at a dead server. flock(2) is released by the
kernel when the holder dies, however it dies, so a crashed stack never leaves a stale lock.
The holder writes its pid and command line into the file so the refusal can name it.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

LOCK_FILE = "stack.lock"
# A holder writes its line right after locking; a reader that lost the race waits this long for it.
_OWNER_WAIT_SECONDS = 1.0


class FolderLocked(RuntimeError):
    """Another process holds the folder; the message is one line naming it."""


def describe_process(argv: list[str] | None = None) -> str:
    args = list(sys.argv if argv is None else argv)
    if args:
        # `python -m ladderctl` leaves .../ladderctl/__main__.py in argv[0]: name the package.
        first = Path(args[0])
        args[0] = first.parent.name if first.name == "__main__.py" else first.name
    return shlex.join(args) or "python"


class FolderLock:
    def __init__(self, data_dir: Path, owner: str | None = None) -> None:
        self.path = Path(data_dir) / LOCK_FILE
        self.owner = owner or describe_process()
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise FolderLocked(
                f"{self.path.parent} is in use by another local stack ({self._holder()}); "
                "stop it first, or use another --data-dir"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}: {self.owner}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # Emptied (not deleted) before unlocking: deleting would let a waiter lock an unlinked inode.
        os.ftruncate(fd, 0)
        os.close(fd)

    def _holder(self) -> str:
        deadline = time.monotonic() + _OWNER_WAIT_SECONDS
        while True:
            try:
                line = self.path.read_text(encoding="utf-8").strip()
            except OSError:
                line = ""
            if line or time.monotonic() > deadline:
                return line or "a process that has not said which yet"
            time.sleep(0.05)

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
