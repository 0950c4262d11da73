"""The counting proxy counts what the network costs: request/response turns, not messages."""

from __future__ import annotations

import pg8000.native
from ladderline.adapters.database import PgDatabase, open_connection, params_from_url

from tests.support.postgres import pg_connect


def test_a_parameterised_run_costs_three_turns(counted_database):
    conn = pg_connect(counted_database.url)
    try:
        counted_database.proxy.reset()
        rows = conn.run("SELECT :a::int + 1", a=41)
        assert rows == [[42]]
        # Parse+Describe+Sync... pg8000 waits for each Sync: three network turns.
        assert counted_database.proxy.round_trips == 3
    finally:
        conn.close()


def test_a_plain_run_costs_one_turn(counted_database):
    conn = pg_connect(counted_database.url)
    try:
        counted_database.proxy.reset()
        # Simple query protocol: both statements in one message, rows of both in one answer.
        assert conn.run("SELECT 1; SELECT 2") == [[1], [2]]
        assert counted_database.proxy.round_trips == 1
    finally:
        conn.close()


def test_pg_database_transaction_costs_one_turn(counted_database):
    db = PgDatabase(lambda: open_connection(params_from_url(counted_database.url)))
    try:
        db.transaction("SELECT 1")  # connects (start-up and authentication are several turns)
        assert counted_database.proxy.connections_opened == 1
        counted_database.proxy.reset()

        rows = db.transaction("SELECT count(*) FROM players")

        assert rows == [[0]]
        assert counted_database.proxy.round_trips == 1
        assert db.round_trips == 2
    finally:
        db.close()


def test_reset_and_connection_setup_are_counted_separately(counted_database):
    proxy = counted_database.proxy
    conn = pg8000.native.Connection(
        user="ladder", password="ladder", host=proxy.host, port=proxy.port,
        database=counted_database.url.rsplit("/", 1)[1])
    try:
        assert proxy.round_trips >= 2  # start-up + SCRAM authentication exchanges
        proxy.reset()
        assert proxy.round_trips == 0
        conn.run("SELECT 1")
        conn.run("SELECT 1")
        assert proxy.round_trips == 2
    finally:
        conn.close()
