"""The request-signature format (kiosk/sync/signing.py) and its worked example in docs/server.md:
the example is generated here, so the documentation cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.election import signing
from kiosk.election.model import ElectionId, KioskId
from kiosk.encoding import b64encode, canonical_json
from kiosk.sync.signing import (
    SignatureHeaderError,
    parse_headers,
    sign_request,
    signing_text,
    verify_request,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "server.md"
BEGIN, END = "<!-- request-vector:begin -->", "<!-- request-vector:end -->"
SEED = bytes(range(32))
NONCE = bytes(range(16))
TIMESTAMP = 1796112000  # 2026-12-01T08:00:00Z
TOKEN = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567"


def worked_example() -> str:
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    public = signing.public_bytes(key)
    body = canonical_json({"kiosk_id": "kiosk-01", "public_key": b64encode(public), "token": TOKEN})
    fields = {
        "election_id": "test-2026",
        "kiosk_id": "kiosk-01",
        "method": "POST",
        "target": "/v1/kiosks/enroll",
        "body": body,
        "timestamp": TIMESTAMP,
        "nonce": NONCE,
    }
    text = signing_text(**fields)
    signed = sign_request(key, **fields)
    lines = [
        "```text",
        f"kiosk key seed     {SEED.hex()}",
        f"kiosk public key   {public.hex()}",
        "election, kiosk    test-2026, kiosk-01",
        "request            POST /v1/kiosks/enroll",
        f"body               {body.decode()}",
        f"timestamp          {TIMESTAMP}  (2026-12-01T08:00:00Z)",
        f"nonce              {NONCE.hex()}",
        "",
        "signed text (UTF-8, lines joined by \\n, none after the last):",
        *text.decode("ascii").splitlines(),
        "",
        "headers:",
        *(f"{name}: {value}" for name, value in signed.headers().items()),
        "```",
    ]
    return "\n".join(lines)


def test_the_worked_example_in_docs_is_the_code_s() -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert BEGIN in doc, f"{DOC} lacks the {BEGIN} block"
    documented = doc.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    expected = worked_example()
    assert documented == expected, f"replace the block in {DOC} with:\n{expected}"


def test_a_signature_verifies_for_exactly_its_request() -> None:
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    public = signing.public_bytes(key)
    request = {"election_id": "e", "method": "GET", "target": "/v1/kiosks/me", "body": b""}
    signed = sign_request(key, kiosk_id=KioskId("k"), timestamp=TIMESTAMP, **request)
    assert verify_request(public, signed, **request)
    for change in (
        {"election_id": "f"}, {"method": "POST"}, {"target": "/v1/kiosks/me?x"}, {"body": b" "},
    ):  # fmt: skip
        assert not verify_request(public, signed, **{**request, **change})
    parsed = parse_headers(signed.headers())
    assert parsed == signed
    assert "nonce" not in repr(parsed).lower()
    assert signed.signature.hex() not in repr(parsed)


@pytest.mark.parametrize(
    "change",
    [
        {"election_id": "Not An Id"},
        {"kiosk_id": ""},
        {"method": "get"},
        {"target": "v1/no-slash"},
        {"target": "/with space"},
        {"target": "/caf\u00e9"},
        {"timestamp": -1},
        {"nonce": bytes(15)},
    ],
)
def test_fields_without_one_spelling_are_refused(change: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "election_id": "e", "kiosk_id": "k", "method": "GET", "target": "/", "body": b"",
        "timestamp": 0, "nonce": bytes(16),
    }  # fmt: skip
    with pytest.raises(ValueError, match="must"):
        signing_text(**{**fields, **change})


def test_headers_name_what_is_missing() -> None:
    with pytest.raises(
        SignatureHeaderError, match="X-Isoloir-Nonce, X-Isoloir-Signature"
    ) as caught:
        parse_headers({"X-Isoloir-Kiosk": "k", "X-Isoloir-Timestamp": "1"})
    assert caught.value.missing
    unsigned = sign_request(
        signing.generate(), election_id=ElectionId("e"), kiosk_id=KioskId("k"), method="GET",
        target="/", body=b"", timestamp=1,
    ).headers()  # fmt: skip
    with pytest.raises(SignatureHeaderError) as caught:
        parse_headers({**unsigned, "X-Isoloir-Signature": unsigned["X-Isoloir-Signature"] + "="})
    assert not caught.value.missing
