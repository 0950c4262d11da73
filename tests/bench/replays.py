"""Part R: what reading a replay costs, on the real replays the project ships.

Per file: its size, sc2reader's parse in this process (median of 5, after one warm-up), and the
whole bounded parse the worker runs (a child process: interpreter start, imports, parse; median
of 3) with that child's own peak resident memory. Targets: the bounded parse well inside its own
time limit (half of it), and its peak well inside both its memory cap and the worker's 512 MB
(half of the cap) - so the largest replay here leaves room for a long game's bigger one.
"""

from __future__ import annotations

import statistics
import time

from ladderctl.sample_replays import REPLAYS
from ladderline.replays.bounded import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS, parse_bounded
from ladderline.replays.parse import summarise

WORKER_MEMORY_MB = 512  # template.yaml, WorkerFunction.MemorySize


def run_part_r() -> bool:
    print("Part R: reading a replay (real files; the worker's bounded parse is a child process)")
    print(f"{'replay':<42} {'KB':>6} {'parse ms':>9} {'bounded ms':>11} {'peak MB':>8}")
    worst_s, worst_mb = 0.0, 0.0
    for path in sorted(REPLAYS.glob("*.SC2Replay")):
        data = path.read_bytes()
        summarise(data)  # warm-up: sc2reader's imports and data files
        inline = []
        for _ in range(5):
            started = time.perf_counter()
            summarise(data)
            inline.append(time.perf_counter() - started)
        bounded = [parse_bounded(data) for _ in range(3)]
        seconds = statistics.median(b.seconds for b in bounded)
        peak = max(b.peak_mb for b in bounded)
        worst_s, worst_mb = max(worst_s, seconds), max(worst_mb, peak)
        print(f"{path.name:<42} {len(data) / 1024:>6.0f} {statistics.median(inline) * 1000:>9.0f} "
              f"{seconds * 1000:>11.0f} {peak:>8.0f}")
    time_ok = worst_s <= DEFAULT_TIMEOUT_SECONDS / 2
    memory_ok = worst_mb <= min(DEFAULT_MEMORY_MB, WORKER_MEMORY_MB) / 2
    print(f"  slowest bounded parse {worst_s:.2f} s vs its limit {DEFAULT_TIMEOUT_SECONDS:g} s: "
          f"{'PASS' if time_ok else 'FAIL'} (target: at most half)")
    print(f"  largest peak {worst_mb:.0f} MB vs the cap {DEFAULT_MEMORY_MB} MB and the worker's {WORKER_MEMORY_MB} MB: "
          f"{'PASS' if memory_ok else 'FAIL'} (target: at most half of the smaller)")
    return time_ok and memory_ok
