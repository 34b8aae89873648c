"""The election package as typed, frozen values (docs/election-package.md).

These are parsed once at the edge (``kiosk.election.codec``) and trusted everywhere after.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, NewType

from kiosk.election.kdf import KdfParams, SecretHash

ID_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
"""The syntax of every id: election, scrutin, list, kiosk, voter, trustee and ceremony ids."""
ID_PATTERN_BYTES: Final = re.compile(ID_PATTERN.pattern.encode("ascii"))

ElectionId = NewType("ElectionId", str)
ScrutinId = NewType("ScrutinId", str)
ListId = NewType("ListId", str)
VoterId = NewType("VoterId", str)
KioskId = NewType("KioskId", str)
TrusteeId = NewType("TrusteeId", str)

SCHEMA: Final = "isoloir.election-package/1"
BLANK_OPTION: Final = ListId("blank")
"""The option id of the blank vote; no candidate list may use it."""


class SeatMethod(StrEnum):
    """How the seats left after the quotient stage are given out (docs/results.md).

    Part of the signed manifest, so the method is fixed before the polls open and cannot be
    chosen once the counts are known.
    """

    HIGHEST_AVERAGE = "highest_average"  # plus forte moyenne
    LARGEST_REMAINDER = "largest_remainder"  # plus forts restes


@dataclass(frozen=True)
class Organizer:
    name: str
    public_key: bytes  # Ed25519, 32 bytes


@dataclass(frozen=True)
class VotingWindow:
    opens_at: datetime
    closes_at: datetime

    def contains(self, instant: datetime) -> bool:
        return self.opens_at <= instant < self.closes_at


@dataclass(frozen=True)
class CandidateList:
    id: ListId
    name: str
    affiliation: str
    logo: str  # package-relative path of a PNG
    profession_de_foi: str  # package-relative path of a PDF
    ballot: str  # package-relative path of a PDF

    @property
    def asset_paths(self) -> tuple[str, str, str]:
        return (self.logo, self.profession_de_foi, self.ballot)


@dataclass(frozen=True)
class Scrutin:
    id: ScrutinId
    title: str
    seats: int
    lists: tuple[CandidateList, ...]
    blank_label: str

    @property
    def options(self) -> tuple[ListId, ...]:
        """Ballot options in ballot order: every list, then the blank vote."""
        return (*(lst.id for lst in self.lists), BLANK_OPTION)


@dataclass(frozen=True)
class KioskKey:
    id: KioskId
    public_key: bytes  # Ed25519, 32 bytes
    station: str | None


@dataclass(frozen=True)
class TrusteeCommitments:
    trustee_id: TrusteeId
    commitments: tuple[bytes, ...]  # Feldman commitments, ristretto255 points


@dataclass(frozen=True)
class ElectionKey:
    """Filled by the key ceremony (``isoloir election seal``); absent before it."""

    joint_public_key: bytes
    threshold: int
    trustees: tuple[TrusteeCommitments, ...]


@dataclass(frozen=True)
class CentralServer:
    """The central server the organizer signed for this election (docs/election-package.md,
    "Central server"): kiosks talk to this one only, and pin its certificate."""

    url: str  # https://, or http:// to a loopback address (demos and tests)
    tls_certificate_sha256: bytes | None  # SHA-256 of the certificate's DER; None for http://


@dataclass(frozen=True)
class Manifest:
    election_id: ElectionId
    title: str
    organizer: Organizer
    time_zone: str
    window: VotingWindow
    scrutins: tuple[Scrutin, ...]
    seat_method: SeatMethod  # the same for every scrutin
    roll_path: str
    voter_count: int
    kdf: KdfParams
    kiosks: tuple[KioskKey, ...]
    election_key: ElectionKey | None
    assets: Mapping[str, str]  # package-relative path -> SHA-256 hex, roll included
    server: CentralServer | None = None  # None: an offline election (removable media only)

    def scrutin(self, scrutin_id: ScrutinId) -> Scrutin:
        for scrutin in self.scrutins:
            if scrutin.id == scrutin_id:
                return scrutin
        raise KeyError(scrutin_id)


@dataclass(frozen=True)
class Voter:
    id: VoterId
    identifier: str  # the e-mail address typed at login
    display_name: str
    password: SecretHash
    vote_code: SecretHash | None  # None: invalidated, the voter must use the réassort
    secret_question: str
    secret_answer: SecretHash
    numen: SecretHash
    personal_email: str | None  # réassort delivery, never the identifier
    phone: str | None
    scrutins: tuple[ScrutinId, ...]
    station: str | None

    def __repr__(self) -> str:  # the roll is personal data: keep it out of tracebacks
        return f"Voter(id={self.id!r})"


@dataclass(frozen=True)
class ElectionPackage:
    """A package whose signature, asset hashes and structure have all been checked."""

    manifest: Manifest
    manifest_bytes: bytes  # canonical JSON, exactly as signed
    signature: bytes  # Ed25519 over manifest_bytes
    fingerprint: str
    roll: tuple[Voter, ...]
    assets: Mapping[str, bytes]  # every file named in manifest.assets, roll included

    def __repr__(self) -> str:  # keep megabytes of assets and the roll out of tracebacks
        return f"ElectionPackage({self.manifest.election_id!r}, fingerprint={self.fingerprint!r})"
