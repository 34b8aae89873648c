"""Diagnostics on a real store (a broken audit chain fails them), and the journal's viewer and
export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3

from kiosk.admin.console import AdminConsole, AdminError, AdminSession
from kiosk.admin.dashboard import PrinterState
from kiosk.admin.diagnostics import CheckStatus, render_diagnostics, run_diagnostics
from kiosk.admin.roles import Role
from kiosk.clock import ManualClock
from kiosk.store import KioskStore, StoreKey
from tests.factories import CLOSES
from tests.unit.admin.conftest import ADMIN, ADMIN_PIN, make_console, sign_in


@contextmanager
def raw_connection(store_path: Path) -> Iterator[Any]:
    """A plain SQLCipher connection behind the store's back, to tamper with the file."""
    key = StoreKey.from_key_file(store_path.parent / "store.key")
    connection = sqlcipher3.connect(str(store_path), isolation_level=None)
    connection.execute(f"PRAGMA key = \"x'{key.raw_key(store_path.read_bytes()[:16]).hex()}'\"")
    try:
        yield connection
    finally:
        connection.close()


def reopened(store: KioskStore, clock: ManualClock) -> KioskStore:
    return KioskStore.open(
        store.path, StoreKey.from_key_file(store.path.parent / "store.key"), clock
    )


# ---- diagnostics ---------------------------------------------------------------------------------


def test_a_healthy_offline_kiosk_passes(admin: AdminSession, console: AdminConsole) -> None:
    report = admin.diagnostics()
    statuses = {c.name: c.status for c in report.checks}
    assert statuses == {
        "store": CheckStatus.PASS,
        "audit journal": CheckStatus.PASS,
        "disk": statuses["disk"],  # the machine's own: below
        "printer": CheckStatus.WARN,  # no probe on this console
        "server": CheckStatus.PASS,
        "clock": CheckStatus.PASS,
    }
    assert report.check("server").detail == "offline kiosk, no server"
    assert "in the voting window" in report.check("clock").detail
    assert report.ok
    last = console.store.audit_entries()[-1]
    assert last.event.code == "diagnostics-run"
    assert dict(last.fields) == {"failed": 0, "warned": report.warned, "operator": ADMIN}


def test_thresholds_printer_and_the_window_turn_checks_warn_or_fail(
    store: KioskStore, clock: ManualClock
) -> None:
    low = run_diagnostics(
        store,
        clock,
        server=None,
        printer_probe=lambda: PrinterState(False, "out of paper"),
        disk_warn_bytes=1 << 62,
        disk_fail_bytes=1 << 61,
    )
    assert low.check("disk").status is CheckStatus.FAIL
    assert low.check("printer").status is CheckStatus.FAIL
    assert low.check("printer").detail == "out of paper"
    assert not low.ok
    warned = run_diagnostics(store, clock, server=None, disk_warn_bytes=1 << 62, disk_fail_bytes=0)
    assert warned.check("disk").status is CheckStatus.WARN
    clock.current = CLOSES
    late = run_diagnostics(store, clock, server=None)
    assert late.check("clock").status is CheckStatus.WARN
    assert "outside the voting window" in late.check("clock").detail


def test_a_broken_audit_chain_fails_the_diagnostics(
    store: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    store.close()
    with raw_connection(store.path) as db:
        db.execute("DROP TRIGGER audit_journal_no_update")
        db.execute("UPDATE audit_journal SET fields = '{\"schema_version\":9}' WHERE seq = 1")
    with reopened(store, clock) as damaged:
        console = make_console(damaged, clock, tmp_path)
        console.operators.add(ADMIN, Role.ADMINISTRATOR, ADMIN_PIN)
        session = sign_in(console, ADMIN, ADMIN_PIN)
        report = session.diagnostics()
        journal = report.check("audit journal")
        assert journal.status is CheckStatus.FAIL
        assert journal.detail == "chain broken at entry 1: hash does not match the entry's content"
        assert report.check("store").status is CheckStatus.PASS
        assert not report.ok
        text = render_diagnostics(report)
        assert "FAIL  audit journal" in text
        assert text.endswith("warning(s)")
        assert "1 check(s) FAILED" in text

        # The export says so too, on its last line.
        out = session.export_journal(tmp_path / "journal.jsonl")
        chain = json.loads(out.read_text().splitlines()[-1])["chain"]
        assert chain["ok"] is False
        assert chain["first_broken_seq"] == 1


# ---- the journal ---------------------------------------------------------------------------------


def test_the_journal_is_listed_and_exported_with_its_chain_check(
    admin: AdminSession, console: AdminConsole, tmp_path: Path
) -> None:
    admin.open_polls()
    lines = admin.journal()
    assert [line.seq for line in lines] == list(range(1, len(lines) + 1))
    assert lines[0].code == "store-created"
    opened = next(line for line in lines if line.code == "polls-opened")
    assert dict(opened.fields) == {"operator": ADMIN}
    assert opened.description == "An operator opened the polls"

    with pytest.raises(AdminError, match="no such folder"):
        admin.export_journal(tmp_path / "usb" / "journal.jsonl")
    out = admin.export_journal(tmp_path / "journal.jsonl")
    assert out.stat().st_mode & 0o777 == 0o600
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    entries, check = rows[:-1], rows[-1]["chain"]
    assert [row["seq"] for row in entries] == [line.seq for line in lines]
    assert entries[0]["event"] == "store-created"
    assert len(entries[0]["hash"]) == 64
    assert check["ok"] is True
    assert check["length"] == len(lines)
    assert check["head"] == entries[-1]["hash"]
    # The export itself is journaled, after the exported entries.
    last = console.store.audit_entries()[-1]
    assert last.event.code == "journal-exported"
    assert dict(last.fields) == {"entries": len(lines), "operator": ADMIN}
    before = out.read_bytes()
    with pytest.raises(AdminError, match="exists already"):
        admin.export_journal(out)
    assert out.read_bytes() == before
