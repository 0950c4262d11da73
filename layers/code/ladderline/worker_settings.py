"""The worker's settings objects (and the migrate function's database settings).

Apart from settings.py, which holds every environment variable's name and the ingress's settings,
so that the ingress never imports `dataclasses` (settings.py, _Settings).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from ladderline.settings import (
    DATABASE_URL,
    DB_AUTH,
    DB_HOST,
    DB_NAME,
    DB_PORT,
    DB_SECRET_ARN,
    DB_TLS,
    DB_USER,
    DEFAULT_DISCORD_API_BASE,
    DEFAULT_INVALID_REQUEST_LIMIT,
    DEFAULT_MAX_RECEIVE_COUNT,
    DEFAULT_METRICS_NAMESPACE,
    DEFAULT_SERVICE_NAME,
    DISCORD_API_BASE,
    DISCORD_APPLICATION_ID,
    DISCORD_BOT_TOKEN,
    DISCORD_BOT_TOKEN_SECRET_ARN,
    DISCORD_CDN_BASE,
    DISCORD_INVALID_REQUEST_LIMIT,
    FANOUT_QUEUE_URL,
    IDEMPOTENCY_TABLE,
    LADDER_GUILD_ID,
    LOG_LEVEL,
    MATCH_THREAD_CHANNEL_ID,
    MAX_RECEIVE_COUNT,
    METRICS_NAMESPACE,
    QUEUE_URL,
    REPLAY_ALLOW_AI,
    REPLAY_BUCKET,
    REPLAY_MOD_HANDLES,
    SERVICE_NAME,
    STAFF_CHANNEL_ID,
    STAFF_ROLE_ID,
    ConfigError,
    _int,
    _required,
)


@dataclass(frozen=True)
class DatabaseSettings:
    """How the worker reaches PostgreSQL.

    auth = "url": DATABASE_URL (local stack, tests). auth = "iam": RDS Proxy IAM token made at
    connect time (TLS required). auth = "secret": username/password from a Secrets Manager secret.
    """

    auth: str
    host: str
    port: int
    name: str
    user: str
    secret_arn: str
    tls: bool
    url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DatabaseSettings:
        env = os.environ if env is None else env
        url = env.get(DATABASE_URL, "").strip()
        auth = (env.get(DB_AUTH, "") or ("url" if url else "iam")).strip().lower()
        if auth not in ("url", "iam", "secret"):
            raise ConfigError(f"{DB_AUTH} must be one of url, iam, secret; got {auth!r}")
        if auth == "url":
            if not url:
                raise ConfigError(f"{DB_AUTH}=url needs {DATABASE_URL}")
            return cls("url", "", 0, "", "", "", False, url)
        tls = env.get(DB_TLS, "true").strip().lower() not in ("0", "false", "no", "off")
        if auth == "iam" and not tls:
            raise ConfigError("RDS Proxy IAM authentication requires TLS (DB_TLS=true)")
        return cls(
            auth=auth,
            host=_required(env, DB_HOST),
            port=_int(env, DB_PORT, 5432),
            name=_required(env, DB_NAME),
            user=_required(env, DB_USER) if auth == "iam" else env.get(DB_USER, ""),
            secret_arn=_required(env, DB_SECRET_ARN) if auth == "secret" else "",
            tls=tls,
            url="",
        )


@dataclass(frozen=True)
class WorkerSettings:
    application_id: str
    queue_url: str
    discord_api_base: str
    idempotency_table: str
    max_receive_count: int
    log_level: str
    service_name: str
    metrics_namespace: str
    bot_token_secret_arn: str = ""
    bot_token: str = field(default="", repr=False)  # local only; never printed with the settings
    invalid_request_limit: int = DEFAULT_INVALID_REQUEST_LIMIT
    fanout_queue_url: str = ""  # empty: fan-out jobs share queue_url

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerSettings:
        env = os.environ if env is None else env
        return cls(
            application_id=_required(env, DISCORD_APPLICATION_ID),
            queue_url=_required(env, QUEUE_URL),
            discord_api_base=(env.get(DISCORD_API_BASE, "") or DEFAULT_DISCORD_API_BASE).rstrip("/"),
            idempotency_table=_required(env, IDEMPOTENCY_TABLE),
            max_receive_count=_int(env, MAX_RECEIVE_COUNT, DEFAULT_MAX_RECEIVE_COUNT),
            log_level=env.get(LOG_LEVEL, "INFO") or "INFO",
            service_name=env.get(SERVICE_NAME, DEFAULT_SERVICE_NAME) or DEFAULT_SERVICE_NAME,
            metrics_namespace=env.get(METRICS_NAMESPACE, DEFAULT_METRICS_NAMESPACE)
            or DEFAULT_METRICS_NAMESPACE,
            bot_token_secret_arn=env.get(DISCORD_BOT_TOKEN_SECRET_ARN, "").strip(),
            bot_token=env.get(DISCORD_BOT_TOKEN, "").strip(),
            invalid_request_limit=_int(env, DISCORD_INVALID_REQUEST_LIMIT, DEFAULT_INVALID_REQUEST_LIMIT),
            fanout_queue_url=env.get(FANOUT_QUEUE_URL, "").strip(),
        )


def _snowflakes(env: Mapping[str, str], *names: str) -> list[str | None]:
    """Each variable as a Discord id (digits), None when unset; a ConfigError for anything else."""
    values: list[str | None] = []
    for name in names:
        raw = env.get(name, "").strip()
        if raw and not raw.isdigit():
            raise ConfigError(f"{name} must be a Discord id (digits), got {raw!r}")
        values.append(raw or None)
    return values


@dataclass(frozen=True)
class StaffSettings:
    """Where conflicts and overdue matches are flagged, and which role is pinged (both snowflakes;
    unset: nothing is posted, the players are still told)."""

    channel_id: str | None
    role_id: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StaffSettings:
        channel_id, role_id = _snowflakes(os.environ if env is None else env, STAFF_CHANNEL_ID, STAFF_ROLE_ID)
        return cls(channel_id, role_id)


@dataclass(frozen=True)
class RoomSettings:
    """Where a confirmed match's private thread is opened (a guild text channel and its guild);
    None when either is unset: no threads."""

    guild_id: str
    channel_id: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RoomSettings | None:
        guild_id, channel_id = _snowflakes(os.environ if env is None else env, LADDER_GUILD_ID,
                                           MATCH_THREAD_CHANNEL_ID)
        return cls(guild_id, channel_id) if guild_id and channel_id else None


@dataclass(frozen=True)
class ReplaySettings:
    """Where replays are kept (an S3 bucket), which extra cache handles count as the mod (a
    deployment testing with plain replays), whether A.I. opponents are allowed, and the local
    stand-in for Discord's CDN (never set in AWS: there only Discord's CDN hosts are fetched)."""

    bucket: str
    mod_handles: str = ""
    allow_ai: bool = False
    cdn_base: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReplaySettings:
        env = os.environ if env is None else env
        allow = env.get(REPLAY_ALLOW_AI, "false").strip().lower()
        if allow not in ("true", "false", ""):
            raise ConfigError(f"{REPLAY_ALLOW_AI} must be true or false, got {allow!r}")
        return cls(bucket=env.get(REPLAY_BUCKET, "").strip(), mod_handles=env.get(REPLAY_MOD_HANDLES, "").strip(),
                   allow_ai=allow == "true", cdn_base=env.get(DISCORD_CDN_BASE, "").strip().rstrip("/"))
