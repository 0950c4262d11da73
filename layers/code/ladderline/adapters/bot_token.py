"""The bot token, read from its Secrets Manager secret once per container (cached, refreshed
hourly so a rotation is picked up), or from the environment locally. Never logged."""

from __future__ import annotations

import json
from collections.abc import Callable

CACHE_SECONDS = 3600


def from_secret(secret_arn: str) -> Callable[[], str | None]:
    def token() -> str | None:
        from aws_lambda_powertools.utilities import parameters

        value = parameters.get_secret(secret_arn, max_age=CACHE_SECONDS)
        text = value.decode() if isinstance(value, bytes) else str(value)
        # A plain-text secret, or JSON {"token": "..."} (the console's key/value form).
        if text.lstrip().startswith("{"):
            return str(json.loads(text).get("token") or "") or None
        return text.strip() or None

    return token


def fixed(token: str) -> Callable[[], str | None]:
    return lambda: token or None
