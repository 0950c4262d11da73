"""The ingress's own SQS client (no boto3): SendMessage against the moto server, and its retries,
timeouts, kept-alive connections, credentials and SnapStart restore against a scripted endpoint."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from ladderline import settings as names
from ladderline.adapters.sqs_json import CredentialSource, SqsError, SqsJsonClient, SqsJsonPublisher
from ladderline.job import Job
from ladderline.settings import AwsRuntime

from tests.support.aws import load_handler
from tests.support.interactions import APPLICATION_ID, dumps, make_interaction, signed_event


def a_job(route: str = "ping") -> Job:
    return Job(interaction_id="1234567890123456789", application_id=APPLICATION_ID, token="tok", interaction_type=2,
               route=route, options={}, user_id="42", guild_id=None, channel_id=None, locale="en-US",
               received_at_ms=1, ack_type=5, ephemeral=True)


def runtime(endpoint: str, **overrides: str) -> AwsRuntime:
    env = {"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "AKID1",
           "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "session-1", **overrides}
    return AwsRuntime.from_env({k: v for k, v in env.items() if v})


def client_for(env: dict[str, str] | AwsRuntime, **timeouts: float) -> SqsJsonClient:
    rt = env if isinstance(env, AwsRuntime) else AwsRuntime.from_env(env)
    return SqsJsonClient(rt, CredentialSource(lambda: rt), **timeouts)


def test_send_message_reaches_the_moto_queue_with_its_attribute(aws):
    publisher = SqsJsonPublisher(client_for(runtime(aws.endpoint)), aws.queue_url)

    publisher.publish(a_job("profile"))
    publisher.publish(a_job("leaderboard"))  # the same kept-alive connection

    messages = aws.receive()
    assert [json.loads(m["Body"])["route"] for m in messages] == ["profile", "leaderboard"]
    assert messages[0]["MessageAttributes"]["route"] == {"DataType": "String", "StringValue": "profile"}


def test_a_missing_queue_is_not_retried_and_raises(aws):
    publisher = SqsJsonPublisher(client_for(runtime(aws.endpoint)), aws.queue_url + "-gone")

    with pytest.raises(SqsError) as raised:
        publisher.publish(a_job())

    assert raised.value.retriable is False and raised.value.status == 400


class Scripted:
    """A stand-in SQS endpoint: answers from a script, records what it was sent."""

    def __init__(self, script: list[str]) -> None:
        self.script = script  # per request: "ok", "500", "throttle", "hang", "ok-then-close"
        self.requests: list[dict[str, Any]] = []
        self.connections = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                outer.connections += 1
                super().setup()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"headers": dict(self.headers), "body": json.loads(body)})
                step = outer.script.pop(0) if outer.script else "ok"
                if step == "hang":
                    threading.Event().wait(1)
                    self.close_connection = True
                    return
                if step in ("500", "throttle"):
                    status, answer = (500, {"__type": "InternalError"}) if step == "500" else (
                        400, {"__type": "com.amazonaws.sqs#ThrottlingException", "message": "slow down"})
                else:
                    md5 = hashlib.md5(json.loads(body)["MessageBody"].encode()).hexdigest()
                    status, answer = 200, {"MessageId": "m", "MD5OfMessageBody": md5}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                if step == "ok-then-close":  # as a server closing an idle keep-alive connection
                    self.close_connection = True

            def do_GET(self) -> None:
                outer.requests.append({"headers": dict(self.headers), "path": self.path})
                data = json.dumps({"AccessKeyId": "AKIDCONTAINER", "SecretAccessKey": "s", "Token": "container-token",
                                   "Expiration": "2099-01-01T00:00:00Z"}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def scripted() -> Iterator[Any]:
    made: list[Scripted] = []

    def make(*script: str) -> Scripted:
        made.append(Scripted(list(script)))
        return made[-1]

    yield make
    for s in made:
        s.server.shutdown()
        s.server.server_close()


QUEUE = "http://queue/000000000000/jobs"


@pytest.mark.parametrize("failure", ["500", "throttle"])
def test_one_retry_after_a_server_error_or_a_throttle(scripted, failure):
    sqs = scripted(failure, "ok")

    SqsJsonPublisher(client_for(runtime(sqs.url)), QUEUE).publish(a_job())

    assert len(sqs.requests) == 2
    assert sqs.requests[1]["body"]["QueueUrl"] == QUEUE


def test_two_failures_give_up_after_the_one_retry(scripted):
    sqs = scripted("500", "500", "ok")

    with pytest.raises(SqsError):
        SqsJsonPublisher(client_for(runtime(sqs.url)), QUEUE).publish(a_job())

    assert len(sqs.requests) == 2


def test_an_endpoint_that_never_answers_fails_instead_of_hanging(scripted):
    sqs = scripted("hang", "hang")

    with pytest.raises(SqsError) as raised:
        SqsJsonPublisher(client_for(runtime(sqs.url), read_timeout=0.2), QUEUE).publish(a_job())

    assert raised.value.retriable and len(sqs.requests) == 2


def test_a_closed_idle_connection_is_reopened_without_using_the_retry(scripted):
    sqs = scripted("ok-then-close", "500", "ok")
    publisher = SqsJsonPublisher(client_for(runtime(sqs.url)), QUEUE)

    publisher.publish(a_job())
    publisher.publish(a_job())  # stale socket -> reopened; then a 500 -> the one retry -> ok

    assert len(sqs.requests) == 3 and sqs.connections == 2


def test_requests_are_signed_with_the_session_token_and_the_json_protocol(scripted):
    sqs = scripted("ok")

    SqsJsonPublisher(client_for(runtime(sqs.url)), QUEUE).publish(a_job())

    headers = sqs.requests[0]["headers"]
    assert headers["X-Amz-Target"] == "AmazonSQS.SendMessage"
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert headers["X-Amz-Security-Token"] == "session-1"
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKID1/")
    assert "x-amz-security-token" in headers["Authorization"]


def test_under_snapstart_credentials_come_from_the_container_endpoint(scripted):
    sqs = scripted("ok")
    rt = runtime(sqs.url, AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="", AWS_SESSION_TOKEN="",
                 AWS_CONTAINER_CREDENTIALS_FULL_URI=f"{sqs.url}/2018-06-01/credentials",
                 AWS_CONTAINER_AUTHORIZATION_TOKEN="auth-token")

    SqsJsonPublisher(client_for(rt), QUEUE).publish(a_job())

    [fetch, send] = sqs.requests
    assert fetch["path"] == "/2018-06-01/credentials" and fetch["headers"]["Authorization"] == "auth-token"
    assert send["headers"]["X-Amz-Security-Token"] == "container-token"
    assert send["headers"]["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDCONTAINER/")


def test_reset_rereads_credentials_and_reconnects(scripted):
    sqs = scripted()
    env = {"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": sqs.url, "AWS_ACCESS_KEY_ID": "AKID1",
           "AWS_SECRET_ACCESS_KEY": "one", "AWS_SESSION_TOKEN": "t1"}
    client = SqsJsonClient(AwsRuntime.from_env(env), CredentialSource(lambda: AwsRuntime.from_env(env)))
    publisher = SqsJsonPublisher(client, QUEUE)
    publisher.publish(a_job())
    env.update(AWS_ACCESS_KEY_ID="AKID2", AWS_SECRET_ACCESS_KEY="two", AWS_SESSION_TOKEN="t2")

    publisher.publish(a_job())  # cached until a restore
    publisher.reset()
    publisher.publish(a_job())

    tokens = [r["headers"]["X-Amz-Security-Token"] for r in sqs.requests]
    assert tokens == ["t1", "t1", "t2"]
    assert sqs.connections == 2


def _ingress_env_and_empty_hook_registries(aws, discord_key, monkeypatch, init_type: str) -> Any:
    snapshot_restore_py = pytest.importorskip("snapshot_restore_py")
    monkeypatch.setattr(snapshot_restore_py, "_after_restore_registry", [])
    monkeypatch.setattr(snapshot_restore_py, "_before_snapshot_registry", [])
    monkeypatch.setenv(names.DISCORD_PUBLIC_KEY, discord_key.verify_key.encode().hex())
    monkeypatch.setenv(names.DISCORD_APPLICATION_ID, APPLICATION_ID)
    monkeypatch.setenv(names.QUEUE_URL, aws.queue_url)
    monkeypatch.setenv(names.AWS_LAMBDA_INITIALIZATION_TYPE, init_type)
    return snapshot_restore_py


def test_an_on_demand_init_registers_no_snapstart_hooks(aws, discord_key, monkeypatch):
    snapshot_restore_py = _ingress_env_and_empty_hook_registries(aws, discord_key, monkeypatch, "on-demand")

    load_handler("ingress")

    assert snapshot_restore_py._after_restore_registry == []
    assert snapshot_restore_py._before_snapshot_registry == []


def test_the_ingress_registers_its_snapstart_hooks(aws, discord_key, monkeypatch):
    snapshot_restore_py = _ingress_env_and_empty_hook_registries(aws, discord_key, monkeypatch, "snap-start")
    ingress = load_handler("ingress")
    [(hook, _, _)] = snapshot_restore_py._after_restore_registry
    [(before, _, _)] = snapshot_restore_py._before_snapshot_registry

    hook()  # what the runtime does after a restore
    ingress.lambda_handler(signed_event(dumps(make_interaction(2, data={"id": "1", "name": "ping", "type": 1})),
                                        discord_key), None)

    assert hook == ingress.publisher.reset
    assert before == ingress.routes.preload
    assert len(aws.receive()) == 1


def test_nothing_listening_fails_fast_with_a_retriable_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there

    with pytest.raises(SqsError) as raised:
        SqsJsonPublisher(client_for(runtime(f"http://127.0.0.1:{port}")), QUEUE).publish(a_job())

    assert raised.value.retriable


@pytest.mark.parametrize(("url", "parts"), [
    ("https://sqs.eu-west-1.amazonaws.com", ("https", "sqs.eu-west-1.amazonaws.com", None, "", "")),
    ("http://127.0.0.1:4566/", ("http", "127.0.0.1", 4566, "/", "")),
    ("http://169.254.170.2/2018-06-01/credentials?a=1", ("http", "169.254.170.2", None, "/2018-06-01/credentials", "a=1")),
    ("http://[::1]:9001/v1", ("http", "::1", 9001, "/v1", "")),
    ("http://host?x=y", ("http", "host", None, "", "x=y")),
])
def test_urls_split_as_urllib_would(url, parts):
    from urllib.parse import urlsplit

    from ladderline.adapters.sqs_json import Url

    ours = Url(url)
    theirs = urlsplit(url)
    assert (ours.scheme, ours.hostname, ours.port, ours.path, ours.query) == parts
    assert (theirs.scheme, theirs.hostname, theirs.port, theirs.path, theirs.query) == parts
    assert ours.netloc == theirs.netloc
