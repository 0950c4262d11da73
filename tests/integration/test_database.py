"""The worker's PostgreSQL adapter against a real server: one connection reused and re-opened,
no silent plaintext fallback, TCP_NODELAY, and credentials resolved at connect time."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import boto3
import pytest
from ladderline.adapters.database import (
    ConnectParams,
    PgDatabase,
    open_connection,
    params_from_url,
    resolve_params,
)
from ladderline.worker_settings import DatabaseSettings
from pg8000.exceptions import DatabaseError, InterfaceError

from tests.support.postgres import pg_connect


def test_one_connection_is_reused_across_transactions(database_url):
    opened = []

    def connect():
        opened.append(open_connection(params_from_url(database_url)))
        return opened[-1]

    db = PgDatabase(connect)
    pids = {db.transaction("SELECT pg_backend_pid()")[0][0] for _ in range(3)}

    assert len(opened) == 1 and len(pids) == 1
    assert db.round_trips == 3


def test_a_broken_connection_is_reopened_and_the_statement_runs(database_url):
    db = PgDatabase(lambda: open_connection(params_from_url(database_url)))
    [[first_pid]] = db.transaction("SELECT pg_backend_pid()")
    admin = pg_connect(database_url)
    admin.run("SELECT pg_terminate_backend(:pid)", pid=first_pid)
    admin.close()

    [[second_pid]] = db.transaction("SELECT pg_backend_pid()")

    assert second_pid != first_pid


def test_a_failed_statement_is_rolled_back_and_the_connection_stays_usable(database_url):
    db = PgDatabase(lambda: open_connection(params_from_url(database_url)))

    with pytest.raises(DatabaseError):
        db.transaction("INSERT INTO command_calls VALUES (1, 2, NULL, 'x', now(), now(), 'ok'), "
                       "(1, 2, NULL, 'x', now(), now(), 'ok')")

    assert db.transaction("SELECT count(*) FROM command_calls") == [[0]]  # nothing half-written


def test_the_statement_runs_inside_an_explicit_transaction_block(database_url):
    db = PgDatabase(lambda: open_connection(params_from_url(database_url)))
    bare = pg_connect(database_url)

    # SAVEPOINT is refused outside BEGIN..COMMIT, so it passes only in an explicit block.
    with pytest.raises(DatabaseError, match="transaction blocks"):
        bare.run("SAVEPOINT probe")
    assert db.transaction("SAVEPOINT probe") == []
    bare.close()


def test_the_socket_has_tcp_nodelay(database_url):
    conn = open_connection(params_from_url(database_url))
    try:
        assert conn._usock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        conn.close()


def test_tls_never_falls_back_to_plaintext(database_url):
    # The test server has no TLS: a verifying context must refuse rather than silently downgrade.
    plain = params_from_url(database_url)
    wanted_tls = ConnectParams(plain.host, plain.port, plain.database, plain.user, plain.password, tls=True)

    with pytest.raises(InterfaceError, match="refuses SSL"):
        open_connection(wanted_tls)


def test_iam_auth_makes_a_fresh_token_when_the_connection_opens(aws):
    settings = DatabaseSettings.from_env({"DB_AUTH": "iam", "DB_HOST": "proxy.example.internal",
                                          "DB_PORT": "5432", "DB_NAME": "ladder", "DB_USER": "worker"})

    first, second = resolve_params(settings), resolve_params(settings)

    assert (first.user, first.host, first.tls) == ("worker", "proxy.example.internal", True)
    assert first.password.startswith("proxy.example.internal:5432/?Action=connect")
    assert "X-Amz-Signature=" in first.password and "DBUser=worker" in first.password
    assert first.password is not second.password  # made per connect, never cached at import


def test_secret_auth_reads_the_credentials_from_secrets_manager(aws):
    arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="ladder-db", SecretString=json.dumps({"username": "worker", "password": "s3cret"}))["ARN"]
    settings = DatabaseSettings.from_env({"DB_AUTH": "secret", "DB_HOST": "db.internal", "DB_NAME": "ladder",
                                          "DB_SECRET_ARN": arn})

    params = resolve_params(settings)

    assert (params.user, params.password, params.host, params.tls) == ("worker", "s3cret", "db.internal", True)


def test_a_url_with_sslmode_require_asks_for_tls(database_url):
    parts = urlsplit(database_url)

    assert params_from_url(f"{database_url}?sslmode=require").tls is True
    assert params_from_url(database_url).tls is False
    assert params_from_url(database_url).port == parts.port
