"""Exit 0 if AWS credentials work (STS says who they are), else 2 with one line saying how to
set them: `make deploy`, `make logs` and `make destroy` run this first, with SAM's own Python
(which has boto3), so nothing is built or asked before a deploy that could not start anyway."""

from __future__ import annotations

import sys

HOW = ("no working AWS credentials: run `aws configure` (or `aws sso login`), or set AWS_PROFILE, "
       "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then run make again")


def main(region: str | None = None) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        who = boto3.client("sts", region_name=region or None).get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        print(f"{HOW} ({type(error).__name__})", file=sys.stderr)
        return 2
    print(f"AWS account {who['Account']} as {who['Arn']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else None))
