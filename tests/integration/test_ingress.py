"""The ingress handler in-process against a real (moto) SQS endpoint: what Discord gets back,
and what is (or is not) queued."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import nacl.signing
import pytest
from ladderline import settings as names

from tests.support.aws import LambdaContext, load_handler
from tests.support.interactions import APPLICATION_ID, dumps, make_interaction, signed_event

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PING_COMMAND = {"id": "1", "name": "ping", "type": 1}


@pytest.fixture
def ingress(aws, discord_key, monkeypatch):
    monkeypatch.setenv(names.DISCORD_PUBLIC_KEY, discord_key.verify_key.encode().hex())
    monkeypatch.setenv(names.DISCORD_APPLICATION_ID, APPLICATION_ID)
    monkeypatch.setenv(names.QUEUE_URL, aws.queue_url)
    return load_handler("ingress")


def call(ingress, event):
    response = ingress.lambda_handler(event, LambdaContext("ingress", 5))
    return response["statusCode"], json.loads(response["body"])


def queued(aws):
    return [json.loads(m["Body"]) for m in aws.receive()]


def test_ping_is_answered_with_pong_and_nothing_is_queued(ingress, aws, discord_key):
    status, body = call(ingress, signed_event(dumps(make_interaction(1)), discord_key))

    assert (status, body) == (200, {"type": 1})
    assert queued(aws) == []


def test_a_deferred_command_is_queued_as_a_versioned_job_before_it_is_answered(ingress, aws, discord_key):
    interaction = make_interaction(2, data={**PING_COMMAND, "options": [{"name": "x", "type": 3, "value": "y"}]},
                                   locale="de")
    before_ms = int(time.time() * 1000)

    status, body = call(ingress, signed_event(dumps(interaction), discord_key))

    assert (status, body) == (200, {"type": 5, "data": {"flags": 64}})
    [job] = queued(aws)
    assert (job["schema_version"], job["kind"], job["subcommand"]) == (2, "interaction", None)
    assert job["interaction_id"] == interaction["id"]
    assert job["application_id"] == APPLICATION_ID
    assert job["token"] == interaction["token"]
    assert (job["interaction_type"], job["route"], job["options"]) == (2, "ping", {"x": "y"})
    assert job["user_id"] == interaction["member"]["user"]["id"]
    assert (job["guild_id"], job["channel_id"], job["locale"]) == (interaction["guild_id"], interaction["channel_id"], "de")
    assert before_ms <= job["received_at_ms"] <= int(time.time() * 1000)
    assert job["ack_type"] == 5


def test_a_dm_payload_reads_the_user_from_user_not_member(ingress, aws, discord_key):
    interaction = make_interaction(2, data=PING_COMMAND, guild_id=None, user_id="222222222222222222")

    status, _ = call(ingress, signed_event(dumps(interaction), discord_key))

    assert status == 200
    [job] = queued(aws)
    assert (job["user_id"], job["guild_id"]) == ("222222222222222222", None)


def test_a_forged_signature_gets_401_and_is_never_queued(ingress, aws):
    forger = nacl.signing.SigningKey.generate()

    status, body = call(ingress, signed_event(dumps(make_interaction(2, data=PING_COMMAND)), forger))

    assert status == 401 and "signature" in body["error"]
    assert queued(aws) == []


@pytest.mark.parametrize("mutate", [
    lambda e: e["headers"].pop("x-signature-ed25519"),
    lambda e: e["headers"].pop("x-signature-timestamp"),
    lambda e: e["headers"].__setitem__("x-signature-ed25519", "not-hex"),
    lambda e: e["headers"].__setitem__("x-signature-ed25519", "00" * 64),
    lambda e: e.__setitem__("body", e["body"].replace("ping", "pinG")),
], ids=["no-signature", "no-timestamp", "malformed", "zeros", "tampered-body"])
def test_missing_malformed_or_wrong_signatures_get_401(ingress, aws, discord_key, mutate):
    event = signed_event(dumps(make_interaction(2, data=PING_COMMAND)), discord_key)
    mutate(event)

    status, _ = call(ingress, event)

    assert status == 401
    assert queued(aws) == []


def test_mixed_case_header_names_are_accepted(ingress, aws, discord_key):
    event = signed_event(dumps(make_interaction(2, data=PING_COMMAND)), discord_key, header_case="mixed")

    status, body = call(ingress, event)

    assert (status, body["type"]) == (200, 5)
    assert len(queued(aws)) == 1


def test_a_base64_encoded_body_is_decoded_before_verification(ingress, aws, discord_key):
    event = signed_event(dumps(make_interaction(2, data=PING_COMMAND)), discord_key, base64=True)

    status, body = call(ingress, event)

    assert (status, body["type"]) == (200, 5)
    assert len(queued(aws)) == 1


def test_invalid_base64_gets_400(ingress, aws, discord_key):
    event = signed_event(b"{}", discord_key, base64=True)
    event["body"] = "%%%not base64%%%"

    status, body = call(ingress, event)

    assert status == 400 and "base64" in body["error"]


def test_non_ascii_bodies_verify_on_their_raw_bytes_and_reach_the_job_intact(ingress, aws, discord_key):
    interaction = make_interaction(2, data={**PING_COMMAND, "options": [
        {"name": "note", "type": 3, "value": "Grüße 👋 ñandú ☃"}]})
    interaction["channel"]["name"] = "ladder-🏆"

    status, _ = call(ingress, signed_event(dumps(interaction), discord_key))

    assert status == 200
    [job] = queued(aws)
    assert job["options"]["note"] == "Grüße 👋 ñandú ☃"


def test_the_real_discord_signed_request_passes_the_handler(aws, monkeypatch):
    request_ = json.loads((FIXTURES / "signed_requests.json").read_text(encoding="utf-8"))["vectors"][0]
    monkeypatch.setenv(names.DISCORD_PUBLIC_KEY, request_["public_key_hex"])
    monkeypatch.setenv(names.DISCORD_APPLICATION_ID, "1380486651436073092")
    monkeypatch.setenv(names.QUEUE_URL, aws.queue_url)
    monkeypatch.setenv(names.REPLAY_WINDOW_SECONDS, "0")  # captured in 2025
    ingress = load_handler("ingress")
    event = {"version": "2.0", "routeKey": "POST /interactions", "isBase64Encoded": False,
             "headers": {"x-signature-ed25519": request_["x_signature_ed25519"],
                         "x-signature-timestamp": request_["x_signature_timestamp"]},
             "body": request_["body"]}

    status, body = call(ingress, event)

    # /sign is not one of our commands: verified, parsed, and refused politely without queueing.
    assert status == 200
    assert body["type"] == 4 and body["data"]["flags"] == 64
    assert queued(aws) == []


def test_a_replayed_old_timestamp_gets_401(ingress, aws, discord_key):
    old = str(int(time.time()) - 301)

    status, _ = call(ingress, signed_event(dumps(make_interaction(2, data=PING_COMMAND)), discord_key, timestamp=old))

    assert status == 401
    assert queued(aws) == []


def test_replay_window_zero_disables_the_timestamp_check(aws, discord_key, monkeypatch):
    monkeypatch.setenv(names.DISCORD_PUBLIC_KEY, discord_key.verify_key.encode().hex())
    monkeypatch.setenv(names.DISCORD_APPLICATION_ID, APPLICATION_ID)
    monkeypatch.setenv(names.QUEUE_URL, aws.queue_url)
    monkeypatch.setenv(names.REPLAY_WINDOW_SECONDS, "0")
    ingress = load_handler("ingress")
    old = str(int(time.time()) - 86400)

    status, _ = call(ingress, signed_event(dumps(make_interaction(2, data=PING_COMMAND)), discord_key, timestamp=old))

    assert status == 200


def test_an_oversized_body_gets_413_before_anything_else(ingress, aws, discord_key):
    interaction = make_interaction(2, data={**PING_COMMAND, "options": [
        {"name": "x", "type": 3, "value": "a" * (300 * 1024)}]})

    status, body = call(ingress, signed_event(dumps(interaction), discord_key))

    assert status == 413 and body == {"error": "body too large"}
    assert queued(aws) == []


@pytest.mark.parametrize("body, error", [
    (b"not json", "body is not JSON"),
    (b"\xff\xfe", "body is not JSON"),
    (b"[1, 2]", "body is not a JSON object"),
    (b'{"type": 2, "id": "1", "token": "t", "application_id": "2"}', "malformed interaction"),
    (b'{"type": 99}', "malformed interaction"),
    (b'{"type": 3, "id": "1", "application_id": "2", "token": "t", "user": {"id": "3"}, "data": {}}',
     "malformed interaction"),
])
def test_a_valid_signature_over_a_bad_payload_gets_400_with_a_json_error(ingress, aws, discord_key, body, error):
    event = signed_event(b"", discord_key)
    timestamp = event["headers"]["x-signature-timestamp"]
    event["headers"]["x-signature-ed25519"] = discord_key.sign(timestamp.encode() + body).signature.hex()
    event["body"] = body.decode("utf-8", errors="surrogateescape") if body != b"\xff\xfe" else None
    if body == b"\xff\xfe":
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True

    status, answer = call(ingress, event)

    assert status == 400 and answer["error"].startswith(error)
    assert queued(aws) == []


def test_an_unknown_command_gets_an_ephemeral_message_and_is_not_queued(ingress, aws, discord_key):
    interaction = make_interaction(2, data={"id": "1", "name": "no-such-command", "type": 1})

    status, body = call(ingress, signed_event(dumps(interaction), discord_key))

    assert status == 200
    assert body["type"] == 4 and body["data"]["flags"] == 64 and "don't know" in body["data"]["content"]
    assert queued(aws) == []


def test_an_unknown_button_gets_an_ephemeral_message_and_is_not_queued(ingress, aws, discord_key):
    interaction = make_interaction(3, data={"custom_id": "gone:1", "component_type": 2})

    status, body = call(ingress, signed_event(dumps(interaction), discord_key))

    assert (status, body["type"], body["data"]["flags"]) == (200, 4, 64)
    assert queued(aws) == []


def test_when_sqs_is_unavailable_the_user_is_told_and_nothing_claims_to_be_deferred(aws, discord_key, monkeypatch):
    monkeypatch.setenv(names.DISCORD_PUBLIC_KEY, discord_key.verify_key.encode().hex())
    monkeypatch.setenv(names.DISCORD_APPLICATION_ID, APPLICATION_ID)
    monkeypatch.setenv(names.QUEUE_URL, aws.queue_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    ingress = load_handler("ingress")

    status, body = call(ingress, signed_event(dumps(make_interaction(2, data=PING_COMMAND)), discord_key))

    assert status == 200
    assert body["type"] == 4 and body["data"]["flags"] == 64
    assert "temporarily unavailable" in body["data"]["content"]


@pytest.mark.parametrize("event", [
    None, [], "text", {}, {"body": None}, {"body": 12}, {"headers": None, "body": "{}"},
    {"headers": {"x-signature-ed25519": 5, "x-signature-timestamp": None}, "body": "{}"},
    {"headers": {"x-signature-ed25519": 5, "x-signature-timestamp": 1700000000}, "body": "{}"},
    {"headers": {"x-signature-ed25519": ["ab"], "x-signature-timestamp": "1700000000"}, "body": "{}"},
    {"headers": {"x-signature-ed25519": "ab" * 64, "x-signature-timestamp": "-1"}, "body": "{}"},
    {"isBase64Encoded": True, "body": "===="},
])
def test_no_malformed_event_produces_an_exception_or_a_5xx(ingress, event):
    response = ingress.lambda_handler(event, LambdaContext("ingress", 5))

    assert 400 <= response["statusCode"] < 500
    assert "error" in json.loads(response["body"])
