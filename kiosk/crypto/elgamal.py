"""Exponential ElGamal over ristretto255 under the joint election key (docs/protocol.md §6).

    (α, β) = (r·G, m·G + r·H)        m ∈ {0, 1} per ballot option, r the option's nonce

A primitive of ``kiosk.crypto``: ballots (``kiosk.crypto.ballot``) and the tally build on it;
nothing outside the crypto package encrypts directly. Encryption runs the same sequence of group
operations for m = 0 and m = 1: the plaintext chooses an input from a table, never a code path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from kiosk.crypto import group
from kiosk.crypto.group import ELEMENT_BYTES, Element, GroupError

CIPHERTEXT_BYTES: Final = 2 * ELEMENT_BYTES


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """One option's encryption: α = r·G, β = m·G + r·H (docs/protocol.md §6)."""

    alpha: Element
    beta: Element

    def to_bytes(self) -> bytes:
        return self.alpha + self.beta

    @classmethod
    def from_bytes(cls, data: bytes) -> Ciphertext:
        """Parse untrusted bytes: two canonical non-identity elements, else ``GroupError``."""
        if len(data) != CIPHERTEXT_BYTES:
            raise GroupError("a ciphertext is 64 bytes")
        return cls(group.element(data[:ELEMENT_BYTES]), group.element(data[ELEMENT_BYTES:]))


@dataclass(frozen=True, slots=True)
class EncryptionKey:
    """The joint key H with what encryption precomputes once per election (docs/protocol.md §6).

    ``plaintext_terms[m] = m·G + H``, so that β = (r − 1)·H + plaintext_terms[m] for m ∈ {0, 1}:
    neither entry is the identity, which libsodium could not represent.
    """

    h: Element
    plaintext_terms: tuple[Element, Element]

    @classmethod
    def of(cls, joint_key: Element) -> EncryptionKey:
        return cls(h=joint_key, plaintext_terms=(joint_key, group.add(group.G, joint_key)))


def encrypt_bit(key: EncryptionKey, bit: int, nonce: int) -> Ciphertext:
    """Encrypt ``bit`` ∈ {0, 1} with ``nonce`` r: one base mult, one variable mult, one add.

    Raises ``GroupError`` only when r ≡ 0 or r ≡ 1 mod L (probability 2⁻²⁵¹ for a derived r).
    """
    alpha = group.base_mul(nonce)
    beta = group.add(group.mul(nonce - 1, key.h), key.plaintext_terms[bit])
    return Ciphertext(alpha, beta)


def add(a: Ciphertext, b: Ciphertext) -> Ciphertext:
    """The homomorphic sum: an encryption of m_a + m_b under nonce r_a + r_b."""
    return Ciphertext(group.add(a.alpha, b.alpha), group.add(a.beta, b.beta))


def aggregate(ciphertexts: Iterable[Ciphertext]) -> Ciphertext:
    """The homomorphic sum of one or more ciphertexts (docs/protocol.md §8, §14)."""
    items = iter(ciphertexts)
    try:
        total = next(items)
    except StopIteration:
        raise ValueError("nothing to aggregate") from None
    for item in items:
        total = add(total, item)
    return total


def plaintext_point(secret: int, ciphertext: Ciphertext) -> Element | None:
    """M = β − s·α = m·G for the full secret s; ``None`` when M is the identity (m = 0).

    Only the tests and the tally's final step hold s, or its shares; a kiosk never does.
    """
    masked = group.mul(secret, ciphertext.alpha)
    if masked == ciphertext.beta:
        return None
    return group.sub(ciphertext.beta, masked)
