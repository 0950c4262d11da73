"""The local worker host's stdout: many threads print JSON records, the stack reads them line by
line. print() writes the text and the newline in two calls; without whole-line writes another
thread's record landed between them and two records shared a line (once, that stopped the relay
and with it every job of a 2,000-player wave)."""

from __future__ import annotations

import io
import json
import threading
import time

from ladderctl.stack.worker_host import LineAtomicStream


class Pipe(io.StringIO):
    """A pipe's write lets other threads run (the OS write releases the GIL), as stdout's does."""

    def write(self, text: str) -> int:
        time.sleep(0)
        return super().write(text)


def test_lines_printed_by_many_threads_at_once_stay_whole():
    target = Pipe()
    stream = LineAtomicStream(target)
    barrier = threading.Barrier(8)

    def printer(number: int) -> None:
        barrier.wait()
        for i in range(300):
            print(json.dumps({"thread": number, "i": i, "pad": "x" * (i % 50)}), file=stream)
            stream.write('{"partial": ')  # a record written in pieces
            stream.write(f'{number}}}\n')

    threads = [threading.Thread(target=printer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = target.getvalue().splitlines()
    assert len(lines) == 8 * 300 * 2
    records = [json.loads(line) for line in lines]  # each line exactly one record
    assert sum(1 for r in records if "thread" in r) == 8 * 300
    assert sorted(r["partial"] for r in records if "partial" in r) == sorted(n for n in range(8) for _ in range(300))
