"""Register function: a CloudFormation custom resource that puts the registry's commands on Discord.

Runs on every deploy whose code layer changed (the template passes the layer version as a
property), outside the VPC: it only needs discord.com and Secrets Manager. One bulk overwrite
(PUT /applications/{id}/commands) from the one registry, through the worker's Discord client
(buckets, 429s waited out). The bot token comes from its secret and is never logged. A refusal
fails the deploy.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from ladderline import settings as names
from ladderline.adapters import bot_token, custom_resource
from ladderline.discord.rest import DiscordRest
from ladderline.pipeline.commands_sync import put_commands

PHYSICAL_ID = "ladderline-commands"
# Well inside the function's timeout: a longer rate limit fails the deploy instead of hanging it.
MAX_WAIT_SECONDS = 60.0

logger = Logger(service=os.environ.get(names.SERVICE_NAME, "register"),
                level=os.environ.get(names.LOG_LEVEL, "INFO"))


def register(event: Mapping[str, Any]) -> dict[str, str]:
    application_id = os.environ[names.DISCORD_APPLICATION_ID]
    token = bot_token.from_secret(os.environ[names.DISCORD_BOT_TOKEN_SECRET_ARN])
    base = os.environ.get(names.DISCORD_API_BASE) or names.DEFAULT_DISCORD_API_BASE
    rest = DiscordRest(base.rstrip("/"), bot_token=token, max_attempts=5)
    count = put_commands(rest, application_id, deadline=time.time() + MAX_WAIT_SECONDS)
    logger.info("commands registered", extra={"commands": count})
    return {"Commands": str(count)}


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    custom_resource.handle(event, context, register, PHYSICAL_ID)
