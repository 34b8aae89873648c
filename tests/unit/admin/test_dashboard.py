"""The dashboard's counts after real casts through a voting session, and its other readings."""

from __future__ import annotations

from pathlib import Path

from kiosk.admin.console import AdminSession
from kiosk.admin.dashboard import PrinterState, render_dashboard
from kiosk.admin.roles import Role
from kiosk.clock import ManualClock
from kiosk.election.model import ListId, ScrutinId
from kiosk.store import KioskStore, PollsState, SyncState
from kiosk.voting import flow
from tests.unit.admin.conftest import ASSESSEUR, ASSESSEUR_PIN, make_console, sign_in
from tests.unit.test_voting_world import Kiosk, VoterSecrets

CAPN, CAP = ScrutinId("capn"), ScrutinId("cap")


def cast(kiosk: Kiosk, voter: VoterSecrets, *scrutins: ScrutinId) -> None:
    kiosk.to_scrutins(voter)
    for scrutin in scrutins:
        kiosk.send(flow.ChooseScrutin(scrutin))
        kiosk.send(flow.ArmSelection())
        kiosk.send(flow.Select(ListId("blank")))
        assert isinstance(kiosk.send(flow.CastVote()), flow.Receipt)
        kiosk.send(flow.Continue())
    kiosk.send(flow.Quit())
    kiosk.send(flow.Continue())


def test_counts_follow_real_casts_and_sync_answers(
    assesseur: AdminSession, store: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    empty = assesseur.dashboard()
    assert empty.polls is PollsState.NOT_OPENED
    assert dict(empty.cast_per_scrutin) == {CAPN: 0, CAP: 0}
    assert (empty.cast_total, empty.queued, empty.synced, empty.held) == (0, 0, 0, 0)
    assert empty.last_sync is None
    assert empty.printer == PrinterState(False, "unknown")
    assert not empty.online
    assert empty.free_disk_bytes > 0

    assesseur.open_polls()
    kiosk = Kiosk(tmp_path / "voting", clock, store=store, captcha=False)
    cast(kiosk, VoterSecrets(0), CAPN, CAP)
    cast(kiosk, VoterSecrets(1), CAPN)
    board = assesseur.dashboard()
    assert board.polls is PollsState.OPEN
    assert dict(board.cast_per_scrutin) == {CAPN: 2, CAP: 1}
    assert (board.cast_total, board.queued, board.synced, board.held) == (3, 3, 0, 0)

    first, second, third = (entry.envelope_id for entry in store.outbox())
    store.record_sync_answers([first], [], held=[(second, "outside_window")])
    store.mark_exported([third])
    synced = assesseur.dashboard()
    assert (synced.cast_total, synced.queued, synced.synced, synced.held) == (3, 2, 1, 1)
    assert synced.last_sync == clock.now().replace(microsecond=0)
    assert store.outbox(SyncState.EXPORTED)[0].envelope_id == third
    text = render_dashboard(synced)
    assert "Ballots cast: 3" in text
    assert "2 queued, 1 synced, 1 held" in text


def test_the_printer_probe_and_the_server_are_shown(
    store: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    console = make_console(
        store,
        clock,
        tmp_path,
        client_factory=lambda: None,
        printer_probe=lambda: PrinterState(True, "prête (A4)"),
    )
    console.operators.add(ASSESSEUR, Role.ASSESSEUR, ASSESSEUR_PIN)
    board = sign_in(console, ASSESSEUR, ASSESSEUR_PIN).dashboard()
    assert board.printer == PrinterState(True, "prête (A4)")
    assert board.online


def test_a_failing_probe_is_a_reading_not_a_crash(
    store: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    def broken() -> PrinterState:
        raise OSError("cups is gone")

    console = make_console(store, clock, tmp_path, printer_probe=broken)
    console.operators.add(ASSESSEUR, Role.ASSESSEUR, ASSESSEUR_PIN)
    board = sign_in(console, ASSESSEUR, ASSESSEUR_PIN).dashboard()
    assert board.printer == PrinterState(False, "the printer probe failed (OSError)")
