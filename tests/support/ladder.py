"""Helpers shared by the ladder's end-to-end tests (tests/integration/test_ladder_*.py, test_round_trips.py).

They drive the in-process pipeline (tests.support.aws.Pipeline, or the proxied one from
tests.support.tcp_proxy) and assert the invariants every such test relies on: the ingress answers
200, a worker batch reports no failures, and every PATCH to Discord passes validate_message.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from ladderline.discord.limits import validate_message

from tests.support.interactions import USER_ID, make_interaction
from tests.support.postgres import pg_connect

if TYPE_CHECKING:
    from ladderctl.stack.discord_emulator import RecordedRequest

    from tests.support.aws import Pipeline
    from tests.support.tcp_proxy import ProxiedPipeline

    AnyPipeline = Pipeline | ProxiedPipeline

DEFERRED_EPHEMERAL = {"type": 5, "data": {"flags": 64}}  # the "thinking..." answer to a queued command
NO_FAILURES = {"batchItemFailures": []}


# --- interactions ------------------------------------------------------------------------------------
def slash(name: str, user_id: str = USER_ID, **options: Any) -> dict:
    """A slash command with string options."""
    return make_interaction(2, user_id=user_id, data={"id": "1", "name": name, "type": 1, "options": [
        {"name": key, "type": 3, "value": value} for key, value in options.items()]})


def autocomplete(name: str, text: str, option: str = "country") -> dict:
    """Discord asking for choices while `option` of command `name` holds `text`."""
    return make_interaction(4, data={"id": "1", "name": name, "type": 1, "options": [
        {"name": option, "type": 3, "value": text, "focused": True}]})


def click(custom_id: str, message: dict) -> dict:
    """A button press on `message`."""
    return make_interaction(3, data={"custom_id": custom_id, "component_type": 2}, message=message)


# --- the pipeline ------------------------------------------------------------------------------------
def answer(pipeline: AnyPipeline, interaction: dict) -> dict:
    """Send `interaction` to the ingress; its immediate (HTTP 200) answer body."""
    response = pipeline.send(interaction)
    assert response["statusCode"] == 200
    return json.loads(response["body"])


def run_worker(pipeline: AnyPipeline) -> None:
    """Run the worker on what is queued; every job must succeed."""
    assert pipeline.run_worker() == NO_FAILURES


def patches(pipeline: AnyPipeline, interaction: dict) -> list[RecordedRequest]:
    """The PATCHes of `interaction`'s response so far, each body checked against Discord's limits."""
    found = [r for r in pipeline.discord.requests_for(interaction["token"]) if r.method == "PATCH"]
    for patch in found:
        assert validate_message(patch.json) == []
    return found


def message_of(pipeline: AnyPipeline, interaction: dict) -> dict:
    """The message the user sees for `interaction` now (every edit so far checked)."""
    message = pipeline.discord.message(interaction["token"])
    assert message is not None
    patches(pipeline, interaction)
    return message


def run_command(pipeline: AnyPipeline, interaction: dict, expect: dict | None = None) -> dict:
    """Send, run the worker; the final message (every edit checked). `expect`: the immediate answer."""
    body = answer(pipeline, interaction)
    if expect is not None:
        assert body == expect
    run_worker(pipeline)
    return message_of(pipeline, interaction)


def press(pipeline: AnyPipeline, interaction: dict) -> dict:
    """A button press answered at once with its message's buttons disabled; the message after the worker."""
    body = answer(pipeline, interaction)
    assert body["type"] == 7
    assert all(c["disabled"] for row in body["data"]["components"] for c in row["components"])
    run_worker(pipeline)
    return message_of(pipeline, interaction)


def wire_turns(pipeline: ProxiedPipeline, interaction: dict) -> int:
    """Send, then run the worker with a zeroed counter; the request/response turns it took on the wire."""
    answer(pipeline, interaction)
    pipeline.proxy.reset()
    run_worker(pipeline)
    return pipeline.proxy.round_trips


def clear_idempotency_records(pipeline: AnyPipeline) -> None:
    """What a Lambda timeout after the commit leaves behind: the job runs again from the start."""
    table = pipeline.aws.table_name
    for item in pipeline.aws.dynamodb.scan(TableName=table)["Items"]:
        pipeline.aws.dynamodb.delete_item(TableName=table, Key={"id": item["id"]})


def replay(pipeline: AnyPipeline, interaction: dict) -> tuple[dict, dict]:
    """Deliver the same job twice, the second time as if the first run's idempotency record were lost;
    (the message after the first run, the message after the second)."""
    answer(pipeline, interaction)
    [job] = pipeline.aws.receive()
    pipeline.run_worker([job], delete=False)
    first = message_of(pipeline, interaction)
    clear_idempotency_records(pipeline)
    assert pipeline.run_worker([job]) == NO_FAILURES
    return first, message_of(pipeline, interaction)


# --- the database ------------------------------------------------------------------------------------
def run_sql(database_url: str, sql: str, **params: Any) -> list[list[Any]]:
    """Run `sql` on its own connection; the rows (or [] for statements without any)."""
    conn = pg_connect(database_url)
    try:
        return conn.run(sql, **params) or []
    finally:
        conn.close()


def query(pipeline: AnyPipeline, sql: str) -> list[list[Any]]:
    """Run `sql` directly on the pipeline's database (never through a counting proxy)."""
    return run_sql(pipeline.database_url, sql)


def seed_player(pipeline: AnyPipeline, *, user_id: str = USER_ID, player_name: str = "SerralFan",
                country: str | None = None, region: str | None = None, terms: bool = False,
                active: bool = False) -> None:
    """One players row; terms accepted on 2025-01-01 if `terms`, activated now if `active`."""
    run_sql(pipeline.database_url,
            "INSERT INTO players (discord_user_id, player_name, country, region, terms_accepted_at, "
            "activated_at) VALUES (CAST(:user_id AS bigint), :player_name, :country, :region, "
            "CASE WHEN :terms THEN timestamptz '2025-01-01T00:00:00Z' END, CASE WHEN :active THEN now() END)",
            user_id=user_id, player_name=player_name, country=country, region=region, terms=terms,
            active=active)


# --- concurrency -------------------------------------------------------------------------------------
def wait_until_blocked(database_url: str, application_name: str,
                       failure: str = "the second transaction never waited for the first") -> None:
    """Poll pg_stat_activity until the session named `application_name` waits on a lock."""
    conn = pg_connect(database_url)
    try:
        for _ in range(500):
            rows = conn.run("SELECT wait_event_type FROM pg_stat_activity WHERE application_name = :n",
                            n=application_name)
            if rows and rows[0][0] == "Lock":
                return
            conn.run("SELECT pg_sleep(0.01)")
        raise AssertionError(failure)
    finally:
        conn.close()


def race(database_url: str, first_sql: str, second_sql: str,
         failure: str = "the second transaction never waited for the first") -> tuple[Any, list[Any]]:
    """Two transactions that really overlap: `first_sql` runs inside an open transaction, `second_sql`
    starts on another connection and must block on the first one's locks before the first commits.
    Returns (the first one's value, [the second one's value] — empty if it failed)."""
    first, second = pg_connect(database_url), pg_connect(database_url)
    second.run("SET application_name = 'racer_two'")
    results: list[Any] = []
    try:
        first.run("BEGIN")
        [[won]] = first.run(first_sql)
        racer = threading.Thread(target=lambda: results.append(second.run(second_sql)[0][0]))
        racer.start()
        wait_until_blocked(database_url, "racer_two", failure)
        first.run("COMMIT")
        racer.join(timeout=10)
    finally:
        first.close()
        second.close()
    return won, results


def refresh_ranks(database_url: str, at: Any = None) -> dict:
    """Rebuild the ranks snapshot the views read (the ranks function's call), as of `at` (now)."""
    [[result]] = run_sql(database_url, "SELECT ladder_refresh_ranks(coalesce(:at, now()), true, 600)", at=at)
    return result
