"""Structured (JSON) log lines for the `ladderline` package loggers, stdlib only.

The ingress uses this instead of Powertools Logger to keep its cold start small; the worker uses
Powertools Logger and only borrows StdoutHandler. Either way every `ladderline.*` logger writes one
JSON object per line to stdout, which Lambda ships to the function's log group, and nothing goes
through the runtime's root handler as plain text.

What a line may carry is decided by the callers: ids, route names, outcomes and timings. Never the
interaction token, the raw body, headers, the bot token or database credentials.
"""

from __future__ import annotations

import json
import logging
import sys
import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the ingress's cold start)
if TYPE_CHECKING:
    from typing import Any

PACKAGE_LOGGER = "ladderline"

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is when a record is emitted.

    A handler bound to the sys.stdout of its creation time keeps writing to a replaced (and
    closed) stream: the Lambda runtime and test captures both swap sys.stdout.
    """

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


class JsonFormatter(logging.Formatter):
    """One JSON object per record: level, timestamp, service, logger, message, then extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "level": record.levelname,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception_name"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, separators=(",", ":"), ensure_ascii=False)


def configure_package_logging(handler: logging.Handler, level: str | int) -> logging.Logger:
    """Send every `ladderline.*` record to `handler` only (not also to the root's text handler)."""
    package = logging.getLogger(PACKAGE_LOGGER)
    package.handlers = [handler]
    package.propagate = False
    package.setLevel(level if isinstance(level, int) else level.upper())
    return package


def configure_json_logging(service: str, level: str | int, *, own_logger: str) -> None:
    """A function's logging at init without Powertools: JSON lines on stdout for its own logger and,
    unless something configured it already, the whole package.

    Where both functions share a process (tests, the local stack), the worker's Powertools
    routing of the package wins and each function's own lines keep their own format.
    """
    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter(service))
    own = logging.getLogger(own_logger)
    own.handlers = [handler]
    own.propagate = False
    own.setLevel(level if isinstance(level, int) else level.upper())
    if not logging.getLogger(PACKAGE_LOGGER).handlers:
        configure_package_logging(handler, level)
