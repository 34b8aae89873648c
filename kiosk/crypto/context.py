"""The election context every proof binds (docs/protocol.md §4).

    base_hash = digest("election-base", SHA-256(manifest.json), joint_key, k,
                       trustee_id_1, C_1,0 .. C_1,k-1, ..., trustee_id_n, C_n,0 .. C_n,k-1)

The sealed manifest already holds the joint key and the commitments; binding them again,
explicitly, keeps the proofs sound even if a later schema moved them out of the manifest.

Before anything is encrypted under H, the context checks that H is the trustees' key:
every commitment is a valid element and H = Σ_i C_i,0 (§13.6). That stops a package whose
key was swapped for someone else's while the commitments stayed; a swap of the commitments
too is what each trustee's ``isoloir trustee check-package`` catches before the polls open.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from kiosk.crypto import group
from kiosk.crypto.group import Element, GroupError
from kiosk.crypto.hashing import digest, u32
from kiosk.election.model import ElectionKey, ElectionPackage


class NotSealedError(ValueError):
    """The package has no election key yet: run the key ceremony and ``isoloir election seal``."""


class ElectionKeyError(ValueError):
    """The package's election key is not the trustees' joint key: nothing may be encrypted."""


@dataclass(frozen=True)
class ElectionContext:
    base_hash: bytes  # 64 bytes
    joint_key: Element  # H = s·G, s shared among the trustees


def election_context(package: ElectionPackage) -> ElectionContext:
    key = package.manifest.election_key
    if key is None:
        raise NotSealedError("the election package is not sealed: no election key yet")
    try:
        joint = group.element(key.joint_public_key)
        constants = [group.element(t.commitments[0]) for t in key.trustees]
        for trustee in key.trustees:
            for commitment in trustee.commitments:
                group.element(commitment)
    except (GroupError, IndexError):
        raise ElectionKeyError("the election key or a trustee commitment is not valid") from None
    try:
        total = constants[0]
        for constant in constants[1:]:
            total = group.add(total, constant)
    except GroupError:
        total = None
    if total != joint:
        raise ElectionKeyError(
            "the election key is not the sum of the trustees' commitments: refuse this package"
        )
    return ElectionContext(base_hash=base_hash(package.manifest_bytes, key), joint_key=joint)


def base_hash(manifest_bytes: bytes, key: ElectionKey) -> bytes:
    """The §4 formula alone, over the manifest's signed bytes and its election key (unchecked:
    ``election_context`` checks the key first)."""
    fields: list[bytes | str] = [
        hashlib.sha256(manifest_bytes).digest(),
        key.joint_public_key,
        u32(key.threshold),
    ]
    for trustee in key.trustees:
        fields.append(trustee.trustee_id)
        fields.extend(trustee.commitments)
    return digest("election-base", *fields)
