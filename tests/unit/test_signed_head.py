"""The server's signed board head (kiosk/record/signed_head.py): one canonical form, a signature
that binds every field and the key it names, strict parsing."""

from __future__ import annotations

import json

import pytest

from kiosk.election import signing
from kiosk.election.model import ElectionId
from kiosk.encoding import canonical_json
from kiosk.record.board import BoardHead
from kiosk.record.signed_head import (
    SignedHeadError,
    parse_signed_head,
    sign_head,
    verify_signed_head,
)

KEY = signing.generate()
HEAD = BoardHead(ElectionId("test-2026"), 3, bytes(range(64)))
FINGERPRINT = "ABCD-EFGH-IJKL-MNOP"
AT = "2026-12-08T16:00:00Z"


def test_a_signed_head_round_trips_and_verifies() -> None:
    signed = sign_head(KEY, HEAD, fingerprint=FINGERPRINT, signed_at=AT)
    data = signed.to_json()
    assert json.loads(data)["schema"] == "isoloir.signed-board-head/1"
    parsed = parse_signed_head(data)
    assert parsed == signed
    assert verify_signed_head(parsed, signing.public_bytes(KEY))
    assert not verify_signed_head(parsed, signing.public_bytes(signing.generate()))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("count", 4),
        ("head", "00" * 64),
        ("election_id", "other-2026"),
        ("fingerprint", "ABCD-EFGH-IJKL-MNOQ"),
        ("signed_at", "2026-12-08T16:00:01Z"),
        ("server_key", None),  # another key named: the signature is not its
    ],
)
def test_every_field_is_signed(field: str, value: object) -> None:
    fields = json.loads(sign_head(KEY, HEAD, fingerprint=FINGERPRINT, signed_at=AT).to_json())
    if field == "server_key":
        other = sign_head(signing.generate(), HEAD, fingerprint=FINGERPRINT, signed_at=AT)
        value = json.loads(other.to_json())["server_key"]
    fields[field] = value
    assert not verify_signed_head(parse_signed_head(canonical_json(fields)))


def test_parsing_is_strict() -> None:
    data = sign_head(KEY, HEAD, fingerprint=FINGERPRINT, signed_at=AT).to_json()
    fields = json.loads(data)
    for broken in (
        data.replace(b",", b", ", 1),  # not canonical
        canonical_json({**fields, "extra": 1}),
        canonical_json({**fields, "schema": "isoloir.board-head/1"}),
        canonical_json({**fields, "signed_at": "2026-12-08 16:00:00"}),
        canonical_json({**fields, "signature": "AAAA"}),
    ):
        with pytest.raises(SignedHeadError):
            parse_signed_head(broken)
    with pytest.raises(ValueError, match="fingerprint"):
        sign_head(KEY, HEAD, fingerprint="nope", signed_at=AT)
