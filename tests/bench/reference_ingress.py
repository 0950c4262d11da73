"""NOT PRODUCT CODE: the bench's yardstick for the ingress (issue 12).

What a developer writes in ten minutes: a boto3 SQS client at init, PyNaCl for the signature,
stdlib json, a log line per request at INFO (the logging module, as Lambda's runtime sets it up),
the job published before "deferred" is answered. `make bench` Part B measures it
side by side with functions/ingress/app.py and prints the ratios. Same environment variables.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time

import boto3
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

verify_key = VerifyKey(bytes.fromhex(os.environ["DISCORD_PUBLIC_KEY"]))
queue_url = os.environ["QUEUE_URL"]
sqs = boto3.client("sqs")
logger = logging.getLogger()
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
if not logger.handlers:  # Lambda's runtime puts one on the root logger (stdout); elsewhere, the same
    class _Stdout(logging.StreamHandler):
        stream = property(lambda self: sys.stdout, lambda self, value: None)

    _handler = _Stdout()
    _handler.setFormatter(logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(message)s"))
    logger.addHandler(_handler)


def lambda_handler(event: dict, context: object) -> dict:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    body = event.get("body") or ""
    try:
        verify_key.verify((headers["x-signature-timestamp"] + body).encode(),
                          bytes.fromhex(headers["x-signature-ed25519"]))
    except (KeyError, ValueError, BadSignatureError):
        return {"statusCode": 401, "body": "invalid request signature"}
    interaction = json.loads(body)
    if interaction["type"] == 1:
        return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": '{"type":1}'}
    job = {"interaction_id": interaction["id"], "application_id": interaction["application_id"],
           "token": interaction["token"], "interaction_type": interaction["type"],
           "route": interaction["data"]["name"], "options": interaction["data"].get("options", []),
           "user_id": (interaction.get("member") or {}).get("user", interaction.get("user", {})).get("id"),
           "guild_id": interaction.get("guild_id"), "received_at_ms": int(time.time() * 1000)}
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(job),
                     MessageAttributes={"route": {"DataType": "String", "StringValue": job["route"]}})
    logger.info("interaction %s (%s) queued", job["interaction_id"], job["route"])
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"type": 5, "data": {"flags": 64}})}
