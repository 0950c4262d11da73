"""Part B: the ingress's ack latency (what Discord's 3-second clock sees of our code).

- Warm: functions/ingress/app.py in-process, signed /ping interactions (deferred: verify the
  signature, publish the job to SQS on a local moto server, answer type 5), p50/p99 over ~500
  requests; plus the in-line autocomplete answer (no queue) for comparison.
- Cold start: a fresh interpreter (subprocess) per sample, timing imports + init of the handler
  module and its first request; the interpreter's own start-up is in the wall-clock column.

A local moto server answers SendMessage in ~1-3 ms; in AWS the SQS call from Lambda is typically
5-20 ms, so these figures are the code's share, not the network's.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import nacl.signing
from ladderline import settings as names

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 500
COLD_SAMPLES = 3
REGION = "us-east-1"

_COLD_SCRIPT = r"""
import importlib.util, json, sys, time
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("ingress_app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
loaded = time.perf_counter()
event = json.loads(sys.stdin.read())
response = module.lambda_handler(event, None)
done = time.perf_counter()
print(json.dumps({"init_ms": (loaded - started) * 1000, "first_request_ms": (done - loaded) * 1000,
                  "status": response["statusCode"], "type": json.loads(response["body"]).get("type")}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_moto(port: int) -> subprocess.Popen:
    """moto in its own process: in a thread it would share our GIL and its request handling would be
    counted as the handler's time."""
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return server
        time.sleep(0.1)
    server.kill()
    raise RuntimeError("the moto server did not start")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def run_part_b(requests: int = REQUESTS, cold_samples: int = COLD_SAMPLES) -> bool:
    from tests.support.aws import LambdaContext, load_handler
    from tests.support.interactions import APPLICATION_ID, dumps, make_interaction, signed_event

    port = _free_port()
    server = _start_moto(port)
    saved = dict(os.environ)
    stack = contextlib.ExitStack()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        key = nacl.signing.SigningKey.generate()
        env = {
            "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
            names.DISCORD_PUBLIC_KEY: key.verify_key.encode().hex(), names.DISCORD_APPLICATION_ID: APPLICATION_ID,
            names.REPLAY_WINDOW_SECONDS: "300", names.LOG_LEVEL: "WARNING",
        }
        os.environ.update(env)
        sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
        queue_url = sqs.create_queue(QueueName="bench-jobs")["QueueUrl"]
        os.environ[names.QUEUE_URL] = env[names.QUEUE_URL] = queue_url

        def ping_event() -> dict[str, Any]:
            return signed_event(dumps(make_interaction(2, data={"id": "1", "name": "ping", "type": 1})), key)

        def autocomplete_event() -> dict[str, Any]:
            return signed_event(dumps(make_interaction(4, data={"id": "3", "name": "leaderboard", "type": 1,
                "options": [{"name": "country", "type": 3, "value": "ger", "focused": True}]})), key)

        ingress = load_handler("ingress")
        context = LambdaContext("ingress", 3)
        # The handler prints its EMF metric line to stdout (CloudWatch in Lambda): keep the cost, hide the lines.
        quiet = stack.enter_context(open(os.devnull, "w"))  # noqa: SIM115 - closed by the ExitStack
        print(f"Part B: ingress ack latency, in-process, moto SQS (its own process) on 127.0.0.1, N={requests}")
        ok = True
        for label, make_event, expected_type in (("deferred /ping (verify + SendMessage)", ping_event, 5),
                                                 ("autocomplete (in-line, no queue)", autocomplete_event, 8)):
            events = [make_event() for _ in range(requests + 20)]
            samples = []
            with contextlib.redirect_stdout(quiet):
                for event in events[:20]:  # warm-up: first client use, caches
                    ingress.lambda_handler(event, context)
                for event in events[20:]:
                    started = time.perf_counter()
                    response = ingress.lambda_handler(event, context)
                    samples.append((time.perf_counter() - started) * 1000)
                if response["statusCode"] != 200 or json.loads(response["body"])["type"] != expected_type:
                    raise AssertionError(f"{label}: unexpected answer {response}")
            print(f"  {label:<40} p50 {statistics.median(samples):6.2f} ms   p99 {_percentile(samples, 0.99):6.2f} ms"
                  f"   max {max(samples):6.2f} ms")
        sqs.purge_queue(QueueUrl=queue_url)

        print(f"Cold start: fresh interpreter per sample (N={cold_samples}): import + init of "
              "functions/ingress/app.py, then its first request (deferred /ping)")
        child_env = {**saved, **env, "PYTHONPATH": str(ROOT)}
        walls, inits, firsts = [], [], []
        for _ in range(cold_samples):
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-c", _COLD_SCRIPT, str(ROOT / "functions/ingress/app.py")], check=False,
                input=json.dumps(ping_event()), capture_output=True, text=True, env=child_env, timeout=120)
            walls.append((time.perf_counter() - started) * 1000)
            if result.returncode != 0:
                raise AssertionError(f"cold start failed: {result.stderr.strip().splitlines()[-1:]}")
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            if figures["status"] != 200 or figures["type"] != 5:
                raise AssertionError(f"cold start answered {figures}")
            inits.append(figures["init_ms"])
            firsts.append(figures["first_request_ms"])
        print(f"  import + init      median {statistics.median(inits):7.1f} ms   (samples: "
              f"{', '.join(f'{v:.0f}' for v in inits)})")
        print(f"  first request      median {statistics.median(firsts):7.1f} ms")
        print(f"  init + first ack   median {statistics.median([i + f for i, f in zip(inits, firsts)]):7.1f} ms")
        print(f"  wall clock (incl. interpreter start-up) median {statistics.median(walls):7.1f} ms")
        return ok
    finally:
        stack.close()
        os.environ.clear()
        os.environ.update(saved)
        server.terminate()
        server.wait(timeout=10)
