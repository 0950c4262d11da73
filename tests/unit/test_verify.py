"""Signature verification against RFC 8032 vectors and real Discord-signed requests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ladderline.discord.verify import SignatureError, SignatureVerifier, ed25519_verify

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VECTORS = json.loads((FIXTURES / "ed25519_vectors.json").read_text())["vectors"]
SIGNED = json.loads((FIXTURES / "signed_requests.json").read_text(encoding="utf-8"))["vectors"]


@pytest.mark.parametrize("via_verify_key", [False, True], ids=["libsodium binding", "nacl.signing fallback"])
@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_rfc8032_vectors_verify_and_a_flipped_bit_does_not(vector, via_verify_key):
    message = bytes.fromhex(vector["message"])
    signature = bytes.fromhex(vector["signature"])

    assert ed25519_verify(vector["public_key"], message, signature, via_verify_key=via_verify_key)
    tampered_signature = bytes([signature[0] ^ 1]) + signature[1:]
    assert not ed25519_verify(vector["public_key"], message, tampered_signature, via_verify_key=via_verify_key)
    tampered_message = message + b"!"
    assert not ed25519_verify(vector["public_key"], tampered_message, signature, via_verify_key=via_verify_key)


@pytest.mark.parametrize("request_", SIGNED, ids=[v["name"] for v in SIGNED])
def test_real_discord_requests_verify_on_their_exact_bytes(request_):
    verifier = SignatureVerifier(request_["public_key_hex"], replay_window_seconds=0)
    body = request_["body"].encode("utf-8")

    verifier.verify(request_["x_signature_ed25519"], request_["x_signature_timestamp"], body)


def test_reserialised_json_does_not_verify():
    # The 2025 capture holds a non-ASCII emoji: json.dumps escapes it, changing the bytes.
    request_ = SIGNED[0]
    verifier = SignatureVerifier(request_["public_key_hex"], replay_window_seconds=0)
    reserialised = json.dumps(json.loads(request_["body"])).encode()

    with pytest.raises(SignatureError) as error:
        verifier.verify(request_["x_signature_ed25519"], request_["x_signature_timestamp"], reserialised)
    assert error.value.reason == "bad_signature"


def test_a_changed_timestamp_does_not_verify():
    request_ = SIGNED[0]
    verifier = SignatureVerifier(request_["public_key_hex"], replay_window_seconds=0)
    later = str(int(request_["x_signature_timestamp"]) + 1)

    with pytest.raises(SignatureError):
        verifier.verify(request_["x_signature_ed25519"], later, request_["body"].encode())


@pytest.mark.parametrize("signature, timestamp, reason", [
    (None, "1700000000", "missing_signature"),
    ("ab" * 64, None, "missing_signature"),
    ("zz" * 64, "1700000000", "malformed_signature"),
    ("ab" * 63, "1700000000", "malformed_signature"),
    ("ab" * 64, "17e9", "malformed_signature"),
    ("ab" * 64, "1700000000", "bad_signature"),
])
def test_missing_or_malformed_signatures_are_refused_with_a_reason(signature, timestamp, reason):
    verifier = SignatureVerifier(SIGNED[0]["public_key_hex"], replay_window_seconds=0)

    with pytest.raises(SignatureError) as error:
        verifier.verify(signature, timestamp, b"{}")
    assert error.value.reason == reason


def test_a_valid_signature_with_an_old_timestamp_is_stale():
    request_ = SIGNED[0]  # signed in 2025: far outside a 300 s window today
    verifier = SignatureVerifier(request_["public_key_hex"], replay_window_seconds=300)

    with pytest.raises(SignatureError) as error:
        verifier.verify(request_["x_signature_ed25519"], request_["x_signature_timestamp"],
                        request_["body"].encode())
    assert error.value.reason == "stale_timestamp"
