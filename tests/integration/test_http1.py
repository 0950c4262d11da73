"""The ingress's minimal HTTP/1.1 client against canned answers from a real socket."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from ladderline.adapters.http1 import ConnectionClosed, Http1Connection


@pytest.fixture
def server() -> Iterator[tuple[int, list[bytes], list[bytes]]]:
    """Answers each request on a connection with the next canned answer; records requests."""
    answers: list[bytes] = []
    received: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                while answers:
                    data = conn.recv(65536)
                    if not data:
                        break
                    received.append(data)
                    answer = answers.pop(0)
                    if answer == b"CLOSE":
                        break
                    conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1], answers, received
    listener.close()


def test_content_length_chunked_and_keep_alive(server):
    port, answers, received = server
    answers += [b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
                b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"]
    conn = Http1Connection("127.0.0.1", port)
    conn.connect(1)

    first = conn.request("POST", "/", {"Content-Type": "t"}, b"{}", 1)
    second = conn.request("POST", "/", {}, b"body", 1)

    assert first == (200, {"content-length": "5", "x-a": "b"}, b"hello")
    assert second[0] == 400 and second[2] == b"abcde"
    assert received[0] == (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 2\r\n"
                           "Content-Type: t\r\n\r\n{}").encode()
    assert conn.connected


def test_a_connection_close_answer_closes_and_a_silent_close_is_reported(server):
    port, answers, _ = server
    answers += [b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", b"CLOSE"]
    conn = Http1Connection("127.0.0.1", port)
    conn.connect(1)

    assert conn.request("GET", "/", {}, b"", 1)[0] == 200
    assert not conn.connected
    conn.connect(1)
    with pytest.raises(ConnectionClosed):
        conn.request("GET", "/", {}, b"", 1)
