"""Chaum-Pedersen proof of equal discrete logarithms (docs/protocol.md §5).

Statement: given generators P1, P2 and elements A, B, the prover knows x with A = x·P1 and
B = x·P2. Proof (c, r): commitments a = w·P1, b = w·P2 for a fresh w;
c = H(tag, context, P1, P2, A, B, a, b); r = w - c·x mod L. The verifier recomputes
a = r·P1 + c·A and b = r·P2 + c·B and checks the challenge. The challenge binds the whole
statement (both generators, both elements) and the caller's context (election base hash,
scrutin, purpose), so a proof cannot be replayed for another statement.

Used for the "options sum to one" proof of a ballot and for trustees' partial decryptions.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.crypto import group
from kiosk.crypto.group import Element, GroupError
from kiosk.crypto.hashing import hash_to_scalar


@dataclass(frozen=True)
class DleqProof:
    challenge: int
    response: int

    def to_bytes(self) -> bytes:
        return group.scalar_bytes(self.challenge) + group.scalar_bytes(self.response)

    @classmethod
    def from_bytes(cls, data: bytes) -> DleqProof:
        if len(data) != 64:
            raise GroupError("a proof is 64 bytes")
        return cls(group.scalar(data[:32]), group.scalar(data[32:]))


def _times(k: int, base: Element) -> Element:
    return group.base_mul(k) if base == group.G else group.mul(k, base)


def prove(
    tag: str,
    context: bytes,
    p1: Element,
    p2: Element,
    a: Element,
    b: Element,
    secret: int,
    nonce: int | None = None,
) -> DleqProof:
    """Prove log_p1(a) = log_p2(b) = ``secret``; ``nonce`` (w) is fresh unless given."""
    w = group.random_scalar() if nonce is None else nonce
    commit_a = _times(w, p1)
    commit_b = _times(w, p2)
    c = hash_to_scalar(tag, context, p1, p2, a, b, commit_a, commit_b)
    return DleqProof(challenge=c, response=(w - c * secret) % group.L)


def verify(
    tag: str, context: bytes, p1: Element, p2: Element, a: Element, b: Element, proof: DleqProof
) -> bool:
    """True when ``proof`` shows log_p1(a) = log_p2(b) for this exact statement and context."""
    c, r = proof.challenge, proof.response
    if not (0 <= c < group.L and 0 <= r < group.L):
        return False
    try:
        commit_a = group.add(_times(r, p1), group.mul(c, a))
        commit_b = group.add(_times(r, p2), group.mul(c, b))
    except GroupError:
        return False
    return hash_to_scalar(tag, context, p1, p2, a, b, commit_a, commit_b) == c
