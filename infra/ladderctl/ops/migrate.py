"""`ladderctl migrate`: apply infra/migrations/NNNN_name.sql in order, forward-only.

The runner itself is ladderline.adapters.migrations (the deploy's migrate function runs the same
code); this module is the command line around it.

The version of a migration is its file name without `.sql` (e.g. "0001_initial_schema"),
recorded in schema_migrations. Each file runs in its own transaction (so it must not use
statements that refuse transactions, such as CREATE INDEX CONCURRENTLY), is sent as one simple
query (so it may hold several statements and dollar-quoted function bodies), and is recorded in
the same transaction: a failure leaves nothing half-applied.

Concurrency: every transaction first takes pg_advisory_xact_lock on a fixed key, so two
`migrate` runs (two deploys, or two test workers) serialise and each version is applied once.
Advisory locks pin RDS Proxy connections, which is why the worker never takes them; a migration
run (this tool, or the deploy's migrate function) is one short-lived connection, where pinning
costs nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pg8000.native
from ladderline import settings
from ladderline.adapters import migrations as _core
from ladderline.adapters.migrations import MigrationError

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

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def migration_files(directory: Path | None = None) -> list[tuple[str, Path]]:
    """(version, path) in apply order; refuses two files with the same number."""
    return _core.migration_files(MIGRATIONS_DIR if directory is None else directory)


def pending(conn: pg8000.native.Connection, directory: Path | None = None) -> list[str]:
    """Versions not yet applied (after checking that no applied version's file is missing)."""
    return _core.pending(conn, MIGRATIONS_DIR if directory is None else directory)


def apply_migrations(conn: pg8000.native.Connection, directory: Path | None = None) -> list[str]:
    """Apply every pending migration; returns the versions this call applied, in order."""
    return _core.apply_migrations(conn, MIGRATIONS_DIR if directory is None else directory)


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
    parser.add_argument("--owners", default=os.environ.get(settings.OWNER_USER_IDS),
                        help="comma-separated Discord user ids of the ladder's owners (first staff); "
                             f"default ${settings.OWNER_USER_IDS}. With --activation-required, applied after "
                             "the migrations (a deployment with DatabaseMode=existing has no migrate function)")
    parser.add_argument("--activation-required", choices=("true", "false"),
                        default=os.environ.get(settings.ACTIVATION_REQUIRED),
                        help=f"whether players need /activate before queueing; default ${settings.ACTIVATION_REQUIRED}")


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
        configured = None
        if args.owners is not None or args.activation_required is not None:
            # Both are the deployment's whole say: an owner list left out means no owners.
            configured = _core.configure_ladder(conn, _core.parse_owner_ids(args.owners or ""),
                                                (args.activation_required or "false") == "true")
    except MigrationError as exc:
        print(f"ladderctl migrate: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"ladderctl migrate: --owners: {exc}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    for version in versions:
        print(f"applied {version}")
    if not versions:
        print("up to date")
    if configured is not None:
        print(f"owners: {configured['owners']}, staff: {configured['staff']}, "
              f"activation required: {'yes' if configured['activation_required'] else 'no'}")
    return 0
