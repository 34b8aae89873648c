"""The dealer-free key ceremony, step by step (docs/trustee.md, docs/protocol.md §13).

Each trustee runs, in order, each step once (a step interrupted after saving the state may be
run again: it rewrites only the messages that are missing):

    init      create the state file and publish an announcement (keys, index, n, k)
    deal      when all n announcements are in: publish commitments, a proof of knowledge of the
              secret term, and one encrypted share per other trustee
    receive   when all n dealings are in: decrypt and check every share addressed to this
              trustee against its dealer's commitments; any bad one names its dealer
    finish    sum the shares into x_l, publish X_l, the joint key H and a proof of x_l

``ceremony_result`` then checks the whole folder from public data alone (for ``election seal``):
every signature and proof, every X_l against the commitments, and that all trustees agree on H.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from kiosk.crypto import group, threshold
from kiosk.crypto.group import Element, GroupError
from kiosk.election import package, signing
from kiosk.election.kdf import KdfParams
from kiosk.election.model import (
    ID_PATTERN,
    ElectionKey,
    ElectionPackage,
    TrusteeCommitments,
    TrusteeId,
)
from kiosk.encoding import b64encode
from kiosk.trustee import messages, state, transport
from kiosk.trustee.messages import Announcement, Dealing, Finish, MessageError, ShareMessage
from kiosk.trustee.state import Stage, TrusteeRecord, TrusteeSecrets, TrusteeState


class CeremonyError(ValueError):
    """A step that cannot run now, or a ceremony that is not valid; the message says why."""


class BadDealerError(CeremonyError):
    """Shares or dealings that fail their checks; ``dealers`` names each bad dealer."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.dealers = tuple(dealer for dealer, _ in problems)
        super().__init__(
            "bad dealing from "
            + "; ".join(f"dealer {dealer}: {why}" for dealer, why in problems)
            + ". Do not go on: the ceremony must start again without (or with a new) dealer."
        )


@dataclass(frozen=True)
class Roster:
    """Every trustee's announcement, in index order 1..n, all agreeing on the ceremony."""

    ceremony_id: str
    threshold: int
    announcements: tuple[Announcement, ...]
    digest: bytes

    @property
    def trustees(self) -> int:
        return len(self.announcements)

    def at(self, index: int) -> Announcement:
        return self.announcements[index - 1]

    def name(self, index: int) -> str:
        return f"{self.at(index).trustee_id} (#{index})"


@dataclass(frozen=True)
class CeremonyResult:
    """A complete, checked ceremony: what ``election seal`` puts into the manifest."""

    ceremony_id: str
    threshold: int
    trustee_ids: tuple[str, ...]  # index order
    fingerprints: tuple[str, ...]  # of each trustee's announcement, index order
    commitments: tuple[tuple[Element, ...], ...]  # index order
    public_shares: tuple[Element, ...]  # X_1..X_n
    joint_public_key: Element

    def election_key(self) -> ElectionKey:
        return ElectionKey(
            joint_public_key=self.joint_public_key,
            threshold=self.threshold,
            trustees=tuple(
                TrusteeCommitments(TrusteeId(tid), tuple(c))
                for tid, c in zip(self.trustee_ids, self.commitments, strict=True)
            ),
        )


# ---- the steps -----------------------------------------------------------------------------------


def init(
    folder: Path,
    state_path: Path,
    passphrase: str,
    *,
    ceremony_id: str,
    trustee_id: str,
    index: int,
    trustees: int,
    threshold_k: int,
    kdf: KdfParams,
) -> Announcement:
    """Create this trustee's state file and publish its announcement."""
    for what, value in (("ceremony id", ceremony_id), ("trustee id", trustee_id)):
        if not ID_PATTERN.fullmatch(value):
            raise CeremonyError(f"{what} {value!r}: use [a-z0-9][a-z0-9._-]*, at most 64")
    if not threshold.MIN_TRUSTEES <= trustees <= threshold.MAX_TRUSTEES:
        raise CeremonyError(
            f"{trustees} trustees: from {threshold.MIN_TRUSTEES} to {threshold.MAX_TRUSTEES}"
        )
    if not threshold.MIN_THRESHOLD <= threshold_k <= trustees:
        raise CeremonyError(
            f"threshold {threshold_k}: from {threshold.MIN_THRESHOLD} to the number of trustees"
        )
    if not 1 <= index <= trustees:
        raise CeremonyError(f"index {index}: from 1 to {trustees}")
    target = messages.announcement_path(folder, index)
    if target.exists():
        raise CeremonyError(f"{target.name}: index {index} is taken already in {folder}")
    signer = signing.generate()
    receiver = X25519PrivateKey.generate()
    record = TrusteeRecord(
        ceremony_id=ceremony_id,
        trustee_id=trustee_id,
        index=index,
        trustees=trustees,
        threshold=threshold_k,
        stage=Stage.INITIALIZED,
        signing_key=signing.public_bytes(signer),
        transport_key=transport.public_bytes(receiver),
    )
    secrets = TrusteeSecrets(signing_key=_raw(signer), transport_key=_raw(receiver))
    state.create(state_path, record, secrets, passphrase, kdf)
    announcement = _announcement(record)
    messages.write(target, announcement.body(), signer)
    return announcement


@dataclass(frozen=True)
class StepReport:
    """What a step did, for the trustee's screen (never a secret)."""

    record: TrusteeRecord
    roster: Roster
    written: int  # messages written by this run
    finished: tuple[str, ...] = ()  # trustees whose finish message is in the folder
    agreeing: tuple[str, ...] = ()  # ... and who computed the same joint key


def deal(folder: Path, state_path: Path, passphrase: str) -> StepReport:
    """Draw the polynomial, save it, then publish the dealing and one share per other trustee.

    The state is saved before any message is written, so that a run cut short is completed by
    running ``deal`` again, with the same polynomial.
    """
    unlocked = state.unlock(state_path, passphrase)
    record = unlocked.record
    _expect(record, Stage.INITIALIZED, Stage.DEALT)
    roster = read_roster(folder, record)
    if record.stage is Stage.INITIALIZED:
        own = messages.dealing_path(folder, record.index)
        if own.exists():
            raise CeremonyError(
                f"{own.name} exists, but you have not dealt: someone else wrote it. "
                "Start a new ceremony folder."
            )
        coefficients = threshold.new_polynomial(record.threshold)
        unlocked = unlocked.updated(
            replace(record, stage=Stage.DEALT, commitments=threshold.commit(coefficients)),
            replace(unlocked.secrets, coefficients=coefficients),
        )
        state.save(state_path, unlocked)
    written = _publish_dealing(folder, unlocked, roster)
    return StepReport(record=unlocked.record, roster=roster, written=written)


def receive(folder: Path, state_path: Path, passphrase: str) -> StepReport:
    """Check every dealing and every share addressed to this trustee, then keep the shares.

    A share that does not decrypt, is not signed by its dealer, or does not match the dealer's
    commitments raises ``BadDealerError`` naming every such dealer; nothing is saved then.
    """
    unlocked = state.unlock(state_path, passphrase)
    record = unlocked.record
    _expect(record, Stage.DEALT)
    roster = read_roster(folder, record)
    dealings, missing, problems = _read_dealings(folder, roster)
    receiver = unlocked.secrets.transport()
    received: dict[int, int] = {}
    for dealer, dealing in sorted(dealings.items()):
        if dealer == record.index:
            if dealing.commitments != record.commitments:
                problems.append((roster.name(dealer), "your own dealing was replaced"))
            else:
                received[dealer] = threshold.evaluate(unlocked.secrets.coefficients, dealer)
            continue
        path = messages.share_path(folder, dealer, record.index)
        if not path.exists():
            missing.append(f"{path.name} from {roster.name(dealer)}")
            continue
        try:
            share = _decrypt_share(path, roster, dealing, record, receiver)
        except CeremonyError as exc:
            problems.append((roster.name(dealer), str(exc)))
            continue
        if not threshold.verify_share(dealing.commitments, record.index, share):
            problems.append(
                (roster.name(dealer), f"{path.name} does not match the dealer's commitments")
            )
            continue
        received[dealer] = share
    if problems:
        raise BadDealerError(problems)
    if missing:
        raise CeremonyError("not every trustee has dealt yet; missing: " + ", ".join(missing))
    transcript = messages.transcript_digest(
        roster.ceremony_id, roster.digest, roster.threshold, _ordered(dealings)
    )
    unlocked = unlocked.updated(
        replace(record, stage=Stage.RECEIVED, transcript=transcript),
        replace(unlocked.secrets, received=received),
    )
    state.save(state_path, unlocked)
    return StepReport(record=unlocked.record, roster=roster, written=0)


def finish(folder: Path, state_path: Path, passphrase: str) -> StepReport:
    """Compute x_l, X_l and H, keep only x_l, and publish the finish message.

    The dealings must be exactly those checked by ``receive`` (same transcript). The report
    tells which trustees have finished already and whether they reached the same joint key.
    """
    unlocked = state.unlock(state_path, passphrase)
    record = unlocked.record
    _expect(record, Stage.RECEIVED, Stage.FINISHED)
    roster = read_roster(folder, record)
    if record.stage is Stage.RECEIVED:
        unlocked = _finish(folder, unlocked, roster)
        state.save(state_path, unlocked)
    written = _publish_finish(folder, unlocked)
    finished, agreeing = _finished_so_far(folder, roster, unlocked.record)
    return StepReport(
        record=unlocked.record,
        roster=roster,
        written=written,
        finished=finished,
        agreeing=agreeing,
    )


def _finish(folder: Path, unlocked: TrusteeState, roster: Roster) -> TrusteeState:
    record, secrets = unlocked.record, unlocked.secrets
    dealings, missing, problems = _read_dealings(folder, roster)
    if problems or missing:
        raise CeremonyError(
            "the dealings changed since you ran receive: "
            + "; ".join([*(f"{who}: {why}" for who, why in problems), *missing])
        )
    transcript = messages.transcript_digest(
        roster.ceremony_id, roster.digest, roster.threshold, _ordered(dealings)
    )
    if transcript != record.transcript:
        raise CeremonyError(
            "the dealings changed since you ran receive (a dealer published two versions, "
            "or the folder was tampered with): do not finish; tell the other trustees"
        )
    if sorted(secrets.received) != list(range(1, roster.trustees + 1)):
        raise CeremonyError("your state does not hold a share from every dealer: run receive")
    share = sum(secrets.received.values()) % group.L
    commitment_sets = [d.commitments for d in _ordered(dealings)]
    public = group.base_mul(share)
    if public != threshold.public_share(commitment_sets, record.index):
        raise CeremonyError("your share does not match the commitments (internal error)")
    joint = threshold.joint_key(commitment_sets)
    # The polynomial and the shares received are no longer needed: only x_l stays.
    kept = TrusteeSecrets(
        signing_key=secrets.signing_key, transport_key=secrets.transport_key, share=share
    )
    return unlocked.updated(
        replace(record, stage=Stage.FINISHED, public_share=public, joint_public_key=joint), kept
    )


def _publish_dealing(folder: Path, unlocked: TrusteeState, roster: Roster) -> int:
    """Write whatever part of this trustee's dealing is missing; returns the files written."""
    record, secrets = unlocked.record, unlocked.secrets
    signer = secrets.signer()
    written = 0
    dealing_file = messages.dealing_path(folder, record.index)
    if not dealing_file.exists():
        commitments, proof = threshold.prove_dealer_key(
            record.ceremony_id, record.trustee_id, record.index, secrets.coefficients
        )
        dealing = Dealing(
            ceremony_id=record.ceremony_id,
            trustee_id=record.trustee_id,
            index=record.index,
            roster=roster.digest,
            commitments=commitments,
            proof=proof,
        )
        messages.write(dealing_file, dealing.body(), signer)
        written += 1
    own = _read_dealing(folder, roster, record.index)
    if own.commitments != record.commitments:
        raise CeremonyError(f"{dealing_file.name} is not the dealing you made: investigate")
    for recipient in roster.announcements:
        target = messages.share_path(folder, record.index, recipient.index)
        if recipient.index == record.index or target.exists():
            continue
        share = threshold.evaluate(secrets.coefficients, recipient.index)
        messages.write(target, _encrypt_share(record, own, recipient, share).body(), signer)
        written += 1
    return written


def _publish_finish(folder: Path, unlocked: TrusteeState) -> int:
    record, share = unlocked.record, unlocked.secrets.share
    target = messages.finish_path(folder, record.index)
    if target.exists():
        return 0
    if (
        record.transcript is None
        or record.public_share is None
        or record.joint_public_key is None
        or share is None
    ):
        raise CeremonyError(f"{record.trustee_id}: the state lacks the final share")
    proof = threshold.prove_share_key(
        record.ceremony_id, record.trustee_id, record.index, record.transcript, share
    )
    message = Finish(
        ceremony_id=record.ceremony_id,
        trustee_id=record.trustee_id,
        index=record.index,
        transcript=record.transcript,
        joint_public_key=record.joint_public_key,
        public_share=record.public_share,
        proof=proof,
    )
    messages.write(target, message.body(), unlocked.secrets.signer())
    return 1


def _finished_so_far(
    folder: Path, roster: Roster, record: TrusteeRecord
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    finished: list[str] = []
    agreeing: list[str] = []
    for a in roster.announcements:
        path = messages.finish_path(folder, a.index)
        if not path.exists():
            continue
        try:
            f = messages.read_finish(path, a)
        except MessageError:
            continue  # reported by election seal; here only the progress is shown
        finished.append(a.trustee_id)
        if f.joint_public_key == record.joint_public_key and f.transcript == record.transcript:
            agreeing.append(a.trustee_id)
    return tuple(finished), tuple(agreeing)


# ---- reading and checking the folder -------------------------------------------------------------


def read_roster(folder: Path, expected: TrusteeRecord | None = None) -> Roster:
    """All n announcements, consistent with each other (and with ``expected``, a trustee's own)."""
    if not folder.is_dir():
        raise CeremonyError(f"{folder}: no such ceremony folder")
    if expected is None:
        found = sorted(folder.glob("announcement-*.json"))
        if not found:
            raise CeremonyError(f"{folder}: no announcement: not a ceremony folder")
        first = _read_announcement(found[0])
        ceremony_id, n, k = first.ceremony_id, first.trustees, first.threshold
    else:
        ceremony_id, n, k = expected.ceremony_id, expected.trustees, expected.threshold
    announcements: list[Announcement] = []
    missing: list[str] = []
    for index in range(1, n + 1):
        path = messages.announcement_path(folder, index)
        if not path.exists():
            missing.append(f"#{index}")
            continue
        a = _read_announcement(path)
        if a.index != index:
            raise CeremonyError(f"{path.name}: announces index {a.index}")
        if (a.ceremony_id, a.trustees, a.threshold) != (ceremony_id, n, k):
            raise CeremonyError(
                f"{path.name}: trustee {a.trustee_id} announced ceremony {a.ceremony_id!r} with "
                f"{a.threshold} of {a.trustees}, not {ceremony_id!r} with {k} of {n}"
            )
        announcements.append(a)
    if missing:
        raise CeremonyError(
            f"waiting for the announcements of trustees {', '.join(missing)} (of {n}) in {folder}"
        )
    extra = [
        p.name
        for p in folder.glob("announcement-*.json")
        if p not in {messages.announcement_path(folder, a.index) for a in announcements}
    ]
    if extra:
        raise CeremonyError(f"{extra[0]}: more announcements than the {n} trustees")
    ids = [a.trustee_id for a in announcements]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CeremonyError(f"trustee id {duplicates[0]!r} is announced twice")
    if expected is not None and announcements[expected.index - 1] != _announcement(expected):
        raise CeremonyError(
            f"{messages.announcement_path(folder, expected.index).name} is not your announcement:"
            " it was replaced. Start a new ceremony folder."
        )
    return Roster(
        ceremony_id=ceremony_id,
        threshold=k,
        announcements=tuple(announcements),
        digest=messages.roster_digest(announcements),
    )


def ceremony_result(folder: Path) -> CeremonyResult:
    """Check a finished ceremony from public data alone; any flaw is a ``CeremonyError``."""
    roster = read_roster(folder)
    dealings, missing, problems = _read_dealings(folder, roster)
    if problems:
        raise BadDealerError(problems)
    if missing:
        raise CeremonyError("the ceremony is not complete; missing: " + ", ".join(missing))
    ordered = _ordered(dealings)
    commitment_sets = [d.commitments for d in ordered]
    transcript = messages.transcript_digest(
        roster.ceremony_id, roster.digest, roster.threshold, ordered
    )
    try:
        joint = threshold.joint_key(commitment_sets)
        public_shares = tuple(
            threshold.public_share(commitment_sets, i) for i in range(1, roster.trustees + 1)
        )
    except GroupError:
        raise CeremonyError("the commitments give an invalid joint key or public share") from None
    finishes: dict[int, Finish] = {}
    unfinished: list[str] = []
    for a in roster.announcements:
        path = messages.finish_path(folder, a.index)
        if not path.exists():
            unfinished.append(roster.name(a.index))
            continue
        try:
            f = messages.read_finish(path, a)
        except MessageError as exc:
            raise CeremonyError(str(exc)) from None
        if (f.ceremony_id, f.trustee_id, f.index) != (roster.ceremony_id, a.trustee_id, a.index):
            raise CeremonyError(f"{path.name}: not {roster.name(a.index)}'s finish message")
        if not threshold.verify_share_key(
            f.ceremony_id, f.trustee_id, f.index, f.transcript, f.public_share, f.proof
        ):
            raise CeremonyError(
                f"{path.name}: invalid proof of the share of {roster.name(a.index)}"
            )
        finishes[a.index] = f
    if unfinished:
        raise CeremonyError("not every trustee has finished: " + ", ".join(unfinished))
    _check_agreement(roster, finishes, joint, transcript)
    for index, f in finishes.items():
        if f.public_share != public_shares[index - 1]:
            raise CeremonyError(
                f"{roster.name(index)}'s public share differs from the one the commitments give"
            )
    return CeremonyResult(
        ceremony_id=roster.ceremony_id,
        threshold=roster.threshold,
        trustee_ids=tuple(a.trustee_id for a in roster.announcements),
        fingerprints=tuple(a.fingerprint for a in roster.announcements),
        commitments=tuple(commitment_sets),
        public_shares=public_shares,
        joint_public_key=joint,
    )


def _check_agreement(
    roster: Roster, finishes: dict[int, Finish], joint: Element, transcript: bytes
) -> None:
    keys: dict[bytes, list[str]] = {}
    for index, f in sorted(finishes.items()):
        keys.setdefault(f.joint_public_key, []).append(roster.name(index))
    if len(keys) > 1 or joint not in keys:
        views = "; ".join(
            f"{', '.join(who)} computed {b64encode(key)}" for key, who in keys.items()
        )
        raise CeremonyError(
            f"the trustees disagree on the joint key: {views}; the published dealings give "
            f"{b64encode(joint)}. Do not seal: investigate, then run a new ceremony."
        )
    differing = [roster.name(i) for i, f in sorted(finishes.items()) if f.transcript != transcript]
    if differing:
        raise CeremonyError(
            f"{', '.join(differing)} finished on other dealings than the published ones"
        )


def _read_announcement(path: Path) -> Announcement:
    try:
        return messages.read_announcement(path)
    except MessageError as exc:
        raise CeremonyError(str(exc)) from None


def _read_dealing(folder: Path, roster: Roster, index: int) -> Dealing:
    """One dealing, checked: signature, sender, ceremony, roster, degree and proof."""
    sender = roster.at(index)
    path = messages.dealing_path(folder, index)
    try:
        dealing = messages.read_dealing(path, sender)
    except MessageError as exc:
        raise CeremonyError(str(exc)) from None
    if (dealing.ceremony_id, dealing.trustee_id, dealing.index) != (
        roster.ceremony_id,
        sender.trustee_id,
        index,
    ):
        raise CeremonyError(f"{path.name}: not {roster.name(index)}'s dealing for this ceremony")
    if dealing.roster != roster.digest:
        raise CeremonyError(f"{path.name}: dealt to a different list of trustees")
    if len(dealing.commitments) != roster.threshold:
        raise CeremonyError(
            f"{path.name}: {len(dealing.commitments)} commitments, threshold {roster.threshold}"
        )
    if not threshold.verify_dealer_key(
        dealing.ceremony_id, dealing.trustee_id, dealing.index, dealing.commitments, dealing.proof
    ):
        raise CeremonyError(f"{path.name}: invalid proof of knowledge of the secret term")
    return dealing


def _read_dealings(
    folder: Path, roster: Roster
) -> tuple[dict[int, Dealing], list[str], list[tuple[str, str]]]:
    """(valid dealings by index, missing files, [(bad dealer, reason)])."""
    dealings: dict[int, Dealing] = {}
    missing: list[str] = []
    problems: list[tuple[str, str]] = []
    for a in roster.announcements:
        path = messages.dealing_path(folder, a.index)
        if not path.exists():
            missing.append(f"{path.name} from {roster.name(a.index)}")
            continue
        try:
            dealings[a.index] = _read_dealing(folder, roster, a.index)
        except CeremonyError as exc:
            problems.append((roster.name(a.index), str(exc)))
    return dealings, missing, problems


def _ordered(dealings: dict[int, Dealing]) -> list[Dealing]:
    return [dealings[i] for i in sorted(dealings)]


def _encrypt_share(
    record: TrusteeRecord, dealing: Dealing, recipient: Announcement, share: int
) -> ShareMessage:
    associated = messages.share_header_bytes(
        record.ceremony_id, record.index, recipient.index, dealing.hash
    )
    try:
        ephemeral, ciphertext = transport.encrypt(
            recipient.transport_key, group.scalar_bytes(share), associated
        )
    except transport.TransportError:
        raise CeremonyError(f"{recipient.trustee_id}'s transport key is not usable") from None
    return ShareMessage(
        ceremony_id=record.ceremony_id,
        dealer=record.index,
        recipient=recipient.index,
        dealing=dealing.hash,
        ephemeral_key=ephemeral,
        ciphertext=ciphertext,
    )


def _decrypt_share(
    path: Path,
    roster: Roster,
    dealing: Dealing,
    record: TrusteeRecord,
    receiver: X25519PrivateKey,
) -> int:
    try:
        message = messages.read_share(path, roster.at(dealing.index))
    except MessageError as exc:
        raise CeremonyError(str(exc)) from None
    if (message.ceremony_id, message.dealer, message.recipient) != (
        roster.ceremony_id,
        dealing.index,
        record.index,
    ):
        raise CeremonyError(f"{path.name}: addressed to another ceremony or trustee")
    if message.dealing != dealing.hash:
        raise CeremonyError(f"{path.name}: belongs to another version of the dealing")
    associated = messages.share_header_bytes(
        message.ceremony_id,
        message.dealer,
        message.recipient,
        message.dealing,
    )
    try:
        plaintext = transport.decrypt(
            receiver, message.ephemeral_key, message.ciphertext, associated
        )
        return group.scalar(plaintext)
    except (transport.TransportError, GroupError):
        raise CeremonyError(f"{path.name}: does not decrypt to a share") from None


def _expect(record: TrusteeRecord, *stages: Stage) -> None:
    if record.stage not in stages:
        raise CeremonyError(
            f"trustee {record.trustee_id} is at stage {record.stage.value!r}; "
            f"next step: {state.NEXT_STEP[record.stage]}"
        )


def _announcement(record: TrusteeRecord) -> Announcement:
    return Announcement(
        ceremony_id=record.ceremony_id,
        trustee_id=record.trustee_id,
        index=record.index,
        trustees=record.trustees,
        threshold=record.threshold,
        signing_key=record.signing_key,
        transport_key=record.transport_key,
    )


def _raw(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def seal(
    sealed_or_not: ElectionPackage, result: CeremonyResult, organizer_key: Ed25519PrivateKey
) -> ElectionPackage:
    """The package with the ceremony's joint key and commitments, signed again.

    The ceremony must be this election's (ceremony id = election id). A package sealed already
    with the same key is returned as it is; one sealed with another key is refused.
    """
    manifest = sealed_or_not.manifest
    if result.ceremony_id != manifest.election_id:
        raise CeremonyError(
            f"the ceremony is for election {result.ceremony_id!r}, "
            f"the package for {manifest.election_id!r}"
        )
    key = result.election_key()
    if manifest.election_key is not None:
        if manifest.election_key == key:
            return sealed_or_not
        raise CeremonyError(
            "the package is sealed already, with another key: start from the unsealed package"
        )
    try:
        return package.resign(sealed_or_not, replace(manifest, election_key=key), organizer_key)
    except package.PackageError as exc:
        raise CeremonyError(str(exc)) from None


def check_package(record: TrusteeRecord, sealed: ElectionPackage) -> None:
    """Refuse, naming the first difference, unless ``sealed`` carries this trustee's ceremony.

    Each trustee runs it on the package the organizer publishes, before the polls open: a
    package whose key or commitments were swapped would let someone else decrypt ballots.
    """
    if record.joint_public_key is None or record.public_share is None:
        raise CeremonyError("your ceremony is not finished: run `isoloir trustee finish` first")
    manifest = sealed.manifest
    key = manifest.election_key
    if key is None:
        raise CeremonyError("the package is not sealed: it has no election key")
    if manifest.election_id != record.ceremony_id:
        raise CeremonyError(
            f"the package is for election {manifest.election_id!r}, "
            f"your ceremony for {record.ceremony_id!r}"
        )
    if key.joint_public_key != record.joint_public_key:
        raise CeremonyError("the package's election key is NOT the joint key of your ceremony")
    if (key.threshold, len(key.trustees)) != (record.threshold, record.trustees):
        raise CeremonyError(
            f"the package says {key.threshold} of {len(key.trustees)} trustees, "
            f"your ceremony {record.threshold} of {record.trustees}"
        )
    mine = key.trustees[record.index - 1]
    if mine.trustee_id != record.trustee_id or tuple(mine.commitments) != record.commitments:
        raise CeremonyError(
            f"position {record.index} of the package's trustees does not hold your commitments"
        )
    try:
        commitment_sets = [[group.element(c) for c in t.commitments] for t in key.trustees]
        derived = threshold.public_share(commitment_sets, record.index)
    except GroupError:
        raise CeremonyError("the package holds an invalid trustee commitment") from None
    if derived != record.public_share:
        raise CeremonyError("the package's commitments do not give your public key share")
