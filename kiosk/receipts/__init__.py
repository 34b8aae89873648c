"""The papers a kiosk prints, and reading their QR codes back (docs/receipts.md).

``documents``: the proof of deposit, the émargement certificate and the challenge slip as
byte-reproducible PDFs, on an 80 mm roll or A4, in French or English; ``emargement``: the
kiosk-signed émargement payload; ``slip_qr``: a challenge slip cut into QR codes and joined
again; ``qr``: every QR payload of a PDF or an image. Qt-free: the kiosk window prints the bytes.
"""

from kiosk.receipts.documents import (
    ChallengedBallotSlip,
    DepositProof,
    EmargementCertificate,
    SyncState,
    challenge_slip_pdf,
    choice_name,
    deposit_proof_pdf,
    emargement_pdf,
)
from kiosk.receipts.emargement import (
    Emargement,
    EmargementFormatError,
    decode_emargement,
    encode_emargement,
    sign_emargement,
    verify_emargement,
)
from kiosk.receipts.qr import QrReadError, qr_payloads, read_qr_payloads
from kiosk.receipts.slip_qr import SlipQrError, join_slip_payloads, slip_qr_payloads
from kiosk.receipts.typeset import Paper

__all__ = [
    "ChallengedBallotSlip",
    "DepositProof",
    "Emargement",
    "EmargementCertificate",
    "EmargementFormatError",
    "Paper",
    "QrReadError",
    "SlipQrError",
    "SyncState",
    "challenge_slip_pdf",
    "choice_name",
    "decode_emargement",
    "deposit_proof_pdf",
    "emargement_pdf",
    "encode_emargement",
    "join_slip_payloads",
    "qr_payloads",
    "read_qr_payloads",
    "sign_emargement",
    "slip_qr_payloads",
    "verify_emargement",
]
