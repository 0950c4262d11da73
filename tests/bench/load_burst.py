"""Part E: `ladderctl load` at 2,000 interactions from 200 users against a fresh local stack.

The stack (`ladderctl dev`: the local API Gateway, the ingress, moto, the poller and its worker
instances, PostgreSQL, the Discord emulator) runs in its own process; the load runs from this
one. Targets (issue 12): 0 non-200, 0 lost, 0 duplicated; ack p99 < 250 ms; every final message
delivered within 60 s of the burst's start.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ladderctl.drive.load import run_load
from ladderctl.stack.info import read_stack

ROOT = Path(__file__).resolve().parents[2]
INTERACTIONS, USERS, CONCURRENCY = 2000, 200, 32
ACK_P99_TARGET_MS = 250
BURST_TARGET_S = 60
# Variables that would point the stack at real Discord, real AWS or another database.
_OUTSIDE = ("DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID", "DISCORD_API_BASE", "DATABASE_URL",
            "LADDER_USE_REAL_AWS", "QUEUE_URL", "IDEMPOTENCY_TABLE", "AWS_ENDPOINT_URL")


def _free_ports(count: int) -> list[int]:
    """Distinct free ports: each socket stays bound until all are picked (closed one by one, the
    kernel may hand out the same port twice)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def run_part_e(interactions: int = INTERACTIONS, users: int = USERS, concurrency: int = CONCURRENCY) -> bool:
    folder = Path(tempfile.mkdtemp(prefix="ladderline-load-"))
    keep = False
    env = {k: v for k, v in os.environ.items() if k not in _OUTSIDE}
    log = open(folder / "console.txt", "w")  # noqa: SIM115 - closed below
    port, discord_port = _free_ports(2)
    process = subprocess.Popen(
        [sys.executable, "-m", "ladderctl", "dev", "--data-dir", str(folder / "data"), "--port", str(port),
         "--discord-port", str(discord_port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        info = None
        while time.monotonic() < deadline and process.poll() is None:
            info = read_stack(folder / "data")
            if info is not None and info.pid == process.pid:
                break
            time.sleep(0.2)
        if info is None or process.poll() is not None:
            raise AssertionError(f"the local stack did not start: {(folder / 'console.txt').read_text()[-2000:]}")
        time.sleep(1)  # the stack writes stack.json just before it serves
        print(f"Part E: ladderctl load, {interactions} interactions from {users} users, {concurrency} at once, "
              f"against `ladderctl dev` in its own process (load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores)")
        report = run_load(info, interactions=interactions, users=users, concurrency=concurrency, wait=30)
        for line in report.render().splitlines():
            print(f"  {line}")
        acks = [r.ack_ms for r in report.results]
        finals = [r.final_ms for r in report.results if r.final_ms is not None]
        ack_p99 = sorted(acks)[max(0, round(0.99 * len(acks) + 0.5) - 1)] if acks else float("inf")
        ack_ok = ack_p99 < ACK_P99_TARGET_MS
        burst_ok = report.elapsed_s <= BURST_TARGET_S and not report.lost
        print(f"  ack p99 {ack_p99:.1f} ms (target < {ACK_P99_TARGET_MS} ms)  {'ok' if ack_ok else 'MISSED'}")
        print(f"  burst done in {report.elapsed_s:.1f} s, every final message delivered: {not report.lost} "
              f"(target <= {BURST_TARGET_S} s)  {'ok' if burst_ok else 'MISSED'}"
              + (f"   [final message median {statistics.median(finals):.0f} ms]" if finals else ""))
        print(f"  0 non-200 / lost / duplicated: {'ok' if not report.failed else 'MISSED'}")
        keep = report.failed
        return ack_ok and burst_ok and not report.failed
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if keep:
            print(f"  the stack's console and dev.log are kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
