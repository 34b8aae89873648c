"""``isoloir admin ...``: what kiosk administrators run to set up and inspect a kiosk.

``kiosk.store`` (and SQLCipher behind it) is imported inside the commands only: every
``isoloir`` command registers this group, and an auditor running ``isoloir verify record``
must not need SQLCipher (tests/unit/test_verifier_imports.py runs it and checks).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.admin.roles import Action
from kiosk.cli.admin_console import operator_option, register_console, signed_in_session
from kiosk.cli.common import CliError, Secret, existing_path, read_passphrase
from kiosk.cli.sync import register_sync
from kiosk.clock import SystemClock
from kiosk.config import KioskConfig, load_config
from kiosk.log import LogEvent, log_event

if TYPE_CHECKING:
    from kiosk.store import KioskStore, StoreKey

logger = logging.getLogger(__name__)


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = groups.add_parser("admin", help="set up and inspect this kiosk")
    commands = group.add_subparsers(dest="command", required=True, metavar="ACTION")

    def store_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--config", type=existing_path, help="kiosk settings (TOML)")
        command.add_argument("--store", type=Path, help="the kiosk store (default: from config)")
        command.add_argument("--key-file", type=Path, help="store key file (else a passphrase)")

    status = commands.add_parser("status", help="show what this kiosk's store holds")
    store_options(status)
    status.set_defaults(run=_status)

    unlock = commands.add_parser(
        "unlock",
        help="clear a locked voter's failure counters (or the assesseur's)",
        description="After checking the voter's identity: clears the counters of their "
        "identifier (password), vote code and réassort on this kiosk (an operator allowed to "
        "unlock voters). --assesseur clears the supervising assesseur's PIN counter instead "
        "(an administrator). Journaled, with the operator.",
    )
    store_options(unlock)
    operator_option(unlock)
    who = unlock.add_mutually_exclusive_group(required=True)
    who.add_argument("identifier", nargs="?", help="the voter's identifier (e-mail address)")
    who.add_argument("--assesseur", action="store_true", help="the assesseur PIN's counter")
    unlock.set_defaults(run=_unlock)

    export = commands.add_parser(
        "export",
        help="write the sealed ballots not yet accepted to a signed bundle (removable media)",
        description="Writes every sealed ballot the server has not accepted yet (pending or "
        "exported) to one signed bundle file, for isoloir server import-bundle. The ballots stay "
        "in the outbox, marked exported, until the server's answer reaches this kiosk; exporting "
        "again includes them again. Never overwrites a file.",
    )
    store_options(export)
    operator_option(export)
    export.add_argument("out", type=Path, help="the bundle file to create (e.g. *.isoloir-bundle)")
    export.set_defaults(run=_export)

    register_sync(commands, store_options)  # sync, enroll: kiosk/cli/sync.py
    # setup (the first run), load-package, operator, polls, report, dashboard, journal, diagnostics,
    # printer-test, reassort: kiosk/cli/admin_console.py
    register_console(commands, store_options)


def _config(args: argparse.Namespace) -> KioskConfig:
    return load_config(args.config)


def _store_path(args: argparse.Namespace, config: KioskConfig) -> Path:
    path: Path = args.store or config.store
    return path


def _key(args: argparse.Namespace, config: KioskConfig, *, new: bool = False) -> StoreKey:
    from kiosk.store import StoreError, StoreKey, create_key_file

    try:
        if new and args.new_key_file:
            return create_key_file(args.new_key_file)
        key_file = args.key_file or config.key_file
        if key_file is not None:
            return StoreKey.from_key_file(key_file)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    return StoreKey.from_passphrase(
        read_passphrase(Secret.STORE, "Store passphrase: ", confirm=new)
    )


def _open(args: argparse.Namespace, *, read_only: bool = False) -> tuple[KioskStore, KioskConfig]:
    from kiosk.store import KioskStore, StoreError

    config = _config(args)
    path, key = _store_path(args, config), _key(args, config)
    try:
        return KioskStore.open(path, key, SystemClock(), read_only=read_only), config
    except StoreError as exc:
        raise CliError(str(exc)) from None


def _status(args: argparse.Namespace) -> int:
    store, _ = _open(args, read_only=True)  # looking changes nothing, not even the journal
    with store:
        status = store.status()
        chain = store.verify_audit_chain()
    print(f"Store schema:  v{status.schema_version}")
    print(f"Kiosk:         {status.kiosk_id or 'no kiosk key yet'}")
    if status.fingerprint is None:
        print("Election:      no package loaded (isoloir admin load-package PACKAGE)")
    else:
        print(f"Election:      {status.election_id} — {status.election_title}")
        print(f"Fingerprint:   {status.fingerprint}")
        print(f"Roll:          {status.voters} voters, {status.scrutins} scrutins")
    print(f"Polls:         {status.polls.value}")
    print(f"Émargements:   {status.emargements}")
    outbox = status.outbox
    print(
        f"Sealed ballots: {outbox.total} (pending {outbox.pending}, exported {outbox.exported}, "
        f"accepted {outbox.accepted}, rejected {outbox.rejected})"
    )
    verdict = "intact" if chain.ok else f"BROKEN at entry {chain.first_broken_seq}"
    print(
        f"Audit journal: {status.audit_length} entries, head {status.audit_head[:16]}…, {verdict}"
    )
    return 0 if chain.ok else 1


def _unlock(args: argparse.Namespace) -> int:
    from kiosk.admin.console import AdminError
    from kiosk.voting.lockout import ASSESSEUR_SUBJECT, CredentialGuard

    store, _ = _open(args)
    with store:
        if args.assesseur:
            signed_in_session(args, store, Action.UNLOCK_OPERATOR)
            cleared = CredentialGuard(store).unlock(ASSESSEUR_SUBJECT)
        else:
            session = signed_in_session(args, store, Action.UNLOCK_VOTER)
            try:
                cleared = session.unlock_voter(args.identifier)  # the console's own rule
            except AdminError as exc:
                raise CliError(str(exc), exit_code=2) from None
    if cleared:
        print("Unlocked: the failure counters are cleared; the journal records it.")
    else:
        print("Nothing to unlock: no failure counted for it on this kiosk.")
    return 0


def _export(args: argparse.Namespace) -> int:
    from kiosk.bundle.export import ExportError, export_bundle
    from kiosk.store import StoreError

    out: Path = args.out
    if out.exists() or out.is_symlink():  # before asking for the passphrase
        raise CliError(f"{out}: exists already; a bundle is never overwritten")
    store, _ = _open(args)
    with store:
        signed_in_session(args, store, Action.EXPORT_MEDIA)
        log_event(logger, LogEvent.BUNDLE_EXPORT, disposition="start")
        try:
            exported = export_bundle(store, out)
        except (ExportError, StoreError) as exc:
            log_event(logger, LogEvent.BUNDLE_EXPORT, logging.WARNING, disposition="refused")
            raise CliError(str(exc)) from None
    bundle = exported.bundle
    log_event(
        logger,
        LogEvent.BUNDLE_EXPORT,
        disposition="written",
        kiosk_id=bundle.kiosk_id,
        count=len(bundle.items),
    )
    print(f"Bundle written: {out}")
    print(f"Kiosk {bundle.kiosk_id}, election {bundle.election_id}, package {bundle.fingerprint}")
    print(
        f"{len(bundle.items)} sealed ballot(s), {exported.newly_exported} exported for the first "
        f"time; hash root {bundle.root.hex()[:32]}…"
    )
    if exported.cast_outside_window:
        print(
            f"Warning: {exported.cast_outside_window} of them were cast outside the voting window "
            "(by this kiosk's clock): the server will refuse them."
        )
    print("Take it to the central server: isoloir server import-bundle FILE. The ballots stay")
    print("marked exported here until an online sync brings the server's answers back.")
    return 0
