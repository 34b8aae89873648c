"""The election context refuses a key that is not the trustees' joint key (docs/protocol.md §4)."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.crypto import group
from kiosk.crypto.context import ElectionKeyError, NotSealedError, election_context
from kiosk.election import package, signing
from kiosk.election.model import ElectionKey, TrusteeCommitments, TrusteeId
from tests.factories import small_package


def _sealed(joint: bytes | None = None, constants: int = 3) -> package.ElectionPackage:
    organizer = signing.generate()
    pkg = small_package(organizer)
    secrets = [group.random_scalar() for _ in range(constants)]
    trustees = tuple(
        TrusteeCommitments(TrusteeId(f"t{i}"), (group.base_mul(s), group.base_mul(s + 1)))
        for i, s in enumerate(secrets)
    )
    key = ElectionKey(
        joint_public_key=joint if joint is not None else group.base_mul(sum(secrets)),
        threshold=2,
        trustees=trustees,
    )
    return package.resign(pkg, dataclasses.replace(pkg.manifest, election_key=key), organizer)


def test_the_joint_key_of_the_commitments_is_accepted() -> None:
    context = election_context(_sealed())
    assert len(context.base_hash) == 64


def test_a_key_other_than_the_sum_of_the_commitments_is_refused() -> None:
    rogue = group.base_mul(group.random_scalar())
    with pytest.raises(ElectionKeyError, match="not the sum of the trustees' commitments"):
        election_context(_sealed(joint=rogue))


def test_an_unsealed_package_has_no_context() -> None:
    with pytest.raises(NotSealedError):
        election_context(small_package())
