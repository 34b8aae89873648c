"""Open the kiosk window on a kiosk store: ``python -m ui --store S --key-file K``.

The admin console's operators are the store's accounts (``kiosk.admin.operators``; made by ``isoloir
admin setup`` and ``isoloir admin operator add``): a store without an administrator account is
refused, since nobody could ever close its window. ``--first-run`` with a ``--store`` that does not
exist yet makes one first (ui/admin/setup.py, docs/admin-console.md "First run"); a store without a
package opens the admin console alone until one is loaded. The PIN of any operator allowed the
supervised réassort approves one (``Operators.supervisor_check``). The polls reports the
console prints are saved as signed PDFs in ``--reports-dir`` (default: ``reports/`` beside the
store, as for ``isoloir admin``; packages are unpacked in the configuration's ``staging_dir``,
as there); the console's dashboard shows the printer as ``QPrinterInfo`` sees its CUPS queue (or
"PDF seulement").
When the console loads a new election package, the window closes and ``main`` opens the store
and builds the window again on the new package. "Quitter le poste" ends the program with
``QUIT_EXIT_STATUS`` (64), the one status the kiosk's systemd unit does not restart on.
``--mail-dir`` enables the réassort by token through a file mailbox. An election package that names
a central server makes the kiosk online (docs/voter-flow.md, "Online kiosk"): each cast is sent at
once, the outbox in the background, voters who voted elsewhere are told, lockouts are shared and
réassort tokens go through the server's relay; the TLS certificate is pinned by the SHA-256 the
package signs (docs/server.md, "TLS and pinning"). ``--server URL`` (else the configuration's
``server_url``) and ``--server-pin`` may only repeat the package's: a contradiction, or a server for
an offline election, is refused. Papers are printed on the CUPS queue ``--printer`` (else the
system's default printer); when no printer takes a paper, it is written as a PDF into
``--print-dir`` (docs/receipts.md, "Printing"); with ``--pdf-only`` (the demo), every paper is. A
paper that did not print shows on the voter's page as "adressez-vous à un assesseur". A core call
that raises (a broken invariant, a store failure) ends the voter's session on a page that says the
same: the window does it itself (``KioskWindow._failed``), so that no embedding of the window can
leave a failure unseen; the log says only the kind of error.

``--exit-when-ready`` (hidden, for bench/kiosk.py) prints ``ready SECONDS`` once the welcome page
has been painted, SECONDS counted from the end of this module's core imports (bench/kiosk.py
times the whole process), and quits.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.common import Secret
from kiosk.cli.kiosk import QUIT_EXIT_STATUS
from kiosk.clock import SystemClock
from kiosk.config import ConfigError, KioskConfig, load_config
from kiosk.store import KioskStore, StoreError, StoreKey
from kiosk.voting.assets import PackageAssets
from kiosk.voting.reassort import FileMailbox, Notifier
from kiosk.voting.session import KioskElection, VotingSession

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication, QObject

    from kiosk.admin.console import AdminConsole
    from kiosk.admin.dashboard import PrinterProbe
    from kiosk.sync.client import PublicServer, ServerClient
    from ui.kiosk_window import WindowExit

_STARTED = time.perf_counter()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ui", description="Open the kiosk window on a kiosk store."
    )
    parser.add_argument("--config", type=Path, help="kiosk configuration (TOML)")
    parser.add_argument("--store", type=Path, help="kiosk store (else the configuration's)")
    parser.add_argument(
        "--key-file",
        type=Path,
        help="store key file (else the configuration's; else ISOLOIR_STORE_PASSPHRASE)",
    )
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
    parser.add_argument(
        "--reports-dir",
        type=Path,
        help="where the signed polls reports are saved (default: reports/ beside the store)",
    )
    parser.add_argument("--windowed", action="store_true", help="a window, not full screen")
    parser.add_argument(
        "--first-run",
        action="store_true",
        help="--store does not exist yet: create it (kiosk key, first administrator) in the window",
    )
    parser.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Open the window; open it again, everything rebuilt, each time the console loads a new
    package (``WindowExit.RELOAD``); ``QUIT_EXIT_STATUS`` after "Quitter le poste"."""
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    key_file = args.key_file or config.key_file
    clock = SystemClock()
    key: StoreKey | None
    if args.first_run:
        if args.store is None:
            print("--first-run needs --store PATH (the store to create)", file=sys.stderr)
            return 2
        if args.store.exists():
            print(
                f"{args.store}: exists already; --first-run never overwrites a store",
                file=sys.stderr,
            )
            return 2
        key = _first_run(args.store, key_file, clock)
        if key is None:
            print("first run cancelled: nothing was created", file=sys.stderr)
            return 1
    elif key_file is None:
        # A store made with a passphrase: the window reads it as the command line does.
        passphrase = os.environ.get(Secret.STORE.value, "")
        if not passphrase:
            print(
                f"give --key-file (or key_file in the configuration), or the store's passphrase "
                f"in {Secret.STORE.value}",
                file=sys.stderr,
            )
            return 2
        key = StoreKey.from_passphrase(passphrase)
    else:
        try:
            key = StoreKey.from_key_file(key_file)
        except StoreError as exc:
            print(exc, file=sys.stderr)
            return 1
    while True:
        outcome = _run_window(args, config, key, clock)
        if not isinstance(outcome, int):
            from ui.kiosk_window import WindowExit

            if outcome is WindowExit.RELOAD:
                print("new election package loaded: reopening the kiosk window", file=sys.stderr)
                continue
            return QUIT_EXIT_STATUS
        return outcome


def _first_run(store_path: Path, key_file: Path | None, clock: SystemClock) -> StoreKey | None:
    """The first-run dialog (ui/admin/setup.py); the new store's key, or None when cancelled."""
    from PySide6.QtWidgets import QApplication

    from ui.admin.setup import FirstRunDialog
    from ui.worker import CoreWorker

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    worker = CoreWorker()
    dialog = FirstRunDialog(store_path, key_file, clock, worker)
    dialog.exec()  # closed before or after the store was made: only the key says which
    worker.shutdown()
    key = dialog.store_key
    dialog.deleteLater()
    app.processEvents()  # the dialog goes before the window opens
    return key


def _run_window(
    args: argparse.Namespace, config: KioskConfig, key: StoreKey, clock: SystemClock
) -> int | WindowExit:
    """Open the store, build the window on its package, run it until it closes; why it closed
    (or the exit status of a failure, or of an ``app.exit``)."""
    store_path = args.store or config.store
    try:
        store = KioskStore.open(store_path, key, clock)
    except StoreError as exc:
        print(exc, file=sys.stderr)
        return 1

    from PySide6.QtWidgets import QApplication

    from kiosk.admin.console import default_reports_dir
    from kiosk.admin.operators import Operators
    from ui.admin.login import DeferredAdmin
    from ui.ballot_names import BallotNames
    from ui.kiosk_window import KioskWindow
    from ui.printing import FolderProbe, PaperPrinter, PdfFolderPrinter, QueueProbe, make_printer

    with store:
        operators = Operators(store, clock)
        if not operators.has_administrator():
            print(
                "this kiosk store has no administrator account, so nobody could close the "
                "kiosk window: create one with the store key, `isoloir admin operator recover "
                "NAME` (its PIN from ISOLOIR_NEW_OPERATOR_PIN, else asked twice)",
                file=sys.stderr,
            )
            return 2
        if store.stored_package() is None:
            return _package_console(store, store_path, args, config, clock)
        supervisor = operators.supervisor_check()
        election = KioskElection.from_store(store)
        client: ServerClient | None = None
        make_client: Callable[[], ServerClient | None] | None = None
        server = election.manifest.server
        given_url = args.server or config.server_url
        if server is not None or given_url is not None or args.server_pin:
            from kiosk.sync.client import ServerClient
            from kiosk.sync.endpoint import package_endpoint

            try:
                endpoint = package_endpoint(server, given_url, args.server_pin)
            except ValueError as exc:
                print(f"--server / --server-pin: {exc}", file=sys.stderr)
                return 2

            def make_client() -> ServerClient | None:
                # One per caller: the console closes the clients it is given.
                return ServerClient(
                    endpoint.url,
                    election_id=election.manifest.election_id,
                    kiosk_id=election.kiosk.kiosk_id,
                    key=election.kiosk.signing_key(),
                    clock=clock,
                    package_fingerprint=election.fingerprint,
                    pin=endpoint.pin,
                )

            client = make_client()
        online = None
        if client is not None:
            # Imported here: an offline kiosk starts without the HTTP client.
            from kiosk.sync.links import OnlineLinks

            online = OnlineLinks(store, client, clock, timeout=config.server_timeout)
        notifier: Notifier | None = online.notifier if online else None
        if notifier is None and args.mail_dir:
            notifier = FileMailbox(args.mail_dir)
        session = VotingSession(
            store,
            clock,
            election,
            config=config,
            notifier=notifier,
            assesseur_check=supervisor,
            uploader=online.uploader if online else None,
            voter_status=online.voter_status if online else None,
            shared_lockouts=online.lockouts if online else None,
        )
        existing = QApplication.instance()  # the window of a package loaded before this one
        app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
        names = BallotNames(election.manifest)
        printer: PaperPrinter
        probe: PrinterProbe
        if args.pdf_only:
            printer, probe = PdfFolderPrinter(args.print_dir), FolderProbe(args.print_dir)
        else:
            queue = make_printer(args.printer, args.print_dir)
            printer, probe = queue, QueueProbe(queue)
        # The same places as `isoloir admin ...` (kiosk/cli/admin_console.py): the reports
        # beside the store, packages unpacked in the configuration's staging_dir.
        reports_dir = args.reports_dir or default_reports_dir(store_path)

        def admin_console() -> AdminConsole:
            from kiosk.admin.console import AdminConsole

            return AdminConsole(
                store,
                clock,
                reports_dir=reports_dir,
                client_factory=make_client,
                printer_probe=probe,
                staging_dir=config.staging_dir,
            )

        window = KioskWindow(
            session,
            clock,
            names,
            admin=DeferredAdmin(admin_console),
            printer=printer,
            polls_state=store.polls_state,
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
        reason = window.exit_reason
        window.deleteLater()
        return status if reason is None else reason


def _package_console(
    store: KioskStore,
    store_path: Path,
    args: argparse.Namespace,
    config: KioskConfig,
    clock: SystemClock,
) -> int | WindowExit:
    """A store without a package (just made by ``--first-run``): the admin console alone,
    until the administrator loads one (``RELOAD``) or quits the kiosk."""
    from PySide6.QtWidgets import QApplication

    from kiosk.admin.console import AdminConsole, default_reports_dir
    from ui.admin.login import DeferredAdmin
    from ui.admin.setup import PackageConsole
    from ui.kiosk_window import WindowExit

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    reports_dir = args.reports_dir or default_reports_dir(store_path)
    server_url = args.server or config.server_url

    def public_server() -> PublicServer | None:
        # Before any package names its server, the package may come from --server (as for
        # `isoloir admin setup --from-server`).
        from kiosk.sync.client import PublicServer
        from kiosk.sync.tls import parse_fingerprint

        pin = parse_fingerprint(args.server_pin) if args.server_pin else None
        return PublicServer(server_url, pin=pin) if server_url else None

    admin = DeferredAdmin(
        lambda: AdminConsole(
            store,
            clock,
            reports_dir=reports_dir,
            public_server=public_server,
            staging_dir=config.staging_dir,
        )
    )
    console = PackageConsole(admin, clock)
    reason: list[WindowExit] = []

    def closes(why: WindowExit) -> None:
        reason.append(why)
        app.exit(0)

    console.restartRequested.connect(lambda: closes(WindowExit.RELOAD))
    console.quitRequested.connect(lambda: closes(WindowExit.QUIT))
    if args.windowed:
        console.show()
    else:
        console.showFullScreen()
    status = app.exec()
    console.shutdown()
    console.deleteLater()
    return reason[0] if reason else status


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
