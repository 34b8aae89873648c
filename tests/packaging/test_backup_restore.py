"""Backup and restore of the server's PostgreSQL database with the shipped scripts
(packaging/server/isoloir-db-backup, isoloir-db-restore; docs/deployment.md, "Backup"), on a real
PostgreSQL 15: ballots on the board, a backup taken while the server runs, restored into a new
database whose board then verifies (chain, head, every signature and proof) and carries the same
head; a server on the restored database goes on where the first stopped."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import anyio.from_thread
import httpx
import psycopg
import pytest
from fastapi import FastAPI

from kiosk.clock import ManualClock
from kiosk.record.signed_head import parse_signed_head
from kiosk.sync.client import ServerClient, UploadStatus
from server.app import create_app, server_state
from server.settings import ServerSettings
from tests.server.ballots import (  # noqa: F401 - the *_fixture names are fixtures
    Cast,
    SealedElection,
    box_fixture,
    cast,
    client,
    db_fixture,
    kiosks_fixture,
    portal_fixture,
    sealed_fixture,
    voter_id,
)
from tests.server.conftest import BASE_URL, START
from tests.server.harness import PortalTransport
from tests.server.postgres import PostgresCluster, postgres
from tests.system import unavailable

__all__ = ["postgres"]

SCRIPTS: Final = Path(__file__).resolve().parents[2] / "packaging" / "server"
BACKUP: Final = SCRIPTS / "isoloir-db-backup"
RESTORE: Final = SCRIPTS / "isoloir-db-restore"
# The scripts run the isoloir command of this environment, as the bundle's would be run.
ISOLOIR: Final = Path(sys.executable).parent / "isoloir"
CHOICES: Final = (("cap", "l0"), ("cap", "l1"), ("capn", "blank"), ("capn", "l2"))


@pytest.fixture(autouse=True)
def _postgresql_tools() -> None:
    for tool in ("pg_dump", "pg_restore", "psql"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed: apt-get install postgresql-15 runs this test")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def database_url(postgres: PostgresCluster) -> Iterator[str]:
    url = postgres.fresh_database()
    yield url
    postgres.drop_database(url)


@pytest.fixture
def web(portal: PortalTransport) -> Iterator[httpx.Client]:
    with httpx.Client(transport=portal, base_url=BASE_URL) as anyone:
        yield anyone


def run(command: list[object], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "ISOLOIR": str(ISOLOIR), **env},
    )


def cast_all(sealed: SealedElection, kiosks: Callable[[str], ServerClient]) -> list[Cast]:
    casts = [
        cast(sealed, f"kiosk-0{i % 3 + 1}", voter_id(i), scrutin, choice)
        for i, (scrutin, choice) in enumerate(CHOICES)
    ]
    for one in casts:
        [answer] = kiosks(one.kiosk_id).upload([one.envelope])  # type: ignore[misc]
        assert answer.status is UploadStatus.ACCEPTED
    return casts


def served_head(web: httpx.Client) -> str:
    return parse_signed_head(web.get("/v1/board/head").content, "head").head.head.hex()


def test_a_restored_backup_holds_the_same_board_and_it_verifies(
    box: FastAPI,
    web: httpx.Client,
    kiosks: Callable[[str], ServerClient],
    sealed: SealedElection,
    postgres: PostgresCluster,
    database_url: str,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    casts = cast_all(sealed, kiosks)
    head = served_head(web)
    dump = tmp_path / "isoloir.dump"

    backup = run([BACKUP, "--db", database_url, dump])  # the server is still running
    assert backup.returncode == 0, backup.stderr
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600  # émargements and the server key inside
    assert not dump.with_name("isoloir.dump.partial").exists()
    again = run([BACKUP, "--db", database_url, dump])
    assert again.returncode == 1
    assert "never overwrites" in again.stderr
    folder = tmp_path / "backups"
    folder.mkdir()
    assert run([BACKUP, "--db", database_url, folder]).returncode == 0  # as the timer runs it
    [named] = folder.iterdir()
    assert named.name.startswith("isoloir-")
    assert named.suffix == ".dump"

    restored_url = postgres.fresh_database()
    restored = run([RESTORE, dump, restored_url, "--package", sealed.folder])
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert f"{len(CHOICES)} ballots on the board" in restored.stdout
    assert f"Board head: {head}" in restored.stdout
    assert "The restored board verifies." in restored.stdout

    # The restored database is not restored over.
    twice = run([RESTORE, dump, restored_url])
    assert twice.returncode == 1
    assert "restore only into an empty one" in twice.stderr

    # A server on the restored database serves the same head, knows every answer it gave, and
    # goes on appending to the same chain.
    moved = create_app(ServerSettings(database_url=restored_url, package=sealed.folder), clock)
    try:
        with (
            anyio.from_thread.start_blocking_portal() as blocking,
            httpx.Client(transport=PortalTransport(moved, blocking), base_url=BASE_URL) as anyone,
        ):
            transport = PortalTransport(moved, blocking)
            assert served_head(anyone) == head
            kiosk = client(sealed, "kiosk-01", clock, BASE_URL, transport)
            [again_answer] = kiosk.upload([casts[0].envelope])  # type: ignore[misc]
            assert again_answer.status is UploadStatus.DUPLICATE
            later = cast(sealed, "kiosk-01", voter_id(len(CHOICES)), "cap", "l1")
            [later_answer] = kiosk.upload([later.envelope])  # type: ignore[misc]
            assert later_answer.status is UploadStatus.ACCEPTED
            assert served_head(anyone) != head
            kiosk.close()
    finally:
        server_state(moved).database.close()


def test_a_restore_whose_board_was_tampered_with_fails_its_check(
    box: FastAPI,
    kiosks: Callable[[str], ServerClient],
    sealed: SealedElection,
    postgres: PostgresCluster,
    database_url: str,
    tmp_path: Path,
) -> None:
    cast_all(sealed, kiosks)
    with psycopg.connect(database_url, autocommit=True) as connection:
        # One bit of a ballot on the board, as a disk or an intruder might change it.
        connection.execute(
            "UPDATE board_entry SET ballot = set_byte(ballot, 40, get_byte(ballot, 40) # 1) "
            "WHERE seq = 2"
        )
    dump = tmp_path / "tampered.dump"
    assert run([BACKUP, "--db", database_url, dump]).returncode == 0
    restored = run([RESTORE, dump, postgres.fresh_database(), "--package", sealed.folder])
    assert restored.returncode != 0
    assert "seq 2: hash is not the hash of the entry" in restored.stderr
    assert "The restored board verifies." not in restored.stdout


def test_the_scripts_refuse_bad_arguments_before_touching_anything(tmp_path: Path) -> None:
    backup = run([BACKUP, "--db", f"sqlite:///{tmp_path / 'server.db'}", tmp_path / "x.dump"])
    assert backup.returncode == 2
    assert "not a PostgreSQL URL" in backup.stderr
    assert not (tmp_path / "x.dump").exists()
    restore = run([RESTORE, tmp_path / "missing.dump", "postgresql://nobody@/nothing"])
    assert restore.returncode == 2
    assert "no such file" in restore.stderr
    # A password would show in pg_dump's command line: refused, nothing written.
    secret = run([BACKUP, "--db", "postgresql://isoloir:hunter2@db/isoloir", tmp_path / "y.dump"])
    assert secret.returncode == 2
    assert "put it in ~/.pgpass" in secret.stderr
    assert "hunter2" not in secret.stderr
    assert not (tmp_path / "y.dump").exists()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://isoloir:hunter2@db/isoloir",
        "postgresql://isoloir@db/isoloir?password=hunter2",
        "postgresql://isoloir@db/isoloir?sslmode=verify-full&password=hunter2",
        "postgres://isoloir@db/isoloir?PASSWORD=hunter2",
    ],
    ids=["userinfo", "query", "second-parameter", "upper-case"],
)
@pytest.mark.parametrize("script", [BACKUP, RESTORE], ids=lambda script: script.name)
def test_a_password_in_the_url_is_refused_in_either_form(
    script: Path, url: str, tmp_path: Path
) -> None:
    # It would show on pg_dump's or psql's command line: refused before anything runs.
    dump = tmp_path / "x.dump"
    if script == RESTORE:
        dump.write_bytes(b"not read")
    refused = run([script, "--db", url, dump] if script == BACKUP else [script, dump, url])
    assert refused.returncode == 2
    assert "put it in ~/.pgpass" in refused.stderr
    assert "hunter2" not in refused.stderr
    assert [path.name for path in tmp_path.iterdir()] == (["x.dump"] if script == RESTORE else [])


def test_the_urls_server_env_suggests_pass_the_scripts_check(tmp_path: Path) -> None:
    server_env = (SCRIPTS / "server.env").read_text().splitlines()
    urls = [
        line.lstrip("# ").removeprefix("ISOLOIR_SERVER_DB=")
        for line in server_env
        if line.lstrip("# ").startswith("ISOLOIR_SERVER_DB=")
    ]
    assert len(urls) == 2  # this host's socket, another node's TLS
    existing = tmp_path / "existing.dump"
    existing.write_bytes(b"")
    for url in urls:
        # Past the URL's check, the backup stops at the file it never overwrites.
        checked = run([BACKUP, "--db", url, existing])
        assert (checked.returncode, checked.stderr.strip()) == (
            1,
            f"isoloir-db-backup: {existing} exists already; a backup never overwrites one",
        )


def test_a_backup_into_a_folder_keeps_the_newest_dumps_only(
    database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    older = [folder / f"isoloir-2026110{day}T120000Z.dump" for day in range(1, 6)]
    for dump in older:
        dump.write_bytes(b"an older dump")
    others = [folder / "notes.txt", folder / "isoloir-copy.dump", folder / "x.dump.partial"]
    for other in others:
        other.write_bytes(b"not a timed dump")

    kept = run([BACKUP, "--db", database_url, folder], ISOLOIR_BACKUP_KEEP="3")
    assert kept.returncode == 0, kept.stderr
    [new] = set(folder.iterdir()) - set(older) - set(others)
    # The two newest older dumps and the new one; nothing that is not a timed dump is touched.
    assert set(folder.iterdir()) == {*older[-2:], new, *others}
    assert kept.stdout.count("Old backup deleted") == 3

    # A backup into a named file prunes nothing; 0 keeps them all.
    folder = tmp_path / "all"
    folder.mkdir()
    older = [folder / dump.name for dump in older]
    for dump in older:
        dump.write_bytes(b"an older dump")
    named = folder / "before-the-upgrade.dump"
    assert run([BACKUP, "--db", database_url, named], ISOLOIR_BACKUP_KEEP="1").returncode == 0
    assert set(folder.iterdir()) == {*older, named}
    assert run([BACKUP, "--db", database_url, folder], ISOLOIR_BACKUP_KEEP="0").returncode == 0
    assert len(list(folder.iterdir())) == len(older) + 2


@pytest.mark.parametrize("keep", ["-1", "all", "3 "])
def test_a_retention_that_is_not_a_number_is_refused(keep: str, tmp_path: Path) -> None:
    refused = run(
        [BACKUP, "--db", "postgresql://nobody@/nothing", tmp_path], ISOLOIR_BACKUP_KEEP=keep
    )
    assert refused.returncode == 2
    assert "ISOLOIR_BACKUP_KEEP" in refused.stderr
    assert list(tmp_path.iterdir()) == []
