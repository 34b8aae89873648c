"""Sealed ballots: seal, verify, encode, and the Benaloh challenge (docs/protocol.md §6-§10).

A ballot for a scrutin with n options (every list, then blank) holds, per option i, an
exponential ElGamal ciphertext of m_i ∈ {0, 1} with a 0/1 proof, and one proof that Σ m_i = 1.
Everything a seal draws comes from one fresh 32-byte master nonce N, so that a challenged
ballot can be opened from N and the claimed choice. N and the choice never enter a
``SealedBallot``: a one-shot ``PendingBallot`` keeps them in memory until the voter casts
(``cast``: the opening is dropped) or challenges (``challenge``: the opening is revealed), and
then refuses any further use, so a revealed ballot cannot be cast.

Verbs: ``seal``, ``PendingBallot.cast``, ``challenge``, ``check_challenge``, ``verify_ballot``
(``check_ballot`` for the named verdict), ``encode_ballot``, ``decode_ballot``.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from typing import Final

from kiosk.crypto import bitproof, dleq, elgamal, group
from kiosk.crypto.bitproof import BitProof
from kiosk.crypto.context import ElectionContext
from kiosk.crypto.dleq import DleqProof
from kiosk.crypto.elgamal import Ciphertext, EncryptionKey
from kiosk.crypto.group import GroupError, L
from kiosk.crypto.hashing import digest, frame, hash_to_scalar, tagged, u32
from kiosk.election.model import ID_PATTERN_BYTES, ListId, Scrutin, ScrutinId

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


class BallotSpentError(RuntimeError):
    """A pending ballot used again after it was cast or challenged (docs/protocol.md §10)."""


class PendingBallot:
    """A sealed ballot before cast-or-challenge; its opening lives in memory only (§10).

    One-shot: ``cast()`` or ``challenge(pending)`` spends it, and a spent ballot refuses every
    further use, ``ballot`` included, with ``BallotSpentError``. A challenged ballot therefore
    cannot be cast, and a cast one cannot be opened afterwards.
    """

    __slots__ = ("_ballot", "_lock", "_opening", "_scrutin_id")

    def __init__(self, ballot: SealedBallot, opening: _Opening) -> None:
        self._ballot: SealedBallot | None = ballot
        self._opening: _Opening | None = opening
        self._scrutin_id = ballot.scrutin_id
        self._lock = threading.Lock()

    @property
    def ballot(self) -> SealedBallot:
        """The sealed ballot, to show its tracking code while the voter decides."""
        ballot = self._ballot
        if ballot is None:
            raise BallotSpentError("this ballot was already cast or challenged")
        return ballot

    @property
    def spent(self) -> bool:
        return self._ballot is None

    def cast(self) -> SealedBallot:
        """Spend this ballot for casting: the opening is dropped and the ballot returned."""
        ballot, _ = self._spend()
        return ballot

    def _spend(self) -> tuple[SealedBallot, _Opening]:
        with self._lock:  # cast and challenge may race; exactly one of them wins
            ballot, opening = self._ballot, self._opening
            if ballot is None or opening is None:
                raise BallotSpentError("this ballot was already cast or challenged")
            self._ballot = self._opening = None
        return ballot, opening

    def __repr__(self) -> str:  # the nonce and the choice never reach a log or a traceback
        state = ", spent" if self.spent else ""
        return f"PendingBallot(scrutin_id={self._scrutin_id!r}{state})"


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


def seal(context: ElectionContext, scrutin: Scrutin, choice: ListId) -> PendingBallot:
    """Encrypt ``choice`` with all proofs, under a fresh master nonce (docs/protocol.md §6-§8).

    Every call draws a new N from the operating system's CSPRNG; no caller can supply one, since
    two ballots from one N would give away both choices (§6). The group operations and the
    ballot's size are the same for every choice, blank included.
    """
    return _seal_with_nonce(context, scrutin, choice, secrets.token_bytes(MASTER_NONCE_BYTES))


def _seal_with_nonce(
    context: ElectionContext, scrutin: Scrutin, choice: ListId, master_nonce: bytes
) -> PendingBallot:
    """``seal`` under a given N: for the test vectors and tests only. Never reuse an N (§6)."""
    options = scrutin.options
    if not 2 <= len(options) <= MAX_OPTIONS:
        raise ValueError("a scrutin has between 2 and 65535 options")
    if len(master_nonce) != MASTER_NONCE_BYTES:
        raise ValueError("a master nonce is 32 bytes")
    bits, chosen = _selection(options, choice)
    ballot = _seal(context, scrutin.id, bits, chosen, master_nonce)
    return PendingBallot(ballot, _Opening(master_nonce, choice))


def _selection(options: tuple[ListId, ...], choice: ListId) -> tuple[list[int], int]:
    """(m_0 … m_{n−1}, k): one fixed pass over every option, selected by arithmetic (§6).

    The ids are compared as fixed-length digests with ``hmac.compare_digest``, and k is
    Σ i·m_i: no scan stops at the choice and no branch depends on it.
    """
    wanted = hashlib.sha256(choice.encode("utf-8")).digest()
    bits = [int(hmac.compare_digest(option, wanted)) for option in _option_digests(options)]
    if sum(bits) != 1:  # the one branch: an invalid choice, never which valid one
        raise ValueError("the choice is not an option of this scrutin")
    return bits, sum(i * bit for i, bit in enumerate(bits))


@functools.lru_cache(maxsize=64)
def _option_digests(options: tuple[ListId, ...]) -> tuple[bytes, ...]:
    return tuple(hashlib.sha256(option.encode("utf-8")).digest() for option in options)


@functools.lru_cache(maxsize=16)
def _encryption_key(context: ElectionContext) -> EncryptionKey:
    return EncryptionKey.of(context.joint_key)


def _derive(prefix: bytes, framed_fields: bytes) -> int:
    """hash_to_scalar(tag, *prefix_fields, *fields), prefix and fields framed beforehand (§3)."""
    return int.from_bytes(hashlib.sha512(prefix + framed_fields).digest(), "little") % L


def _seal(
    context: ElectionContext, scrutin_id: ScrutinId, bits: list[int], chosen: int, master: bytes
) -> SealedBallot:
    """The ballot of selection ``bits`` (chosen index ``chosen``) under N = ``master`` (§6-§8)."""
    base_hash = context.base_hash
    key = _encryption_key(context)
    count = len(bits)
    nonce_prefix = tagged(NONCE_TAG, master, base_hash, scrutin_id)
    # The choice enters the provers' scalars: should an N ever repeat with another choice, the
    # two ballots' proofs still share no scalar from which r_i or R could be solved (§6).
    proof_nonce_prefix = tagged(PROOF_NONCE_TAG, master, base_hash, scrutin_id, u32(chosen))
    bit_prefix = bitproof.statement_prefix(base_hash, scrutin_id)
    w_field, t_field, c_field = frame(u32(0)), frame(u32(1)), frame(u32(2))
    sealed: list[SealedOption] = []
    nonce_sum = 0
    for i, bit in enumerate(bits):
        index = frame(u32(i))
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
    if not ID_PATTERN_BYTES.fullmatch(scrutin_bytes):
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
    """Open a pending ballot for the voter to check, and spend it (docs/protocol.md §10).

    ``pending`` can no longer be cast (``BallotSpentError``); the kiosk prints the slip and the
    voter chooses again, which seals a new ballot under a new N.
    """
    ballot, opening = pending._spend()
    return ChallengedBallot(ballot, opening.master_nonce, opening.choice)


def check_challenge(
    context: ElectionContext,
    scrutin: Scrutin,
    ballot: SealedBallot,
    master_nonce: bytes,
    claimed_choice: ListId,
) -> bool:
    """True when ``ballot`` encrypts exactly ``claimed_choice`` under ``master_nonce`` (§10).

    What a voter's device or an auditor runs on a challenged ballot. Independent of the sealing
    code: each r_i comes from N by §6's formula, then α_i = r_i·G for every option,
    β_i − r_i·H = G for the claimed one and β_i = r_i·H for every other (points compared, the
    identity never formed); the ballot's proofs verify (§7, §8), and their scalars are the ones
    §6 derives from N, so a challenged ballot carries nothing the kiosk chose but N.
    """
    if len(master_nonce) != MASTER_NONCE_BYTES or claimed_choice not in scrutin.options:
        return False
    if check_ballot(context, scrutin, ballot) is not BallotVerdict.VALID:
        return False
    chosen = scrutin.options.index(claimed_choice)  # public here: the slip states it
    h = context.joint_key
    nonces = []
    try:
        for i, option in enumerate(ballot.options):
            r = hash_to_scalar(NONCE_TAG, master_nonce, context.base_hash, scrutin.id, u32(i))
            alpha, beta = option.ciphertext.alpha, option.ciphertext.beta
            if alpha != group.base_mul(r):
                return False
            r_h = group.mul(r, h)
            if i == chosen:
                if group.sub(beta, r_h) != group.G:  # identity (m_i = 0) raises: refused
                    return False
            elif beta != r_h:
                return False
            nonces.append(r)
    except GroupError:  # r ≡ 0, or β_i = r_i·H for the claimed option
        return False
    return _proof_scalars_follow(context, scrutin.id, ballot, master_nonce, chosen, nonces)


def _proof_scalars_follow(
    context: ElectionContext,
    scrutin_id: ScrutinId,
    ballot: SealedBallot,
    master: bytes,
    chosen: int,
    nonces: list[int],
) -> bool:
    """The proofs' scalars are §6's w_i, t_i, ĉ_i, w_Σ from N, as §7 and §8 combine them."""

    def derived(*fields: bytes) -> int:
        return hash_to_scalar(
            PROOF_NONCE_TAG, master, context.base_hash, scrutin_id, u32(chosen), *fields
        )

    for i, (option, r) in enumerate(zip(ballot.options, nonces, strict=True)):
        w, t, c_sim = (derived(u32(i), u32(j)) for j in range(3))
        proof = option.proof
        if i == chosen:  # true branch 1, simulated branch 0
            expected = (c_sim, proof.c1, (t - c_sim * r) % L, (w - proof.c1 * r) % L)
        else:  # true branch 0, simulated branch 1
            expected = (proof.c0, c_sim, (w - proof.c0 * r) % L, (t - c_sim * r) % L)
        if (proof.c0, proof.c1, proof.z0, proof.z1) != expected:
            return False
    sum_proof = ballot.sum_proof
    w_sum = derived(u32(len(nonces)), u32(0))
    return sum_proof.response == (w_sum - sum_proof.challenge * sum(nonces)) % L
