"""Envelope upload: the kiosks' sealed ballots into the ballot box (docs/server.md, "Envelope
upload").

A kiosk uploads a batch of envelopes (docs/protocol.md §11), each with the receipt signature it
printed for the voter (§12), which the board publishes. Each envelope gets one answer:

1. an envelope id the server has answered before: the same bytes get that earlier answer again,
   byte for byte (``duplicate``); other bytes under that id are refused (``envelope_id_reused``);
2. checks that need no lock, cheapest first: the envelope parses, names this election and the
   kiosk that sent it, both kiosk signatures verify, the scrutin exists, the voter is on the roll
   for it, the server clock is within the voting window (for a removable-media bundle: the
   kiosk's signed statement that the ballot was cast inside it), the ballot's proofs verify;
3. then, for the batch, one write transaction: the board's append lock first, then what the
   batch meets is read, a statement per table (ids answered meanwhile, its voters' émargements,
   its tracking codes on the board), and decided per envelope in voter-id order: the voter has
   not voted in that scrutin (``already_voted``: the envelope goes to the conflict report), the
   tracking code is not on the board nor earlier in the batch; the émargements and answers are
   written, then the accepted envelopes' board entries (no voter reference), in a shuffled
   order, so that neither the board nor the émargement keeps the batch's order, nor the order
   of the other. Uploads that finish their checks while another transaction of this process
   runs are stored together by the next one, as one batch (group commit, ``_store``).

An envelope refused by step 2 or for its tracking code leaves nothing behind: the same checks give
the same answer to a retry. Only accepted envelopes and conflicts are stored with their answer.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from typing import Final

from kiosk.clock import Clock, isoformat_utc
from kiosk.crypto.ballot import BallotVerdict, check_ballot, encode_ballot
from kiosk.crypto.context import ElectionContext, NotSealedError, election_context
from kiosk.crypto.envelope import (
    Envelope,
    EnvelopeFormatError,
    decode_envelope,
    verify_envelope,
)
from kiosk.crypto.receipt import Receipt, verify_receipt
from kiosk.crypto.tracking import TrackingCode, tracking_code_of_bytes
from kiosk.election.model import ElectionPackage, KioskId, ScrutinId, VoterId
from kiosk.encoding import canonical_json
from kiosk.record.board import BoardEntry, entry_hash, genesis
from server.log import ServerEvent, log_event
from server.settings import DEFAULT_MAX_CLOCK_SKEW
from server.storage import board as rows
from server.storage.board import Outcome, StoredAnswer
from server.storage.database import ConstraintViolation, Database, Transaction

MAX_BATCH: Final = 1000
MAX_ENVELOPE_BYTES: Final = 1 << 20
OPENING_GRACE: Final = DEFAULT_MAX_CLOCK_SKEW
"""How long before the polls open (server clock) an envelope already enters: the max accepted
clock skew (the intake's ``max_clock_skew``). A kiosk whose clock is that far ahead opens, casts
and signs requests the server accepts; its first ballots must not be refused for the gap."""
CLOSING_GRACE: Final = timedelta(minutes=15)
"""How long after the polls close an envelope still enters, at least: clearly more than the max
accepted clock skew (a kiosk that far behind casts until closing + skew, server clock) plus time
to send and retry. The grace is ``max(CLOSING_GRACE, 3 * max_clock_skew)``. Later, the kiosk
keeps the ballot (held, not rejected) for removable media, judged by its signed statement."""
_WRITE_ATTEMPTS: Final = 3
CONCURRENT_CHECKS: Final = (
    len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)
"""Uploads checked at once by one server process: as many as it has cores (libsodium's calls,
most of a ballot's check, release the GIL), so that a process alone busy can still use them all."""

logger = logging.getLogger(__name__)


class Reason(StrEnum):
    """Why an envelope was refused; stable codes (kiosks act on them)."""

    MALFORMED = "malformed"
    WRONG_ELECTION = "wrong_election"
    WRONG_KIOSK = "wrong_kiosk"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_SCRUTIN = "unknown_scrutin"
    NOT_ELIGIBLE = "not_eligible"
    OUTSIDE_WINDOW = "outside_window"
    CAST_OUTSIDE_WINDOW = "cast_outside_window"  # a bundle's envelope (server/bundles.py)
    NOT_SEALED = "election_not_sealed"
    BAD_PROOF = "bad_proof"
    DUPLICATE_TRACKING_CODE = "duplicate_tracking_code"
    ALREADY_VOTED = "already_voted"
    ENVELOPE_ID_REUSED = "envelope_id_reused"


DETAILS: Final = {
    None: "in the ballot box (déposé dans l'urne)",
    Reason.MALFORMED: "not a canonical envelope and receipt signature (docs/protocol.md §11)",
    Reason.WRONG_ELECTION: "the envelope names another election",
    Reason.WRONG_KIOSK: "the envelope was sealed by another kiosk than the one sending it",
    Reason.BAD_SIGNATURE: "the kiosk's signature over the envelope or the receipt does not verify",
    Reason.UNKNOWN_SCRUTIN: "the election has no such scrutin, or the ballot does not fit it",
    Reason.NOT_ELIGIBLE: "the voter is not on the roll for this scrutin",
    Reason.OUTSIDE_WINDOW: "the server's clock is outside the voting window",
    Reason.CAST_OUTSIDE_WINDOW: (
        "the kiosk's signed bundle states that this ballot was cast outside the voting window"
    ),
    Reason.NOT_SEALED: "the election package is not sealed: no ballot can be checked yet",
    Reason.BAD_PROOF: "the ballot's proofs do not verify",
    Reason.DUPLICATE_TRACKING_CODE: "a ballot with this tracking code is on the board already",
    Reason.ALREADY_VOTED: (
        "the voter has voted in this scrutin already (another envelope); not counted, "
        "listed in the conflict report"
    ),
    Reason.ENVELOPE_ID_REUSED: "another envelope was received under this id",
}


class Status(StrEnum):
    """What happened to an envelope in this upload."""

    ACCEPTED = "accepted"  # now in the ballot box
    DUPLICATE = "duplicate"  # answered before: ``answer`` is that earlier answer, byte for byte
    REJECTED = "rejected"  # refused now: ``answer`` says why


@dataclass(frozen=True)
class UploadItem:
    """One envelope as the kiosk sends it: its canonical bytes and its receipt signature."""

    envelope: bytes
    receipt_signature: bytes
    cast_in_window: bool | None = None
    """None for an online upload: the server's clock decides (``OUTSIDE_WINDOW``). From a
    removable-media bundle, the kiosk's signed statement, checked instead of the clock."""

    def __repr__(self) -> str:  # the envelope carries a voter id: keep it out of tracebacks
        return f"UploadItem({len(self.envelope)} bytes)"


@dataclass(frozen=True)
class EnvelopeAnswer:
    """The answer for one envelope: ``answer`` is canonical JSON, stored as sent when kept."""

    status: Status
    answer: bytes
    reason: Reason | None = None  # why it was refused now (REJECTED only), for the metrics

    def to_json(self) -> bytes:
        """``{"answer": ..., "status": ...}``, canonical, ``answer`` spliced in as stored."""
        return b'{"answer":' + self.answer + b',"status":"' + self.status.value.encode() + b'"}'


def response_bytes(answers: Sequence[EnvelopeAnswer]) -> bytes:
    """The upload's answer body: ``{"answers": [...]}`` in the order of the request."""
    return b'{"answers":[' + b",".join(answer.to_json() for answer in answers) + b"]}"


def answer_bytes(envelope_id: bytes | None, reason: Reason | None) -> bytes:
    """``{"envelope_id", "outcome", "reason", "detail"}`` as canonical JSON."""
    return canonical_json(
        {
            "envelope_id": None if envelope_id is None else envelope_id.hex(),
            "outcome": (Outcome.ACCEPTED if reason is None else Outcome.REJECTED).value,
            "reason": None if reason is None else reason.value,
            "detail": DETAILS[reason],
        }
    )


@dataclass(frozen=True)
class _Checked:
    """An envelope that passed every check that needs no lock."""

    position: int
    envelope: Envelope
    ballot: bytes
    tracking_code: TrackingCode
    receipt_signature: bytes
    sha256: bytes
    upload: int = 0  # which upload of a group commit (``_Pending``) it came in

    @property
    def key(self) -> tuple[int, int]:
        return self.upload, self.position


@dataclass
class _Pending:
    """One upload's checked envelopes, waiting for a transaction; then its answers by position,
    or what failed the transaction."""

    kiosk_id: KioskId
    checked: list[_Checked]
    answers: dict[int, EnvelopeAnswer] | None = None
    error: BaseException | None = None


class EnvelopeIntake:
    """Checks envelopes and puts the good ones in the ballot box (see the module docstring)."""

    def __init__(
        self,
        database: Database,
        package: ElectionPackage,
        clock: Clock,
        *,
        max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    ) -> None:
        """``max_clock_skew``: the server's setting; the window's graces follow from it."""
        self._opening_grace = max_clock_skew
        self._closing_grace = max(CLOSING_GRACE, 3 * max_clock_skew)
        self._database = database
        self._package = package
        self._clock = clock
        self._election_id = package.manifest.election_id
        self._kiosk_keys = {kiosk.id: kiosk.public_key for kiosk in package.manifest.kiosks}
        self._scrutins = {scrutin.id: scrutin for scrutin in package.manifest.scrutins}
        self._roll: dict[VoterId, frozenset[ScrutinId]] = {
            voter.id: frozenset(voter.scrutins) for voter in package.roll
        }
        self._window = package.manifest.window
        try:
            self._context: ElectionContext | None = election_context(package)
        except NotSealedError:
            self._context = None
        self._genesis = None if self._context is None else genesis(self._context.base_hash)
        # A few uploads' checks at a time in this process, the others queued: all interleaved
        # (the threads' fair share of the GIL), every upload of a burst would finish its checks
        # at the same moment, then all would queue for the append lock while the cores idle.
        # Queued, each upload's transaction overlaps the next ones' checks.
        self._checking = threading.Semaphore(CONCURRENT_CHECKS)
        self._writing = threading.Lock()  # one write transaction at a time (``_store``)
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending] = []

    def upload(self, kiosk_id: KioskId, items: Sequence[UploadItem]) -> list[EnvelopeAnswer]:
        """One answer per item, in order. ``DatabaseUnavailable`` when the database cannot
        take the batch: nothing of it was stored, and the kiosk retries it whole."""
        answers: list[EnvelopeAnswer | None] = [None] * len(items)
        parsed: list[tuple[int, Envelope, UploadItem, bytes]] = []
        for position, item in enumerate(items):
            try:
                envelope = decode_envelope(item.envelope)
            except EnvelopeFormatError:
                answers[position] = _refused(None, Reason.MALFORMED)
                continue
            if len(item.receipt_signature) != 64:
                answers[position] = _refused(envelope.envelope_id, Reason.MALFORMED)
                continue
            parsed.append((position, envelope, item, hashlib.sha256(item.envelope).digest()))

        with self._database.transaction(single=len(parsed) <= rows.CHUNK) as tx:
            known = rows.find_answers(tx, [envelope.envelope_id for _, envelope, _, _ in parsed])
        checked: list[_Checked] = []
        with self._checking:
            for position, envelope, item, sha in parsed:
                earlier = known.get(envelope.envelope_id)
                if earlier is not None:
                    answers[position] = _earlier(envelope.envelope_id, earlier, sha)
                    continue
                result = self._check(kiosk_id, position, envelope, item, sha)
                if isinstance(result, Reason):
                    answers[position] = _refused(envelope.envelope_id, result)
                else:
                    checked.append(result)

        if checked:
            for position, answer in self._store(kiosk_id, checked).items():
                answers[position] = answer
        final = [answer for answer in answers if answer is not None]
        if len(final) != len(items):
            raise RuntimeError("an envelope was left without an answer")
        log_event(
            logger,
            ServerEvent.ENVELOPE_UPLOAD,
            kiosk_id=kiosk_id,
            count=len(final),
            accepted=sum(a.status is Status.ACCEPTED for a in final),
            rejected=sum(a.status is Status.REJECTED for a in final),
            duplicates=sum(a.status is Status.DUPLICATE for a in final),
        )
        return final

    # ---- checks that need no lock -------------------------------------------------------------

    def _check(
        self, kiosk_id: KioskId, position: int, envelope: Envelope, item: UploadItem, sha: bytes
    ) -> _Checked | Reason:
        if envelope.election_id != self._election_id:
            return Reason.WRONG_ELECTION
        if envelope.kiosk_id != kiosk_id:
            return Reason.WRONG_KIOSK
        key = self._kiosk_keys.get(kiosk_id)
        if key is None or not verify_envelope(envelope, key):
            return Reason.BAD_SIGNATURE
        ballot = encode_ballot(envelope.ballot)
        code = tracking_code_of_bytes(ballot)
        receipt = Receipt(
            self._package.fingerprint,
            envelope.scrutin_id,
            code,
            envelope.kiosk_id,
            item.receipt_signature,
        )
        if not verify_receipt(receipt, key):
            return Reason.BAD_SIGNATURE
        scrutin = self._scrutins.get(envelope.scrutin_id)
        if scrutin is None:
            return Reason.UNKNOWN_SCRUTIN
        if envelope.scrutin_id not in self._roll.get(envelope.voter_id, frozenset()):
            return Reason.NOT_ELIGIBLE
        if item.cast_in_window is None:
            now = self._clock.now()
            opens = self._window.opens_at - self._opening_grace
            if not opens <= now < self._window.closes_at + self._closing_grace:
                return Reason.OUTSIDE_WINDOW
        elif not item.cast_in_window:
            return Reason.CAST_OUTSIDE_WINDOW
        if self._context is None:
            return Reason.NOT_SEALED
        verdict = check_ballot(self._context, scrutin, envelope.ballot)
        if verdict is BallotVerdict.WRONG_OPTION_COUNT or verdict is BallotVerdict.WRONG_SCRUTIN:
            return Reason.UNKNOWN_SCRUTIN
        if verdict is not BallotVerdict.VALID:
            return Reason.BAD_PROOF
        return _Checked(position, envelope, ballot, code, item.receipt_signature, sha)

    # ---- the transaction ----------------------------------------------------------------------

    def _store(self, kiosk_id: KioskId, checked: list[_Checked]) -> dict[int, EnvelopeAnswer]:
        """The upload's answers by position, from the write transaction that stored it.

        Group commit: this process runs one such transaction at a time (they would queue for
        the append lock anyway), and each takes every upload waiting for one, so that the lock
        and the commit's flush to disk are paid once for all of them. Whichever thread gets to
        write runs the transaction for the whole group; the others find their answers done, or
        the error that rolled it back (``DatabaseUnavailable``: nothing of any was stored)."""
        mine = _Pending(kiosk_id, checked)
        with self._queue_lock:
            self._queue.append(mine)
        with self._writing:
            if mine.answers is None and mine.error is None:
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._store_group(group)
        if mine.error is not None:
            raise mine.error
        if mine.answers is None:
            raise RuntimeError("an upload left its group commit without answers")
        return mine.answers

    def _store_group(self, group: list[_Pending]) -> None:
        """One write transaction for the group, retried when a constraint settles a race the
        checks inside it could not see (another writer outside the append lock)."""
        assert self._genesis is not None  # every checked envelope passed the sealed check
        order = [replace(c, upload=n) for n, pending in enumerate(group) for c in pending.checked]
        secrets.SystemRandom().shuffle(order)  # the board must not keep the arrival order
        kiosks = [pending.kiosk_id for pending in group]
        try:
            for attempt in range(_WRITE_ATTEMPTS):
                try:
                    with self._database.transaction(write=True) as tx:
                        answers, conflicts = self._append_all(tx, kiosks, order, self._genesis)
                except ConstraintViolation:
                    if attempt + 1 == _WRITE_ATTEMPTS:
                        raise
                    continue
                break
        except BaseException as exc:
            for pending in group:
                pending.error = exc
            raise
        for n, pending in enumerate(group):
            pending.answers = {p: answer for (u, p), answer in answers.items() if u == n}
        for item in conflicts:
            log_event(
                logger,
                ServerEvent.EMARGEMENT_CONFLICT,
                logging.WARNING,
                kiosk_id=kiosks[item.upload],
                scrutin_id=item.envelope.scrutin_id,
            )

    def _append_all(
        self, tx: Transaction, kiosks: list[KioskId], order: list[_Checked], genesis_hash: bytes
    ) -> tuple[dict[tuple[int, int], EnvelopeAnswer], list[_Checked]]:
        """``kiosks``: the kiosk that sent each upload of the group."""
        count, head = rows.lock_head(tx, genesis_hash)
        now = isoformat_utc(self._clock.now())
        # What the group meets, read once under the lock, then kept up to date with what the
        # group itself adds. Another upload of these ids may have committed since the first look.
        earlier = rows.find_answers(tx, [item.envelope.envelope_id for item in order])
        voted = rows.voted_among(tx, [_ballot_of(item) for item in order])
        taken = rows.taken_tracking_codes(tx, [item.tracking_code for item in order])
        answers: dict[tuple[int, int], EnvelopeAnswer] = {}
        kept: list[rows.NewAnswer] = []
        emargements: list[tuple[VoterId, ScrutinId, KioskId]] = []
        conflicts: list[_Checked] = []
        accepted: set[tuple[int, int]] = set()
        # First the émargements, by voter id (``order`` is shuffled, so a voter's two envelopes
        # still tie at random): the order they are written in says nothing of the board's.
        for item in sorted(order, key=_ballot_of):
            envelope_id = item.envelope.envelope_id
            stored = earlier.get(envelope_id)
            if stored is not None:
                answers[item.key] = _earlier(envelope_id, stored, item.sha256)
                continue
            ballot = _ballot_of(item)
            if ballot in voted:
                reason: Reason | None = Reason.ALREADY_VOTED
                answer = EnvelopeAnswer(
                    Status.REJECTED, answer_bytes(envelope_id, reason), Reason.ALREADY_VOTED
                )
                conflicts.append(item)
            elif item.tracking_code in taken:
                # Nothing of this envelope is kept: the same check refuses a retry the same way.
                answers[item.key] = _refused(envelope_id, Reason.DUPLICATE_TRACKING_CODE)
                continue
            else:
                reason = None
                answer = EnvelopeAnswer(Status.ACCEPTED, answer_bytes(envelope_id, None))
                voted.add(ballot)
                taken.add(item.tracking_code)
                emargements.append((*ballot, kiosks[item.upload]))
                accepted.add(item.key)
            answers[item.key] = answer
            new = _new_answer(item, kiosks[item.upload], reason, answer.answer)
            kept.append(new)
            earlier[envelope_id] = StoredAnswer(new.envelope_sha256, new.answer)
        rows.record_emargements(tx, emargements)
        rows.insert_answers(tx, kept)
        rows.insert_conflicts(
            tx,
            now,
            [(i.envelope.envelope_id, *_ballot_of(i), kiosks[i.upload]) for i in conflicts],
        )
        # Then the board, in the shuffled order, in the same transaction.
        entries: list[BoardEntry] = []
        for item in order:
            if item.key not in accepted:
                continue
            count += 1
            unhashed = BoardEntry(
                seq=count,
                scrutin_id=item.envelope.scrutin_id,
                ballot=item.ballot,
                tracking_code=item.tracking_code,
                kiosk_id=kiosks[item.upload],
                kiosk_signature=item.receipt_signature,
                prev_hash=head,
                hash=b"",
            )
            entry = replace(unhashed, hash=entry_hash(head, unhashed.body()))
            entries.append(entry)
            head = entry.hash
        if entries:
            rows.append_entries(tx, entries)
            rows.set_head(tx, count, head)
        return answers, conflicts


def _ballot_of(item: _Checked) -> tuple[VoterId, ScrutinId]:
    """(voter, scrutin): what one émargement stands for."""
    return item.envelope.voter_id, item.envelope.scrutin_id


def _new_answer(
    item: _Checked, kiosk_id: KioskId, reason: Reason | None, answer: bytes
) -> rows.NewAnswer:
    return rows.NewAnswer(
        envelope_id=item.envelope.envelope_id,
        kiosk_id=kiosk_id,
        scrutin_id=item.envelope.scrutin_id,
        envelope_sha256=item.sha256,
        outcome=Outcome.ACCEPTED if reason is None else Outcome.REJECTED,
        reason=None if reason is None else reason.value,
        answer=answer.decode("utf-8"),
    )


def _refused(envelope_id: bytes | None, reason: Reason) -> EnvelopeAnswer:
    return EnvelopeAnswer(Status.REJECTED, answer_bytes(envelope_id, reason), reason)


def _earlier(envelope_id: bytes, earlier: StoredAnswer, sha256: bytes) -> EnvelopeAnswer:
    if earlier.envelope_sha256 != sha256:
        return _refused(envelope_id, Reason.ENVELOPE_ID_REUSED)
    return EnvelopeAnswer(Status.DUPLICATE, earlier.answer.encode("utf-8"))
