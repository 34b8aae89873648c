"""``isoloir admin export``: an offline kiosk's sealed ballots not yet accepted, in one signed
bundle file for removable media (docs/server.md, "Removable media").

Every ``pending`` and ``exported`` ballot of the outbox goes in (exporting again repeats the
earlier ones: the server's import is idempotent by envelope id), each with the receipt signature
its voter's proof of deposit carries (recomputed: Ed25519 is deterministic) and the kiosk's
statement of whether it was cast inside the voting window, read from its émargement. The file is
complete or absent: written under a temporary name, fsynced, then linked into place, never over
an existing file. Only then do the ``pending`` ballots become ``exported``: they stay in the
outbox until the server's answer reaches the kiosk (an online sync).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.bundle.codec import MAX_BUNDLE_BYTES, Bundle, BundleItem, CastWindow, seal_bundle
from kiosk.crypto.envelope import decode_envelope
from kiosk.crypto.receipt import sign_receipt
from kiosk.crypto.tracking import tracking_code
from kiosk.durable import fsync_directory, write_new_file
from kiosk.election.codec import parse_manifest
from kiosk.encoding import strict_json_loads
from kiosk.store import KioskStore, OutboxEntry, StoredPackage, SyncState


class ExportError(Exception):
    """Why no bundle was written; the message is for the administrator."""


@dataclass(frozen=True)
class Exported:
    path: Path
    bundle: Bundle
    newly_exported: int  # ballots that moved from pending to exported now

    @property
    def cast_outside_window(self) -> int:
        return sum(item.cast is not CastWindow.IN_WINDOW for item in self.bundle.items)


def export_bundle(
    store: KioskStore,
    out: Path,
    *,
    shuffle: Callable[[list[BundleItem]], None] | None = None,
) -> Exported:
    """Write the bundle to ``out`` (which must not exist), then mark its pending ballots
    exported. ``ExportError`` when there is nothing to export or no place to write."""
    if out.exists() or out.is_symlink():
        raise ExportError(f"{out}: exists already; a bundle is never overwritten")
    if not out.parent.is_dir():
        raise ExportError(f"{out.parent}: no such folder")
    identity = store.kiosk_identity()
    if identity is None:
        raise ExportError("this kiosk has no signing key yet (isoloir admin setup)")
    stored = store.stored_package()
    if stored is None:
        raise ExportError("no election package is loaded: there is nothing to export")
    entries = store.outbox(SyncState.PENDING) + store.outbox(SyncState.EXPORTED)
    if not entries:
        raise ExportError("nothing to export: no sealed ballot waits for the server")
    key = identity.signing_key()
    items = bundle_items(store, entries, key, stored)
    try:
        bundle = seal_bundle(
            key,
            election_id=stored.election_id,
            fingerprint=stored.fingerprint,
            kiosk_id=identity.kiosk_id,
            items=items,
            shuffle=shuffle,
        )
    except ValueError as exc:  # e.g. ballots sealed under an earlier kiosk id
        raise ExportError(f"cannot bundle this outbox: {exc}") from None
    data = bundle.to_bytes()
    if len(data) > MAX_BUNDLE_BYTES:  # the server would refuse it unread
        raise ExportError(
            f"{len(items)} ballots make a bundle over {MAX_BUNDLE_BYTES >> 20} MiB, more than an "
            "import reads; splitting an outbox into several bundles is not supported yet"
        )
    _write_new(out, data)
    moved = store.mark_exported(e.envelope_id for e in entries if e.state is SyncState.PENDING)
    return Exported(out, bundle, moved)


def bundle_items(
    store: KioskStore,
    entries: Sequence[OutboxEntry],
    key: Ed25519PrivateKey,
    stored: StoredPackage,
) -> list[BundleItem]:
    """Each sealed ballot of ``entries`` as a bundle item: its envelope, the receipt signature
    its proof of deposit carries and the window statement from its émargement. The polls
    reports (``kiosk.admin.reports``) take their board entries' fields from these items."""
    window = parse_manifest(strict_json_loads(stored.manifest, "stored manifest")).window
    cast_times = store.cast_times()
    items: list[BundleItem] = []
    for entry in entries:
        envelope = decode_envelope(entry.envelope)  # the store's own: a failure is a bug
        # Privacy: the émargement's time gives one statement (in the window or not), never a time.
        cast_at = cast_times[(envelope.voter_id, envelope.scrutin_id)]
        receipt = sign_receipt(
            key,
            election_fingerprint=stored.fingerprint,
            scrutin_id=envelope.scrutin_id,
            tracking_code=tracking_code(envelope.ballot),
            kiosk_id=envelope.kiosk_id,
        )
        items.append(BundleItem(entry.envelope, receipt.signature, CastWindow.of(cast_at, window)))
    return items


def _write_new(path: Path, data: bytes) -> None:
    """``path`` holds ``data`` entirely, mode 0600, or does not exist; never replaces a file."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(6)}.partial")
    try:
        write_new_file(partial, data, 0o600)
        exists = ExportError(f"{path}: exists already; a bundle is never overwritten")
        try:
            os.link(partial, path)
        except FileExistsError:
            raise exists from None
        except OSError:  # a file system without hard links (a FAT-formatted stick)
            if path.exists() or path.is_symlink():
                raise exists from None
            os.rename(partial, path)
        fsync_directory(path.parent)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write the bundle ({exc.strerror})") from None
    finally:
        partial.unlink(missing_ok=True)
