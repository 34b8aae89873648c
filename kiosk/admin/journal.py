"""The audit journal for people: the viewer's lines, and an export to a file.

The journal holds no secret by construction (``kiosk.audit``: a catalog of events with fixed,
deny-listed fields), so every field may be shown and exported. The export is JSON lines: one
object per entry (``seq``, ``at``, ``event``, ``description``, ``fields``, ``prev_hash``,
``hash``), then one last line with the chain check (``{"chain": {"ok", "length", "head",
"first_broken_seq", "reason"}}``), so that a reader can re-check the hashes with docs/store.md
alone. The file is written under a temporary name and linked into place: complete or absent,
never over an existing file.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.audit import AuditValue, ChainCheck
from kiosk.durable import fsync_directory, write_new_file
from kiosk.encoding import JsonValue, canonical_json
from kiosk.store import KioskStore


class JournalExportError(Exception):
    """Why no export was written; the message is for the operator."""


@dataclass(frozen=True)
class JournalLine:
    seq: int
    at: datetime
    code: str  # the event's stable code, e.g. ``ballot-cast``
    description: str  # one line, in English (the catalog's)
    fields: Mapping[str, AuditValue]


@dataclass(frozen=True)
class JournalExport:
    path: Path
    entries: int
    chain: ChainCheck


def journal_lines(store: KioskStore) -> list[JournalLine]:
    """Every entry, oldest first."""
    return [
        JournalLine(
            seq=entry.seq,
            at=datetime.fromisoformat(entry.at).astimezone(UTC),
            code=entry.event.code,
            description=entry.event.description,
            fields=dict(entry.fields),
        )
        for entry in store.audit_entries()
    ]


def render_line(line: JournalLine) -> str:
    """``12  2026-12-01T08:00:00+00:00  polls-changed  The polls changed state  state=open``."""
    fields = " ".join(f"{name}={value}" for name, value in sorted(line.fields.items()))
    return f"{line.seq:>5}  {line.at.isoformat()}  {line.code}  {line.description}  {fields}"


def export_journal(store: KioskStore, out: Path) -> JournalExport:
    """Write the journal and its chain check to ``out`` (which must not exist)."""
    if out.exists() or out.is_symlink():
        raise JournalExportError(f"{out}: exists already; an export is never overwritten")
    if not out.parent.is_dir():
        raise JournalExportError(f"{out.parent}: no such folder")
    entries = store.audit_entries()
    chain = store.verify_audit_chain()
    lines: list[bytes] = []
    for entry in entries:
        record: dict[str, JsonValue] = {
            "seq": entry.seq,
            "at": entry.at,
            "event": entry.event.code,
            "description": entry.event.description,
            "fields": dict(entry.fields),
            "prev_hash": entry.prev_hash.hex(),
            "hash": entry.hash.hex(),
        }
        lines.append(canonical_json(record))
    lines.append(canonical_json({"chain": chain_summary(chain)}))
    data = b"\n".join(lines) + b"\n"
    partial = out.with_name(f".{out.name}.{secrets.token_hex(6)}.partial")
    try:
        write_new_file(partial, data, 0o600)
        try:
            os.link(partial, out)
        except FileExistsError:
            raise JournalExportError(
                f"{out}: exists already; an export is never overwritten"
            ) from None
        except OSError:  # a file system without hard links (a FAT-formatted stick)
            if out.exists() or out.is_symlink():
                raise JournalExportError(
                    f"{out}: exists already; an export is never overwritten"
                ) from None
            os.rename(partial, out)
        fsync_directory(out.parent)
    except OSError as exc:
        raise JournalExportError(f"{out}: cannot write the export ({exc.strerror})") from None
    finally:
        partial.unlink(missing_ok=True)
    return JournalExport(out, len(entries), chain)


def chain_summary(chain: ChainCheck) -> dict[str, JsonValue]:
    return {
        "ok": chain.ok,
        "length": chain.length,
        "head": chain.head_hash.hex(),
        "first_broken_seq": chain.first_broken_seq,
        "reason": chain.reason,
    }
