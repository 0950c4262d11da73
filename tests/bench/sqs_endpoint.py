"""NOT PRODUCT CODE: a minimal SQS endpoint for bench Part B (`python -m tests.bench.sqs_endpoint PORT`).

Part B compares two ingress handlers whose difference is their own CPU work (about 0.5 ms against
1.3 ms per request). Against moto each request also waits ~2-3 ms for moto's SendMessage (a
Flask app, its request parsing, its queue model), which is the same for both and hides the
difference. This endpoint answers SendMessage in the AWS JSON protocol (what botocore and our
adapters/sqs_json.py speak) in well under 0.1 ms: HTTP/1.1 on kept-alive connections, one send
per answer, TCP_NODELAY. It stores nothing. The answer carries a correct MD5OfMessageBody (our
publisher and boto3 check it) and MD5OfMessageAttributes (SQS's documented digest of the
attributes), so neither client can tell it from SQS on this path.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import socketserver
import struct
import sys
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


class _Connection(socketserver.StreamRequestHandler):
    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        while True:
            request_line = self.rfile.readline(65537)
            if not request_line:
                return
            length, target = 0, ""
            while True:
                line = self.rfile.readline(65537)
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "x-amz-target":
                    target = value.strip()
            status, payload = answer(target, self.rfile.read(length))
            self.wfile.write(
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Bad Request'}\r\n"
                f"Content-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: {uuid.uuid4()}\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main() -> None:
    port = int(sys.argv[1])
    if len(sys.argv) > 2:  # the core to run on (the measuring process takes another one)
        os.sched_setaffinity(0, {int(sys.argv[2])})
    with Server(("127.0.0.1", port), _Connection) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
