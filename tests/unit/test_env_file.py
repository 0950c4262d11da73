"""`.env.example` names every setting a user may set locally; `ladderctl --env-file` reads such a file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ladderctl.env_file import EnvFileError, load, parse
from ladderctl.stack.local_aws import USE_REAL_AWS
from ladderline import settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / ".env.example"
# What the local stack sets itself for the handlers, whatever the environment says (devstack._start),
# and what only the deployed stack uses (with DB_AUTH=url locally, the DB_* parts and secrets are unused).
SET_BY_THE_STACK = {settings.QUEUE_URL, settings.IDEMPOTENCY_TABLE, settings.MAX_RECEIVE_COUNT, settings.DB_AUTH,
                    settings.METRICS_NAMESPACE, settings.SERVICE_NAME}
DEPLOYED_ONLY = {settings.DB_HOST, settings.DB_PORT, settings.DB_NAME, settings.DB_USER, settings.DB_SECRET_ARN,
                 settings.DB_TLS, settings.DISCORD_BOT_TOKEN_SECRET_ARN}


def example_names() -> set[str]:
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE))


def test_the_example_names_every_setting_a_user_may_set_locally() -> None:
    handlers = set(settings.INGRESS_ENV) | set(settings.WORKER_ENV)
    local = (handlers - SET_BY_THE_STACK - DEPLOYED_ONLY) | {settings.DATABASE_URL, settings.DISCORD_BOT_TOKEN}
    # The operator tools' own switches (postgres.py, local_aws.py, the tests' fixture, cli errors).
    local |= {"PG_BIN", "TEST_DATABASE_URL", USE_REAL_AWS, "LADDERCTL_DEBUG"}
    # With LADDER_USE_REAL_AWS the stack takes the queue and table from the environment.
    local |= {settings.QUEUE_URL, settings.IDEMPOTENCY_TABLE}

    missing = local - example_names()
    assert not missing, f".env.example does not name {sorted(missing)}"
    assert not example_names() & DEPLOYED_ONLY


def test_the_example_parses_once_uncommented() -> None:
    text = "\n".join(line[2:] if re.match(r"# [A-Z][A-Z0-9_]+=", line) else line
                     for line in EXAMPLE.read_text(encoding="utf-8").splitlines())
    values = parse(text)
    assert values["PG_BIN"] == "wheel"
    assert values["DISCORD_BOT_TOKEN"] == ""


def test_the_environment_wins_and_quotes_and_comments_are_understood(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("# a comment\n\nexport A=1\nB='two words'\nC=\"x # y\"\nD=4 # trailing\nE=\nSET=file\n")
    environ = {"SET": "shell"}

    applied = load(path, environ)

    assert environ == {"SET": "shell", "A": "1", "B": "two words", "C": "x # y", "D": "4"}
    assert sorted(applied) == ["A", "B", "C", "D"]


def test_a_malformed_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1\nthis is not a setting\n")
    with pytest.raises(EnvFileError, match=r"\.env:2: expected KEY=value"):
        load(path, {})
