"""The election context every proof binds (docs/protocol.md §4).

    base_hash = digest("election-base", SHA-256(manifest.json), joint_key, k,
                       trustee_id_1, C_1,0 .. C_1,k-1, ..., trustee_id_n, C_n,0 .. C_n,k-1)

The sealed manifest already holds the joint key and the commitments; binding them again,
explicitly, keeps the proofs sound even if a later schema moved them out of the manifest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from kiosk.crypto import group
from kiosk.crypto.group import Element
from kiosk.crypto.hashing import digest, u32
from kiosk.election.model import ElectionPackage


class NotSealedError(ValueError):
    """The package has no election key yet: run the key ceremony and ``isoloir election seal``."""


@dataclass(frozen=True)
class ElectionContext:
    base_hash: bytes  # 64 bytes
    joint_key: Element  # H = s·G, s shared among the trustees


def election_context(package: ElectionPackage) -> ElectionContext:
    key = package.manifest.election_key
    if key is None:
        raise NotSealedError("the election package is not sealed: no election key yet")
    joint = group.element(key.joint_public_key)
    fields: list[bytes | str] = [
        hashlib.sha256(package.manifest_bytes).digest(),
        joint,
        u32(key.threshold),
    ]
    for trustee in key.trustees:
        fields.append(trustee.trustee_id)
        fields.extend(trustee.commitments)
    return ElectionContext(base_hash=digest("election-base", *fields), joint_key=joint)
