"""The job contract: versions, kinds, subcommands, idempotency keys."""

from __future__ import annotations

import json

import pytest
from ladderline.discord.interaction import Interaction
from ladderline.job import Job, JobError

from tests.support.interactions import make_interaction


def test_a_subcommand_and_its_own_options_are_carried():
    payload = make_interaction(2, data={"id": "1", "name": "admin", "type": 1, "options": [
        {"name": "match", "type": 2, "options": [
            {"name": "resolve", "type": 1, "options": [{"name": "winner", "type": 6, "value": "42"}]}]}]})
    job = Job.from_interaction(Interaction.parse(payload), route="admin", ack_type=5, ephemeral=True,
                               received_at_ms=1)

    again = Job.from_json(job.to_json())

    assert (again.subcommand, again.options, again.kind) == ("match resolve", {"winner": "42"}, "interaction")
    assert again.schema_version == 2


def test_version_1_is_read_as_an_interaction_and_keyed_on_its_id():
    v1 = {"schema_version": 1, "interaction_id": "123", "application_id": "1", "token": "t",
          "interaction_type": 2, "route": "ping", "custom_id": None, "options": {}, "values": [],
          "user_id": "5", "guild_id": None, "channel_id": None, "locale": None, "received_at_ms": 0,
          "ack_type": 5, "ephemeral": True, "extra": {}}

    job = Job.from_json(json.dumps(v1))

    assert (job.kind, job.subcommand, job.payload) == ("interaction", None, {})
    assert job.idempotency_key() == "123"  # the key version 1 used: records in flight still match


@pytest.mark.parametrize("body", [
    {"schema_version": 3, "interaction_id": "1", "route": "x"},
    {"schema_version": 1, "kind": "timer", "interaction_id": "1", "route": "x"},
    {"schema_version": 2, "kind": "cron", "interaction_id": "1", "route": "x"},
    {"schema_version": 2, "kind": "tick", "interaction_id": "not a time"},
])
def test_what_the_worker_cannot_read_is_refused(body):
    with pytest.raises(JobError):
        Job.from_json(json.dumps(body))


def test_each_kind_has_its_own_idempotency_key():
    timer = Job.timer(route="remind", key="match:7:remind", payload={"a": 1}, scheduled_at_ms=5)
    tick = Job.tick("2026-12-01T11:30:00Z")

    assert timer.idempotency_key() == "timer:match:7:remind"
    assert tick.idempotency_key("sweep") == "2026-12-01T11:30:00Z:sweep"
    assert tick.payload == {"tick_id": "2026-12-01T11:30:00Z", "scheduled_at_ms": 1796124600000}


def test_a_tick_from_the_schedule_gets_its_payload_from_its_id():
    job = Job.from_json('{"schema_version":2,"kind":"tick","route":"tick","interaction_id":"2026-12-01T11:31:00Z"}')

    assert job.payload["scheduled_at_ms"] == 1796124660000 and job.received_at_ms == 1796124660000


def test_to_json_serialises_every_field_as_to_dict_does():
    job = Job(interaction_id="1", route="profile", options={"nested": [1, {"deep": "é"}]}, values=["a"],
              payload={"k": {"v": 2}}, extra={"x": None}, subcommand="resolve")

    assert json.loads(job.to_json()) == job.to_dict()
    assert Job.from_json(job.to_json()) == job


def test_replace_copies_with_changes_and_to_dict_hands_out_copies():
    job = Job(interaction_id="1", route="qjoin", token="secret-token", options={"race": "bw_zerg"})

    changed = job.replace(route="tick", token="other")
    as_dict = job.to_dict()
    as_dict["options"]["race"] = "sc2_terran"

    assert (changed.route, changed.token, changed.options) == ("tick", "other", {"race": "bw_zerg"})
    assert (job.route, job.token, job.options) == ("qjoin", "secret-token", {"race": "bw_zerg"})
    assert changed != job and job.replace() == job


def test_a_jobs_repr_never_shows_its_token():
    job = Job(interaction_id="1", route="profile", token="aW50ZXJhY3Rpb24tdG9rZW4")

    assert "aW50ZXJhY3Rpb24tdG9rZW4" not in repr(job) and "profile" in repr(job)
