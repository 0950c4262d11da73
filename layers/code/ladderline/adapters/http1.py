"""A minimal HTTP/1.1 client for one kept-alive connection (the ingress's SQS calls).

http.client imports the email package to parse headers: `python -X importtime` measured it at
about a third of what the ingress's SendMessage path imported, on the path Discord's 3 s clock
times. SQS answers a small JSON body with Content-Length; chunked bodies are read too.

The request (headers and body) goes out in one send with TCP_NODELAY: a separate small body
segment would wait for the peer's delayed ACK (~40 ms).
"""

from __future__ import annotations

import socket
import ssl


class ConnectionClosed(ConnectionError):
    """The peer closed the connection before answering (e.g. an idle kept-alive connection)."""


class ProtocolError(OSError):
    """The answer is not HTTP/1.x as we understand it."""


MAX_LINE = 65536
MAX_HEADERS = 100


class Http1Connection:
    def __init__(self, host: str, port: int, *, tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.port = port
        self._tls = tls
        self._sock: socket.socket | None = None
        self._buffer = b""

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def connect(self, timeout: float) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._buffer = b""

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None
                self._buffer = b""

    def exchange(self, method: str, path: str, headers: dict[str, str], body: bytes, *,
                 connect_timeout: float, read_timeout: float) -> tuple[int, dict[str, str], bytes]:
        """request(), connecting first when not connected. A kept-alive connection the server closed
        while it was idle is reopened, once, at once: that is not a failed attempt. Raises
        ConnectionClosed / OSError otherwise, the connection closed."""
        for _reopen in (1, 2):
            reused = self.connected
            try:
                if not reused:
                    self.connect(connect_timeout)
                return self.request(method, path, headers, body, read_timeout)
            except (ConnectionClosed, ConnectionResetError, BrokenPipeError):
                self.close()
                if not reused:
                    raise
            except OSError:
                self.close()
                raise
        raise ConnectionClosed("closed twice")

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes,
                timeout: float) -> tuple[int, dict[str, str], bytes]:
        """Send one request and read its answer: (status, lower-cased headers, body)."""
        if self._sock is None:
            raise ConnectionClosed("not connected")
        self._sock.settimeout(timeout)
        host = self.host if self.port in (80, 443) else f"{self.host}:{self.port}"
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items() if name.lower() != "host"]
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        status_line = self._line()
        if not status_line:
            raise ConnectionClosed("closed before the status line")
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise ProtocolError(f"bad status line {status_line[:100]!r}")
        status = int(parts[1])
        answer_headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS):
            line = self._line()
            if line in (b"", b"\r\n", b"\n"):
                break
            name, _, value = line.decode("latin-1").partition(":")
            answer_headers[name.strip().lower()] = value.strip()
        else:
            raise ProtocolError("too many headers")
        if answer_headers.get("transfer-encoding", "").lower() == "chunked":
            data = self._chunked()
        elif "content-length" in answer_headers:
            data = self._exactly(int(answer_headers["content-length"]))
        else:  # the body runs to the end of the connection
            data = self._to_end()
        if answer_headers.get("connection", "").lower() == "close" or "content-length" not in answer_headers \
                and answer_headers.get("transfer-encoding", "").lower() != "chunked":
            self.close()
        return status, answer_headers, data

    def _fill(self) -> bool:
        assert self._sock is not None
        chunk = self._sock.recv(65536)
        if not chunk:
            return False
        self._buffer += chunk
        return True

    def _line(self) -> bytes:
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_LINE:
                raise ProtocolError("line too long")
            if not self._fill():
                line, self._buffer = self._buffer, b""
                return line
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line + b"\n"

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not self._fill():
                raise ConnectionClosed("closed in the middle of the body")
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _chunked(self) -> bytes:
        data = b""
        while True:
            size = int(self._line().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self._line() not in (b"", b"\r\n", b"\n"):  # trailers
                    pass
                return data
            data += self._exactly(size)
            self._exactly(2)  # CRLF after each chunk

    def _to_end(self) -> bytes:
        while self._fill():
            pass
        data, self._buffer = self._buffer, b""
        return data
