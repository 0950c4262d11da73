"""`ladderctl migrate`: apply infra/migrations/NNNN_name.sql in order, forward-only.

The version of a migration is its file name without `.sql` (e.g. "0001_initial_schema"),
recorded in schema_migrations. Each file runs in its own transaction (so it must not use
statements that refuse transactions, such as CREATE INDEX CONCURRENTLY), is sent as one simple
query (so it may hold several statements and dollar-quoted function bodies), and is recorded in
the same transaction: a failure leaves nothing half-applied.

Concurrency: every transaction first takes pg_advisory_xact_lock on a fixed key, so two
`migrate` runs (two deploys, or two test workers) serialise and each version is applied once.
Advisory locks pin RDS Proxy connections, which is why the Lambdas never take them; this is an
operator tool on a direct (or short-lived) connection, where pinning costs nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from pathlib import Path

import pg8000.native
from ladderline import settings

from ladderctl.postgres import connect

__all__ = [
    "MIGRATIONS_DIR",
    "MigrationError",
    "add_arguments",
    "apply_migrations",
    "connect",
    "pending",
    "run",
]

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
# Any fixed bigint; it only has to be the same for every migrate run against a database.
_LOCK_KEY = 7_305_114_321_001
_FILE_RE = re.compile(r"^(\d{4})_[A-Za-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    """The migrations cannot be applied safely (missing or ambiguous files, a failing statement)."""


def migration_files(directory: Path | None = None) -> list[tuple[str, Path]]:
    """(version, path) in apply order; refuses two files with the same number."""
    directory = MIGRATIONS_DIR if directory is None else Path(directory)
    if not directory.is_dir():
        raise MigrationError(f"migrations folder {directory} does not exist")
    found: list[tuple[str, Path]] = []
    numbers: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_RE.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files must be named NNNN_name.sql")
        if match.group(1) in numbers:
            raise MigrationError(
                f"{numbers[match.group(1)]} and {path.name} share the number {match.group(1)}"
            )
        numbers[match.group(1)] = path.name
        found.append((path.stem, path))
    return found


def _begin_locked(conn: pg8000.native.Connection) -> None:
    conn.run("BEGIN")
    conn.run(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")


def _applied(conn: pg8000.native.Connection) -> set[str]:
    return {row[0] for row in conn.run("SELECT version FROM schema_migrations")}


def pending(conn: pg8000.native.Connection, directory: Path | None = None) -> list[str]:
    """Versions not yet applied (after checking that no applied version's file is missing)."""
    files = migration_files(directory)
    _begin_locked(conn)
    try:
        conn.run(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = _applied(conn)
        conn.run("COMMIT")
    except BaseException:
        _rollback(conn)
        raise
    missing = sorted(applied - {version for version, _ in files})
    if missing:
        raise MigrationError(
            f"applied migration(s) {', '.join(missing)} have no file here: this checkout is older than "
            "the database (migrations are forward-only)"
        )
    return [version for version, _ in files if version not in applied]


def apply_migrations(conn: pg8000.native.Connection, directory: Path | None = None) -> list[str]:
    """Apply every pending migration; returns the versions this call applied, in order."""
    files = dict(migration_files(directory))
    done: list[str] = []
    for version in pending(conn, directory):
        sql = files[version].read_text(encoding="utf-8")
        _begin_locked(conn)
        try:
            # Re-check under the lock: a concurrent run may have applied it since pending().
            if conn.run("SELECT 1 FROM schema_migrations WHERE version = :v", v=version):
                conn.run("ROLLBACK")
                continue
            try:
                conn.run(sql)
            except pg8000.native.DatabaseError as exc:
                detail = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
                message = detail.get("M", str(exc)) if isinstance(detail, dict) else str(exc)
                raise MigrationError(f"{version}: {message}") from exc
            conn.run("INSERT INTO schema_migrations (version) VALUES (:v)", v=version)
            conn.run("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        done.append(version)
    return done


def _rollback(conn: pg8000.native.Connection) -> None:
    # The connection may be gone; the original error is the one worth reporting.
    with contextlib.suppress(Exception):
        conn.run("ROLLBACK")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get(settings.DATABASE_URL, ""),
        help=f"postgresql://user:password@host:port/dbname[?sslmode=verify-full] (default: ${settings.DATABASE_URL})",
    )
    parser.add_argument(
        "--directory", type=Path, default=None, help=f"migrations folder (default: {MIGRATIONS_DIR})"
    )
    parser.add_argument("--dry-run", action="store_true", help="list pending migrations, apply nothing")


def run(args: argparse.Namespace) -> int:
    if not args.database_url:
        print(
            f"ladderctl migrate: no database URL (pass --database-url or set {settings.DATABASE_URL})",
            file=sys.stderr,
        )
        return 2
    try:
        conn = connect(args.database_url)
    except (OSError, ValueError, pg8000.native.InterfaceError, pg8000.native.DatabaseError) as exc:
        print(f"ladderctl migrate: cannot connect: {exc}", file=sys.stderr)
        return 1
    try:
        if args.dry_run:
            versions = pending(conn, args.directory)
            print("\n".join(f"pending {v}" for v in versions) or "nothing pending")
            return 0
        versions = apply_migrations(conn, args.directory)
    except MigrationError as exc:
        print(f"ladderctl migrate: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    for version in versions:
        print(f"applied {version}")
    if not versions:
        print("up to date")
    return 0
