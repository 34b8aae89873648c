"""What a voter or an auditor checks about one ballot (docs/protocol.md §10, §12, §15.5).

- ``find_tracking_code``: is this tracking code on the board, and where;
- ``check_receipt``: a printed receipt's payload is signed by a kiosk of this election, and its
  ballot is on the board with that same signature;
- ``check_slip``: a challenged ballot's slip is signed by a kiosk of this election
  (``verify_challenge_slip``), opens to the choice it states (``check_challenge``), and that
  ballot was never cast (it is not on the board).

The challenge slip, until the kiosk prints it as a QR code, is this JSON (or its base64),
docs/protocol.md §10:

    {"schema": "isoloir.challenge-slip/2", "election_fingerprint", "scrutin_id",
     "ballot": b64(ballot bytes), "tracking_code", "kiosk_id", "choice": list id or "blank",
     "master_nonce": hex(32 bytes), "signature": b64(64 bytes)}
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.crypto.ballot import (
    MASTER_NONCE_BYTES,
    BallotFormatError,
    ChallengedBallot,
    check_challenge,
    decode_ballot,
    encode_ballot,
)
from kiosk.crypto.challenge_slip import ChallengeSlip, sign_challenge_slip, verify_challenge_slip
from kiosk.crypto.context import election_context
from kiosk.crypto.receipt import ReceiptFormatError, decode_receipt, verify_receipt
from kiosk.crypto.tracking import TrackingCode, is_canonical_tracking_code, tracking_code_of_bytes
from kiosk.election.model import ElectionPackage, KioskId, ListId, ScrutinId
from kiosk.encoding import b64encode, canonical_json
from kiosk.jsonfields import Fields, FormatError
from kiosk.record.board import BoardEntry
from kiosk.verifier.report import Check, Report

SLIP_SCHEMA: Final = "isoloir.challenge-slip/2"
_MAX_SLIP_BYTES: Final = 1 << 20


class SlipError(ValueError):
    """Bytes that are not a challenge slip; the message names the field."""


@dataclass(frozen=True)
class PrintedSlip:
    """What the kiosk prints for a challenged ballot: its signed slip and the ballot's bytes."""

    slip: ChallengeSlip
    ballot: bytes

    def to_json(self) -> bytes:
        slip = self.slip
        return canonical_json(
            {
                "schema": SLIP_SCHEMA,
                "election_fingerprint": slip.election_fingerprint,
                "scrutin_id": slip.scrutin_id,
                "ballot": b64encode(self.ballot),
                "tracking_code": slip.tracking_code,
                "kiosk_id": slip.kiosk_id,
                "choice": slip.choice,
                "master_nonce": slip.master_nonce.hex(),
                "signature": b64encode(slip.signature),
            }
        )


def slip_of(
    challenged: ChallengedBallot,
    election_fingerprint: str,
    *,
    kiosk_id: KioskId,
    kiosk_key: Ed25519PrivateKey,
) -> PrintedSlip:
    """The slip of a challenged ballot, signed and printed by kiosk ``kiosk_id``."""
    slip = sign_challenge_slip(
        kiosk_key, challenged, election_fingerprint=election_fingerprint, kiosk_id=kiosk_id
    )
    return PrintedSlip(slip, encode_ballot(challenged.ballot))


def parse_slip(data: bytes) -> PrintedSlip:
    """A slip as JSON, or as the base64 of that JSON (what a QR code would carry)."""
    if len(data) > _MAX_SLIP_BYTES:
        raise SlipError("too large for a challenge slip")
    text = data.strip()
    if not text.startswith(b"{"):
        try:
            text = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise SlipError("neither JSON nor base64 of JSON: not a challenge slip") from None
    try:
        top = Fields.load(text, "slip")
        top.constant("schema", SLIP_SCHEMA)
        code = top.string("tracking_code", 39)
        if not is_canonical_tracking_code(code):
            raise FormatError("slip.tracking_code: not a tracking code")
        slip = ChallengeSlip(
            election_fingerprint=top.string("election_fingerprint", 19),
            scrutin_id=ScrutinId(top.ident("scrutin_id")),
            tracking_code=TrackingCode(code),
            kiosk_id=KioskId(top.ident("kiosk_id")),
            master_nonce=top.hex("master_nonce", MASTER_NONCE_BYTES),
            choice=ListId(top.ident("choice")),
            signature=top.b64("signature", 64),
        )
        ballot = top.b64("ballot")
        top.done()
    except FormatError as exc:
        raise SlipError(str(exc)) from None
    return PrintedSlip(slip, ballot)


def find_tracking_code(entries: Sequence[BoardEntry], code: TrackingCode) -> BoardEntry | None:
    return next((e for e in entries if e.tracking_code == code), None)


def check_slip(
    package: ElectionPackage,
    printed: PrintedSlip,
    board: Sequence[BoardEntry] | None,
    where: Path,
) -> Report:
    """Each check of a challenge slip; ``board`` given, also that the ballot was never cast."""
    slip = printed.slip
    checks = [
        _check(
            "election",
            "slip of this election",
            slip.election_fingerprint == package.fingerprint,
            f"fingerprint {slip.election_fingerprint}"
            + (
                ""
                if slip.election_fingerprint == package.fingerprint
                else f", the package's is {package.fingerprint}"
            ),
        )
    ]
    manifest = package.manifest
    kiosk = next((k for k in manifest.kiosks if k.id == slip.kiosk_id), None)
    signed = kiosk is not None and verify_challenge_slip(slip, kiosk.public_key)
    checks.append(
        _check(
            "kiosk-signature",
            "signed by a kiosk of the election",
            signed,
            f"kiosk {slip.kiosk_id}"
            + ("" if signed else (" is not listed" if kiosk is None else ": invalid signature")),
        )
    )
    scrutin = next((s for s in manifest.scrutins if s.id == slip.scrutin_id), None)
    ballot = None
    if scrutin is None:
        checks.append(
            _check("ballot", "ballot of a scrutin", False, f"no scrutin {slip.scrutin_id!r}")
        )
    else:
        try:
            ballot = decode_ballot(printed.ballot, scrutin)
            checks.append(_check("ballot", "ballot of a scrutin", True, f"scrutin {scrutin.title}"))
        except BallotFormatError as exc:
            checks.append(_check("ballot", "ballot of a scrutin", False, str(exc)))
    code_ok = tracking_code_of_bytes(printed.ballot) == slip.tracking_code
    checks.append(
        _check(
            "tracking-code",
            "tracking code = hash of the ballot",
            code_ok,
            slip.tracking_code if code_ok else "the code is not the hash of this ballot",
        )
    )
    if scrutin is None or ballot is None:
        checks.append(
            _check(
                "opening", "the ballot encrypts the stated choice", False, "not checked: no ballot"
            )
        )
    else:
        names = {lst.id: lst.name for lst in scrutin.lists}
        choice = names.get(slip.choice, scrutin.blank_label if slip.choice == "blank" else None)
        opened = check_challenge(
            election_context(package), scrutin, ballot, slip.master_nonce, slip.choice
        )
        checks.append(
            _check(
                "opening",
                "the ballot encrypts the stated choice",
                opened,
                f"the kiosk encrypted {choice!r}, as the slip states"
                if opened
                else f"the ballot does not open to {slip.choice!r} with the revealed nonce",
            )
        )
    if board is not None:
        cast = find_tracking_code(board, slip.tracking_code)
        checks.append(
            _check(
                "not-cast",
                "a challenged ballot is never cast",
                cast is None,
                "not on the board" if cast is None else f"on the board at seq {cast.seq}!",
            )
        )
    return Report(where, tuple(checks), subject="the challenged ballot")


def check_receipt(
    package: ElectionPackage, payload: bytes, board: Sequence[BoardEntry] | None, where: Path
) -> Report:
    """A receipt payload: signed by a kiosk of this election, and its ballot on the board (when
    the board is given: before it is published, the signature alone is checked)."""
    try:
        receipt = decode_receipt(payload.strip())
    except ReceiptFormatError as exc:
        check = _check("receipt", "a receipt payload", False, str(exc))
        return Report(where, (check,), subject="the receipt")
    checks = [
        _check("receipt", "a receipt payload", True, f"tracking code {receipt.tracking_code}"),
        _check(
            "election",
            "receipt of this election",
            receipt.election_fingerprint == package.fingerprint,
            f"fingerprint {receipt.election_fingerprint}",
        ),
    ]
    kiosk = next((k for k in package.manifest.kiosks if k.id == receipt.kiosk_id), None)
    signed = kiosk is not None and verify_receipt(receipt, kiosk.public_key)
    checks.append(
        _check(
            "kiosk-signature",
            "signed by a kiosk of the election",
            signed,
            f"kiosk {receipt.kiosk_id}"
            + ("" if signed else (" is not listed" if kiosk is None else ": invalid signature")),
        )
    )
    if board is None:
        return Report(where, tuple(checks), subject="the receipt (signature only: no board given)")
    entry = find_tracking_code(board, receipt.tracking_code)
    same = (
        entry is not None
        and entry.scrutin_id == receipt.scrutin_id
        and entry.kiosk_id == receipt.kiosk_id
        and entry.kiosk_signature == receipt.signature
    )
    checks.append(
        _check(
            "on-the-board",
            "the ballot is on the board",
            same,
            f"seq {entry.seq}, scrutin {entry.scrutin_id}, kiosk {entry.kiosk_id}"
            if entry is not None and same
            else "not on the board"
            if entry is None
            else f"seq {entry.seq} has this code with other fields: report it",
        )
    )
    return Report(where, tuple(checks), subject="the receipt")


def _check(name: str, title: str, passed: bool, detail: str) -> Check:
    return Check(name, title, passed, detail)
