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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger
from ladderline import settings as names
from ladderline.adapters import custom_resource, migrations
from ladderline.adapters.database import open_connection, resolve_params
from ladderline.settings import DatabaseSettings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
PHYSICAL_ID = "ladderline-schema"

logger = Logger(service=os.environ.get(names.SERVICE_NAME, "migrate"),
                level=os.environ.get(names.LOG_LEVEL, "INFO"))


def _worker_credentials(secret_arn: str) -> tuple[str, str]:
    import boto3

    secret = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    return str(secret["username"]), str(secret["password"])


def migrate(event: Mapping[str, Any]) -> dict[str, str]:
    database = DatabaseSettings.from_env()
    worker_secret_arn = os.environ.get(names.DB_WORKER_SECRET_ARN, "").strip()
    conn = open_connection(resolve_params(database))
    try:
        applied = migrations.apply_migrations(conn, MIGRATIONS_DIR)
        logger.info("migrations applied", extra={"applied": applied})
        worker_user = ""
        if worker_secret_arn:
            worker_user, password = _worker_credentials(worker_secret_arn)
            migrations.ensure_login_role(conn, worker_user, password)
            logger.info("worker role ready", extra={"role": worker_user})
        [latest] = conn.run("SELECT max(version) FROM schema_migrations")[0]
    finally:
        conn.close()
    return {"Applied": ",".join(applied) or "none", "SchemaVersion": str(latest), "WorkerRole": worker_user}


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    custom_resource.handle(event, context, migrate, PHYSICAL_ID)
