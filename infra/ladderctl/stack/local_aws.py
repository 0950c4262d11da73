"""The AWS side of the local stack: settings read from template.yaml, and moto in server mode.

The queue, its dead-letter queue and the idempotency table are created as template.yaml declares
them (visibility timeout, redrive maxReceiveCount, key schema, TTL), and the event-source settings
(batch size, batching window) and the worker timeout come from the same file, so the local stack
cannot drift from what is deployed. moto keeps its state in memory: every start begins empty.
moto's ReceiveMessage moves a message to the DLQ once it has been received maxReceiveCount
times (checked in moto/sqs/models.py), as SQS does, so the poller need not emulate redrive.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ladderctl.stack.cfn_yaml import load_template
from ladderctl.stack.lambdas import ROOT

REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


class StackConfigError(RuntimeError):
    """template.yaml (or the environment) does not describe a stack we can run: one readable line."""


# --- template.yaml ---------------------------------------------------------------------------
@dataclass(frozen=True)
class StackSettings:
    """What the local stack takes from template.yaml (defaults = the template as first written)."""

    queue_name: str = "ladderline-jobs"
    dlq_name: str = "ladderline-jobs-dlq"
    table_name: str = "ladderline-idempotency"
    visibility_timeout: int = 90
    message_retention: int = 345600
    dlq_retention: int = 1209600
    max_receive_count: int = 4
    batch_size: int = 10
    batching_window_seconds: int = 0
    # The event source's ScalingConfig.MaximumConcurrency: worker invocations at once.
    max_concurrency: int = 5
    # The fan-out queue's event source (0: no fan-out queue, fan-out jobs share the jobs queue).
    fanout_max_concurrency: int = 2
    fanout_queue_name: str = "ladderline-fanout"
    worker_timeout: int = 15
    ingress_timeout: int = 5
    key_schema: list[dict[str, str]] = field(default_factory=lambda: [{"AttributeName": "id", "KeyType": "HASH"}])
    attribute_definitions: list[dict[str, str]] = field(
        default_factory=lambda: [{"AttributeName": "id", "AttributeType": "S"}])
    ttl_attribute: str | None = "expiration"
    source: str = "defaults"


def _resolve(value: Any, parameters: dict[str, Any]) -> Any:
    """A literal, or a !Ref to a parameter (its Default)."""
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
        return (parameters[value["Ref"]] or {}).get("Default")
    return value


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StackConfigError(f"template.yaml: {what} is not a number ({value!r})") from None


def _ref_target(value: Any) -> str | None:
    """The logical id named by !Ref X / !GetAtt X.Arn."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else str(target).split(".")[0])
    return None


def read_template(path: Path | None = None) -> StackSettings:
    """The queue/DLQ/table/event-source settings the template declares."""
    path = path or ROOT / "template.yaml"
    if not path.is_file():
        return StackSettings()
    try:
        doc = load_template(path)
    except yaml.YAMLError as exc:
        raise StackConfigError(f"{path.name} is not valid YAML: {str(exc).splitlines()[0]}") from None
    parameters: dict[str, Any] = doc.get("Parameters") or {}
    resources: dict[str, Any] = doc.get("Resources") or {}
    globals_fn = ((doc.get("Globals") or {}).get("Function") or {})

    def typed(kind: str) -> dict[str, dict]:
        return {name: r for name, r in resources.items() if isinstance(r, dict) and r.get("Type") == kind}

    functions = typed("AWS::Serverless::Function")
    # The worker is the function fed by SQS events: "Jobs" (the jobs queue) and "Fanout" (the
    # fan-out lane), or a single SQS event, which is then the jobs queue.
    worker_name, sqs_events = None, {}
    for name, fn in functions.items():
        for event_name, event in ((fn.get("Properties") or {}).get("Events") or {}).items():
            if isinstance(event, dict) and event.get("Type") == "SQS":
                worker_name = name
                sqs_events[event_name] = event.get("Properties") or {}
    if worker_name is None or not sqs_events:
        raise StackConfigError(f"{path.name}: no function with an SQS event (the worker) found")
    sqs_event = sqs_events.get("Jobs") or next(iter(sqs_events.values()))
    fanout_event = sqs_events.get("Fanout")
    queue_id = _ref_target(sqs_event.get("Queue"))
    queues = typed("AWS::SQS::Queue")
    if queue_id not in queues:
        raise StackConfigError(f"{path.name}: the worker's SQS event names no queue of this template")
    if fanout_event is not None and _ref_target(fanout_event.get("Queue")) not in queues:
        raise StackConfigError(f"{path.name}: the worker's Fanout event names no queue of this template")
    queue_props = queues[queue_id].get("Properties") or {}
    redrive = queue_props.get("RedrivePolicy") or {}
    dlq_id = _ref_target(redrive.get("deadLetterTargetArn"))
    dlq_props = (queues.get(dlq_id or "") or {}).get("Properties") or {}

    def timeout_of(name: str | None) -> int | None:
        if name is None:
            return None
        raw = (functions[name].get("Properties") or {}).get("Timeout", globals_fn.get("Timeout"))
        return _int(_resolve(raw, parameters), f"{name} Timeout") if raw is not None else None

    ingress_name = next((n for n, fn in functions.items() if any(
        isinstance(e, dict) and e.get("Type") in ("HttpApi", "Api")
        for e in ((fn.get("Properties") or {}).get("Events") or {}).values())), None)
    tables = typed("AWS::DynamoDB::Table")
    table_props = next(iter(tables.values()), {}).get("Properties") or {}
    ttl = table_props.get("TimeToLiveSpecification") or {}
    defaults = StackSettings()
    window = _resolve(sqs_event.get("MaximumBatchingWindowInSeconds", 0), parameters)
    return StackSettings(
        visibility_timeout=_int(_resolve(queue_props.get("VisibilityTimeout", 30), parameters),
                                "VisibilityTimeout"),
        message_retention=_int(_resolve(queue_props.get("MessageRetentionPeriod", 345600), parameters),
                               "MessageRetentionPeriod"),
        dlq_retention=_int(_resolve(dlq_props.get("MessageRetentionPeriod", 345600), parameters),
                           "DLQ MessageRetentionPeriod"),
        max_receive_count=_int(_resolve(redrive.get("maxReceiveCount", defaults.max_receive_count), parameters),
                               "RedrivePolicy maxReceiveCount"),
        batch_size=_int(_resolve(sqs_event.get("BatchSize", 10), parameters), "BatchSize"),
        batching_window_seconds=_int(window, "MaximumBatchingWindowInSeconds"),
        max_concurrency=_int(_resolve((sqs_event.get("ScalingConfig") or {}).get(
            "MaximumConcurrency", defaults.max_concurrency), parameters), "MaximumConcurrency"),
        fanout_max_concurrency=_int(_resolve((fanout_event.get("ScalingConfig") or {}).get(
            "MaximumConcurrency", defaults.fanout_max_concurrency), parameters), "Fanout MaximumConcurrency")
        if fanout_event is not None else 0,
        worker_timeout=timeout_of(worker_name) or 3,
        ingress_timeout=timeout_of(ingress_name) or 3,
        key_schema=table_props.get("KeySchema") or defaults.key_schema,
        attribute_definitions=table_props.get("AttributeDefinitions") or defaults.attribute_definitions,
        ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
        source=str(path),
    )


# --- the running resources ---------------------------------------------------------------------
@dataclass(frozen=True)
class AwsResources:
    endpoint_url: str | None  # None: real AWS
    queue_url: str
    dlq_url: str | None
    table_name: str
    region: str
    # DynamoDB's own endpoint when it is served apart from SQS (None: endpoint_url serves both).
    dynamodb_endpoint_url: str | None = None
    fanout_queue_url: str = ""  # the worker's second lane ("" : none, fan-out jobs share queue_url)
    replay_bucket: str = ""  # where the replay job keeps replays (S3)

    def client(self, service: str) -> Any:
        import boto3

        endpoint = self.dynamodb_endpoint_url if service == "dynamodb" and self.dynamodb_endpoint_url else None
        return boto3.client(service, region_name=self.region, endpoint_url=endpoint or self.endpoint_url)

    def env(self) -> dict[str, str]:
        """What boto3 in the handlers needs to talk to these resources (botocore reads
        AWS_ENDPOINT_URL_<SERVICE> before AWS_ENDPOINT_URL)."""
        if self.endpoint_url is None:
            return {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        env = {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_REGION": self.region,
               "AWS_DEFAULT_REGION": self.region, **FAKE_CREDENTIALS}
        if self.dynamodb_endpoint_url:
            env["AWS_ENDPOINT_URL_DYNAMODB"] = self.dynamodb_endpoint_url
        return env


# Niceness of the worker-side processes (the worker host, DynamoDB's moto): acks go first.
LOW_PRIORITY = 10


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def start_quiet_moto(host: str, port: int, *, niceness: int = 0) -> subprocess.Popen:
    """`python -m ladderctl.stack.quiet_moto` on host:port, once it accepts connections (stopped if it does not)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "ladderctl.stack.quiet_moto", str(niceness), "-H", host, "-p", str(port)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while True:
            if server.poll() is not None:
                raise StackConfigError(f"moto exited at start (is port {port} on {host} free?)")
            try:
                with socket.create_connection((host, port), timeout=0.5):
                    return server
            except OSError:
                if time.monotonic() > deadline:
                    raise StackConfigError("moto did not start within 60 s") from None
                time.sleep(0.1)
    except BaseException:
        server.kill()
        server.wait(timeout=10)
        raise


class LocalAws:
    """moto in server mode on loopback with the template's queue, DLQ and idempotency table."""

    def __init__(self, settings: StackSettings, host: str = "127.0.0.1", port: int = 0) -> None:
        self.settings = settings
        self.host = host
        self.port = port
        self._servers: list[subprocess.Popen] = []

    def start(self) -> AwsResources:
        """moto in processes of its own: in a thread it shared the stack's GIL with the ingress, the
        worker and the emulator, and under a burst its request handling starved them. Two of them:
        SQS (on `port`; the ingress's SendMessage is on Discord's 3 s clock) and DynamoDB (only the
        worker's idempotency records), at a lower priority like the worker host (worker_host.py),
        so the worker's DynamoDB calls do not queue the acks' SendMessage behind moto's lock."""
        for name, value in FAKE_CREDENTIALS.items():
            os.environ.setdefault(name, value)
        try:
            self.port = self._serve(self.port or free_port(self.host), niceness=0)
            dynamodb_port = self._serve(free_port(self.host), niceness=LOW_PRIORITY)
            return self._create(f"http://{self.host}:{self.port}", f"http://{self.host}:{dynamodb_port}")
        except BaseException:
            self.stop()
            raise

    def _serve(self, port: int, *, niceness: int) -> int:
        self._servers.append(start_quiet_moto(self.host, port, niceness=niceness))
        return port

    def _create(self, endpoint: str, dynamodb_endpoint: str) -> AwsResources:
        import boto3

        s = self.settings
        kwargs = {"region_name": REGION, "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        sqs = boto3.client("sqs", endpoint_url=endpoint, **kwargs)
        dynamodb = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, **kwargs)
        dlq_url = sqs.create_queue(QueueName=s.dlq_name,
                                   Attributes={"MessageRetentionPeriod": str(s.dlq_retention)})["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue_url = sqs.create_queue(QueueName=s.queue_name, Attributes={
            "VisibilityTimeout": str(s.visibility_timeout),
            "MessageRetentionPeriod": str(s.message_retention),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": s.max_receive_count}),
        })["QueueUrl"]
        fanout_url = sqs.create_queue(QueueName=s.fanout_queue_name, Attributes={
            "VisibilityTimeout": str(s.visibility_timeout),
            "MessageRetentionPeriod": str(s.message_retention),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": s.max_receive_count}),
        })["QueueUrl"] if s.fanout_max_concurrency else ""
        dynamodb.create_table(TableName=s.table_name, BillingMode="PAY_PER_REQUEST",
                              AttributeDefinitions=s.attribute_definitions, KeySchema=s.key_schema)
        if s.ttl_attribute:
            dynamodb.update_time_to_live(TableName=s.table_name, TimeToLiveSpecification={
                "Enabled": True, "AttributeName": s.ttl_attribute})
        s3 = boto3.client("s3", endpoint_url=endpoint, **kwargs)
        s3.create_bucket(Bucket=REPLAY_BUCKET)
        return AwsResources(endpoint, queue_url, dlq_url, s.table_name, REGION, dynamodb_endpoint, fanout_url,
                            REPLAY_BUCKET)

    def stop(self) -> None:
        servers, self._servers = self._servers, []
        for server in servers:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


USE_REAL_AWS = "LADDER_USE_REAL_AWS"
REPLAY_BUCKET = "ladderline-replays"  # moto's S3, in the local stack


def real_aws_from_env(env: dict[str, str] | None = None) -> AwsResources | None:
    """LADDER_USE_REAL_AWS=1 with QUEUE_URL and IDEMPOTENCY_TABLE: use those (your AWS credentials)."""
    env = dict(os.environ) if env is None else env
    if env.get(USE_REAL_AWS, "").strip().lower() not in ("1", "true", "yes"):
        return None
    queue_url = env.get("QUEUE_URL", "").strip()
    fanout_url = env.get("FANOUT_QUEUE_URL", "").strip()
    table = env.get("IDEMPOTENCY_TABLE", "").strip()
    if not queue_url or not table:
        raise StackConfigError(f"{USE_REAL_AWS}=1 needs QUEUE_URL and IDEMPOTENCY_TABLE (the deployed stack's outputs)")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
    if not region:
        # https://sqs.<region>.amazonaws.com/<account>/<name>
        host = queue_url.split("/")[2] if queue_url.count("/") >= 3 else ""
        region = host.split(".")[1] if host.startswith("sqs.") else REGION
    return AwsResources(None, queue_url, None, table, region, fanout_queue_url=fanout_url,
                        replay_bucket=env.get("REPLAY_BUCKET", "").strip())
