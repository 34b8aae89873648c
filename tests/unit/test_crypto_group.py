"""The ristretto255 group, domain-separated hashing and Chaum-Pedersen (docs/protocol.md §2-§5)."""

from __future__ import annotations

import hashlib

import pytest

from kiosk.crypto import dleq, group
from kiosk.crypto.group import ELEMENT_BYTES, G, GroupError, L
from kiosk.crypto.hashing import digest, frame, hash_to_scalar, tagged, u32

P_FIELD = 2**255 - 19


def test_the_generator_is_the_standard_ristretto255_base_point() -> None:
    # RFC 9496 §A.1: the encoding of B (1·B).
    assert G.hex() == "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
    assert group.element(G) == G


@pytest.mark.parametrize(
    "data",
    [
        bytes(32),  # the identity: libsodium's is_valid_point accepts it, we do not
        b"",
        G[:31],
        G + b"\x00",
        P_FIELD.to_bytes(32, "little"),  # the field element p itself: not reduced
        (P_FIELD + 2).to_bytes(32, "little"),
        bytes(31) + b"\x80",  # the unused top bit set: libsodium 1.0.18 ignores it
        G[:31] + bytes([G[31] | 0x80]),  # G, non-canonically
        (1).to_bytes(32, "little"),  # a "negative" (odd) field element
        b"\xff" * 32,
    ],
)
def test_element_refuses_identity_noncanonical_and_wrong_sizes(data: bytes) -> None:
    with pytest.raises(GroupError):
        group.element(data)


def test_element_accepts_every_multiple_of_the_generator() -> None:
    for k in (1, 2, 3, L - 1, group.random_scalar()):
        point = group.base_mul(k)
        assert group.element(point) == point
        assert len(point) == ELEMENT_BYTES


def test_scalar_parsing_is_strict() -> None:
    assert group.scalar((L - 1).to_bytes(32, "little")) == L - 1
    assert group.scalar(bytes(32)) == 0
    for bad in (L.to_bytes(32, "little"), (2**256 - 1).to_bytes(32, "little"), bytes(31)):
        with pytest.raises(GroupError):
            group.scalar(bad)
    assert group.scalar_bytes(L + 5) == (5).to_bytes(32, "little")


def test_random_scalars_are_nonzero_and_reduced() -> None:
    draws = {group.random_scalar() for _ in range(200)}
    assert len(draws) == 200
    assert all(0 < k < L for k in draws)


def test_operations_that_would_give_the_identity_raise() -> None:
    p = group.base_mul(7)
    minus_p = group.base_mul(L - 7)
    with pytest.raises(GroupError):
        group.base_mul(0)
    with pytest.raises(GroupError):
        group.base_mul(L)
    with pytest.raises(GroupError):
        group.mul(L, p)
    with pytest.raises(GroupError):
        group.add(p, minus_p)
    with pytest.raises(GroupError):
        group.sub(p, p)
    with pytest.raises(GroupError):
        group.mul(3, bytes(32))  # type: ignore[arg-type]
    with pytest.raises(GroupError):
        group.add(p, b"\xff" * 32)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        G[:31] + bytes([G[31] | 0x80]),  # G with the top bit set: libsodium 1.0.18 reads G
        G[:31],  # a C pointer carries no length: libsodium would read past the end
        G + b"\x00",
        b"",
    ],
    ids=["top bit set", "31 bytes", "33 bytes", "empty"],
)
def test_operations_refuse_malformed_operands(bad: bytes) -> None:
    p = group.base_mul(7)
    operand = group.Element(bad)
    for operation in (
        lambda: group.mul(3, operand),
        lambda: group.add(operand, p),
        lambda: group.add(p, operand),
        lambda: group.sub(operand, p),
        lambda: group.sub(p, operand),
    ):
        with pytest.raises(GroupError, match="not a valid group element"):
            operation()


def test_additions_refuse_the_identity_as_an_operand() -> None:
    identity = group.Element(bytes(32))
    p = group.base_mul(7)
    for operation in (
        lambda: group.add(identity, p),
        lambda: group.add(p, identity),
        lambda: group.sub(p, identity),
    ):
        with pytest.raises(GroupError):
            operation()


def test_group_laws() -> None:
    a, b = group.random_scalar(), group.random_scalar()
    assert group.add(group.base_mul(a), group.base_mul(b)) == group.base_mul(a + b)
    assert group.sub(group.base_mul(a), group.base_mul(b)) == group.base_mul(a - b)
    assert group.mul(b, group.base_mul(a)) == group.base_mul(a * b)
    assert group.mul(a, G) == group.base_mul(a)
    assert group.mul(a - 1, G) != group.base_mul(a)


def test_from_hash_maps_64_bytes_to_an_element() -> None:
    point = group.from_hash(hashlib.sha512(b"isoloir").digest())
    assert group.element(point) == point
    with pytest.raises(ValueError, match="64 bytes"):
        group.from_hash(b"short")


# ---- hashing (§3) -----------------------------------------------------------------------------


def test_fields_are_framed_so_no_two_field_lists_collide() -> None:
    assert digest("t", b"ab", b"c") != digest("t", b"a", b"bc")
    assert digest("t", b"abc") != digest("t", b"abc", b"")
    assert digest("t1", b"x") != digest("t", b"1x")
    assert digest("t", "é") == digest("t", "é".encode())


def test_tagged_bytes_are_what_digest_hashes() -> None:
    fields = (b"\x00" * 64, "scrutin", u32(3))
    assert hashlib.sha512(tagged("example", *fields)).digest() == digest("example", *fields)
    assert tagged("example", *fields) == frame("isoloir/v1/example", *fields)
    assert frame(b"ab") == (2).to_bytes(8, "big") + b"ab"


def test_hash_to_scalar_is_reduced_and_u32_is_big_endian() -> None:
    value = hash_to_scalar("example", b"x")
    assert 0 <= value < L
    assert value == int.from_bytes(digest("example", b"x"), "little") % L
    assert u32(258) == b"\x00\x00\x01\x02"


# ---- Chaum-Pedersen (§5) ----------------------------------------------------------------------


def test_dleq_proves_equal_logs_for_its_exact_statement() -> None:
    x = group.random_scalar()
    h = group.base_mul(group.random_scalar())
    a, b = group.base_mul(x), group.mul(x, h)
    proof = dleq.prove("example", b"context", G, h, a, b, x)
    assert dleq.verify("example", b"context", G, h, a, b, proof)
    assert dleq.DleqProof.from_bytes(proof.to_bytes()) == proof
    assert not dleq.verify("example", b"other context", G, h, a, b, proof)
    assert not dleq.verify("other", b"context", G, h, a, b, proof)
    assert not dleq.verify("example", b"context", G, h, a, group.add(b, G), proof)
    assert not dleq.verify("example", b"context", G, h, b, a, proof)
    forged = dleq.DleqProof(proof.challenge, (proof.response + 1) % L)
    assert not dleq.verify("example", b"context", G, h, a, b, forged)
    assert not dleq.verify("example", b"context", G, h, a, b, dleq.DleqProof(L, 1))


def test_dleq_of_unequal_logs_does_not_verify() -> None:
    x = group.random_scalar()
    h = group.base_mul(group.random_scalar())
    a, b = group.base_mul(x), group.mul(x + 1, h)
    proof = dleq.prove("example", b"", G, h, a, b, x)
    assert not dleq.verify("example", b"", G, h, a, b, proof)
