"""packaging/server/postgres-setup.sh on a real PostgreSQL 15: it makes the server's role and its
database (the role owns both the database and its public schema, no one else may connect), the
server migrates it as that role, and a second run changes nothing. The script runs psql as the
postgres user, as on a server: the test runs it as root, pointed at the test cluster through
libpq's PGHOST and PGPORT."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import psycopg
import pytest

from kiosk.cli import main as isoloir
from tests.server.postgres import PostgresCluster, postgres

__all__ = ["postgres"]

SETUP: Final = Path(__file__).resolve().parents[2] / "packaging" / "server" / "postgres-setup.sh"


@pytest.fixture
def names(postgres: PostgresCluster) -> Iterator[tuple[str, str]]:
    if os.geteuid() != 0:
        pytest.skip("postgres-setup.sh runs as root (it becomes the postgres user)")
    suffix = uuid.uuid4().hex[:8]
    role, database = f"isoloir-server-{suffix}", f"isoloir_{suffix}"
    yield role, database
    with postgres.admin() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'.encode())
        connection.execute(f'DROP ROLE IF EXISTS "{role}"'.encode())


def setup(cluster: PostgresCluster, role: str, database: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SETUP), role, database],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "PGHOST": str(cluster.folder), "PGPORT": str(cluster.port)},
    )


def test_the_role_owns_its_database_and_the_server_migrates_it(
    postgres: PostgresCluster, names: tuple[str, str]
) -> None:
    role, database = names
    made = setup(postgres, role, database)
    assert made.returncode == 0, made.stderr
    assert f"role {role} and database {database} are ready" in made.stdout
    again = setup(postgres, role, database)  # idempotent: nothing to do, nothing fails
    assert again.returncode == 0, again.stderr

    with postgres.admin() as connection:
        owner, public_connect = connection.execute(
            "SELECT pg_get_userbyid(datdba), has_database_privilege('public', datname, 'CONNECT')"
            " FROM pg_database WHERE datname = %s",
            (database,),
        ).fetchone() or (None, None)
        superuser = connection.execute(
            "SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = %s",
            (role,),
        ).fetchone()
    assert owner == role
    assert public_connect is False  # other roles may not even connect
    assert superuser == (False,)

    url = f"postgresql://{role}@/{database}?host={postgres.folder}&port={postgres.port}"
    assert isoloir(["server", "migrate", "--db", url]) == 0  # as the role itself
    with psycopg.connect(postgres.database_url(database)) as connection:
        owners = connection.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    assert owners == [(role,)]  # the server's tables are the role's


def test_the_script_refuses_to_run_as_anyone_but_root() -> None:
    if os.geteuid() == 0:
        result = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", str(SETUP)],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
    else:
        result = subprocess.run(
            [str(SETUP)], capture_output=True, text=True, check=False, timeout=60
        )
    assert result.returncode == 2
    assert "run as root" in result.stderr
