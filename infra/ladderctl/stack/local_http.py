"""The local API Gateway: POST /interactions on 127.0.0.1 into the ingress handler.

Each request becomes the HTTP API payload 2.0 event the deployed function receives: lower-case
header names (API Gateway lower-cases them), the body as a string, or base64 with isBase64Encoded
when it is not UTF-8 (so the signature is still checked on the exact bytes), requestContext.http
and timeEpoch. The handler's statusCode/headers/body become the HTTP answer.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# API Gateway HTTP APIs refuse request bodies over 10 MB before invoking the function.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
API_ID = "local"


class PortInUse(RuntimeError):
    """The port is taken (one readable line)."""


def api_gateway_event(method: str, path: str, query: str, headers: dict[str, str], body: bytes,
                      source_ip: str, host: str) -> dict[str, Any]:
    lower = {}
    for name, value in headers.items():
        # API Gateway joins repeated headers with commas.
        key = name.lower()
        lower[key] = f"{lower[key]},{value}" if key in lower else value
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    now_ms = int(time.time() * 1000)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": lower,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": API_ID,
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": lower.get("user-agent", "")},
            "requestId": uuid.uuid4().hex[:16] + "=",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
            "timeEpoch": now_ms,
        },
        "isBase64Encoded": encoded,
    }
    if body:
        event["body"] = text
    if query:
        event["queryStringParameters"] = dict(
            part.split("=", 1) if "=" in part else (part, "") for part in query.split("&") if part)
    return event


class BurstHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer for bursts: Python's default listen backlog of 5 made the kernel reset
    connections under 32 concurrent clients (14 of 2,000 requests in issue 12's run)."""

    request_queue_size = 1024  # the kernel caps it at net.core.somaxconn
    daemon_threads = True


class LowLatencyHandler(BaseHTTPRequestHandler):
    """Answers leave in one segment without Nagle's delay.

    BaseHTTPRequestHandler writes the headers, then the body, in separate sends on an unbuffered
    socket; with Nagle on, the small body waited for the client's delayed ACK (~40 ms per answer).
    A buffered writer (flushed once per request by handle_one_request) sends both together, and
    TCP_NODELAY sends it at once.
    """

    wbufsize = 64 * 1024

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


# (event, raw body) -> handler response; the stack wraps the handler to time and report it.
Invoke = Callable[[dict[str, Any], bytes], dict[str, Any]]


class IngressServer:
    """A threaded HTTP server that serves POST <path> with `invoke` (everything else 404/405)."""

    def __init__(self, invoke: Invoke, host: str = "127.0.0.1", port: int = 3000,
                 path: str = "/interactions") -> None:
        self.invoke = invoke
        self.path = path
        handler = type("_BoundIngressHandler", (_Handler,), {"server_ref": self})
        try:
            self._server = BurstHTTPServer((host, port), handler)
        except OSError as exc:
            if exc.errno in (98, 48):  # EADDRINUSE on Linux, macOS
                raise PortInUse(f"port {port} on {host} is already in use") from None
            raise
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    def start(self) -> IngressServer:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,),
                                        name="ingress-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()


class _Handler(LowLatencyHandler):
    server_ref: IngressServer
    protocol_version = "HTTP/1.1"
    server_version = "ladderline-local-apigw"

    def log_message(self, format: str, *args: Any) -> None:  # the stack prints its own lines
        pass

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {"content-type": "application/json"}).items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            self.close_connection = True
            self._reply(413, b'{"message":"Request Entity Too Large"}')
            return
        body = self.rfile.read(length) if length else b""
        if path != self.server_ref.path:
            self._reply(404, b'{"message":"Not Found"}')
            return
        if self.command != "POST":
            self._reply(405, b'{"message":"Method Not Allowed"}')
            return
        event = api_gateway_event(self.command, path, query, dict(self.headers.items()), body,
                                  self.client_address[0], self.headers.get("Host", "127.0.0.1"))
        try:
            result = self.server_ref.invoke(event, body)
        except Exception:  # noqa: BLE001 - what API Gateway answers when the function errors
            self._reply(500, b'{"message":"Internal Server Error"}')
            return
        raw = result.get("body") or ""
        payload = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        headers.setdefault("content-type", "application/json")
        self._reply(int(result.get("statusCode", 200)), payload, headers)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


def summarize(body: bytes) -> dict[str, Any]:
    """What the console shows of a request: ids and names, never the token."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(payload, dict):
        return {}
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    return {"id": str(payload.get("id", "")), "type": payload.get("type"),
            "name": data.get("name"), "custom_id": data.get("custom_id")}
