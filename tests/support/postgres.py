"""Real PostgreSQL for the tests.

`postgres_server` (session): a throwaway LocalPostgres in a temporary folder, or the server in
env TEST_DATABASE_URL when set, with the migrations applied once to a template database.
`database_url` (function): a fresh, fully migrated database cloned from that template
(CREATE DATABASE ... TEMPLATE copies files: milliseconds, no re-migration), dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pg8000.native
import pytest
from ladderctl.ops.migrate import apply_migrations
from ladderctl.postgres import LocalPostgres, connect

TEST_DATABASE_URL = "TEST_DATABASE_URL"


def pg_connect(database_url: str) -> pg8000.native.Connection:
    """A pg8000 native connection to `database_url`, for assertions (close it when done)."""
    return connect(database_url)


def _with_dbname(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


@dataclass
class PostgresServer:
    """The session's server: `admin_url` reaches a maintenance database, `template` is migrated."""

    admin_url: str
    template: str
    local: LocalPostgres | None = None

    def url(self, dbname: str) -> str:
        return _with_dbname(self.admin_url, dbname)

    def _admin(self, sql: str) -> None:
        conn = connect(self.admin_url)
        try:
            conn.run(sql)
        finally:
            conn.close()

    def create_database(self, template: str | None = None) -> str:
        """A new database cloned from the migrated template (or `template`); returns its URL."""
        name = f"test_{uuid.uuid4().hex[:16]}"
        source = pg8000.native.identifier(template or self.template)
        self._admin(f"CREATE DATABASE {pg8000.native.identifier(name)} TEMPLATE {source}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        # FORCE (PostgreSQL 13+) ends connections a test forgot to close.
        self._admin(f"DROP DATABASE IF EXISTS {pg8000.native.identifier(name)} WITH (FORCE)")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    external = os.environ.get(TEST_DATABASE_URL, "").strip()
    local: LocalPostgres | None = None
    folder: str | None = None
    if external:
        admin_url = external
    else:
        folder = tempfile.mkdtemp(prefix="ladderline-pg-")
        local = LocalPostgres(Path(folder) / "data").start()
        admin_url = local.dsn
    # Unique per session: several pytest processes may share one TEST_DATABASE_URL server.
    server = PostgresServer(admin_url=admin_url, template=f"tmpl_{uuid.uuid4().hex[:16]}", local=local)
    try:
        server._admin(f"CREATE DATABASE {pg8000.native.identifier(server.template)}")
        conn = connect(server.url(server.template))
        try:
            apply_migrations(conn)
        finally:
            # CREATE DATABASE ... TEMPLATE refuses while anyone is connected to the template.
            conn.close()
        yield server
    finally:
        try:
            if external:
                server.drop_database(server.url(server.template))
        finally:
            if local is not None:
                local.stop()
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)
