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
import json
import os
import signal
import sys
import threading
from typing import Any

from ladderctl.local_aws import LOW_PRIORITY

READY_KEY = "ladderctl_worker_ready"
BATCH_KEY = "ladderctl_batch"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ladderctl.worker_host")
    parser.add_argument("--queue-url", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--instances", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--window", type=float, default=0)
    parser.add_argument("--timeout", type=float, default=15)
    args = parser.parse_args(argv)
    # In AWS the ingress and the worker never share a CPU; here they share two cores with moto,
    # PostgreSQL and the emulator. A lower priority for the worker keeps the acks (Discord's 3 s
    # clock) ahead of the jobs behind them, as separate Lambda functions would; the worker still
    # gets every cycle the acks leave.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(LOW_PRIORITY)

    import boto3

    from ladderctl.lambdas import load_handler
    from ladderctl.poller import BatchResult, SqsPoller

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.set())
    write_lock = threading.Lock()

    def emit(record: dict[str, Any]) -> None:
        with write_lock:
            sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
            sys.stdout.flush()

    def on_batch(batch: BatchResult) -> None:
        emit({BATCH_KEY: {"messages": batch.messages, "failed_ids": sorted(batch.failed_ids),
                          "error": type(batch.error).__name__ if batch.error is not None else None,
                          "elapsed_ms": batch.elapsed_ms}})

    modules = [load_handler("worker") for _ in range(max(1, args.instances))]
    sqs = boto3.client("sqs", region_name=args.region, endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
    poller = SqsPoller(sqs, args.queue_url, modules[0].lambda_handler, region=args.region,
                       batch_size=args.batch_size, batching_window_seconds=args.window,
                       timeout_seconds=args.timeout, on_batch=on_batch,
                       instances=[m.lambda_handler for m in modules[1:]]).start()
    emit({READY_KEY: len(modules)})
    try:
        while not stop.wait(0.5):
            pass
    finally:
        poller.stop()
        for module in modules:
            with contextlib.suppress(Exception):  # closing on the way out
                module.worker.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
