"""The dev console: one line per step of each interaction, and a tap on the handlers' output.

The handlers write JSON lines to stdout as they do in Lambda (the ingress's log line and EMF, the
worker's Powertools Logger and metrics). In the local stack stdout is this tap: every line goes to
a log file, and the worker's structured lines (job started, edit done, job failed...) become
console steps, matched to their interaction by correlation_id. Nothing here prints a token: the
handlers never log one, and the stack's own lines carry ids and names only.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, TextIO

CALLBACK_NAMES = {
    1: "PONG",
    4: "message",
    5: "deferred",
    6: "deferred update",
    7: "update, buttons disabled",
    8: "autocomplete",
    9: "modal",
}
EPHEMERAL = 1 << 6


class Console:
    """Thread-safe step lines: `time  #id-tail  label  step`."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lock = threading.Lock()
        self._labels: OrderedDict[str, str] = OrderedDict()

    def label(self, interaction_id: str, label: str) -> None:
        with self._lock:
            self._labels[interaction_id] = label
            while len(self._labels) > 1000:
                self._labels.popitem(last=False)

    def say(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def step(self, interaction_id: str | None, text: str, label: str | None = None) -> None:
        now = time.time()
        stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"
        with self._lock:
            name = label or self._labels.get(interaction_id or "", "")
        tail = f"#{interaction_id[-6:]}" if interaction_id else "#------"
        self.say(f"{stamp}  {tail}  {name[:30]:<30}  {text}")


def describe_interaction(summary: dict[str, Any]) -> str:
    kind = summary.get("type")
    if kind == 1:
        return "PING"
    if kind == 2:
        return f"/{summary.get('name')}"
    if kind == 3:
        return f"click {summary.get('custom_id')}"
    if kind == 4:
        return f"autocomplete /{summary.get('name')}"
    if kind == 5:
        return f"modal {summary.get('custom_id')}"
    return f"type {kind}"


def describe_answer(status: int, body: Any) -> str:
    if status != 200:
        reason = body.get("error") if isinstance(body, dict) else None
        return f"rejected {status}" + (f" ({reason})" if reason else "")
    if not isinstance(body, dict):
        return "answered 200"
    kind = body.get("type")
    name = CALLBACK_NAMES.get(kind, "?")
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    extra = ""
    if kind in (4, 5) and int(data.get("flags") or 0) & EPHEMERAL:
        extra = ", ephemeral"
    if kind == 8:
        count = len(data.get("choices") or [])
        extra = f", {count} choice{'' if count == 1 else 's'}"
    return f"{kind} {name}{extra}"


# Interaction tokens are base64 of "interaction:<id>:..." (Discord's, and the emulator's); a job's
# JSON carries one under "token". dev.log is a file anyone on the machine may read: whatever a
# line holds (a record glued to another by a thread's unterminated write, a library's repr of a
# batch), no token is written there.
_INTERACTION_TOKEN = re.compile(r"aW50ZXJhY3Rpb246[A-Za-z0-9_\-=]+")
_TOKEN_FIELD = re.compile(r'(\\?"(?:token|join_token)\\?"\s*:\s*\\?")[^"\\]+')
_BOT_AUTHORIZATION = re.compile(r"(Bot\s+)[A-Za-z0-9_.\-]{16,}")


def redact(line: str) -> str:
    """The line with every interaction token, job token field and bot token replaced."""
    line = _INTERACTION_TOKEN.sub("<interaction token>", line)
    line = _TOKEN_FIELD.sub(r"\1<redacted>", line)
    return _BOT_AUTHORIZATION.sub(r"\1<redacted>", line)


def records(line: str) -> list[Any]:
    """The JSON records on a line: usually one; several when writes were glued together."""
    found, decoder, at = [], json.JSONDecoder(), 0
    while True:
        at = line.find("{", at)
        if at < 0:
            return found
        try:
            value, end = decoder.raw_decode(line, at)
        except ValueError:
            at += 1
            continue
        found.append(value)
        at = end


# dev.log is rotated at this size (one previous file kept, dev.log.1): a stack left running for
# days writes the tick handlers' lines every few seconds, and a log is no reason to fill a disk.
DEV_LOG_MAX_BYTES = 20 * 1024 * 1024


class RotatingLog(io.TextIOBase):
    """An append-only text file, readable by its owner only, that starts over at `max_bytes` after
    moving what it had to `<name>.1` (replacing the previous one)."""

    def __init__(self, path: Path, max_bytes: int = DEV_LOG_MAX_BYTES) -> None:
        super().__init__()
        self.path, self.max_bytes = path, max_bytes
        self._lock = threading.Lock()
        self._file = self._open()
        self._size = path.stat().st_size

    def _open(self) -> TextIO:
        self.path.touch(mode=0o600, exist_ok=True)
        self.path.chmod(0o600)  # the handlers' output: for the one who runs the stack
        return open(self.path, "a", encoding="utf-8", buffering=1)

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            if self._file.closed:
                return 0
            if self._size + len(text) > self.max_bytes and self._size > 0:
                self._file.close()
                self.path.replace(self.path.with_name(self.path.name + ".1"))
                self._file, self._size = self._open(), 0
            self._size += len(text)
            return self._file.write(text)

    def flush(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()
        super().close()

    @property
    def closed(self) -> bool:
        return self._file.closed


class StdoutTap(io.TextIOBase):
    """A stdout replacement: lines to `log_file` (tokens redacted), worker steps to `console`."""

    def __init__(self, log_file: TextIO, console: Console) -> None:
        super().__init__()
        self.log_file = log_file
        self.console = console
        self._local = threading.local()
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        buffer = getattr(self._local, "buffer", "") + text
        *lines, rest = buffer.split("\n")
        self._local.buffer = rest
        for line in lines:
            self._line(line)
        return len(text)

    def flush(self) -> None:
        # IOBase's finalizer flushes too, after the stack closed dev.log (Python 3.13 reports that).
        with self._lock:
            if not self.log_file.closed:
                self.log_file.flush()

    def _line(self, line: str) -> None:
        with self._lock:
            self.log_file.write(redact(line) + "\n")
        if "{" not in line:
            return
        for record in records(line):
            if isinstance(record, dict) and record.get("correlation_id"):
                self._report(record)

    def _report(self, record: dict[str, Any]) -> None:
        message = record.get("message")
        cid = str(record["correlation_id"])
        label = None
        if record.get("command"):
            label = self.console._labels.get(cid) or f"/{record['command']}"
        if message == "job started":
            if record.get("job_kind") == "tick":
                return  # four tick handlers every few seconds: only a failure of one is news
            self.console.step(cid, f"job started after {record.get('queue_delay_ms')} ms", label)
        elif message == "edit done":
            attempts = int(record.get("attempts") or 1)
            note = f", {attempts} attempts" if attempts > 1 else ""
            self.console.step(cid, f"edited in {round(float(record.get('edit_ms') or 0))} ms "
                                   f"({record.get('edit_outcome')}{note})", label)
        elif message == "job failed":
            final = " on its last attempt" if record.get("final_attempt") else ""
            self.console.step(cid, f"job failed{final}: {record.get('error')}: {record.get('detail', '')}"[:160],
                              label)
        elif message == "duplicate delivery: returned the stored result":
            self.console.step(cid, "duplicate delivery: stored result returned, nothing run", label)
        elif message == "duplicate delivery while the first is in progress":
            self.console.step(cid, "duplicate delivery while the first is still running", label)
