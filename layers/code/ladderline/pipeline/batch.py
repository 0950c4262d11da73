"""Powertools' partial batch processing, with the records of one batch side by side.

One SQS batch holds up to 10 jobs from different users. Processed one after another, the tenth
user waits for nine other users' Discord calls (each 100+ ms). Here each record runs in a thread
of a bounded pool (created once per container); what each record does is unchanged: the same
record handler, its own idempotency key, its own success or failure in batchItemFailures.

Shared by the threads, and safe for it: the database (one connection, every use under a lock,
adapters/database.py), the Discord client (requests.Session, its own lock for rate-limit state),
boto3 clients, and the observer (thread-safe log keys, metrics under a lock).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor

# The event source's BatchSize is at most 10 for our queue (template.yaml): one thread per record.
MAX_CONCURRENT_RECORDS = 10


class ConcurrentBatchProcessor(BatchProcessor):
    def __init__(self, *args: Any, max_workers: int = MAX_CONCURRENT_RECORDS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None

    def process(self) -> list[tuple]:
        if len(self.records) <= 1:
            return super().process()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="record")
        # _process_record never raises (a failure becomes a FailureResponse), and map keeps the order.
        return list(self._pool.map(self._process_record, self.records))

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
