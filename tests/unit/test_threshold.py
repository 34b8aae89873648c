"""Threshold key generation and decryption: the math, then the trustees' files (§13-14)."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from kiosk.crypto import group, threshold
from kiosk.crypto.context import election_context
from kiosk.crypto.dleq import DleqProof
from kiosk.crypto.group import Element
from kiosk.crypto.threshold import DiscreteLog, PartialDecryption, ThresholdError
from kiosk.election import package, signing
from kiosk.election.kdf import KdfProfile
from kiosk.election.model import ElectionId, ElectionPackage, ScrutinId
from kiosk.encoding import b64encode
from kiosk.trustee import ceremony, decryption, messages, state, transport
from kiosk.trustee.ceremony import BadDealerError, CeremonyError
from kiosk.trustee.decryption import (
    AggregateScrutin,
    BoardBinding,
    DecryptionError,
    TallyAggregate,
)
from kiosk.trustee.messages import Finish, ShareMessage
from kiosk.trustee.state import Stage
from kiosk.trustee.vault import WrongPassphraseError
from tests.factories import small_package

N, K = 5, 3
CONTEXT = b"test-context"


# ---- the math alone ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MathCeremony:
    polynomials: tuple[tuple[int, ...], ...]
    commitments: tuple[tuple[Element, ...], ...]
    shares: dict[int, int]  # x_l
    public: dict[int, Element]  # X_l
    joint: Element


@cache
def math_ceremony(n: int = N, k: int = K) -> MathCeremony:
    polynomials = tuple(threshold.new_polynomial(k) for _ in range(n))
    commitments = tuple(threshold.commit(f) for f in polynomials)
    shares = {
        l_index: sum(threshold.evaluate(f, l_index) for f in polynomials) % group.L
        for l_index in range(1, n + 1)
    }
    public = {i: threshold.public_share(commitments, i) for i in shares}
    return MathCeremony(polynomials, commitments, shares, public, threshold.joint_key(commitments))


def encrypt(m: int, h: Element) -> tuple[Element, Element]:
    r = group.random_scalar()
    mask = group.mul(r, h)
    return group.base_mul(r), mask if m == 0 else group.add(group.base_mul(m), mask)


def partials_for(c: MathCeremony, a: Element, indices: list[int]) -> list[PartialDecryption]:
    return [threshold.decrypt_share(i, c.shares[i], a, CONTEXT) for i in indices]


def test_every_share_verifies_against_its_dealers_commitments() -> None:
    c = math_ceremony()
    for f, commitments in zip(c.polynomials, c.commitments, strict=True):
        for l_index in range(1, N + 1):
            share = threshold.evaluate(f, l_index)
            assert threshold.verify_share(commitments, l_index, share)
            assert not threshold.verify_share(commitments, l_index, (share + 1) % group.L)
            assert not threshold.verify_share(commitments, l_index % N + 1, share)
        assert not threshold.verify_share(commitments, 1, 0)


def test_joint_key_is_the_sum_of_constant_terms_and_of_the_secrets() -> None:
    c = math_ceremony()
    secret = sum(f[0] for f in c.polynomials) % group.L
    assert c.joint == group.base_mul(secret)
    total = c.commitments[0][0]
    for commitments in c.commitments[1:]:
        total = group.add(total, commitments[0])
    assert c.joint == total


def test_public_shares_from_commitments_match_the_secret_shares() -> None:
    c = math_ceremony()
    for l_index, x in c.shares.items():
        assert c.public[l_index] == group.base_mul(x)


@given(st.sets(st.integers(1, N), min_size=K, max_size=N))
def test_any_k_shares_interpolate_the_joint_secret(subset: set[int]) -> None:
    c = math_ceremony()
    lambdas = threshold.lagrange_at_zero(sorted(subset))
    recovered = sum(lambdas[i] * c.shares[i] for i in subset) % group.L
    assert recovered == sum(f[0] for f in c.polynomials) % group.L


def test_lagrange_refuses_repeated_or_zero_indices() -> None:
    with pytest.raises(ValueError, match="distinct"):
        threshold.lagrange_at_zero([1, 1, 2])
    with pytest.raises(ValueError, match="distinct"):
        threshold.lagrange_at_zero([0, 1, 2])


def test_dealer_proof_binds_ceremony_trustee_index_and_commitments() -> None:
    f = threshold.new_polynomial(K)
    commitments, proof = threshold.prove_dealer_key("e1", "alice", 1, f)
    assert threshold.verify_dealer_key("e1", "alice", 1, commitments, proof)
    assert not threshold.verify_dealer_key("e2", "alice", 1, commitments, proof)
    assert not threshold.verify_dealer_key("e1", "bob", 1, commitments, proof)
    assert not threshold.verify_dealer_key("e1", "alice", 2, commitments, proof)
    other = threshold.commit(threshold.new_polynomial(K))
    assert not threshold.verify_dealer_key("e1", "alice", 1, (commitments[0], *other[1:]), proof)
    # A rogue key C_0' = T - Σ others has no known logarithm: a copied proof does not fit it.
    rogue = group.sub(group.base_mul(12345), commitments[0])
    assert not threshold.verify_dealer_key("e1", "alice", 1, (rogue, *commitments[1:]), proof)
    bad = threshold.KnowledgeProof(proof.challenge, (proof.response + 1) % group.L)
    assert not threshold.verify_dealer_key("e1", "alice", 1, commitments, bad)


@given(
    subset=st.sets(st.integers(1, N), min_size=K, max_size=N),
    m=st.one_of(st.just(0), st.just(1), st.integers(0, 300)),
)
def test_any_k_of_n_partials_combine_to_the_count(subset: set[int], m: int) -> None:
    c = math_ceremony()
    a, b = encrypt(m, c.joint)
    partials = partials_for(c, a, sorted(subset))
    result = threshold.combine(a, b, partials, c.public, K, CONTEXT, DiscreteLog(300))
    assert result.value == m
    assert result.used == tuple(sorted(subset))[:K]
    assert result.rejected == ()


def test_zero_and_one_and_a_large_count() -> None:
    c = math_ceremony()
    table = DiscreteLog(20_000)
    for m in (0, 1, 2, 19_999, 20_000):
        a, b = encrypt(m, c.joint)
        result = threshold.combine(a, b, partials_for(c, a, [2, 4, 5]), c.public, K, CONTEXT, table)
        assert result.value == m


def test_count_above_the_bound_is_a_clear_error() -> None:
    c = math_ceremony()
    a, b = encrypt(11, c.joint)
    with pytest.raises(ThresholdError, match="not a count from 0 to 10"):
        threshold.combine(
            a, b, partials_for(c, a, [1, 2, 3]), c.public, K, CONTEXT, DiscreteLog(10)
        )


def test_fewer_than_k_partials_is_a_clear_error() -> None:
    c = math_ceremony()
    a, b = encrypt(3, c.joint)
    with pytest.raises(ThresholdError, match="3 valid partial decryptions needed, 2 available"):
        threshold.combine(a, b, partials_for(c, a, [1, 5]), c.public, K, CONTEXT, DiscreteLog(9))


def _forged(partial: PartialDecryption) -> PartialDecryption:
    return replace(partial, share=group.add(partial.share, group.G))


def test_a_bad_proof_is_excluded_and_the_others_still_combine() -> None:
    c = math_ceremony()
    a, b = encrypt(7, c.joint)
    partials = partials_for(c, a, [1, 2, 3, 4])
    partials[1] = _forged(partials[1])
    result = threshold.combine(a, b, partials, c.public, K, CONTEXT, DiscreteLog(9))
    assert result.value == 7
    assert result.used == (1, 3, 4)
    assert result.rejected == ((2, "invalid proof"),)


def test_a_bad_proof_leaving_fewer_than_k_names_the_trustee() -> None:
    c = math_ceremony()
    a, b = encrypt(7, c.joint)
    partials = partials_for(c, a, [1, 2, 3])
    partials[2] = replace(partials[2], proof=DleqProof(1, 2))
    names = {i: f"trustee-{i}" for i in range(1, N + 1)}
    with pytest.raises(ThresholdError, match=r"refused: trustee-3: invalid proof"):
        threshold.combine(a, b, partials, c.public, K, CONTEXT, DiscreteLog(9), names)


def test_a_partial_for_another_ciphertext_or_context_is_refused() -> None:
    c = math_ceremony()
    a, _ = encrypt(1, c.joint)
    a2, _ = encrypt(1, c.joint)
    assert not threshold.verify_partial(partials_for(c, a2, [1])[0], c.public[1], a, CONTEXT)
    partial = partials_for(c, a, [1])[0]
    assert threshold.verify_partial(partial, c.public[1], a, CONTEXT)
    assert not threshold.verify_partial(partial, c.public[1], a, b"another context")
    assert not threshold.verify_partial(partial, c.public[2], a, CONTEXT)


def test_duplicate_and_unknown_trustees_are_set_aside() -> None:
    c = math_ceremony()
    a, b = encrypt(2, c.joint)
    partials = partials_for(c, a, [1, 1, 2, 3])
    stranger = PartialDecryption(9, partials[0].share, partials[0].proof)
    result = threshold.combine(a, b, [*partials, stranger], c.public, K, CONTEXT, DiscreteLog(9))
    assert result.value == 2
    assert dict(result.rejected) == {
        1: "more than one partial decryption",
        9: "not a trustee of this election",
    }


def test_discrete_log_table_is_built_once_and_lazily() -> None:
    table = DiscreteLog(1000)
    assert table.lookup(group.base_mul(5)) == 5
    assert len(table._table) == 5
    assert table.lookup(group.base_mul(1001)) is None
    assert len(table._table) == 1000
    assert table.lookup(group.base_mul(999)) == 999


# ---- the trustees' files, in process ----------------------------------------------------------

PASS = "correct horse battery staple"
KDF = KdfProfile.TEST.value


def run_ceremony(root: Path, ceremony_id: str = "test-2026", n: int = N, k: int = K) -> Path:
    folder = root / "ceremony"
    for i in range(1, n + 1):
        ceremony.init(
            folder,
            root / f"t{i}.state",
            PASS,
            ceremony_id=ceremony_id,
            trustee_id=f"t{i}",
            index=i,
            trustees=n,
            threshold_k=k,
            kdf=KDF,
        )
    for step in (ceremony.deal, ceremony.receive, ceremony.finish):
        for i in range(1, n + 1):
            step(folder, root / f"t{i}.state", PASS)
    return folder


def dealt(root: Path) -> Path:
    folder = root / "ceremony"
    for i in range(1, N + 1):
        ceremony.init(
            folder,
            root / f"t{i}.state",
            PASS,
            ceremony_id="test-2026",
            trustee_id=f"t{i}",
            index=i,
            trustees=N,
            threshold_k=K,
            kdf=KDF,
        )
    for i in range(1, N + 1):
        ceremony.deal(folder, root / f"t{i}.state", PASS)
    return folder


def test_full_ceremony_in_process(tmp_path: Path) -> None:
    folder = dealt(tmp_path)
    secret_terms = [
        state.unlock(tmp_path / f"t{i}.state", PASS).secrets.coefficients[0]
        for i in range(1, N + 1)
    ]
    for i in range(1, N + 1):
        report = ceremony.receive(folder, tmp_path / f"t{i}.state", PASS)
        assert report.record.stage is Stage.RECEIVED
    for i in range(1, N + 1):
        ceremony.finish(folder, tmp_path / f"t{i}.state", PASS)
    result = ceremony.ceremony_result(folder)
    assert result.joint_public_key == group.base_mul(sum(secret_terms) % group.L)
    assert result.joint_public_key == threshold.joint_key(result.commitments)
    records = [state.read_record(tmp_path / f"t{i}.state") for i in range(1, N + 1)]
    assert {r.joint_public_key for r in records} == {result.joint_public_key}
    for i, record in enumerate(records, start=1):
        unlocked = state.unlock(tmp_path / f"t{i}.state", PASS)
        assert unlocked.secrets.coefficients == ()  # the polynomial is gone after finish
        assert unlocked.secrets.received == {}
        assert unlocked.secrets.share is not None
        assert group.base_mul(unlocked.secrets.share) == record.public_share
        assert result.public_shares[i - 1] == record.public_share


def test_steps_run_in_order_and_wait_for_everyone(tmp_path: Path) -> None:
    folder = tmp_path / "ceremony"
    for i in (1, 2):
        ceremony.init(
            folder, tmp_path / f"t{i}.state", PASS, ceremony_id="e", trustee_id=f"t{i}",
            index=i, trustees=3, threshold_k=2, kdf=KDF,
        )  # fmt: skip
    with pytest.raises(CeremonyError, match="waiting for the announcements of trustees #3"):
        ceremony.deal(folder, tmp_path / "t1.state", PASS)
    with pytest.raises(CeremonyError, match="next step: deal"):
        ceremony.finish(folder, tmp_path / "t1.state", PASS)
    with pytest.raises(CeremonyError, match="index 2 is taken"):
        ceremony.init(
            folder, tmp_path / "t9.state", PASS, ceremony_id="e", trustee_id="t9",
            index=2, trustees=3, threshold_k=2, kdf=KDF,
        )  # fmt: skip
    ceremony.init(
        folder, tmp_path / "t3.state", PASS, ceremony_id="e", trustee_id="t3",
        index=3, trustees=3, threshold_k=2, kdf=KDF,
    )  # fmt: skip
    ceremony.deal(folder, tmp_path / "t1.state", PASS)
    with pytest.raises(CeremonyError, match="not every trustee has dealt yet"):
        ceremony.receive(folder, tmp_path / "t1.state", PASS)


@pytest.mark.parametrize(
    ("n", "k", "index", "message"),
    [
        (2, 2, 1, "2 trustees"),
        (5, 1, 1, "threshold 1"),
        (5, 6, 1, "threshold 6"),
        (5, 3, 6, "index 6"),
    ],
)
def test_init_refuses_bad_parameters(
    tmp_path: Path, n: int, k: int, index: int, message: str
) -> None:
    with pytest.raises(CeremonyError, match=message):
        ceremony.init(
            tmp_path / "c", tmp_path / "s", PASS, ceremony_id="e", trustee_id="t",
            index=index, trustees=n, threshold_k=k, kdf=KDF,
        )  # fmt: skip
    assert not (tmp_path / "s").exists()


def _rewrite_share(folder: Path, root: Path, dealer: int, recipient: int, value: int) -> None:
    """Dealer ``dealer`` (really, with its own key) sends ``value`` instead of its share."""
    sender = state.unlock(root / f"t{dealer}.state", PASS)
    roster = ceremony.read_roster(folder)
    dealing = messages.read_dealing(messages.dealing_path(folder, dealer), roster.at(dealer))
    associated = messages.share_header_bytes("test-2026", dealer, recipient, dealing.hash)
    ephemeral, ciphertext = transport.encrypt(
        roster.at(recipient).transport_key, group.scalar_bytes(value), associated
    )
    message = ShareMessage("test-2026", dealer, recipient, dealing.hash, ephemeral, ciphertext)
    path = messages.share_path(folder, dealer, recipient)
    path.unlink()
    messages.write(path, message.body(), sender.secrets.signer())


def test_a_wrong_share_names_its_dealer(tmp_path: Path) -> None:
    folder = dealt(tmp_path)
    _rewrite_share(folder, tmp_path, dealer=2, recipient=1, value=424242)
    before = (tmp_path / "t1.state").read_bytes()
    with pytest.raises(BadDealerError, match=r"dealer t2 \(#2\): .*does not match") as caught:
        ceremony.receive(folder, tmp_path / "t1.state", PASS)
    assert caught.value.dealers == ("t2 (#2)",)
    assert (tmp_path / "t1.state").read_bytes() == before  # nothing kept from a bad ceremony
    ceremony.receive(folder, tmp_path / "t3.state", PASS)  # the others' shares are fine


def test_an_altered_share_file_names_its_dealer(tmp_path: Path) -> None:
    folder = dealt(tmp_path)
    path = messages.share_path(folder, 4, 1)
    document = json.loads(path.read_text())
    ciphertext = bytearray(document["message"]["ciphertext"].encode())
    ciphertext[3] = ord("A") if ciphertext[3] != ord("A") else ord("B")
    document["message"]["ciphertext"] = ciphertext.decode()
    path.write_text(json.dumps(document))
    with pytest.raises(BadDealerError, match=r"dealer t4 \(#4\): share-004-to-001.json: bad sig"):
        ceremony.receive(folder, tmp_path / "t1.state", PASS)


def test_a_dealing_without_valid_proof_names_its_dealer(tmp_path: Path) -> None:
    folder = dealt(tmp_path)
    sender = state.unlock(tmp_path / "t5.state", PASS)
    roster = ceremony.read_roster(folder)
    path = messages.dealing_path(folder, 5)
    dealing = messages.read_dealing(path, roster.at(5))
    forged = replace(dealing, proof=threshold.KnowledgeProof(1, 1))
    path.unlink()
    messages.write(path, forged.body(), sender.secrets.signer())
    with pytest.raises(BadDealerError, match=r"dealer t5 \(#5\): .*invalid proof of knowledge"):
        ceremony.receive(folder, tmp_path / "t1.state", PASS)


def test_a_share_opens_only_for_its_recipient_and_header() -> None:
    recipient = X25519PrivateKey.generate()
    header = messages.share_header_bytes("e", 1, 2, bytes(32))
    ephemeral, sealed_share = transport.encrypt(
        transport.public_bytes(recipient), b"s" * 32, header
    )
    assert transport.decrypt(recipient, ephemeral, sealed_share, header) == b"s" * 32
    with pytest.raises(transport.TransportError):
        transport.decrypt(X25519PrivateKey.generate(), ephemeral, sealed_share, header)
    moved = messages.share_header_bytes("e", 1, 3, bytes(32))
    with pytest.raises(transport.TransportError):
        transport.decrypt(recipient, ephemeral, sealed_share, moved)


def test_wrong_passphrase_is_clear_and_leaves_the_file_untouched(tmp_path: Path) -> None:
    folder = dealt(tmp_path)
    path = tmp_path / "t1.state"
    before = path.read_bytes()
    with pytest.raises(WrongPassphraseError, match="wrong passphrase"):
        ceremony.receive(folder, path, "not the passphrase")
    assert path.read_bytes() == before


def test_state_file_is_private_and_holds_no_secret_in_clear(tmp_path: Path) -> None:
    run_ceremony(tmp_path)
    for i in range(1, N + 1):
        path = tmp_path / f"t{i}.state"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        unlocked = state.unlock(path, PASS)
        share = unlocked.secrets.share
        assert share is not None
        text = path.read_text()
        for secret in (
            b64encode(group.scalar_bytes(share)),
            group.scalar_bytes(share).hex(),
            str(share),
            b64encode(unlocked.secrets.signing_key),
            b64encode(unlocked.secrets.transport_key),
        ):
            assert secret not in text
        assert "redacted" in repr(unlocked.secrets)
        assert str(share) not in repr(unlocked)


def test_editing_the_public_part_of_a_state_breaks_it(tmp_path: Path) -> None:
    folder = dealt(tmp_path)
    path = tmp_path / "t1.state"
    document = json.loads(path.read_text())
    document["trustee"]["index"] = 2
    path.write_text(json.dumps(document))
    with pytest.raises(WrongPassphraseError):
        ceremony.receive(folder, path, PASS)


def test_an_existing_state_is_never_overwritten(tmp_path: Path) -> None:
    dealt(tmp_path)
    with pytest.raises(state.StateError, match="never overwritten"):
        ceremony.init(
            tmp_path / "other", tmp_path / "t1.state", PASS, ceremony_id="e", trustee_id="t1",
            index=1, trustees=3, threshold_k=2, kdf=KDF,
        )  # fmt: skip


# ---- seal, decrypt, combine -------------------------------------------------------------------


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> tuple[ElectionPackage, Path]:
    root = tmp_path_factory.mktemp("sealed")
    organizer = signing.generate()
    unsealed = small_package(organizer, voters=12)
    folder = run_ceremony(root)
    pkg = ceremony.seal(unsealed, ceremony.ceremony_result(folder), organizer)
    package.write(pkg, root / "package")
    return package.load(root / "package"), root


def test_sealed_package_round_trips_and_gives_a_context(
    sealed: tuple[ElectionPackage, Path],
) -> None:
    pkg, root = sealed
    key = pkg.manifest.election_key
    assert key is not None
    assert key.threshold == K
    assert [t.trustee_id for t in key.trustees] == [f"t{i}" for i in range(1, N + 1)]
    result = ceremony.ceremony_result(root / "ceremony")
    assert key.joint_public_key == result.joint_public_key
    context = election_context(pkg)
    assert context.joint_key == result.joint_public_key
    assert len(context.base_hash) == 64


def test_seal_is_idempotent_and_refuses_another_key_or_election(
    sealed: tuple[ElectionPackage, Path], tmp_path: Path
) -> None:
    pkg, root = sealed
    organizer = signing.generate()
    result = ceremony.ceremony_result(root / "ceremony")
    assert ceremony.seal(pkg, result, organizer) is pkg
    other = ceremony.ceremony_result(run_ceremony(tmp_path))
    with pytest.raises(CeremonyError, match="sealed already, with another key"):
        ceremony.seal(pkg, other, organizer)
    with pytest.raises(CeremonyError, match="the ceremony is for election 'test-2026'"):
        ceremony.seal(
            replace(pkg, manifest=replace(pkg.manifest, election_id=ElectionId("x"))),
            other,
            organizer,
        )


def test_seal_refuses_trustees_who_disagree_on_the_joint_key(tmp_path: Path) -> None:
    folder = run_ceremony(tmp_path)
    unlocked = state.unlock(tmp_path / "t5.state", PASS)
    record, share = unlocked.record, unlocked.secrets.share
    assert record.transcript is not None
    assert record.public_share is not None
    assert share is not None
    forged = Finish(
        ceremony_id=record.ceremony_id,
        trustee_id=record.trustee_id,
        index=record.index,
        transcript=record.transcript,
        joint_public_key=group.base_mul(99),
        public_share=record.public_share,
        proof=threshold.prove_share_key(
            record.ceremony_id, record.trustee_id, record.index, record.transcript, share
        ),
    )
    messages.finish_path(folder, 5).unlink()
    messages.write(messages.finish_path(folder, 5), forged.body(), unlocked.secrets.signer())
    with pytest.raises(
        CeremonyError, match=r"disagree on the joint key: t1 \(#1\), t2 .* t5 \(#5\) computed"
    ):
        ceremony.ceremony_result(folder)


def test_seal_refuses_an_unfinished_ceremony(tmp_path: Path) -> None:
    folder = run_ceremony(tmp_path)
    messages.finish_path(folder, 3).unlink()
    with pytest.raises(CeremonyError, match=r"not every trustee has finished: t3 \(#3\)"):
        ceremony.ceremony_result(folder)


COUNTS = {ScrutinId("capn"): (4, 0, 7, 1), ScrutinId("cap"): (0, 0, 0)}


def aggregate_for(pkg: ElectionPackage, counts: dict[ScrutinId, tuple[int, ...]]) -> TallyAggregate:
    key = pkg.manifest.election_key
    assert key is not None
    h = group.element(key.joint_public_key)
    return TallyAggregate(
        election_id=pkg.manifest.election_id,
        scrutins=tuple(
            AggregateScrutin(
                id=s.id,
                ballots=sum(counts[s.id]),
                options=tuple(encrypt(m, h) for m in counts[s.id]) if sum(counts[s.id]) else (),
            )
            for s in pkg.manifest.scrutins
        ),
        board=BoardBinding(count=sum(map(sum, counts.values())), head=bytes(64)),
    )


@pytest.fixture(scope="module")
def decrypted(
    sealed: tuple[ElectionPackage, Path],
) -> tuple[TallyAggregate, list[decryption.PartialDecryptions]]:
    pkg, root = sealed
    counts = {ScrutinId("capn"): (4, 0, 7, 1), ScrutinId("cap"): (2, 0, 1)}
    aggregate = aggregate_for(pkg, counts)
    partials = [
        decryption.decrypt(root / f"t{i}.state", PASS, pkg, aggregate) for i in range(1, N + 1)
    ]
    return aggregate, partials


@given(st.sets(st.integers(0, N - 1), min_size=K, max_size=N))
def test_any_k_trustees_partial_files_combine(
    sealed: tuple[ElectionPackage, Path],
    decrypted: tuple[TallyAggregate, list[decryption.PartialDecryptions]],
    subset: set[int],
) -> None:
    pkg, _ = sealed
    aggregate, partials = decrypted
    files = [decryption.parse_partials(partials[i].to_json(), f"p{i}") for i in sorted(subset)]
    result = decryption.combine(pkg, aggregate, files)
    assert result.counts == {"capn": (4, 0, 7, 1), "cap": (2, 0, 1)}
    assert result.used == tuple(f"t{i + 1}" for i in sorted(subset)[:K])


def test_combine_with_two_trustees_is_a_clear_error(
    sealed: tuple[ElectionPackage, Path],
    decrypted: tuple[TallyAggregate, list[decryption.PartialDecryptions]],
) -> None:
    aggregate, partials = decrypted
    with pytest.raises(
        DecryptionError, match="3 trustees' valid partial decryptions are needed, 2"
    ):
        decryption.combine(sealed[0], aggregate, partials[:2])


def test_combine_sets_aside_a_trustee_with_a_bad_proof(
    sealed: tuple[ElectionPackage, Path],
    decrypted: tuple[TallyAggregate, list[decryption.PartialDecryptions]],
) -> None:
    aggregate, partials = decrypted
    sid, options = partials[1].scrutins[0]
    bad_options = (_forged(options[0]), *options[1:])
    bad = replace(partials[1], scrutins=((sid, bad_options), *partials[1].scrutins[1:]))
    result = decryption.combine(sealed[0], aggregate, [partials[0], bad, partials[2], partials[3]])
    assert result.counts[ScrutinId("capn")] == (4, 0, 7, 1)
    assert result.rejected == {"t2": "invalid proof (scrutin capn, option 0)"}
    assert result.used == ("t1", "t3", "t4")
    with pytest.raises(DecryptionError, match=r"2 available \(set aside: t2: invalid proof"):
        decryption.combine(sealed[0], aggregate, [partials[0], bad, partials[2]])


def test_combine_refuses_partials_of_another_aggregate(
    sealed: tuple[ElectionPackage, Path],
    decrypted: tuple[TallyAggregate, list[decryption.PartialDecryptions]],
) -> None:
    _, partials = decrypted
    other = aggregate_for(sealed[0], {ScrutinId("capn"): (1, 1, 1, 1), ScrutinId("cap"): (1, 1, 1)})
    with pytest.raises(DecryptionError, match="t1: decrypts another election or another aggregate"):
        decryption.combine(sealed[0], other, partials)


def test_a_scrutin_without_ballots_counts_zero(sealed: tuple[ElectionPackage, Path]) -> None:
    pkg, root = sealed
    aggregate = aggregate_for(pkg, dict(COUNTS))
    partials = [decryption.decrypt(root / f"t{i}.state", PASS, pkg, aggregate) for i in (1, 3, 5)]
    result = decryption.combine(pkg, aggregate, partials)
    assert result.counts == {"capn": (4, 0, 7, 1), "cap": (0, 0, 0)}


def test_decrypt_refuses_a_package_of_another_ceremony(
    sealed: tuple[ElectionPackage, Path], tmp_path: Path
) -> None:
    pkg, _ = sealed
    run_ceremony(tmp_path)
    aggregate = aggregate_for(pkg, dict(COUNTS))
    with pytest.raises(DecryptionError, match="not sealed with the key of your ceremony"):
        decryption.decrypt(tmp_path / "t1.state", PASS, pkg, aggregate)


def test_aggregate_file_round_trips_and_is_checked(sealed: tuple[ElectionPackage, Path]) -> None:
    pkg, _ = sealed
    aggregate = aggregate_for(pkg, dict(COUNTS))
    assert decryption.parse_aggregate(aggregate.to_json(), "agg") == aggregate
    wrong = replace(aggregate, scrutins=aggregate.scrutins[::-1])
    with pytest.raises(DecryptionError, match="must list the scrutins capn, cap"):
        decryption.check_aggregate(wrong, pkg.manifest)
    document = json.loads(aggregate.to_json())
    document["scrutins"][0]["options"][0]["a"] = b64encode(bytes(32))
    with pytest.raises(DecryptionError, match=r"scrutins\[0\].options\[0\].a: not a valid group"):
        decryption.parse_aggregate(json.dumps(document).encode(), "agg")


# ---- test vectors of docs/protocol.md §14.4 ---------------------------------------------------


def _protocol_text() -> str:
    text = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
    assert "§14.4" in text, "docs/protocol.md lost its §14.4 test vectors"
    return "".join(text.split())


def test_documented_vectors_are_what_the_code_computes() -> None:
    f = (1001, 2002, 3003)
    commitments, proof = threshold.prove_dealer_key("vector-election", "t1", 1, f, nonce=7)
    assert threshold.evaluate(f, 2) == 17017
    assert threshold.verify_share(commitments, 2, 17017)
    assert threshold.verify_dealer_key("vector-election", "t1", 1, commitments, proof)
    assert threshold.lagrange_at_zero([1, 2, 3]) == {1: 3, 2: group.L - 3, 3: 1}
    a, b = group.base_mul(5), group.base_mul(9)
    context = threshold.decryption_context(bytes(64), "capn", 0, a, b)
    partial = threshold.decrypt_share(1, 11, a, context, nonce=13)
    assert threshold.verify_partial(partial, group.base_mul(11), a, context)
    text = _protocol_text()
    for i, c in enumerate(commitments):
        assert f"C_{i}={c.hex()}" in text
    assert proof.to_bytes().hex() in text
    assert f"ctx={context.hex()}" in text
    assert f"X_l={group.base_mul(11).hex()}" in text
    assert f"D_l={partial.share.hex()}" in text
    assert partial.proof.to_bytes().hex() in text
