"""Small, fast election packages for tests (the full-size one is ``isoloir election demo``),
and the zip archives and folder snapshots the package-loading tests build them into."""

from __future__ import annotations

import io
import os
import stat
import warnings
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.election import package, signing
from kiosk.election.kdf import KdfProfile, SecretKind, hash_secret
from kiosk.election.model import (
    CandidateList,
    ElectionId,
    ElectionPackage,
    KioskId,
    KioskKey,
    ListId,
    Manifest,
    Organizer,
    Scrutin,
    ScrutinId,
    SeatMethod,
    Voter,
    VoterId,
    VotingWindow,
)

KDF = KdfProfile.TEST.value
OPENS = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
CLOSES = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)


def voter(
    index: int, scrutins: tuple[str, ...] = ("capn", "cap"), *, invalidated: bool = False
) -> Voter:
    """Voter ``index`` with secrets derived from it: password ``pw-<i>``, code ``CODE<i>`` ..."""
    return Voter(
        id=VoterId(f"v{index:04d}"),
        identifier=f"agent{index}@ac-exemple.fr",
        display_name=f"Agent {index}",
        password=hash_secret(SecretKind.PASSWORD, f"pw-{index}", KDF),
        vote_code=None if invalidated else hash_secret(SecretKind.VOTE_CODE, f"CODE{index}", KDF),
        secret_question="Quel est le dernier pays étranger que vous avez visité ?",
        secret_answer=hash_secret(SecretKind.SECRET_ANSWER, f"pays {index}", KDF),
        numen=hash_secret(SecretKind.NUMEN, f"{index:02d}E0000000AB", KDF),
        personal_email=f"perso{index}@courriel.example",
        phone="+33600000000",
        scrutins=tuple(ScrutinId(s) for s in scrutins),
        station=None,
    )


def small_package(
    organizer_key: Ed25519PrivateKey | None = None,
    *,
    voters: int = 3,
    kiosk_key: Ed25519PrivateKey | None = None,
) -> ElectionPackage:
    """Two scrutins (3 lists and 2 lists), ``voters`` voters, tiny stand-in assets."""
    organizer_key = organizer_key or signing.generate()
    kiosk_key = kiosk_key or signing.generate()
    assets: dict[str, bytes] = {}
    scrutins = []
    for sid, count in (("capn", 3), ("cap", 2)):
        lists = []
        for i in range(count):
            base = f"assets/{sid}/l{i}"
            for suffix, data in (
                ("logo.png", b"\x89PNG fake logo %d" % i),
                ("pdf.pdf", b"%%PDF-1.4 profession de foi %d" % i),
                ("ballot.pdf", b"%%PDF-1.4 bulletin %d" % i),
            ):
                assets[f"{base}-{suffix}"] = data + sid.encode()
            lists.append(
                CandidateList(
                    id=ListId(f"l{i}"),
                    name=f"Liste {i}",
                    affiliation=f"Union {i}",
                    logo=f"{base}-logo.png",
                    profession_de_foi=f"{base}-pdf.pdf",
                    ballot=f"{base}-ballot.pdf",
                )
            )
        scrutins.append(
            Scrutin(ScrutinId(sid), f"Scrutin {sid.upper()}", 5, tuple(lists), "Vote blanc")
        )
    manifest = Manifest(
        election_id=ElectionId("test-2026"),
        title="Élection de test",
        organizer=Organizer("Ministère (test)", signing.public_bytes(organizer_key)),
        time_zone="Europe/Paris",
        window=VotingWindow(OPENS, CLOSES),
        scrutins=tuple(scrutins),
        seat_method=SeatMethod.HIGHEST_AVERAGE,
        roll_path="roll.json",
        voter_count=0,
        kdf=KDF,
        kiosks=(KioskKey(KioskId("kiosk-01"), signing.public_bytes(kiosk_key), "Lycée test"),),
        election_key=None,
        assets={},
    )
    roll = tuple(voter(i, invalidated=(i == 2)) for i in range(voters))
    return package.build(manifest, roll, assets, organizer_key)


ZipEntry = tuple[str | zipfile.ZipInfo, bytes]


def make_zip(
    entries: list[ZipEntry], *, compression: int = zipfile.ZIP_DEFLATED, level: int | None = None
) -> bytes:
    """A zip archive of ``entries`` in order; a ``ZipInfo`` entry keeps its own compression."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": hostile on purpose
        with zipfile.ZipFile(buffer, "w", compression=compression, compresslevel=level) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return buffer.getvalue()


def snapshot(root: Path, skip: Path) -> dict[str, tuple[int, bytes]]:
    """Every path under ``root`` with its type and content, ``skip``'s content aside: a write
    shows here."""
    seen: dict[str, tuple[int, bytes]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == skip:
            dirnames.clear()
            continue
        for name in dirnames + filenames:
            full = Path(dirpath, name)
            st = full.lstat()
            content = full.read_bytes() if stat.S_ISREG(st.st_mode) and full != skip else b""
            seen[full.relative_to(root).as_posix()] = (stat.S_IFMT(st.st_mode), content)
    return seen
