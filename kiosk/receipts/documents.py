"""The three papers a kiosk prints (docs/receipts.md), each on an 80 mm roll or on A4:

- the proof of deposit: scrutin, time, tracking code, whether the ballot reached the ballot box,
  and the QR code of the signed receipt payload (docs/protocol.md §12), never the voter or the
  choice;
- the émargement certificate: the voter's name, scrutin, time and kiosk under the kiosk's
  signature (``kiosk.receipts.emargement``), never the tracking code or the choice;
- the challenge slip of a ballot the voter chose to check instead of casting: the choice it
  encrypts, its tracking code, and the signed slip in QR codes (docs/protocol.md §10).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from kiosk.config import Language
from kiosk.crypto.receipt import Receipt, encode_receipt
from kiosk.election.model import BLANK_OPTION, ListId, Scrutin
from kiosk.receipts.emargement import Emargement, encode_emargement
from kiosk.receipts.slip_qr import slip_qr_payloads
from kiosk.receipts.strings import printed_time, strings
from kiosk.receipts.typeset import (
    Banner,
    Code,
    Field,
    Fields,
    Note,
    Paper,
    QrCode,
    QrCodes,
    Sheet,
    SmallPrint,
    Tone,
    render_sheet,
)
from kiosk.verifier.ballots import PrintedSlip


class SyncState(Enum):
    DEPOSITED = "deposited"  # the server acknowledged the envelope: the ballot is in the box
    PENDING = "pending"  # kept in the kiosk until the connection is back


@dataclass(frozen=True)
class DepositProof:
    """What a proof of deposit prints: a whitelist, with no voter and no choice in it."""

    election_title: str
    scrutin_title: str
    cast_at: datetime  # aware; printed in Europe/Paris
    receipt: Receipt
    sync: SyncState


@dataclass(frozen=True)
class EmargementCertificate:
    election_title: str
    scrutin_title: str
    emargement: Emargement


@dataclass(frozen=True)
class ChallengedBallotSlip:
    election_title: str
    scrutin_title: str
    choice_name: str  # the list's name, or the scrutin's blank label: see ``choice_name``
    challenged_at: datetime  # aware; printed in Europe/Paris
    printed: PrintedSlip


def choice_name(scrutin: Scrutin, choice: ListId) -> str:
    """How the package names an option of ``scrutin``: a list's name, or the blank vote's."""
    if choice == BLANK_OPTION:
        return scrutin.blank_label
    for candidate_list in scrutin.lists:
        if candidate_list.id == choice:
            return candidate_list.name
    raise KeyError("the choice is not an option of this scrutin")  # never the choice itself


def deposit_proof_pdf(
    proof: DepositProof, *, paper: Paper = Paper.ROLL_80MM, language: Language = "fr"
) -> bytes:
    words = strings(language)
    receipt = proof.receipt
    when = printed_time(proof.cast_at, language)
    deposited = proof.sync is SyncState.DEPOSITED
    sheet = Sheet(
        kicker=proof.election_title,
        title=words.deposit_title,
        blocks=(
            Fields(
                (
                    Field(words.scrutin, proof.scrutin_title),
                    Field(words.date_time, f"{when.date}\n{when.clock}", when.zone),
                    Field(words.kiosk, receipt.kiosk_id),
                )
            ),
            Code(words.tracking_code, receipt.tracking_code),
            Banner(
                words.deposited if deposited else words.pending,
                words.deposited_note if deposited else words.pending_note,
                Tone.DONE if deposited else Tone.WAITING,
            ),
            QrCodes((QrCode(encode_receipt(receipt)),), words.receipt_qr_note),
            Note(words.receipt_check_note),
            SmallPrint((Field(words.fingerprint, receipt.election_fingerprint),)),
        ),
        subject=proof.scrutin_title,
    )
    return render_sheet(sheet, paper)


def emargement_pdf(
    certificate: EmargementCertificate,
    *,
    paper: Paper = Paper.ROLL_80MM,
    language: Language = "fr",
) -> bytes:
    words = strings(language)
    emargement = certificate.emargement
    when = printed_time(emargement.voted_at, language)
    signature = base64.urlsafe_b64encode(emargement.signature).rstrip(b"=").decode("ascii")
    sheet = Sheet(
        kicker=certificate.election_title,
        title=words.emargement_title,
        blocks=(
            Fields(
                (
                    Field(words.voter, emargement.voter_name),
                    Field(words.scrutin, certificate.scrutin_title),
                    Field(words.date_time, f"{when.date}\n{when.clock}", when.zone),
                    Field(words.kiosk, emargement.kiosk_id),
                )
            ),
            Note(words.emargement_note),
            QrCodes((QrCode(encode_emargement(emargement)),), words.emargement_qr_note),
            SmallPrint(
                (
                    Field(words.fingerprint, emargement.election_fingerprint),
                    Field(words.signature, signature),
                )
            ),
        ),
        subject=certificate.scrutin_title,
    )
    return render_sheet(sheet, paper)


def challenge_slip_pdf(
    slip: ChallengedBallotSlip, *, paper: Paper = Paper.ROLL_80MM, language: Language = "fr"
) -> bytes:
    words = strings(language)
    signed = slip.printed.slip
    when = printed_time(slip.challenged_at, language)
    payloads = slip_qr_payloads(slip.printed)
    count = len(payloads)
    codes = tuple(
        QrCode(payload, words.qr_part.format(part=k, parts=count) if count > 1 else "")
        for k, payload in enumerate(payloads, 1)
    )
    sheet = Sheet(
        kicker=slip.election_title,
        title=words.challenge_title,
        blocks=(
            Banner(words.not_cast, words.challenge_note, Tone.ALERT),
            Fields(
                (
                    Field(words.scrutin, slip.scrutin_title),
                    Field(words.claimed_choice, slip.choice_name),
                    Field(words.date_time, f"{when.date}\n{when.clock}", when.zone),
                    Field(words.kiosk, signed.kiosk_id),
                )
            ),
            Code(words.tracking_code, signed.tracking_code),
            QrCodes(codes, words.challenge_check_note),
            SmallPrint((Field(words.fingerprint, signed.election_fingerprint),)),
        ),
        subject=slip.scrutin_title,
    )
    return render_sheet(sheet, paper)
