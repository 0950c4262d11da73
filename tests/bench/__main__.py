"""`make bench` (python -m tests.bench): performance figures; exits non-zero when a budget is missed.

Part A (issue 3): every command's worker time against PostgreSQL behind a proxy adding 25 ms each
way, next to the same with 0 ms (tests/bench/commands.py).
Part B: the ingress's ack latency, warm p50/p99 and a cold start, side by side with a boto3
reference handler (tests/bench/ingress.py, tests/bench/reference_ingress.py).
Part C: the ladder at scale: a wave of 200 queued players, the views at 10,000 players and
50,000 matches (tests/bench/ladder.py).
Part D: a worker batch of 10 against a Discord 100 ms away (tests/bench/worker_batch.py).
Part E: `ladderctl load`, 2,000 interactions from 200 users against a local stack (tests/bench/load_burst.py).
Part F: a wave's match-found DMs at Discord's global limit, DM channels opened or kept (tests/bench/fanout.py).
Part P: the pairing at 200 to 10,000 queued players, beside the exact pairing it replaced (tests/bench/pairing.py).
Part R: reading a replay: parse time and peak memory per real replay (tests/bench/replays.py).

Starts its own throwaway PostgreSQL (LocalPostgres + migrations) and moto server; cleans up.
Options: --runs N (Part A runs per command), --requests N (Part B), --only a|b|c|d|e|f|p|r|w.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    """A throwaway migrated PostgreSQL database; its URL."""
    from ladderctl.ops.migrate import apply_migrations
    from ladderctl.postgres import LocalPostgres, connect

    folder = Path(tempfile.mkdtemp(prefix="ladderline-bench-"))
    server = LocalPostgres(folder / "data")
    try:
        server.start()
        url = server.create_database("bench")
        conn = connect(url)
        try:
            apply_migrations(conn)
        finally:
            conn.close()
        yield url
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def part_d() -> bool:
    from tests.bench.worker_batch import run_part_d

    with bench_database() as url:
        return run_part_d(url)


def part_e() -> bool:
    from tests.bench.load_burst import run_part_e

    return run_part_e()


def part_a(runs: int) -> bool:
    from tests.bench.commands import run_part_a

    with bench_database() as url:
        return run_part_a(url, runs=runs)


def part_b(requests: int) -> bool:
    from tests.bench.ingress import run_part_b

    return run_part_b(requests=requests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="Part A: timed runs per command and delay")
    parser.add_argument("--requests", type=int, default=500, help="Part B: warm requests per case")
    parser.add_argument("--only", choices=("a", "b", "c", "d", "e", "f", "p", "r", "w"), default=None)
    args = parser.parse_args(argv)
    # The handlers log at INFO; the figures are what this prints.
    logging.disable(logging.WARNING)
    started = time.perf_counter()
    ok = True
    if args.only in (None, "a"):
        ok &= part_a(args.runs)
        print()
    if args.only in (None, "b"):
        ok &= part_b(args.requests)
        print()
    if args.only in (None, "c"):
        from tests.bench.ladder import run_part_c

        ok &= run_part_c()
        print()
    if args.only in (None, "f"):
        from tests.bench.fanout import run_part_f

        ok &= run_part_f()
        print()
    if args.only in (None, "p"):
        from tests.bench.pairing import run_part_p

        ok &= run_part_p()
        print()
    if args.only in (None, "r"):
        from tests.bench.replays import run_part_r

        ok &= run_part_r()
        print()
    if args.only in (None, "w"):
        from tests.bench.wave import run_part_w

        ok &= run_part_w()
        print()
    if args.only in (None, "d"):
        ok &= part_d()
        print()
    if args.only in (None, "e"):
        ok &= part_e()
        print()
    print(f"bench {'PASSED' if ok else 'FAILED'} in {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
