"""The deploy's custom resources, run as CloudFormation runs them: an event in, one PUT back.

The migrate function against a real, empty PostgreSQL (migrations, the worker's role, idempotent
re-runs, a failing migration, an unreachable database, Delete), the register function against the
Discord emulator, and the always-answer rule (a function about to time out answers FAILED once).
Secrets come from the moto server, the response URL is a real HTTP server (tests/support/cloudformation.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator

import boto3
import botocore.client
import pg8000.native
import pytest
from ladderctl.ops.migrate import MIGRATIONS_DIR, migration_files
from ladderctl.stack.discord_emulator import DiscordEmulator
from ladderctl.stack.lambdas import load_handler
from ladderline import settings
from ladderline.adapters import custom_resource
from ladderline.ladder.registry import registry

from tests.support import cloudformation
from tests.support.aws import REGION, LambdaContext
from tests.support.interactions import APPLICATION_ID
from tests.support.postgres import pg_connect

ALL_VERSIONS = [version for version, _ in migration_files()]
BOT_TOKEN = "register-bot-token-0123456789"


@pytest.fixture
def cfn() -> Iterator[cloudformation.ResponseCatcher]:
    catcher, server = cloudformation.start()
    yield catcher
    server.shutdown()


@pytest.fixture
def empty_database(postgres_server, worker_role) -> Iterator[str]:
    # Depends on worker_role so the database (holding the role's privileges) is dropped first.
    # template0: nothing migrated, as a freshly created Aurora database.
    url = postgres_server.create_database(template="template0")
    yield url
    postgres_server.drop_database(url)


@pytest.fixture
def worker_role(postgres_server) -> Iterator[str]:
    # Roles are per server, not per database: a unique one per test, dropped afterwards.
    role = f"worker_{uuid.uuid4().hex[:10]}"
    yield role
    postgres_server._admin(f"DROP ROLE IF EXISTS {pg8000.native.identifier(role)}")


def put_secret(value: dict[str, str] | str) -> str:
    client = boto3.client("secretsmanager", region_name=REGION)
    text = value if isinstance(value, str) else json.dumps(value)
    return client.create_secret(Name=f"test/{uuid.uuid4().hex}", SecretString=text)["ARN"]


@pytest.fixture
def migrate_env(aws, empty_database, worker_role, monkeypatch) -> dict[str, str]:
    password = f"pw-{uuid.uuid4().hex}"
    arn = put_secret({"username": worker_role, "password": password})
    monkeypatch.setenv("DB_AUTH", "url")
    monkeypatch.setenv("DATABASE_URL", empty_database)
    monkeypatch.setenv("DB_WORKER_SECRET_ARN", arn)
    return {"role": worker_role, "password": password, "secret_arn": arn, "url": empty_database}


def scram_matches(verifier: str, password: str) -> bool:
    """Check PostgreSQL's stored SCRAM-SHA-256 verifier against a password (RFC 5802)."""
    mechanism, rest = verifier.split("$", 1)
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return (mechanism == "SCRAM-SHA-256"
            and base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key
            and base64.b64encode(hmac.new(salted, b"Server Key", hashlib.sha256).digest()).decode() == server_key)


def stored_verifier(url: str, role: str) -> str | None:
    conn = pg_connect(url)
    try:
        rows = conn.run("SELECT rolpassword FROM pg_authid WHERE rolname = :r AND rolcanlogin", r=role)
        return rows[0][0] if rows else None
    finally:
        conn.close()


def applied_versions(url: str) -> list[str]:
    conn = pg_connect(url)
    try:
        return [row[0] for row in conn.run("SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        conn.close()


def privileges(url: str, role: str, table: str) -> list[bool]:
    conn = pg_connect(url)
    try:
        return list(conn.run(
            "SELECT has_table_privilege(:r, :t, 'SELECT'), has_table_privilege(:r, :t, 'INSERT'),"
            " has_table_privilege(:r, :t, 'UPDATE'), has_table_privilege(:r, :t, 'DELETE'),"
            " has_table_privilege(:r, :t, 'TRUNCATE')", r=role, t=table)[0])
    finally:
        conn.close()


def invoke(function: str, event: dict, timeout_seconds: float = 300.0) -> None:
    handler = load_handler(function)
    handler.lambda_handler(event, LambdaContext(function, timeout_seconds))


# --- migrate --------------------------------------------------------------------------------
def test_create_migrates_an_empty_database_and_sets_up_the_worker_role(cfn, migrate_env):
    invoke("migrate", cfn.event("Create"))

    [answer] = cfn.wait_for(1)
    assert answer.body["Status"] == "SUCCESS", answer.body["Reason"]
    assert answer.content_type == ""
    assert answer.body["PhysicalResourceId"] == "ladderline-schema"
    assert answer.body["Data"]["Applied"] == ",".join(ALL_VERSIONS)
    assert answer.body["Data"]["SchemaVersion"] == ALL_VERSIONS[-1]
    assert answer.body["Data"]["WorkerRole"] == migrate_env["role"]
    assert applied_versions(migrate_env["url"]) == ALL_VERSIONS
    # The password is the secret's, stored as a SCRAM verifier; never in the answer.
    verifier = stored_verifier(migrate_env["url"], migrate_env["role"])
    assert verifier is not None and scram_matches(verifier, migrate_env["password"])
    assert migrate_env["password"] not in json.dumps(answer.body)
    # The worker reads and writes data; it cannot truncate (or own) anything.
    assert privileges(migrate_env["url"], migrate_env["role"], "schema_migrations") == [True, True, True, True, False]


def test_the_worker_role_can_run_the_ladder_functions_on_its_own(cfn, migrate_env, postgres_server):
    invoke("migrate", cfn.event("Create"))
    assert cfn.wait_for(1)[0].body["Status"] == "SUCCESS"

    conn = pg_connect(migrate_env["url"])
    try:
        conn.run(f"SET ROLE {pg8000.native.identifier(migrate_env['role'])}")
        # Every table the migrations made is readable and writable by the worker.
        tables = [row[0] for row in conn.run(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        assert tables
        for table in tables:
            conn.run(f"SELECT count(*) FROM {pg8000.native.identifier(table)}")
            assert conn.run("SELECT has_table_privilege(current_user, :t, 'INSERT')", t=table) == [[True]]
        # The ranks function logs in as the worker: it rebuilds the snapshot (a new table, made
        # by the owner's function) and the views read the new table.
        conn.run("INSERT INTO players (discord_user_id, player_name) VALUES (1, 'One');"
                 "INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won, last_played_at) "
                 "VALUES (1, 'bw_zerg', 1600, 1, 1, now())")
        [[refreshed]] = conn.run("SELECT ladder_refresh_ranks(now(), true, 600)")
        assert refreshed["status"] == "refreshed" and refreshed["total"] == 1
        [[board]] = conn.run("SELECT ladder_leaderboard_page(NULL, NULL, NULL, NULL, false, 1, 10)")
        assert [r["player_name"] for r in board["rows"]] == ["One"]
    finally:
        conn.close()


def test_update_is_idempotent_and_follows_a_rotated_password(cfn, migrate_env):
    invoke("migrate", cfn.event("Create"))
    assert cfn.wait_for(1)[0].body["Status"] == "SUCCESS"
    new_password = f"rotated-{uuid.uuid4().hex}"
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=migrate_env["secret_arn"],
        SecretString=json.dumps({"username": migrate_env["role"], "password": new_password}))

    invoke("migrate", cfn.event("Update", physical_id="ladderline-schema"))

    answers = cfn.wait_for(2)
    assert [a.body["Status"] for a in answers] == ["SUCCESS", "SUCCESS"]
    assert answers[1].body["Data"]["Applied"] == "none"
    assert answers[1].body["PhysicalResourceId"] == "ladderline-schema"
    assert applied_versions(migrate_env["url"]) == ALL_VERSIONS
    verifier = stored_verifier(migrate_env["url"], migrate_env["role"])
    assert verifier is not None and scram_matches(verifier, new_password)
    assert not scram_matches(verifier, migrate_env["password"])


def test_a_failing_migration_fails_the_deploy_and_leaves_nothing_half_applied(cfn, migrate_env, tmp_path,
                                                                              monkeypatch):
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    (folder / "9999_broken.sql").write_text(
        "CREATE TABLE half_done (id int);\nSELECT no_such_function();\n", encoding="utf-8")
    handler = load_handler("migrate")
    monkeypatch.setattr(handler, "MIGRATIONS_DIR", folder)

    handler.lambda_handler(cfn.event("Create"), LambdaContext("migrate", 300))

    [answer] = cfn.wait_for(1)
    assert answer.body["Status"] == "FAILED"
    assert "9999_broken" in answer.body["Reason"] and "no_such_function" in answer.body["Reason"]
    # Everything before the broken file is in; the broken one left nothing behind.
    assert applied_versions(migrate_env["url"]) == ALL_VERSIONS
    conn = pg_connect(migrate_env["url"])
    try:
        assert conn.run("SELECT to_regclass('half_done')") == [[None]]
    finally:
        conn.close()


def test_an_unreachable_database_fails_the_deploy(cfn, aws, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("DB_AUTH", "url")
    monkeypatch.setenv("DATABASE_URL", f"postgresql://owner@127.0.0.1:{port}/ladderline")
    monkeypatch.setenv("DB_WORKER_SECRET_ARN", put_secret({"username": "w", "password": "p"}))
    handler = load_handler("migrate")
    waits: list[float] = []
    monkeypatch.setattr(handler, "CONNECT_WAIT_SECONDS", 10.0)
    monkeypatch.setattr(handler, "_sleep", waits.append)  # no real waiting; the deadline still passes

    handler.lambda_handler(cfn.event("Create"), LambdaContext("migrate", 300))

    [answer] = cfn.wait_for(1)
    assert answer.body["Status"] == "FAILED"
    assert "Error" in answer.body["Reason"]
    # It kept trying, doubling the wait, until the next wait would pass the 10 s window.
    assert waits == [2.0, 4.0, 8.0]


def test_migrate_waits_for_a_proxy_that_is_not_ready_yet(cfn, migrate_env, monkeypatch):
    # The first attempt meets nothing listening (a proxy whose target is still registering);
    # by the second the database is there.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://owner@127.0.0.1:{port}/ladderline")
    handler = load_handler("migrate")
    waits: list[float] = []

    def database_comes_up(seconds: float) -> None:
        waits.append(seconds)
        monkeypatch.setenv("DATABASE_URL", migrate_env["url"])

    monkeypatch.setattr(handler, "_sleep", database_comes_up)

    handler.lambda_handler(cfn.event("Create"), LambdaContext("migrate", 300))

    [answer] = cfn.wait_for(1)
    assert answer.body["Status"] == "SUCCESS", answer.body["Reason"]
    assert waits == [2.0]
    assert applied_versions(migrate_env["url"]) == ALL_VERSIONS


def test_delete_succeeds_without_touching_the_database(cfn, aws, monkeypatch):
    # A rollback after a failed Create sends Delete with the id that Create answered: it must
    # succeed even when the database never came up, and the schema outlives the resource.
    monkeypatch.setenv("DB_AUTH", "url")
    monkeypatch.setenv("DATABASE_URL", "postgresql://owner@127.0.0.1:1/ladderline")

    invoke("migrate", cfn.event("Delete", physical_id="ladderline-schema"))

    [answer] = cfn.wait_for(1)
    assert (answer.body["Status"], answer.body["PhysicalResourceId"]) == ("SUCCESS", "ladderline-schema")


def test_a_function_about_to_time_out_answers_failed_exactly_once(cfn):
    release = threading.Event()

    def slow_work(event):
        # Still working when the timer answers; finishing later must not answer again.
        release.wait(timeout=30)
        return {"Late": "yes"}

    event = cfn.event("Create")
    context = LambdaContext("migrate", (custom_resource.TIMEOUT_MARGIN_MS + 200) / 1000)
    thread = threading.Thread(target=custom_resource.handle, args=(event, context, slow_work, "id-1"))
    thread.start()
    [answer] = cfn.wait_for(1)
    release.set()
    thread.join()

    assert answer.body["Status"] == "FAILED" and "timed out" in answer.body["Reason"]
    assert answer.body["RequestId"] == event["RequestId"]
    assert len(cfn.answers) == 1


def test_an_unknown_request_type_is_answered_failed(cfn):
    status = custom_resource.handle(cfn.event("Replace"), LambdaContext("x", 60), lambda e: {}, "id-2")

    [answer] = cfn.wait_for(1)
    assert status == answer.body["Status"] == "FAILED"


# --- register -------------------------------------------------------------------------------
@pytest.fixture
def register_env(aws, monkeypatch) -> Iterator[DiscordEmulator]:
    with DiscordEmulator(bot_token=BOT_TOKEN) as emulator:
        monkeypatch.setenv("DISCORD_APPLICATION_ID", APPLICATION_ID)
        monkeypatch.setenv("DISCORD_API_BASE", emulator.base_url)
        monkeypatch.setenv("DISCORD_BOT_TOKEN_SECRET_ARN", put_secret(BOT_TOKEN))
        yield emulator


def names(commands: list[dict]) -> list[str]:
    return sorted(c["name"] for c in commands)


def test_register_puts_the_registry_on_discord_and_is_idempotent(cfn, register_env):
    invoke("register", cfn.event("Create"))
    invoke("register", cfn.event("Update", physical_id="ladderline-commands"))

    answers = cfn.wait_for(2)
    assert [a.body["Status"] for a in answers] == ["SUCCESS", "SUCCESS"], answers[0].body["Reason"]
    assert answers[0].body["Data"]["Commands"] == str(len(registry().commands()))
    assert names(register_env.commands(APPLICATION_ID)) == names(registry().commands())
    puts = [r for r in register_env.requests if r.method == "PUT"]
    assert len(puts) == 2 and all(r.headers["authorization"] == f"Bot {BOT_TOKEN}" for r in puts)
    assert BOT_TOKEN not in json.dumps([a.body for a in answers])


def test_register_with_a_token_discord_refuses_fails_the_deploy(cfn, register_env, monkeypatch):
    monkeypatch.setenv("DISCORD_BOT_TOKEN_SECRET_ARN", put_secret("not-the-bot-token"))

    invoke("register", cfn.event("Create"))

    [answer] = cfn.wait_for(1)
    assert answer.body["Status"] == "FAILED" and "401" in answer.body["Reason"]
    assert register_env.commands(APPLICATION_ID) == []
    assert "not-the-bot-token" not in answer.body["Reason"]


# --- the AWS calls they make are the ones their roles grant -----------------------------------
@pytest.fixture
def aws_calls(monkeypatch) -> list[str]:
    made: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(client, operation_name, api_params):
        made.append(f"{client.meta.service_model.signing_name}:{operation_name}")
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return made


def test_migrate_calls_only_what_its_role_grants(cfn, migrate_env, aws_calls):
    invoke("migrate", cfn.event("Create"))

    assert cfn.wait_for(1)[0].body["Status"] == "SUCCESS"
    assert set(aws_calls) == set(settings.MIGRATE_AWS_ACTIONS)


def test_register_calls_only_what_its_role_grants(cfn, register_env, aws_calls):
    invoke("register", cfn.event("Create"))

    assert cfn.wait_for(1)[0].body["Status"] == "SUCCESS"
    assert set(aws_calls) == set(settings.REGISTER_AWS_ACTIONS)
