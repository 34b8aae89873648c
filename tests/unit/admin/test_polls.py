"""The polls through the admin console: transitions by role, the reports they produce, and a
pause that really stops voting (a login and a cast) on a real voting session."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.admin.console import AdminError, AdminSession, NotAllowed
from kiosk.admin.reports import ReportKind, verify_report_pdf
from kiosk.admin.roles import Role
from kiosk.audit import AuditEvent
from kiosk.clock import ManualClock
from kiosk.election.model import ListId, ScrutinId
from kiosk.store import KioskStore, PollsState, create_key_file
from kiosk.voting import flow
from kiosk.voting.model import Notice
from tests.unit.admin.conftest import make_console, sign_in
from tests.unit.test_voting_world import Kiosk, VoterSecrets, sealed_election

ALICE, BOB = VoterSecrets(0), VoterSecrets(1)
CAPN = ScrutinId("capn")


def operated(store: KioskStore) -> list[tuple[str, str]]:
    """(event code, operator) of the polls actions in the journal."""
    polls = {
        AuditEvent.POLLS_OPENED,
        AuditEvent.POLLS_PAUSED,
        AuditEvent.POLLS_RESUMED,
        AuditEvent.POLLS_CLOSED,
        AuditEvent.POLLS_REOPENED,
    }
    return [
        (e.event.code, str(e.fields["operator"])) for e in store.audit_entries() if e.event in polls
    ]


def test_an_assesseur_runs_the_day_and_an_administrator_reopens(
    assesseur: AdminSession, admin: AdminSession, store: KioskStore
) -> None:
    assert assesseur.polls_state() is PollsState.NOT_OPENED
    opening = assesseur.open_polls()
    assert store.polls_state() is PollsState.OPEN
    assert opening.report.kind is ReportKind.OPENING
    assert opening.report.ballots_total == 0
    assert not opening.report.reopening
    assert opening.path.is_file()
    assert opening.path.stat().st_mode & 0o777 == 0o600
    package = sealed_election()[0]
    assert verify_report_pdf(opening.path.read_bytes(), package) == opening.report

    assesseur.pause_polls()
    assert store.polls_state() is PollsState.PAUSED
    assesseur.resume_polls()
    assesseur.pause_polls()
    closing = assesseur.close_polls()  # from paused
    assert store.polls_state() is PollsState.CLOSED
    assert closing.report.kind is ReportKind.CLOSING
    assert verify_report_pdf(closing.path.read_bytes(), package) == closing.report

    with pytest.raises(NotAllowed):
        assesseur.reopen_polls()
    assert store.polls_state() is PollsState.CLOSED
    reopening = admin.reopen_polls()
    assert store.polls_state() is PollsState.OPEN
    assert reopening.report.kind is ReportKind.OPENING
    assert reopening.report.reopening
    assert reopening.report.operator.name == "admin"
    assert assesseur.last_report(ReportKind.OPENING) == reopening
    assert assesseur.last_report(ReportKind.CLOSING) == closing

    assert operated(store) == [
        ("polls-opened", "assesseur"),
        ("polls-paused", "assesseur"),
        ("polls-resumed", "assesseur"),
        ("polls-paused", "assesseur"),
        ("polls-closed", "assesseur"),
        ("polls-reopened", "admin"),
    ]
    saved = [dict(e.fields) for e in store.audit_entries() if e.event is AuditEvent.REPORT_SAVED]
    assert saved == [
        {"report": "opening", "reopening": False, "operator": "assesseur"},
        {"report": "closing", "reopening": False, "operator": "assesseur"},
        {"report": "opening", "reopening": True, "operator": "admin"},
    ]


def test_changes_the_state_forbids_are_refused_and_change_nothing(
    assesseur: AdminSession, admin: AdminSession, store: KioskStore, tmp_path: Path
) -> None:
    with pytest.raises(AdminError, match="cannot pause the polls: they have not been opened"):
        assesseur.pause_polls()
    with pytest.raises(AdminError, match="cannot close the polls: they have not been opened"):
        assesseur.close_polls()
    with pytest.raises(AdminError, match="cannot reopen the polls: they have not been opened"):
        admin.reopen_polls()
    assesseur.open_polls()
    with pytest.raises(AdminError, match="cannot open the polls: they are open"):
        assesseur.open_polls()
    with pytest.raises(AdminError, match="cannot resume the polls: they are open"):
        assesseur.resume_polls()
    assesseur.close_polls()
    with pytest.raises(AdminError, match="only an administrator may reopen them"):
        assesseur.open_polls()
    assert store.polls_state() is PollsState.CLOSED
    assert len(list((tmp_path / "reports").glob("*.pdf"))) == 2


def test_the_polls_do_not_open_without_a_package(tmp_path: Path, clock: ManualClock) -> None:
    with KioskStore.create(tmp_path / "empty.db", create_key_file(tmp_path / "k"), clock) as empty:
        console = make_console(empty, clock, tmp_path)
        console.operators.add("admin", Role.ADMINISTRATOR, "000000")
        session = sign_in(console, "admin", "000000")
        with pytest.raises(AdminError, match="no election package is loaded; nothing changed"):
            session.open_polls()
        assert empty.polls_state() is PollsState.NOT_OPENED


def test_a_pause_stops_logins_and_casts_until_resumed(
    assesseur: AdminSession, store: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    kiosk = Kiosk(tmp_path / "voting", clock, store=store, captcha=False)
    before = kiosk.login(ALICE)  # not opened yet
    assert isinstance(before, flow.Refused)
    assert before.notice is Notice.POLLS_NOT_OPEN
    kiosk.send(flow.Continue())
    assesseur.open_polls()

    # Alice reaches the confirmation page; the polls pause before she presses JE VOTE.
    assert isinstance(vote(kiosk), flow.Confirm)
    assesseur.pause_polls()
    refused = kiosk.send(flow.CastVote())
    assert isinstance(refused, flow.Refused)
    assert refused.notice is Notice.POLLS_NOT_OPEN
    assert store.outbox() == []
    assert store.voted_scrutins(ALICE.voter_id) == frozenset()
    assert kiosk.send(flow.Continue()) == flow.initial_state()

    # Nobody can even sign in while paused.
    bob = kiosk.login(BOB)
    assert isinstance(bob, flow.Refused)
    assert bob.notice is Notice.POLLS_NOT_OPEN
    kiosk.send(flow.Continue())
    assert store.status().emargements == 0

    assesseur.resume_polls()
    assert isinstance(vote(kiosk), flow.Confirm)
    assert isinstance(kiosk.send(flow.CastVote()), flow.Receipt)
    assert len(store.outbox()) == 1
    closing = assesseur.close_polls()
    assert closing.report.ballots_total == 1


def vote(kiosk: Kiosk) -> flow.State:
    """Alice signs in and chooses list 1 in CAPN, up to the confirmation page."""
    kiosk.to_scrutins(ALICE)
    kiosk.send(flow.ChooseScrutin(CAPN))
    kiosk.send(flow.ArmSelection())
    return kiosk.send(flow.Select(ListId("l1")))
