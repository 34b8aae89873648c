"""What the admin console must never lose or mix up: no package is loaded once the polls have
been opened (ballots are sealed for the loaded election), a polls report that could not be saved
is made again later instead of being lost, and a voter unlock names the operator."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.admin.console import AdminConsole, AdminError, AdminSession
from kiosk.admin.packages import PackagePreview, PackageSource, _preview
from kiosk.admin.reports import ReportKind, load_saved_reports
from kiosk.audit import AuditEvent
from kiosk.clock import ManualClock
from kiosk.election import signing
from kiosk.election.model import ElectionPackage
from kiosk.store import KioskStore, PollsState, StoreStateError
from tests.factories import small_package
from tests.unit.admin.conftest import ASSESSEUR, ASSESSEUR_PIN, CHEAP_PINS, sign_in

# ---- H2: no package once the polls have been opened ----------------------------------------------


def other_election_preview(store: KioskStore) -> PackagePreview:
    """Another election's package (listing this kiosk), previewed as from a file."""
    identity = store.kiosk_identity()
    assert identity is not None
    other = small_package(signing.generate(), kiosk_key=identity.signing_key())
    return _preview(other, PackageSource.FILE, "other.zip")


@pytest.mark.parametrize("moves", [("open",), ("open", "pause"), ("open", "close")])
def test_no_package_is_loaded_once_the_polls_have_been_opened(
    admin: AdminSession, store: KioskStore, moves: tuple[str, ...]
) -> None:
    loaded = store.stored_package()
    assert loaded is not None
    preview = other_election_preview(store)
    assert preview.fingerprint != loaded.fingerprint
    for move in moves:
        getattr(admin, f"{move}_polls")()
    journal = len(store.audit_entries())
    with pytest.raises(AdminError, match=r"the polls are \w+: a package is loaded only before"):
        admin.load_package(preview)
    with pytest.raises(StoreStateError, match="nothing changed"):
        store.load_package(preview.package)
    stored = store.stored_package()
    assert stored is not None
    assert stored.fingerprint == loaded.fingerprint  # still the election the polls opened for
    assert len(store.audit_entries()) == journal
    # The very package already loaded changes nothing, polls open or not.
    assert store.load_package(admin_package(store)) is False


def admin_package(store: KioskStore) -> ElectionPackage:
    from tests.unit.test_voting_world import sealed_election

    package, _ = sealed_election()
    stored = store.stored_package()
    assert stored is not None
    assert stored.fingerprint == package.fingerprint
    return package


def test_another_package_still_replaces_an_unused_one_before_opening(
    admin: AdminSession, store: KioskStore
) -> None:
    preview = other_election_preview(store)
    assert store.polls_state() is PollsState.NOT_OPENED
    assert admin.load_package(preview) is True
    stored = store.stored_package()
    assert stored is not None
    assert stored.fingerprint == preview.fingerprint


# ---- H5: a report that could not be saved is made later ------------------------------------------


def blocked_console(
    store: KioskStore, clock: ManualClock, tmp_path: Path, name: str = "blocked"
) -> AdminConsole:
    """A console whose reports folder cannot be made while ``tmp_path/name`` is a file."""
    (tmp_path / name).write_text("a file where the reports folder's parent should be")
    return AdminConsole(
        store,
        clock,
        reports_dir=tmp_path / name / "reports",
        staging_dir=tmp_path / "staging",
        pin_kdf=CHEAP_PINS,
    )


def unblock(tmp_path: Path) -> None:
    (tmp_path / "blocked").unlink()


def test_a_closing_report_that_could_not_be_saved_is_made_later(
    console: AdminConsole, store: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    assesseur = sign_in(console, ASSESSEUR, ASSESSEUR_PIN)
    opening = assesseur.open_polls()
    blocked = sign_in(blocked_console(store, clock, tmp_path), ASSESSEUR, ASSESSEUR_PIN)
    with pytest.raises(AdminError) as refused:
        blocked.close_polls()
    message = str(refused.value)
    assert message.startswith("the polls are closed now, but the closing report could not be made")
    assert "isoloir admin report closing" in message
    assert store.polls_state() is PollsState.CLOSED  # the move stands; the report is owed
    with pytest.raises(AdminError, match="closing report could not be made"):
        blocked.report(ReportKind.CLOSING)  # still blocked: said again, nothing raw

    unblock(tmp_path)
    made = blocked.report(ReportKind.CLOSING)
    assert made.report.kind is ReportKind.CLOSING
    assert made.report.polls_state is PollsState.CLOSED
    assert made.path.parent == tmp_path / "blocked" / "reports"
    assert [e.event for e in store.audit_entries()][-1] is AuditEvent.REPORT_SAVED
    # Asked again: the same report, none made twice.
    assert blocked.report(ReportKind.CLOSING) == made
    assert len(load_saved_reports(tmp_path / "blocked" / "reports")) == 1
    # The opening report was saved where the first console keeps them: it is not made again
    # (the polls are closed anyway).
    assert assesseur.report(ReportKind.OPENING) == opening


def test_an_opening_report_is_owed_while_the_polls_stay_open(
    console: AdminConsole, store: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    blocked = sign_in(blocked_console(store, clock, tmp_path), ASSESSEUR, ASSESSEUR_PIN)
    with pytest.raises(AdminError, match="the polls are open now, but the opening report"):
        blocked.open_polls()
    with pytest.raises(AdminError, match="no closing report was saved on this kiosk yet"):
        blocked.report(ReportKind.CLOSING)
    blocked.pause_polls()  # paused still belongs to that opening
    unblock(tmp_path)
    made = blocked.report(ReportKind.OPENING)
    assert (made.report.kind, made.report.reopening) == (ReportKind.OPENING, False)
    assert blocked.report(ReportKind.OPENING) == made


def test_a_lost_reopening_report_is_made_as_a_reopening_and_too_late_is_refused(
    admin: AdminSession, store: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    admin.open_polls()
    admin.close_polls()
    blocked = sign_in(blocked_console(store, clock, tmp_path), "admin", "000000")
    with pytest.raises(AdminError, match="opening report could not be made"):
        blocked.reopen_polls()
    unblock(tmp_path)
    made = blocked.report(ReportKind.OPENING)
    assert made.report.reopening is True
    # A closing report is owed only while the polls are closed: once they are reopened, the
    # missing one can no longer be made, and saying so beats a report of another state.
    late = sign_in(blocked_console(store, clock, tmp_path, "blocked-again"), "admin", "000000")
    with pytest.raises(AdminError, match="closing report could not be made"):
        late.close_polls()
    admin.reopen_polls()
    with pytest.raises(AdminError, match="the polls are open now: it can no longer be made"):
        late.report(ReportKind.CLOSING)


# ---- the operator of a voter unlock is journaled -------------------------------------------------


def test_a_voter_unlock_journals_the_operator_and_no_voter(
    console: AdminConsole, clock: ManualClock
) -> None:
    from kiosk.voting.lockout import CredentialGuard, login_subject
    from tests.unit.test_voting_world import VoterSecrets

    voter = VoterSecrets(1)
    guard = CredentialGuard(console.store)
    guard.record_failure(login_subject(voter.identifier), clock.now())
    assesseur = sign_in(console, ASSESSEUR, ASSESSEUR_PIN)
    assert assesseur.unlock_voter(voter.identifier)
    last = console.store.audit_entries()[-1]
    assert last.event is AuditEvent.VOTER_UNLOCKED
    assert dict(last.fields) == {"operator": ASSESSEUR, "cleared": 1}
    journal = len(console.store.audit_entries())
    assert not assesseur.unlock_voter(voter.identifier)  # nothing cleared: nothing journaled
    assert len(console.store.audit_entries()) == journal
