"""CloudWatch embedded metric format (EMF) without Powertools, for the ingress's small cold start.

The records match what Powertools Metrics emits in the worker: one namespace, a `service`
dimension in every dimension set, and ColdStart with (function_name, service) exactly like
Powertools' `capture_cold_start_metric`, so the dashboard reads both functions the same way.

One record may hold several metric directives, each with its own dimension set: a request's
metrics go out as one log line instead of one line per dimension set.
"""

from __future__ import annotations

import json
import sys
import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the ingress's cold start)
if TYPE_CHECKING:
    from typing import IO, Any

MAX_VALUES = 100


class EmfRecord:
    def __init__(self, namespace: str, service: str) -> None:
        self._namespace = namespace
        self._service = service
        self._directives: list[dict[str, Any]] = []
        self._values: dict[str, Any] = {"service": service}

    def add(self, metrics: dict[str, tuple[float | list[float], str]],
            dimensions: dict[str, str] | None = None) -> EmfRecord:
        """Add metrics (name -> (value or values, unit)) under the dimension set service + `dimensions`.
        EMF takes at most MAX_VALUES values per metric in one record."""
        dims = {"service": self._service, **(dimensions or {})}
        for name, value in dims.items():
            if self._values.get(name, value) != value:
                raise ValueError(f"dimension {name} already has another value in this record")
        for name in metrics:
            if name in self._values:
                raise ValueError(f"{name} is already in this record")
        self._values.update(dims)
        self._values.update({name: value for name, (value, _) in metrics.items()})
        self._directives.append({
            "Namespace": self._namespace,
            "Dimensions": [list(dims)],
            "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in metrics.items()],
        })
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": self._directives},
                **self._values}


def write_emf(record: EmfRecord, stream: IO[str] | None = None) -> None:
    # Lambda ships stdout lines to CloudWatch Logs, which extracts EMF records into metrics.
    out = stream or sys.stdout
    out.write(json.dumps(record.to_dict(), separators=(",", ":")) + "\n")
    out.flush()
