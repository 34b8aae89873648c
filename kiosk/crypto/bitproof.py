"""Disjunctive Chaum-Pedersen (CDS) proof that a ciphertext encrypts 0 or 1 (docs/protocol.md §7).

Statement: (α, β) encrypts m ∈ {0, 1} under H, i.e. for v = 0 or v = 1, (α, β − v·G) = (r·G, r·H).
Proof (c0, c1, z0, z1); the verifier recomputes, for v ∈ {0, 1},

    a_v = z_v·G + c_v·α        b_v = z_v·H + c_v·(β − v·G)

and accepts when c0 + c1 ≡ H("ballot-bit-proof", base_hash, scrutin_id, u32(i), H, α, β,
a0, b0, a1, b1) mod L: the challenge binds the whole statement, never the commitments alone.

The prover, knowing r, simulates the false branch k = 1 − m from scalars (t, c_k) as
a_k = t·G, b_k = t·H + (2m − 1)·c_k·G, z_k = t − c_k·r (the same distribution as the textbook
simulator, two variable-base multiplications cheaper). The true branch uses a_m = w·G, b_m = w·H,
c_m = c − c_k, z_m = w − c_m·r. Both values of m run one identical sequence of group operations,
and m places the branches by a masked exchange of fixed-width integers (``_exchange``), not by a
branch or a lookup.

A primitive of ``kiosk.crypto``: ``kiosk.crypto.ballot`` is its only caller.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from kiosk.crypto import group
from kiosk.crypto.elgamal import Ciphertext, EncryptionKey
from kiosk.crypto.group import SCALAR_BYTES, GroupError, L
from kiosk.crypto.hashing import frame, tagged, u32

CHALLENGE_TAG: Final = "ballot-bit-proof"
PROOF_BYTES: Final = 4 * SCALAR_BYTES


@dataclass(frozen=True, slots=True)
class BitProof:
    """(c0, c1, z0, z1), scalars mod L (docs/protocol.md §7)."""

    c0: int
    c1: int
    z0: int
    z1: int

    def to_bytes(self) -> bytes:
        return b"".join(
            v.to_bytes(SCALAR_BYTES, "little") for v in (self.c0, self.c1, self.z0, self.z1)
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> BitProof:
        """Parse untrusted bytes: four canonical scalars (< L), else ``GroupError``."""
        if len(data) != PROOF_BYTES:
            raise GroupError("a 0/1 proof is 128 bytes")
        c0, c1, z0, z1 = (group.scalar(data[i : i + SCALAR_BYTES]) for i in range(0, 128, 32))
        return cls(c0, c1, z0, z1)


def statement_prefix(base_hash: bytes, scrutin_id: str) -> bytes:
    """The framed tag and the fields every option proof of one scrutin shares."""
    return tagged(CHALLENGE_TAG, base_hash, scrutin_id)


_FRAMED_32: Final = frame(bytes(32))[:8]  # the length prefix of every 32-byte element


def _challenge(
    prefix: bytes,
    index: int,
    key: EncryptionKey,
    ct: Ciphertext,
    a0: bytes,
    b0: bytes,
    a1: bytes,
    b1: bytes,
) -> int:
    """hash_to_scalar(CHALLENGE_TAG, base_hash, scrutin_id, u32(i), H, α, β, a0, b0, a1, b1)."""
    fields = _FRAMED_32.join((frame(u32(index)), key.h, ct.alpha, ct.beta, a0, b0, a1, b1))
    return int.from_bytes(hashlib.sha512(prefix + fields).digest(), "little") % L


def prove(
    key: EncryptionKey,
    prefix: bytes,
    index: int,
    ct: Ciphertext,
    nonce: int,
    bit: int,
    proof_nonces: tuple[int, int, int],
) -> BitProof:
    """Prove that ``ct`` = Enc(``bit``, ``nonce``) encrypts 0 or 1; ``proof_nonces`` = (w, t, c_k).

    Six group operations (3 base mults, 2 variable mults, 1 add), whatever ``bit`` is.
    """
    w, t, c_sim = proof_nonces
    real = group.base_mul(w) + group.mul(w, key.h)  # a_m ‖ b_m
    simulated = group.base_mul(t) + group.add(
        group.mul(t, key.h), group.base_mul((2 * bit - 1) * c_sim)
    )  # a_k ‖ b_k
    branch0, branch1 = _exchange(
        bit, int.from_bytes(real, "little"), int.from_bytes(simulated, "little")
    )
    first, second = branch0.to_bytes(64, "little"), branch1.to_bytes(64, "little")
    c = _challenge(prefix, index, key, ct, first[:32], first[32:], second[:32], second[32:])
    c_real = (c - c_sim) % L
    z_real = (w - c_real * nonce) % L
    z_sim = (t - c_sim * nonce) % L
    c0, c1 = _exchange(bit, c_real, c_sim)
    z0, z1 = _exchange(bit, z_real, z_sim)
    return BitProof(c0, c1, z0, z1)


def _exchange(bit: int, x: int, y: int) -> tuple[int, int]:
    """(x, y) when ``bit`` is 0, (y, x) when it is 1: a masked swap, with no branch on ``bit``."""
    difference = (x ^ y) & -bit
    return x ^ difference, y ^ difference


def verify(key: EncryptionKey, prefix: bytes, index: int, ct: Ciphertext, proof: BitProof) -> bool:
    """True when ``proof`` shows ``ct`` encrypts 0 or 1 for this exact statement.

    2 base mults, 6 variable mults, 4 adds and 1 sub. A zero challenge or response is refused
    with the rest (libsodium will not return the identity); an honest one is 0 with chance 2⁻²⁵².
    """
    c0, c1, z0, z1 = proof.c0, proof.c1, proof.z0, proof.z1
    if not (0 <= c0 < L and 0 <= c1 < L and 0 <= z0 < L and 0 <= z1 < L):
        return False
    alpha, beta, h = ct.alpha, ct.beta, key.h
    try:
        a0 = group.add(group.base_mul(z0), group.mul(c0, alpha))
        b0 = group.add(group.mul(z0, h), group.mul(c0, beta))
        a1 = group.add(group.base_mul(z1), group.mul(c1, alpha))
        b1 = group.add(group.mul(z1, h), group.mul(c1, group.sub(beta, group.G)))
    except GroupError:
        return False
    return (c0 + c1) % L == _challenge(prefix, index, key, ct, a0, b0, a1, b1)
