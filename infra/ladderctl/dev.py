"""`ladderctl dev`: the local stack (stack/devstack.py) with the browser playground on top.

Composed here so the arrows run one way: the playground drives the stack through the drivers
(simulate), and the stack itself never imports either.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ladderctl.stack.devstack import (
    DEFAULT_DISCORD_PORT,
    DEFAULT_PLAYGROUND_PORT,
    DEFAULT_PORT,
    SWITCH_INTERVAL_SECONDS,
    DevOptions,
    DevStack,
    DevStackError,
)
from ladderctl.stack.info import DEFAULT_DATA_DIR, DEFAULT_TICK_SECONDS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"ingress port (default {DEFAULT_PORT})")
    parser.add_argument("--discord-port", type=int, default=DEFAULT_DISCORD_PORT,
                        help=f"local Discord emulator port (default {DEFAULT_DISCORD_PORT})")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help=f"PostgreSQL data, key pair, logs, stack.json (default {DEFAULT_DATA_DIR})")
    parser.add_argument("--aws-port", type=int, default=0, help="moto server port (default: any free port)")
    parser.add_argument("--pg-port", type=int, default=0, help="PostgreSQL port (default: any free port)")
    parser.add_argument("--template", type=Path, default=None, help="SAM template (default template.yaml)")
    parser.add_argument("--tick-seconds", type=float, default=DEFAULT_TICK_SECONDS,
                        help=f"queue a tick job this often (default {DEFAULT_TICK_SECONDS:g}; 0: never)")
    parser.add_argument("--playground-port", type=int, default=DEFAULT_PLAYGROUND_PORT,
                        help=f"the browser playground's port (default {DEFAULT_PLAYGROUND_PORT}; emulator only)")
    parser.add_argument("--no-playground", action="store_true", help="do not serve the browser playground")
    parser.add_argument("--no-capture", action="store_true",
                        help="let the handlers' JSON output through to this terminal")


def playground_extra(port: int) -> Callable[[DevStack, str], Any]:
    """Starts the playground with a stack that has the emulator (a real Discord has its own client)."""

    def start(stack: DevStack, database_url: str) -> Any:
        if stack.emulator is None:
            return None
        from ladderctl.playground import Playground

        try:
            return Playground(stack, port, database_url).start()
        except OSError as exc:
            raise DevStackError(f"playground port {port}: {exc} (choose one with --playground-port)") from None

    return start


def options_from_args(args: argparse.Namespace) -> DevOptions:
    return DevOptions(data_dir=args.data_dir, host=args.host, port=args.port, discord_port=args.discord_port,
                      aws_port=args.aws_port, pg_port=args.pg_port, template=args.template,
                      capture_output=not args.no_capture, tick_seconds=args.tick_seconds,
                      extras=() if args.no_playground else (playground_extra(args.playground_port),))


def run(args: argparse.Namespace) -> int:
    # One process runs what Lambda runs apart (ingress, worker instances, the emulator): hand the
    # GIL over more often than every 5 ms, so a request thread is not kept waiting behind the
    # worker threads' CPU work (issue 12: ack latency under a burst).
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        # While starting, interrupt the start (stop() then undoes what was started); once up, wake the loop.
        if not started.is_set():
            raise KeyboardInterrupt
        stop.set()

    started = threading.Event()
    # Set both explicitly: a shell starting us in the background (`make dev &`) leaves SIGINT ignored.
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    stack = DevStack(options_from_args(args))
    try:
        stack.console.say("starting PostgreSQL, local AWS and the handlers...")
        stack.start()
        started.set()
        stack.console.say(stack.banner())
        while not stop.wait(0.5):
            pass
    except DevStackError as exc:
        print(f"ladderctl dev: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        if os.environ.get("LADDERCTL_DEBUG"):
            raise
        print(f"ladderctl dev: unexpected error: {type(exc).__name__}: {exc} (LADDERCTL_DEBUG=1 for details)",
              file=sys.stderr)
        return 1
    finally:
        try:
            stack.stop()
        except Exception as exc:  # noqa: BLE001 - stopping: say what failed, in one line
            print(f"ladderctl dev: while stopping: {exc}", file=sys.stderr)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    stack.console.say("stopped")
    return 0
