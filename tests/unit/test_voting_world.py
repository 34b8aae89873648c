"""A small sealed election on a real kiosk store, for the voting tests (and their own checks).

``sealed_election()`` is ``tests.factories.small_package`` sealed with a quick in-process
election key (H = Σ C_i,0 of random trustee secrets, as in test_context.py); ``open_kiosk``
creates a store, loads it, installs the kiosk key and opens the polls; ``Kiosk`` wires a
``VotingSession`` with a file mailbox, an assesseur PIN and a CAPTCHA whose answers a test can
read (``PeekingRandom``).
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import functools
import random
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from kiosk.clock import ManualClock
from kiosk.config import KioskConfig
from kiosk.crypto import group
from kiosk.crypto.context import election_context
from kiosk.election import package, signing
from kiosk.election.model import (
    ElectionKey,
    ElectionPackage,
    KioskId,
    TrusteeCommitments,
    TrusteeId,
    VoterId,
)
from kiosk.store import KioskStore, PollsState, create_key_file
from kiosk.voting import flow
from kiosk.voting.lockout import SharedCounters
from kiosk.voting.reassort import TOKEN_QR_PREFIX, FileMailbox
from kiosk.voting.session import (
    CastUploader,
    KioskElection,
    SessionStep,
    VoterStatusCheck,
    VotingSession,
)
from tests.factories import small_package

KIOSK_ID = KioskId("kiosk-01")
ASSESSEUR_PIN = "2468-1357"


@dataclass(frozen=True)
class VoterSecrets:
    """What voter ``index`` of ``tests.factories.voter`` types."""

    index: int

    @property
    def voter_id(self) -> VoterId:
        return VoterId(f"v{self.index:04d}")

    @property
    def identifier(self) -> str:
        return f"agent{self.index}@ac-exemple.fr"

    @property
    def password(self) -> str:
        return f"pw-{self.index}"

    @property
    def code(self) -> str:
        return f"CODE{self.index}"

    @property
    def answer(self) -> str:
        return f"pays {self.index}"

    @property
    def numen(self) -> str:
        return f"{self.index:02d}E0000000AB"


@functools.cache
def sealed_election() -> tuple[ElectionPackage, bytes]:
    """The sealed package (4 voters; voter 2's code is invalidated) and the kiosk key seed."""
    organizer = signing.generate()
    kiosk_key = signing.generate()
    unsealed = small_package(organizer, voters=4, kiosk_key=kiosk_key)
    trustee_secrets = [group.random_scalar() for _ in range(3)]
    trustees = tuple(
        TrusteeCommitments(TrusteeId(f"t{i}"), (group.base_mul(s), group.base_mul(s + 1)))
        for i, s in enumerate(trustee_secrets)
    )
    key = ElectionKey(group.base_mul(sum(trustee_secrets)), 2, trustees)
    manifest = dataclasses.replace(unsealed.manifest, election_key=key)
    sealed = package.resign(unsealed, manifest, organizer)
    seed = kiosk_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return sealed, seed


def mail_text(message: email.message.Message) -> str:
    """The plain-text body of a delivered message, e-mail (multipart) or SMS (text only)."""
    assert isinstance(message, email.message.EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert isinstance(text, str)
    return text


def open_kiosk(folder: Path, clock: ManualClock, *, polls: bool = True) -> KioskStore:
    folder.mkdir(parents=True, exist_ok=True)
    sealed, seed = sealed_election()
    store = KioskStore.create(folder / "kiosk.db", create_key_file(folder / "store.key"), clock)
    store.load_package(sealed)
    store.set_kiosk_key(KIOSK_ID, seed)
    if polls:
        store.set_polls_state(PollsState.OPEN)
    return store


class PeekingRandom(random.Random):
    """A seeded generator that remembers what ``choice`` drew: the CAPTCHA's digits."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.drawn: list[str] = []

    def choice(self, seq):  # type: ignore[no-untyped-def, override]
        picked = super().choice(seq)
        self.drawn.append(picked)
        return picked


class Kiosk:
    """A voting session on a real store, with everything a test needs to drive it."""

    def __init__(
        self,
        folder: Path,
        clock: ManualClock | None = None,
        *,
        captcha: bool = True,
        store: KioskStore | None = None,
        seed: int = 0,
        uploader: CastUploader | None = None,
        voter_status: VoterStatusCheck | None = None,
        shared_lockouts: SharedCounters | None = None,
    ) -> None:
        self.clock = clock if clock is not None else ManualClock()
        self.store = store if store is not None else open_kiosk(folder / "store", self.clock)
        self.mailbox = FileMailbox(folder / "mailbox")
        self.captcha_rng = PeekingRandom(seed)
        self.session = VotingSession(
            self.store,
            self.clock,
            KioskElection.from_store(self.store),
            config=KioskConfig(captcha=captcha),
            notifier=self.mailbox,
            assesseur_check=lambda credential: credential == ASSESSEUR_PIN,
            rng=random.Random(seed + 1),
            captcha_rng=self.captcha_rng,
            uploader=uploader,
            voter_status=voter_status,
            shared_lockouts=shared_lockouts,
        )
        self.steps: list[SessionStep] = []

    def send(self, event: flow.UserEvent | flow.Tick, *, after: float = 1) -> flow.State:
        self.clock.advance(timedelta(seconds=after))
        step = self.session.handle(event)
        self.steps.append(step)
        return step.state

    @property
    def state(self) -> flow.State:
        return self.session.state

    def captcha_answer(self) -> str:
        return "".join(self.captcha_rng.drawn[-5:])

    def login(self, voter: VoterSecrets) -> flow.State:
        self.send(flow.Start())
        return self.send(flow.SubmitCredentials(voter.identifier, voter.password))

    def enter_code(self, code: str) -> flow.State:
        return self.send(flow.SubmitVoteCode(code, self.captcha_answer()))

    def to_scrutins(self, voter: VoterSecrets) -> flow.State:
        self.login(voter)
        return self.enter_code(voter.code)

    def latest_mail(self) -> email.message.EmailMessage:
        latest = self.mailbox.messages()[-1]
        parsed = email.message_from_bytes(latest.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed

    def latest_text(self) -> str:
        """The text of the latest message (an e-mail also carries the token's QR as a PNG)."""
        return mail_text(self.latest_mail())

    def latest_token_payload(self) -> str:
        """The QR payload of the latest e-mail."""
        body = self.latest_text()
        found = re.search(re.escape(TOKEN_QR_PREFIX) + r"[A-Z0-9-]+", body)
        assert found is not None
        return found.group(0)

    def latest_token(self) -> str:
        """The printed token of the latest message, e-mail or SMS."""
        found = re.search(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}\b", self.latest_text())
        assert found is not None
        return found.group(0)


def test_the_sealed_test_election_has_an_encryption_context() -> None:
    sealed, _ = sealed_election()
    assert len(election_context(sealed).base_hash) == 64


def test_a_kiosk_reads_its_election_back_from_the_store(tmp_path: Path) -> None:
    clock = ManualClock()
    with open_kiosk(tmp_path, clock) as store:
        election = KioskElection.from_store(store)
        sealed, _ = sealed_election()
        assert election.fingerprint == sealed.fingerprint
        assert election.context == election_context(sealed)
        assert election.kiosk.kiosk_id == KIOSK_ID
        assert "private" not in repr(election)
