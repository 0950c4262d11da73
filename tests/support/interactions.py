"""Builders for realistic Discord interaction payloads and the API Gateway events that carry them.

Field shapes follow the real captures in tests/fixtures/ (guild_command.json, modal_submit.json):
guild payloads carry member.user, DM payloads carry user; every payload carries app_permissions,
entitlements, authorizing_integration_owners, context, locale, version 1 and a partial channel.
"""

from __future__ import annotations

import base64 as b64
import itertools
import json
import secrets
import time
import uuid
from typing import Any

import nacl.signing
from ladderline.discord.snowflake import created_at_ms, make_snowflake

APPLICATION_ID = "1380486651436073092"
USER_ID = "410212090289192960"
GUILD_ID = "1380488052169769110"
CHANNEL_ID = "1380488052169769113"

_increment = itertools.count()


def snowflake(at: float | None = None) -> str:
    """A fresh snowflake for `at` (epoch seconds, default now): creation time lives in the top bits."""
    return str(make_snowflake(int((time.time() if at is None else at) * 1000), next(_increment)))


def snowflake_time(value: str | int) -> float:
    return created_at_ms(value) / 1000


def interaction_token(interaction_id: str) -> str:
    # Real tokens are base64url("interaction:<id>:<random>"), ~200 chars, no padding.
    raw = f"interaction:{interaction_id}:{secrets.token_urlsafe(96)}".encode()
    return b64.urlsafe_b64encode(raw).decode().rstrip("=")


def _user(user_id: str) -> dict:
    return {
        "id": user_id,
        "username": f"player{user_id[-4:]}",
        "global_name": f"Player {user_id[-4:]}",
        "discriminator": "0",
        "avatar": None,
        "avatar_decoration_data": None,
        "clan": None,
        "collectibles": None,
        "primary_guild": None,
        "public_flags": 0,
    }


def make_interaction(
    type: int,
    *,
    data: dict | None = None,
    user_id: str = USER_ID,
    guild_id: str | None = GUILD_ID,
    channel_id: str = CHANNEL_ID,
    token: str | None = None,
    id: str | None = None,
    locale: str = "en-US",
    message: dict | None = None,
    application_id: str = APPLICATION_ID,
) -> dict[str, Any]:
    """A realistic interaction payload created *now* (so its webhook token is fresh)."""
    interaction_id = id or snowflake()
    payload: dict[str, Any] = {
        "app_permissions": "2248473465835073",
        "application_id": application_id,
        "attachment_size_limit": 10485760,
        "authorizing_integration_owners": {"0": guild_id} if guild_id else {"1": user_id},
        "entitlement_sku_ids": [],
        "entitlements": [],
        "id": interaction_id,
        "locale": locale,
        "token": token or interaction_token(interaction_id),
        "type": type,
        "version": 1,
    }
    if type == 1:  # PING: no locale/context/channel; the user is Discord's system user
        for key in ("locale",):
            payload.pop(key)
        payload["user"] = {**_user("643945264868098049"), "username": "discord", "system": True}
        return payload
    payload["channel_id"] = channel_id
    if guild_id:
        payload.update(
            context=0,
            guild_id=guild_id,
            guild_locale="en-US",
            guild={"features": [], "id": guild_id, "locale": "en-US"},
            channel={
                "flags": 0,
                "guild_id": guild_id,
                "id": channel_id,
                "name": "ladder",
                "nsfw": False,
                "parent_id": None,
                "permissions": "2251799813685247",
                "position": 0,
                "rate_limit_per_user": 0,
                "topic": None,
                "type": 0,
            },
            member={
                "avatar": None,
                "banner": None,
                "communication_disabled_until": None,
                "deaf": False,
                "flags": 0,
                "joined_at": "2025-06-06T10:06:39.888000+00:00",
                "mute": False,
                "nick": None,
                "pending": False,
                "permissions": "2251799813685247",
                "premium_since": None,
                "roles": [],
                "unusual_dm_activity_until": None,
                "user": _user(user_id),
            },
        )
    else:
        payload.update(
            context=1,
            channel={
                "flags": 0,
                "id": channel_id,
                "last_message_id": None,
                "recipient_flags": 0,
                "recipients": [_user(user_id)],
                "type": 1,
            },
            user=_user(user_id),
        )
    if data is not None:
        payload["data"] = data
    if message is not None:
        payload["message"] = message
    return payload


def signed_event(
    body: bytes,
    key: nacl.signing.SigningKey,
    timestamp: str | None = None,
    *,
    base64: bool = False,
    header_case: str = "canonical",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event carrying `body` signed by `key` as Discord signs.

    header_case "canonical" gives the lower-case names API Gateway delivers; "mixed" gives
    X-Signature-Ed25519 style names (what a handler sees behind other front ends).
    """
    timestamp = timestamp or str(int(time.time()))
    signature = key.sign(timestamp.encode() + body).signature.hex()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Discord-Interactions/1.0 (+https://discord.com)",
        "X-Signature-Ed25519": signature,
        "X-Signature-Timestamp": timestamp,
        "Host": "abc123.execute-api.eu-central-1.amazonaws.com",
        "Content-Length": str(len(body)),
        "X-Forwarded-For": "35.227.62.178",
        "X-Forwarded-Proto": "https",
    }
    if header_case == "canonical":
        headers = {name.lower(): value for name, value in headers.items()}
    elif header_case != "mixed":
        raise ValueError("header_case must be 'canonical' or 'mixed'")
    now_ms = int(time.time() * 1000)
    return {
        "version": "2.0",
        "routeKey": "POST /interactions",
        "rawPath": "/interactions",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-central-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": "POST",
                "path": "/interactions",
                "protocol": "HTTP/1.1",
                "sourceIp": "35.227.62.178",
                "userAgent": headers.get("user-agent") or headers["User-Agent"],
            },
            "requestId": uuid.uuid4().hex[:16] + "=",
            "routeKey": "POST /interactions",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
            "timeEpoch": now_ms,
        },
        "body": b64.b64encode(body).decode() if base64 else body.decode("utf-8"),
        "isBase64Encoded": base64,
    }


def dumps(payload: dict) -> bytes:
    """Serialise like Discord: compact, raw UTF-8 (so signatures over these bytes match real traffic)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
