"""Parse a replay in a child process with a time and a memory limit.

A hostile or broken file must never hang or kill the worker: the parser (pure Python, no
timeout of its own) runs in `python -m ladderline.replays.parse`, which caps its own address
space before it imports anything big; the parent waits at most `timeout` seconds and kills it.
A child process (rather than a thread) is the only way to stop a parse and to cap its memory;
multiprocessing's pools need /dev/shm, which Lambda does not have.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass

from ladderline.replays.summary import ReplaySummary

# Real replays parse in 0.5-0.7 s here, start-up included, with a peak of ~50 MB (make bench).
DEFAULT_TIMEOUT_SECONDS = 5.0
DEFAULT_MEMORY_MB = 320

# The child caps its address space first (RLIMIT_AS: an allocation past it fails with MemoryError
# instead of the worker's container running out of memory), then parses.
_CHILD = ("import resource, sys\n"
          "limit = int(sys.argv[1]) * 1024 * 1024\n"
          "resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
          "from ladderline.replays.parse import main\n"
          "raise SystemExit(main())\n")


class ReplayRefused(ValueError):
    """The file is not a replay the ladder can read; the message is one line for the uploader."""


@dataclass(frozen=True)
class Parsed:
    summary: ReplaySummary
    seconds: float  # wall time of the whole child, start-up included
    peak_mb: float  # the child's own peak resident memory


def parse_bounded(data: bytes, *, timeout: float = DEFAULT_TIMEOUT_SECONDS,
                  memory_mb: int = DEFAULT_MEMORY_MB) -> Parsed:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(memory_mb)], input=data, capture_output=True,
                              timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise ReplayRefused(f"the replay took longer than {timeout:g} s to read") from None
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        if b"MemoryError" in done.stderr:
            raise ReplayRefused(f"the replay needs more than {memory_mb} MB to read")
        raise ReplayRefused("the replay could not be read")
    try:
        answer = json.loads(done.stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise ReplayRefused("the replay could not be read") from None
    if "refused" in answer:
        raise ReplayRefused(str(answer["refused"]))
    return Parsed(ReplaySummary.from_json(answer["summary"]), seconds, float(answer.get("peak_mb") or 0.0))
