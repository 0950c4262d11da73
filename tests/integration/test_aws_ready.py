"""`make deploy` checks the AWS credentials first: one line saying how to set them, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "ladderctl" / "ops" / "aws_ready.py"
NO_AWS = {"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
          "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run([sys.executable, str(SCRIPT)], env={**clean, **env}, capture_output=True, text=True,
                          timeout=60, check=False)


def test_without_credentials_it_says_how_to_set_them_in_one_line():
    done = _run(NO_AWS)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("no working AWS credentials: run `aws configure`") and "NoCredentialsError" in line


def test_with_working_credentials_it_names_the_account(moto_endpoint):
    done = _run({**NO_AWS, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_ENDPOINT_URL": moto_endpoint})
    assert done.returncode == 0 and done.stdout.startswith("AWS account 123456789012 as arn:aws:")
