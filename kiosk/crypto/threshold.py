"""Threshold ElGamal: dealer-free key generation and k-of-n decryption (docs/protocol.md §13-14).

Key ceremony (§13), for trustees with indices 1..n and threshold k:

    trustee i picks f_i(z) = a_i,0 + a_i,1·z + ... + a_i,k-1·z^(k-1)   (``new_polynomial``)
    publishes C_i,j = a_i,j·G                                            (``commit``)
    with a proof of knowledge of a_i,0                                   (``prove_dealer_key``)
    sends s_i→l = f_i(l) to trustee l                                    (``evaluate``)
    trustee l checks s_i→l·G = Σ_j l^j·C_i,j                            (``verify_share``)
    x_l = Σ_i s_i→l,  X_l = x_l·G = Σ_i Σ_j l^j·C_i,j                   (``public_share``)
    H = Σ_i C_i,0, and the joint secret x = Σ_i a_i,0 = Σ_l λ_l·x_l     (``joint_key``)

Decryption (§14) of an aggregate ciphertext (A, B) = (r·G, m·G + r·H):

    D_l = x_l·A with a Chaum-Pedersen proof that log_G(X_l) = log_A(D_l)  (``decrypt_share``)
    any k valid D_l: M = B - Σ λ_l·D_l = m·G, λ_l the Lagrange coefficients at 0  (``combine``)
    m by table lookup, 0 <= m <= a known bound                            (``DiscreteLog``)

The group refuses the identity (``group.GroupError``), and m = 0 makes M the identity: ``combine``
compares B with Σ λ_l·D_l first and reports 0 when they are equal, so it never forms M then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from kiosk.crypto import dleq, group
from kiosk.crypto.dleq import DleqProof
from kiosk.crypto.group import Element, GroupError
from kiosk.crypto.hashing import digest, hash_to_scalar, u32

MIN_THRESHOLD: Final = 2
MIN_TRUSTEES: Final = 3
MAX_TRUSTEES: Final = 100  # the package codec's limit

_DEALER_KEY_TAG: Final = "dealer-key"
_SHARE_KEY_TAG: Final = "share-key"
_PARTIAL_TAG: Final = "partial-decryption"
_PARTIAL_CONTEXT_TAG: Final = "partial-decryption-context"


class ThresholdError(ValueError):
    """Decryption cannot complete: too few valid partial decryptions, or no count in range."""


# ---- §13 key ceremony ----------------------------------------------------------------------------


def new_polynomial(threshold: int) -> tuple[int, ...]:
    """The secret coefficients a_0..a_k-1 of a fresh polynomial of degree k-1 (all non-zero)."""
    if threshold < MIN_THRESHOLD:
        raise ValueError(f"threshold must be at least {MIN_THRESHOLD}")
    return tuple(group.random_scalar() for _ in range(threshold))


def commit(coefficients: Sequence[int]) -> tuple[Element, ...]:
    """The Feldman commitments C_j = a_j·G."""
    return tuple(group.base_mul(a) for a in coefficients)


def evaluate(coefficients: Sequence[int], index: int) -> int:
    """f(index) mod L, by Horner's rule."""
    value = 0
    for a in reversed(coefficients):
        value = (value * index + a) % group.L
    return value


def share_commitment(commitments: Sequence[Element], index: int) -> Element:
    """Σ_j index^j·C_j: what f(index)·G must equal. ``GroupError`` if a partial sum is zero."""
    if not commitments:
        raise ValueError("no commitments")
    acc = commitments[-1]
    for c in reversed(commitments[:-1]):  # Horner: k-1 small multiplications and additions
        acc = group.add(group.mul(index, acc), c)
    return acc


def verify_share(commitments: Sequence[Element], index: int, share: int) -> bool:
    """True when ``share`` is f(index) for the polynomial the commitments commit to."""
    if not 0 < share < group.L:
        return False
    try:
        return group.base_mul(share) == share_commitment(commitments, index)
    except GroupError:
        return False


def joint_key(commitment_sets: Iterable[Sequence[Element]]) -> Element:
    """H = Σ_i C_i,0."""
    total: Element | None = None
    for commitments in commitment_sets:
        total = commitments[0] if total is None else group.add(total, commitments[0])
    if total is None:
        raise ValueError("no dealers")
    return total


def public_share(commitment_sets: Sequence[Sequence[Element]], index: int) -> Element:
    """X_index = Σ_i Σ_j index^j·C_i,j, computed from public data alone.

    The dealers' commitments are summed per power first (A_j = Σ_i C_i,j), so the cost is one
    Horner evaluation whatever the number of dealers.
    """
    if not commitment_sets:
        raise ValueError("no dealers")
    width = len(commitment_sets[0])
    if any(len(c) != width for c in commitment_sets):
        raise ValueError("dealers committed to polynomials of different degrees")
    summed = [joint_key(c[j:] for c in commitment_sets) for j in range(width)]
    return share_commitment(summed, index)


@dataclass(frozen=True)
class KnowledgeProof:
    """A Schnorr proof (c, r) of knowledge of x with P = x·G: c = H(tag, context, P, r·G + c·P)."""

    challenge: int
    response: int

    def to_bytes(self) -> bytes:
        return group.scalar_bytes(self.challenge) + group.scalar_bytes(self.response)

    @classmethod
    def from_bytes(cls, data: bytes) -> KnowledgeProof:
        if len(data) != 64:
            raise GroupError("a proof is 64 bytes")
        return cls(group.scalar(data[:32]), group.scalar(data[32:]))


def _prove_knowledge(
    tag: str, context: bytes, secret: int, public: Element, nonce: int | None
) -> KnowledgeProof:
    w = group.random_scalar() if nonce is None else nonce
    c = hash_to_scalar(tag, context, public, group.base_mul(w))
    return KnowledgeProof(challenge=c, response=(w - c * secret) % group.L)


def _verify_knowledge(tag: str, context: bytes, public: Element, proof: KnowledgeProof) -> bool:
    c, r = proof.challenge, proof.response
    if not (0 <= c < group.L and 0 < r < group.L):
        return False
    try:
        commit_w = group.add(group.base_mul(r), group.mul(c, public))
    except GroupError:
        return False
    return hash_to_scalar(tag, context, public, commit_w) == c


def _dealer_context(
    ceremony_id: str, trustee_id: str, index: int, commitments: Sequence[Element]
) -> bytes:
    return digest(
        "dealer-key-context",
        ceremony_id,
        trustee_id,
        u32(index),
        u32(len(commitments)),
        *commitments,
    )


def prove_dealer_key(
    ceremony_id: str,
    trustee_id: str,
    index: int,
    coefficients: Sequence[int],
    nonce: int | None = None,
) -> tuple[tuple[Element, ...], KnowledgeProof]:
    """The dealer's commitments and its proof of knowledge of a_0 = log_G(C_0).

    The challenge binds the ceremony, the dealer's id and index and every commitment, so the proof
    cannot be copied from another dealer or ceremony (it stops rogue-key cancellation, §13.3).
    """
    commitments = commit(coefficients)
    context = _dealer_context(ceremony_id, trustee_id, index, commitments)
    proof = _prove_knowledge(_DEALER_KEY_TAG, context, coefficients[0], commitments[0], nonce)
    return commitments, proof


def verify_dealer_key(
    ceremony_id: str,
    trustee_id: str,
    index: int,
    commitments: Sequence[Element],
    proof: KnowledgeProof,
) -> bool:
    if not commitments:
        return False
    context = _dealer_context(ceremony_id, trustee_id, index, commitments)
    return _verify_knowledge(_DEALER_KEY_TAG, context, commitments[0], proof)


def _share_context(ceremony_id: str, trustee_id: str, index: int, transcript: bytes) -> bytes:
    return digest("share-key-context", ceremony_id, trustee_id, u32(index), transcript)


def prove_share_key(
    ceremony_id: str,
    trustee_id: str,
    index: int,
    transcript: bytes,
    share: int,
    nonce: int | None = None,
) -> KnowledgeProof:
    """Proof that the trustee holds x_l for X_l = x_l·G, bound to the ceremony transcript."""
    context = _share_context(ceremony_id, trustee_id, index, transcript)
    return _prove_knowledge(_SHARE_KEY_TAG, context, share, group.base_mul(share), nonce)


def verify_share_key(
    ceremony_id: str,
    trustee_id: str,
    index: int,
    transcript: bytes,
    public: Element,
    proof: KnowledgeProof,
) -> bool:
    context = _share_context(ceremony_id, trustee_id, index, transcript)
    return _verify_knowledge(_SHARE_KEY_TAG, context, public, proof)


# ---- §14 partial decryption and combination ------------------------------------------------------


def lagrange_at_zero(indices: Sequence[int]) -> dict[int, int]:
    """λ_l = Π_{m ≠ l} m / (m - l) mod L, for distinct non-zero indices."""
    if len(set(indices)) != len(indices) or any(not 0 < i < group.L for i in indices):
        raise ValueError("Lagrange interpolation needs distinct non-zero indices")
    coefficients = {}
    for l_index in indices:
        numerator, denominator = 1, 1
        for m in indices:
            if m != l_index:
                numerator = numerator * m % group.L
                denominator = denominator * (m - l_index) % group.L
        coefficients[l_index] = numerator * pow(denominator, -1, group.L) % group.L
    return coefficients


def decryption_context(
    base_hash: bytes, scrutin_id: str, option_index: int, a: Element, b: Element
) -> bytes:
    """What every partial decryption proof of one option's aggregate binds (§14.1)."""
    return digest(_PARTIAL_CONTEXT_TAG, base_hash, scrutin_id, u32(option_index), a, b)


@dataclass(frozen=True)
class PartialDecryption:
    """Trustee ``index``'s D = x_l·A, with the proof that log_G(X_l) = log_A(D)."""

    index: int
    share: Element
    proof: DleqProof


def decrypt_share(
    index: int,
    secret_share: int,
    a: Element,
    context: bytes,
    *,
    public: Element | None = None,
    nonce: int | None = None,
) -> PartialDecryption:
    """D_l = x_l·A with its Chaum-Pedersen proof; ``context`` from ``decryption_context``."""
    public = group.base_mul(secret_share) if public is None else public
    d = group.mul(secret_share, a)
    proof = dleq.prove(_PARTIAL_TAG, context, group.G, a, public, d, secret_share, nonce)
    return PartialDecryption(index=index, share=d, proof=proof)


def verify_partial(partial: PartialDecryption, public: Element, a: Element, context: bytes) -> bool:
    return dleq.verify(_PARTIAL_TAG, context, group.G, a, public, partial.share, partial.proof)


class DiscreteLog:
    """m from m·G for 1 <= m <= ``bound``, by a table built lazily, once: O(bound) additions."""

    def __init__(self, bound: int) -> None:
        if bound < 0:
            raise ValueError("the bound is a count, not negative")
        self.bound = bound
        self._table: dict[bytes, int] = {}
        self._last: Element | None = None

    def lookup(self, point: Element) -> int | None:
        found = self._table.get(point)
        if found is not None:
            return found
        while len(self._table) < self.bound:
            self._last = group.G if self._last is None else group.add(self._last, group.G)
            self._table[self._last] = len(self._table) + 1
            if self._last == point:
                return len(self._table)
        return None


@dataclass(frozen=True)
class Combination:
    """The decrypted count, the trustees whose shares were used, and those refused (and why)."""

    value: int
    used: tuple[int, ...]
    rejected: tuple[tuple[int, str], ...]


def combine(
    a: Element,
    b: Element,
    partials: Iterable[PartialDecryption],
    public_shares: Mapping[int, Element],
    threshold: int,
    context: bytes,
    table: DiscreteLog,
    names: Mapping[int, str] | None = None,
) -> Combination:
    """m with B - Σ λ_l·D_l = m·G, from the first k partial decryptions with valid proofs.

    Every partial is checked; an unknown index, a duplicate or a bad proof is set aside in
    ``rejected``. Fewer than ``threshold`` valid ones, or no m in 0..bound, is a
    ``ThresholdError`` that names the refused trustees.
    """
    names = names or {}

    def name(index: int) -> str:
        return names.get(index, f"trustee #{index}")

    valid: dict[int, PartialDecryption] = {}
    rejected: list[tuple[int, str]] = []
    for partial in partials:
        public = public_shares.get(partial.index)
        if public is None:
            rejected.append((partial.index, "not a trustee of this election"))
        elif partial.index in valid:
            rejected.append((partial.index, "more than one partial decryption"))
        elif not verify_partial(partial, public, a, context):
            rejected.append((partial.index, "invalid proof"))
        else:
            valid[partial.index] = partial
    if len(valid) < threshold:
        detail = "; ".join(f"{name(i)}: {why}" for i, why in rejected)
        raise ThresholdError(
            f"{threshold} valid partial decryptions needed, {len(valid)} available"
            + (f" (refused: {detail})" if detail else "")
        )
    used = tuple(sorted(valid)[:threshold])
    lambdas = lagrange_at_zero(used)
    try:
        masked = group.mul(lambdas[used[0]], valid[used[0]].share)
        for index in used[1:]:
            masked = group.add(masked, group.mul(lambdas[index], valid[index].share))
    except GroupError:  # x·A is never the identity for honest keys: the data is broken
        raise ThresholdError("the partial decryptions do not combine") from None
    if masked == b:
        return Combination(value=0, used=used, rejected=tuple(rejected))
    value = table.lookup(group.sub(b, masked))
    if value is None:
        raise ThresholdError(f"the decrypted value is not a count from 0 to {table.bound}")
    return Combination(value=value, used=used, rejected=tuple(rejected))
