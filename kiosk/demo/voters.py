"""Scripted demo voters: who votes where and for what (seeded), and a booth that takes each of
them through a kiosk's ``VotingSession`` with the very events the kiosk window sends.

The booth reads the CAPTCHA the way ``ui/tour.py`` does, as a voter reads the image: the text
drawn from a copy of the CAPTCHA's source taken just before the image was made. A voter whose
vote code is invalidated in the demo roll abstains, like one who never came.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from kiosk.election.demo import DemoCredential
from kiosk.election.model import BLANK_OPTION, KioskId, ListId, Manifest, ScrutinId
from kiosk.receipts.documents import SyncState as Deposit
from kiosk.tally.results import ElectionResults
from kiosk.voting import flow
from kiosk.voting.captcha import captcha_text
from kiosk.voting.session import VotingSession

ABSTENTION: Final = 0.12  # share of voters who do not come
TURNOUT_PER_SCRUTIN: Final = 0.8  # a voter who comes votes in each of their scrutins so often
BLANK_SHARE: Final = 0.1

_S = TypeVar("_S")


@dataclass(frozen=True)
class ScriptedVoter:
    """One demo voter's script: the kiosk they go to and their choice in each scrutin they vote
    in (none: they abstain)."""

    credential: DemoCredential = field(repr=False)
    kiosk: KioskId
    choices: tuple[tuple[ScrutinId, ListId], ...] = field(repr=False)  # privacy: never printed


@dataclass(frozen=True)
class Script:
    voters: tuple[ScriptedVoter, ...]

    @property
    def expected(self) -> dict[ScrutinId, Counter[ListId]]:
        """How many ballots each option of each scrutin must count, blank included."""
        counts: dict[ScrutinId, Counter[ListId]] = {}
        for voter in self.voters:
            for scrutin_id, option in voter.choices:
                counts.setdefault(scrutin_id, Counter())[option] += 1
        return counts

    def ballots(self, kiosk: KioskId) -> int:
        return sum(len(v.choices) for v in self.voters if v.kiosk == kiosk)

    @property
    def abstaining(self) -> int:
        return sum(not v.choices for v in self.voters)

    @property
    def in_several_scrutins(self) -> int:
        return sum(len(v.choices) > 1 for v in self.voters)

    @property
    def blank(self) -> int:
        return sum(option == BLANK_OPTION for v in self.voters for _, option in v.choices)


def write_script(
    credentials: Sequence[DemoCredential],
    manifest: Manifest,
    kiosks: Sequence[KioskId],
    rng: random.Random,
) -> Script:
    """Each voter's kiosk and choices, drawn from ``rng``: abstentions, blank votes, and voters
    in one or several of their scrutins."""
    voters = []
    for credential in credentials:
        kiosk = rng.choice(kiosks)
        comes = credential.vote_code is not None and rng.random() >= ABSTENTION
        choices: list[tuple[ScrutinId, ListId]] = []
        for scrutin_id in credential.scrutins:
            if not comes or rng.random() >= TURNOUT_PER_SCRUTIN:
                continue
            lists = [entry.id for entry in manifest.scrutin(scrutin_id).lists]
            choices.append(
                (scrutin_id, BLANK_OPTION if rng.random() < BLANK_SHARE else rng.choice(lists))
            )
        voters.append(ScriptedVoter(credential, kiosk, tuple(choices)))
    return Script(tuple(voters))


class ScriptError(Exception):
    """The kiosk did not show what a voter's script expected (names the state, never a secret
    or a choice)."""


class ScriptedBooth:
    """One kiosk's voting session, driven voter after voter."""

    def __init__(self, session: VotingSession, captcha_source: random.Random) -> None:
        """``captcha_source``: the ``captcha_rng`` the session was built with."""
        self._session = session
        self._captcha_source = captcha_source
        self.receipts: list[flow.Receipt] = []

    def vote(self, voter: ScriptedVoter) -> None:
        """Welcome, credentials, vote code with the CAPTCHA, then each scrutin of the script:
        choose, "JE VEUX VOTER", select, "JE VOTE", receipt; then "Terminer"."""
        if not voter.choices:
            return  # an abstaining voter never comes to the kiosk
        credential = voter.credential
        if credential.vote_code is None:
            raise ValueError("a voter with an invalidated vote code cannot follow a script")
        where = f"voter {credential.voter_id} at {voter.kiosk}"
        self._expect(flow.Start(), flow.Credentials, where)
        before = self._captcha_source.getstate()
        self._expect(
            flow.SubmitCredentials(credential.identifier, credential.password), flow.VoteCode, where
        )
        self._expect(
            flow.SubmitVoteCode(credential.vote_code, self._captcha_read(before)),
            flow.ScrutinList,
            where,
        )
        for scrutin_id, option in voter.choices:
            self._expect(flow.ChooseScrutin(scrutin_id), flow.Gallery, where)
            self._expect(flow.ArmSelection(), flow.Gallery, where)
            self._expect(flow.Select(option), flow.Confirm, where)
            self.receipts.append(self._expect(flow.CastVote(), flow.Receipt, where))
            self._expect(flow.Continue(), flow.ScrutinList, where)
        self._expect(flow.Quit(), flow.Finished, where)
        self._expect(flow.Continue(), flow.Welcome, where)

    @property
    def deposited_at_cast(self) -> int:
        """Receipts saying "déposé dans l'urne": the server took the ballot at the cast."""
        return sum(receipt.deposit is Deposit.DEPOSITED for receipt in self.receipts)

    def _captcha_read(self, before: tuple[Any, ...]) -> str:
        """The CAPTCHA's text, drawn again from the source as it was before the image."""
        copy = random.Random()
        copy.setstate(before)
        return captcha_text(copy)

    def _expect(self, event: flow.UserEvent, shown: type[_S], where: str) -> _S:
        state = self._session.handle(event).state
        if not isinstance(state, shown):
            notice = getattr(state, "notice", None)
            raise ScriptError(
                f"{where}: after {type(event).__name__} the kiosk shows {type(state).__name__}"
                f"{f' ({notice.value})' if notice is not None else ''}, not {shown.__name__}"
            )
        return state


def count_mismatches(
    expected: Mapping[ScrutinId, Counter[ListId]], results: ElectionResults
) -> list[str]:
    """Every count of ``results`` that differs from the script, per scrutin and option, blank
    included; empty when the tally is exactly the scripted choices."""
    problems = []
    counted = {result.scrutin_id: result for result in results.scrutins}
    for scrutin_id in sorted(set(expected) - set(counted)):
        problems.append(f"{scrutin_id}: scripted ballots, but no result")
    for scrutin_id, result in counted.items():
        want = expected.get(scrutin_id, Counter())
        for option, got in zip(result.options, result.counts, strict=True):
            if got != want[option]:
                problems.append(f"{scrutin_id} / {option}: {got} counted, {want[option]} scripted")
        unknown = sorted(set(want) - set(result.options))
        if unknown:
            problems.append(f"{scrutin_id}: scripted options without a count: {unknown}")
    return problems
