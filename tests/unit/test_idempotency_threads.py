"""The worker's idempotency settings, used from many threads at once (a batch's records run side by side).

Powertools' optional local cache is an LRU OrderedDict shared by every thread of the container:
two threads evicting or reading it at once raise KeyError or RuntimeError, so a record whose job
already ran would fail. The store below is thread-safe itself (like DynamoDB's conditional writes),
so any error or second run here comes from the idempotency layer's own in-process state.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer, DataRecord
from ladderline.pipeline.worker import IDEMPOTENCY_KEY_FIELD, idempotency_config

THREADS = 10
KEYS_PER_THREAD = 400  # more keys than Powertools' default cache size (256): evictions happen
CALLS_PER_THREAD = 2_000


class LockedStore(BasePersistenceLayer):
    """In memory, every operation atomic; PutItem fails if the key exists, like the conditional write."""

    def __init__(self) -> None:
        super().__init__()
        self._records: dict[str, DataRecord] = {}
        self._lock = threading.Lock()

    def _get_record(self, idempotency_key: str) -> DataRecord:
        with self._lock:
            if idempotency_key not in self._records:
                raise IdempotencyItemNotFoundError
            return self._records[idempotency_key]

    def _put_record(self, data_record: DataRecord) -> None:
        with self._lock:
            existing = self._records.get(data_record.idempotency_key)
            if existing is not None:
                raise IdempotencyItemAlreadyExistsError(old_data_record=existing)
            self._records[data_record.idempotency_key] = data_record

    def _update_record(self, data_record: DataRecord) -> None:
        with self._lock:
            self._records[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record: DataRecord) -> None:
        with self._lock:
            self._records.pop(data_record.idempotency_key, None)


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    # Threads hand the GIL over far more often than the default 5 ms, so interleavings that a
    # busy container meets now and then happen here within a second.
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.filterwarnings("ignore:Couldn't determine the remaining time left")
def test_many_threads_running_jobs_and_replays_each_run_once_and_never_fail(frequent_thread_switches):
    config = idempotency_config()
    store = LockedStore()
    runs: Counter[str] = Counter()
    runs_lock = threading.Lock()
    errors: list[str] = []

    def job(job: dict) -> dict:
        with runs_lock:
            runs[job[IDEMPOTENCY_KEY_FIELD]] += 1
        return {"outcome": "ok"}

    process = idempotent_function(data_keyword_argument="job", config=config, persistence_store=store)(job)
    store.configure(config, f"{job.__module__}.{job.__qualname__}")

    def work(thread: int) -> None:
        for call in range(CALLS_PER_THREAD):
            key = f"{thread}:{call % KEYS_PER_THREAD}"
            try:
                assert process(job={IDEMPOTENCY_KEY_FIELD: key}) == {"outcome": "ok"}
            except IdempotencyAlreadyInProgressError:  # pragma: no cover - each key has one thread
                errors.append(f"{key}: in progress")
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(f"{key}: {exc!r}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(runs) == THREADS * KEYS_PER_THREAD
    assert set(runs.values()) == {1}


@pytest.mark.filterwarnings("ignore:Couldn't determine the remaining time left")
def test_one_key_from_many_threads_at_once_runs_once(frequent_thread_switches):
    config = idempotency_config()
    store = LockedStore()
    started = threading.Barrier(THREADS)
    release = threading.Event()
    runs: list[int] = []
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def job(job: dict) -> dict:
        runs.append(1)
        release.wait(5)  # hold the key while the others arrive
        return {"outcome": "ok"}

    process = idempotent_function(data_keyword_argument="job", config=config, persistence_store=store)(job)
    store.configure(config, f"{job.__module__}.{job.__qualname__}")

    def work() -> None:
        started.wait()
        try:
            process(job={IDEMPOTENCY_KEY_FIELD: "the-interaction"})
            outcome = "ran or replayed"
        except IdempotencyAlreadyInProgressError:
            outcome = "in progress"
        with lock:
            outcomes[outcome] += 1
        release.set()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(runs) == 1
    assert outcomes["ran or replayed"] >= 1
    assert sum(outcomes.values()) == THREADS
