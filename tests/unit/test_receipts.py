"""The printed receipts (kiosk/receipts, docs/receipts.md): snapshots of every layout, their QR
codes read back and verified, the émargement signature, and the QR reader.

Snapshots: page 1 of each PDF rendered by ``pdftoppm`` at ``SNAPSHOT_DPI`` in grey, compared
with tests/snapshots/receipt-*.png (same size, mean absolute difference under 1 %). After an
intended change of layout, regenerate them and look at them before committing:

    .venv/bin/python -m tests.unit.test_receipts --update
    ISOLOIR_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/unit/test_receipts.py   (the same)
"""

from __future__ import annotations

import base64
import functools
import io
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Final

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image, ImageChops, ImageStat

from kiosk.config import Language
from kiosk.crypto.ballot import challenge, seal
from kiosk.crypto.challenge_slip import ChallengeSlip, verify_challenge_slip
from kiosk.crypto.context import election_context
from kiosk.crypto.hashing import digest, tagged
from kiosk.crypto.receipt import (
    Receipt,
    decode_receipt,
    encode_receipt,
    sign_receipt,
    verify_receipt,
)
from kiosk.crypto.tracking import tracking_code_of_bytes
from kiosk.election.model import ElectionPackage, KioskId, ListId, ScrutinId
from kiosk.receipts import (
    ChallengedBallotSlip,
    DepositProof,
    EmargementCertificate,
    EmargementFormatError,
    Paper,
    QrReadError,
    SlipQrError,
    SyncState,
    challenge_slip_pdf,
    choice_name,
    decode_emargement,
    deposit_proof_pdf,
    emargement_pdf,
    encode_emargement,
    join_slip_payloads,
    qr_payloads,
    read_qr_payloads,
    sign_emargement,
    slip_qr_payloads,
    verify_emargement,
)
from kiosk.receipts.slip_qr import MAX_QR_BYTES
from kiosk.receipts.strings import printed_time
from kiosk.verifier.ballots import PrintedSlip, check_slip, parse_slip, slip_of
from tests.unit.test_challenge_slip import KIOSK, KIOSK_KEY, KIOSK_PUBLIC, sealed_package

pytestmark = pytest.mark.filterwarnings("error")

SNAPSHOTS: Final = Path(__file__).resolve().parent.parent / "snapshots"
SNAPSHOT_DPI: Final = 100
TOLERANCE: Final = 0.01  # mean absolute difference, as a share of full black-to-white
UPDATE: Final = os.environ.get("ISOLOIR_UPDATE_SNAPSHOTS") == "1"

# ---- fixed inputs: the same pixels on every run --------------------------------------------------

SAMPLE_KEY: Final = Ed25519PrivateKey.from_private_bytes(digest("test", "receipt sample")[:32])
SAMPLE_PUBLIC: Final = SAMPLE_KEY.public_key().public_bytes_raw()
FINGERPRINT: Final = "K7QM-3XJD-PL2R-WY5N"
ELECTION: Final = "Élections professionnelles 2026 (démonstration)"
SCRUTIN: Final = "CAPN des professeurs agrégés"
SCRUTIN_ID: Final = ScrutinId("capn-agreges")
SAMPLE_KIOSK: Final = KioskId("kiosk-01")
AT: Final = datetime(2026, 12, 2, 9, 14, 37, tzinfo=UTC)  # 10:14:37 in Paris
VOTER: Final = "Mme Anne-Sophie LEFÈVRE-DUBOIS"
CHOICE: Final = "ALIZÉ – Unis pour nos métiers"


def sample_ballot(options: int = 7) -> bytes:
    """Bytes of a ballot's exact size and header (docs/protocol.md §9); not a valid ballot, which
    a snapshot does not need, but a fixed one."""
    body = b"".join(digest("sample ballot", str(i)) for i in range(3 * options + 1))
    scrutin = SCRUTIN_ID.encode("ascii")
    return (
        b"ISB\x01"
        + bytes([len(scrutin)])
        + scrutin
        + options.to_bytes(2, "big")
        + body[: 192 * options + 64]
    )


def sample_receipt() -> Receipt:
    return sign_receipt(
        SAMPLE_KEY,
        election_fingerprint=FINGERPRINT,
        scrutin_id=SCRUTIN_ID,
        tracking_code=tracking_code_of_bytes(sample_ballot()),
        kiosk_id=SAMPLE_KIOSK,
    )


def sample_deposit(sync: SyncState = SyncState.DEPOSITED) -> DepositProof:
    return DepositProof(ELECTION, SCRUTIN, AT, sample_receipt(), sync)


def sample_emargement() -> EmargementCertificate:
    signed = sign_emargement(
        SAMPLE_KEY,
        election_fingerprint=FINGERPRINT,
        scrutin_id=SCRUTIN_ID,
        kiosk_id=SAMPLE_KIOSK,
        voted_at=AT,
        voter_name=VOTER,
    )
    return EmargementCertificate(ELECTION, SCRUTIN, signed)


def sample_slip() -> ChallengedBallotSlip:
    ballot = sample_ballot()
    unsigned = ChallengeSlip(
        FINGERPRINT,
        SCRUTIN_ID,
        tracking_code_of_bytes(ballot),
        SAMPLE_KIOSK,
        digest("sample nonce")[:32],
        ListId("l3"),
        b"",
    )
    signed = replace(unsigned, signature=SAMPLE_KEY.sign(unsigned.signed_bytes()))
    return ChallengedBallotSlip(ELECTION, SCRUTIN, CHOICE, AT, PrintedSlip(signed, ballot))


RENDERERS: Final[dict[str, Callable[[], bytes]]] = {
    "deposit-roll-fr": lambda: deposit_proof_pdf(sample_deposit(), paper=Paper.ROLL_80MM),
    "deposit-roll-en": lambda: deposit_proof_pdf(
        sample_deposit(SyncState.PENDING), paper=Paper.ROLL_80MM, language="en"
    ),
    "deposit-a4-fr": lambda: deposit_proof_pdf(sample_deposit(SyncState.PENDING), paper=Paper.A4),
    "deposit-a4-en": lambda: deposit_proof_pdf(sample_deposit(), paper=Paper.A4, language="en"),
    "emargement-roll-fr": lambda: emargement_pdf(sample_emargement(), paper=Paper.ROLL_80MM),
    "emargement-a4-fr": lambda: emargement_pdf(sample_emargement(), paper=Paper.A4),
    "challenge-roll-fr": lambda: challenge_slip_pdf(sample_slip(), paper=Paper.ROLL_80MM),
    "challenge-a4-fr": lambda: challenge_slip_pdf(sample_slip(), paper=Paper.A4),
}


@functools.cache
def rendered(name: str) -> bytes:
    """The sample PDF ``name``, rendered once for the whole run (QR codes are slow to compute)."""
    return RENDERERS[name]()


# ---- helpers ----------------------------------------------------------------------------------


def first_page_png(pdf: bytes, dpi: int = SNAPSHOT_DPI) -> Image.Image:
    """Page 1 of ``pdf`` as pdftoppm renders it, in grey."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", "1", "-l", "1", "-singlefile",
             str(source), str(Path(folder) / "page")],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        with Image.open(Path(folder) / "page.png") as image:
            return image.convert("L")


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as pdftotext reads it, every run of white space made one space and every
    apostrophe straight, as the package's texts are typed."""
    result = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    )
    return " ".join(result.stdout.decode("utf-8").replace("\u2019", "'").split())


def page_size(pdf: bytes) -> tuple[float, float]:
    """Width and height of page 1 in points, as pdfinfo reads them."""
    result = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    line = next(x for x in result.stdout.decode().splitlines() if x.startswith("Page size:"))
    width, _, height = line.split(":", 1)[1].split()[:3]
    return float(width), float(height)


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute pixel difference, 0 (same) to 1 (black for white everywhere)."""
    return float(ImageStat.Stat(ImageChops.difference(a, b)).mean[0]) / 255


def write_snapshots() -> list[Path]:
    SNAPSHOTS.mkdir(exist_ok=True)
    written = []
    for name in RENDERERS:
        path = SNAPSHOTS / f"receipt-{name}.png"
        first_page_png(rendered(name)).save(path, optimize=True)
        written.append(path)
    return written


def write_pdf(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---- snapshots and reproducibility -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_each_layout_matches_its_snapshot(name: str, tmp_path: Path) -> None:
    stored = SNAPSHOTS / f"receipt-{name}.png"
    page = first_page_png(rendered(name))
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        page.save(stored, optimize=True)
    assert stored.exists(), f"no snapshot {stored}: run python -m tests.unit.test_receipts --update"
    with Image.open(stored) as image:
        expected = image.convert("L")
    actual = tmp_path / stored.name
    page.save(actual)
    assert page.size == expected.size, f"size {page.size} != {expected.size}; see {actual}"
    difference = mean_difference(page, expected)
    assert difference < TOLERANCE, f"{difference:.2%} of the pixels differ; see {actual}"


def test_the_snapshot_comparison_would_see_a_changed_layout() -> None:
    base = first_page_png(rendered("deposit-roll-fr"))
    moved = first_page_png(deposit_proof_pdf(sample_deposit(SyncState.PENDING)))
    other = first_page_png(deposit_proof_pdf(sample_deposit(), language="en"))
    assert mean_difference(base, base) == 0
    assert base.size != moved.size or mean_difference(base, moved) >= TOLERANCE
    assert base.size != other.size or mean_difference(base, other) >= TOLERANCE


def test_the_same_input_gives_the_same_bytes() -> None:
    for name, render in RENDERERS.items():
        assert render() == rendered(name)
    assert deposit_proof_pdf(sample_deposit()) != deposit_proof_pdf(
        sample_deposit(SyncState.PENDING)
    )


def test_the_roll_is_80_mm_wide_and_as_long_as_its_content_and_a4_is_a4() -> None:
    deposit = page_size(rendered("deposit-roll-fr"))
    slip = page_size(rendered("challenge-roll-fr"))
    assert deposit[0] == slip[0] == pytest.approx(226.77, abs=0.01)  # 80 mm
    assert 400 < deposit[1] < slip[1]  # three QR codes make a longer ticket
    assert page_size(rendered("emargement-a4-fr")) == pytest.approx((595.28, 841.89), abs=0.01)


# ---- proof of deposit ----------------------------------------------------------------------------


@pytest.mark.parametrize("paper", list(Paper))
def test_the_deposit_qr_holds_exactly_the_signed_receipt_payload(
    paper: Paper, tmp_path: Path
) -> None:
    receipt = sample_receipt()
    path = write_pdf(tmp_path, "deposit.pdf", deposit_proof_pdf(sample_deposit(), paper=paper))
    (payload,) = read_qr_payloads(path)
    assert payload == (
        f"isoloir-receipt/1 {FINGERPRINT} {SCRUTIN_ID} {receipt.tracking_code} {SAMPLE_KIOSK} "
        + base64.urlsafe_b64encode(receipt.signature).rstrip(b"=").decode()
    ).encode("ascii")
    assert verify_receipt(decode_receipt(payload), SAMPLE_PUBLIC)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_deposit_proof_prints_its_facts_and_the_sync_state(language: Language) -> None:
    receipt = sample_receipt()
    done = pdf_text(deposit_proof_pdf(sample_deposit(), language=language))
    waiting = pdf_text(deposit_proof_pdf(sample_deposit(SyncState.PENDING), language=language))
    groups = receipt.tracking_code.split("-")
    for text in (done, waiting):
        assert " ".join(groups[:4]) in text
        assert " ".join(groups[4:]) in text
        assert SCRUTIN in text
        assert FINGERPRINT in text
        assert SAMPLE_KIOSK in text
        assert "10:14:37" in text  # 09:14:37 UTC, in Paris
    if language == "fr":
        assert "Preuve de dépôt" in done
        assert "Déposé dans l'urne" in done
        assert "En attente de transmission" in waiting
        assert "mercredi 2 décembre 2026" in done
    else:
        assert "Proof of deposit" in done
        assert "Deposited in the ballot box" in done
        assert "Awaiting transmission" in waiting
        assert "Wednesday 2 December 2026" in done


# ---- émargement ---------------------------------------------------------------------------------


@pytest.mark.parametrize("paper", list(Paper))
def test_the_emargement_qr_verifies_and_any_tampering_fails(paper: Paper, tmp_path: Path) -> None:
    certificate = sample_emargement()
    path = write_pdf(tmp_path, "emargement.pdf", emargement_pdf(certificate, paper=paper))
    (payload,) = read_qr_payloads(path)
    assert payload == encode_emargement(certificate.emargement)
    read = decode_emargement(payload)
    assert read == certificate.emargement
    assert read.voter_name == VOTER
    assert read.voted_at == AT
    assert verify_emargement(read, SAMPLE_PUBLIC)
    assert not verify_emargement(read, KIOSK_PUBLIC)  # another kiosk's key
    for tampered in (
        replace(read, voter_name="Mme Anne-Sophie LEFEVRE-DUBOIS"),
        replace(read, scrutin_id=ScrutinId("capn-certifies")),
        replace(read, kiosk_id=KioskId("kiosk-02")),
        replace(read, voted_at=AT + timedelta(seconds=1)),
        replace(read, election_fingerprint="K7QM-3XJD-PL2R-WY5M"),
        replace(read, signature=bytes([read.signature[0] ^ 1]) + read.signature[1:]),
    ):
        assert not verify_emargement(tampered, SAMPLE_PUBLIC)
        assert not verify_emargement(decode_emargement(encode_emargement(tampered)), SAMPLE_PUBLIC)
    text = pdf_text(path.read_bytes())
    assert "LEFÈVRE-DUBOIS" in text
    assert SCRUTIN in text
    assert sample_receipt().tracking_code.split("-")[0] not in text  # never the tracking code


def test_the_emargement_signature_is_domain_separated() -> None:
    emargement = sample_emargement().emargement
    assert emargement.signed_bytes().startswith(tagged("emargement"))
    fields = (FINGERPRINT, SCRUTIN_ID, SAMPLE_KIOSK, emargement.timestamp, VOTER)
    for other_tag in ("receipt", "envelope", "challenge-slip"):
        forged = replace(emargement, signature=SAMPLE_KEY.sign(tagged(other_tag, *fields)))
        assert not verify_emargement(forged, SAMPLE_PUBLIC)
    # and an émargement signature is no receipt signature over the same-looking fields
    receipt = sample_receipt()
    assert not verify_receipt(replace(receipt, signature=emargement.signature), SAMPLE_PUBLIC)


def test_the_emargement_payload_is_parsed_strictly() -> None:
    payload = encode_emargement(sample_emargement().emargement)
    assert payload.isascii()
    assert VOTER.encode() not in payload  # carried in base64url, the payload stays ASCII
    parts = payload.split(b" ")
    bad = [
        b"",
        payload + b" ",
        payload.replace(b"isoloir-emargement/1", b"isoloir-emargement/2"),
        b" ".join([*parts[:4], b"2026-12-02T09:14:37+00:00", *parts[5:]]),
        b" ".join([*parts[:4], b"2026-13-02T09:14:37Z", *parts[5:]]),
        b" ".join([*parts[:5], parts[5] + b"=", parts[6]]),
        b" ".join([*parts[:6], parts[6][:-1]]),
        b" ".join([*parts[:2], b"CAPN", *parts[3:]]),
        b" ".join([*parts[:5], b"", parts[6]]),
        "é".encode() + payload,
    ]
    for payload_bad in bad:
        with pytest.raises(EmargementFormatError):
            decode_emargement(payload_bad)


def test_signing_an_emargement_normalizes_the_name_and_the_time() -> None:
    paris = timezone(timedelta(hours=1))
    signed = sign_emargement(
        SAMPLE_KEY,
        election_fingerprint=FINGERPRINT,
        scrutin_id=SCRUTIN_ID,
        kiosk_id=SAMPLE_KIOSK,
        voted_at=datetime(2026, 12, 2, 10, 14, 37, 999_000, tzinfo=paris),
        voter_name="  Mme  Anne-Sophie\u00a0LEFE\u0300VRE-DUBOIS ",
    )
    assert signed.voter_name == VOTER
    assert signed.voted_at == AT
    assert signed.timestamp == "2026-12-02T09:14:37Z"
    assert "LEFÈVRE" not in repr(signed)
    with pytest.raises(ValueError, match="aware"):
        sign_emargement(
            SAMPLE_KEY,
            election_fingerprint=FINGERPRINT,
            scrutin_id=SCRUTIN_ID,
            kiosk_id=SAMPLE_KIOSK,
            voted_at=datetime(2026, 12, 2, 10, 0),
            voter_name=VOTER,
        )
    with pytest.raises(ValueError, match="name"):
        sign_emargement(
            SAMPLE_KEY,
            election_fingerprint=FINGERPRINT,
            scrutin_id=SCRUTIN_ID,
            kiosk_id=SAMPLE_KIOSK,
            voted_at=AT,
            voter_name="   ",
        )


# ---- challenge slip ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def election() -> ElectionPackage:
    return sealed_package()


@pytest.mark.parametrize("paper", list(Paper))
def test_a_printed_slip_reads_back_to_a_slip_that_verifies(
    election: ElectionPackage, paper: Paper, tmp_path: Path
) -> None:
    scrutin = election.manifest.scrutin(ScrutinId("capn"))
    opened = challenge(seal(election_context(election), scrutin, ListId("l1")))
    printed = slip_of(opened, election.fingerprint, kiosk_id=KIOSK, kiosk_key=KIOSK_KEY)
    document = ChallengedBallotSlip(
        election.manifest.title,
        scrutin.title,
        choice_name(scrutin, ListId("l1")),
        AT,
        printed,
    )
    path = write_pdf(tmp_path, "slip.pdf", challenge_slip_pdf(document, paper=paper))
    payloads = read_qr_payloads(path)
    assert tuple(payloads) == slip_qr_payloads(printed)
    joined = join_slip_payloads(reversed(payloads))  # any order
    assert joined == printed.to_json()
    read = parse_slip(joined)
    assert read == printed
    assert verify_challenge_slip(read.slip, KIOSK_PUBLIC)
    assert check_slip(election, read, [], path).passed
    text = pdf_text(path.read_bytes())
    assert "Liste 1" in text
    assert "PAS été déposé" in text
    assert printed.slip.tracking_code.split("-")[0] in text


def test_slip_qr_payloads_are_one_json_or_numbered_parts() -> None:
    slip = sample_slip().printed
    parts = slip_qr_payloads(slip)
    assert len(parts) == 3
    assert all(len(p) <= MAX_QR_BYTES + 30 for p in parts)
    assert [p.split(b" ")[1] for p in parts] == [b"1/3", b"2/3", b"3/3"]
    assert join_slip_payloads([parts[2], b"isoloir-receipt/1 noise", parts[0], parts[1]]) == (
        slip.to_json()
    )
    small = PrintedSlip(slip.slip, sample_ballot()[:100])  # a short slip fits one code
    (whole,) = slip_qr_payloads(small)
    assert whole == small.to_json()
    assert join_slip_payloads([whole, whole]) == whole
    with pytest.raises(SlipQrError, match="2 of 3"):
        join_slip_payloads([parts[0], parts[2]])
    with pytest.raises(SlipQrError, match="more than one"):
        join_slip_payloads([*parts, whole])
    with pytest.raises(SlipQrError, match="same number"):
        join_slip_payloads([*parts, parts[1][:-1] + b"x"])
    with pytest.raises(SlipQrError, match="no challenge slip"):
        join_slip_payloads([b"isoloir-receipt/1 x"])
    with pytest.raises(SlipQrError, match="out of range"):
        join_slip_payloads([b"isoloir-slip-part/1 4/3 {"])


def test_choice_name_reads_the_package(election: ElectionPackage) -> None:
    scrutin = election.manifest.scrutin(ScrutinId("capn"))
    assert choice_name(scrutin, ListId("l2")) == "Liste 2"
    assert choice_name(scrutin, ListId("blank")) == "Vote blanc"
    with pytest.raises(KeyError):
        choice_name(scrutin, ListId("l9"))


# ---- the QR reader ------------------------------------------------------------------------------


def test_images_are_read_in_png_and_jpeg_and_transparency_is_painted_white() -> None:
    page = first_page_png(rendered("deposit-roll-fr"), dpi=200)
    expected = [encode_receipt(sample_receipt())]
    for save in ("PNG", "JPEG"):
        out = io.BytesIO()
        page.save(out, format=save)
        assert qr_payloads(out.getvalue()) == expected
    # black modules on a transparent background: what an exported sticker looks like
    mask = page.point(lambda v: 255 - v)
    sticker = Image.new("RGBA", page.size, (0, 0, 0, 0))
    sticker.putalpha(mask)
    out = io.BytesIO()
    sticker.save(out, format="PNG")
    assert qr_payloads(out.getvalue()) == expected


def test_what_is_not_a_pdf_or_an_image_is_refused(tmp_path: Path) -> None:
    for data, message in (
        (b"isoloir-receipt/1 ...", "neither"),
        (b"%PDF-1.4 broken", "PDF"),
        (b"\x89PNG\r\n\x1a\nbroken", "image"),
        (b"GIF89a", "neither"),
    ):
        with pytest.raises(QrReadError, match=message):
            qr_payloads(data)
    with pytest.raises(QrReadError, match="cannot read"):
        read_qr_payloads(tmp_path / "missing.pdf")
    blank = io.BytesIO()
    Image.new("L", (50, 50), 255).save(blank, format="PNG")
    assert qr_payloads(blank.getvalue()) == []


# ---- the printed time ------------------------------------------------------------------------


def test_times_are_printed_in_paris_with_their_offset() -> None:
    winter = printed_time(datetime(2026, 12, 1, 7, 5, 9, tzinfo=UTC), "fr")
    assert (winter.date, winter.clock, winter.zone) == (
        "mardi 1er décembre 2026",
        "08:05:09",
        "heure de Paris, UTC+1",
    )
    summer = printed_time(datetime(2026, 6, 15, 22, 30, tzinfo=UTC), "en")
    assert (summer.date, summer.clock, summer.zone) == (
        "Tuesday 16 June 2026",
        "00:30:00",
        "Paris time, UTC+2",
    )
    with pytest.raises(ValueError, match="aware"):
        printed_time(datetime(2026, 6, 15, 22, 30), "fr")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.unit.test_receipts --update")
    for written in write_snapshots():
        print(written)
