"""Exit 0 if samconfig.toml's [<env>.deploy.parameters] is filled in, 1 if a guided deploy is needed.

`make deploy` runs this (with SAM's own Python, which has tomllib) to decide whether the first
deploy of an environment must be `sam deploy --guided`: it is when the parameter overrides still
hold <placeholders> or lack one of the parameters without a default.
"""

from __future__ import annotations

import shlex
import sys
import tomllib
from pathlib import Path

REQUIRED = ("DiscordApplicationId", "DiscordPublicKey", "DiscordBotSecretArn")


def ready(config: dict, env: str) -> bool:
    params = config.get(env, {}).get("deploy", {}).get("parameters", {})
    raw = params.get("parameter_overrides", [])
    items = shlex.split(raw) if isinstance(raw, str) else list(raw)
    values = dict(item.split("=", 1) for item in items if "=" in item)
    if not params.get("stack_name") and not config.get(env, {}).get("global", {}).get("parameters", {}).get("stack_name"):
        return False
    return all(values.get(name) for name in REQUIRED) and not any("<" in v for v in values.values())


def main(argv: list[str]) -> int:
    env = argv[1] if len(argv) > 1 else "default"
    path = Path(argv[2]) if len(argv) > 2 else Path(__file__).resolve().parents[3] / "samconfig.toml"
    config = tomllib.loads(path.read_text()) if path.is_file() else {}
    return 0 if ready(config, env) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
