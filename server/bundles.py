"""Removable media: an offline kiosk's bundle into the ballot box (``isoloir server
import-bundle``; docs/server.md, "Removable media").

The bundle file is read (a regular file, at most ``MAX_BUNDLE_BYTES``), parsed strictly and
checked against the signed package (this election and package, a kiosk the package lists, the
items' hash root, that kiosk's signature) before the database is even opened: a bundle refused
whole stores nothing. The kiosk need not be enrolled: its key is the package's. Then the kiosk
gets a row if it has none (known from a bundle only, never enrolled by it), and the envelopes go
through ``EnvelopeIntake.upload``, the checks and the transaction of ``POST /v1/envelopes``, in
batches of ``MAX_BATCH``, with the bundle's window rule: the kiosk's signed statement that each
ballot was cast inside the voting window stands in for the server's clock, since a bundle
arrives after the polls close. Importing a bundle again answers ``duplicate`` for every envelope
stored already and changes nothing.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kiosk.bundle.codec import (
    MAX_BUNDLE_BYTES,
    Bundle,
    BundleFormatError,
    CastWindow,
    check_bundle,
    parse_bundle,
)
from kiosk.clock import Clock, isoformat_utc
from kiosk.election import package as package_io
from kiosk.election.model import ElectionPackage, KioskId
from kiosk.files import TooLargeError, read_at_most
from server.envelopes import MAX_BATCH, EnvelopeAnswer, EnvelopeIntake, Status, UploadItem
from server.log import ServerEvent, log_event
from server.storage import kiosks, migrations
from server.storage.board import Outcome
from server.storage.database import Database
from server.storage.election import bind

logger = logging.getLogger(__name__)

MALFORMED = "malformed"
UNREADABLE = "unreadable"
TOO_LARGE = "too_large"
KIOSK_REVOKED = "kiosk_revoked"


class BundleRefused(Exception):
    """The whole bundle is refused, and nothing of it was stored."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class BundleImported:
    """What became of each envelope of an imported bundle."""

    kiosk_id: KioskId
    count: int
    accepted: int  # in the ballot box now
    duplicates: int  # answered before (an earlier import, or an online upload)
    duplicates_in_box: int  # of those, the ones in the ballot box
    rejected: Mapping[str, int]  # refused now, by reason


def read_bundle_file(path: Path) -> bytes:
    """The bytes of the regular file at ``path``, never more than ``MAX_BUNDLE_BYTES``."""
    try:
        # Non-blocking, so that a FIFO given as the bundle cannot hang the import.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise BundleRefused(UNREADABLE, f"{path}: cannot open ({exc.strerror})") from None
    too_large = BundleRefused(TOO_LARGE, f"{path}: larger than {MAX_BUNDLE_BYTES} bytes")
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        raise BundleRefused(UNREADABLE, f"{path}: not a regular file")
    with os.fdopen(fd, "rb") as source:
        if status.st_size > MAX_BUNDLE_BYTES:
            raise too_large
        try:
            return read_at_most(source, MAX_BUNDLE_BYTES)
        except TooLargeError:
            raise too_large from None
        except OSError as exc:
            raise BundleRefused(UNREADABLE, f"{path}: cannot read ({exc.strerror})") from None


def verified_bundle(data: bytes, package: ElectionPackage, where: str) -> Bundle:
    """The bundle in ``data`` once parsed and checked against ``package``; else
    ``BundleRefused`` with the first failure."""
    try:
        bundle = parse_bundle(data, where)
    except BundleFormatError as exc:
        raise BundleRefused(MALFORMED, str(exc)) from None
    refusal = check_bundle(bundle, package)
    if refusal is not None:
        raise BundleRefused(refusal.code.value, refusal.detail)
    return bundle


def import_bundle(
    database_url: str,
    package_path: Path,
    bundle_path: Path,
    *,
    clock: Clock,
    staging_parent: Path | None = None,
) -> BundleImported:
    """Check the bundle at ``bundle_path`` against the package at ``package_path``, then put its
    envelopes in the ballot box of the database at ``database_url`` (migrated and bound to the
    package as ``isoloir server run`` does). ``BundleRefused`` (nothing stored),
    ``PackageError`` or ``DatabaseError`` say why not."""
    package = package_io.load(package_path, staging_parent=staging_parent)
    log_event(logger, ServerEvent.BUNDLE_IMPORT, disposition="start")
    try:
        bundle = verified_bundle(read_bundle_file(bundle_path), package, bundle_path.name)
    except BundleRefused as exc:
        log_event(
            logger,
            ServerEvent.BUNDLE_IMPORT,
            logging.WARNING,
            disposition="refused",
            reason=exc.code,
        )
        raise
    with Database.open(database_url) as database:
        migrations.migrate(database, clock)
        migrations.check(database)
        bind(database, package, clock)
        key = next(k.public_key for k in package.manifest.kiosks if k.id == bundle.kiosk_id)
        with database.transaction(write=True) as tx:
            record = kiosks.ensure_known(tx, bundle.kiosk_id, key, isoformat_utc(clock.now()))
        if record.status is kiosks.KioskStatus.REVOKED:
            log_event(
                logger,
                ServerEvent.BUNDLE_IMPORT,
                logging.WARNING,
                disposition="refused",
                reason=KIOSK_REVOKED,
                kiosk_id=bundle.kiosk_id,
            )
            raise BundleRefused(KIOSK_REVOKED, f"kiosk {bundle.kiosk_id!r} has been revoked")
        intake = EnvelopeIntake(database, package, clock)
        items = [
            UploadItem(item.envelope, item.receipt_signature, item.cast is CastWindow.IN_WINDOW)
            for item in bundle.items
        ]
        answers: list[EnvelopeAnswer] = []
        for start in range(0, len(items), MAX_BATCH):
            answers += intake.upload(bundle.kiosk_id, items[start : start + MAX_BATCH])
    imported = _summary(bundle.kiosk_id, answers)
    log_event(
        logger,
        ServerEvent.BUNDLE_IMPORT,
        disposition="imported",
        kiosk_id=bundle.kiosk_id,
        count=imported.count,
        accepted=imported.accepted,
        duplicates=imported.duplicates,
        rejected=sum(imported.rejected.values()),
    )
    return imported


def _summary(kiosk_id: KioskId, answers: list[EnvelopeAnswer]) -> BundleImported:
    rejected: Counter[str] = Counter()
    duplicates = in_box = 0
    for answer in answers:
        if answer.status is Status.REJECTED:
            rejected[answer.reason.value if answer.reason is not None else "unknown"] += 1
        elif answer.status is Status.DUPLICATE:
            duplicates += 1
            in_box += json.loads(answer.answer)["outcome"] == Outcome.ACCEPTED.value
    accepted = sum(answer.status is Status.ACCEPTED for answer in answers)
    return BundleImported(kiosk_id, len(answers), accepted, duplicates, in_box, dict(rejected))
