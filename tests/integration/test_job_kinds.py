"""Jobs that are not today's interactions, through the deployed handlers (ingress → moto SQS →
worker → PostgreSQL → emulator): version-1 jobs still in flight, timers, ticks."""

from __future__ import annotations

import json

from ladderline.job import Job

from tests.support.interactions import make_interaction
from tests.support.postgres import pg_connect

PING = {"id": "1", "name": "ping", "type": 1}


def test_a_version_1_job_published_before_a_deploy_is_still_processed(pipeline):
    interaction = make_interaction(2, data=PING)
    assert pipeline.send(interaction)["statusCode"] == 200
    [message] = pipeline.aws.receive()
    pipeline.aws.sqs.delete_message(QueueUrl=pipeline.aws.queue_url, ReceiptHandle=message["ReceiptHandle"])
    # What the previous release published: no kind, subcommand or payload.
    old = json.loads(message["Body"])
    for field in ("kind", "subcommand", "payload"):
        old.pop(field)
    old["schema_version"] = 1
    pipeline.aws.sqs.send_message(QueueUrl=pipeline.aws.queue_url, MessageBody=json.dumps(old))

    assert pipeline.run_worker() == {"batchItemFailures": []}

    assert pipeline.discord.message(interaction["token"])["content"].startswith("Pong!")


def test_ping_dm_after_schedules_a_timer_that_dms_the_user_once(pipeline):
    interaction = make_interaction(2, data={**PING, "options": [{"name": "dm_after", "type": 4, "value": 2}]})
    pipeline.send(interaction)

    assert pipeline.run_worker() == {"batchItemFailures": []}
    assert "I'll DM you in 2 s." in pipeline.discord.message(interaction["token"])["content"]
    assert pipeline.aws.receive() == []  # DelaySeconds: not visible yet
    user = interaction["member"]["user"]["id"]
    assert pipeline.discord.dms(user) == []

    import time

    time.sleep(2.5)
    [timer] = pipeline.aws.receive()
    assert json.loads(timer["Body"])["kind"] == "timer"
    pipeline.aws.sqs.send_message(QueueUrl=pipeline.aws.queue_url, MessageBody=timer["Body"])  # a duplicate
    assert pipeline.run_worker([timer]) == {"batchItemFailures": []}
    assert pipeline.run_worker() == {"batchItemFailures": []}

    [dm] = pipeline.discord.dms(user)
    assert dm["content"].startswith("⏰ Pong from a timer")


def test_a_tick_runs_every_tick_handler_once_per_tick_id(pipeline):
    db = pg_connect(pipeline.database_url)
    db.run("INSERT INTO deliveries (delivery_key, kind, job_key, channel_id, message_id, outcome, recorded_at) "
           "VALUES ('old', 'dm', 'j', 1, 2, 'sent', now() - interval '40 days'), "
           "('new', 'dm', 'j', 1, 3, 'sent', now())")
    tick = Job.tick("2026-12-01T11:30:00Z").to_json()
    pipeline.aws.sqs.send_message(QueueUrl=pipeline.aws.queue_url, MessageBody=tick)

    assert pipeline.run_worker() == {"batchItemFailures": []}
    assert db.run("SELECT delivery_key FROM deliveries") == [["new"]]

    # The same tick delivered again is answered from the idempotency store: nothing runs.
    db.run("INSERT INTO deliveries (delivery_key, kind, job_key, channel_id, message_id, outcome, recorded_at) "
           "VALUES ('older', 'dm', 'j', 1, 4, 'sent', now() - interval '40 days')")
    pipeline.aws.sqs.send_message(QueueUrl=pipeline.aws.queue_url, MessageBody=tick)
    assert pipeline.run_worker() == {"batchItemFailures": []}
    assert sorted(r[0] for r in db.run("SELECT delivery_key FROM deliveries")) == ["new", "older"]
    # The next tick runs again.
    pipeline.aws.sqs.send_message(QueueUrl=pipeline.aws.queue_url,
                                  MessageBody=Job.tick("2026-12-01T11:31:00Z").to_json())
    assert pipeline.run_worker() == {"batchItemFailures": []}
    assert db.run("SELECT delivery_key FROM deliveries") == [["new"]]
