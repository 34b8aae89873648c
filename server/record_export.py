"""What the administrator takes out of the server's database, from the command line:
``isoloir server export-record`` (the board in the record layout) and ``isoloir server
conflicts`` (the conflict report). Both read the database directly: the conflict report names
voters and is never served over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.clock import Clock
from kiosk.election import package as package_io
from kiosk.record.board import BoardHead
from kiosk.record.signed_head import SignedHead
from server.board import ExportError, PublicBoard, existing_server_key
from server.storage import board as rows
from server.storage import migrations
from server.storage.database import Database


@dataclass(frozen=True)
class Exported:
    head: BoardHead
    signed: SignedHead


def export_record(
    database_url: str,
    package_path: Path,
    out: Path,
    *,
    clock: Clock,
    key_file: Path | None = None,
) -> Exported:
    """Write ``out`` in the record layout: the package the database is bound to, the whole board,
        its head and the head signed by the server key: the database's, or ``key_file``'s when the
    server uses a key file. Read only: no key is ever generated, and a key that is not the one the
    database recorded is refused (``ServerKeyError``).
        ``ExportError``, ``PackageError`` or ``DatabaseError`` say why not."""
    package = package_io.load(package_path)
    with Database.open(database_url) as database:
        migrations.check(database)
        with database.transaction() as tx:
            row = tx.query_one("SELECT election_id, fingerprint FROM election")
        if row is None:
            raise ExportError(f"{database.url} serves no election yet")
        bound = (str(row[0]), str(row[1]))
        if bound != (package.manifest.election_id, package.fingerprint):
            raise ExportError(
                f"{database.url} holds election {bound[0]} under package {bound[1]}, not this "
                f"package ({package.manifest.election_id}, {package.fingerprint})"
            )
        key = existing_server_key(database, key_file)
        head, signed = PublicBoard(database, package, clock, key).export_record(out)
    return Exported(head, signed)


def conflict_report(database_url: str) -> list[rows.Conflict]:
    """Every envelope refused because its voter had voted in that scrutin already."""
    with Database.open(database_url) as database:
        migrations.check(database)
        with database.transaction() as tx:
            return rows.conflicts(tx)
