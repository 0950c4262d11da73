"""PostgreSQL for the worker: one connection per container, one round trip per transaction.

- Credentials are resolved when a connection opens: an RDS Proxy IAM token lives 15 minutes, so it
  is never made at import; a Secrets Manager secret is read then too (rotation is picked up on the
  next reconnect).
- TLS uses a verifying context: pg8000's default (ssl_context=None) silently falls back to plaintext
  without verifying anything.
- TCP_NODELAY is set on the socket before pg8000 uses it: pg8000 never sets it, and Nagle's
  algorithm stalled the TLS handshake by ~40 ms.
- One connection per container, shared by the batch's concurrent records (pipeline/batch.py):
  pg8000 connections are not thread-safe, so every use holds a lock. A statement takes a few ms
  against the 100+ ms of a Discord call, so serialising them costs little.
- Every transaction is one simple-query message, `BEGIN; <statement>; COMMIT;`: one round trip
  instead of pg8000's three for a parameterised run(), and no named prepared statements (they break
  under transaction pooling and pin RDS Proxy sessions). Values are quoted by ladderline.adapters.sql.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

from ladderline.adapters import sql
from ladderline.worker_settings import DatabaseSettings

logger = logging.getLogger("ladderline.database")

CONNECT_TIMEOUT_SECONDS = 5
QUERY_TIMEOUT_SECONDS = 10
APPLICATION_NAME = "ladderline"


@dataclass(frozen=True)
class ConnectParams:
    host: str
    port: int
    database: str
    user: str
    password: str | None
    tls: bool


def params_from_url(url: str) -> ConnectParams:
    """postgresql://user:password@host:port/dbname?sslmode=require (local stack, tests, operators)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise ValueError("DATABASE_URL must start with postgresql://")
    sslmode = parse_qs(parsed.query).get("sslmode", ["disable"])[0]
    return ConnectParams(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 5432,
        database=unquote(parsed.path.lstrip("/")) or "postgres",
        user=unquote(parsed.username or "postgres"),
        password=unquote(parsed.password) if parsed.password is not None else None,
        tls=sslmode in ("require", "verify-ca", "verify-full"),
    )


def _iam_token(settings: DatabaseSettings) -> str:
    import boto3

    # Presigned locally (no network call); valid for 15 minutes, used once, at connect.
    return boto3.client("rds").generate_db_auth_token(
        DBHostname=settings.host, Port=settings.port, DBUsername=settings.user)


def _secret_credentials(settings: DatabaseSettings) -> tuple[str, str]:
    import boto3

    secret = json.loads(boto3.client("secretsmanager").get_secret_value(
        SecretId=settings.secret_arn)["SecretString"])
    return secret["username"], secret["password"]


def resolve_params(settings: DatabaseSettings) -> ConnectParams:
    if settings.auth == "url":
        return params_from_url(settings.url)
    if settings.auth == "iam":
        return ConnectParams(settings.host, settings.port, settings.name, settings.user,
                             _iam_token(settings), tls=True)
    user, password = _secret_credentials(settings)
    return ConnectParams(settings.host, settings.port, settings.name, user, password, settings.tls)


_TLS_CONTEXT: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    # Built once per container: loading the CA bundle costs a few milliseconds.
    global _TLS_CONTEXT
    if _TLS_CONTEXT is None:
        _TLS_CONTEXT = ssl.create_default_context()
    return _TLS_CONTEXT


def open_connection(params: ConnectParams) -> pg8000.native.Connection:
    sock = socket.create_connection((params.host, params.port), timeout=CONNECT_TIMEOUT_SECONDS)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    try:
        conn = pg8000.native.Connection(
            user=params.user, host=params.host, port=params.port, database=params.database,
            password=params.password, sock=sock, timeout=QUERY_TIMEOUT_SECONDS,
            # False (not None): never attempt an unverified TLS upgrade.
            ssl_context=_tls_context() if params.tls else False,
            application_name=APPLICATION_NAME,
        )
    except Exception:
        sock.close()
        raise
    if conn.parameter_statuses.get("standard_conforming_strings") != "on":
        conn.close()
        raise RuntimeError("standard_conforming_strings must be on (literal quoting relies on it)")
    return conn


_CONNECTION_ERRORS = (InterfaceError, OSError, ssl.SSLError)


class PgDatabase:
    """The Database the command handlers use (ladderline.ladder.context.Database)."""

    def __init__(self, connect: Callable[[], pg8000.native.Connection]) -> None:
        self._connect = connect
        self._conn: pg8000.native.Connection | None = None
        self._lock = threading.RLock()
        self._local = threading.local()
        # Statements sent (one message each), for the round-trips metric and tests: totals here,
        # per thread in thread_counters() (a command's own share while others run beside it).
        self.round_trips = 0
        self.time_ms = 0.0

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> PgDatabase:
        return cls(lambda: open_connection(resolve_params(settings)))

    def _connection(self) -> pg8000.native.Connection:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _discard(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(*_CONNECTION_ERRORS, InterfaceError):  # already broken
                self._conn.close()
            self._conn = None

    def thread_counters(self) -> tuple[int, float]:
        """(round trips, ms) of the calling thread's statements so far."""
        return getattr(self._local, "round_trips", 0), getattr(self._local, "time_ms", 0.0)

    def _count(self, round_trips: int, ms: float) -> None:
        self.round_trips += round_trips
        self.time_ms += ms
        self._local.round_trips = getattr(self._local, "round_trips", 0) + round_trips
        self._local.time_ms = getattr(self._local, "time_ms", 0.0) + ms

    def transaction(self, statement: str) -> list[list[Any]]:
        """Run statement in an explicit transaction, in one round trip; reconnect once if the
        connection was broken (our statements are idempotent, so a retry cannot write twice)."""
        with self._lock:
            return self._transaction(statement)

    def _transaction(self, statement: str) -> list[list[Any]]:
        for attempt in (1, 2):
            conn = self._connection()
            started = time.perf_counter()
            try:
                self._count(1, 0.0)
                rows = conn.run(f"BEGIN;\n{statement};\nCOMMIT;")
                return rows or []
            except _CONNECTION_ERRORS:
                self._discard()
                if attempt == 2:
                    raise
                logger.warning("database connection broken; reconnecting")
            except DatabaseError:
                # A failed statement leaves the explicit block aborted: roll it back so the
                # connection stays usable (a second round trip, on the error path only).
                self._rollback()
                raise
            finally:
                self._count(0, (time.perf_counter() - started) * 1000)
        raise AssertionError("unreachable")

    def call(self, function: str, *args: Any) -> Any:
        """The ladder's port (ladderline.ladder.context.Database): one SQL function, its jsonb value."""
        rows = self.transaction(sql.call(function, *args))
        return rows[0][0] if rows and rows[0] else None

    def call_pair(self, first: tuple[str, tuple[Any, ...]], second: tuple[str, tuple[Any, ...]]) -> tuple[Any, Any]:
        """Two SQL functions in one statement, `SELECT f(...), g(...)`: both values in one round trip
        (a command's own call and the player's language, ladderline.ladder.context)."""
        statement = sql.call(first[0], *first[1]) + ", " + sql.call(second[0], *second[1]).removeprefix("SELECT ")
        rows = self.transaction(statement)
        return (rows[0][0], rows[0][1]) if rows and len(rows[0]) == 2 else (None, None)

    def _rollback(self) -> None:
        if self._conn is None:
            return
        try:
            self._count(1, 0.0)
            self._conn.run("ROLLBACK")
        except _CONNECTION_ERRORS:
            self._discard()

    def close(self) -> None:
        with self._lock:
            self._discard()
