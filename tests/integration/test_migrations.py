from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pg8000.native
import pytest
from ladderctl import cli
from ladderctl.ops.migrate import MIGRATIONS_DIR, MigrationError, apply_migrations, migration_files

from tests.support.postgres import PostgresServer, pg_connect

ALL_VERSIONS = [version for version, _ in migration_files()]


@pytest.fixture
def empty_database_url(postgres_server: PostgresServer) -> str:
    url = postgres_server.create_database(template="template1")
    yield url
    postgres_server.drop_database(url)


def sqlstate(exc: pg8000.native.DatabaseError) -> str:
    return exc.args[0]["C"]


def test_migrating_twice_applies_nothing_the_second_time(empty_database_url: str) -> None:
    conn = pg_connect(empty_database_url)
    try:
        assert apply_migrations(conn) == ALL_VERSIONS
        assert apply_migrations(conn) == []
        recorded = [row[0] for row in conn.run("SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        conn.close()
    assert recorded == ALL_VERSIONS


def test_concurrent_runs_apply_each_version_exactly_once(empty_database_url: str) -> None:
    barrier = threading.Barrier(2)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def migrate() -> None:
        conn = pg_connect(empty_database_url)
        try:
            barrier.wait(timeout=30)
            results.append(apply_migrations(conn))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=migrate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(results[0] + results[1]) == sorted(ALL_VERSIONS)
    conn = pg_connect(empty_database_url)
    try:
        assert conn.run("SELECT count(*) FROM schema_migrations") == [[len(ALL_VERSIONS)]]
    finally:
        conn.close()


def test_a_recorded_version_without_its_file_is_refused(empty_database_url: str, tmp_path: Path) -> None:
    newer = tmp_path / "newer"
    shutil.copytree(MIGRATIONS_DIR, newer)
    (newer / "9999_from_the_future.sql").write_text("CREATE TABLE from_the_future (id bigint);\n")
    conn = pg_connect(empty_database_url)
    try:
        assert apply_migrations(conn, newer)[-1] == "9999_from_the_future"
        with pytest.raises(MigrationError, match="9999_from_the_future"):
            apply_migrations(conn)
    finally:
        conn.close()


def test_a_failing_migration_leaves_nothing_behind(empty_database_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(MIGRATIONS_DIR, broken)
    (broken / "9998_broken.sql").write_text("CREATE TABLE half_done (id bigint);\nSELECT 1 / 0;\n")
    conn = pg_connect(empty_database_url)
    try:
        with pytest.raises(MigrationError, match="9998_broken: division by zero"):
            apply_migrations(conn, broken)
        assert conn.run("SELECT to_regclass('half_done') IS NULL") == [[True]]
        assert conn.run("SELECT count(*) FROM schema_migrations WHERE version = '9998_broken'") == [[0]]
        assert conn.run("SELECT to_regclass('players') IS NOT NULL") == [[True]]
    finally:
        conn.close()


def test_migrate_command_prints_what_it_applied(
    empty_database_url: str, capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(["migrate", "--database-url", empty_database_url]) == 0
    assert f"applied {ALL_VERSIONS[0]}" in capsys.readouterr().out
    assert cli.main(["migrate", "--database-url", empty_database_url]) == 0
    assert "up to date" in capsys.readouterr().out


def test_migrate_command_without_a_url_says_so(capsys: pytest.CaptureFixture, monkeypatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert cli.main(["migrate"]) == 2
    assert "no database URL" in capsys.readouterr().err


def test_the_tables_exist_with_their_unique_keys(database_url: str) -> None:
    conn = pg_connect(database_url)
    try:
        tables = {
            row[0]
            for row in conn.run(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
        assert {
            "players",
            "mmrs_1v1",
            "preferences_1v1",
            "player_action_logs",
            "command_calls",
            "activation_codes",
            "activation_code_uses",
            "setup_drafts",
            "schema_migrations",
        } <= tables

        call = (
            "INSERT INTO command_calls (interaction_id, user_id, guild_id, command, received_at, processed_at, outcome)"
            " VALUES (:i, 42, NULL, 'profile', now(), now(), 'ok')"
        )
        conn.run(call, i=1234567890123456789)
        with pytest.raises(pg8000.native.DatabaseError) as duplicate:
            conn.run(call, i=1234567890123456789)
        assert sqlstate(duplicate.value) == "23505"

        conn.run(
            "INSERT INTO player_action_logs (idempotency_key, discord_user_id, action) VALUES ('k1', 42, 'x')"
        )
        with pytest.raises(pg8000.native.DatabaseError) as duplicate:
            conn.run(
                "INSERT INTO player_action_logs (idempotency_key, discord_user_id, action) VALUES ('k1', 42, 'y')"
            )
        assert sqlstate(duplicate.value) == "23505"
    finally:
        conn.close()


def test_mmr_rows_default_and_need_a_player(database_url: str) -> None:
    conn = pg_connect(database_url)
    try:
        with pytest.raises(pg8000.native.DatabaseError) as orphan:
            conn.run("INSERT INTO mmrs_1v1 (discord_user_id, race) VALUES (1, 'sc2_zerg')")
        assert sqlstate(orphan.value) == "23503"
        conn.run("INSERT INTO players (discord_user_id, player_name, country) VALUES (1, 'Serral', 'FI')")
        conn.run("INSERT INTO mmrs_1v1 (discord_user_id, race) VALUES (1, 'sc2_zerg')")
        assert conn.run("SELECT mmr, games_played FROM mmrs_1v1") == [[1500, 0]]
        with pytest.raises(pg8000.native.DatabaseError) as bad_country:
            conn.run("INSERT INTO players (discord_user_id, country) VALUES (2, 'fi')")
        assert sqlstate(bad_country.value) == "23514"
    finally:
        conn.close()


def test_each_test_gets_its_own_database(database_url: str, postgres_server: PostgresServer) -> None:
    conn = pg_connect(database_url)
    try:
        assert conn.run("SELECT count(*) FROM players") == [[0]]
        assert conn.run("SELECT current_database()")[0][0] != postgres_server.template
    finally:
        conn.close()
