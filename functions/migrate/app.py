"""Migrate function: a CloudFormation custom resource that migrates the schema on every deploy.

It runs inside the VPC and connects through the RDS Proxy as the schema owner (an IAM token, TLS),
applies the pending migrations (ladderline.adapters.migrations: idempotent, serialised by an
advisory lock), then creates or updates the worker's login role with the password from the
worker's secret (the one the proxy logs in with) and grants it the data privileges. Any failure
answers FAILED, which fails (and rolls back) the deploy. The SQL files ship with this function:
./migrations is a link to infra/migrations that `sam build` copies.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pg8000.native
from aws_lambda_powertools import Logger
from ladderline import settings as names
from ladderline.adapters import custom_resource, migrations
from ladderline.adapters.database import open_connection, resolve_params
from ladderline.worker_settings import DatabaseSettings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
PHYSICAL_ID = "ladderline-schema"
# A proxy whose target was registered a moment ago refuses connections until the target turns
# available (a minute or two on a first deploy): keep trying this long, well within the
# function's 600 s, before failing the deploy.
CONNECT_WAIT_SECONDS = 300.0
_sleep = time.sleep

logger = Logger(service=os.environ.get(names.SERVICE_NAME, "migrate"),
                level=os.environ.get(names.LOG_LEVEL, "INFO"))


def _worker_credentials(secret_arn: str) -> tuple[str, str]:
    import boto3

    secret = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    return str(secret["username"]), str(secret["password"])


def _connect() -> pg8000.native.Connection:
    deadline = time.monotonic() + CONNECT_WAIT_SECONDS
    delay = 2.0
    while True:
        try:
            # Settings and a fresh IAM token per attempt (a token lives 15 minutes).
            return open_connection(resolve_params(DatabaseSettings.from_env()))
        except (OSError, pg8000.native.InterfaceError, pg8000.native.DatabaseError) as exc:
            if time.monotonic() + delay > deadline:
                raise
            logger.warning("database not reachable yet; retrying",
                           extra={"error": f"{type(exc).__name__}: {exc}", "retry_in_s": delay})
            _sleep(delay)
            delay = min(delay * 2, 15.0)


def migrate(event: Mapping[str, Any]) -> dict[str, str]:
    worker_secret_arn = os.environ.get(names.DB_WORKER_SECRET_ARN, "").strip()
    conn = _connect()
    try:
        applied = migrations.apply_migrations(conn, MIGRATIONS_DIR)
        logger.info("migrations applied", extra={"applied": applied})
        worker_user = ""
        if worker_secret_arn:
            worker_user, password = _worker_credentials(worker_secret_arn)
            migrations.ensure_login_role(conn, worker_user, password)
            logger.info("worker role ready", extra={"role": worker_user})
        # The template's OwnerUserIds / ActivationRequired, carried as the custom resource's
        # properties (so changing them alone makes CloudFormation call this again).
        props = event.get("ResourceProperties") or {}
        configured = migrations.configure_ladder(
            conn, migrations.parse_owner_ids(str(props.get("OwnerUserIds", ""))),
            str(props.get("ActivationRequired", "false")).lower() == "true")
        logger.info("ladder configured", extra=configured)
        [latest] = conn.run("SELECT max(version) FROM schema_migrations")[0]
    finally:
        conn.close()
    return {"Applied": ",".join(applied) or "none", "SchemaVersion": str(latest), "WorkerRole": worker_user}


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    custom_resource.handle(event, context, migrate, PHYSICAL_ID)
