"""The ingress's stdlib SigV4 signer gives the same Authorization as botocore's signer."""

from __future__ import annotations

import datetime

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from ladderline.adapters.sigv4 import Credentials, SigV4Signer

NOW = 1767225600.0 + 3723  # 2026-01-01T01:02:03Z


def botocore_headers(monkeypatch, method, url, headers, body, creds, region, service):
    monkeypatch.setattr(botocore.auth, "get_current_datetime",
                        lambda: datetime.datetime.fromtimestamp(NOW, datetime.UTC).replace(tzinfo=None))
    request = AWSRequest(method=method, url=url, headers=headers, data=body)
    botocore.auth.SigV4Auth(BotoCredentials(creds.access_key, creds.secret_key, creds.session_token),
                            service, region).add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize("token", [None, "IQoJb3JpZ2luX2VjE//session+token=="])
@pytest.mark.parametrize(("host", "path", "query", "body"), [
    ("sqs.eu-west-1.amazonaws.com", "/", "", b'{"QueueUrl":"https://x/1/q","MessageBody":"h\xc3\xa9"}'),
    ("127.0.0.1:4566", "/", "", b""),
    ("example.amazonaws.com", "/a%20b/c~d", "b=2&a=1&c=x%20y", b"payload"),
    ("example.amazonaws.com", "/caf%C3%A9/%7E", "n=%E2%9C%93&e=&k=a~b", b""),
])
def test_the_signature_matches_botocores(monkeypatch, token, host, path, query, body):
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.SendMessage"}
    url = f"https://{host}{path}" + (f"?{query}" if query else "")

    ours = SigV4Signer("sqs", "eu-west-1").sign("POST", host, path, headers, body, creds,
                                                 query=query, now=NOW)
    theirs = botocore_headers(monkeypatch, "POST", url, headers, body, creds, "eu-west-1", "sqs")

    assert ours["Authorization"] == theirs["Authorization"]
    assert ours["X-Amz-Date"] == theirs["X-Amz-Date"] == "20260101T010203Z"
    assert ours.get("X-Amz-Security-Token") == theirs.get("X-Amz-Security-Token") == token


def test_the_aws_test_suite_vector_get_vanilla():
    # aws-sig-v4-test-suite/get-vanilla: GET / on example.amazonaws.com, service "service".
    signer = SigV4Signer("service", "us-east-1")
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    now = datetime.datetime(2015, 8, 30, 12, 36, tzinfo=datetime.UTC).timestamp()

    headers = signer.sign("GET", "example.amazonaws.com", "/", {}, b"", creds, now=now)

    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")


def test_a_new_secret_gets_a_new_signing_key():
    signer = SigV4Signer("sqs", "us-east-1")
    a = signer.sign("POST", "h", "/", {}, b"x", Credentials("AK", "one"), now=NOW)["Authorization"]
    b = signer.sign("POST", "h", "/", {}, b"x", Credentials("AK", "two"), now=NOW)["Authorization"]

    assert a != b


@pytest.mark.parametrize("text", ["", "/", "/a b/c~d", "café/✓", "100%", "%zz%4", "%41%e2%9c%93", "a+b=c&d",
                                  "%C3%A9%", "%%41", "tab\there", "日本"])
def test_percent_coding_is_urllib_parses(text):
    # What the signer used before it dropped urllib.parse (import time): the same strings out.
    from urllib.parse import quote, unquote

    from ladderline.adapters import sigv4

    assert sigv4._quote(text, keep=b"/") == quote(text, safe="/~")
    assert sigv4._quote(text) == quote(text, safe="-_.~")
    assert sigv4._unquote(text) == unquote(text)
