"""The voting session: runs the flow's commands and feeds each result back (docs/voter-flow.md).

    session = VotingSession(store, clock, KioskElection.from_store(store), config=config,
                            notifier=FileMailbox(folder), assesseur_check=check)
    step = session.handle(flow.Start())        # -> SessionStep(state, outputs)
    step = session.tick()                      # the UI's timer, once a second

``handle`` applies the event with ``flow.transition``, runs every command it returns against
the store, the crypto, the lockout, the CAPTCHA and the réassort desk, and feeds each result
event back into ``transition`` until none is left. It returns the final state and the outputs
for the shell (print a receipt or a slip, clear the screen). The session decides nothing: every
"what next" is in ``flow``. Calls are serialized; the GUI makes them off its own thread.

Online (an uploader, a voter-status check and shared lockout counters are wired), a cast is sent
to the central server at once, within the uploader's own bound, and the receipt says whether the
ballot is in the ballot box or awaiting transmission; the voter's vote code unlocks the scrutins
they have not voted in on any kiosk; and failures count on every kiosk. Offline, or past the
bound, the kiosk goes on with what it knows locally (docs/voter-flow.md, "Online kiosk").

What one voter leaves in memory (the pending ballot with its nonce and choice, authorization
grants, the outstanding CAPTCHA) is dropped on every ``ResetSession``; ``holds_nothing`` says so.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Protocol, assert_never

from kiosk.audit import AuditEvent, AuditValue
from kiosk.clock import Clock
from kiosk.config import KioskConfig
from kiosk.crypto.ballot import PendingBallot, challenge, seal
from kiosk.crypto.context import ElectionContext, election_context
from kiosk.crypto.envelope import encode_envelope, sign_envelope
from kiosk.crypto.receipt import sign_receipt
from kiosk.crypto.tracking import tracking_code
from kiosk.election.codec import parse_manifest
from kiosk.election.kdf import SecretHash, SecretKind, hash_secret, verify_secret
from kiosk.election.model import ElectionPackage, Manifest, ScrutinId, Voter, VoterId
from kiosk.encoding import strict_json_loads
from kiosk.log import LogEvent, log_event
from kiosk.receipts.documents import SyncState as Deposit
from kiosk.receipts.documents import choice_name
from kiosk.receipts.emargement import sign_emargement
from kiosk.store.errors import AlreadyVotedError, StoreStateError
from kiosk.store.records import KioskIdentity, LockoutRecord, PollsState
from kiosk.store.records import SyncState as OutboxState
from kiosk.verifier.ballots import slip_of
from kiosk.voting import flow
from kiosk.voting.captcha import CaptchaService
from kiosk.voting.flow import Event, FlowRules, Output, ShellEvent, State, Tick, UserEvent
from kiosk.voting.lockout import (
    ASSESSEUR_SUBJECT,
    DEFAULT_POLICY,
    CredentialGuard,
    LockoutPolicy,
    SharedCounters,
    login_subject,
    refusal_after_failure,
    vote_code_subject,
)
from kiosk.voting.model import Notice, Refusal, RegenerationGrant, ScrutinEntry, VoterRef
from kiosk.voting.reassort import (
    AssesseurCheck,
    Notifier,
    ReassortDesk,
    ReassortTokens,
    channel_options,
)

_LOGGER: Final = logging.getLogger("kiosk.voting")


class VotingStore(Protocol):
    """The part of ``KioskStore`` a voting session uses (a test may hand in a fake)."""

    def find_voter(self, identifier: str) -> Voter | None: ...

    def voter(self, voter_id: VoterId) -> Voter | None: ...

    def voted_scrutins(self, voter_id: VoterId) -> frozenset[ScrutinId]: ...

    def record_cast(
        self, voter_id: VoterId, scrutin_id: ScrutinId, envelope_id: bytes, envelope: bytes
    ) -> datetime: ...

    def replace_vote_code(
        self, voter_id: VoterId, code: SecretHash | None, *, method: str
    ) -> None: ...

    def lockout(self, subject_kind: str, subject_id: str) -> LockoutRecord: ...

    def save_lockout(self, record: LockoutRecord) -> None: ...

    def polls_state(self) -> PollsState: ...

    def append_audit(self, event: AuditEvent, **fields: AuditValue) -> object: ...


class CastUploader(Protocol):
    """Sends one envelope just committed to the central server, never for longer than its own
    bound (``kiosk.sync.online.AtCastUpload``); the outbox state of that envelope afterwards:
    ``ACCEPTED`` (in the ballot box), ``REJECTED`` (refused by the server; kept in the outbox,
    flagged), or ``PENDING`` (not answered in time: the background sync sends it later)."""

    def deposit(self, envelope_id: bytes) -> OutboxState: ...


class VoterStatusCheck(Protocol):
    """The scrutins a voter has voted in on any kiosk, as the server knows them
    (``kiosk.sync.online.ServerVoterStatus``); None when it cannot tell in time."""

    def voted_scrutins(self, voter_id: VoterId) -> frozenset[ScrutinId] | None: ...


class ElectionStore(Protocol):
    """What ``KioskElection.from_store`` reads."""

    def stored_package(self) -> StoredPackageLike | None: ...

    def kiosk_identity(self) -> KioskIdentity | None: ...


class StoredPackageLike(Protocol):
    @property
    def fingerprint(self) -> str: ...

    @property
    def manifest(self) -> bytes: ...

    @property
    def signature(self) -> bytes: ...


@dataclass(frozen=True)
class KioskElection:
    """The loaded election as a session needs it: manifest, fingerprint, context, kiosk key."""

    manifest: Manifest
    fingerprint: str
    context: ElectionContext
    kiosk: KioskIdentity

    def __repr__(self) -> str:
        return f"KioskElection({self.manifest.election_id!r}, kiosk_id={self.kiosk.kiosk_id!r})"

    @classmethod
    def from_package(cls, package: ElectionPackage, kiosk: KioskIdentity) -> KioskElection:
        """``NotSealedError`` / ``ElectionKeyError`` when nothing may be encrypted under it."""
        return cls(package.manifest, package.fingerprint, election_context(package), kiosk)

    @classmethod
    def from_store(cls, store: ElectionStore) -> KioskElection:
        """The store's package and kiosk key; ``StoreStateError`` when either is missing."""
        stored = store.stored_package()
        if stored is None:
            raise StoreStateError("no election package is loaded: the kiosk cannot take votes")
        identity = store.kiosk_identity()
        if identity is None:
            raise StoreStateError("no kiosk key is installed: the kiosk cannot sign ballots")
        manifest = parse_manifest(strict_json_loads(stored.manifest, "stored manifest"))
        # The context reads the manifest and its signed bytes only; the roll and the assets
        # stay in the store.
        signed = ElectionPackage(
            manifest=manifest,
            manifest_bytes=stored.manifest,
            signature=stored.signature,
            fingerprint=stored.fingerprint,
            roll=(),
            assets={},
        )
        return cls(manifest, stored.fingerprint, election_context(signed), identity)


@dataclass(frozen=True)
class SessionStep:
    """What the shell gets back: the screen to show and what to do besides (print, clear)."""

    state: State
    outputs: tuple[Output, ...] = ()


@dataclass
class _Scope:
    """Everything one voter leaves in the session's memory; replaced whole on reset."""

    pending: PendingBallot | None = None
    grants: dict[str, RegenerationGrant] = field(default_factory=dict)
    assesseur_present: bool = False

    def __repr__(self) -> str:
        return (
            f"_Scope(pending={self.pending is not None}, grants={len(self.grants)}, "
            f"assesseur_present={self.assesseur_present})"
        )

    @property
    def empty(self) -> bool:
        return self.pending is None and not self.grants and not self.assesseur_present


class VotingSession:
    """One kiosk's voter sessions, one after the other. See the module docstring."""

    def __init__(
        self,
        store: VotingStore,
        clock: Clock,
        election: KioskElection,
        *,
        config: KioskConfig | None = None,
        notifier: Notifier | None = None,
        assesseur_check: AssesseurCheck | None = None,
        tokens: ReassortTokens | None = None,
        rng: random.Random | None = None,
        captcha_rng: random.Random | None = None,
        policy: LockoutPolicy = DEFAULT_POLICY,
        logger: logging.Logger = _LOGGER,
        uploader: CastUploader | None = None,
        voter_status: VoterStatusCheck | None = None,
        shared_lockouts: SharedCounters | None = None,
    ) -> None:
        config = config if config is not None else KioskConfig()
        self._store = store
        self._clock = clock
        self._election = election
        self._kdf = election.manifest.kdf
        self._rules = FlowRules.from_config(
            config,
            token_delivery=notifier is not None,
            supervised_reassort=assesseur_check is not None,
        )
        self._guard = CredentialGuard(store, policy, shared_lockouts)
        self._uploader = uploader
        self._voter_status = voter_status
        self._desk = ReassortDesk(
            store,
            self._kdf,
            self._guard,
            tokens=tokens,
            notifier=notifier,
            rng=rng,
            time_zone=election.manifest.time_zone,
        )
        self._assesseur_check = assesseur_check
        self._captcha = CaptchaService(captcha_rng) if config.captcha else None
        self._logger = logger
        # An unknown identifier is checked against this, so that it costs the same KDF work.
        self._decoy = hash_secret(SecretKind.PASSWORD, secrets.token_urlsafe(24), self._kdf)
        self._lock = threading.Lock()
        self._state: State = flow.initial_state(self._rules)
        self._scope = _Scope()

    def __repr__(self) -> str:
        return f"VotingSession(state={type(self._state).__name__}, scope={self._scope!r})"

    @property
    def state(self) -> State:
        return self._state

    @property
    def rules(self) -> FlowRules:
        return self._rules

    @property
    def guard(self) -> CredentialGuard:
        """For the assesseur's unlock (admin part)."""
        return self._guard

    @property
    def holds_nothing(self) -> bool:
        """True when no voter's pending ballot, grant, assesseur presence or CAPTCHA is held."""
        captcha_clear = self._captcha is None or self._captcha.outstanding == 0
        return self._scope.empty and captcha_clear

    def tick(self) -> SessionStep:
        return self.handle(Tick())

    def handle(self, event: UserEvent | ShellEvent | Tick) -> SessionStep:
        """Apply ``event`` (the voter's, or the shell's report on a print or a failed call), run
        the commands it leads to, and return the screen and outputs."""
        with self._lock:
            outputs: list[Output] = []
            queue: deque[Event] = deque([event])
            while queue:
                current = queue.popleft()
                self._state, effects = flow.transition(
                    self._state, current, self._clock.now(), self._rules
                )
                for effect in effects:
                    if isinstance(
                        effect, flow.ResetSession | flow.PrintReceipt | flow.PrintChallengeSlip
                    ):
                        if isinstance(effect, flow.ResetSession):
                            self._reset()
                        outputs.append(effect)
                        continue
                    result = self._run(effect)
                    if result is not None:
                        queue.append(result)
            return SessionStep(self._state, tuple(outputs))

    # ---- commands ---------------------------------------------------------------------------

    def _run(self, command: flow.Command) -> flow.ResultEvent | None:
        now = self._clock.now()
        match command:
            case flow.VerifyCredentials():
                return self._verify_credentials(command, now)
            case flow.IssueCaptcha():
                if self._captcha is None:
                    return None
                return flow.CaptchaIssued(self._captcha.issue(now))
            case flow.CheckVoteCode():
                return self._check_vote_code(command, now)
            case flow.CheckAssesseur():
                return self._check_assesseur(command, now)
            case flow.SendReassortToken():
                sent = self._desk.request_token(
                    command.voter_id,
                    command.answer,
                    command.numen,
                    command.channel,
                    now,
                    command.language,
                )
                if isinstance(sent, Refusal):
                    self._log(LogEvent.REASSORT, "refused", channel=command.channel.value)
                    return flow.ReassortRefused(sent)
                self._log(LogEvent.REASSORT, "token_sent", channel=command.channel.value)
                return flow.TokenSent(sent)
            case flow.VerifyReassortAnswers():
                if not self._scope.assesseur_present:
                    return flow.ReassortRefused(Refusal(Notice.UNAVAILABLE))
                return self._authorized(
                    self._desk.verify_answers(command.voter_id, command.answer, command.numen, now)
                )
            case flow.RedeemToken():
                return self._authorized(
                    self._desk.redeem_token(command.voter_id, command.text, now)
                )
            case flow.RegenerateCode():
                return self._regenerate(command.grant, now)
            case flow.SealBallot():
                return self._seal(command)
            case flow.CastBallot():
                return self._cast(command, now)
            case flow.ChallengeBallot():
                return self._challenge(command, now)
            case flow.DiscardBallot():
                self._scope.pending = None
                return None
            case flow.Log():
                self._log(command.event, command.disposition)
                return None
            case flow.Audit():
                self._store.append_audit(command.event)
                return None
            case _:
                assert_never(command)

    def _verify_credentials(
        self, command: flow.VerifyCredentials, now: datetime
    ) -> flow.ResultEvent:
        closed = self._polls_refusal(now)
        if closed is not None:
            self._log(LogEvent.VOTER_LOGIN, "polls_closed")
            return flow.LoginRefused(closed)
        subject = login_subject(command.identifier)
        gate = self._guard.gate(subject, now)
        if not gate.open:
            self._log(LogEvent.VOTER_LOGIN, gate.state.value)
            return flow.LoginRefused(gate.refusal())
        voter = self._store.find_voter(command.identifier)
        stored = voter.password if voter is not None else self._decoy
        matches = verify_secret(SecretKind.PASSWORD, command.password, stored, self._kdf)
        if voter is not None and matches:
            self._guard.record_success(subject)
            self._log(LogEvent.VOTER_LOGIN, "accepted")
            return flow.LoginAccepted(_voter_ref(voter))
        # Privacy: the same disposition, message and counting for an unknown identifier.
        self._log(LogEvent.VOTER_LOGIN, "refused")
        after = self._guard.record_failure(subject, now)
        return flow.LoginRefused(refusal_after_failure(after, Notice.WRONG_CREDENTIALS))

    def _check_vote_code(self, command: flow.CheckVoteCode, now: datetime) -> flow.ResultEvent:
        if self._captcha is not None and not self._captcha.check(
            command.captcha_id, command.captcha_answer, now
        ):
            self._log(LogEvent.VOTE_CODE_CHECK, "captcha")
            return flow.VoteCodeRefused(Refusal(Notice.WRONG_CAPTCHA))
        subject = vote_code_subject(command.voter_id)
        gate = self._guard.gate(subject, now)
        if not gate.open:
            self._log(LogEvent.VOTE_CODE_CHECK, gate.state.value)
            return flow.VoteCodeRefused(gate.refusal())
        voter = self._voter(command.voter_id)
        if voter.vote_code is None:
            self._log(LogEvent.VOTE_CODE_CHECK, "invalidated")
            return flow.VoteCodeRefused(Refusal(Notice.VOTE_CODE_INVALIDATED))
        if verify_secret(SecretKind.VOTE_CODE, command.code, voter.vote_code, self._kdf):
            self._guard.record_success(subject)
            self._log(LogEvent.VOTE_CODE_CHECK, "accepted")
            closes_at = self._election.manifest.window.closes_at
            return flow.VoteCodeAccepted(self._scrutins(voter), closes_at)
        self._log(LogEvent.VOTE_CODE_CHECK, "refused")
        after = self._guard.record_failure(subject, now)
        return flow.VoteCodeRefused(refusal_after_failure(after, Notice.WRONG_VOTE_CODE))

    def _check_assesseur(self, command: flow.CheckAssesseur, now: datetime) -> flow.ResultEvent:
        if self._assesseur_check is None:
            return flow.AssesseurRefused(Refusal(Notice.UNAVAILABLE))
        gate = self._guard.gate(ASSESSEUR_SUBJECT, now)
        if not gate.open:
            return flow.AssesseurRefused(gate.refusal())
        if self._assesseur_check(command.credential):
            self._guard.record_success(ASSESSEUR_SUBJECT)
            self._scope.assesseur_present = True
            return flow.AssesseurAccepted()
        after = self._guard.record_failure(ASSESSEUR_SUBJECT, now)
        return flow.AssesseurRefused(refusal_after_failure(after, Notice.WRONG_ASSESSEUR))

    def _authorized(self, outcome: RegenerationGrant | Refusal) -> flow.ResultEvent:
        if isinstance(outcome, Refusal):
            self._log(LogEvent.REASSORT, "refused")
            return flow.ReassortRefused(outcome)
        self._scope.grants[outcome.grant_id] = outcome
        self._log(LogEvent.REASSORT, "authorized")
        return flow.RegenerationAuthorized(outcome)

    def _regenerate(self, grant: RegenerationGrant, now: datetime) -> flow.ResultEvent:
        issued = self._scope.grants.pop(grant.grant_id, None)
        if issued != grant or now >= grant.expires_at:
            self._log(LogEvent.REASSORT, "refused")
            return flow.ReassortRefused(Refusal(Notice.EXPIRED_TOKEN))
        new_code = self._desk.regenerate(grant)
        self._log(LogEvent.REASSORT, "regenerated")
        return flow.CodeRegenerated(new_code.code)

    def _seal(self, command: flow.SealBallot) -> flow.ResultEvent:
        scrutin = self._election.manifest.scrutin(command.scrutin_id)
        self._log(LogEvent.BALLOT_SEAL, "start", scrutin_id=scrutin.id)
        self._scope.pending = None  # a pending ballot is never reused for another choice
        pending = seal(self._election.context, scrutin, command.choice)
        self._scope.pending = pending
        self._log(LogEvent.BALLOT_SEAL, "complete", scrutin_id=scrutin.id)
        return flow.BallotSealed(scrutin.id, tracking_code(pending.ballot))

    def _pending(self, scrutin_id: ScrutinId) -> PendingBallot:
        pending = self._scope.pending
        if pending is None or pending.spent or pending.ballot.scrutin_id != scrutin_id:
            raise RuntimeError("no sealed ballot for this scrutin is pending in the session")
        return pending

    def _cast(self, command: flow.CastBallot, now: datetime) -> flow.ResultEvent:
        pending = self._pending(command.scrutin_id)
        election = self._election
        self._log(LogEvent.BALLOT_CAST, "start", scrutin_id=command.scrutin_id)
        closed = self._polls_refusal(now)
        if closed is not None:
            return self._cast_refused(closed.notice, command.scrutin_id)
        ballot = pending.ballot
        kiosk = election.kiosk
        signing_key = kiosk.signing_key()
        voter_name = self._voter(command.voter_id).display_name  # for the émargement certificate
        envelope = sign_envelope(
            signing_key,
            election_id=election.manifest.election_id,
            scrutin_id=command.scrutin_id,
            voter_id=command.voter_id,
            ballot=ballot,
            kiosk_id=kiosk.kiosk_id,
        )
        # Signed before the commit: once the vote is recorded, nothing may stop its receipt.
        receipt = sign_receipt(
            signing_key,
            election_fingerprint=election.fingerprint,
            scrutin_id=command.scrutin_id,
            tracking_code=tracking_code(ballot),
            kiosk_id=kiosk.kiosk_id,
        )
        try:
            cast_at = self._store.record_cast(
                command.voter_id,
                command.scrutin_id,
                envelope.envelope_id,
                encode_envelope(envelope),
            )
        except AlreadyVotedError:
            return self._cast_refused(Notice.ALREADY_VOTED, command.scrutin_id)
        except StoreStateError:
            # The polls closed meanwhile, or the voter may not vote in this scrutin.
            closed = self._polls_refusal(self._clock.now())
            notice = closed.notice if closed is not None else Notice.NOT_ELIGIBLE
            return self._cast_refused(notice, command.scrutin_id)
        # Committed: only now is the ballot spent (a failed commit above leaves it castable).
        pending.cast()
        self._scope.pending = None
        emargement = sign_emargement(
            signing_key,
            election_fingerprint=election.fingerprint,
            scrutin_id=command.scrutin_id,
            kiosk_id=kiosk.kiosk_id,
            voted_at=cast_at,
            voter_name=voter_name,
        )
        self._log(LogEvent.BALLOT_CAST, "recorded", scrutin_id=command.scrutin_id)
        papers = flow.PrintReceipt(
            election.manifest.title,
            election.manifest.scrutin(command.scrutin_id).title,
            cast_at,
            receipt,
            emargement,
            self._deposit(envelope.envelope_id, command.scrutin_id),
        )
        return flow.BallotCast(papers)

    def _deposit(self, envelope_id: bytes, scrutin_id: ScrutinId) -> Deposit:
        """Send the envelope just committed; whether the receipt may say it is in the ballot box.
        The vote is recorded whatever happens here: nothing may stop its receipt."""
        if self._uploader is None:
            return Deposit.PENDING  # offline kiosk: a bundle or a later sync carries it
        self._log(LogEvent.BALLOT_UPLOAD, "start", scrutin_id=scrutin_id)
        try:
            outcome = self._uploader.deposit(envelope_id)
        except Exception as exc:  # a bug in the upload must not cost the voter the receipt
            log_event(
                self._logger,
                LogEvent.BALLOT_UPLOAD,
                logging.ERROR,
                disposition="failed",
                scrutin_id=scrutin_id,
                error=type(exc).__name__,
            )
            return Deposit.PENDING
        if outcome is OutboxState.ACCEPTED:
            self._log(LogEvent.BALLOT_UPLOAD, "deposited", scrutin_id=scrutin_id)
            return Deposit.DEPOSITED
        if outcome is OutboxState.REJECTED:
            # For an assesseur: the server refused a ballot recorded here (the store keeps it,
            # flagged rejected with the server's reason, and journals outbox-synced). The voter's
            # receipt says "awaiting transmission": what it proves (the deposit here) holds.
            log_event(
                self._logger,
                LogEvent.BALLOT_UPLOAD,
                logging.WARNING,
                disposition="rejected",
                scrutin_id=scrutin_id,
            )
            return Deposit.PENDING
        self._log(LogEvent.BALLOT_UPLOAD, "pending", scrutin_id=scrutin_id)
        return Deposit.PENDING

    def _cast_refused(self, notice: Notice, scrutin_id: ScrutinId) -> flow.ResultEvent:
        self._scope.pending = None
        self._log(LogEvent.BALLOT_CAST, f"refused_{notice.value}", scrutin_id=scrutin_id)
        return flow.CastRefused(Refusal(notice))

    def _challenge(self, command: flow.ChallengeBallot, now: datetime) -> flow.ResultEvent:
        pending = self._pending(command.scrutin_id)
        self._scope.pending = None
        challenged = challenge(pending)
        election = self._election
        printed = slip_of(
            challenged,
            election.fingerprint,
            kiosk_id=election.kiosk.kiosk_id,
            kiosk_key=election.kiosk.signing_key(),
        )
        self._store.append_audit(AuditEvent.BALLOT_CHALLENGED, scrutin_id=command.scrutin_id)
        self._log(LogEvent.BALLOT_CHALLENGE, "complete", scrutin_id=command.scrutin_id)
        scrutin = election.manifest.scrutin(command.scrutin_id)
        papers = flow.PrintChallengeSlip(
            election.manifest.title,
            scrutin.title,
            now,
            choice_name(scrutin, challenged.choice),
            printed,
        )
        return flow.BallotChallenged(papers)

    # ---- helpers ----------------------------------------------------------------------------

    def _reset(self) -> None:
        self._scope = _Scope()
        if self._captcha is not None:
            self._captcha.discard()

    def _polls_refusal(self, now: datetime) -> Refusal | None:
        if self._store.polls_state() is not PollsState.OPEN:
            return Refusal(Notice.POLLS_NOT_OPEN)
        window = self._election.manifest.window
        if now >= window.closes_at:
            return Refusal(Notice.VOTING_CLOSED)
        if now < window.opens_at:
            return Refusal(Notice.POLLS_NOT_OPEN)
        return None

    def _voter(self, voter_id: VoterId) -> Voter:
        voter = self._store.voter(voter_id)
        if voter is None:  # the flow only names a voter this store returned at login
            raise LookupError("the session's voter is not on the roll")
        return voter

    def _scrutins(self, voter: Voter) -> tuple[ScrutinEntry, ...]:
        voted = self._store.voted_scrutins(voter.id) | self._voted_elsewhere(voter.id)
        manifest = self._election.manifest
        known = {s.id: s for s in manifest.scrutins}
        return tuple(
            ScrutinEntry(sid, known[sid].title, known[sid].options, sid in voted)
            for sid in voter.scrutins
            if sid in known
        )

    def _voted_elsewhere(self, voter_id: VoterId) -> frozenset[ScrutinId]:
        """What the server knows of this voter's émargements (other kiosks, uploaded); nothing
        when it cannot tell in time: the store refuses a second émargement here anyway, and the
        server refuses the second ballot of a voter who voted at two offline kiosks."""
        if self._voter_status is None:
            return frozenset()
        voted = self._voter_status.voted_scrutins(voter_id)
        self._log(LogEvent.VOTER_STATUS, "unavailable" if voted is None else "checked")
        return voted if voted is not None else frozenset()

    def _log(self, event: LogEvent, disposition: str, **fields: str) -> None:
        # Privacy: a disposition, a scrutin id, a channel; never who, what or a secret.
        log_event(self._logger, event, logging.INFO, disposition=disposition, **fields)


def _voter_ref(voter: Voter) -> VoterRef:
    return VoterRef(voter.id, voter.display_name, voter.secret_question, channel_options(voter))
