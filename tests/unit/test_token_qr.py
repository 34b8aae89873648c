"""The réassort token's QR code, drawn for the e-mail and read strictly back (token_qr.py)."""

from __future__ import annotations

import email
import email.policy
import io
import os
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFilter
from reportlab.graphics.barcode import qrencoder

from kiosk.clock import ManualClock
from kiosk.crypto.receipt import encode_receipt
from kiosk.store import KioskStore
from kiosk.voting.lockout import CredentialGuard
from kiosk.voting.model import Channel, RegenerationGrant, TokenDelivery
from kiosk.voting.reassort import (
    QR_ATTACHMENT_NAME,
    TOKEN_ALPHABET,
    FileMailbox,
    OutgoingMessage,
    ReassortDesk,
    format_token,
    generate_token,
    parse_token_input,
    token_qr_payload,
)
from kiosk.voting.token_qr import (
    MAX_PAYLOAD_BYTES,
    token_from_frame,
    token_from_image,
    token_from_payload,
    token_qr_png,
)
from tests.factories import KDF
from tests.unit.test_receipts import sample_receipt
from tests.unit.test_voting_world import VoterSecrets, open_kiosk

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
ALICE = VoterSecrets(1)
TOKEN = "ABCDEFGH"
PRINTED = "ABCD-EFGH"
SOAK = os.environ.get("ISOLOIR_SOAK") == "1"


def png_image(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
        image.load()
        return image.copy()


def zbar_reads(image: Image.Image) -> list[bytes]:
    from pyzbar.pyzbar import decode

    return [bytes(symbol.data) for symbol in decode(image)]


def qr_image(payload: bytes, module: int = 6) -> Image.Image:
    """Any payload as a QR code (byte mode, level M, a quiet zone of 4 modules)."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(qrencoder.QR8bitByte(payload))
    code.make()
    span = len(code.modules) + 8
    image = Image.new("L", (span, span), 255)
    for r, row in enumerate(code.modules):
        for c, dark in enumerate(row):
            if dark:
                image.putpixel((c + 4, r + 4), 0)
    return image.resize((span * module, span * module), Image.Resampling.NEAREST)


def photo_of(code: Image.Image, *, seed: int = 7, angle: float = 13.0) -> Image.Image:
    """``code`` as a camera sees a phone: smaller, turned, off centre, on a noisy grey room,
    blurred a little, in colour, through JPEG."""
    rng = random.Random(seed)
    room = Image.effect_noise((800, 600), 40).convert("RGB")
    screen = code.convert("L").resize((230, 230), Image.Resampling.BILINEAR)
    turned = screen.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    room.paste(turned.convert("RGB"), (rng.randint(40, 420), rng.randint(30, 280)))
    blurred = room.filter(ImageFilter.GaussianBlur(0.8))
    out = io.BytesIO()
    blurred.save(out, format="JPEG", quality=80)
    with Image.open(io.BytesIO(out.getvalue()), formats=["JPEG"]) as image:
        image.load()
        return image.copy()


# ---- drawing and reading ---------------------------------------------------------------------


def test_the_png_holds_exactly_the_versioned_payload_and_reads_back() -> None:
    png = token_qr_png(TOKEN)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = png_image(png)
    assert image.width == image.height
    assert image.width >= 300  # shown on a phone, read from half a metre
    assert zbar_reads(image) == [b"isoloir-reassort/1 ABCD-EFGH"]
    assert token_qr_payload(TOKEN) == "isoloir-reassort/1 ABCD-EFGH"
    assert token_from_image(image) == PRINTED
    assert parse_token_input(PRINTED) == TOKEN


@pytest.mark.parametrize("seed", range(5))
def test_every_token_round_trips_through_its_png(seed: int) -> None:
    token = generate_token(random.Random(seed))
    assert token_from_image(png_image(token_qr_png(token))) == format_token(token)


@pytest.mark.parametrize(("seed", "angle"), [(1, 0.0), (2, 13.0), (3, -25.0), (4, 40.0)])
def test_a_photo_of_a_phone_showing_the_code_reads(seed: int, angle: float) -> None:
    photo = photo_of(png_image(token_qr_png(TOKEN)), seed=seed, angle=angle)
    assert token_from_image(photo) == PRINTED
    gray = photo.convert("L")
    assert token_from_frame(gray.width, gray.height, gray.tobytes()) == PRINTED


def test_a_photo_without_a_code_reads_nothing() -> None:
    room = Image.effect_noise((640, 480), 40)
    assert token_from_image(room) is None


@pytest.mark.parametrize("bad", ["ABCDEFG", "ABCDEFGHJ", "abcdefgh", "ABCD-EFG", "ABCDEFG0"])
def test_only_a_compact_token_is_drawn(bad: str) -> None:
    with pytest.raises(ValueError, match="not a réassort token") as raised:
        token_qr_png(bad)
    assert bad not in str(raised.value)


# ---- strict parsing --------------------------------------------------------------------------


def test_a_receipt_qr_shown_by_mistake_reads_as_nothing() -> None:
    receipt = encode_receipt(sample_receipt())
    photo = photo_of(qr_image(receipt, module=3))
    assert zbar_reads(photo) == [receipt]  # seen, then refused
    assert token_from_payload(receipt) is None
    assert token_from_image(photo) is None


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"ABCD-EFGH",  # typed forms are for the field, not the QR code
        b"ABCDEFGH",
        b"isoloir-reassort/2 ABCD-EFGH",
        b"isoloir-reassort/1 abcd-efgh",
        b"isoloir-reassort/1 ABCDEFGH",
        b"isoloir-reassort/1  ABCD-EFGH",
        b"isoloir-reassort/1 ABCD-EFGH\n",
        b" isoloir-reassort/1 ABCD-EFGH",
        b"isoloir-reassort/1 ABCD-EFG0",  # 0 is not in the alphabet
        b"isoloir-reassort/1 ABCD-EFGH-JKMN",
        b"isoloir-reassort/1 ABCD-EFGH\x00",
        "isoloir-reassort/1 ABCD-EFGＨ".encode(),  # a full-width H
        b"isoloir-reassort/1 ABCD-EFGH" + b" " * MAX_PAYLOAD_BYTES,
        b"https://isoloir.example/?token=ABCD-EFGH",
        b"isoloir-slip-part/1 1/2 {}",
        b"\xff\xfe\x00isoloir",
    ],
)
def test_anything_but_the_payload_is_refused(payload: bytes) -> None:
    assert token_from_payload(payload) is None


def test_the_payload_itself_is_accepted() -> None:
    assert token_from_payload(b"isoloir-reassort/1 ABCD-EFGH") == PRINTED


def test_hostile_qr_contents_read_as_nothing() -> None:
    huge = qr_image(token_qr_payload(TOKEN).encode() + b"A" * 2000, module=2)  # starts right
    assert [len(data) for data in zbar_reads(huge)] == [2028]
    assert token_from_image(huge) is None
    binary = qr_image(bytes(range(256)), module=3)
    assert len(zbar_reads(binary)) == 1
    assert token_from_image(binary) is None


def test_two_different_tokens_in_one_frame_read_as_nothing() -> None:
    first = png_image(token_qr_png(TOKEN)).convert("L")
    second = png_image(token_qr_png("JKMNPQRS")).convert("L")
    both = Image.new("L", (first.width * 2 + 40, first.height + 40), 255)
    both.paste(first, (10, 20))
    both.paste(second, (first.width + 30, 20))
    assert token_from_image(both) is None
    same = both.copy()
    same.paste(first, (first.width + 30, 20))
    assert token_from_image(same) == PRINTED


@pytest.mark.parametrize(
    ("width", "height", "size"),
    [(10, 10, 99), (10, 10, 101), (0, 0, 0), (-4, -4, 16), (5000, 1, 5000), (1, 5000, 5000)],
)
def test_a_frame_whose_size_does_not_add_up_reads_as_nothing(
    width: int, height: int, size: int
) -> None:
    assert token_from_frame(width, height, b"\x80" * size) is None


def test_a_big_image_is_shrunk_before_reading() -> None:
    code = png_image(token_qr_png(TOKEN)).convert("L").resize((2000, 2000))
    wide = Image.new("L", (6000, 2400), 255)
    wide.paste(code, (2000, 200))
    assert token_from_image(wide) == PRINTED


# ---- fuzz ------------------------------------------------------------------------------------


def _expected(payload: bytes) -> str | None:
    """What a strict reader returns: the token of exactly ``token_qr_payload(token)``."""
    token = parse_token_input(payload.decode("ascii", "replace"))
    if token is not None and payload == token_qr_payload(token).encode():
        return format_token(token)
    return None


payloads = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=80).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.text(alphabet=TOKEN_ALPHABET, min_size=8, max_size=8).map(
        lambda token: token_qr_payload(token).encode()
    ),
    st.builds(
        lambda prefix, body: prefix + body,
        st.sampled_from([b"isoloir-reassort/1 ", b"isoloir-reassort/1", b"ISOLOIR-REASSORT/1 "]),
        st.text(alphabet=TOKEN_ALPHABET + "-abc0 \n", max_size=12).map(str.encode),
    ),
)


@settings(max_examples=2_000 if SOAK else 300)
@given(payloads)
def test_no_payload_raises_and_only_the_exact_form_reads(payload: bytes) -> None:
    assert token_from_payload(payload) == _expected(payload)


@settings(max_examples=400 if SOAK else 25)
@given(st.binary(min_size=1, max_size=120))
def test_no_qr_content_raises_through_zbar(payload: bytes) -> None:
    assert token_from_image(qr_image(payload, module=3)) == _expected(payload)


@settings(max_examples=400 if SOAK else 40)
@given(st.integers(-2, 64), st.integers(-2, 64), st.binary(max_size=4096))
def test_no_frame_raises(width: int, height: int, pixels: bytes) -> None:
    assert token_from_frame(width, height, pixels) is None


# ---- the e-mail ------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    with open_kiosk(tmp_path, ManualClock(T0)) as opened:
        yield opened


def read_mail(path: Path) -> email.message.EmailMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_the_email_carries_the_qr_code_as_a_png_attachment(
    tmp_path: Path, store: KioskStore
) -> None:
    mailbox = FileMailbox(tmp_path / "mail", attach_qr=True)
    desk = ReassortDesk(store, KDF, CredentialGuard(store), notifier=mailbox, rng=random.Random(11))
    sent = desk.request_token(ALICE.voter_id, ALICE.answer, ALICE.numen, Channel.EMAIL, T0)
    assert isinstance(sent, TokenDelivery)
    [delivered] = mailbox.messages()
    mail = read_mail(delivered)
    assert mail.get_content_type() == "multipart/mixed"
    text = mail.get_body(preferencelist=("plain",))
    assert text is not None
    body = text.get_content()
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "image/png"
    assert attachment.get_filename() == QR_ATTACHMENT_NAME
    read = token_from_image(png_image(attachment.get_content()))
    assert read is not None
    assert read in body  # the same token, printed, for typing
    grant = desk.redeem_token(ALICE.voter_id, read, T0)
    assert isinstance(grant, RegenerationGrant)


def test_an_sms_stays_text_even_with_attachments_on(tmp_path: Path, store: KioskStore) -> None:
    mailbox = FileMailbox(tmp_path / "mail", attach_qr=True)
    desk = ReassortDesk(store, KDF, CredentialGuard(store), notifier=mailbox, rng=random.Random(11))
    sent = desk.request_token(ALICE.voter_id, ALICE.answer, ALICE.numen, Channel.SMS, T0)
    assert isinstance(sent, TokenDelivery)
    [delivered] = mailbox.messages()
    mail = read_mail(delivered)
    assert mail.get_content_type() == "text/plain"
    assert list(mail.iter_attachments()) == []


def test_without_attach_qr_the_mailbox_writes_text_only(tmp_path: Path) -> None:
    mailbox = FileMailbox(tmp_path / "mail", attach_qr=False)
    message = OutgoingMessage(Channel.EMAIL, "a@b.example", "Objet", "Corps", T0, TOKEN)
    assert mailbox.send(message)
    [delivered] = mailbox.messages()
    assert read_mail(delivered).get_content().strip() == "Corps"
    assert TOKEN not in repr(message)
