"""CloudWatch embedded metric format (EMF) without Powertools, for the ingress's small cold start.

The lines match what Powertools Metrics emits in the worker (same namespace, `service` dimension),
so the dashboard reads both functions' metrics the same way.
"""

from __future__ import annotations

import json
import sys
import time
from typing import IO


def emf_record(namespace: str, service: str, metrics: dict[str, tuple[float, str]],
               dimensions: dict[str, str] | None = None) -> dict:
    dims = {"service": service, **(dimensions or {})}
    return {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [sorted(dims)],
                "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in metrics.items()],
            }],
        },
        **dims,
        **{name: value for name, (value, _) in metrics.items()},
    }


def write_emf(record: dict, stream: IO[str] | None = None) -> None:
    # Lambda ships stdout lines to CloudWatch Logs, which extracts EMF records into metrics.
    out = stream or sys.stdout
    out.write(json.dumps(record, separators=(",", ":")) + "\n")
    out.flush()
