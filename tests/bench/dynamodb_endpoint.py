"""NOT PRODUCT CODE: a minimal DynamoDB for bench Part D (`python -m tests.bench.dynamodb_endpoint PORT MS`).

Part D times the worker on a batch of 10 jobs whose Discord edits take 100 ms. Each job also makes
two DynamoDB calls (Powertools idempotency: a conditional PutItem, then an UpdateItem). moto answers
each in ~5 ms of its own CPU, one request at a time under its one GIL, on a new connection each time
(its server speaks HTTP/1.0): twenty calls queue up behind each other for ~100 ms, which DynamoDB,
a fleet of machines on kept-alive connections, never does. This endpoint answers the four calls
the idempotency layer makes (PutItem, GetItem, UpdateItem, DeleteItem) in the JSON protocol, on
kept-alive HTTP/1.1 connections, a thread per connection, each answer after a fixed latency (what
a DynamoDB call from Lambda in the same region takes: a few ms) that does not hold anything else
up. Part D prints the figures against moto too.

Conditions and updates are evaluated for the grammar Powertools uses, and no more:
attribute_exists / attribute_not_exists, `=` and `<` between a #name and a :value (numbers
compared as numbers), AND, OR and parentheses; `SET #a = :a, #b = :b`. Anything else is refused
with a ValidationException. tests/integration/test_bench_dynamodb_endpoint.py runs the same calls
against moto and this endpoint and compares the answers.
"""

from __future__ import annotations

import json
import re
import socket
import socketserver
import sys
import threading
import time
import uuid
from typing import Any

_TOKEN = re.compile(r"\s*(attribute_not_exists|attribute_exists|AND|OR|\(|\)|,|=|<|#\w+|:\w+)")
ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"
# The hash key of every table here: Powertools' default, which the worker's table uses (template.yaml).
KEY_ATTRIBUTE = "id"


class Refused(Exception):
    def __init__(self, kind: str, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.extra = extra or {}


def _tokens(expression: str) -> list[str]:
    tokens, position = [], 0
    while position < len(expression.rstrip()):
        match = _TOKEN.match(expression, position)
        if not match:
            raise Refused("ValidationException", f"unsupported expression near {expression[position:]!r}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def _scalar(value: dict[str, Any]) -> Any:
    (kind, raw), = value.items()
    return float(raw) if kind == "N" else raw


def evaluate(expression: str, item: dict[str, Any] | None, names: dict[str, str],
             values: dict[str, dict[str, Any]]) -> bool:
    """A condition expression, in the subset above, against `item` (None: no such item)."""
    tokens = _tokens(expression)
    position = 0

    def take(expected: str | None = None) -> str:
        nonlocal position
        if position >= len(tokens) or (expected is not None and tokens[position] != expected):
            raise Refused("ValidationException", f"expected {expected or 'more'} in {expression!r}")
        position += 1
        return tokens[position - 1]

    def attribute() -> dict[str, Any] | None:
        name = take()
        if not name.startswith("#"):
            raise Refused("ValidationException", f"expected a #name, got {name!r}")
        return (item or {}).get(names[name])

    def primary() -> bool:
        token = tokens[position] if position < len(tokens) else ""
        if token == "(":
            take("(")
            result = disjunction()
            take(")")
            return result
        if token in ("attribute_exists", "attribute_not_exists"):
            take()
            take("(")
            present = attribute() is not None
            take(")")
            return present if token == "attribute_exists" else not present
        left = attribute()
        operator = take()
        placeholder = take()
        if operator not in ("=", "<") or not placeholder.startswith(":"):
            raise Refused("ValidationException", f"unsupported comparison {operator} {placeholder}")
        if left is None:
            return False
        right = values[placeholder]
        if set(left) != set(right):
            return False
        a, b = _scalar(left), _scalar(right)
        return bool(a == b if operator == "=" else a < b)

    def conjunction() -> bool:
        result = primary()
        while position < len(tokens) and tokens[position] == "AND":
            take("AND")
            result = primary() and result
        return result

    def disjunction() -> bool:
        result = conjunction()
        while position < len(tokens) and tokens[position] == "OR":
            take("OR")
            result = conjunction() or result
        return result

    result = disjunction()
    if position != len(tokens):
        raise Refused("ValidationException", f"unexpected {tokens[position]!r} in {expression!r}")
    return result


def _set_clauses(expression: str, names: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    if not expression.startswith("SET "):
        raise Refused("ValidationException", f"only SET updates here, not {expression!r}")
    updates = {}
    for clause in expression[4:].split(","):
        name, equals, value = clause.strip().partition(" = ")
        if not equals or not name.startswith("#") or not value.startswith(":"):
            raise Refused("ValidationException", f"unsupported update clause {clause!r}")
        updates[names[name]] = values[value]
    return updates


class Tables:
    """Items by table and key (the key attributes' JSON), under one lock."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def call(self, action: str, request: dict[str, Any]) -> dict[str, Any]:
        table = request.get("TableName", "")
        names = request.get("ExpressionAttributeNames", {})
        values = request.get("ExpressionAttributeValues", {})
        with self._lock:
            if action == "PutItem":
                item = request["Item"]
                key = (table, json.dumps({k: v for k, v in item.items() if k == KEY_ATTRIBUTE}, sort_keys=True))
                old = self._items.get(key)
                condition = request.get("ConditionExpression")
                if condition and not evaluate(condition, old, names, values):
                    extra = {"Item": old} if old and request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" else {}
                    raise Refused("ConditionalCheckFailedException", "The conditional request failed", extra)
                self._items[key] = item
                return {}
            key = (table, json.dumps(request["Key"], sort_keys=True))
            if action == "GetItem":
                return {"Item": self._items[key]} if key in self._items else {}
            if action == "DeleteItem":
                self._items.pop(key, None)
                return {}
            if action == "UpdateItem":
                updates = _set_clauses(request["UpdateExpression"], names, values)
                self._items[key] = {**self._items.get(key, request["Key"]), **updates}
                return {}
        raise Refused("UnknownOperationException", f"only the idempotency layer's calls here, not {action}")


class _Connection(socketserver.StreamRequestHandler):
    tables: Tables
    latency: float

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        while True:
            if not self.rfile.readline(65537):
                return
            length, target = 0, ""
            while True:
                line = self.rfile.readline(65537)
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
                elif name.strip().lower() == "x-amz-target":
                    target = value.strip()
            body = self.rfile.read(length)
            started = time.monotonic()
            try:
                status, answer = 200, self.tables.call(target.rpartition(".")[2], json.loads(body))
            except Refused as exc:
                status, answer = 400, {"__type": ERROR_PREFIX + exc.kind, "message": str(exc), **exc.extra}
            payload = json.dumps(answer).encode()
            time.sleep(max(0.0, self.latency - (time.monotonic() - started)))
            self.wfile.write(
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Bad Request'}\r\n"
                f"Content-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: {uuid.uuid4()}\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main() -> None:
    port, latency_ms = int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    handler = type("Handler", (_Connection,), {"tables": Tables(), "latency": latency_ms / 1000})
    with Server(("127.0.0.1", port), handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
