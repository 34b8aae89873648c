"""A real PostgreSQL 15 for the tests: a throw-away cluster on a Unix socket (docs/server.md).

``postgres`` (session scope) runs ``initdb`` in a fresh folder under /tmp (as the ``postgres``
user when the tests run as root: PostgreSQL refuses to run as root), starts it with ``pg_ctl`` on
a socket in that folder and a free port number, creates a database and yields a
``PostgresCluster`` whose ``url`` names it; ``fresh_database()`` gives each test a database of its
own. Teardown stops the server and removes the folder. Durability is off (fsync, synchronous
commit): these databases live for one run.

Without the binaries (Debian package ``postgresql-15``) the PostgreSQL half of the suite is
skipped with that reason; everything else still runs.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.system import unavailable

PG_BIN: Final = Path(os.environ.get("ISOLOIR_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER: Final = "postgres"
_SETTINGS: Final = (
    "listen_addresses=''",
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
)


@dataclass
class PostgresCluster:
    folder: Path  # holds data/, the log and the socket
    port: int
    user: str
    url: str = ""
    _databases: list[str] = field(default_factory=list)

    def database_url(self, name: str) -> str:
        return f"postgresql://{self.user}@/{name}?host={self.folder}&port={self.port}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.database_url("postgres"), autocommit=True)

    def fresh_database(self) -> str:
        """A new, empty database; its URL."""
        name = f"isoloir_{uuid.uuid4().hex[:12]}"
        with self.admin() as connection:
            connection.execute(f'CREATE DATABASE "{name}"'.encode())
        self._databases.append(name)
        return self.database_url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by ``fresh_database``, closing whatever is connected to it."""
        name = urlsplit(url).path.lstrip("/")
        assert name in self._databases, name
        with self.admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def _as_postgres() -> dict[str, object]:
    """subprocess options: run as the postgres user when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return {}
    return {"user": PG_USER, "group": pwd.getpwnam(PG_USER).pw_gid}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run(command: list[object], **options: object) -> None:
    """Run a PostgreSQL tool; a failure shows what it printed."""
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, check=False, timeout=120,
        **options,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")


def start_cluster(settings: Sequence[str] = _SETTINGS) -> PostgresCluster:
    """A PostgreSQL 15 cluster on a Unix socket in a new temporary folder; ``settings`` are its
    ``-c`` options (the tests' trade durability for speed; bench/server.py keeps it)."""
    folder = Path(tempfile.mkdtemp(prefix="isoloir-pg-"))
    runas = _as_postgres()
    user = PG_USER if runas else pwd.getpwuid(os.geteuid()).pw_name
    if runas:
        shutil.chown(folder, user=PG_USER, group=pwd.getpwnam(PG_USER).pw_gid)
    port = _free_port()
    data = folder / "data"
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    _run(
        [PG_BIN / "initdb", "-D", data, "-U", user, "--auth=trust", "--encoding=UTF8",
         "--locale=C", "--no-sync"],
        env=env, **runas,
    )  # fmt: skip
    options = " ".join(
        [f"-c {setting}" for setting in settings]
        + [f"-c unix_socket_directories='{folder}'", f"-c port={port}"]
    )
    _run(
        [PG_BIN / "pg_ctl", "-D", data, "-l", folder / "server.log", "-o", options, "-w",
         "-t", "60", "start"],
        env=env, **runas,
    )  # fmt: skip
    return PostgresCluster(folder=folder, port=port, user=user)


def stop_cluster(cluster: PostgresCluster) -> None:
    try:
        subprocess.run(
            [PG_BIN / "pg_ctl", "-D", cluster.folder / "data", "-m", "immediate", "-w", "stop"],
            check=False, capture_output=True, timeout=60, **_as_postgres(),
        )  # fmt: skip
    finally:
        shutil.rmtree(cluster.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    if not (PG_BIN / "initdb").is_file() or not (PG_BIN / "pg_ctl").is_file():
        unavailable(
            f"PostgreSQL 15 is not installed ({PG_BIN}/initdb missing): "
            "apt-get install postgresql-15 runs these tests"
        )
    cluster = start_cluster()
    try:
        cluster.url = cluster.fresh_database()
        yield cluster
    finally:
        stop_cluster(cluster)
