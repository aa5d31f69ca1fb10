"""A throwaway PostgreSQL 15 cluster for the tests: initdb in a temporary folder, a unix socket there
and no TCP listener, so parallel test runs on one machine never meet; removed when the run ends.

PostgreSQL refuses to run as root, so under root the cluster belongs to the `postgres` system user
that the Debian packages create (`scripts/ensure_postgres.sh` installs them).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

PG_BIN = Path(os.environ.get("STORYLINE_PG_BIN", "/usr/lib/postgresql/15/bin"))
SETTINGS = {
    "listen_addresses": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    # The API tests' apps each hold a pool (up to 12 connections while they serve); 100 was reached
    # when a run made many of them before their connections were closed.
    "max_connections": "200",
}


class ClusterError(RuntimeError):
    pass


class Cluster:
    """One running server; `database()` hands out a fresh database and `drop()` removes it."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            raise ClusterError(f"PostgreSQL 15 binaries not found under {PG_BIN}: run `bash scripts/ensure_postgres.sh`")
        self.root = Path(tempfile.mkdtemp(prefix="storyline-pg-"))
        self.data = self.root / "data"
        self.owner = "postgres" if os.geteuid() == 0 else None
        if self.owner:
            entry = pwd.getpwnam(self.owner)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        options = " ".join(f"-c {key}={value}" for key, value in SETTINGS.items())
        options += f" -c unix_socket_directories={self.root}"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60", "-o", options, "start")

    def _run(self, program: str, *args: str) -> None:
        command = [str(PG_BIN / program), *args]
        if self.owner:
            command = ["runuser", "-u", self.owner, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise ClusterError(f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.root}"

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(host=str(self.root), user="postgres", dbname="postgres", autocommit=True)

    def database(self, template: str | None = None) -> str:
        """A new database's SQLAlchemy URL: empty, or a copy of the database at `template` (a URL this
        cluster made, with no open connections)."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(self._name(template)))
        with self._admin() as conn:
            conn.execute(statement)
        return self.url(name)

    @staticmethod
    def _name(url: str) -> str:
        return str(make_url(url).database)

    def drop(self, url: str) -> None:
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self._name(url))))

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
