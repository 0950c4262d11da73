"""A stand-in for CloudFormation's side of a custom resource: the presigned ResponseURL.

A real HTTP server on loopback that records every PUT (headers and JSON body), so a test sees
exactly what the function answered, how many times, and that it used no content type (the
presigned URL is signed without one).
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    path: str
    content_type: str | None
    body: dict[str, Any]


@dataclass
class ResponseCatcher:
    base_url: str
    answers: list[Answer] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def event(self, request_type: str, properties: dict[str, Any] | None = None,
              physical_id: str | None = None, logical_id: str = "Resource") -> dict[str, Any]:
        request_id = str(uuid.uuid4())
        event = {
            "RequestType": request_type,
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:test",
            "ResponseURL": f"{self.base_url}/cfn/{request_id}?X-Amz-Signature=secret-ish",
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/test/guid",
            "RequestId": request_id,
            "ResourceType": "Custom::Test",
            "LogicalResourceId": logical_id,
            "ResourceProperties": {"ServiceToken": "x", **(properties or {})},
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        return event

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Answer]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.answers) >= count, timeout=timeout)
            return list(self.answers)


def start() -> tuple[ResponseCatcher, ThreadingHTTPServer]:
    catcher: ResponseCatcher

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with catcher.arrived:
                catcher.answers.append(Answer(self.path, self.headers.get("Content-Type"), body))
                catcher.arrived.notify_all()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    catcher = ResponseCatcher(f"http://127.0.0.1:{server.server_address[1]}")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return catcher, server
