"""Logs and metrics of both handlers, in-process, over the whole pipeline and its failure paths.

The handlers run as deployed (service names and function names from template.yaml), everything
they write is captured (stdout/stderr at the file-descriptor level, plus logging records), and:
- no secret appears anywhere: interaction tokens, the database password, signature header
  values, the raw body's content;
- every log line is JSON, and interaction-scoped lines carry correlation id, command and guild;
- every custom metric the dashboard or an alarm reads is emitted with the same namespace and
  dimensions, and every emitted metric is on the dashboard.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from ladderline import settings as names
from ladderline.discord.constants import InteractionType
from ladderline.job import Job
from ladderline.ladder.registry import Ack, registry

from tests.support.aws import LambdaContext, Pipeline, load_handler
from tests.support.discord import BOT_TOKEN
from tests.support.interactions import dumps, make_interaction, signed_event, snowflake
from tests.support.ladder_jobs import sql
from tests.support.observability import (
    NAMESPACE,
    REFS,
    Metric,
    Search,
    alarm_references,
    custom,
    dashboard_references,
    parse_emf,
    service_name,
)

ORIGINAL = "/webhooks/*/messages/@original"
BODY_MARKER = "zq-body-marker-51c7"  # distinctive content of every raw body sent
DB_PASSWORD = "pw-S3cr3t-db-9d1e4f"
JOB_MESSAGES = {"job started", "command done", "edit done", "job done", "job failed"}


@dataclass
class Run:
    pipeline: Pipeline
    secrets: list[str] = field(default_factory=list)
    sent: list[dict] = field(default_factory=list)

    def event(self, interaction: dict, **options: Any) -> dict:
        self.secrets.append(interaction["token"])
        event = signed_event(dumps(interaction), self.pipeline.key, **options)
        self.secrets.append(event["headers"]["x-signature-ed25519"])
        return event

    def send(self, interaction: dict, ingress=None, **options: Any) -> dict:
        event = self.event(interaction, **options)
        response = (ingress or self.pipeline.ingress).lambda_handler(
            event, LambdaContext(REFS["IngressFunction"], 5))
        if response["statusCode"] == 200 and interaction["type"] != 1:
            self.pipeline.discord.track_interaction(interaction, json.loads(response["body"]))
            self.sent.append(interaction)
        return response

    def ping(self, dm_after: int | None = None, **kwargs: Any) -> dict:
        interaction = make_interaction(2, data=_ping(dm_after), **kwargs)
        assert self.send(interaction)["statusCode"] == 200
        return interaction

    def work(self, messages: list[dict] | None = None, *, timeout: float = 15.0, delete: bool = True,
             worker=None) -> dict:
        messages = self.pipeline.aws.receive() if messages is None else messages
        result = (worker or self.pipeline.worker).lambda_handler(
            self.pipeline.sqs_event(messages), LambdaContext(REFS["WorkerFunction"], timeout))
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        for m in messages:
            if delete or m["MessageId"] not in failed:
                self.pipeline.aws.sqs.delete_message(QueueUrl=self.pipeline.aws.queue_url,
                                                     ReceiptHandle=m["ReceiptHandle"])
        return result


def _ping(dm_after: int | None = None) -> dict:
    # The option value stands for any user-typed text: it must never reach a log line.
    options: list[dict] = [{"name": "note", "type": 3, "value": f"{BODY_MARKER} with ünïcode"}]
    if dm_after is not None:
        options.append({"name": "dm_after", "type": 4, "value": dm_after})
    return {"id": "1", "name": "ping", "type": 1, "options": options}


@pytest.fixture
def run(pipeline_env, aws, discord, discord_key, database_url, monkeypatch, capfd) -> Run:
    """Both handlers as deployed: their service names, LOG_LEVEL=DEBUG (the most they ever log)."""
    from aws_lambda_powertools.metrics.provider import cold_start

    # Powertools keeps "cold" per process; an earlier test's worker already used it up.
    monkeypatch.setattr(cold_start, "is_cold_start", True)
    monkeypatch.setenv(names.LOG_LEVEL, "DEBUG")
    monkeypatch.setenv(names.METRICS_NAMESPACE, NAMESPACE)
    monkeypatch.setenv(names.SERVICE_NAME, service_name("IngressFunction"))
    ingress = load_handler("ingress")
    monkeypatch.setenv(names.SERVICE_NAME, service_name("WorkerFunction"))
    worker = load_handler("worker")
    yield Run(Pipeline(ingress, worker, aws, discord, discord_key, database_url))
    worker.worker.close()


def exercise(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every path that reports something: answers, rejections, jobs, Discord's failure modes."""
    p = run.pipeline
    # Ingress: in-line answers (a modal, autocomplete) where the registry has them.
    for route in registry().routes():
        if route.kind == InteractionType.APPLICATION_COMMAND and route.ack is Ack.MODAL:
            run.send(make_interaction(2, data={"id": "2", "name": route.key, "type": 1}))
            break
    for route in registry().routes():
        if route.autocomplete and route.options:
            option = {"name": route.options[0]["name"], "type": 3, "value": BODY_MARKER, "focused": True}
            run.send(make_interaction(4, data={"id": "3", "name": route.key, "type": 1, "options": [option]}))
            break
    # Ingress rejections.
    ping = make_interaction(2, data=_ping())
    bad = run.event(ping)
    bad["headers"]["x-signature-ed25519"] = "ab" * 64
    run.secrets.append("ab" * 64)
    assert p.ingress.lambda_handler(bad, LambdaContext(REFS["IngressFunction"], 5))["statusCode"] == 401
    assert run.send(ping, timestamp=str(int(time.time()) - 3600))["statusCode"] == 401  # stale
    not_json = signed_event(f"{BODY_MARKER} not json".encode(), p.key)
    run.secrets.append(not_json["headers"]["x-signature-ed25519"])
    assert p.ingress.lambda_handler(not_json, LambdaContext(REFS["IngressFunction"], 5))["statusCode"] == 400
    too_large = signed_event(f'{{"x":"{BODY_MARKER * 20000}"}}'.encode(), p.key)
    assert p.ingress.lambda_handler(too_large, LambdaContext(REFS["IngressFunction"], 5))["statusCode"] == 413
    assert run.send(make_interaction(1))["statusCode"] == 200  # PING

    # Worker: a job that works, then is delivered again (an idempotent replay).
    run.ping()
    [message] = p.aws.receive()
    assert run.work([message], delete=False) == {"batchItemFailures": []}
    assert run.work([message]) == {"batchItemFailures": []}
    # Discord: a short 429 (retried), a long one (job handed back), 5xx until the deadline
    # (unavailable), an expired token, another 4xx.
    p.discord.script("PATCH", ORIGINAL, 429, {"message": "slow down", "retry_after": 0.05, "global": False})
    run.ping()
    assert run.work() == {"batchItemFailures": []}
    p.discord.script("PATCH", ORIGINAL, 429, {"message": "slow down", "retry_after": 60.0, "global": False})
    run.ping()
    assert run.work() == {"batchItemFailures": []}  # put back on the queue as a new, delayed message
    deferred: list[dict] = []
    deadline = time.time() + 15
    while not deferred and time.time() < deadline:
        deferred = p.aws.receive()
    assert len(deferred) == 1
    # Its run in a container that has not seen the 429 answers the user.
    assert run.work(deferred, worker=load_handler("worker")) == {"batchItemFailures": []}
    p.discord.script("PATCH", ORIGINAL, 500, {"message": "oops"})
    run.ping()
    # 2 s of Lambda time left is all DEADLINE_MARGIN_SECONDS: no time for a backoff.
    assert len(run.work(timeout=2.0)["batchItemFailures"]) == 1
    p.discord.script("PATCH", ORIGINAL, 401, {"message": "Invalid Webhook Token", "code": 50027})
    run.ping()
    assert run.work() == {"batchItemFailures": []}
    run.ping(id=snowflake(time.time() - 16 * 60))  # token already expired: never sent
    assert run.work() == {"batchItemFailures": []}
    p.discord.script("PATCH", ORIGINAL, 403, {"message": "Missing Access", "code": 50001})
    run.ping()
    assert run.work() == {"batchItemFailures": []}
    # A timer (scheduled by /ping dm_after), then the timer job itself: a DM with the bot token.
    run.ping(dm_after=0)
    assert run.work() == {"batchItemFailures": []}
    assert run.work() == {"batchItemFailures": []}
    # A tick job (every tick handler under its own key), with two players queueing: the wave
    # matches them (wait, MMR gap), then the confirmation deadline abandons the match.
    for user, races in ((4001, "{bw_zerg}"), (4002, "{sc2_terran}")):
        sql(p.database_url, "INSERT INTO players (discord_user_id, player_name, battletag, region, terms_accepted_at, "
                            "activated_at) VALUES (:u, 'P', 'P#1', 'EUW', now(), now())", u=user)
        sql(p.database_url, "INSERT INTO preferences_1v1 (discord_user_id, last_chosen_races) "
                            "VALUES (:u, CAST(:r AS text[]))", u=user, r=races)
        sql(p.database_url, "SELECT ladder_queue_join(:u, :k, now())", u=user, k=f"join-{user}")
    p.aws.sqs.send_message(QueueUrl=p.aws.queue_url, MessageBody=Job.tick("2026-12-01T11:30:00Z").to_json())
    assert run.work() == {"batchItemFailures": []}
    assert run.work() == {"batchItemFailures": []}  # the match's own "match found" job
    assert run.work() == {"batchItemFailures": []}  # both players told: the window starts (match_told)
    assert sql(p.database_url, "SELECT told_at IS NOT NULL FROM matches_1v1") == [[True]]
    # Two minutes later (the window the announcement started has passed):
    sql(p.database_url, "UPDATE matches_1v1 SET confirm_deadline = now() - interval '1 second'")
    deadline = Job.timer(route="match_deadline", key="match:1:deadline", payload={"match_id": 1},
                         scheduled_at_ms=int(time.time() * 1000))
    p.aws.sqs.send_message(QueueUrl=p.aws.queue_url, MessageBody=deadline.to_json())
    assert run.work() == {"batchItemFailures": []}
    assert sql(p.database_url, "SELECT status FROM matches_1v1") == [["abandoned"]]
    # Too many invalid requests across containers: a worker with a low limit stops calling Discord.
    monkeypatch.setenv(names.DISCORD_INVALID_REQUEST_LIMIT, "1")
    tripped = load_handler("worker")
    monkeypatch.delenv(names.DISCORD_INVALID_REQUEST_LIMIT)
    run.ping()
    assert len(run.work(worker=tripped)["batchItemFailures"]) == 1
    # A queue message that is not a job.
    p.aws.sqs.send_message(QueueUrl=p.aws.queue_url, MessageBody='{"schema_version": 99}')
    assert len(run.work()["batchItemFailures"]) == 1
    # The database is down for good, on the last attempt: dead-lettered, analytics dropped.
    monkeypatch.setenv(names.DATABASE_URL, f"postgresql://ladder:{DB_PASSWORD}@127.0.0.1:9/ladder")
    down = load_handler("worker")
    run.ping()
    [message] = p.aws.receive()
    message["Attributes"]["ApproximateReceiveCount"] = "4"
    assert len(run.work([message], worker=down)["batchItemFailures"]) == 1
    # SendMessage fails (no such queue): the ingress answers "unavailable" and logs why.
    monkeypatch.setenv(names.QUEUE_URL, p.aws.queue_url + "-gone")
    monkeypatch.setenv(names.SERVICE_NAME, service_name("IngressFunction"))
    broken = load_handler("ingress")
    assert run.send(make_interaction(2, data=_ping()), ingress=broken)["statusCode"] == 200


@pytest.fixture
def observed(run, monkeypatch, capfd, caplog):
    exercise(run, monkeypatch)
    out, err = capfd.readouterr()
    return run, out, err, caplog


def log_lines(out: str) -> list[dict]:
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]  # every line is JSON
    return [line for line in lines if "_aws" not in line]


def test_no_secret_reaches_any_output(observed):
    run, out, err, caplog = observed
    records = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.__dict__}" for r in caplog.records)
    everything = f"{out}\n{err}\n{caplog.text}\n{records}"
    assert run.sent and len(run.secrets) > 20
    for secret in [*run.secrets, DB_PASSWORD, BODY_MARKER, BOT_TOKEN]:
        assert secret not in everything, f"a secret reached the logs: {secret[:12]}..."
    # Raw-body content in any encoding the loggers could produce.
    assert "ünïcode" not in everything and "\\u00fcn" not in everything


def test_every_log_line_is_json_and_interaction_lines_carry_their_ids(observed):
    run, out, _, _ = observed
    lines = log_lines(out)
    by_id = {i["id"]: i for i in run.sent}
    messages = {line["message"] for line in lines}
    assert {"interaction answered", "publish failed", "job failed", "edit done"} <= messages
    for line in lines:
        if line.get("job_kind", "interaction") != "interaction":
            # Timers and ticks: their correlation id is the timer key or tick id.
            assert line["correlation_id"].startswith(("ping:", "match:", "2026-")), line
            continue
        if line["message"] in JOB_MESSAGES or line["message"] in ("publish failed", "discord refused the edit: %s"):
            assert line.get("correlation_id") in by_id, line
        if line.get("correlation_id"):
            interaction = by_id[line["correlation_id"]]
            assert line["guild_id"] == interaction["guild_id"], line
            assert line["command"] == interaction["data"]["name"], line
    # Each function's lines in its own format, even with both in one process.
    ingress_lines = [line for line in lines if line["message"] in ("interaction answered", "publish failed")]
    assert {line["service"] for line in ingress_lines} == {service_name("IngressFunction")}
    assert {line["service"] for line in lines if line["message"] in JOB_MESSAGES} == {
        service_name("WorkerFunction")}
    [publish_failed] = [line for line in lines if line["message"] == "publish failed"]
    assert "Traceback" in publish_failed["exception"] and publish_failed["command"] == "ping"
    failed = [line for line in lines if line["message"] == "job failed"]
    assert any(line["final_attempt"] for line in failed) and all(line["error"] for line in failed)


def test_every_metric_charted_or_alarmed_is_emitted_and_every_emitted_metric_is_charted(observed):
    _, out, _, _ = observed
    emitted, records = parse_emf(out)
    assert records and {m.namespace for m in emitted} == {NAMESPACE}

    charted = custom(dashboard_references())
    alarmed = custom(alarm_references())
    missing = [str(r) for r in [*charted, *alarmed] if isinstance(r, Metric) and r not in emitted]
    assert not missing, f"charted or alarmed but never emitted: {missing}"
    for search in (r for r in charted if isinstance(r, Search)):
        assert any(search.matches(m) for m in emitted), f"no emitted metric matches {search}"

    def is_charted(metric: Metric) -> bool:
        return any(r == metric if isinstance(r, Metric) else r.matches(metric) for r in charted)

    uncharted = sorted(str(m) for m in emitted if not is_charted(m))
    assert not uncharted, f"emitted but not on the dashboard: {uncharted}"
    # A command dimension is always a registry key.
    keys = registry().job_names()
    assert {dict(m.dimensions)["command"] for m in emitted if "command" in dict(m.dimensions)} <= keys
