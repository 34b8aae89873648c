"""The public board page (docs/server.md, "Public board page"): its JSON lookups through the app,
on SQLite and PostgreSQL, and the page itself in a real headless Chromium against a real uvicorn.

The board holds real sealed ballots: a demo record's first entries, loaded into the server's
tables (kiosk rows through the storage layer, board rows as the upload will append them). Its
last entries are real, signed ballots that never reached this board. The receipts are the
proofs of deposit a kiosk prints for them, as a PDF and as a PNG or JPEG rendered from it.
"""

from __future__ import annotations

import asyncio
import html
import io
import re
import struct
import subprocess
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import anyio.from_thread
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from PIL import Image

from kiosk.clock import ManualClock
from kiosk.crypto.context import election_context
from kiosk.crypto.receipt import Receipt, encode_receipt, sign_receipt
from kiosk.election.model import ElectionPackage
from kiosk.receipts import DepositProof, Paper, SyncState, deposit_proof_pdf
from kiosk.receipts.typeset import QrCode, QrCodes, Sheet, render_sheet
from kiosk.record import board as board_io
from kiosk.record.board import BoardEntry, genesis
from kiosk.record.demo import DemoRecord, build_demo_record
from kiosk.record.tally import load_sealed_package
from server.app import create_app, server_state
from server.settings import ServerSettings
from server.storage.database import Database
from server.storage.kiosks import upsert_kiosk
from server.web import router as web_router
from server.web.rate_limit import RateLimiter
from server.web.receipt_scan import rendered_pixels
from server.web.router import CONTENT_SECURITY_POLICY, UPLOAD_BURST, UPLOAD_MAX_BYTES
from tests.server.harness import PortalTransport, ServerThread, wait_for_health
from tests.system import unavailable

NOW: Final = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
BASE_URL: Final = "http://isoloir.test"
BALLOTS: Final = 6
ON_BOARD: Final = 4  # the first entries are on the server's board, the others never arrived
CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMEDRIVER: Final = Path("/usr/bin/chromedriver")


# ---- the election, its board and its receipts -------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRecord:
    return build_demo_record(
        tmp_path_factory.mktemp("board-page") / "record", ballots=BALLOTS, now=NOW
    )


@pytest.fixture(scope="module")
def package(demo: DemoRecord) -> ElectionPackage:
    return load_sealed_package(demo.layout.package)


@pytest.fixture(scope="module")
def entries(demo: DemoRecord) -> list[BoardEntry]:
    return board_io.parse_board(demo.layout.board.read_bytes())


def load_board(database: Database, package: ElectionPackage, entries: list[BoardEntry]) -> None:
    """The entries and their head, in one transaction, as the envelope upload appends them."""
    with database.transaction(write=True) as tx:
        for kiosk in package.manifest.kiosks:
            upsert_kiosk(tx, kiosk.id, kiosk.public_key, "2026-12-02T08:00:00Z")
        for entry in entries:
            tx.execute(
                "INSERT INTO board_entry (seq, scrutin_id, ballot, tracking_code, kiosk_id,"
                " kiosk_signature, prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.seq,
                    entry.scrutin_id,
                    entry.ballot,
                    entry.tracking_code,
                    entry.kiosk_id,
                    entry.kiosk_signature,
                    entry.prev_hash,
                    entry.hash,
                ),
            )
        tx.execute(
            "INSERT INTO board_head (singleton, entry_count, head_hash) VALUES (1, ?, ?)",
            (len(entries), entries[-1].hash),
        )


def receipt_of(
    demo: DemoRecord,
    package: ElectionPackage,
    entry: BoardEntry,
    *,
    key: Ed25519PrivateKey | None = None,
    fingerprint: str | None = None,
) -> Receipt:
    """The receipt the kiosk printed for ``entry`` (Ed25519 is deterministic: the same
    signature as the board's), or one signed by another key or for another election."""
    return sign_receipt(
        key or demo.kiosk_keys[entry.kiosk_id],
        election_fingerprint=fingerprint or package.fingerprint,
        scrutin_id=entry.scrutin_id,
        tracking_code=entry.tracking_code,
        kiosk_id=entry.kiosk_id,
    )


def deposit_pdf(package: ElectionPackage, receipt: Receipt) -> bytes:
    scrutin = package.manifest.scrutin(receipt.scrutin_id)
    proof = DepositProof(
        package.manifest.title,
        scrutin.title,
        NOW + timedelta(minutes=5),
        receipt,
        SyncState.DEPOSITED,
    )
    return deposit_proof_pdf(proof, paper=Paper.ROLL_80MM)


def png_of(pdf: bytes, folder: Path, name: str = "receipt") -> Path:
    """The PDF's first page as a PNG, as a scanner or a phone would give it."""
    source = folder / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(source), str(folder / name)],
        check=True,
        timeout=60,
    )
    return folder / f"{name}.png"


def qr_pdf(payload: bytes) -> bytes:
    """A PDF holding one QR code with any payload."""
    sheet = Sheet("test", "test", (QrCodes((QrCode(payload),), ""),), "test")
    return render_sheet(sheet, Paper.ROLL_80MM)


# ---- the app, in process ----------------------------------------------------------------------


@contextmanager
def board_client(app: FastAPI) -> Iterator[httpx.Client]:
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        httpx.Client(transport=PortalTransport(app, portal), base_url=BASE_URL) as client,
    ):
        yield client


def open_app(url: str, demo: DemoRecord, clock: ManualClock) -> FastAPI:
    return create_app(ServerSettings(database_url=url, package=demo.layout.package), clock)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def board_app(
    database_url: str,
    demo: DemoRecord,
    package: ElectionPackage,
    entries: list[BoardEntry],
    clock: ManualClock,
) -> Iterator[FastAPI]:
    """The app on SQLite and on PostgreSQL, its board holding the first entries."""
    app = open_app(database_url, demo, clock)
    load_board(server_state(app).database, package, entries[:ON_BOARD])
    yield app
    server_state(app).database.close()


@pytest.fixture
def api(board_app: FastAPI) -> Iterator[httpx.Client]:
    with board_client(board_app) as client:
        yield client


@pytest.fixture
def scan_api(
    tmp_path: Path,
    demo: DemoRecord,
    package: ElectionPackage,
    entries: list[BoardEntry],
    clock: ManualClock,
) -> Iterator[httpx.Client]:
    """The app on SQLite only: for file handling, which is the same on both engines."""
    app = open_app(f"sqlite:///{tmp_path / 'server.db'}", demo, clock)
    load_board(server_state(app).database, package, entries[:ON_BOARD])
    with board_client(app) as client:
        yield client
    server_state(app).database.close()


def upload(client: httpx.Client, data: bytes, name: str = "receipt.png") -> httpx.Response:
    return client.post("/v1/board/lookup-receipt", files={"file": (name, data)})


# ---- the page ---------------------------------------------------------------------------------


def test_the_page_shows_the_board_in_french_with_strict_headers(
    api: httpx.Client, package: ElectionPackage, entries: list[BoardEntry]
) -> None:
    response = api.get("/board")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["content-security-policy"].startswith("default-src 'self';")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in response.headers
    page = html.unescape(response.text)
    assert '<html lang="fr">' in page
    assert "Tableau d'affichage public des bulletins" in page
    assert package.manifest.title in page
    assert f'<dd id="entry-count">{ON_BOARD}</dd>' in page
    assert entries[ON_BOARD - 1].hash.hex() in page
    assert package.fingerprint in page
    # Labelled controls, a polite live region for the result, the English switch.
    assert '<label for="code">' in page
    assert '<label for="receipt">' in page
    assert 'role="status" aria-live="polite"' in page
    assert 'href="/board?lang=en" lang="en" hreflang="en">English</a>' in page


def test_the_english_switch_and_unknown_languages(api: httpx.Client) -> None:
    english = api.get("/board", params={"lang": "en"}).text
    assert '<html lang="en">' in english
    assert "Public bulletin board" in english
    assert "Tracking code" in english
    assert "Tableau" not in english
    assert 'href="/board?lang=fr"' in english
    assert '<html lang="fr">' in api.get("/board", params={"lang": "de"}).text


def test_the_page_loads_nothing_from_elsewhere(api: httpx.Client) -> None:
    page = api.get("/board").text
    links = re.findall(r'(?:src|href|action)="([^"]*)"', page)
    assert links
    assert all(link.startswith("/") and not link.startswith("//") for link in links)
    for name, media_type in (
        ("board.css", "text/css; charset=utf-8"),
        ("board.js", "text/javascript; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ):
        response = api.get(f"/board/static/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"] == media_type
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "set-cookie" not in response.headers
        text = response.text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert not re.search(r"https?:|//[a-z]|@import|url\(", text), name
    assert api.get("/board/static/secret.txt").status_code == 404
    assert api.get("/board/static/..%2Fpage.py").status_code == 404


def test_the_root_leads_to_the_page(api: httpx.Client) -> None:
    response = api.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/board"


def test_an_empty_board_shows_the_election_genesis(
    tmp_path: Path, demo: DemoRecord, package: ElectionPackage, clock: ManualClock
) -> None:
    app = open_app(f"sqlite:///{tmp_path / 'empty.db'}", demo, clock)
    database = server_state(app).database
    expected = genesis(election_context(package).base_hash).hex()
    try:
        with board_client(app) as client:
            before_any_append = client.get("/board").text
            # A head row of no entry, written under an earlier seal of the package.
            with database.transaction(write=True) as tx:
                tx.execute("INSERT INTO board_head VALUES (1, 0, ?)", (b"\x01" * 64,))
            stale_row = client.get("/board").text
    finally:
        database.close()
    for page in (before_any_append, stale_row):
        assert '<dd id="entry-count">0</dd>' in page
        assert expected in page


def test_the_page_answers_a_code_without_its_script(
    api: httpx.Client, entries: list[BoardEntry]
) -> None:
    code = entries[0].tracking_code
    found = html.unescape(api.get("/board", params={"code": code.lower(), "lang": "en"}).text)
    assert 'data-outcome="found"' in found
    assert f"Found: tracking code {code} is on the board (entry 1," in found
    missing = api.get("/board", params={"code": entries[ON_BOARD].tracking_code}).text
    assert 'data-outcome="not-found"' in missing
    assert "Introuvable" in missing
    invalid = api.get("/board", params={"code": "<script>"}).text
    assert 'data-outcome="invalid"' in invalid
    assert "<script>" not in invalid.split("<body>")[1].replace('<script src="', "")


# ---- GET /v1/board/lookup ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code,
        lambda code: code.lower(),
        lambda code: code.replace("-", ""),
        lambda code: " " + code.replace("-", " ").lower() + " ",
        lambda code: "-".join(code.replace("-", "")[i : i + 2] for i in range(0, 32, 2)),
    ],
    ids=["printed", "lower-case", "no-dashes", "spaces", "pairs"],
)
def test_a_code_on_the_board_is_found_however_it_is_typed(
    api: httpx.Client,
    entries: list[BoardEntry],
    package: ElectionPackage,
    typed: Callable[[str], str],
) -> None:
    entry = entries[2]
    response = api.get("/v1/board/lookup", params={"code": typed(entry.tracking_code)})
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.json() == {
        "found": True,
        "tracking_code": entry.tracking_code,
        "seq": 3,
        "scrutin": entry.scrutin_id,
        "scrutin_title": package.manifest.scrutin(entry.scrutin_id).title,
        "kiosk": entry.kiosk_id,
    }


def test_a_code_not_on_the_board_is_not_found(api: httpx.Client, entries: list[BoardEntry]) -> None:
    code = entries[ON_BOARD].tracking_code
    response = api.get("/v1/board/lookup", params={"code": code})
    assert response.status_code == 200
    assert response.json() == {
        "found": False,
        "tracking_code": code,
        "seq": None,
        "scrutin": None,
        "scrutin_title": None,
        "kiosk": None,
    }


@pytest.mark.parametrize(
    "code",
    ["", "abc", "A" * 31, "A" * 33, "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAA1", "é" * 32, "A" * 100],
)
def test_a_malformed_code_is_refused_with_a_clear_reason(api: httpx.Client, code: str) -> None:
    response = api.get("/v1/board/lookup", params={"code": code})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_tracking_code",
        "detail": "not a tracking code: 32 characters, letters A-Z and digits 2-7, in groups of 4 "
        "(case, spaces and dashes do not matter)",
    }


def test_a_missing_or_overlong_code_is_an_invalid_request(scan_api: httpx.Client) -> None:
    assert scan_api.get("/v1/board/lookup").json()["error"] == "invalid_request"
    too_long = scan_api.get("/v1/board/lookup", params={"code": "A" * 101})
    assert too_long.status_code == 422


def test_the_lookups_are_in_the_openapi_schema(scan_api: httpx.Client) -> None:
    paths = scan_api.get("/openapi.json").json()["paths"]
    assert set(paths["/v1/board/lookup"]) == {"get"}
    body = paths["/v1/board/lookup-receipt"]["post"]["requestBody"]["content"]
    assert body["multipart/form-data"]["schema"]["required"] == ["file"]
    assert "/board" not in paths
    assert "/" not in paths


# ---- POST /v1/board/lookup-receipt ------------------------------------------------------------


def as_jpeg(png: bytes) -> bytes:
    out = io.BytesIO()
    with Image.open(io.BytesIO(png)) as image:
        image.convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.mark.parametrize("form", ["pdf", "png", "jpeg"])
def test_a_receipt_on_the_board_is_found_and_its_signature_verifies(
    scan_api: httpx.Client,
    demo: DemoRecord,
    package: ElectionPackage,
    entries: list[BoardEntry],
    tmp_path: Path,
    form: str,
) -> None:
    entry = entries[1]
    pdf = deposit_pdf(package, receipt_of(demo, package, entry))
    data = {
        "pdf": lambda: pdf,
        "png": lambda: png_of(pdf, tmp_path).read_bytes(),
        "jpeg": lambda: as_jpeg(png_of(pdf, tmp_path).read_bytes()),
    }[form]()
    response = upload(scan_api, data, f"receipt.{form}")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "receipts": [
            {
                "tracking_code": entry.tracking_code,
                "scrutin": entry.scrutin_id,
                "scrutin_title": package.manifest.scrutin(entry.scrutin_id).title,
                "kiosk": entry.kiosk_id,
                "election_fingerprint": package.fingerprint,
                "this_election": True,
                "signature_valid": True,
                "on_board": True,
                "seq": 2,
                "mismatch": False,
            }
        ]
    }


def test_a_genuine_receipt_whose_ballot_never_arrived(
    scan_api: httpx.Client, demo: DemoRecord, package: ElectionPackage, entries: list[BoardEntry]
) -> None:
    pdf = deposit_pdf(package, receipt_of(demo, package, entries[ON_BOARD + 1]))
    (result,) = upload(scan_api, pdf, "receipt.pdf").json()["receipts"]
    assert result["signature_valid"] is True
    assert (result["on_board"], result["seq"], result["mismatch"]) == (False, None, False)


def test_a_forged_receipt_for_a_code_on_the_board(
    scan_api: httpx.Client, demo: DemoRecord, package: ElectionPackage, entries: list[BoardEntry]
) -> None:
    forged = receipt_of(demo, package, entries[0], key=Ed25519PrivateKey.generate())
    (result,) = upload(scan_api, deposit_pdf(package, forged), "forged.pdf").json()["receipts"]
    assert result["signature_valid"] is False
    assert (result["on_board"], result["mismatch"], result["seq"]) == (False, True, 1)


def test_a_receipt_of_another_election(
    scan_api: httpx.Client, demo: DemoRecord, package: ElectionPackage, entries: list[BoardEntry]
) -> None:
    other = receipt_of(demo, package, entries[0], fingerprint="AAAA-BBBB-CCCC-DDDD")
    (result,) = upload(scan_api, qr_pdf(encode_receipt(other)), "other.pdf").json()["receipts"]
    assert result["this_election"] is False
    assert result["election_fingerprint"] == "AAAA-BBBB-CCCC-DDDD"
    assert result["on_board"] is False


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels (a valid header, a tiny body)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)


def huge_page_pdf() -> bytes:
    """A valid one-page PDF of 200 x 200 inches: 40,000 x 40,000 pixels at 200 dpi."""
    out = io.BytesIO()
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(out, pagesize=(14_400, 14_400), invariant=1)
    page.drawString(100, 100, "huge")
    page.showPage()
    page.save()
    return out.getvalue()


def blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (400, 300), 255).save(out, "PNG")
    return out.getvalue()


HOSTILE: Final[dict[str, tuple[Callable[[], bytes], int, str, str]]] = {
    "text": (lambda: b"hello, board", 415, "unsupported_file", "not a PNG or JPEG image or a PDF"),
    "zip": (lambda: b"PK\x03\x04" + b"\x00" * 100, 415, "unsupported_file", "PNG or JPEG"),
    "empty": (lambda: b"", 422, "unreadable_file", "the file is empty"),
    "truncated png": (
        lambda: blank_png()[:60],
        422,
        "unreadable_file",
        "not a readable PNG or JPEG",
    ),
    "png bomb": (lambda: png_header(100_000, 100_000), 422, "unreadable_file", "too large"),
    "81 megapixels": (lambda: png_header(9_000, 9_000), 422, "unreadable_file", "9000 x 9000"),
    "jpeg garbage": (lambda: b"\xff\xd8\xff" + b"\x00" * 500, 422, "unreadable_file", "readable"),
    "pdf garbage": (lambda: b"%PDF-1.7\n" + b"\x00" * 500, 422, "unreadable_file", "PDF"),
    "pdf bomb": (huge_page_pdf, 422, "unreadable_file", "too large to render"),
    "no qr": (blank_png, 422, "no_receipt", "no receipt QR code found (0 other"),
    "other qr": (lambda: qr_pdf(b"https://example.org"), 422, "no_receipt", "(1 other"),
    "broken receipt": (
        lambda: qr_pdf(b"isoloir-receipt/1 AAAA-BBBB not-a-receipt"),
        422,
        "no_receipt",
        "not a valid one",
    ),
    "too large": (
        lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * UPLOAD_MAX_BYTES,
        413,
        "body_too_large",
        "larger than",
    ),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_uploads_are_refused_with_a_reason(scan_api: httpx.Client, case: str) -> None:
    make, status, code, words = HOSTILE[case]
    response = upload(scan_api, make())
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code
    assert words in body["detail"]


def test_uploads_that_are_not_a_file_part(scan_api: httpx.Client) -> None:
    endpoint = "/v1/board/lookup-receipt"
    as_json = scan_api.post(endpoint, json={"file": "x"})
    assert (as_json.status_code, as_json.json()["error"]) == (415, "unsupported_file")
    field = scan_api.post(endpoint, data={"file": "not a file"}, files={"other": ("a", b"b")})
    assert (field.status_code, field.json()["error"]) == (422, "invalid_request")
    broken = scan_api.post(
        endpoint, content=b"--x\r\nnonsense", headers={"content-type": "multipart/form-data"}
    )
    assert (broken.status_code, broken.json()["error"]) == (422, "invalid_request")
    lying = scan_api.post(
        endpoint,
        content=b"x",
        headers={"content-type": "multipart/form-data; boundary=x", "content-length": "99999999"},
    )
    assert lying.status_code == 413


def test_uploads_are_rate_limited_per_address(scan_api: httpx.Client, clock: ManualClock) -> None:
    for _ in range(UPLOAD_BURST):
        assert upload(scan_api, b"not an image").status_code == 415
    refused = upload(scan_api, b"not an image")
    assert refused.status_code == 429
    assert refused.json() == {
        "error": "too_many_requests",
        "detail": "too many uploads from this address: try again in 6 s",
    }
    clock.advance(timedelta(seconds=6))
    assert upload(scan_api, b"not an image").status_code == 415
    assert upload(scan_api, b"not an image").status_code == 429
    # Lookups by code cost nothing: the board answers them from its index.
    assert scan_api.get("/v1/board/lookup", params={"code": "A" * 32}).status_code == 200


def test_the_rate_limiter_keeps_each_address_apart() -> None:
    clock = ManualClock(NOW)
    limiter = RateLimiter(clock, burst=2, every=2.0)
    assert [limiter.take("a"), limiter.take("a"), limiter.take("b")] == [None, None, None]
    assert limiter.take("a") == pytest.approx(2.0)
    clock.advance(timedelta(seconds=1))
    assert limiter.take("a") == pytest.approx(1.0)
    clock.advance(timedelta(seconds=1))
    assert limiter.take("a") is None


def test_decoding_runs_off_the_event_loop(
    scan_api: httpx.Client,
    demo: DemoRecord,
    package: ElectionPackage,
    entries: list[BoardEntry],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    on_a_loop: list[bool] = []
    real = web_router.read_receipts

    def spy(data: bytes) -> Any:
        try:
            asyncio.get_running_loop()
            on_a_loop.append(True)
        except RuntimeError:
            on_a_loop.append(False)
        return real(data)

    monkeypatch.setattr(web_router, "read_receipts", spy)
    pdf = deposit_pdf(package, receipt_of(demo, package, entries[0]))
    assert upload(scan_api, pdf, "receipt.pdf").status_code == 200
    assert on_a_loop == [False]


def test_page_sizes_are_read_from_pdfinfo() -> None:
    listing = (
        b"Pages:           2\n"
        b"Page    1 size:  226.77 x 425.2 pts\n"
        b"Page    1 MediaBox:      0.00     0.00   226.77   425.20\n"
        b"Page    2 size:  1e+07 x 72 pts\n"
    )
    assert rendered_pixels(listing) == 630 * 1182 + 27777778 * 201
    assert rendered_pixels(b"Pages: 0\n") is None
    with pytest.raises(ValueError, match="finite"):
        rendered_pixels(b"Page    1 size:  inf x 1 pts\n")


# ---- the page in headless Chromium ------------------------------------------------------------


@pytest.fixture(scope="module")
def live_board(
    tmp_path_factory: pytest.TempPathFactory,
    demo: DemoRecord,
    package: ElectionPackage,
    entries: list[BoardEntry],
) -> Iterator[str]:
    """A real uvicorn on a loopback port, serving the board with its first entries."""
    folder = tmp_path_factory.mktemp("live-board")
    app = open_app(f"sqlite:///{folder / 'server.db'}", demo, ManualClock(NOW))
    load_board(server_state(app).database, package, entries[:ON_BOARD])
    try:
        with ServerThread(app) as server:
            wait_for_health(server.url)
            yield server.url
    finally:
        server_state(app).database.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Debian's chromedriver. Selenium Manager, which would download
    a driver or a browser, must never run: offline mode, explicit paths, and a tripwire."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        unavailable(
            f"headless Chromium tests need Debian's chromium and chromium-driver ({missing})"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    def never(*_: object, **__: object) -> Any:
        raise AssertionError("Selenium Manager ran: it must not download anything")

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")
        patch.setattr(SeleniumManager, "binary_paths", never)
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1000,1400",
        ):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(
            service=Service(executable_path=str(CHROMEDRIVER)), options=options
        )
        try:
            yield driver
        finally:
            driver.quit()


def result_of(driver: Any, outcome: str) -> str:
    """The live region's text once it shows ``outcome`` (a bounded wait on the condition)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    region = driver.find_element(By.ID, "result")
    WebDriverWait(driver, 20).until(lambda _: region.get_attribute("data-outcome") == outcome)
    assert region.get_attribute("aria-live") == "polite"
    return str(region.text)


def open_board(driver: Any, url: str) -> None:
    """Load the page with the console emptied of earlier pages' messages."""
    driver.get_log("browser")
    driver.get(url)


def severe_console_messages(driver: Any) -> list[str]:
    """The browser console's errors: a blocked script or style (CSP) or a failed load."""
    return [str(e["message"]) for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_browser_finds_a_typed_code(
    browser: Any, live_board: str, entries: list[BoardEntry], package: ElectionPackage
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    entry = entries[0]
    open_board(browser, f"{live_board}/board")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    assert browser.find_element(By.ID, "entry-count").text == str(ON_BOARD)
    field = browser.find_element(By.ID, "code")
    field.send_keys(entry.tracking_code.lower().replace("-", " "), Keys.ENTER)  # the keyboard
    text = result_of(browser, "found")
    assert f"Trouvé : la référence {entry.tracking_code} est sur le tableau" in text
    assert package.manifest.scrutin(entry.scrutin_id).title in text
    assert severe_console_messages(browser) == []


def test_browser_says_when_a_code_is_not_on_the_board(
    browser: Any, live_board: str, entries: list[BoardEntry]
) -> None:
    from selenium.webdriver.common.by import By

    code = entries[ON_BOARD].tracking_code
    open_board(browser, f"{live_board}/board")
    browser.find_element(By.ID, "code").send_keys(code)
    browser.find_element(By.CSS_SELECTOR, "#code-form button").click()
    text = result_of(browser, "not-found")
    assert f"Introuvable : la référence {code} n'est pas sur le tableau." in text
    browser.find_element(By.ID, "code").clear()
    browser.find_element(By.ID, "code").send_keys("pas un code")
    browser.find_element(By.CSS_SELECTOR, "#code-form button").click()
    assert "Ce n'est pas une référence de bulletin" in result_of(browser, "invalid")


def test_browser_reads_a_photographed_receipt(
    browser: Any,
    live_board: str,
    demo: DemoRecord,
    package: ElectionPackage,
    entries: list[BoardEntry],
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    entry = entries[3]
    png = png_of(deposit_pdf(package, receipt_of(demo, package, entry)), tmp_path)
    open_board(browser, f"{live_board}/board")
    browser.find_element(By.ID, "receipt").send_keys(str(png))
    browser.find_element(By.CSS_SELECTOR, "#receipt-form button").click()
    text = result_of(browser, "found")
    assert f"référence {entry.tracking_code}, entrée n° 4" in text
    assert f"La signature de la borne {entry.kiosk_id} est valide" in text
    assert severe_console_messages(browser) == []


def test_browser_switches_to_english(
    browser: Any, live_board: str, entries: list[BoardEntry]
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_board(browser, f"{live_board}/board")
    browser.find_element(By.LINK_TEXT, "English").click()
    WebDriverWait(browser, 20, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    )
    assert browser.find_element(By.TAG_NAME, "h1").text == "Public bulletin board"
    assert browser.find_element(By.CSS_SELECTOR, "label[for=code]").text == "Tracking code"
    browser.find_element(By.ID, "code").send_keys(entries[1].tracking_code)
    browser.find_element(By.CSS_SELECTOR, "#code-form button").click()
    text = result_of(browser, "found")
    assert f"Found: tracking code {entries[1].tracking_code} is on the board (entry 2," in text
    browser.find_element(By.LINK_TEXT, "Français").click()
    WebDriverWait(browser, 20, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    )
