"""Real sealed ballots for the server tests: a small election with three kiosks, sealed by the demo
trustees' key ceremony (whose state files stay, so a test can decrypt the tally), and envelopes
built by the kiosk's own code (``seal``, ``sign_envelope``, ``sign_receipt``), as a kiosk's outbox
holds them."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import anyio.from_thread
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from kiosk.clock import ManualClock
from kiosk.crypto.ballot import seal
from kiosk.crypto.context import ElectionContext, election_context
from kiosk.crypto.envelope import encode_envelope, sign_envelope
from kiosk.crypto.receipt import sign_receipt
from kiosk.crypto.tracking import TrackingCode, tracking_code
from kiosk.election import package, signing
from kiosk.election.model import (
    ElectionId,
    ElectionPackage,
    KioskId,
    KioskKey,
    ListId,
    ScrutinId,
    VoterId,
)
from kiosk.encoding import JsonValue, b64encode, canonical_json
from kiosk.sync.client import KioskIdentity, ServerClient
from kiosk.trustee.demo import DemoCeremony, seal_with_demo_ceremony
from server.app import create_app, server_state
from server.enrollment import issue_token
from server.settings import ServerSettings
from server.storage.database import Database
from tests.factories import small_package
from tests.server.conftest import BASE_URL
from tests.server.harness import KIOSK_IDS, Election, PortalTransport

VOTERS = 8
BALLOT_TABLES = (
    "emargement",
    "envelope_receipt",
    "emargement_conflict",
    "board_entry",
    "board_head",
)


@dataclass(frozen=True)
class SealedElection(Election):
    context: ElectionContext
    ceremony: DemoCeremony  # the trustees' state files, to decrypt the tally


@dataclass(frozen=True)
class Cast:
    """One envelope as a kiosk's outbox holds it, and what the voter's receipt carries."""

    envelope_id: bytes
    envelope: bytes
    receipt_signature: bytes
    tracking_code: TrackingCode
    kiosk_id: str

    def item(self) -> dict[str, JsonValue]:
        return {
            "envelope": b64encode(self.envelope),
            "receipt_signature": b64encode(self.receipt_signature),
        }


def make_sealed_election(root: Path, *, voters: int = VOTERS) -> SealedElection:
    """``voters`` voters (voter 2's vote code invalidated: still on the roll), scrutins ``capn``
    (3 lists) and ``cap`` (2 lists), kiosks kiosk-01..03; sealed, written to ``root/package``."""
    organizer = signing.generate()
    keys = {kiosk_id: signing.generate() for kiosk_id in KIOSK_IDS}
    base = small_package(organizer, voters=voters, kiosk_key=keys[KIOSK_IDS[0]])
    kiosks = tuple(
        KioskKey(KioskId(kiosk_id), signing.public_bytes(key), f"Bureau {n}")
        for n, (kiosk_id, key) in enumerate(keys.items(), start=1)
    )
    unsealed = package.resign(base, replace(base.manifest, kiosks=kiosks), organizer)
    trustees = root / "trustees"
    trustees.mkdir(parents=True)
    sealed, ceremony = seal_with_demo_ceremony(unsealed, organizer, trustees)
    folder = root / "package"
    package.write(sealed, folder)
    return SealedElection(
        folder,
        sealed,
        organizer,
        keys,
        signing.generate(),
        election_context(sealed),
        ceremony,
    )


def voter_id(index: int) -> VoterId:
    return VoterId(f"v{index:04d}")


def cast(
    election: SealedElection,
    kiosk_id: str,
    voter: VoterId,
    scrutin_id: str = "cap",
    choice: str | None = None,
    *,
    kiosk_key: Ed25519PrivateKey | None = None,
) -> Cast:
    """Seal a ballot for ``choice`` (the first list by default) and wrap it as the kiosk does."""
    sealed: ElectionPackage = election.package
    scrutin = sealed.manifest.scrutin(ScrutinId(scrutin_id))
    ballot = seal(election.context, scrutin, ListId(choice or scrutin.options[0])).cast()
    key = kiosk_key or election.kiosk_keys[kiosk_id]
    envelope = sign_envelope(
        key,
        election_id=sealed.manifest.election_id,
        scrutin_id=scrutin.id,
        voter_id=voter,
        ballot=ballot,
        kiosk_id=KioskId(kiosk_id),
    )
    code = tracking_code(ballot)
    receipt = sign_receipt(
        key,
        election_fingerprint=sealed.fingerprint,
        scrutin_id=scrutin.id,
        tracking_code=code,
        kiosk_id=KioskId(kiosk_id),
    )
    return Cast(envelope.envelope_id, encode_envelope(envelope), receipt.signature, code, kiosk_id)


def upload_body(*casts: Cast) -> bytes:
    return canonical_json({"envelopes": [c.item() for c in casts]})


def ballot_rows(database: Database) -> dict[str, int]:
    """Rows of every ballot-box table: equal before and after means nothing was stored."""
    counts: dict[str, int] = {}
    with database.transaction() as tx:
        for table in BALLOT_TABLES:
            row = tx.query_one(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed names
            counts[table] = int(row[0] or 0) if row else 0
        row = tx.query_one("SELECT entry_count FROM board_head WHERE singleton = 1")
        counts["board_count"] = int(row[0] or 0) if row else 0
    return counts


def flip_byte(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def answers_of(body: Mapping[str, JsonValue]) -> Iterator[tuple[str, JsonValue]]:
    for item in body["answers"]:
        yield item["status"], item["answer"]


# ---- fixtures (imported by the test modules that use them) ---------------------------------


@pytest.fixture(scope="session", name="sealed")
def sealed_fixture(tmp_path_factory: pytest.TempPathFactory) -> SealedElection:
    return make_sealed_election(tmp_path_factory.mktemp("sealed-election"))


@pytest.fixture(name="box")
def box_fixture(database_url: str, sealed: SealedElection, clock: ManualClock) -> Iterator[FastAPI]:
    application = create_app(
        ServerSettings(database_url=database_url, package=sealed.folder), clock
    )
    yield application
    server_state(application).database.close()


@pytest.fixture(name="db")
def db_fixture(box: FastAPI) -> Database:
    return server_state(box).database


@pytest.fixture(name="portal")
def portal_fixture(box: FastAPI) -> Iterator[PortalTransport]:
    with anyio.from_thread.start_blocking_portal() as blocking:
        yield PortalTransport(box, blocking)


def enroll_all(database: Database, sealed: SealedElection, clock: ManualClock, url: str,
               transport: httpx.BaseTransport | None = None) -> None:  # fmt: skip
    for kiosk_id in KIOSK_IDS:
        token = issue_token(database, kiosk_id, timedelta(hours=1), clock).token
        with client(sealed, kiosk_id, clock, url, transport) as enrolling:
            assert isinstance(enrolling.enroll(token), KioskIdentity)


def client(
    sealed: SealedElection,
    kiosk_id: str,
    clock: ManualClock,
    url: str = BASE_URL,
    transport: httpx.BaseTransport | None = None,
) -> ServerClient:
    return ServerClient(
        url,
        election_id=ElectionId(sealed.election_id),
        kiosk_id=KioskId(kiosk_id),
        key=sealed.kiosk_keys[kiosk_id],
        clock=clock,
        package_fingerprint=sealed.package.fingerprint,
        transport=transport,
    )


@pytest.fixture(name="kiosks")
def kiosks_fixture(
    db: Database, sealed: SealedElection, clock: ManualClock, portal: PortalTransport
) -> Iterator[Callable[[str], ServerClient]]:
    """``kiosks("kiosk-02")``: that kiosk's client, every kiosk enrolled."""
    enroll_all(db, sealed, clock, BASE_URL, portal)
    made: dict[str, ServerClient] = {}

    def get(kiosk_id: str) -> ServerClient:
        if kiosk_id not in made:
            made[kiosk_id] = client(sealed, kiosk_id, clock, transport=portal)
        return made[kiosk_id]

    yield get
    for made_client in made.values():
        made_client.close()
