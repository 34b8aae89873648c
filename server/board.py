"""The public bulletin board as the server serves it, and the key that signs its head.

The board's format is the record's (docs/protocol.md §15.2, ``kiosk.record.board``): the server
writes rows that ``to_line`` turns into ``board.jsonl`` byte for byte, so ``isoloir tally`` and
``isoloir verify record`` read what it serves or exports. The head is signed by the server's
Ed25519 key (``kiosk.record.signed_head``), kept in the database (generated at the first start)
or in a key file the operator gives (``--server-key``, created with ``--new-server-key``). The
database records the key's public half at the first start, and the key never changes after: a
server or an export with another key is refused.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk import durable
from kiosk.clock import Clock, isoformat_utc
from kiosk.crypto.context import ElectionContext, NotSealedError, election_context
from kiosk.crypto.tracking import TrackingCode
from kiosk.election import package as package_io
from kiosk.election import signing
from kiosk.election.model import ElectionPackage
from kiosk.record import board as board_io
from kiosk.record.board import BoardEntry, BoardError, BoardHead, genesis
from kiosk.record.layout import RecordLayout
from kiosk.record.signed_head import SIGNED_HEAD_FILE, SignedHead, sign_head
from server.log import ServerEvent, log_event
from server.storage import board as rows
from server.storage import server_key
from server.storage.database import Database, DatabaseError

PAGE: Final = 500  # entries read per query while streaming the board

logger = logging.getLogger(__name__)


class ServerKeyError(DatabaseError):
    """The server key cannot be read or created; the message names the file, never the key."""


class ExportError(ValueError):
    """An export that cannot be written; the message says why."""


def key_fingerprint(public_key: bytes) -> str:
    """Hex SHA-256 of a 32-byte public key: what ``GET /v1/server-key`` shows as ``sha256``."""
    return hashlib.sha256(public_key).hexdigest()


def load_server_key(
    database: Database, clock: Clock, key_file: Path | None, *, create_file: bool = False
) -> Ed25519PrivateKey:
    """The key that signs the board head, for a starting server: from ``key_file``, else from
    the database (generated there at the first start). The database records the key's public
    half at the first start, whichever its source, and any later start with another key is
    refused (``ServerKeyError`` naming both fingerprints). A missing ``key_file`` is created
    (readable by its owner only) with ``create_file`` only, and only while the database has
    recorded no other key."""
    if key_file is None:
        return _key_from_database(database, clock)
    with database.transaction() as tx:
        recorded = server_key.stored(tx)
    key = _key_from_file(key_file, create=create_file, recorded=recorded)
    public = signing.public_bytes(key)
    if recorded is None:
        with database.transaction(write=True) as tx:
            server_key.insert_if_absent(tx, None, public, isoformat_utc(clock.now()))
            recorded = server_key.stored(tx)
        if recorded is None:
            raise ServerKeyError("the server key was not recorded")
    _check_same(recorded, public, f"the key file {key_file}")
    return key


def existing_server_key(database: Database, key_file: Path | None) -> Ed25519PrivateKey:
    """The key the server signs with, for an export: read only, never generated nor recorded.
    ``key_file`` when the server uses one, else the database's; either must be the key the
    database recorded (``ServerKeyError`` otherwise)."""
    with database.transaction() as tx:
        recorded = server_key.stored(tx)
    if key_file is None:
        if recorded is None:
            raise ServerKeyError(
                f"{database.url} holds no server key yet: start the server once, or give the "
                "--server-key file it uses"
            )
        if recorded.private_key is None:
            raise ServerKeyError(
                "the server signs with a key file (public key SHA-256 "
                f"{key_fingerprint(recorded.public_key)}): give it with --server-key"
            )
        return _checked_database_key(recorded)
    key = _key_from_file(key_file, create=False, recorded=recorded)
    if recorded is not None:
        _check_same(recorded, signing.public_bytes(key), f"the key file {key_file}")
    return key


def _key_from_database(database: Database, clock: Clock) -> Ed25519PrivateKey:
    fresh = signing.generate()
    with database.transaction(write=True) as tx:
        if server_key.stored(tx) is None:
            server_key.insert_if_absent(
                tx,
                fresh.private_bytes_raw(),
                signing.public_bytes(fresh),
                isoformat_utc(clock.now()),
            )
        recorded = server_key.stored(tx)
    if recorded is None:
        raise ServerKeyError("the server key was not stored")
    if recorded.private_key is None:
        raise ServerKeyError(
            "this database's server signs with a key file (public key SHA-256 "
            f"{key_fingerprint(recorded.public_key)}): give it with --server-key"
        )
    key = _checked_database_key(recorded)
    if recorded.private_key == fresh.private_bytes_raw():
        log_event(logger, ServerEvent.SERVER_KEY, disposition="generated", where="database")
    return key


def _checked_database_key(recorded: server_key.StoredKey) -> Ed25519PrivateKey:
    assert recorded.private_key is not None
    key = Ed25519PrivateKey.from_private_bytes(recorded.private_key)
    if signing.public_bytes(key) != recorded.public_key:
        raise ServerKeyError("the stored server key does not match its public key")
    return key


def _check_same(recorded: server_key.StoredKey, public: bytes, what: str) -> None:
    if public != recorded.public_key:
        where = "a key file" if recorded.in_file else "the database"
        raise ServerKeyError(
            f"{what} holds server key {key_fingerprint(public)}, but this database's board head "
            f"is signed by server key {key_fingerprint(recorded.public_key)} (kept in {where}); "
            "give the server's own key (fingerprints: hex SHA-256 of the public key)"
        )


def _key_from_file(
    path: Path, *, create: bool, recorded: server_key.StoredKey | None
) -> Ed25519PrivateKey:
    try:
        if not path.exists():
            if not create:
                raise ServerKeyError(
                    f"server key: {path} does not exist; to create a new server key there, "
                    "give --new-server-key (a server's key never changes once it has signed)"
                )
            if recorded is not None:
                raise ServerKeyError(
                    f"server key: {path} does not exist, and this database's board head is "
                    f"signed by server key {key_fingerprint(recorded.public_key)}: copy that "
                    "key's file there instead of creating a new one"
                )
            key = signing.generate()
            signing.save_private_key(key, path)
            log_event(logger, ServerEvent.SERVER_KEY, disposition="generated", where="file")
            return key
        return signing.load_private_key(path)
    except signing.KeyFileError as exc:
        if path.exists():  # another process created it meanwhile
            try:
                return signing.load_private_key(path)
            except signing.KeyFileError as again:
                raise ServerKeyError(f"server key: {again}") from None
        raise ServerKeyError(f"server key: {exc}") from None
    except OSError as exc:
        raise ServerKeyError(f"server key: {path}: {exc.strerror}") from None


@dataclass(frozen=True)
class BoardSnapshot:
    """The board up to one head: entries 1..count, all linked from the genesis."""

    head: BoardHead
    entries: list[BoardEntry]


class PublicBoard:
    """Reads of the board: the head (signed), the entries, one entry by tracking code."""

    def __init__(
        self, database: Database, package: ElectionPackage, clock: Clock, key: Ed25519PrivateKey
    ) -> None:
        self._database = database
        self._package = package
        self._clock = clock
        self._key = key
        self.public_key = signing.public_bytes(key)
        try:
            self.context: ElectionContext | None = election_context(package)
        except NotSealedError:
            self.context = None
        self.genesis = None if self.context is None else genesis(self.context.base_hash)

    def head(self) -> BoardHead | None:
        """The current head; None while the package is not sealed (no genesis yet)."""
        if self.genesis is None:
            return None
        with self._database.transaction() as tx:
            stored = rows.read_head(tx)
        count, head = stored if stored is not None and stored[0] > 0 else (0, self.genesis)
        return BoardHead(self._package.manifest.election_id, count, head)

    def signed_head(self) -> SignedHead | None:
        head = self.head()
        if head is None:
            return None
        return sign_head(
            self._key,
            head,
            fingerprint=self._package.fingerprint,
            signed_at=isoformat_utc(self._clock.now()),
        )

    def lines(self, after: int, up_to: int) -> Iterator[bytes]:
        """``board.jsonl`` lines of seq ``after`` + 1 .. ``up_to``, read a page at a time. The
        board is append-only: what any read finds below a head never changes."""
        position = after
        while position < up_to:
            with self._database.transaction() as tx:
                page = rows.entries(tx, position, min(position + PAGE, up_to))
            if not page:
                return
            for entry in page:
                yield entry.to_line()
            position = page[-1].seq

    def lookup(self, code: TrackingCode) -> BoardEntry | None:
        with self._database.transaction() as tx:
            return rows.entry_by_code(tx, code)

    def snapshot(self) -> BoardSnapshot:
        """The whole board in one read transaction, its chain checked (``BoardError``)."""
        if self.genesis is None or self.context is None:
            raise ExportError("the election package is not sealed: there is no board yet")
        with self._database.transaction() as tx:
            stored = rows.read_head(tx)
            count = 0 if stored is None else stored[0]
            entries = rows.entries(tx, 0, count)
        head = BoardHead(
            self._package.manifest.election_id,
            count,
            entries[-1].hash if entries else self.genesis,
        )
        if stored is not None and count > 0 and stored[1] != head.head:
            raise BoardError("the stored head differs from the last entry's hash")
        board_io.check_chain(entries, self.context.base_hash, head)
        return BoardSnapshot(head, entries)

    def export_record(self, out: Path) -> tuple[BoardHead, SignedHead]:
        """Write ``out`` (a new folder) in the record layout (§15.1): ``package/``,
        ``board.jsonl``, ``board-head.json`` and the signed head beside it. ``tally aggregate``
        and the trustees take it from there."""
        if out.exists():
            raise ExportError(f"{out}: exists already; choose a new name")
        snapshot = self.snapshot()
        signed = sign_head(
            self._key,
            snapshot.head,
            fingerprint=self._package.fingerprint,
            signed_at=isoformat_utc(self._clock.now()),
        )
        layout = RecordLayout(out)
        out.mkdir(parents=True)
        package_io.write(self._package, layout.package)
        board_io.write_board(layout.board, snapshot.entries)
        board_io.write_head(layout.board_head, snapshot.head)
        durable.write_new_file(out / SIGNED_HEAD_FILE, signed.to_json())
        durable.fsync_tree(out)
        return snapshot.head, signed
