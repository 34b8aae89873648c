"""Sealed ballots: seal, verify, encode, and the Benaloh challenge (docs/protocol.md §6-§10).

A ballot for a scrutin with n options (every list, then blank) holds, per option i, an
exponential ElGamal ciphertext of m_i ∈ {0, 1} with a 0/1 proof, and one proof that Σ m_i = 1.
Everything a seal draws comes from one 32-byte master nonce, so that a challenged ballot can be
re-sealed, byte for byte, from the nonce and the claimed choice. The master nonce and the choice
never enter a ``SealedBallot``: a ``PendingBallot`` keeps them in memory until the voter casts
(the kiosk then drops the opening) or challenges (the kiosk reveals it and never casts that
ballot).

Verbs: ``seal``, ``verify_ballot`` (``check_ballot`` for the named verdict), ``encode_ballot``,
``decode_ballot``, ``challenge``, ``check_challenge``.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Final

from kiosk.crypto import bitproof, dleq, elgamal, group
from kiosk.crypto.bitproof import BitProof
from kiosk.crypto.context import ElectionContext
from kiosk.crypto.dleq import DleqProof
from kiosk.crypto.elgamal import Ciphertext, EncryptionKey
from kiosk.crypto.group import GroupError, L
from kiosk.crypto.hashing import digest, frame, tagged, u32
from kiosk.election.model import ListId, Scrutin, ScrutinId

MASTER_NONCE_BYTES: Final = 32
BALLOT_MAGIC: Final = b"ISB\x01"
"""``I``soloir ``S``ealed ``B``allot, layout version 1 (docs/protocol.md §9)."""
MAX_OPTIONS: Final = 0xFFFF  # n is two bytes in the encoding (§9)
NONCE_TAG: Final = "ballot-nonce"
PROOF_NONCE_TAG: Final = "ballot-proof-nonce"
SUM_STATEMENT_TAG: Final = "ballot-sum-statement"
SUM_PROOF_TAG: Final = "ballot-sum-proof"

_OPTION_BYTES: Final = elgamal.CIPHERTEXT_BYTES + bitproof.PROOF_BYTES
_SUM_PROOF_BYTES: Final = 64
_ID = re.compile(rb"[a-z0-9][a-z0-9._-]{0,63}")  # the package's id syntax (election/codec.py)


class BallotFormatError(ValueError):
    """Bytes that are not a canonical sealed ballot (docs/protocol.md §9)."""


@dataclass(frozen=True, slots=True)
class SealedOption:
    """Option i: Enc(m_i) with its 0/1 proof (docs/protocol.md §6, §7)."""

    ciphertext: Ciphertext
    proof: BitProof


@dataclass(frozen=True)
class SealedBallot:
    """What is cast and published: no nonce, no choice, no voter (docs/protocol.md §9)."""

    scrutin_id: ScrutinId
    options: tuple[SealedOption, ...]
    sum_proof: DleqProof

    @property
    def ciphertexts(self) -> tuple[Ciphertext, ...]:
        return tuple(option.ciphertext for option in self.options)

    def __repr__(self) -> str:  # three kilobytes of numbers help no log reader
        return f"SealedBallot(scrutin_id={self.scrutin_id!r}, options={len(self.options)})"


class BallotVerdict(enum.Enum):
    """Why ``check_ballot`` refused; every cryptographic failure is the same ``INVALID_PROOF``."""

    VALID = "valid"
    WRONG_SCRUTIN = "wrong-scrutin"
    WRONG_OPTION_COUNT = "wrong-option-count"
    INVALID_PROOF = "invalid-proof"


@dataclass(frozen=True)
class _Opening:
    master_nonce: bytes
    choice: ListId

    def __repr__(self) -> str:
        return "_Opening(<secret>)"


@dataclass(frozen=True)
class PendingBallot:
    """A sealed ballot before cast-or-challenge; its opening lives in memory only (§10)."""

    ballot: SealedBallot
    _opening: _Opening = field(repr=False)

    def __repr__(self) -> str:  # the nonce and the choice never reach a log or a traceback
        return f"PendingBallot(scrutin_id={self.ballot.scrutin_id!r})"


@dataclass(frozen=True)
class ChallengedBallot:
    """A spoiled ballot with its opening, printed for the voter to check (docs/protocol.md §10).

    It must never be cast: the kiosk discards the ballot and lets the voter choose again.
    """

    ballot: SealedBallot
    master_nonce: bytes
    choice: ListId

    def __repr__(self) -> str:  # public on paper, still kept out of logs
        return f"ChallengedBallot(scrutin_id={self.ballot.scrutin_id!r})"


# ---- seal ----------------------------------------------------------------------------------


def seal(
    context: ElectionContext,
    scrutin: Scrutin,
    choice: ListId,
    *,
    master_nonce: bytes | None = None,
) -> PendingBallot:
    """Encrypt ``choice`` with all proofs (docs/protocol.md §6-§8).

    ``master_nonce`` is fresh (32 random bytes) unless given: only tests, test vectors and
    ``check_challenge`` pass one. The group operations and the ballot's size are the same for
    every choice, blank included.
    """
    options = scrutin.options
    if not 2 <= len(options) <= MAX_OPTIONS:
        raise ValueError("a scrutin has between 2 and 65535 options")
    if choice not in options:
        raise ValueError("the choice is not an option of this scrutin")
    master = secrets.token_bytes(MASTER_NONCE_BYTES) if master_nonce is None else master_nonce
    if len(master) != MASTER_NONCE_BYTES:
        raise ValueError("a master nonce is 32 bytes")
    ballot = _seal(context, scrutin.id, len(options), options.index(choice), master)
    return PendingBallot(ballot, _Opening(master, choice))


@functools.lru_cache(maxsize=16)
def _encryption_key(context: ElectionContext) -> EncryptionKey:
    return EncryptionKey.of(context.joint_key)


def _derive(prefix: bytes, framed_fields: bytes) -> int:
    """hash_to_scalar(tag, *prefix_fields, *fields), prefix and fields framed beforehand (§3)."""
    return int.from_bytes(hashlib.sha512(prefix + framed_fields).digest(), "little") % L


def _seal(
    context: ElectionContext, scrutin_id: ScrutinId, count: int, chosen: int, master: bytes
) -> SealedBallot:
    base_hash = context.base_hash
    key = _encryption_key(context)
    nonce_prefix = tagged(NONCE_TAG, master, base_hash, scrutin_id)
    proof_nonce_prefix = tagged(PROOF_NONCE_TAG, master, base_hash, scrutin_id)
    bit_prefix = bitproof.statement_prefix(base_hash, scrutin_id)
    w_field, t_field, c_field = frame(u32(0)), frame(u32(1)), frame(u32(2))
    sealed: list[SealedOption] = []
    nonce_sum = 0
    for i in range(count):
        index = frame(u32(i))
        bit = int(i == chosen)
        nonce = _derive(nonce_prefix, index)
        proof_nonces = (
            _derive(proof_nonce_prefix, index + w_field),
            _derive(proof_nonce_prefix, index + t_field),
            _derive(proof_nonce_prefix, index + c_field),
        )
        ciphertext = elgamal.encrypt_bit(key, bit, nonce)
        proof = bitproof.prove(key, bit_prefix, i, ciphertext, nonce, bit, proof_nonces)
        sealed.append(SealedOption(ciphertext, proof))
        nonce_sum += nonce
    nonce_sum %= L
    # Σα = R·G and Σβ − G = R·H for R = Σr: two multiplications instead of 2n − 1 additions.
    sum_alpha = group.base_mul(nonce_sum)
    sum_beta_minus_g = group.mul(nonce_sum, key.h)
    sum_proof = dleq.prove(
        SUM_PROOF_TAG,
        _sum_statement(base_hash, scrutin_id, sealed),
        group.G,
        key.h,
        sum_alpha,
        sum_beta_minus_g,
        nonce_sum,
        nonce=_derive(proof_nonce_prefix, frame(u32(count), u32(0))),
    )
    return SealedBallot(scrutin_id, tuple(sealed), sum_proof)


def _sum_statement(base_hash: bytes, scrutin_id: str, options: list[SealedOption]) -> bytes:
    """The sum proof's context: every ciphertext, in order, so a proof lifts to no other ballot."""
    parts: list[bytes | str] = [base_hash, scrutin_id, u32(len(options))]
    for option in options:
        parts.append(option.ciphertext.alpha)
        parts.append(option.ciphertext.beta)
    return digest(SUM_STATEMENT_TAG, *parts)


# ---- verify --------------------------------------------------------------------------------


def verify_ballot(context: ElectionContext, scrutin: Scrutin, ballot: SealedBallot) -> bool:
    """True when ``ballot`` is a well-formed, correctly proven ballot for ``scrutin`` (§7, §8)."""
    return check_ballot(context, scrutin, ballot) is BallotVerdict.VALID


def check_ballot(context: ElectionContext, scrutin: Scrutin, ballot: SealedBallot) -> BallotVerdict:
    """``verify_ballot`` with the reason for a refusal (docs/protocol.md §7, §8)."""
    if ballot.scrutin_id != scrutin.id:
        return BallotVerdict.WRONG_SCRUTIN
    if len(ballot.options) != len(scrutin.options):
        return BallotVerdict.WRONG_OPTION_COUNT
    key = _encryption_key(context)
    prefix = bitproof.statement_prefix(context.base_hash, ballot.scrutin_id)
    options = list(ballot.options)
    for i, option in enumerate(options):
        if not bitproof.verify(key, prefix, i, option.ciphertext, option.proof):
            return BallotVerdict.INVALID_PROOF
    if not _verify_sum(context, key, ballot.scrutin_id, options, ballot.sum_proof):
        return BallotVerdict.INVALID_PROOF
    return BallotVerdict.VALID


def _verify_sum(
    context: ElectionContext,
    key: EncryptionKey,
    scrutin_id: str,
    options: list[SealedOption],
    proof: DleqProof,
) -> bool:
    """(Σα, Σβ − G) = (R·G, R·H) for some R: the options add up to exactly one (§8)."""
    add = group.add
    try:
        sum_alpha = options[0].ciphertext.alpha
        sum_beta = options[0].ciphertext.beta
        for option in options[1:]:
            sum_alpha = add(sum_alpha, option.ciphertext.alpha)
            sum_beta = add(sum_beta, option.ciphertext.beta)
        sum_beta_minus_g = group.sub(sum_beta, group.G)
    except GroupError:
        return False
    statement = _sum_statement(context.base_hash, scrutin_id, options)
    return dleq.verify(SUM_PROOF_TAG, statement, group.G, key.h, sum_alpha, sum_beta_minus_g, proof)


# ---- canonical bytes -----------------------------------------------------------------------


def encode_ballot(ballot: SealedBallot) -> bytes:
    """The canonical bytes (docs/protocol.md §9); equal ballots, equal bytes, and only those."""
    scrutin = ballot.scrutin_id.encode("ascii")
    parts = [BALLOT_MAGIC, bytes([len(scrutin)]), scrutin, len(ballot.options).to_bytes(2, "big")]
    for option in ballot.options:
        parts.append(option.ciphertext.alpha)
        parts.append(option.ciphertext.beta)
        parts.append(option.proof.to_bytes())
    parts.append(ballot.sum_proof.to_bytes())
    return b"".join(parts)


def decode_ballot(data: bytes, scrutin: Scrutin | None = None) -> SealedBallot:
    """Parse untrusted bytes strictly (docs/protocol.md §9), else ``BallotFormatError``.

    Refuses a wrong magic or length, a scrutin id outside the package's id syntax, an identity or
    non-canonical point, a scalar ≥ L; with ``scrutin``, also another scrutin or option count.
    """
    if data[:4] != BALLOT_MAGIC or len(data) < 6:
        raise BallotFormatError("not a sealed ballot (magic)")
    id_end = 5 + data[4]
    scrutin_bytes = data[5:id_end]
    if not _ID.fullmatch(scrutin_bytes):
        raise BallotFormatError("sealed ballot: invalid scrutin id")
    count = int.from_bytes(data[id_end : id_end + 2], "big")
    if count < 2:
        raise BallotFormatError("sealed ballot: fewer than two options")
    body = id_end + 2
    if len(data) != body + count * _OPTION_BYTES + _SUM_PROOF_BYTES:
        raise BallotFormatError("sealed ballot: wrong length")
    scrutin_id = ScrutinId(scrutin_bytes.decode("ascii"))
    if scrutin is not None and scrutin_id != scrutin.id:
        raise BallotFormatError("sealed ballot: another scrutin")
    if scrutin is not None and count != len(scrutin.options):
        raise BallotFormatError("sealed ballot: wrong option count")
    options = []
    try:
        for i in range(count):
            start = body + i * _OPTION_BYTES
            ciphertext = Ciphertext.from_bytes(data[start : start + elgamal.CIPHERTEXT_BYTES])
            proof = BitProof.from_bytes(
                data[start + elgamal.CIPHERTEXT_BYTES : start + _OPTION_BYTES]
            )
            options.append(SealedOption(ciphertext, proof))
        sum_proof = DleqProof.from_bytes(data[-_SUM_PROOF_BYTES:])
    except GroupError:
        raise BallotFormatError("sealed ballot: invalid point or scalar") from None
    return SealedBallot(scrutin_id, tuple(options), sum_proof)


# ---- Benaloh challenge ---------------------------------------------------------------------


def challenge(pending: PendingBallot) -> ChallengedBallot:
    """Open a pending ballot for the voter to check (docs/protocol.md §10).

    The caller must never cast this ballot afterwards; the kiosk discards it and the voter
    chooses again.
    """
    return ChallengedBallot(pending.ballot, pending._opening.master_nonce, pending._opening.choice)


def check_challenge(
    context: ElectionContext,
    scrutin: Scrutin,
    ballot: SealedBallot,
    master_nonce: bytes,
    claimed_choice: ListId,
) -> bool:
    """True when sealing ``claimed_choice`` with ``master_nonce`` gives ``ballot``, byte for byte.

    What a voter's device or an auditor runs on a challenged ballot (docs/protocol.md §10): it
    shows that the kiosk encrypted the claimed choice, since the encryption is a function of the
    nonce and the choice alone.
    """
    if claimed_choice not in scrutin.options or len(master_nonce) != MASTER_NONCE_BYTES:
        return False
    if ballot.scrutin_id != scrutin.id or len(ballot.options) != len(scrutin.options):
        return False
    try:
        resealed = seal(context, scrutin, claimed_choice, master_nonce=master_nonce).ballot
    except GroupError:  # a nonce deriving r ≡ 0 or 1: no honest ballot came from it
        return False
    return encode_ballot(resealed) == encode_ballot(ballot)
