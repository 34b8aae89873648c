"""Partial decryption of the tally aggregate by each trustee, and combination of any k (§14).

Two public JSON files (canonical JSON, base64 elements):

    tally aggregate    {"schema": "isoloir.tally-aggregate/1", "election_id",
                        "board": {"count": N, "head": hex},
                        "scrutins": [{"id", "ballots": N, "options": [{"a", "b"}, ...]}]}
    partial decryption {"schema": "isoloir.partial-decryption/1", "election_id",
                        "trustee_id", "index", "aggregate": SHA-256 hex of the aggregate file,
                        "scrutins": [{"id", "options": [{"share", "proof"}, ...]}]}

Scrutins appear in manifest order, options in ballot order (each list, then blank); (a, b) is
the option's aggregate (A, B) = (Σ α, Σ β). A scrutin without ballots has no options (nothing
to decrypt: every count is 0). ``board`` binds the aggregate to the whole bulletin board it sums
(its entry count and head hash, docs/protocol.md §15), which ``isoloir trustee decrypt``
checks against the head published at close. ``decrypt`` is the trustee's verb; ``combine`` is
the tally's, and it needs only public data: the sealed package, the aggregate and the partial
decryptions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kiosk.crypto import group, threshold
from kiosk.crypto.context import election_context
from kiosk.crypto.dleq import DleqProof
from kiosk.crypto.group import Element, GroupError
from kiosk.crypto.threshold import DiscreteLog, PartialDecryption, ThresholdError
from kiosk.election.model import ElectionPackage, Manifest, ScrutinId
from kiosk.encoding import b64encode, canonical_json
from kiosk.jsonfields import Fields, FormatError
from kiosk.trustee import state
from kiosk.trustee.state import Stage

AGGREGATE_SCHEMA: Final = "isoloir.tally-aggregate/1"
PARTIAL_SCHEMA: Final = "isoloir.partial-decryption/1"
_MAX_OPTIONS: Final = 1000
_MAX_SCRUTINS: Final = 1000
_MAX_BALLOTS: Final = 10**9
_BOARD_HASH_BYTES: Final = 64


class DecryptionError(ValueError):
    """A decryption or combination refused; the message says which file, trustee or scrutin."""


@dataclass(frozen=True)
class AggregateScrutin:
    id: ScrutinId
    ballots: int  # how many ballots were summed: the bound of every count
    options: tuple[tuple[Element, Element], ...]  # (A, B) per option, ballot order


@dataclass(frozen=True)
class BoardBinding:
    """The bulletin board an aggregate sums: its entry count and head hash (§15)."""

    count: int
    head: bytes  # 64 bytes: the hash of the board's last entry


@dataclass(frozen=True)
class TallyAggregate:
    election_id: str
    scrutins: tuple[AggregateScrutin, ...]
    board: BoardBinding

    def to_json(self) -> bytes:
        return canonical_json(
            {
                "schema": AGGREGATE_SCHEMA,
                "election_id": self.election_id,
                "board": {"count": self.board.count, "head": self.board.head.hex()},
                "scrutins": [
                    {
                        "id": s.id,
                        "ballots": s.ballots,
                        "options": [{"a": b64encode(a), "b": b64encode(b)} for a, b in s.options],
                    }
                    for s in self.scrutins
                ],
            }
        )

    @property
    def digest(self) -> bytes:
        """SHA-256 of the canonical file: what partial decryptions name."""
        return hashlib.sha256(self.to_json()).digest()


@dataclass(frozen=True)
class PartialDecryptions:
    """One trustee's partial decryptions of every option of an aggregate."""

    election_id: str
    trustee_id: str
    index: int
    aggregate: bytes  # TallyAggregate.digest
    scrutins: tuple[tuple[ScrutinId, tuple[PartialDecryption, ...]], ...]

    def to_json(self) -> bytes:
        return canonical_json(
            {
                "schema": PARTIAL_SCHEMA,
                "election_id": self.election_id,
                "trustee_id": self.trustee_id,
                "index": self.index,
                "aggregate": self.aggregate.hex(),
                "scrutins": [
                    {
                        "id": sid,
                        "options": [
                            {"share": b64encode(p.share), "proof": b64encode(p.proof.to_bytes())}
                            for p in partials
                        ],
                    }
                    for sid, partials in self.scrutins
                ],
            }
        )


@dataclass(frozen=True)
class TallyCounts:
    """Decrypted counts per scrutin (ballot order), and whose partial decryptions served."""

    counts: Mapping[ScrutinId, tuple[int, ...]]
    used: tuple[str, ...]  # trustee ids whose shares were combined
    rejected: Mapping[str, str]  # trustee id -> why its partial decryptions were set aside


# ---- the trustee's verb --------------------------------------------------------------------------


def decrypt(
    state_path: Path, passphrase: str, package: ElectionPackage, aggregate: TallyAggregate
) -> PartialDecryptions:
    """D_l = x_l·A for every option of ``aggregate``, each with its proof (§14.1).

    Refused unless the package was sealed with this trustee's ceremony (same joint key, same
    index and id, same public share) and the aggregate fits the package's scrutins.
    """
    unlocked = state.unlock(state_path, passphrase)
    record, share = unlocked.record, unlocked.secrets.share
    if record.stage is not Stage.FINISHED or share is None or record.public_share is None:
        raise DecryptionError(
            f"trustee {record.trustee_id} has not finished the key ceremony "
            f"(stage {record.stage.value!r})"
        )
    manifest = package.manifest
    public_shares, names = _public_shares(package)
    if (
        record.ceremony_id != manifest.election_id
        or names.get(record.index) != record.trustee_id
        or manifest.election_key is None
        or manifest.election_key.joint_public_key != record.joint_public_key
        or public_shares[record.index] != record.public_share
    ):
        raise DecryptionError(
            f"the package {package.fingerprint} was not sealed with the key of your ceremony "
            f"({record.ceremony_id}, trustee {record.trustee_id} #{record.index})"
        )
    check_aggregate(aggregate, manifest)
    base_hash = election_context(package).base_hash
    scrutins = []
    for s in aggregate.scrutins:
        partials = tuple(
            threshold.decrypt_share(
                record.index,
                share,
                a,
                threshold.decryption_context(base_hash, s.id, option, a, b),
                public=record.public_share,
            )
            for option, (a, b) in enumerate(s.options)
        )
        scrutins.append((s.id, partials))
    return PartialDecryptions(
        election_id=manifest.election_id,
        trustee_id=record.trustee_id,
        index=record.index,
        aggregate=aggregate.digest,
        scrutins=tuple(scrutins),
    )


# ---- the tally's verb ----------------------------------------------------------------------------


def combine(
    package: ElectionPackage,
    aggregate: TallyAggregate,
    partial_sets: Sequence[PartialDecryptions],
) -> TallyCounts:
    """Every option's count from any k trustees' valid partial decryptions (§14.2).

    A trustee's file for another election or aggregate, for another index, of the wrong shape,
    or with any invalid proof is set aside as a whole (and named in ``rejected``). Fewer than k
    left is a ``DecryptionError`` naming the trustees set aside and why.
    """
    manifest = package.manifest
    key = manifest.election_key
    if key is None:
        raise DecryptionError("the election package is not sealed: no election key")
    check_aggregate(aggregate, manifest)
    public_shares, names = _public_shares(package)
    base_hash = election_context(package).base_hash
    shape = [(s.id, len(s.options)) for s in aggregate.scrutins]
    accepted: dict[int, PartialDecryptions] = {}
    rejected: dict[str, str] = {}
    for ps in partial_sets:
        who = ps.trustee_id
        if names.get(ps.index) != ps.trustee_id:
            rejected[who] = f"not trustee #{ps.index} of this election"
        elif ps.election_id != manifest.election_id or ps.aggregate != aggregate.digest:
            rejected[who] = "decrypts another election or another aggregate"
        elif ps.index in accepted:
            rejected[who] = "more than one set of partial decryptions"
        elif [(sid, len(p)) for sid, p in ps.scrutins] != shape:
            rejected[who] = "does not cover the aggregate's scrutins and options"
        else:
            accepted[ps.index] = ps
    # Every proof is checked; a trustee with one bad proof is set aside entirely.
    for index, ps in sorted(accepted.items()):
        for s, (_, partials) in zip(aggregate.scrutins, ps.scrutins, strict=True):
            bad = next(
                (
                    option
                    for option, ((a, b), p) in enumerate(zip(s.options, partials, strict=True))
                    if not threshold.verify_partial(
                        p,
                        public_shares[index],
                        a,
                        threshold.decryption_context(base_hash, s.id, option, a, b),
                    )
                ),
                None,
            )
            if bad is not None:
                rejected[ps.trustee_id] = f"invalid proof (scrutin {s.id}, option {bad})"
                del accepted[index]
                break
    if len(accepted) < key.threshold:
        detail = "; ".join(f"{who}: {why}" for who, why in rejected.items())
        raise DecryptionError(
            f"{key.threshold} trustees' valid partial decryptions are needed, "
            f"{len(accepted)} available" + (f" (set aside: {detail})" if detail else "")
        )
    used = sorted(accepted)[: key.threshold]
    table = DiscreteLog(max((s.ballots for s in aggregate.scrutins), default=0))
    counts: dict[ScrutinId, tuple[int, ...]] = {}
    for position, s in enumerate(aggregate.scrutins):
        if not s.options:
            counts[s.id] = (0,) * len(manifest.scrutin(s.id).options)
            continue
        values = []
        for option, (a, b) in enumerate(s.options):
            try:
                combined = threshold.combine(
                    a,
                    b,
                    [accepted[i].scrutins[position][1][option] for i in used],
                    public_shares,
                    key.threshold,
                    threshold.decryption_context(base_hash, s.id, option, a, b),
                    table,
                    names,
                )
            except ThresholdError as exc:
                raise DecryptionError(f"scrutin {s.id}, option {option}: {exc}") from None
            if combined.value > s.ballots:
                raise DecryptionError(f"scrutin {s.id}, option {option}: more votes than ballots")
            values.append(combined.value)
        if sum(values) != s.ballots:
            raise DecryptionError(
                f"scrutin {s.id}: the counts sum to {sum(values)}, not to the {s.ballots} ballots"
            )
        counts[s.id] = tuple(values)
    return TallyCounts(
        counts=counts,
        used=tuple(names[i] for i in used),
        rejected=rejected,
    )


def _public_shares(package: ElectionPackage) -> tuple[dict[int, Element], dict[int, str]]:
    """X_l for every trustee l (position in the manifest, from 1), and their ids."""
    key = package.manifest.election_key
    if key is None:
        raise DecryptionError("the election package is not sealed: no election key")
    try:
        sets = [tuple(group.element(c) for c in t.commitments) for t in key.trustees]
        if threshold.joint_key(sets) != key.joint_public_key:
            raise DecryptionError("the package's joint key is not the sum of the commitments")
        shares = {i: threshold.public_share(sets, i) for i in range(1, len(sets) + 1)}
    except GroupError:
        raise DecryptionError("the package's trustee commitments are not valid points") from None
    return shares, {i: t.trustee_id for i, t in enumerate(key.trustees, start=1)}


# ---- files ---------------------------------------------------------------------------------------


def check_aggregate(aggregate: TallyAggregate, manifest: Manifest) -> None:
    """The aggregate names this election and each of its scrutins once, in manifest order,
    with one (A, B) per ballot option (none when the scrutin has no ballot)."""
    if aggregate.election_id != manifest.election_id:
        raise DecryptionError(
            f"the aggregate is for election {aggregate.election_id!r}, not {manifest.election_id!r}"
        )
    expected = [s.id for s in manifest.scrutins]
    if [s.id for s in aggregate.scrutins] != expected:
        raise DecryptionError(f"the aggregate must list the scrutins {', '.join(expected)}")
    if aggregate.board.count != sum(s.ballots for s in aggregate.scrutins):
        raise DecryptionError(
            f"the aggregate sums {sum(s.ballots for s in aggregate.scrutins)} ballots "
            f"but names a board of {aggregate.board.count}"
        )
    for s in aggregate.scrutins:
        options = len(manifest.scrutin(s.id).options)
        if s.ballots > manifest.voter_count:
            raise DecryptionError(f"scrutin {s.id}: more ballots than voters")
        if len(s.options) != (options if s.ballots else 0):
            raise DecryptionError(
                f"scrutin {s.id}: {len(s.options)} aggregated options, "
                f"expected {options if s.ballots else 0}"
            )


def parse_aggregate(data: bytes, where: str) -> TallyAggregate:
    try:
        top = Fields.load(data, where)
        top.constant("schema", AGGREGATE_SCHEMA)
        scrutins = []
        for path, item in top.array("scrutins", _MAX_SCRUTINS):
            s = Fields(item, path)
            options = []
            for opath, option in s.array("options", _MAX_OPTIONS):
                o = Fields(option, opath)
                options.append((o.element("a"), o.element("b")))
                o.done()
            scrutins.append(
                AggregateScrutin(
                    id=ScrutinId(s.ident("id")),
                    ballots=s.integer("ballots", 0, _MAX_BALLOTS),
                    options=tuple(options),
                )
            )
            s.done()
        aggregate = TallyAggregate(
            election_id=top.ident("election_id"), scrutins=tuple(scrutins), board=_board(top)
        )
        top.done()
    except FormatError as exc:
        raise DecryptionError(str(exc)) from None
    return aggregate


def _board(top: Fields) -> BoardBinding:
    board = top.obj("board")
    binding = BoardBinding(
        count=board.integer("count", 0, _MAX_BALLOTS), head=board.hex("head", _BOARD_HASH_BYTES)
    )
    board.done()
    return binding


def parse_partials(data: bytes, where: str) -> PartialDecryptions:
    try:
        top = Fields.load(data, where)
        top.constant("schema", PARTIAL_SCHEMA)
        index = top.integer("index", 1, 100)
        scrutins = []
        for path, item in top.array("scrutins", _MAX_SCRUTINS):
            s = Fields(item, path)
            partials = []
            for opath, option in s.array("options", _MAX_OPTIONS):
                o = Fields(option, opath)
                partials.append(
                    PartialDecryption(index=index, share=o.element("share"), proof=_proof(o))
                )
                o.done()
            scrutins.append((ScrutinId(s.ident("id")), tuple(partials)))
            s.done()
        result = PartialDecryptions(
            election_id=top.ident("election_id"),
            trustee_id=top.ident("trustee_id"),
            index=index,
            aggregate=top.hex("aggregate", 32),
            scrutins=tuple(scrutins),
        )
        top.done()
    except FormatError as exc:
        raise DecryptionError(str(exc)) from None
    return result


def _proof(o: Fields) -> DleqProof:
    try:
        return DleqProof.from_bytes(o.b64("proof", 64))
    except GroupError:
        raise FormatError(f"{o.path}.proof: not a proof") from None
