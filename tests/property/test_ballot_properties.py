"""Ballot properties and the mutation test (docs/protocol.md §6-§8).

Hypothesis: encryption round-trips, honest ballots always verify, a challenged ballot opens to
its own choice and to no other, a selection count other than exactly one cannot be proven, a 0/1
proof of any other plaintext fails.

Mutation test: 10,000 mutated proof statements, 0 accepted. A mutation flips one bit of a
ciphertext component, a proof scalar, an option index, the scrutin id or the base hash (or
shifts a ciphertext by G, which stays a valid point). By default each mutation is judged by the
sub-proofs that read the mutated field (the option's 0/1 proof, the sum proof, or all of them):
the other sub-proofs are the untouched, valid originals, so "every affected sub-proof accepts" is
exactly "verify_ballot accepts", at a fraction of the cost. ISOLOIR_SOAK=1 runs the same 10,000
mutations through the full ``verify_ballot`` instead (about 30 s).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from kiosk.crypto import bitproof, dleq, elgamal, group
from kiosk.crypto.ballot import (
    SUM_PROOF_TAG,
    SealedBallot,
    SealedOption,
    _seal_with_nonce,
    _sum_statement,
    check_challenge,
    seal,
    verify_ballot,
)
from kiosk.crypto.bitproof import BitProof
from kiosk.crypto.context import ElectionContext
from kiosk.crypto.dleq import DleqProof
from kiosk.crypto.elgamal import Ciphertext, EncryptionKey
from kiosk.crypto.group import G, L
from kiosk.crypto.hashing import digest, hash_to_scalar
from kiosk.election.model import CandidateList, ListId, Scrutin, ScrutinId

SECRET = hash_to_scalar("test", "secret key")
CONTEXT = ElectionContext(base_hash=digest("test", "base hash"), joint_key=group.base_mul(SECRET))
KEY = EncryptionKey.of(CONTEXT.joint_key)
MUTATIONS = 10_000
SOAK = os.environ.get("ISOLOIR_SOAK") == "1"


def make_scrutin(lists: int, scrutin_id: str = "capn") -> Scrutin:
    return Scrutin(
        id=ScrutinId(scrutin_id),
        title="Scrutin",
        seats=3,
        lists=tuple(
            CandidateList(ListId(f"l{i}"), f"Liste {i}", "", "l.png", "p.pdf", "b.pdf")
            for i in range(lists)
        ),
        blank_label="Vote blanc",
    )


scalars = st.integers(min_value=2, max_value=L - 1)


@given(nonce=scalars, bit=st.integers(0, 1))
def test_encryption_round_trips(nonce: int, bit: int) -> None:
    point = elgamal.plaintext_point(SECRET, elgamal.encrypt_bit(KEY, bit, nonce))
    assert point == (G if bit else None)


@given(lists=st.integers(1, 14), data=st.data(), master=st.binary(min_size=32, max_size=32))
def test_honest_ballots_always_verify(lists: int, data: st.DataObject, master: bytes) -> None:
    scrutin = make_scrutin(lists)
    choice = data.draw(st.sampled_from(scrutin.options))
    ballot = _seal_with_nonce(CONTEXT, scrutin, choice, master).ballot
    assert verify_ballot(CONTEXT, scrutin, ballot)
    points = [elgamal.plaintext_point(SECRET, ct) for ct in ballot.ciphertexts]
    assert points == [G if option == choice else None for option in scrutin.options]


@given(lists=st.integers(1, 5), data=st.data(), master=st.binary(min_size=32, max_size=32))
def test_a_challenged_ballot_opens_to_its_choice_only(
    lists: int, data: st.DataObject, master: bytes
) -> None:
    scrutin = make_scrutin(lists)
    choice, claimed = (data.draw(st.sampled_from(scrutin.options)) for _ in range(2))
    ballot = _seal_with_nonce(CONTEXT, scrutin, choice, master).ballot
    assert check_challenge(CONTEXT, scrutin, ballot, master, claimed) == (claimed == choice)
    other = bytes([master[0] ^ 1]) + master[1:]
    assert not check_challenge(CONTEXT, scrutin, ballot, other, choice)


def _ballot_for_bits(bits: list[int], scrutin_id: str) -> SealedBallot:
    """Honest per-option proofs and the honest sum prover applied to any selection."""
    prefix = bitproof.statement_prefix(CONTEXT.base_hash, scrutin_id)
    options, nonce_sum = [], 0
    for i, bit in enumerate(bits):
        r = group.random_scalar()
        ct = elgamal.encrypt_bit(KEY, bit, r)
        nonces = (group.random_scalar(), group.random_scalar(), group.random_scalar())
        options.append(SealedOption(ct, bitproof.prove(KEY, prefix, i, ct, r, bit, nonces)))
        nonce_sum = (nonce_sum + r) % L
    sum_beta_minus_g = group.sub(elgamal.aggregate(o.ciphertext for o in options).beta, G)
    proof = dleq.prove(
        SUM_PROOF_TAG,
        _sum_statement(CONTEXT.base_hash, scrutin_id, options),
        G,
        KEY.h,
        group.base_mul(nonce_sum),
        sum_beta_minus_g,
        nonce_sum,
    )
    return SealedBallot(ScrutinId(scrutin_id), tuple(options), proof)


@given(bits=st.lists(st.integers(0, 1), min_size=2, max_size=6))
def test_only_exactly_one_selection_can_be_proven(bits: list[int]) -> None:
    scrutin = make_scrutin(len(bits) - 1, "cap")
    # Σβ − G = R·H + (Σm − 1)·G: a DH tuple for (G, H) only when Σm = 1.
    ballot = _ballot_for_bits(bits, "cap")
    assert verify_ballot(CONTEXT, scrutin, ballot) == (sum(bits) == 1)


@given(
    plaintext=st.integers(min_value=2, max_value=L - 1) | st.integers(-1000, -1),
    nonce=scalars,
    branch=st.integers(0, 1),
)
def test_a_zero_one_proof_of_another_plaintext_fails(
    plaintext: int, nonce: int, branch: int
) -> None:
    prefix = bitproof.statement_prefix(CONTEXT.base_hash, "cap")
    ct = Ciphertext(
        group.base_mul(nonce), group.add(group.mul(nonce, KEY.h), group.base_mul(plaintext))
    )
    nonces = (group.random_scalar(), group.random_scalar(), group.random_scalar())
    proof = bitproof.prove(KEY, prefix, 3, ct, nonce, branch, nonces)
    assert not bitproof.verify(KEY, prefix, 3, ct, proof)


# ---- mutation test ----------------------------------------------------------------------------


def _flip(data: bytes, rng: random.Random) -> bytes:
    position = rng.randrange(len(data))
    return (
        data[:position] + bytes([data[position] ^ (1 << rng.randrange(8))]) + data[position + 1 :]
    )


def _flip_scalar(value: int, rng: random.Random) -> int:
    return value ^ (1 << rng.randrange(256))


class _Statement:
    """One ballot's full statement, mutable field by field, verifiable sub-proof by sub-proof."""

    def __init__(self, ballot: SealedBallot, scrutin: Scrutin) -> None:
        self.base_hash = CONTEXT.base_hash
        self.scrutin_id: bytes = scrutin.id.encode()
        self.indices = list(range(len(ballot.options)))
        self.ciphertexts = list(ballot.ciphertexts)
        self.proofs = [option.proof for option in ballot.options]
        self.sum_proof = ballot.sum_proof
        self.count = len(scrutin.options)

    def option_ok(self, i: int) -> bool:
        prefix = bitproof.statement_prefix(self.base_hash, self.scrutin_id.decode("latin-1"))
        try:
            return bitproof.verify(
                KEY, prefix, self.indices[i], self.ciphertexts[i], self.proofs[i]
            )
        except ValueError:  # a mutated point libsodium cannot decode
            return False

    def sum_ok(self) -> bool:
        options = [SealedOption(ct, p) for ct, p in zip(self.ciphertexts, self.proofs, strict=True)]
        try:
            total = elgamal.aggregate(self.ciphertexts)
            sum_beta_minus_g = group.sub(total.beta, G)
        except ValueError:
            return False
        statement = _sum_statement(self.base_hash, self.scrutin_id.decode("latin-1"), options)
        return dleq.verify(
            SUM_PROOF_TAG, statement, G, KEY.h, total.alpha, sum_beta_minus_g, self.sum_proof
        )

    def full_ok(self) -> bool:
        """verify_ballot on the mutated statement (a mutated scrutin id makes a new scrutin)."""
        scrutin_id = self.scrutin_id.decode("latin-1")
        if self.indices != list(range(self.count)):
            # A verifier takes the index from the position: a claimed index is a reordering.
            return all(self.option_ok(i) for i in range(self.count)) and self.sum_ok()
        ballot = SealedBallot(
            ScrutinId(scrutin_id),
            tuple(SealedOption(ct, p) for ct, p in zip(self.ciphertexts, self.proofs, strict=True)),
            self.sum_proof,
        )
        context = ElectionContext(self.base_hash, CONTEXT.joint_key)
        return verify_ballot(context, make_scrutin(self.count - 1, scrutin_id), ballot)


def _mutate(statement: _Statement, rng: random.Random) -> list[Callable[[], bool]]:
    """Apply one mutation; return the checks of the sub-proofs that read the mutated field."""
    i = rng.randrange(statement.count)
    kind = rng.randrange(7)
    if kind == 0:  # a bit of α_i or β_i
        ct = statement.ciphertexts[i]
        statement.ciphertexts[i] = (
            Ciphertext(group.Element(_flip(ct.alpha, rng)), ct.beta)
            if rng.random() < 0.5
            else Ciphertext(ct.alpha, group.Element(_flip(ct.beta, rng)))
        )
        return [lambda: statement.option_ok(i), statement.sum_ok]
    if kind == 1:  # α_i or β_i moved by ±G: still a valid point, another plaintext or nonce
        ct = statement.ciphertexts[i]
        shift = group.add if rng.random() < 0.5 else group.sub
        statement.ciphertexts[i] = (
            Ciphertext(shift(ct.alpha, G), ct.beta)
            if rng.random() < 0.5
            else Ciphertext(ct.alpha, shift(ct.beta, G))
        )
        return [lambda: statement.option_ok(i), statement.sum_ok]
    if kind == 2:  # a bit of one 0/1 proof scalar
        p = statement.proofs[i]
        values = [p.c0, p.c1, p.z0, p.z1]
        j = rng.randrange(4)
        values[j] = _flip_scalar(values[j], rng)
        statement.proofs[i] = BitProof(*values)
        return [lambda: statement.option_ok(i)]
    if kind == 3:  # a bit of the sum proof
        s = statement.sum_proof
        if rng.random() < 0.5:
            statement.sum_proof = DleqProof(_flip_scalar(s.challenge, rng), s.response)
        else:
            statement.sum_proof = DleqProof(s.challenge, _flip_scalar(s.response, rng))
        return [statement.sum_ok]
    if kind == 4:  # a bit of the option index the proof is checked under
        statement.indices[i] ^= 1 << rng.randrange(32)
        return [lambda: statement.option_ok(i)]
    if kind == 5:  # a bit of the scrutin id
        statement.scrutin_id = _flip(statement.scrutin_id, rng)
    else:  # a bit of the election base hash
        statement.base_hash = _flip(statement.base_hash, rng)
    order = rng.sample(range(statement.count), statement.count)
    return [*(lambda k=k: statement.option_ok(k) for k in order), statement.sum_ok]


def test_ten_thousand_mutated_statements_are_all_refused() -> None:
    rng = random.Random(20261201)
    scrutin = make_scrutin(14)
    ballots = [seal(CONTEXT, scrutin, scrutin.options[k]).ballot for k in (0, 7, 14)]
    for ballot in ballots:
        statement = _Statement(ballot, scrutin)
        assert all(statement.option_ok(i) for i in range(15))
        assert statement.sum_ok()
    accepted = []
    for n in range(MUTATIONS):
        statement = _Statement(ballots[n % len(ballots)], scrutin)
        checks = _mutate(statement, rng)
        if statement.full_ok() if SOAK else all(check() for check in checks):
            accepted.append(n)
    assert accepted == []
