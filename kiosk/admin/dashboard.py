"""The admin console's dashboard: what an assesseur glances at during the day.

Ballots cast (per scrutin and in all), how many wait for the server (queued: pending and
exported), how many it accepted (synced), how many it refused for now (held), the last time the
server answered a sync, the free disk space beside the store, the printer and whether the kiosk
has a server at all. Counts only: nothing here tells who voted or how.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Protocol

from kiosk.audit import AuditEvent
from kiosk.election.model import ScrutinId
from kiosk.store import KioskStore, PollsState, SyncState


@dataclass(frozen=True)
class PrinterState:
    ok: bool
    detail: str  # one line for the operator: "ready", "out of paper", "unknown", ...


UNKNOWN_PRINTER: Final = PrinterState(ok=False, detail="unknown")
"""What the dashboard shows when no printer probe was given (the command line, a test)."""


class PrinterProbe(Protocol):
    """Asks the printer how it is; the Qt side (ui/printing.py) supplies one."""

    def __call__(self) -> PrinterState: ...


@dataclass(frozen=True)
class Dashboard:
    polls: PollsState
    cast_per_scrutin: Mapping[ScrutinId, int]
    cast_total: int
    queued: int  # pending + exported: the server has not answered for them yet
    synced: int  # accepted by the server
    held: int  # refused for now by the server (kept, retried, exportable)
    last_sync: datetime | None  # the last time the server's answers were recorded
    free_disk_bytes: int
    printer: PrinterState
    online: bool  # the kiosk has a server to sync with (not whether it answers right now)


_ANSWERED: Final = frozenset({SyncState.ACCEPTED.value, SyncState.REJECTED.value})


def last_sync(store: KioskStore) -> datetime | None:
    """When the server's answers last moved ballots (``outbox-synced`` to accepted or rejected,
    in the journal); None before any."""
    latest: str | None = None
    for entry in store.audit_entries():
        if entry.event is AuditEvent.OUTBOX_SYNCED and entry.fields.get("state") in _ANSWERED:
            latest = entry.at
    return None if latest is None else datetime.fromisoformat(latest).astimezone(UTC)


def free_disk_bytes(store: KioskStore) -> int:
    """Free space on the file system of the store's folder, for this (unprivileged) user."""
    return shutil.disk_usage(store.path.parent).free


def probe_printer(probe: PrinterProbe | None) -> PrinterState:
    """The probe's answer; ``UNKNOWN_PRINTER`` without one, or when the probe itself fails."""
    if probe is None:
        return UNKNOWN_PRINTER
    try:
        return probe()
    except Exception as exc:
        return PrinterState(ok=False, detail=f"the printer probe failed ({type(exc).__name__})")


def build_dashboard(
    store: KioskStore, *, online: bool, printer_probe: PrinterProbe | None = None
) -> Dashboard:
    status = store.status()
    per_scrutin = store.ballots_per_scrutin()
    outbox = status.outbox
    return Dashboard(
        polls=status.polls,
        cast_per_scrutin=per_scrutin,
        cast_total=outbox.total,
        queued=outbox.pending + outbox.exported,
        synced=outbox.accepted,
        held=store.held_count(),
        last_sync=last_sync(store),
        free_disk_bytes=free_disk_bytes(store),
        printer=probe_printer(printer_probe),
        online=online,
    )


def render_dashboard(dashboard: Dashboard) -> str:
    """The dashboard as text (``isoloir admin dashboard``)."""
    lines = [f"Polls:        {dashboard.polls.value}"]
    lines.append(f"Ballots cast: {dashboard.cast_total}")
    for scrutin_id, count in dashboard.cast_per_scrutin.items():
        lines.append(f"  {scrutin_id}: {count}")
    lines.append(
        f"Sync:         {dashboard.queued} queued, {dashboard.synced} synced, {dashboard.held} held"
    )
    last = "never" if dashboard.last_sync is None else dashboard.last_sync.isoformat()
    lines.append(f"Last sync:    {last}")
    lines.append(f"Server:       {'online kiosk' if dashboard.online else 'offline kiosk'}")
    lines.append(f"Free disk:    {_megabytes(dashboard.free_disk_bytes)}")
    state = "ok" if dashboard.printer.ok else "not ready"
    lines.append(f"Printer:      {state} ({dashboard.printer.detail})")
    return "\n".join(lines)


def _megabytes(count: int) -> str:
    return f"{count / 1_000_000:,.0f} MB"
