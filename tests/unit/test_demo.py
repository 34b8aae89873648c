"""The demo election generator: a loadable, realistic, reproducible package and its secrets."""

from __future__ import annotations

import base64
import csv
import io
import re
import stat
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from kiosk.election import package, signing
from kiosk.election.demo import (
    CODE_ALPHABET,
    CREDENTIALS_FILE,
    DemoElection,
    build_demo,
    write_demo,
)
from kiosk.election.kdf import KdfProfile, SecretKind, verify_secret
from kiosk.election.model import (
    BLANK_OPTION,
    ElectionPackage,
    KioskId,
    ScrutinId,
    SeatMethod,
    VoterId,
)
from kiosk.election.source import ROLL_COLUMNS, read_roll_csv

KDF = KdfProfile.TEST.value
VOTERS = 40
# Paris moves to summer time on this day: the window opens at +01:00 and closes at +02:00.
NOW = datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
REAL_UNIONS = {"FSU", "SNES", "SGEN", "UNSA", "FO", "CGT", "SNALC", "SUD", "CFDT"}
CERTIFIES, AGREGES, CSA = (
    ScrutinId("capn-certifies"),
    ScrutinId("capn-agreges"),
    ScrutinId("csa-ministeriel"),
)


@dataclass(frozen=True)
class Written:
    demo: DemoElection
    folder: Path
    zipped: Path
    secrets: Path


@pytest.fixture(scope="module")
def demo() -> DemoElection:
    return build_demo(now=NOW, voters=VOTERS, kdf=KDF)


@pytest.fixture(scope="module")
def written(demo: DemoElection, tmp_path_factory: pytest.TempPathFactory) -> Written:
    root = tmp_path_factory.mktemp("demo")
    write_demo(demo, root / "package", root / "secrets")
    write_demo(demo, root / "package.zip", root / "secrets-zip")
    return Written(demo, root / "package", root / "package.zip", root / "secrets")


@pytest.fixture(scope="module")
def loaded(written: Written) -> ElectionPackage:
    return package.load(written.folder)


def _pdf_streams(pdf: bytes) -> list[bytes]:
    """Every stream of a reportlab PDF, decoded (ASCII85 then Flate)."""
    return [
        zlib.decompress(base64.a85decode(raw.strip(), adobe=True))
        for raw in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S)
    ]


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page(?![s\w])", pdf))


def _pdf_literal(text: str) -> bytes:
    """``text`` as reportlab writes it in a content stream (WinAnsi, octal escapes)."""
    return b"".join(bytes([b]) if b < 128 else b"\\%03o" % b for b in text.encode("cp1252"))


def test_written_package_loads_as_folder_and_as_zip(written: Written) -> None:
    organizer = signing.public_bytes(written.demo.organizer_key)
    for source in (written.folder, written.zipped):
        loaded = package.load(source, expected_organizer_key=organizer)
        assert loaded.fingerprint == written.demo.package.fingerprint
        assert len(loaded.roll) == loaded.manifest.voter_count == VOTERS


def test_scrutins_have_14_6_and_9_lists_then_the_blank_vote(loaded: ElectionPackage) -> None:
    manifest = loaded.manifest
    assert [(s.id, len(s.lists)) for s in manifest.scrutins] == [
        (CERTIFIES, 14),
        (AGREGES, 6),
        (CSA, 9),
    ]
    for scrutin in manifest.scrutins:
        assert scrutin.options[-1] == BLANK_OPTION
        assert len(scrutin.options) == len(scrutin.lists) + 1
        assert scrutin.blank_label == "Vote blanc"
        assert 10 <= scrutin.seats <= 20
        assert len({lst.name for lst in scrutin.lists}) == len(scrutin.lists)
        for lst in scrutin.lists:
            assert all(path.startswith(f"assets/{scrutin.id}/") for path in lst.asset_paths)
    assert manifest.seat_method is SeatMethod.HIGHEST_AVERAGE  # the texts' plus forte moyenne


def test_window_opens_yesterday_at_8_and_closes_8_days_later_at_17_paris_time(
    loaded: ElectionPackage,
) -> None:
    manifest = loaded.manifest
    assert manifest.time_zone == "Europe/Paris"
    assert manifest.window.opens_at.isoformat() == "2026-03-28T08:00:00+01:00"
    assert manifest.window.closes_at.isoformat() == "2026-04-05T17:00:00+02:00"
    assert manifest.window.contains(NOW)


def test_every_list_has_a_png_logo_a_profession_de_foi_and_a_ballot(
    loaded: ElectionPackage,
) -> None:
    for scrutin in loaded.manifest.scrutins:
        for lst in scrutin.lists:
            with Image.open(io.BytesIO(loaded.assets[lst.logo])) as logo:
                assert logo.format == "PNG"
                assert logo.size == (256, 256)
            profession = loaded.assets[lst.profession_de_foi]
            ballot = loaded.assets[lst.ballot]
            assert profession.startswith(b"%PDF")
            assert ballot.startswith(b"%PDF")
            assert 2 <= _pdf_pages(profession) <= 4
            assert _pdf_pages(ballot) == 1


def test_ballot_lists_as_many_titulaires_and_suppleants_as_seats(loaded: ElectionPackage) -> None:
    scrutin = loaded.manifest.scrutin(CSA)
    for lst in scrutin.lists:
        text = b"".join(_pdf_streams(loaded.assets[lst.ballot]))
        acronym = lst.name.split(" – ")[0]
        assert _pdf_literal(acronym) in text
        assert b"(Titulaires)" in text
        assert _pdf_literal("(Suppléants)") in text
        numbers = [int(n) for n in re.findall(rb"\((\d+)\.\) Tj", text)]
        assert sorted(numbers) == sorted([*range(1, scrutin.seats + 1)] * 2)


def test_professions_de_foi_differ_between_unions(loaded: ElectionPackage) -> None:
    texts = [
        b"".join(_pdf_streams(loaded.assets[lst.profession_de_foi]))
        for scrutin in loaded.manifest.scrutins
        for lst in scrutin.lists
    ]
    assert len(set(texts)) == len(texts)


def test_same_seed_same_content_but_fresh_keys_and_secrets(demo: DemoElection) -> None:
    again = build_demo(now=NOW, voters=VOTERS, kdf=KDF)
    first, second = demo.package.manifest, again.package.manifest
    assert [[lst.name for lst in s.lists] for s in first.scrutins] == [
        [lst.name for lst in s.lists] for s in second.scrutins
    ]
    assert {p: h for p, h in first.assets.items() if p.startswith("assets/")} == {
        p: h for p, h in second.assets.items() if p.startswith("assets/")
    }
    people = [(c.identifier, c.display_name, c.vote_code is None) for c in demo.credentials]
    assert people == [
        (c.identifier, c.display_name, c.vote_code is None) for c in again.credentials
    ]
    assert first.organizer.public_key != second.organizer.public_key
    assert [c.password for c in demo.credentials] != [c.password for c in again.credentials]


def test_credentials_csv_verifies_against_the_roll(
    written: Written, loaded: ElectionPackage
) -> None:
    path = written.secrets / CREDENTIALS_FILE
    with path.open(encoding="utf-8", newline="") as source:
        rows = list(csv.reader(source))
    assert tuple(rows[0]) == ROLL_COLUMNS
    records = [dict(zip(ROLL_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [r["voter_id"] for r in records] == [v.id for v in loaded.roll]
    kdf = loaded.manifest.kdf
    checked = [r for r in records if r["vote_code_state"] == "invalidated"][:2] + records[:4]
    roll = {v.id: v for v in loaded.roll}
    for record in checked:
        voter = roll[VoterId(record["voter_id"])]
        assert record["identifier"] == voter.identifier
        assert record["scrutins"].split(" ") == list(voter.scrutins)
        assert verify_secret(SecretKind.PASSWORD, record["password"], voter.password, kdf)
        assert verify_secret(
            SecretKind.SECRET_ANSWER, record["secret_answer"], voter.secret_answer, kdf
        )
        assert verify_secret(SecretKind.NUMEN, record["numen"], voter.numen, kdf)
        if record["vote_code_state"] == "active":
            assert voter.vote_code is not None
            assert verify_secret(SecretKind.VOTE_CODE, record["vote_code"], voter.vote_code, kdf)
        else:
            assert record["vote_code"] == ""
            assert voter.vote_code is None


def test_about_a_tenth_start_invalidated_never_voter_1_always_voter_2(demo: DemoElection) -> None:
    credentials = {c.voter_id: c for c in demo.credentials}
    roll = {v.id: v for v in demo.package.roll}
    invalidated = sorted(i for i, c in credentials.items() if c.vote_code is None)
    assert invalidated == sorted(i for i, v in roll.items() if v.vote_code is None)
    assert len(invalidated) == VOTERS // 10
    assert credentials[VoterId("electeur-0001")].vote_code is not None
    assert credentials[VoterId("electeur-0002")].vote_code is None


def test_voters_look_like_ministry_staff(demo: DemoElection) -> None:
    credentials = demo.credentials
    assert [c.voter_id for c in credentials] == [f"electeur-{i:04d}" for i in range(1, VOTERS + 1)]
    assert len({c.identifier for c in credentials}) == VOTERS
    for c in credentials:
        assert re.fullmatch(r"[a-z-]+\.[a-z-]+[0-9]*@ac-demo\.fr", c.identifier)
        assert c.personal_email.endswith("@courriel-demo.fr")
        assert re.fullmatch(r"\+336[0-9]{8}", c.phone)
        assert re.fullmatch(r"[0-9]{2}[A-Z][0-9]{7}[A-Z]{3}", c.numen)
        assert c.vote_code is None or (
            len(c.vote_code) == 8 and set(c.vote_code) <= set(CODE_ALPHABET)
        )
        assert c.secret_question.endswith(" ?")
        assert c.scrutins in ((CERTIFIES, CSA), (AGREGES, CSA))
    assert {c.scrutins[0] for c in credentials} == {CERTIFIES, AGREGES}


def test_two_kiosks_whose_keys_match_the_manifest(
    written: Written, loaded: ElectionPackage
) -> None:
    kiosks = {k.id: k for k in loaded.manifest.kiosks}
    assert sorted(kiosks) == ["kiosk-01", "kiosk-02"]
    assert "Ambassade" in (kiosks[KioskId("kiosk-02")].station or "")
    for kiosk_id, kiosk in kiosks.items():
        key = signing.load_private_key(written.secrets / "kiosks" / f"{kiosk_id}.key")
        assert signing.public_bytes(key) == kiosk.public_key
    organizer = signing.load_private_key(written.secrets / "organizer.key")
    assert signing.public_bytes(organizer) == loaded.manifest.organizer.public_key


def test_secret_files_are_private_and_the_readme_warns(written: Written) -> None:
    for name in ("organizer.key", "kiosks/kiosk-01.key", "kiosks/kiosk-02.key", CREDENTIALS_FILE):
        assert stat.S_IMODE((written.secrets / name).stat().st_mode) == 0o600
    readme = (written.secrets / "README.txt").read_text(encoding="utf-8")
    assert "jamais" in readme
    assert "never" in readme.lower()
    assert written.demo.package.fingerprint in readme


def test_no_plaintext_secret_reaches_the_package(written: Written) -> None:
    files = {p: p.read_bytes() for p in written.folder.rglob("*") if p.is_file()}
    everything = b"\x00".join(files.values())
    texts = b"\x00".join(
        data if p.suffix == ".json" else b"\x00".join(_pdf_streams(data))
        for p, data in files.items()
        if p.suffix in (".json", ".pdf")
    )
    for c in written.demo.credentials:
        for secret in (c.password, c.vote_code, c.numen):
            if secret is not None:
                assert secret.encode() not in everything, c.voter_id
        # Answers are short words: looked for in text, where a chance match cannot happen.
        assert c.secret_answer.encode() not in texts, c.voter_id
        assert _pdf_literal(c.secret_answer) not in texts, c.voter_id


def test_unions_are_fictional(loaded: ElectionPackage) -> None:
    for scrutin in loaded.manifest.scrutins:
        for lst in scrutin.lists:
            for text in (lst.name, lst.affiliation, lst.id):
                words = set(re.split(r"[^\w]+", text.upper()))
                assert not words & REAL_UNIONS, text


def test_write_demo_refuses_a_secrets_folder_in_use(demo: DemoElection, tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "old.txt").write_text("x")
    with pytest.raises(FileExistsError):
        write_demo(demo, tmp_path / "package", tmp_path / "secrets")
    assert not (tmp_path / "package").exists()


def test_repr_shows_no_secret(demo: DemoElection) -> None:
    first = demo.credentials[0]
    for shown in (repr(first), repr(demo)):
        assert first.password not in shown
        assert first.numen not in shown
    assert len(repr(demo)) < 200


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        build_demo(now=NOW.replace(tzinfo=None), voters=VOTERS, kdf=KDF)
    with pytest.raises(ValueError, match="voter"):
        build_demo(now=NOW, voters=0, kdf=KDF)


def test_the_credentials_csv_is_a_roll_election_new_reads(tmp_path: Path) -> None:
    demo = build_demo(now=NOW, voters=12, kdf=KdfProfile.TEST.value)
    write_demo(demo, tmp_path / "package", tmp_path / "secrets")
    scrutins = {s.id for s in demo.package.manifest.scrutins}
    voters = read_roll_csv(tmp_path / "secrets" / CREDENTIALS_FILE, scrutins, KdfProfile.TEST.value)
    assert [v.id for v in voters] == [v.id for v in demo.package.roll]
    assert [v.vote_code is None for v in voters] == [v.vote_code is None for v in demo.package.roll]


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    demo = build_demo(now=NOW, voters=5, kdf=KdfProfile.TEST.value)
    blocker = tmp_path / "package"
    blocker.mkdir()  # the package destination exists: refused before anything is written
    with pytest.raises(FileExistsError):
        write_demo(demo, blocker, tmp_path / "secrets")
    assert not (tmp_path / "secrets").exists()
