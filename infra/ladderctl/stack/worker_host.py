"""The local stack's worker side in its own process: the SQS poller and its worker instances.

In Lambda the ingress and the worker never share a CPU. In one Python process they shared one
GIL: under a burst, dozens of worker threads (instances x a batch's records) kept the ingress's
request threads waiting, and the ack latency Discord times grew with the worker's load
(issue 12). `ladderctl dev` starts this process with the handlers' environment and reads its
stdout: the handlers' JSON lines go to the console and dev.log as before, and one line per
batch (BATCH_KEY) carries what the console reports about failed records.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import sys
import threading
from typing import Any, TextIO

from ladderctl.stack.local_aws import LOW_PRIORITY

READY_KEY = "ladderctl_worker_ready"
BATCH_KEY = "ladderctl_batch"


class LineAtomicStream(io.TextIOBase):
    """stdout for many threads: each thread's text is held until its newline, then the whole line
    is written at once. print() writes the text and the newline in two calls, so another thread's
    line could land between them and two records share a line (the parent reads line by line)."""

    def __init__(self, target: TextIO) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._pending = threading.local()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        held = getattr(self._pending, "text", "") + text
        cut = held.rfind("\n") + 1
        self._pending.text = held[cut:]
        if cut:
            with self._lock:
                self._target.write(held[:cut])
                self._target.flush()
        return len(text)

    def flush(self) -> None:
        with self._lock:
            self._target.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ladderctl.stack.worker_host")
    parser.add_argument("--queue-url", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--instances", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--window", type=float, default=0)
    parser.add_argument("--timeout", type=float, default=15)
    # The fan-out queue's event source: its own instances, as Lambda scales each event source apart.
    parser.add_argument("--fanout-queue-url", default="")
    parser.add_argument("--fanout-instances", type=int, default=2)
    args = parser.parse_args(argv)
    # In AWS the ingress and the worker never share a CPU; here they share two cores with moto,
    # PostgreSQL and the emulator. A lower priority for the worker keeps the acks (Discord's 3 s
    # clock) ahead of the jobs behind them, as separate Lambda functions would; the worker still
    # gets every cycle the acks leave.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(LOW_PRIORITY)

    import boto3

    from ladderctl.stack.lambdas import load_handler
    from ladderctl.stack.poller import BatchResult, SqsPoller

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.set())
    sys.stdout = LineAtomicStream(sys.stdout)

    def emit(record: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")

    def on_batch(batch: BatchResult) -> None:
        emit({BATCH_KEY: {"messages": batch.messages, "failed_ids": sorted(batch.failed_ids),
                          "error": type(batch.error).__name__ if batch.error is not None else None,
                          "elapsed_ms": batch.elapsed_ms}})

    sqs = boto3.client("sqs", region_name=args.region, endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
    lanes = [(args.queue_url, max(1, args.instances))]
    if args.fanout_queue_url:
        lanes.append((args.fanout_queue_url, max(1, args.fanout_instances)))
    modules, pollers = [], []
    for queue_url, count in lanes:
        mine = [load_handler("worker") for _ in range(count)]
        modules += mine
        pollers.append(SqsPoller(sqs, queue_url, mine[0].lambda_handler, region=args.region,
                                 batch_size=args.batch_size, batching_window_seconds=args.window,
                                 timeout_seconds=args.timeout, on_batch=on_batch,
                                 instances=[m.lambda_handler for m in mine[1:]]).start())
    emit({READY_KEY: len(modules)})
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for poller in pollers:
            poller.stop()
        for module in modules:
            with contextlib.suppress(Exception):  # closing on the way out
                module.worker.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
