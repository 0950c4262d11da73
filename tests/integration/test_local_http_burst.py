"""The local API Gateway takes a burst: connections wait in the listen backlog instead of being
dropped, and every one is answered."""

from __future__ import annotations

import socket

from ladderctl.stack.local_http import IngressServer


def test_a_hundred_connections_made_before_the_server_accepts_are_all_answered():
    calls = []
    server = IngressServer(lambda event, body: calls.append(body) or {"statusCode": 200, "body": '{"ok":1}'},
                           port=0)
    clients = []
    try:
        # The server is not accepting yet: every connection must fit in the listen backlog (Python's
        # default of 5 would leave the rest unanswered SYNs, timing out here).
        for _ in range(100):
            clients.append(socket.create_connection(("127.0.0.1", server.port), timeout=2))
        server.start()
        for number, client in enumerate(clients):
            body = f'{{"n":{number}}}'.encode()
            client.sendall(b"POST /interactions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                           + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        answers = []
        for client in clients:
            data = b""
            while chunk := client.recv(65536):
                data += chunk
            answers.append(data)
    finally:
        for client in clients:
            client.close()
        server.stop()

    assert all(a.startswith(b"HTTP/1.1 200") and a.endswith(b'{"ok":1}') for a in answers)
    assert len(calls) == 100
