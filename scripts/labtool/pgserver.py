"""A throwaway PostgreSQL server for tests and benchmarks: initdb + pg_ctl in a temp dir.

PostgreSQL refuses to run as root, so when the tests run as root the server commands
run as the `postgres` OS user, in a temp dir handed over to that user. The server can
be stopped and started again mid-test (same port, same data) to simulate an outage.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

SERVER_USER = "postgres"
REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")


class PgUnavailable(Exception):
    """The PostgreSQL server binaries (or the user to run them) are missing."""


def find_bin_dir() -> Path:
    """The newest Debian PostgreSQL bin dir (or PG_BIN_DIR) that has every binary we need."""
    candidates = [os.environ["PG_BIN_DIR"]] if os.environ.get("PG_BIN_DIR") else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    for candidate in candidates:
        if all((Path(candidate) / name).is_file() for name in REQUIRED_BINARIES):
            return Path(candidate)
    raise PgUnavailable(
        "PostgreSQL server binaries not found: no /usr/lib/postgresql/<version>/bin with "
        f"{', '.join(REQUIRED_BINARIES)} (install the Debian package 'postgresql', or set PG_BIN_DIR)"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Database:
    """A database with its own owner role, as an app would get it in the cluster."""

    host: str
    port: int
    name: str
    user: str
    password: str

    def env(self) -> dict[str, str]:
        """The POSTGRES_* variables an app needs to reach this database."""
        return {"POSTGRES_HOST": self.host, "POSTGRES_PORT": str(self.port), "POSTGRES_DB": self.name,
                "POSTGRES_USER": self.user, "POSTGRES_PASSWORD": self.password}

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(
            host=self.host, port=self.port, dbname=self.name, user=self.user, password=self.password,
            connect_timeout=5, **kwargs,
        )


class PgServer:
    def __init__(self, bin_dir: Path | None = None, settings: dict[str, str] | None = None) -> None:
        self.bin_dir = bin_dir or find_bin_dir()
        self.run_as = SERVER_USER if os.geteuid() == 0 else None
        if self.run_as:
            try:
                pwd.getpwnam(self.run_as)
            except KeyError:
                raise PgUnavailable(f"running as root but there is no '{self.run_as}' OS user to run the server") from None
        self.host = "127.0.0.1"
        self.port = free_port()
        self.superuser = "postgres"
        self.password = secrets.token_hex(16)
        # Durability against a crashed server process does not need fsync (the WAL is
        # in the page cache); skipping it keeps test runs fast.
        self.settings = {"fsync": "off", "max_connections": "200", **(settings or {})}
        self.base = Path(tempfile.mkdtemp(prefix="pgtest-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self._initialised = False

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([str(a) for a in args], user=self.run_as, cwd=self.base,
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
                f"\nserver log tail:\n{self.log_tail()}"
            )
        return result

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text().splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def init(self) -> None:
        pwfile = self.base / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if self.run_as:
            shutil.chown(self.base, self.run_as, self.run_as)
            shutil.chown(pwfile, self.run_as, self.run_as)
        self._run(
            self.bin_dir / "initdb", "-D", self.data, "-U", self.superuser, f"--pwfile={pwfile}",
            "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync",
        )
        pwfile.unlink()
        self._initialised = True

    def start(self) -> None:
        if not self._initialised:
            self.init()
        options = [f"-p {self.port}", f"-h {self.host}", f"-k {self.base}"]
        options += [f"-c {key}={value}" for key, value in self.settings.items()]
        self._run(self.bin_dir / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60",
                  "-o", " ".join(options), "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; mode 'immediate' is a crash (no shutdown checkpoint)."""
        self._run(self.bin_dir / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop")

    def is_running(self) -> bool:
        if not self._initialised:
            return False
        status = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "status"]
        return subprocess.run(status, user=self.run_as, cwd=self.base, capture_output=True, timeout=30).returncode == 0

    def admin_connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return Database(self.host, self.port, dbname, self.superuser, self.password).connect(autocommit=True)

    def create_database(self, name: str) -> Database:
        """A new database owned by a new non-superuser role of the same name."""
        password = secrets.token_hex(12)
        with self.admin_connect() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), sql.Literal(password)))
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(name)))
        return Database(self.host, self.port, name, name, password)

    @contextmanager
    def fresh_database(self, name: str) -> Iterator[Database]:
        """A new database for the block, dropped afterwards. Starts the server first if
        it is stopped, so a failed outage test does not break the tests after it."""
        if not self.is_running():
            self.start()
        database = self.create_database(name)
        try:
            yield database
        finally:
            self.drop_database(database)

    def drop_database(self, database: Database) -> None:
        with self.admin_connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database.name)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(database.user)))

    def destroy(self) -> None:
        if self.is_running():
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)
