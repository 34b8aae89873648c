"""Sealed ballots, their proofs, tracking codes, challenges, envelopes and receipts.

docs/protocol.md §6-§12.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
import secrets
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.crypto import ballot as ballot_module
from kiosk.crypto import bitproof, dleq, elgamal, group
from kiosk.crypto.ballot import (
    BallotFormatError,
    BallotSpentError,
    BallotVerdict,
    SealedBallot,
    SealedOption,
    _seal_with_nonce,
    challenge,
    check_ballot,
    check_challenge,
    decode_ballot,
    encode_ballot,
    seal,
    verify_ballot,
)
from kiosk.crypto.context import ElectionContext
from kiosk.crypto.elgamal import Ciphertext, EncryptionKey
from kiosk.crypto.envelope import (
    EnvelopeFormatError,
    decode_envelope,
    encode_envelope,
    sign_envelope,
    verify_envelope,
)
from kiosk.crypto.group import G, L
from kiosk.crypto.hashing import digest, frame, hash_to_scalar, u32
from kiosk.crypto.receipt import (
    ReceiptFormatError,
    decode_receipt,
    encode_receipt,
    sign_receipt,
    verify_receipt,
)
from kiosk.crypto.tracking import (
    TrackingCode,
    parse_tracking_code,
    tracking_code,
    tracking_code_of_bytes,
)
from kiosk.election.model import (
    CandidateList,
    ElectionId,
    KioskId,
    ListId,
    Scrutin,
    ScrutinId,
    VoterId,
)

SECRET = hash_to_scalar("test", "secret key")
CONTEXT = ElectionContext(base_hash=digest("test", "base hash"), joint_key=group.base_mul(SECRET))
KEY = EncryptionKey.of(CONTEXT.joint_key)
TRACKING = re.compile(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){7}")


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


BIG = make_scrutin(14)  # 15 options: 14 lists + blank
SMALL = make_scrutin(2, "cap")


@pytest.fixture(scope="module")
def big_ballots() -> dict[ListId, SealedBallot]:
    return {choice: seal(CONTEXT, BIG, choice).ballot for choice in BIG.options}


def decrypt(ballot: SealedBallot) -> list[int]:
    points = [elgamal.plaintext_point(SECRET, ct) for ct in ballot.ciphertexts]
    assert all(point in (None, G) for point in points)
    return [0 if point is None else 1 for point in points]


# ---- encryption (§6) ------------------------------------------------------------------------


def test_every_choice_decrypts_to_a_single_one(big_ballots: dict[ListId, SealedBallot]) -> None:
    for choice, ballot in big_ballots.items():
        assert decrypt(ballot) == [int(option == choice) for option in BIG.options]


def test_encrypt_bit_round_trip_and_homomorphic_sum() -> None:
    ones = [elgamal.encrypt_bit(KEY, 1, group.random_scalar()) for _ in range(3)]
    zero = elgamal.encrypt_bit(KEY, 0, group.random_scalar())
    assert elgamal.plaintext_point(SECRET, ones[0]) == G
    assert elgamal.plaintext_point(SECRET, zero) is None
    total = elgamal.aggregate([*ones, zero])
    assert elgamal.plaintext_point(SECRET, total) == group.base_mul(3)
    assert Ciphertext.from_bytes(total.to_bytes()) == total
    with pytest.raises(ValueError, match="nothing"):
        elgamal.aggregate([])


def test_per_option_nonces_follow_the_documented_derivation() -> None:
    master = bytes(range(32))
    ballot = _seal_with_nonce(CONTEXT, SMALL, ListId("l1"), master).ballot
    for i, option in enumerate(ballot.options):
        r = hash_to_scalar("ballot-nonce", master, CONTEXT.base_hash, "cap", u32(i))
        assert option.ciphertext.alpha == group.base_mul(r)
        expected_beta = group.mul(r, CONTEXT.joint_key)
        if i == 1:
            expected_beta = group.add(expected_beta, G)
        assert option.ciphertext.beta == expected_beta


def test_sealing_is_a_function_of_the_master_nonce_and_the_choice() -> None:
    master = secrets.token_bytes(32)
    first = _seal_with_nonce(CONTEXT, SMALL, ListId("l0"), master).ballot
    assert _seal_with_nonce(CONTEXT, SMALL, ListId("l0"), master).ballot == first
    assert seal(CONTEXT, SMALL, ListId("l0")).ballot != first
    assert _seal_with_nonce(CONTEXT, SMALL, ListId("blank"), master).ballot != first


def test_the_public_seal_always_draws_a_fresh_master_nonce(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert list(inspect.signature(seal).parameters) == ["context", "scrutin", "choice"]
    with pytest.raises(TypeError):
        seal(CONTEXT, SMALL, ListId("l0"), master_nonce=bytes(32))  # type: ignore[call-arg]
    drawn: list[bytes] = []
    draw = secrets.token_bytes

    def token_bytes(n: int) -> bytes:
        drawn.append(draw(n))
        return drawn[-1]

    monkeypatch.setattr(ballot_module.secrets, "token_bytes", token_bytes)
    first, second = (seal(CONTEXT, SMALL, ListId("l0")) for _ in range(2))
    assert [len(n) for n in drawn] == [32, 32]
    assert challenge(first).master_nonce == drawn[0]
    assert challenge(second).master_nonce == drawn[1]


def test_a_repeated_master_nonce_gives_away_no_nonce_through_the_proofs() -> None:
    """Same N, other choice: the proofs' scalars differ, so r_i and R cannot be solved for.

    Were w_i, t_i, ĉ_i and w_Σ the same for both ballots (as they are for a fixed choice), option
    0's true-branch responses z = w − c·r_0 under two challenges would give r_0, and the sum
    proofs' z = w_Σ − c·R would give R.
    """
    master = secrets.token_bytes(32)
    a = _seal_with_nonce(CONTEXT, SMALL, ListId("l0"), master).ballot
    b = _seal_with_nonce(CONTEXT, SMALL, ListId("l1"), master).ballot
    alpha = a.options[0].ciphertext.alpha
    assert alpha == b.options[0].ciphertext.alpha  # r_i depends on N alone (§6)
    pa, pb = a.options[0].proof, b.options[0].proof  # option 0: m = 1 in a, m = 0 in b
    solved_r = (pa.z1 - pb.z0) * pow(pb.c0 - pa.c1, -1, L) % L
    assert group.base_mul(solved_r) != alpha
    assert (pa.c0, pa.z0) != (pb.c1, pb.z1)  # nor do the simulated branches repeat
    sa, sb = a.sum_proof, b.sum_proof
    solved_big_r = (sa.response - sb.response) * pow(sb.challenge - sa.challenge, -1, L) % L
    big_r = sum(
        hash_to_scalar("ballot-nonce", master, CONTEXT.base_hash, "cap", u32(i)) for i in range(3)
    )
    assert solved_big_r != big_r % L


def test_seal_refuses_an_unknown_choice_without_naming_it() -> None:
    with pytest.raises(ValueError, match="not an option") as caught:
        seal(CONTEXT, SMALL, ListId("secret-choice"))
    assert "secret-choice" not in str(caught.value)
    with pytest.raises(ValueError, match="32 bytes"):
        _seal_with_nonce(CONTEXT, SMALL, ListId("l0"), b"short")
    with pytest.raises(ValueError, match="between 2 and"):
        seal(CONTEXT, make_scrutin(0), ListId("blank"))


# ---- same operations, same size, whatever the choice ---------------------------------------


@contextmanager
def recorded_group_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    calls: list[str] = []
    for name in ("base_mul", "mul", "add", "sub"):
        original = getattr(group, name)

        def recording(
            *args: object, _name: str = name, _f: Callable[..., bytes] = original
        ) -> bytes:
            calls.append(_name)
            return _f(*args)

        monkeypatch.setattr(group, name, recording)
    yield calls
    monkeypatch.undo()


def test_every_choice_runs_the_same_group_operations_and_has_the_same_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seal(CONTEXT, BIG, BIG.options[0])  # the once-per-election precomputation (H + G)
    seal_sequences, verify_sequences, sizes = set(), set(), set()
    for choice in BIG.options:
        with recorded_group_calls(monkeypatch) as calls:
            ballot = seal(CONTEXT, BIG, choice).ballot
        seal_sequences.add(tuple(calls))
        with recorded_group_calls(monkeypatch) as calls:
            assert verify_ballot(CONTEXT, BIG, ballot)
        verify_sequences.add(tuple(calls))
        sizes.add(len(encode_ballot(ballot)))
    assert len(seal_sequences) == 1
    assert len(verify_sequences) == 1
    assert sizes == {4 + 1 + 4 + 2 + 15 * 192 + 64}
    (sealing,) = seal_sequences
    (verifying,) = verify_sequences
    n = len(BIG.options)
    assert (sealing.count("base_mul"), sealing.count("mul"), sealing.count("add")) == (
        4 * n + 2,
        3 * n + 2,
        2 * n,
    )
    assert "sub" not in sealing
    assert (verifying.count("base_mul"), verifying.count("mul")) == (2 * n + 1, 6 * n + 3)
    assert verifying.count("add") + verifying.count("sub") == 5 * n + 2 * n - 1 + 2


class _Unsearchable(tuple[ListId, ...]):
    """Options that refuse to be searched: the seal must select the choice by arithmetic."""

    def index(self, *args: object) -> int:
        raise AssertionError("options.index(choice) in the seal")

    def __contains__(self, item: object) -> bool:
        raise AssertionError("choice in options in the seal")


def test_the_choice_is_selected_by_arithmetic_not_by_a_search() -> None:
    master = secrets.token_bytes(32)
    unsearchable = _Unsearchable(SMALL.options)
    for choice in SMALL.options:
        expected = _seal_with_nonce(CONTEXT, SMALL, choice, master).ballot
        bits, chosen = ballot_module._selection(unsearchable, choice)
        assert bits == [int(option == choice) for option in SMALL.options]
        assert ballot_module._seal(CONTEXT, SMALL.id, bits, chosen, master) == expected
    with pytest.raises(ValueError, match="not an option"):
        ballot_module._selection(unsearchable, ListId("l9"))


def _conditionals(function: Callable[..., object]) -> list[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    kinds = (ast.If, ast.IfExp, ast.Compare, ast.Match)
    return [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, kinds)]


def test_no_comparison_or_branch_on_the_choice_in_the_sealing_path() -> None:
    for function in (ballot_module._seal, bitproof.prove, bitproof._exchange, elgamal.encrypt_bit):
        assert _conditionals(function) == [], function.__name__
    # the one test of _selection refuses an invalid choice; it never asks which option it is
    selection_tests = _conditionals(ballot_module._selection)
    assert len(selection_tests) == 2  # the ``if`` and its comparison
    assert all(
        test.startswith(("if sum(bits) != 1:", "sum(bits) != 1")) for test in selection_tests
    )
    assert bitproof._exchange(0, 5, 9) == (5, 9)
    assert bitproof._exchange(1, 5, 9) == (9, 5)
    big = L - 1
    assert bitproof._exchange(1, big, 3) == (3, big)


# ---- verification (§7, §8) ------------------------------------------------------------------


def test_honest_ballots_verify(big_ballots: dict[ListId, SealedBallot]) -> None:
    for ballot in big_ballots.values():
        assert check_ballot(CONTEXT, BIG, ballot) is BallotVerdict.VALID


def test_a_ballot_verifies_only_for_its_scrutin_and_election(
    big_ballots: dict[ListId, SealedBallot],
) -> None:
    ballot = big_ballots[ListId("l3")]
    assert check_ballot(CONTEXT, make_scrutin(14, "other"), ballot) is BallotVerdict.WRONG_SCRUTIN
    assert check_ballot(CONTEXT, make_scrutin(13), ballot) is BallotVerdict.WRONG_OPTION_COUNT
    other_election = ElectionContext(digest("test", "another base hash"), CONTEXT.joint_key)
    assert check_ballot(other_election, BIG, ballot) is BallotVerdict.INVALID_PROOF
    other_key = ElectionContext(CONTEXT.base_hash, group.base_mul(SECRET + 1))
    assert not verify_ballot(other_key, BIG, ballot)
    relabelled = SealedBallot(ScrutinId("other"), ballot.options, ballot.sum_proof)
    assert check_ballot(CONTEXT, make_scrutin(14, "other"), relabelled) is (
        BallotVerdict.INVALID_PROOF
    )


def test_options_cannot_be_reordered_or_swapped_between_ballots(
    big_ballots: dict[ListId, SealedBallot],
) -> None:
    a, b = big_ballots[ListId("l0")], big_ballots[ListId("l1")]
    swapped = (a.options[1], a.options[0], *a.options[2:])
    assert not verify_ballot(CONTEXT, BIG, SealedBallot(a.scrutin_id, swapped, a.sum_proof))
    mixed = (b.options[0], *a.options[1:])
    assert not verify_ballot(CONTEXT, BIG, SealedBallot(a.scrutin_id, mixed, a.sum_proof))
    assert not verify_ballot(CONTEXT, BIG, SealedBallot(a.scrutin_id, a.options, b.sum_proof))


def cheating_ballot(bits: list[int], scrutin_id: str = "cap") -> SealedBallot:
    """Honest 0/1 proofs for each option and the honest sum prover, for ANY selection."""
    prefix = bitproof.statement_prefix(CONTEXT.base_hash, scrutin_id)
    options, nonce_sum = [], 0
    for i, bit in enumerate(bits):
        r = group.random_scalar()
        ct = elgamal.encrypt_bit(KEY, bit, r)
        nonces = (group.random_scalar(), group.random_scalar(), group.random_scalar())
        proof = bitproof.prove(KEY, prefix, i, ct, r, bit, nonces)
        assert bitproof.verify(KEY, prefix, i, ct, proof)
        options.append(SealedOption(ct, proof))
        nonce_sum = (nonce_sum + r) % L
    sum_alpha = group.base_mul(nonce_sum)
    sum_beta_minus_g = group.sub(elgamal.aggregate(option.ciphertext for option in options).beta, G)
    statement = digest(
        "ballot-sum-statement",
        CONTEXT.base_hash,
        scrutin_id,
        u32(len(options)),
        *(x for o in options for x in (o.ciphertext.alpha, o.ciphertext.beta)),
    )
    sum_proof = dleq.prove(
        "ballot-sum-proof", statement, G, KEY.h, sum_alpha, sum_beta_minus_g, nonce_sum
    )
    return SealedBallot(ScrutinId(scrutin_id), tuple(options), sum_proof)


@pytest.mark.parametrize("bits", [[1, 1, 0], [0, 0, 0], [1, 1, 1], [0, 1, 1]])
def test_a_selection_count_other_than_one_cannot_be_proven(bits: list[int]) -> None:
    ballot = cheating_ballot(bits)
    assert decrypt(ballot) == bits
    # The sum statement is not a DH tuple: Σβ − G − R·H = (Σm − 1)·G ≠ 0.
    assert check_ballot(CONTEXT, SMALL, ballot) is BallotVerdict.INVALID_PROOF


def test_the_cheating_construction_is_honest_for_exactly_one() -> None:
    assert verify_ballot(CONTEXT, SMALL, cheating_ballot([0, 1, 0]))


@pytest.mark.parametrize("plaintext", [2, 3, L - 1])
def test_a_zero_one_proof_fails_for_any_other_plaintext(plaintext: int) -> None:
    prefix = bitproof.statement_prefix(CONTEXT.base_hash, "cap")
    r = group.random_scalar()
    ct = Ciphertext(group.base_mul(r), group.add(group.mul(r, KEY.h), group.base_mul(plaintext)))
    for claimed in (0, 1):  # either branch as the "real" one
        nonces = (group.random_scalar(), group.random_scalar(), group.random_scalar())
        proof = bitproof.prove(KEY, prefix, 0, ct, r, claimed, nonces)
        assert not bitproof.verify(KEY, prefix, 0, ct, proof)


def test_verify_refuses_unreduced_or_zero_scalars_and_invalid_points(
    big_ballots: dict[ListId, SealedBallot],
) -> None:
    ballot = big_ballots[ListId("blank")]
    first = ballot.options[0]
    proof = first.proof
    prefix = bitproof.statement_prefix(CONTEXT.base_hash, BIG.id)
    assert bitproof.verify(KEY, prefix, 0, first.ciphertext, proof)
    for bad in (
        bitproof.BitProof(proof.c0 + L, proof.c1, proof.z0, proof.z1),
        bitproof.BitProof(proof.c0, proof.c1, proof.z0, proof.z1 - L),
        bitproof.BitProof(0, (proof.c0 + proof.c1) % L, proof.z0, proof.z1),
    ):
        assert not bitproof.verify(KEY, prefix, 0, first.ciphertext, bad)
    identity = Ciphertext(group.Element(bytes(32)), first.ciphertext.beta)
    assert not bitproof.verify(KEY, prefix, 0, identity, proof)
    broken = SealedBallot(
        ballot.scrutin_id, (SealedOption(identity, proof), *ballot.options[1:]), ballot.sum_proof
    )
    assert check_ballot(CONTEXT, BIG, broken) is BallotVerdict.INVALID_PROOF


# ---- canonical bytes (§9) --------------------------------------------------------------------


def test_encoding_round_trips(big_ballots: dict[ListId, SealedBallot]) -> None:
    for ballot in big_ballots.values():
        data = encode_ballot(ballot)
        assert decode_ballot(data) == ballot
        assert decode_ballot(data, BIG) == ballot
        assert encode_ballot(decode_ballot(data)) == data


def _replace(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new) :]


def test_decoding_is_strict() -> None:
    ballot = seal(CONTEXT, SMALL, ListId("l0")).ballot
    data = encode_ballot(ballot)
    body = 4 + 1 + len("cap") + 2
    high_bit_alpha = bytearray(data)
    high_bit_alpha[body + 31] |= 0x80
    bad_inputs = {
        "empty": b"",
        "truncated": data[:-1],
        "extended": data + b"\x00",
        "magic": b"ISB\x02" + data[4:],
        "identity alpha": _replace(data, body, bytes(32)),
        "non-canonical alpha": bytes(high_bit_alpha),
        "unreduced scalar": _replace(data, body + 64, L.to_bytes(32, "little")),
        "unreduced sum response": data[:-32] + (L + 1).to_bytes(32, "little"),
        "bad scrutin id": _replace(data, 5, b"CAP"),
        "empty scrutin id": data[:4] + b"\x00" + data[body - 2 :],
        "one option": _replace(data, body - 2, b"\x00\x01"),
        "count not matching length": _replace(data, body - 2, b"\x00\x04"),
    }
    for name, bad in bad_inputs.items():
        try:
            decode_ballot(bad)
        except BallotFormatError:
            continue
        pytest.fail(f"accepted: {name}")
    with pytest.raises(BallotFormatError, match="another scrutin"):
        decode_ballot(data, BIG)
    with pytest.raises(BallotFormatError, match="option count"):
        decode_ballot(data, make_scrutin(3, "cap"))


def test_a_ballot_holds_no_nonce_and_no_choice_in_repr_or_bytes() -> None:
    master = secrets.token_bytes(32)
    pending = _seal_with_nonce(CONTEXT, SMALL, ListId("l1"), master)
    assert master not in encode_ballot(pending.ballot)
    assert master.hex() not in repr(pending)
    assert "l1" not in repr(pending)
    assert "nonce" not in repr(pending)
    assert master.hex() not in repr(pending._opening)
    revealed = challenge(pending)
    assert master.hex() not in repr(revealed)
    assert "l1" not in repr(revealed)
    assert repr(pending) == "PendingBallot(scrutin_id='cap', spent)"
    assert "master_nonce" not in {f for f in SealedBallot.__dataclass_fields__}


# ---- tracking code (§9) ------------------------------------------------------------------------


def test_tracking_codes_are_160_bits_in_groups_of_four(
    big_ballots: dict[ListId, SealedBallot],
) -> None:
    codes = {tracking_code(ballot) for ballot in big_ballots.values()}
    codes |= {tracking_code(seal(CONTEXT, SMALL, ListId("l0")).ballot) for _ in range(50)}
    assert len(codes) == 15 + 50
    for code in codes:
        assert TRACKING.fullmatch(code)
        assert len(code.replace("-", "")) * 5 == 160
    ballot = big_ballots[ListId("l2")]
    assert tracking_code(ballot) == tracking_code_of_bytes(encode_ballot(ballot))
    assert tracking_code(ballot) == tracking_code(decode_ballot(encode_ballot(ballot)))


def test_tracking_codes_typed_by_people_are_normalized() -> None:
    code = tracking_code(seal(CONTEXT, SMALL, ListId("blank")).ballot)
    assert parse_tracking_code(code) == code
    assert parse_tracking_code(" " + code.lower().replace("-", " ") + "\n") == code
    assert parse_tracking_code(code.replace("-", "")) == code
    for bad in ("", code[:-1], code + "A", code.replace(code[0], "1"), code.replace(code[0], "É")):
        with pytest.raises(ValueError, match="tracking code"):
            parse_tracking_code(bad)


# ---- Benaloh challenge (§10) --------------------------------------------------------------------


def test_a_challenge_reveals_what_the_voter_chose_and_checks() -> None:
    pending = seal(CONTEXT, BIG, ListId("l5"))
    shown = pending.ballot
    revealed = challenge(pending)
    assert revealed.ballot == shown
    assert revealed.choice == "l5"
    assert check_challenge(CONTEXT, BIG, revealed.ballot, revealed.master_nonce, revealed.choice)


def test_a_pending_ballot_is_cast_or_challenged_once() -> None:
    challenged = seal(CONTEXT, SMALL, ListId("l1"))
    challenge(challenged)
    assert challenged.spent
    for use in (challenged.cast, lambda: challenge(challenged), lambda: challenged.ballot):
        with pytest.raises(BallotSpentError, match="already cast or challenged") as caught:
            use()
        assert "l1" not in str(caught.value)
    cast = seal(CONTEXT, SMALL, ListId("l1"))
    shown = cast.ballot
    assert not cast.spent
    assert cast.cast() == shown
    assert cast._opening is None  # the opening is dropped at cast
    for use in (cast.cast, lambda: challenge(cast)):
        with pytest.raises(BallotSpentError):
            use()


def test_a_challenge_check_catches_a_lie() -> None:
    pending = seal(CONTEXT, SMALL, ListId("l0"))
    revealed = challenge(pending)
    ballot, master = revealed.ballot, revealed.master_nonce
    assert not check_challenge(CONTEXT, SMALL, ballot, master, ListId("l1"))
    assert not check_challenge(CONTEXT, SMALL, ballot, master, ListId("blank"))
    assert not check_challenge(CONTEXT, SMALL, ballot, master, ListId("not-an-option"))
    wrong_nonce = bytes([master[0] ^ 1]) + master[1:]
    assert not check_challenge(CONTEXT, SMALL, ballot, wrong_nonce, ListId("l0"))
    assert not check_challenge(CONTEXT, SMALL, ballot, master[:31], ListId("l0"))
    assert not check_challenge(CONTEXT, make_scrutin(2, "other"), ballot, master, ListId("l0"))
    other = ElectionContext(digest("test", "another base hash"), CONTEXT.joint_key)
    assert not check_challenge(other, SMALL, ballot, master, ListId("l0"))
    # a kiosk that encrypted l1 but claims l0 with the same nonce is caught
    cheat = _seal_with_nonce(CONTEXT, SMALL, ListId("l1"), master).ballot
    assert not check_challenge(CONTEXT, SMALL, cheat, master, ListId("l0"))


def test_a_challenge_check_never_runs_the_sealing_code(monkeypatch: pytest.MonkeyPatch) -> None:
    revealed = challenge(seal(CONTEXT, SMALL, ListId("l1")))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("check_challenge called into the sealing code")

    for module, name in (
        (ballot_module, "seal"),
        (ballot_module, "_seal_with_nonce"),
        (ballot_module, "_seal"),
        (ballot_module, "_selection"),
        (elgamal, "encrypt_bit"),
        (bitproof, "prove"),
        (dleq, "prove"),
    ):
        monkeypatch.setattr(module, name, refuse)
    ballot, master = revealed.ballot, revealed.master_nonce
    assert check_challenge(CONTEXT, SMALL, ballot, master, ListId("l1"))
    assert not check_challenge(CONTEXT, SMALL, ballot, master, ListId("l0"))


def test_a_challenge_check_catches_a_seal_bug_that_resealing_would_repeat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A seal that swaps options 0 and 1: its ballots verify, and re-running it agrees."""
    count = len(SMALL.options)
    calls = itertools.count()
    encrypt, prove = elgamal.encrypt_bit, bitproof.prove

    def buggy_encrypt(key: EncryptionKey, bit: int, nonce: int) -> Ciphertext:
        i = next(calls) % count  # a seal encrypts its options in order
        return encrypt(key, 1 - bit if i < 2 else bit, nonce)

    def buggy_prove(
        key: EncryptionKey,
        prefix: bytes,
        index: int,
        ct: Ciphertext,
        nonce: int,
        bit: int,
        nonces: tuple[int, int, int],
    ) -> bitproof.BitProof:
        return prove(key, prefix, index, ct, nonce, 1 - bit if index < 2 else bit, nonces)

    monkeypatch.setattr(elgamal, "encrypt_bit", buggy_encrypt)
    monkeypatch.setattr(bitproof, "prove", buggy_prove)
    revealed = challenge(seal(CONTEXT, SMALL, ListId("l0")))
    assert decrypt(revealed.ballot) == [0, 1, 0]  # the voter chose l0; the ballot holds l1
    assert verify_ballot(CONTEXT, SMALL, revealed.ballot)
    assert not check_challenge(
        CONTEXT, SMALL, revealed.ballot, revealed.master_nonce, revealed.choice
    )


def test_a_challenged_ballot_carries_only_the_proof_scalars_its_nonce_gives() -> None:
    """Proofs re-made with other scalars still verify, but could carry a covert message."""
    master = secrets.token_bytes(32)
    honest = _seal_with_nonce(CONTEXT, SMALL, ListId("l1"), master).ballot
    assert check_challenge(CONTEXT, SMALL, honest, master, ListId("l1"))
    prefix = bitproof.statement_prefix(CONTEXT.base_hash, "cap")
    options = list(honest.options)
    r1 = hash_to_scalar("ballot-nonce", master, CONTEXT.base_hash, "cap", u32(1))
    other_nonces = (group.random_scalar(), group.random_scalar(), group.random_scalar())
    reproved = bitproof.prove(KEY, prefix, 1, options[1].ciphertext, r1, 1, other_nonces)
    options[1] = SealedOption(options[1].ciphertext, reproved)
    covert = SealedBallot(honest.scrutin_id, tuple(options), honest.sum_proof)
    assert verify_ballot(CONTEXT, SMALL, covert)
    assert not check_challenge(CONTEXT, SMALL, covert, master, ListId("l1"))


# ---- envelope (§11) -----------------------------------------------------------------------------

KIOSK_KEY = Ed25519PrivateKey.from_private_bytes(digest("test", "kiosk key")[:32])
KIOSK_PUBLIC = KIOSK_KEY.public_key().public_bytes_raw()


def make_envelope() -> tuple[bytes, SealedBallot]:
    ballot = seal(CONTEXT, SMALL, ListId("l1")).ballot
    envelope = sign_envelope(
        KIOSK_KEY,
        election_id=ElectionId("ce-2026"),
        scrutin_id=ScrutinId("cap"),
        voter_id=VoterId("v0042"),
        ballot=ballot,
        kiosk_id=KioskId("kiosk-01"),
    )
    return encode_envelope(envelope), ballot


def test_an_envelope_round_trips_and_verifies() -> None:
    data, ballot = make_envelope()
    envelope = decode_envelope(data)
    assert envelope.ballot == ballot
    assert (envelope.election_id, envelope.scrutin_id, envelope.voter_id, envelope.kiosk_id) == (
        "ce-2026",
        "cap",
        "v0042",
        "kiosk-01",
    )
    assert len(envelope.envelope_id) == 16
    assert verify_envelope(envelope, KIOSK_PUBLIC)
    assert encode_envelope(envelope) == data
    assert "v0042" not in repr(envelope)
    other_kiosk = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    assert not verify_envelope(envelope, other_kiosk)
    assert not verify_envelope(envelope, b"short")


def test_envelope_ids_are_fresh() -> None:
    ids = {decode_envelope(make_envelope()[0]).envelope_id for _ in range(20)}
    assert len(ids) == 20


def test_every_envelope_field_is_signed() -> None:
    data, _ = make_envelope()
    envelope = decode_envelope(data)
    other_ballot = seal(CONTEXT, SMALL, ListId("l1")).ballot
    changes: list[dict[str, object]] = [
        {"envelope_id": bytes(16)},
        {"election_id": "ce-2027"},
        {"voter_id": "v0043"},
        {"kiosk_id": "kiosk-02"},
        {"ballot": other_ballot},
        {"scrutin_id": "capn", "ballot": envelope.ballot},
    ]
    fields = dict(envelope.__dict__)
    for change in changes:
        tampered = type(envelope)(**{**fields, **change})
        assert not verify_envelope(tampered, KIOSK_PUBLIC), change


def test_a_flipped_byte_anywhere_in_an_envelope_is_caught() -> None:
    data, _ = make_envelope()
    rng = secrets.SystemRandom()
    positions = list(range(0, 200)) + rng.sample(range(200, len(data)), 300)
    for position in positions:
        tampered = bytearray(data)
        tampered[position] ^= 1 << rng.randrange(8)
        try:
            envelope = decode_envelope(bytes(tampered))
        except EnvelopeFormatError:
            continue
        assert not verify_envelope(envelope, KIOSK_PUBLIC), position


def test_envelope_decoding_is_strict() -> None:
    data, _ = make_envelope()
    for bad in (b"", data[:-1], data + b"\x00", data[:8] + b"x" + data[9:], b"\xff" * 16):
        with pytest.raises(EnvelopeFormatError):
            decode_envelope(bad)
    ballot = seal(CONTEXT, SMALL, ListId("l1")).ballot
    with pytest.raises(ValueError, match="another scrutin"):
        sign_envelope(
            KIOSK_KEY,
            election_id=ElectionId("ce-2026"),
            scrutin_id=ScrutinId("capn"),
            voter_id=VoterId("v1"),
            ballot=ballot,
            kiosk_id=KioskId("k1"),
        )
    with pytest.raises(ValueError, match="voter id"):
        sign_envelope(
            KIOSK_KEY,
            election_id=ElectionId("ce-2026"),
            scrutin_id=ScrutinId("cap"),
            voter_id=VoterId("Bad Voter"),
            ballot=ballot,
            kiosk_id=KioskId("k1"),
        )


def test_an_envelope_naming_another_scrutin_than_its_ballot_is_refused() -> None:
    data, _ = make_envelope()
    # the scrutin field is the fourth framed field: swap "cap" for "cop" and keep the length
    position = data.index(frame("cap")) + 8
    with pytest.raises(EnvelopeFormatError, match="another scrutin"):
        decode_envelope(data[:position] + b"cop" + data[position + 3 :])


# ---- receipt (§12) ---------------------------------------------------------------------------

FINGERPRINT = "ABCD-EFGH-IJKL-MNOP"


def make_receipt() -> bytes:
    code = tracking_code(seal(CONTEXT, SMALL, ListId("l0")).ballot)
    receipt = sign_receipt(
        KIOSK_KEY,
        election_fingerprint=FINGERPRINT,
        scrutin_id=ScrutinId("cap"),
        tracking_code=code,
        kiosk_id=KioskId("kiosk-01"),
    )
    return encode_receipt(receipt)


def test_a_receipt_holds_exactly_the_whitelisted_fields() -> None:
    payload = make_receipt()
    receipt = decode_receipt(payload)
    assert verify_receipt(receipt, KIOSK_PUBLIC)
    assert encode_receipt(receipt) == payload
    header, fingerprint, scrutin, code, kiosk, signature = payload.decode("ascii").split(" ")
    assert (header, fingerprint, scrutin, kiosk) == (
        "isoloir-receipt/1",
        FINGERPRINT,
        "cap",
        "kiosk-01",
    )
    assert TRACKING.fullmatch(code)
    assert len(signature) == 86
    assert set(receipt.__dataclass_fields__) == {
        "election_fingerprint",
        "scrutin_id",
        "tracking_code",
        "kiosk_id",
        "signature",
    }


def test_every_receipt_field_is_signed() -> None:
    receipt = decode_receipt(make_receipt())
    fields = dict(receipt.__dict__)
    other_code = tracking_code(seal(CONTEXT, SMALL, ListId("l0")).ballot)
    for change in (
        {"election_fingerprint": "ABCD-EFGH-IJKL-MNOQ"},
        {"scrutin_id": "capn"},
        {"tracking_code": other_code},
        {"kiosk_id": "kiosk-02"},
        {"signature": bytes(64)},
    ):
        assert not verify_receipt(type(receipt)(**{**fields, **change}), KIOSK_PUBLIC), change
    assert not verify_receipt(receipt, Ed25519PrivateKey.generate().public_key().public_bytes_raw())


def test_receipt_decoding_is_strict() -> None:
    payload = make_receipt()
    text = payload.decode("ascii")
    parts = text.split(" ")
    bad_payloads = [
        b"",
        payload + b" ",
        payload + b"\n",
        payload.replace(b" ", b"  ", 1),
        text.replace(parts[3], parts[3].lower()).encode(),
        text.replace(parts[3], parts[3].replace("-", "")).encode(),
        text.replace(parts[1], "ABCD-EFGH-IJKL").encode(),
        text.replace("isoloir-receipt/1", "isoloir-receipt/2").encode(),
        (text + "==").encode(),
        text.replace(parts[5], parts[5][:-1] + "+").encode(),
        text.replace(parts[5], parts[5][:-1]).encode(),
        text.replace(parts[2], "Cap").encode(),
        text.replace("kiosk-01", "kiosk-é").encode("utf-8"),
        " ".join([*parts, "v0042"]).encode(),
    ]
    for bad in bad_payloads:
        with pytest.raises(ReceiptFormatError):
            decode_receipt(bad)
    with pytest.raises(ValueError, match="tracking code"):
        sign_receipt(
            KIOSK_KEY,
            election_fingerprint=FINGERPRINT,
            scrutin_id=ScrutinId("cap"),
            tracking_code=TrackingCode("not-a-code"),
            kiosk_id=KioskId("kiosk-01"),
        )
