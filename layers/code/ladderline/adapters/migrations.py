"""The migration runner's core: apply NNNN_name.sql files in order, forward-only, exactly once.

Shared by `ladderctl migrate` (an operator's machine, the tests, the local stack) and the deploy's
migrate function (functions/migrate, a CloudFormation custom resource inside the VPC). Only
pg8000: no AWS SDK here.

The version of a migration is its file name without `.sql` (e.g. "0001_initial_schema"),
recorded in schema_migrations. Each file runs in its own transaction (so it must not use
statements that refuse transactions, such as CREATE INDEX CONCURRENTLY), is sent as one simple
query (so it may hold several statements and dollar-quoted function bodies), and is recorded in
the same transaction: a failure leaves nothing half-applied.

Concurrency: every transaction first takes pg_advisory_xact_lock on a fixed key, so two runs
(two deploys, or two test workers) serialise and each version is applied once. Advisory locks pin
RDS Proxy connections, which is why the worker never takes them; a migration run is one
short-lived connection, where pinning costs nothing.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import re
from pathlib import Path

import pg8000.native

__all__ = [
    "MigrationError",
    "apply_migrations",
    "configure_ladder",
    "ensure_login_role",
    "migration_files",
    "parse_owner_ids",
    "pending",
    "scram_sha_256_verifier",
]

# Any fixed bigint; it only has to be the same for every migrate run against a database.
_LOCK_KEY = 7_305_114_321_001
_FILE_RE = re.compile(r"^(\d{4})_[A-Za-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    """The migrations cannot be applied safely (missing or ambiguous files, a failing statement)."""


def migration_files(directory: Path) -> list[tuple[str, Path]]:
    """(version, path) in apply order; refuses two files with the same number."""
    directory = Path(directory)
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


def pending(conn: pg8000.native.Connection, directory: Path) -> list[str]:
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


def apply_migrations(conn: pg8000.native.Connection, directory: Path) -> list[str]:
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
                raise MigrationError(f"{version}: {_message(exc)}") from exc
            conn.run("INSERT INTO schema_migrations (version) VALUES (:v)", v=version)
            conn.run("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        done.append(version)
    return done


def _message(exc: Exception) -> str:
    detail = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    return str(detail.get("M", exc)) if isinstance(detail, dict) and detail else str(exc)


def _rollback(conn: pg8000.native.Connection) -> None:
    # The connection may be gone; the original error is the one worth reporting.
    with contextlib.suppress(Exception):
        conn.run("ROLLBACK")


# --- the worker's login role ----------------------------------------------------------------
SCRAM_ITERATIONS = 4096  # PostgreSQL's default scram_iterations


def scram_sha_256_verifier(password: str, salt: bytes | None = None,
                           iterations: int = SCRAM_ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802 / RFC 7677).

    Sent instead of the password itself, so the password never appears in SQL text (and so never
    in a server log that records DDL), exactly as psql's \\password does.
    """
    salt = os.urandom(16) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = lambda raw: base64.b64encode(raw).decode("ascii")
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def ensure_login_role(conn: pg8000.native.Connection, role: str, password: str) -> None:
    """Create or update the worker's login role and grant it the data privileges it needs.

    The ladder's SQL functions run with the caller's rights, so the worker needs the table
    privileges; default privileges cover tables and sequences later migrations add (they apply to
    objects the role running this creates, i.e. the schema owner). Idempotent.
    """
    ident = pg8000.native.identifier(role)
    verifier = pg8000.native.literal(scram_sha_256_verifier(password))
    conn.run("BEGIN")
    try:
        exists = conn.run("SELECT 1 FROM pg_roles WHERE rolname = :r", r=role)
        verb = "ALTER" if exists else "CREATE"
        conn.run(f"{verb} ROLE {ident} WITH LOGIN PASSWORD {verifier}")
        conn.run(f"GRANT USAGE ON SCHEMA public TO {ident}")
        conn.run(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ident}")
        conn.run(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {ident}")
        conn.run(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {ident}")
        conn.run(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                 f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ident}")
        conn.run(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                 f"GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {ident}")
        conn.run("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


_SNOWFLAKE = re.compile(r"[0-9]{17,20}")


def parse_owner_ids(text: str) -> list[int]:
    """The deployment's owner list ("id,id", spaces allowed, may be empty) as user ids; a word
    that is not a Discord user id raises ValueError naming it."""
    ids = []
    for word in (w.strip() for w in text.split(",")):
        if not word:
            continue
        if not _SNOWFLAKE.fullmatch(word):
            raise ValueError(f"{word!r} is not a Discord user id (17 to 20 digits)")
        ids.append(int(word))
    return ids


def configure_ladder(conn: pg8000.native.Connection, owner_ids: list[int], activation_required: bool) -> dict[str, object]:
    """Apply the deployment's say over the ladder (migration 0013's ladder_configure): these users
    are the owners (staff who cannot be removed by command), and whether /activate is required.
    Run after the migrations, on every deploy and every local stack start. Idempotent."""
    [[result]] = conn.run("SELECT ladder_configure(CAST(:ids AS bigint[]), :required)",
                          ids=owner_ids, required=activation_required)
    return dict(result)
