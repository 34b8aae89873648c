"""Open the kiosk window on a kiosk store: ``python -m ui --store S --key-file K``.

The administrator's PIN (to close the window) comes from ``ISOLOIR_ADMIN_PIN``; an assesseur
PIN in ``ISOLOIR_ASSESSEUR_PIN`` enables the supervised réassort; ``--mail-dir`` enables the
réassort by token through a file mailbox. An election package that names a central server makes
the kiosk online (docs/voter-flow.md, "Online kiosk"): each cast is sent at once, the outbox in
the background, voters who voted elsewhere are told, lockouts are shared and réassort tokens go
through the server's relay; the TLS certificate is pinned by the SHA-256 the package signs
(docs/server.md, "TLS and pinning"). ``--server URL`` (else the configuration's ``server_url``)
and ``--server-pin`` may only repeat the package's: a contradiction, or a server for an offline
election, is refused. Papers are printed on the
CUPS queue ``--printer`` (else the system's default printer); when no printer takes a paper, it
is written as a PDF into ``--print-dir`` (docs/receipts.md, "Printing"); with ``--pdf-only``
(the demo), every paper is. A paper that did not print shows on the voter's page as "adressez-vous
à un assesseur". A core call that raises (a broken invariant, a store failure) ends the voter's
session on a page that says the same: the window does it itself (``KioskWindow._failed``), so that
no embedding of the window can leave a failure unseen; the log says only the kind of error.

``--exit-when-ready`` (hidden, for bench/kiosk.py) prints ``ready SECONDS`` once the welcome page
has been painted, SECONDS counted from the end of this module's core imports (bench/kiosk.py
times the whole process), and quits.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.clock import Clock, SystemClock
from kiosk.config import ConfigError, load_config
from kiosk.store import KioskStore, StoreError, StoreKey
from kiosk.voting.assets import PackageAssets
from kiosk.voting.reassort import FileMailbox, Notifier
from kiosk.voting.session import KioskElection, VotingSession

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication, QObject

    from kiosk.sync.client import ServerClient

_STARTED = time.perf_counter()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ui", description="Open the kiosk window on a kiosk store."
    )
    parser.add_argument("--config", type=Path, help="kiosk configuration (TOML)")
    parser.add_argument("--store", type=Path, help="kiosk store (else the configuration's)")
    parser.add_argument("--key-file", type=Path, help="store key file (else the configuration's)")
    parser.add_argument("--mail-dir", type=Path, help="file mailbox for réassort tokens")
    parser.add_argument(
        "--server",
        metavar="URL",
        help="central server (default: the package's; if given, it must be the package's)",
    )
    parser.add_argument(
        "--server-pin",
        metavar="FINGERPRINT",
        help="SHA-256 of the server's TLS certificate (default: the package's; if given, equal)",
    )
    printers = parser.add_mutually_exclusive_group()
    printers.add_argument("--printer", help="CUPS queue for the papers (else the default printer)")
    printers.add_argument(
        "--pdf-only", action="store_true", help="print nothing: every paper is a PDF in --print-dir"
    )
    parser.add_argument(
        "--print-dir",
        type=Path,
        default=Path("isoloir-prints"),
        help="where papers are written when no printer takes them",
    )
    parser.add_argument("--windowed", action="store_true", help="a window, not full screen")
    parser.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    return parser


class _PinCheck:
    """A PIN from the environment, compared in constant time."""

    def __init__(self, expected: str) -> None:
        self._expected = hashlib.sha256(expected.encode()).digest()

    def __repr__(self) -> str:
        return "_PinCheck()"  # never the PIN

    def __call__(self, credential: str) -> bool:
        # Digests of equal length: the comparison time tells nothing about the PIN's length.
        return hmac.compare_digest(hashlib.sha256(credential.encode()).digest(), self._expected)


def _pin_check(variable: str) -> _PinCheck | None:
    expected = os.environ.get(variable, "")
    return _PinCheck(expected) if expected else None


class _Online:
    """An online kiosk's links to the server, sharing one client and one ``Link`` (after a
    failure, the voter-facing calls keep quiet for a while)."""

    def __init__(
        self, store: KioskStore, client: ServerClient, clock: Clock, timeout: float
    ) -> None:
        # Imported here: an offline kiosk starts without the HTTP client.
        from kiosk.sync.notifier import ServerNotifier
        from kiosk.sync.online import AtCastUpload, Link, ServerLockouts, ServerVoterStatus
        from kiosk.sync.outbox import OutboxSync

        link = Link(clock)
        self.client = client
        self.outbox = OutboxSync(store, client, clock)
        self.uploader = AtCastUpload(self.outbox, timeout=timeout, link=link)
        self.voter_status = ServerVoterStatus(client, link, timeout=timeout)
        self.lockouts = ServerLockouts(client, link, timeout=timeout)
        self.notifier = ServerNotifier(client)

    def close(self) -> None:
        self.uploader.close()
        self.client.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    admin_check = _pin_check("ISOLOIR_ADMIN_PIN")
    if admin_check is None:
        print("ISOLOIR_ADMIN_PIN is not set: the kiosk could never be closed", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config)
        key_file = args.key_file or config.key_file
        if key_file is None:
            print("give --key-file (or key_file in the configuration)", file=sys.stderr)
            return 2
        clock = SystemClock()
        store = KioskStore.open(args.store or config.store, StoreKey.from_key_file(key_file), clock)
    except (ConfigError, StoreError) as exc:
        print(exc, file=sys.stderr)
        return 1

    from PySide6.QtWidgets import QApplication

    from ui.ballot_names import BallotNames
    from ui.kiosk_window import KioskWindow
    from ui.printing import PdfFolderPrinter, Printer, make_printer

    with store:
        election = KioskElection.from_store(store)
        client: ServerClient | None = None
        server = election.manifest.server
        given_url = args.server or config.server_url
        if server is not None or given_url is not None or args.server_pin:
            from kiosk.sync.client import ServerClient
            from kiosk.sync.endpoint import package_endpoint

            try:
                endpoint = package_endpoint(server, given_url, args.server_pin)
                client = ServerClient(
                    endpoint.url,
                    election_id=election.manifest.election_id,
                    kiosk_id=election.kiosk.kiosk_id,
                    key=election.kiosk.signing_key(),
                    clock=clock,
                    package_fingerprint=election.fingerprint,
                    pin=endpoint.pin,
                )
            except ValueError as exc:
                print(f"--server / --server-pin: {exc}", file=sys.stderr)
                return 2
        online = _Online(store, client, clock, config.server_timeout) if client else None
        notifier: Notifier | None = online.notifier if online else None
        if notifier is None and args.mail_dir:
            notifier = FileMailbox(args.mail_dir)
        session = VotingSession(
            store,
            clock,
            election,
            config=config,
            notifier=notifier,
            assesseur_check=_pin_check("ISOLOIR_ASSESSEUR_PIN"),
            uploader=online.uploader if online else None,
            voter_status=online.voter_status if online else None,
            shared_lockouts=online.lockouts if online else None,
        )
        app = QApplication(sys.argv[:1])
        names = BallotNames(election.manifest)
        printer: Printer = (
            PdfFolderPrinter(args.print_dir)
            if args.pdf_only
            else make_printer(args.printer, args.print_dir)
        )
        window = KioskWindow(
            session,
            clock,
            names,
            admin_check=admin_check,
            printer=printer,
            assets=PackageAssets(store, election.manifest),  # the lists' logos and PDFs
            background_sync=online.outbox if online else None,
        )
        if args.exit_when_ready:
            _exit_when_painted(app, window.welcome)
        if args.windowed:
            window.show()
        else:
            window.show_kiosk()
        try:
            status = app.exec()
            window.shutdown()  # papers still queued are printed first
        finally:
            if online is not None:
                online.close()
        return status


def _exit_when_painted(app: QCoreApplication, page: QObject) -> None:
    """Once ``page`` has painted: print the seconds since ``_STARTED``, and quit."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class _FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and watched is page:
                page.removeEventFilter(self)
                print(f"ready {time.perf_counter() - _STARTED:.3f}", flush=True)
                # exit, not quit: Qt 6's quit() first asks the window to close, which it refuses.
                QTimer.singleShot(0, lambda: app.exit(0))
            return False

    page.installEventFilter(_FirstPaint(page))


if __name__ == "__main__":
    sys.exit(main())
