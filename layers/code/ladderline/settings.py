"""Every environment variable name is defined here, with the ingress's settings objects (the
worker's are in worker_settings.py).

template.yaml sets these (tests/unit/test_template.py checks that each name a function reads is
set for it), the local stack sets them for its in-process handlers, and nothing else reads
os.environ. Secrets are never environment values in the deployed stack: the database password
comes from Secrets Manager or an RDS Proxy IAM token at connect time, and the bot token from its
Secrets Manager secret (DISCORD_BOT_TOKEN_SECRET_ARN names it). Only locally (the dev stack,
`ladderctl register`) does DISCORD_BOT_TOKEN carry the token itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# --- names -------------------------------------------------------------------------------
DISCORD_PUBLIC_KEY = "DISCORD_PUBLIC_KEY"
DISCORD_APPLICATION_ID = "DISCORD_APPLICATION_ID"
DISCORD_API_BASE = "DISCORD_API_BASE"
QUEUE_URL = "QUEUE_URL"
# The worker's second lane: the jobs that send a fan-out's messages (a wave's "match found" DMs,
# queue expiries, reminders). Clicks and commands on QUEUE_URL never wait behind them.
FANOUT_QUEUE_URL = "FANOUT_QUEUE_URL"
REPLAY_WINDOW_SECONDS = "REPLAY_WINDOW_SECONDS"
MAX_BODY_BYTES = "MAX_BODY_BYTES"
IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE"
MAX_RECEIVE_COUNT = "MAX_RECEIVE_COUNT"
DB_AUTH = "DB_AUTH"
DB_HOST = "DB_HOST"
DB_PORT = "DB_PORT"
DB_NAME = "DB_NAME"
DB_USER = "DB_USER"
DB_SECRET_ARN = "DB_SECRET_ARN"
DB_TLS = "DB_TLS"
DATABASE_URL = "DATABASE_URL"
LOG_LEVEL = "LOG_LEVEL"
SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
DISCORD_BOT_TOKEN_SECRET_ARN = "DISCORD_BOT_TOKEN_SECRET_ARN"
DISCORD_INVALID_REQUEST_LIMIT = "DISCORD_INVALID_REQUEST_LIMIT"
# The deploy's migrate function: the worker's database login (username/password JSON), whose role
# it creates and whose password it sets (the RDS Proxy logs in to PostgreSQL with the same secret).
DB_WORKER_SECRET_ARN = "DB_WORKER_SECRET_ARN"
# Local only (the dev stack, the tests, ladderctl register): the token itself, never in the template.
DISCORD_BOT_TOKEN = "DISCORD_BOT_TOKEN"

# Which variables each deployed function reads (the template test checks every one is set).
INGRESS_ENV = (
    DISCORD_PUBLIC_KEY,
    DISCORD_APPLICATION_ID,
    QUEUE_URL,
    REPLAY_WINDOW_SECONDS,
    MAX_BODY_BYTES,
    LOG_LEVEL,
    SERVICE_NAME,
    METRICS_NAMESPACE,
)
WORKER_ENV = (
    DISCORD_APPLICATION_ID,
    QUEUE_URL,
    FANOUT_QUEUE_URL,
    DISCORD_API_BASE,
    IDEMPOTENCY_TABLE,
    MAX_RECEIVE_COUNT,
    DB_AUTH,
    DB_HOST,
    DB_PORT,
    DB_NAME,
    DB_USER,
    DB_SECRET_ARN,
    DB_TLS,
    DISCORD_BOT_TOKEN_SECRET_ARN,
    DISCORD_INVALID_REQUEST_LIMIT,
    LOG_LEVEL,
    SERVICE_NAME,
    METRICS_NAMESPACE,
)

# The deploy-time custom resources (template.yaml, DatabaseMode=create): the migrate function
# connects as the schema owner (DB_USER) and sets up the worker's role; the register function puts
# the registry's commands on Discord with the bot token.
MIGRATE_ENV = (DB_AUTH, DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_TLS, DB_WORKER_SECRET_ARN, LOG_LEVEL, SERVICE_NAME)
REGISTER_ENV = (DISCORD_APPLICATION_ID, DISCORD_API_BASE, DISCORD_BOT_TOKEN_SECRET_ARN, LOG_LEVEL, SERVICE_NAME)

# Every AWS API action each function's code calls at runtime, as IAM actions. The template test
# checks that each role grants these and nothing more; the integration tests record the calls
# botocore and our own clients (adapters/sqs_json.py, adapters/dynamodb_json.py) really make
# and check them against this list.
INGRESS_AWS_ACTIONS = ("sqs:SendMessage",)
WORKER_AWS_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)
# On the jobs queue: a failed job is made visible again sooner than the queue's visibility timeout,
# and timers are published to it (SendMessage with DelaySeconds).
WORKER_QUEUE_ACTIONS = ("sqs:ChangeMessageVisibility", "sqs:SendMessage")
# On the bot token's secret only.
WORKER_BOT_TOKEN_ACTIONS = ("secretsmanager:GetSecretValue",)
# The replay job writes a replay; staff's presigned download links are signed with the worker's role.
WORKER_REPLAY_ACTIONS = ("s3:PutObject", "s3:GetObject")
# Only with DB_AUTH=iam / DB_AUTH=secret respectively.
WORKER_DB_IAM_ACTIONS = ("rds-db:connect",)
WORKER_DB_SECRET_ACTIONS = ("secretsmanager:GetSecretValue",)

# The migrate function: its IAM token for the owner (rds-db:connect) and the worker's secret only.
MIGRATE_DB_IAM_ACTIONS = ("rds-db:connect",)
MIGRATE_AWS_ACTIONS = ("secretsmanager:GetSecretValue",)
# The register function: the bot token's secret only.
REGISTER_AWS_ACTIONS = ("secretsmanager:GetSecretValue",)

DEFAULT_DISCORD_API_BASE = "https://discord.com/api/v10"
DEFAULT_REPLAY_WINDOW_SECONDS = 300
# Discord interaction payloads are a few KiB; resolved users/messages can grow them, but never
# to this size. Anything larger is refused before the signature is even checked.
DEFAULT_MAX_BODY_BYTES = 256 * 1024
DEFAULT_MAX_RECEIVE_COUNT = 4
DEFAULT_SERVICE_NAME = "ladderline"
DEFAULT_METRICS_NAMESPACE = "Ladderline"
# Stop calling Discord well before its 10,000 invalid requests per 10 minutes (an hour's ban):
# containers keep sending for a few seconds on a stale view of the shared count.
DEFAULT_INVALID_REQUEST_LIMIT = 8000


class ConfigError(RuntimeError):
    """A required setting is missing or malformed (raised at init, never per request)."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set")
    return value


class IngressSettings:
    """Not a dataclass, nor is AwsRuntime: the ingress imports this module, and `dataclasses` (with
    `inspect`) plus the code each dataclass compiles cost ~15 ms of its cold start (`python -X
    importtime`). The worker's settings, dataclasses, are in worker_settings.py."""

    __slots__ = ("application_id", "log_level", "max_body_bytes", "metrics_namespace", "public_key_hex",
                 "queue_url", "replay_window_seconds", "service_name")

    def __init__(self, *, public_key_hex: str, application_id: str, queue_url: str, replay_window_seconds: int,
                 max_body_bytes: int, log_level: str, service_name: str, metrics_namespace: str) -> None:
        self.public_key_hex = public_key_hex
        self.application_id = application_id
        self.queue_url = queue_url
        self.replay_window_seconds = replay_window_seconds
        self.max_body_bytes = max_body_bytes
        self.log_level = log_level
        self.service_name = service_name
        self.metrics_namespace = metrics_namespace

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngressSettings:
        env = os.environ if env is None else env
        public_key = _required(env, DISCORD_PUBLIC_KEY).lower()
        try:
            if len(bytes.fromhex(public_key)) != 32:
                raise ValueError
        except ValueError:
            raise ConfigError(f"{DISCORD_PUBLIC_KEY} must be 64 hex characters") from None
        return cls(
            public_key_hex=public_key,
            application_id=_required(env, DISCORD_APPLICATION_ID),
            queue_url=_required(env, QUEUE_URL),
            replay_window_seconds=_int(env, REPLAY_WINDOW_SECONDS, DEFAULT_REPLAY_WINDOW_SECONDS),
            max_body_bytes=_int(env, MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES),
            log_level=env.get(LOG_LEVEL, "INFO") or "INFO",
            service_name=env.get(SERVICE_NAME, DEFAULT_SERVICE_NAME) or DEFAULT_SERVICE_NAME,
            metrics_namespace=env.get(METRICS_NAMESPACE, DEFAULT_METRICS_NAMESPACE)
            or DEFAULT_METRICS_NAMESPACE,
        )


# --- what the Lambda runtime sets (never the template) -------------------------------------------
# Read by the ingress's own SQS client (adapters/sqs_json.py); boto3 reads the same names itself.
AWS_REGION = "AWS_REGION"
AWS_DEFAULT_REGION = "AWS_DEFAULT_REGION"
AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL"  # local stack and tests only
AWS_ENDPOINT_URL_SQS = "AWS_ENDPOINT_URL_SQS"  # and _DYNAMODB: AWS_ENDPOINT_URL_<SERVICE>, as botocore reads
AWS_ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
AWS_SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"
AWS_SESSION_TOKEN = "AWS_SESSION_TOKEN"
# With SnapStart, Lambda gives the role's credentials through this endpoint instead of the three
# variables above (a snapshot must not carry credentials that expire).
AWS_CONTAINER_CREDENTIALS_FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
AWS_CONTAINER_AUTHORIZATION_TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
# How Lambda started this execution environment: on-demand, provisioned-concurrency or snap-start.
AWS_LAMBDA_INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE"


def is_snapstart_init(env: Mapping[str, str] | None = None) -> bool:
    """Whether this init runs to take a SnapStart snapshot (restores follow, each a cold start)."""
    return (os.environ if env is None else env).get(AWS_LAMBDA_INITIALIZATION_TYPE, "") == "snap-start"


class AwsRuntime:
    """Region, endpoint and credential sources of the function's role, as the runtime sets them."""

    __slots__ = ("access_key_id", "container_authorization_token", "container_credentials_uri", "endpoint_url",
                 "region", "secret_access_key", "session_token")

    def __init__(self, *, region: str, endpoint_url: str, access_key_id: str, secret_access_key: str,
                 session_token: str, container_credentials_uri: str, container_authorization_token: str) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.session_token = session_token
        self.container_credentials_uri = container_credentials_uri
        self.container_authorization_token = container_authorization_token

    def __repr__(self) -> str:  # never the secret, the session token or the authorization token
        return (f"AwsRuntime(region={self.region!r}, endpoint_url={self.endpoint_url!r}, "
                f"access_key_id={self.access_key_id!r}, container_credentials_uri={self.container_credentials_uri!r})")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, service: str = "sqs") -> AwsRuntime:
        """`service` picks the endpoint override: AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL."""
        env = os.environ if env is None else env
        region = (env.get(AWS_REGION, "") or env.get(AWS_DEFAULT_REGION, "")).strip()
        if not region:
            raise ConfigError(f"{AWS_REGION} is not set")
        return cls(
            region=region,
            endpoint_url=(env.get(f"{AWS_ENDPOINT_URL}_{service.upper()}", "")
                          or env.get(AWS_ENDPOINT_URL, "")).strip().rstrip("/"),
            access_key_id=env.get(AWS_ACCESS_KEY_ID, "").strip(),
            secret_access_key=env.get(AWS_SECRET_ACCESS_KEY, "").strip(),
            session_token=env.get(AWS_SESSION_TOKEN, "").strip(),
            container_credentials_uri=env.get(AWS_CONTAINER_CREDENTIALS_FULL_URI, "").strip(),
            container_authorization_token=env.get(AWS_CONTAINER_AUTHORIZATION_TOKEN, "").strip(),
        )


# --- the deployment's say over the ladder (migrate function, `ladderctl dev`, `ladderctl migrate`) ----
# Template parameters OwnerUserIds / ActivationRequired; locally, the environment or .env. Applied
# to the database after the migrations (ladder_configure, migration 0013).
OWNER_USER_IDS = "LADDER_OWNER_IDS"
ACTIVATION_REQUIRED = "ACTIVATION_REQUIRED"

# --- the ladder's staff channel (worker) -----------------------------------------------------------
# Set from the template's StaffChannelId / StaffRoleId parameters (empty when unset).
STAFF_CHANNEL_ID = "STAFF_CHANNEL_ID"
STAFF_ROLE_ID = "STAFF_ROLE_ID"

# --- private match rooms (worker) ------------------------------------------------------------------
# Template: MatchThreadChannelId, GuildId. Both set: a confirmed match gets a private thread in that
# channel for its two players; either empty: no threads.
MATCH_THREAD_CHANNEL_ID = "MATCH_THREAD_CHANNEL_ID"
LADDER_GUILD_ID = "LADDER_GUILD_ID"

# --- replays (worker) ------------------------------------------------------------------------------
# Template: ReplayBucket (REPLAY_BUCKET), ReplayModHandles, ReplayAllowAI. DISCORD_CDN_BASE is the
# local stack's and the tests' stand-in for Discord's CDN (the emulator); unset in AWS.
REPLAY_BUCKET = "REPLAY_BUCKET"
REPLAY_MOD_HANDLES = "REPLAY_MOD_HANDLES"
REPLAY_ALLOW_AI = "REPLAY_ALLOW_AI"
DISCORD_CDN_BASE = "DISCORD_CDN_BASE"
