"""The kiosk's diagnostics: one PASS / WARN / FAIL line per check, for an assesseur to read out.

Checks, in order:

- store: SQLCipher's page authentication and SQLite's ``integrity_check`` of the open store;
- audit journal: the hash chain, entry by entry (``verify_audit_chain``);
- disk: free space beside the store against two thresholds (warn, fail);
- printer: the injected probe (no probe: WARN "unknown");
- server: the central server's ``/health`` with a short timeout, its election and package
  compared with the kiosk's (an offline election: PASS "offline kiosk, no server");
- clock: against the server's clock (its HTTP ``Date``) when it answered, else the local time
  against the election's voting window.

Expected failures are lines, never exceptions: diagnostics run precisely when things go wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Final, Protocol
from zoneinfo import ZoneInfo

from kiosk.admin.dashboard import PrinterProbe, free_disk_bytes
from kiosk.clock import Clock
from kiosk.election.codec import parse_manifest
from kiosk.election.model import Manifest
from kiosk.encoding import strict_json_loads
from kiosk.store import KioskStore, StoreError
from kiosk.sync.client import HEALTH_TIMEOUT, ServerFailure, ServerHealth

DISK_WARN_BYTES: Final = 1_000_000_000  # a day of ballots and reports needs far less
DISK_FAIL_BYTES: Final = 100_000_000
CLOCK_WARN: Final = timedelta(seconds=30)
CLOCK_FAIL: Final = timedelta(seconds=300)  # the server's default --max-clock-skew
OFFLINE: Final = "offline kiosk, no server"


class CheckStatus(Enum):
    PASS = "PASS"  # noqa: S105 - a verdict, not a password
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    name: str
    status: CheckStatus
    detail: str  # one line


@dataclass(frozen=True)
class DiagnosticsReport:
    at: datetime
    checks: tuple[Check, ...]

    @property
    def failed(self) -> int:
        return sum(c.status is CheckStatus.FAIL for c in self.checks)

    @property
    def warned(self) -> int:
        return sum(c.status is CheckStatus.WARN for c in self.checks)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)


class HealthSource(Protocol):
    """What answers ``/health``: ``ServerClient`` (or ``PublicServer``)."""

    def health(self, *, timeout: float = HEALTH_TIMEOUT) -> ServerHealth | ServerFailure: ...


def run_diagnostics(
    store: KioskStore,
    clock: Clock,
    *,
    server: HealthSource | None,
    printer_probe: PrinterProbe | None = None,
    disk_warn_bytes: int = DISK_WARN_BYTES,
    disk_fail_bytes: int = DISK_FAIL_BYTES,
) -> DiagnosticsReport:
    """Every check, against the store as it is now. ``server``: None for an offline kiosk."""
    manifest = _manifest(store)
    health = server.health(timeout=HEALTH_TIMEOUT) if server is not None else None
    checks = (
        _store_check(store),
        _journal_check(store),
        _disk_check(store, disk_warn_bytes, disk_fail_bytes),
        _printer_check(printer_probe),
        _server_check(store, server is not None, health),
        _clock_check(clock.now(), manifest, health),
    )
    return DiagnosticsReport(clock.now(), checks)


def render_diagnostics(report: DiagnosticsReport) -> str:
    """``PASS  store          integrity check ok`` lines, then a summary line."""
    lines = [f"{c.status.value}  {c.name:<14} {c.detail}" for c in report.checks]
    verdict = "all checks pass" if report.ok else f"{report.failed} check(s) FAILED"
    lines.append(f"{verdict}; {report.warned} warning(s)")
    return "\n".join(lines)


def _store_check(store: KioskStore) -> Check:
    try:
        problems = store.integrity_problems()
    except StoreError as exc:
        return Check("store", CheckStatus.FAIL, str(exc))
    if problems:
        return Check(
            "store",
            CheckStatus.FAIL,
            f"integrity check found {len(problems)} problem(s), the first: {problems[0][:120]}",
        )
    return Check("store", CheckStatus.PASS, f"{store.path.name}: integrity check ok")


def _journal_check(store: KioskStore) -> Check:
    try:
        chain = store.verify_audit_chain()
    except StoreError as exc:
        return Check("audit journal", CheckStatus.FAIL, str(exc))
    if not chain.ok:
        return Check(
            "audit journal",
            CheckStatus.FAIL,
            f"chain broken at entry {chain.first_broken_seq}: {chain.reason}",
        )
    return Check(
        "audit journal",
        CheckStatus.PASS,
        f"{chain.length} entries chained, head {chain.head_hash.hex()[:16]}…",
    )


def _disk_check(store: KioskStore, warn: int, fail: int) -> Check:
    try:
        free = free_disk_bytes(store)
    except OSError as exc:
        return Check("disk", CheckStatus.FAIL, f"cannot measure free space ({exc.strerror})")
    shown = f"{free / 1_000_000:,.0f} MB free beside the store"
    if free < fail:
        return Check("disk", CheckStatus.FAIL, f"{shown} (below {fail / 1_000_000:,.0f} MB)")
    if free < warn:
        return Check("disk", CheckStatus.WARN, f"{shown} (below {warn / 1_000_000:,.0f} MB)")
    return Check("disk", CheckStatus.PASS, shown)


def _printer_check(probe: PrinterProbe | None) -> Check:
    if probe is None:
        return Check("printer", CheckStatus.WARN, "unknown (no printer probe on this console)")
    try:
        state = probe()
    except Exception as exc:
        return Check("printer", CheckStatus.FAIL, f"the probe failed ({type(exc).__name__})")
    return Check("printer", CheckStatus.PASS if state.ok else CheckStatus.FAIL, state.detail)


def _server_check(
    store: KioskStore, online: bool, health: ServerHealth | ServerFailure | None
) -> Check:
    if not online or health is None:
        return Check("server", CheckStatus.PASS, OFFLINE)
    if isinstance(health, ServerFailure):
        code = f" [{health.code}]" if health.code else ""
        return Check(
            "server", CheckStatus.FAIL, f"not reached: {health.kind.value}{code}: {health.detail}"
        )
    stored = store.stored_package()
    if stored is not None and (
        health.election_id != stored.election_id or health.fingerprint != stored.fingerprint
    ):
        return Check(
            "server",
            CheckStatus.FAIL,
            f"the server serves {health.election_id} with package {health.fingerprint}, "
            f"not this kiosk's {stored.fingerprint}",
        )
    return Check(
        "server",
        CheckStatus.PASS,
        f"reachable, Isoloir {health.version}, package {health.fingerprint}",
    )


def _clock_check(
    now: datetime, manifest: Manifest | None, health: ServerHealth | ServerFailure | None
) -> Check:
    if isinstance(health, ServerHealth) and health.server_time is not None:
        # The Date header is to the second and was stamped before the answer travelled.
        drift = now - health.server_time
        size = abs(drift)
        way = "ahead of" if drift > timedelta(0) else "behind"
        detail = f"{size.total_seconds():.0f} s {way} the server's clock"
        if size > CLOCK_FAIL:
            return Check(
                "clock",
                CheckStatus.FAIL,
                f"{detail}: the server refuses requests beyond {CLOCK_FAIL.total_seconds():.0f} s",
            )
        if size > CLOCK_WARN:
            return Check("clock", CheckStatus.WARN, detail)
        return Check("clock", CheckStatus.PASS, detail)
    if manifest is None:
        return Check("clock", CheckStatus.WARN, f"{now.isoformat()} (no package: no window)")
    zone = ZoneInfo(manifest.time_zone)
    local = now.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    window = manifest.window
    opens = window.opens_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    closes = window.closes_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    span = f"voting window {opens} to {closes}"
    if window.opens_at <= now < window.closes_at:
        return Check("clock", CheckStatus.PASS, f"{local} ({manifest.time_zone}), in the {span}")
    return Check(
        "clock",
        CheckStatus.WARN,
        f"{local} ({manifest.time_zone}) is outside the {span}: check the clock",
    )


def _manifest(store: KioskStore) -> Manifest | None:
    stored = store.stored_package()
    if stored is None:
        return None
    return parse_manifest(strict_json_loads(stored.manifest, "stored manifest"))
