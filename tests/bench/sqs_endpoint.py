"""NOT PRODUCT CODE: a minimal SQS endpoint for bench Part B (`python -m tests.bench.sqs_endpoint PORT [CERT KEY]`).

Part B compares two ingress handlers whose difference is their own CPU work (about 0.5 ms against
1.8 ms per request). Against moto each request also waits ~2-3 ms for moto's SendMessage (a
Flask app, its request parsing, its queue model), which is the same for both and hides the
difference. This endpoint answers SendMessage in the AWS JSON protocol (what botocore and our
adapters/sqs_json.py speak) in well under 0.1 ms: HTTP/1.1 on kept-alive connections, one send
per answer, TCP_NODELAY. It stores nothing. The answer carries a correct MD5OfMessageBody (our
publisher and boto3 check it) and MD5OfMessageAttributes (SQS's documented digest of the
attributes), so neither client can tell it from SQS on this path.

It blocks in poll() between requests, as any server does. (It used to spin, polling with a zero
timeout, so that its vCPU was always awake: that kept one of this machine's two cores busy for
the whole measurement and flattered both handlers' tails. A fair comparison needs the same
wait for both, not the smallest one; the target on the tail is now a ratio of the two.)

With CERT and KEY it serves HTTPS instead, for Part B's cold starts (one request per fresh
interpreter, a CA bundle and a TLS handshake each, as in Lambda): a thread per connection, blocking,
not spinning; the wake-up (well under 1 ms) is small beside a cold start. moto over TLS was tried
for this: the same call took ~12 ms there against ~2.8 ms over plain HTTP (measured here, a new
connection each), a delay both handlers would wait for, pulling the ratio towards 1.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import select
import socket
import ssl
import struct
import sys
import threading
import uuid
from typing import Any


def md5_of_message_attributes(attributes: dict[str, dict[str, Any]]) -> str:
    """SQS's digest: per attribute, sorted by name: name, data type, transport type (1 string,
    2 binary) and value, each string length-prefixed (4 bytes, big-endian)."""
    digest = hashlib.md5()

    def put(data: bytes) -> None:
        digest.update(struct.pack(">I", len(data)) + data)

    for name in sorted(attributes):
        attribute = attributes[name]
        put(name.encode())
        put(attribute["DataType"].encode())
        if "BinaryValue" in attribute:
            import base64

            digest.update(b"\x02")
            value = attribute["BinaryValue"]
            put(value if isinstance(value, bytes) else base64.b64decode(value))
        else:
            digest.update(b"\x01")
            put(attribute["StringValue"].encode())
    return digest.hexdigest()


def answer(target: str, body: bytes) -> tuple[int, bytes]:
    if target != "AmazonSQS.SendMessage":
        return 400, json.dumps({"__type": "com.amazonaws.sqs#UnsupportedOperation",
                                "message": f"only SendMessage here, not {target}"}).encode()
    request = json.loads(body)
    result = {"MessageId": str(uuid.uuid4()),
              "MD5OfMessageBody": hashlib.md5(request["MessageBody"].encode("utf-8")).hexdigest()}
    if request.get("MessageAttributes"):
        result["MD5OfMessageAttributes"] = md5_of_message_attributes(request["MessageAttributes"])
    return 200, json.dumps(result).encode()


def _head(head: bytes) -> tuple[int, str]:
    """Content-Length and X-Amz-Target of a request head (request line + headers)."""
    length, target = 0, ""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "x-amz-target":
            target = value.strip()
    return length, target


def _answers(buffer: bytes) -> tuple[bytes, bytes]:
    """The answers to every complete request at the start of `buffer`, and what is left of it."""
    out = b""
    while b"\r\n\r\n" in buffer:
        head, _, rest = buffer.partition(b"\r\n\r\n")
        length, target = _head(head)
        if len(rest) < length:
            break
        status, payload = answer(target, rest[:length])
        buffer = rest[length:]
        out += (f"HTTP/1.1 {status} {'OK' if status == 200 else 'Bad Request'}\r\n"
                f"Content-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: {uuid.uuid4()}\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload
    return out, buffer


def serve(listener: socket.socket) -> None:
    """One thread, every connection kept alive, waiting in poll() for the next request."""
    listener.setblocking(False)
    poller = select.poll()
    poller.register(listener, select.POLLIN)
    connections: dict[int, tuple[socket.socket, bytearray]] = {}
    while True:
        for fd, _ in poller.poll():
            if fd == listener.fileno():
                with contextlib.suppress(BlockingIOError):
                    conn, _ = listener.accept()
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    conn.setblocking(False)
                    connections[conn.fileno()] = (conn, bytearray())
                    poller.register(conn, select.POLLIN)
                continue
            conn, buffer = connections[fd]
            try:
                data = conn.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                poller.unregister(fd)
                del connections[fd]
                conn.close()
                continue
            out, rest = _answers(bytes(buffer) + data)
            buffer[:] = rest
            if out:
                conn.setblocking(True)  # a few hundred bytes: one send, at once
                conn.sendall(out)
                conn.setblocking(False)


def _serve_tls_connection(conn: socket.socket, context: ssl.SSLContext) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with contextlib.suppress(OSError), context.wrap_socket(conn, server_side=True) as tls:  # the handshake
        buffer = b""
        while data := tls.recv(65536):
            out, buffer = _answers(buffer + data)
            if out:
                tls.sendall(out)


def serve_tls(listener: socket.socket, context: ssl.SSLContext) -> None:
    """HTTPS, a thread per connection (see the module's note on TLS)."""
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_serve_tls_connection, args=(conn, context), daemon=True).start()


def main() -> None:
    port = int(sys.argv[1])
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        if len(sys.argv) == 4:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[2], sys.argv[3])
            serve_tls(listener, context)
        else:
            serve(listener)


if __name__ == "__main__":
    main()
