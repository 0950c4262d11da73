"""Bench Part B's minimal SQS endpoint (tests/bench/sqs_endpoint.py) answers SendMessage as SQS does:
boto3 and a raw JSON-protocol client get a message id and the digests moto (like SQS) computes."""

from __future__ import annotations

import http.client
import json
import socket
import ssl

import boto3
import certifi
import pytest
from ladderline.adapters import sqs_json

from tests.bench.ingress import _free_port, _start_endpoint
from tests.bench.local_tls import certificates_in, write_tls_files
from tests.support.aws import REGION

ATTRIBUTES = {
    "route": {"DataType": "String", "StringValue": "profile"},
    "attempt": {"DataType": "Number", "StringValue": "2"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01ladder"},
}
BODY = '{"interaction_id":"1","note":"Zoë 👋"}'


@pytest.fixture
def endpoint():
    port = _free_port()
    server = _start_endpoint(port)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


def test_send_message_digests_match_what_moto_computes(endpoint, aws):
    on_moto = aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody=BODY, MessageAttributes=ATTRIBUTES)
    client = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)

    here = client.send_message(QueueUrl=aws.queue_url, MessageBody=BODY, MessageAttributes=ATTRIBUTES)

    assert here["MD5OfMessageBody"] == on_moto["MD5OfMessageBody"]
    assert here["MD5OfMessageAttributes"] == on_moto["MD5OfMessageAttributes"]
    assert here["MessageId"] != on_moto["MessageId"] and len(here["MessageId"]) == 36


def test_one_kept_alive_connection_serves_many_requests_and_refuses_other_actions(endpoint):
    host, port = endpoint.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.SendMessage"}
    ids = set()
    for n in range(3):
        conn.request("POST", "/", body=json.dumps({"QueueUrl": "q", "MessageBody": f"m{n}"}), headers=headers)
        answer = conn.getresponse()
        assert answer.status == 200 and not answer.will_close
        ids.add(json.loads(answer.read())["MessageId"])
    conn.request("POST", "/", body="{}", headers={**headers, "X-Amz-Target": "AmazonSQS.ReceiveMessage"})
    refused = conn.getresponse()
    assert refused.status == 400 and b"only SendMessage" in refused.read()
    assert len(ids) == 3
    conn.close()


def test_tls_mode_is_trusted_through_the_bundle_by_both_clients_and_by_nothing_else(tmp_path, monkeypatch):
    """Part B's cold starts: the endpoint over HTTPS, trusted only through local_tls.py's bundle."""
    certificate, key, bundle = write_tls_files(tmp_path)
    assert certificates_in(bundle) > 100  # certifi's roots and the bench CA: a bundle as large as Lambda's
    port = _free_port()
    server = _start_endpoint(port, (certificate, key))
    try:
        url = f"https://127.0.0.1:{port}"
        boto = boto3.client("sqs", region_name=REGION, endpoint_url=url, verify=str(bundle))
        assert boto.send_message(QueueUrl=f"{url}/1/q", MessageBody=BODY)["MD5OfMessageBody"]

        # Ours: OpenSSL's default verify paths, which SSL_CERT_FILE names (as the cold samples set it).
        monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
        monkeypatch.setattr(sqs_json, "_TLS", None)
        context = sqs_json.tls_context()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.version() is not None

        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, pytest.raises(ssl.SSLCertVerificationError):
            ssl.create_default_context(cafile=certifi.where()).wrap_socket(raw, server_hostname="127.0.0.1")
    finally:
        server.terminate()
        server.wait(timeout=10)
