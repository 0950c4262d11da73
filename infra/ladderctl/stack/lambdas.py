"""Running the two Lambda handlers outside Lambda: loading them, their context, their SQS events.

Shared by the local stack (`ladderctl dev`) and usable by tests: both handler files are named
app.py, so each is imported under its own module name; the context object carries what the
handlers read (the remaining time drives the worker's deadlines and Powertools' in-progress expiry).
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
ACCOUNT_ID = "123456789012"
_counter = itertools.count()


class HandlerLoadError(RuntimeError):
    """A handler file is missing or failed at import (its init read a bad setting)."""


def load_handler(function: str, root: Path = ROOT) -> ModuleType:
    """Import functions/<function>/app.py as a fresh module, as Lambda does at init."""
    path = root / "functions" / function / "app.py"
    if not path.is_file():
        raise HandlerLoadError(f"{path} does not exist")
    name = f"ladderline_{function}_app_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise HandlerLoadError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise HandlerLoadError(f"the {function} handler failed at init: {type(exc).__name__}: {exc}") from exc
    return module


class LambdaContext:
    """What the handlers and Powertools read from the Lambda context object."""

    def __init__(self, function_name: str, timeout_seconds: float, region: str = "us-east-1",
                 memory_mb: int = 512) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._deadline = time.time() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def queue_arn(queue_url: str, region: str) -> str:
    """arn:aws:sqs:<region>:<account>:<name> from a queue URL (https://host/<account>/<name>)."""
    parts = queue_url.rstrip("/").split("/")
    account, name = (parts[-2], parts[-1]) if len(parts) >= 2 else (ACCOUNT_ID, parts[-1])
    return f"arn:aws:sqs:{region}:{account}:{name}"


def sqs_event(messages: list[dict[str, Any]], source_arn: str, region: str) -> dict[str, Any]:
    """The event the SQS event source gives the function, from ReceiveMessage results."""
    return {"Records": [{
        "messageId": m["MessageId"],
        "receiptHandle": m["ReceiptHandle"],
        "body": m["Body"],
        "attributes": {"ApproximateReceiveCount": "1", **m.get("Attributes", {})},
        "messageAttributes": {
            name: {"stringValue": value.get("StringValue"), "binaryValue": value.get("BinaryValue"),
                   "stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType")}
            for name, value in (m.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": m.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": region,
    } for m in messages]}
