"""pytest plugin: a TCP proxy in front of the test PostgreSQL that counts round trips and can add
latency, to prove (and benchmark) "one network round trip per command".

Definition of a round trip (a request/response *turn*): per proxied connection, the client sends
one or more bytes and then the server answers with one or more bytes. Each client->server burst
that is followed by a server->client burst counts once, when the server's first bytes arrive:

- several client writes before the server answers (one message split over TCP segments, or
  pipelined messages) are one turn: the client waits for the network once;
- several server writes in a row (a long result in many segments, or ParameterStatus/notices
  after the answer) belong to the same turn: nothing new was asked;
- server bytes nobody asked for (no client bytes since the last answer) are not counted.

That is what a remote database costs: each turn pays the network's round-trip time once.

With `delay_ms`, every chunk is forwarded `delay_ms` after it arrived, in each direction (a
fixed one-way latency like a real link: back-to-back chunks are not delayed cumulatively), so
one turn costs 2 x delay_ms more than on loopback.

Fixtures: `counted_database` (a fresh migrated database behind a proxy: .url, .proxy, .direct_url),
and `pipeline_via_proxy` (the `pipeline` of tests.support.aws, with the worker's DATABASE_URL
going through the proxy).
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

import pytest

_CHUNK = 65536


class TcpProxy:
    """Forwards 127.0.0.1:<port> to (target_host, target_port), counting request/response turns."""

    def __init__(self, target_host: str, target_port: int, *, delay_ms: float = 0.0,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.target = (target_host, target_port)
        self.delay_ms = delay_ms
        self._lock = threading.Lock()
        self._round_trips = 0
        self._connections_opened = 0
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self._listener.listen(64)
        self.host, self.port = self._listener.getsockname()[:2]
        self._sockets: set[socket.socket] = set()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    # --- counters ---------------------------------------------------------------------------
    @property
    def round_trips(self) -> int:
        with self._lock:
            return self._round_trips

    @property
    def connections_opened(self) -> int:
        with self._lock:
            return self._connections_opened

    def reset(self) -> None:
        """Zero the round-trip counter (e.g. after the connection's start-up and authentication)."""
        with self._lock:
            self._round_trips = 0

    def _count_turn(self) -> None:
        with self._lock:
            self._round_trips += 1

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> TcpProxy:
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closed.set()
        # close() does not wake a thread blocked in accept() on Linux; a connection does.
        try:
            socket.create_connection((self.host, self.port), timeout=1).close()
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self._listener.close()
        except OSError:
            pass
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _close(sock)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url_for(self, database_url: str) -> str:
        """database_url with its host and port replaced by the proxy's."""
        parts = urlsplit(database_url)
        userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        return urlunsplit((parts.scheme, f"{userinfo}{self.host}:{self.port}", parts.path, parts.query,
                           parts.fragment))

    # --- plumbing ---------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._closed.is_set():
                _close(client)
                return
            try:
                server = socket.create_connection(self.target, timeout=10)
                server.settimeout(None)
            except OSError:
                _close(client)
                continue
            for sock in (client, server):
                # The proxy must not add Nagle stalls of its own to what it measures.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._connections_opened += 1
                self._sockets.update((client, server))
            _Connection(self, client, server).start()

    def _forget(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._sockets.difference_update(sockets)


class _Connection:
    """One proxied connection: a reader and a (delaying) writer per direction."""

    def __init__(self, proxy: TcpProxy, client: socket.socket, server: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.server = server
        self._state_lock = threading.Lock()
        self._awaiting_answer = False  # client bytes seen since the server last answered
        self._finished = 0

    def start(self) -> None:
        for source, destination, upstream in ((self.client, self.server, True), (self.server, self.client, False)):
            chunks: queue.Queue[tuple[float, bytes | None]] = queue.Queue()
            threading.Thread(target=self._read, args=(source, chunks, upstream), daemon=True).start()
            threading.Thread(target=self._write, args=(destination, chunks), daemon=True).start()

    def _on_bytes(self, upstream: bool) -> None:
        with self._state_lock:
            if upstream:
                self._awaiting_answer = True
            elif self._awaiting_answer:
                self._awaiting_answer = False
                self.proxy._count_turn()

    def _read(self, source: socket.socket, chunks: queue.Queue, upstream: bool) -> None:
        try:
            while True:
                data = source.recv(_CHUNK)
                if not data:
                    break
                self._on_bytes(upstream)
                chunks.put((time.monotonic(), data))
        except OSError:
            pass
        chunks.put((time.monotonic(), None))

    def _write(self, destination: socket.socket, chunks: queue.Queue) -> None:
        delay = self.proxy.delay_ms / 1000
        try:
            while True:
                arrived, data = chunks.get()
                if delay:
                    wait = arrived + delay - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                if data is None:
                    destination.shutdown(socket.SHUT_WR)
                    break
                destination.sendall(data)
        except OSError:
            pass
        finally:
            self._direction_done()

    def _direction_done(self) -> None:
        with self._state_lock:
            self._finished += 1
            both = self._finished == 2
        if both:
            _close(self.client)
            _close(self.server)
            self.proxy._forget(self.client, self.server)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


# --- fixtures ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProxiedDatabase:
    url: str  # DATABASE_URL through the proxy
    direct_url: str  # the same database without the proxy (for seeding and assertions)
    proxy: TcpProxy


def proxy_for(database_url: str, *, delay_ms: float = 0.0) -> TcpProxy:
    parts = urlsplit(database_url)
    return TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432, delay_ms=delay_ms).start()


@pytest.fixture
def counted_database(database_url: str) -> Iterator[ProxiedDatabase]:
    """A fresh migrated database reached through a counting proxy (no added delay)."""
    proxy = proxy_for(database_url)
    try:
        yield ProxiedDatabase(proxy.url_for(database_url), database_url, proxy)
    finally:
        proxy.stop()


@pytest.fixture
def counted_database_url(counted_database: ProxiedDatabase) -> tuple[str, TcpProxy]:
    """(DATABASE_URL through the proxy, the proxy)."""
    return counted_database.url, counted_database.proxy


@dataclass
class ProxiedPipeline:
    pipeline: Any  # tests.support.aws.Pipeline; its database_url is the direct one
    proxy: TcpProxy

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipeline, name)


@pytest.fixture
def pipeline_via_proxy(pipeline_env: dict[str, str], aws: Any, discord: Any, discord_key: Any,
                       counted_database: ProxiedDatabase,
                       monkeypatch: pytest.MonkeyPatch) -> Iterator[ProxiedPipeline]:
    """The in-process pipeline whose worker talks to PostgreSQL through the counting proxy.

    The worker reads DATABASE_URL when its module is imported, so the variable is pointed at
    the proxy before the handlers are loaded.
    """
    from ladderline import settings as names

    from tests.support.aws import Pipeline, load_handler

    monkeypatch.setenv(names.DATABASE_URL, counted_database.url)
    ingress = load_handler("ingress")
    worker = load_handler("worker")
    pipeline = Pipeline(ingress, worker, aws, discord, discord_key, counted_database.direct_url)
    try:
        yield ProxiedPipeline(pipeline, counted_database.proxy)
    finally:
        worker.worker.close()


def main(argv: list[str]) -> None:
    """`python -m tests.support.tcp_proxy TARGET_HOST TARGET_PORT DELAY_MS`: a proxy in a process of its
    own (the bench's Part D), so its threads never hold the measured process's GIL. Prints the port
    it listens on, then forwards until its standard input closes."""
    import sys

    proxy = TcpProxy(argv[0], int(argv[1]), delay_ms=float(argv[2])).start()
    print(proxy.port, flush=True)
    sys.stdin.read()
    proxy.stop()


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
