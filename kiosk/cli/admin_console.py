"""``isoloir admin setup|operator|polls|report|dashboard|journal|diagnostics|printer-test|
reassort|load-package``: the admin console's actions on the command line (kiosk/admin/).

An operator signs in with ``--operator NAME`` and a PIN from ``ISOLOIR_OPERATOR_PIN`` (else
asked on the terminal, never echoed); each action then checks the operator's role exactly as
the Qt console does, through the same ``AdminSession``. A new PIN (``setup``, ``operator add``,
``operator pin``, ``operator recover``) comes from ``ISOLOIR_NEW_OPERATOR_PIN``, else is asked
twice. Every action but ``setup``, ``status`` and ``operator recover`` (whose credential is the
store key) signs in, ``load-package``, ``export``, ``unlock``, ``enroll`` and ``sync`` included.

Like the rest of ``admin``, ``kiosk.store`` and ``kiosk.admin`` (SQLCipher, reportlab) are
imported inside the commands only.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from kiosk.cli.common import CliError, existing_path
from kiosk.clock import SystemClock
from kiosk.log import LogEvent, log_event

if TYPE_CHECKING:
    from kiosk.admin.console import AdminConsole, AdminSession, ClientFactory, PublicServerFactory
    from kiosk.admin.packages import PackagePreview
    from kiosk.admin.reports import SavedReport
    from kiosk.admin.roles import Action
    from kiosk.store import KioskStore

OPERATOR_PIN_VARIABLE: Final = "ISOLOIR_OPERATOR_PIN"
NEW_PIN_VARIABLE: Final = "ISOLOIR_NEW_OPERATOR_PIN"
_QUEUE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}")
_LP_TIMEOUT_S: Final = 30

logger = logging.getLogger("kiosk.cli.admin")

StoreOptions = Callable[[argparse.ArgumentParser], None]


def register_console(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], store_options: StoreOptions
) -> None:
    from kiosk.cli.sync import server_options

    def signed_in(command: argparse.ArgumentParser) -> None:
        store_options(command)
        operator_option(command)
        command.add_argument(
            "--reports-dir",
            type=Path,
            help="where polls reports are saved (default: reports/ beside the store)",
        )

    setup = commands.add_parser(
        "setup",
        help="first run: store, kiosk key, first administrator (and package, enrollment)",
        description="Creates the encrypted store (a new key file with --new-key-file, an "
        "existing one with --key-file, else a passphrase), installs the kiosk key (a new one, or "
        "--kiosk-key), creates the first administrator account (its PIN from "
        f"{NEW_PIN_VARIABLE}, else asked twice), and optionally loads a package (--package, or "
        "--from-server with --server) and enrolls with the server (--enroll; the token from "
        "ISOLOIR_ENROLLMENT_TOKEN, else asked). A package is verified before anything is created.",
    )
    store_options(setup)
    server_options(setup)
    setup.add_argument("--new-key-file", type=Path, help="create a random key file and use it")
    setup.add_argument("--kiosk-id", required=True, help="this kiosk's id, as in the package")
    setup.add_argument("--kiosk-key", type=existing_path, help="import this Ed25519 key (PEM)")
    setup.add_argument("--admin", required=True, metavar="NAME", help="the first administrator")
    setup_source = setup.add_mutually_exclusive_group()
    setup_source.add_argument("--package", type=Path, help="a package folder or .zip to load")
    setup_source.add_argument(
        "--from-server", action="store_true", help="download the package from --server"
    )
    setup.add_argument("--expect-fingerprint", metavar="FP", help="the official fingerprint")
    setup.add_argument("--enroll", action="store_true", help="enroll with the package's server")
    setup.add_argument("--reports-dir", type=Path, help=argparse.SUPPRESS)
    setup.set_defaults(run=_setup)

    load = commands.add_parser(
        "load-package",
        help="verify a package (file, folder, removable media, or the server) and load it",
        description="Verifies the package (signature, every hash, the roll) and shows its "
        "fingerprint. On a terminal, asks to confirm unless --expect-fingerprint matches it; off "
        "a terminal, --expect-fingerprint is required; a fingerprint that differs from it loads "
        "nothing. PACKAGE may be a removable-media folder: its first package (a folder holding "
        "manifest.json, or a .zip, by name) is taken. The operator's role must allow it (an "
        "administrator) and the journal names them.",
    )
    store_options(load)
    server_options(load)
    load_source = load.add_mutually_exclusive_group(required=True)
    load_source.add_argument("package", nargs="?", type=Path, help="a package, or a media folder")
    load_source.add_argument(
        "--from-server",
        action="store_true",
        help="download it from the server (the loaded package's, else --server)",
    )
    load.add_argument("--expect-fingerprint", metavar="FP", help="the official fingerprint")
    operator_option(load)
    load.add_argument("--reports-dir", type=Path, help=argparse.SUPPRESS)
    load.set_defaults(run=_load_package)

    operator = commands.add_parser("operator", help="the admin console's accounts")
    actions = operator.add_subparsers(dest="operator_action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help=f"a new account (its PIN from {NEW_PIN_VARIABLE})")
    signed_in(add)
    add.add_argument("name", help="1 to 32 of a-z, 0-9, '.', '_', '-'")
    add.add_argument("--role", required=True, choices=["administrator", "assesseur"])
    add.set_defaults(run=_operator_add)
    listing = actions.add_parser("list", help="the accounts, with failed PINs and locks")
    signed_in(listing)
    listing.set_defaults(run=_operator_list)
    remove = actions.add_parser("remove", help="remove an account (never the last administrator)")
    signed_in(remove)
    remove.add_argument("name")
    remove.set_defaults(run=_operator_remove)
    unlock = actions.add_parser("unlock", help="clear an operator's failed PINs and lock")
    signed_in(unlock)
    unlock.add_argument("name")
    unlock.set_defaults(run=_operator_unlock)
    recover = actions.add_parser(
        "recover",
        help="with the store key alone: create an administrator, or unlock one with a new PIN",
        description="For a kiosk whose administrators are locked out or missing (a store made "
        "before operators existed, a forgotten PIN). No operator signs in: the store key (key "
        "file or passphrase) is the credential, since whoever holds it can read and change "
        "everything in the store anyway. Creates the account NAME if absent, else clears its "
        "failed PINs and lock and sets a new PIN (from "
        f"{NEW_PIN_VARIABLE}, else asked twice). Journaled (operator-recovered), never the PIN.",
    )
    store_options(recover)
    recover.add_argument("name", help="1 to 32 of a-z, 0-9, '.', '_', '-'")
    recover.add_argument(
        "--role",
        choices=["administrator", "assesseur"],
        default="administrator",
        help="the account's role (default: administrator); an existing account keeps its own",
    )
    recover.set_defaults(run=_operator_recover)
    pin = actions.add_parser("pin", help=f"change a PIN (the new one from {NEW_PIN_VARIABLE})")
    signed_in(pin)
    pin.add_argument("name", help="one's own account, or (an administrator) anyone's")
    pin.set_defaults(run=_operator_pin)

    polls = commands.add_parser(
        "polls",
        help="open, pause, resume, close or (an administrator) reopen the polls",
        description="open: not opened -> open, with the opening report; pause / resume: no "
        "voting while paused; close: with the closing report; reopen: closed -> open, an "
        "administrator only, with an opening report marked as a reopening. Reports are signed "
        "PDFs saved in the reports folder; their path is printed, and --print sends them to a "
        "CUPS queue (lp -d QUEUE).",
    )
    signed_in(polls)
    polls.add_argument("action", choices=["open", "pause", "resume", "close", "reopen"])
    polls.add_argument("--print", dest="queue", metavar="QUEUE", help="print the report there")
    polls.set_defaults(run=_polls)

    report = commands.add_parser(
        "report", help="the last opening or closing report, again (made now if it was lost)"
    )
    signed_in(report)
    report.add_argument("kind", choices=["opening", "closing"])
    report.add_argument("--print", dest="queue", metavar="QUEUE", help="print it there")
    report.set_defaults(run=_report)

    dashboard = commands.add_parser("dashboard", help="ballots cast, queued, synced; disk; ...")
    signed_in(dashboard)
    server_options(dashboard)
    dashboard.set_defaults(run=_dashboard)

    journal = commands.add_parser("journal", help="the audit journal (or --export it)")
    signed_in(journal)
    journal.add_argument(
        "--export", type=Path, metavar="OUT", help="write it as JSON lines with its chain check"
    )
    journal.set_defaults(run=_journal)

    diagnostics = commands.add_parser(
        "diagnostics",
        help="store, journal, disk, printer, server, clock: PASS/WARN/FAIL (exit 1 on a FAIL)",
    )
    signed_in(diagnostics)
    server_options(diagnostics)
    diagnostics.set_defaults(run=_diagnostics)

    printer_test = commands.add_parser("printer-test", help="the printer test page")
    signed_in(printer_test)
    where = printer_test.add_mutually_exclusive_group(required=True)
    where.add_argument("--print", dest="queue", metavar="QUEUE", help="print it there (lp)")
    where.add_argument("--out", type=Path, help="write the PDF to this new file")
    printer_test.set_defaults(run=_printer_test)

    reassort = commands.add_parser(
        "reassort",
        help="supervised réassort: the voter types answer and NUMEN, the new code is shown once",
        description="The offline kiosk's code reset, supervised by the signed-in operator: the "
        "voter types the secret answer and the NUMEN (never echoed), and on success the NEW VOTE "
        "CODE IS PRINTED ONCE ON THIS TERMINAL — that is the point of the command: let only the "
        "voter read it, then clear the screen. The old code is void at once. Wrong answers count "
        "against the voter's réassort lockout.",
    )
    signed_in(reassort)
    reassort.add_argument("identifier", help="the voter's identifier (e-mail address)")
    reassort.set_defaults(run=_reassort)


# ---- plumbing ------------------------------------------------------------------------------------


def operator_option(command: argparse.ArgumentParser) -> None:
    """``--operator NAME``: every admin action but setup, status and recover signs in."""
    command.add_argument(
        "--operator",
        required=True,
        metavar="NAME",
        help=f"who acts (PIN from {OPERATOR_PIN_VARIABLE}, else asked)",
    )


def signed_in_session(args: argparse.Namespace, store: KioskStore, action: Action) -> AdminSession:
    """Sign in as ``--operator`` on ``store`` and check that the role allows ``action``, as the
    Qt console does (for commands that do the work themselves rather than through the session).
    """
    from kiosk.admin.console import AdminConsole, NotAllowed, default_reports_dir

    console = AdminConsole(store, SystemClock(), reports_dir=default_reports_dir(store.path))
    session = _sign_in(args, console)
    if not session.can(action):
        raise CliError(f"not allowed: {NotAllowed(action, session.operator.role)}")
    return session


def read_pin(variable: str, prompt: str, *, confirm: bool = False) -> str:
    """A PIN from ``variable``, else asked on the terminal (never echoed)."""
    from_env = os.environ.get(variable)
    if from_env is not None:
        if not from_env:
            raise CliError(f"{variable} is set but empty", exit_code=2)
        return from_env
    if not sys.stdin.isatty():
        raise CliError(f"no PIN: set {variable} or run on a terminal", exit_code=2)
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != first:
        raise CliError("the two PINs differ", exit_code=2)
    return first


def _ask_secret(prompt: str) -> str:
    """A voter's secret, typed by the voter on this terminal (never echoed, never stored)."""
    if not sys.stdin.isatty():
        raise CliError("the voter must type it on a terminal", exit_code=2)
    return getpass.getpass(prompt)


def _console(args: argparse.Namespace, store: KioskStore) -> AdminConsole:
    from kiosk.admin.console import AdminConsole, default_reports_dir
    from kiosk.cli.admin import _config

    config = _config(args)
    reports_dir: Path = getattr(args, "reports_dir", None) or default_reports_dir(store.path)
    return AdminConsole(
        store,
        SystemClock(),
        reports_dir=reports_dir,
        client_factory=_client_factory(args, store),
        public_server=_public_server(args),
        staging_dir=config.staging_dir,
    )


def _client_factory(args: argparse.Namespace, store: KioskStore) -> ClientFactory | None:
    """The package's server, when the kiosk has a key and a package naming one."""
    from kiosk.election.codec import parse_manifest
    from kiosk.encoding import strict_json_loads
    from kiosk.sync.client import ServerClient
    from kiosk.sync.endpoint import EndpointError, package_endpoint

    identity, stored = store.kiosk_identity(), store.stored_package()
    if identity is None or stored is None:
        return None
    manifest = parse_manifest(strict_json_loads(stored.manifest, "stored manifest"))
    if manifest.server is None:
        return None  # an offline election
    try:
        endpoint = package_endpoint(
            manifest.server, getattr(args, "server", None), getattr(args, "server_pin", None)
        )
    except EndpointError as exc:
        raise CliError(f"--server / --server-pin: {exc}", exit_code=2) from None

    def make() -> ServerClient:
        return ServerClient(
            endpoint.url,
            election_id=stored.election_id,
            kiosk_id=identity.kiosk_id,
            key=identity.signing_key(),
            clock=SystemClock(),
            package_fingerprint=stored.fingerprint,
            pin=endpoint.pin,
        )

    return make


def _public_server(args: argparse.Namespace) -> PublicServerFactory | None:
    """``--server`` (and ``--server-pin``) before any package names one: first-run download."""
    from kiosk.sync.client import PublicServer
    from kiosk.sync.tls import parse_fingerprint

    url: str | None = getattr(args, "server", None)
    if url is None:
        return None
    pin_text: str | None = getattr(args, "server_pin", None)
    try:
        pin = parse_fingerprint(pin_text) if pin_text else None
        PublicServer(url, pin=pin).close()  # a bad URL or pin is reported now
    except ValueError as exc:
        raise CliError(f"--server / --server-pin: {exc}", exit_code=2) from None
    return lambda: PublicServer(url, pin=pin)


def _sign_in(args: argparse.Namespace, console: AdminConsole) -> AdminSession:
    from kiosk.admin.console import AdminSession
    from kiosk.admin.operators import RefusalReason

    pin = read_pin(OPERATOR_PIN_VARIABLE, f"PIN of operator {args.operator}: ")
    outcome = console.login(args.operator, pin)
    if isinstance(outcome, AdminSession):
        return outcome
    if outcome.reason is RefusalReason.LOCKED and outcome.retry_at is None:
        raise CliError(
            "sign-in refused: this account is locked; an administrator must unlock it "
            "(isoloir admin operator unlock NAME), or, for an administrator, whoever holds the "
            "store key (isoloir admin operator recover NAME)"
        )
    if outcome.retry_at is not None:
        raise CliError(
            "sign-in refused: unknown operator or wrong PIN; too many failures, try again "
            f"after {outcome.retry_at.isoformat()}"
        )
    raise CliError("sign-in refused: unknown operator or wrong PIN")


def _run(args: argparse.Namespace, action: Callable[[AdminSession], int]) -> int:
    """Open the store, sign in, run ``action``; ``AdminError`` and ``NotAllowed`` as CLI errors."""
    from kiosk.admin.console import AdminError, NotAllowed
    from kiosk.cli.admin import _open

    store, _ = _open(args)
    with store:
        session = _sign_in(args, _console(args, store))
        try:
            return action(session)
        except NotAllowed as exc:
            raise CliError(f"not allowed: {exc}") from None
        except AdminError as exc:
            raise CliError(str(exc)) from None


def send_to_printer(path: Path, queue: str) -> None:
    """``lp -d QUEUE FILE``; ``CliError`` with CUPS's reason when it refuses."""
    if not _QUEUE.fullmatch(queue):
        raise CliError(f"--print: {queue[:40]!r} is not a printer queue name", exit_code=2)
    lp = shutil.which("lp")
    if lp is None:
        raise CliError("cannot print: no lp command (install cups-client); the file is kept")
    try:
        result = subprocess.run(
            [lp, "-d", queue, "--", str(path)],
            capture_output=True,
            text=True,
            timeout=_LP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CliError(f"cannot print: lp did not answer in {_LP_TIMEOUT_S} s") from None
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()
        raise CliError(
            f"queue {queue} refused the job: {reason[0][:200] if reason else 'no reason given'}; "
            f"the file is kept: {path}"
        )


def _print_report(session: AdminSession, saved: SavedReport, queue: str | None) -> None:
    from kiosk.admin.reports import report_title

    report = saved.report
    print(f"{report_title(report)}: {saved.path}")
    print(
        f"Election {report.election_id}, package {report.package_fingerprint}, kiosk "
        f"{report.kiosk_id}; {report.ballots_total} ballot(s); audit head {report.audit_head[:16]}…"
    )
    if queue is not None:
        send_to_printer(saved.path, queue)
        session.report_printed(saved)
        print(f"Sent to printer queue {queue}.")


def _confirm(preview: PackagePreview, expected: str | None) -> None:
    """The operator's check of the fingerprint: ``expected``, else a question on a terminal."""
    from kiosk.admin.packages import render_preview

    print(render_preview(preview))
    if expected is not None:
        wanted = expected.strip().upper()
        if wanted != preview.fingerprint:
            raise CliError(
                f"the package's fingerprint {preview.fingerprint} is not the expected {wanted}; "
                "nothing was loaded"
            )
        print("The fingerprint matches the expected one.")
        return
    if not sys.stdin.isatty():
        # Nobody can compare the fingerprint: a script must say which one it expects.
        raise CliError(
            "not on a terminal, so nobody can confirm the fingerprint: give "
            "--expect-fingerprint FP (the official one); nothing was loaded",
            exit_code=2,
        )
    answer = input("Load this package? Type yes to confirm: ")
    if answer.strip().lower() not in ("yes", "oui"):
        raise CliError("not confirmed; nothing was loaded")


# ---- setup -------------------------------------------------------------------------------------


def _setup(args: argparse.Namespace) -> int:
    from kiosk.admin.console import AdminConsole, AdminError, default_reports_dir
    from kiosk.admin.operators import check_name, check_pin
    from kiosk.admin.packages import preview_download, preview_path
    from kiosk.admin.setup import FirstRunError, first_run
    from kiosk.cli.admin import _config, _key, _store_path
    from kiosk.cli.sync import TOKEN_VARIABLE
    from kiosk.election import signing
    from kiosk.election.package import PackageError
    from kiosk.encoding import b64encode
    from kiosk.store import KioskStore, StoreError, kiosk_key_seed, parse_kiosk_id

    config = _config(args)
    if args.new_key_file and args.key_file:
        raise CliError("give --key-file or --new-key-file, not both", exit_code=2)
    if args.enroll and not (args.package or args.from_server):
        raise CliError("--enroll needs a package (--package or --from-server)", exit_code=2)
    try:
        kiosk_id = parse_kiosk_id(args.kiosk_id)
        admin = check_name(args.admin.strip())
    except ValueError as exc:
        raise CliError(str(exc), exit_code=2) from None
    path = _store_path(args, config)
    if path.exists():
        raise CliError(f"{path}: exists already; a store is never overwritten")
    public = _public_server(args)
    if args.from_server and public is None:
        raise CliError("--from-server needs --server URL", exit_code=2)
    # Everything that can be refused is checked before anything is created.
    preview = None
    # The server gives its package only to a kiosk of the election: this one shows its token
    # (not spent by the download; --enroll spends it).
    token = _enrollment_token(TOKEN_VARIABLE) if args.from_server else None
    try:
        if args.package is not None:
            preview = preview_path(args.package, staging_dir=config.staging_dir)
        elif token is not None and public is not None:
            server = public()
            assert server is not None  # the factory above always makes one
            with server:
                preview = preview_download(
                    server.download_package(token),
                    server.base_url,
                    staging_dir=config.staging_dir,
                )
    except PackageError as exc:
        raise CliError(f"package refused: {exc}; nothing was created") from None
    if preview is not None:
        _confirm(preview, args.expect_fingerprint)
        listed = {k.id for k in preview.package.manifest.kiosks}
        if listed and kiosk_id not in listed:
            raise CliError(
                f"the election package lists {len(listed)} kiosk(s) but not {kiosk_id!r}; "
                "nothing was created (check --kiosk-id)"
            )
    pin = read_pin(NEW_PIN_VARIABLE, f"New PIN for administrator {admin}: ", confirm=True)
    try:
        check_pin(pin)
    except ValueError as exc:
        raise CliError(str(exc), exit_code=2) from None
    try:
        kiosk_key = (
            signing.load_private_key(args.kiosk_key) if args.kiosk_key else signing.generate()
        )
    except signing.KeyFileError as exc:
        raise CliError(str(exc)) from None
    seed = kiosk_key_seed(kiosk_key)
    store_key = _key(args, config, new=True)
    try:
        made = first_run(path, store_key, kiosk_id, admin, pin, SystemClock(), kiosk_key_seed=seed)
    except FirstRunError as exc:
        if args.new_key_file:
            args.new_key_file.unlink(missing_ok=True)  # it opens no store
        raise CliError(str(exc)) from None
    print(f"Kiosk store created: {path}")
    print(f"Kiosk {made.identity.kiosk_id} public key: {b64encode(made.public_key)}")
    print(f"Administrator account: {admin}")
    if preview is None:
        return 0
    try:
        store = KioskStore.open(path, store_key, SystemClock())
    except StoreError as exc:
        raise CliError(
            f"{exc}; the store was created (isoloir admin load-package to go on)"
        ) from None
    with store:
        try:
            console = AdminConsole(
                store,
                SystemClock(),
                reports_dir=args.reports_dir or default_reports_dir(path),
                public_server=public,
                staging_dir=config.staging_dir,
            )
            _new_session(console, admin, pin).load_package(preview)
            print(f"Package loaded: {preview.fingerprint}")
            if args.enroll:
                # Now that the package names its server, a signed client can be made.
                online = AdminConsole(
                    store,
                    SystemClock(),
                    reports_dir=console.reports_dir,
                    client_factory=_client_factory(args, store),
                )
                _new_session(online, admin, pin).enroll(token or _enrollment_token(TOKEN_VARIABLE))
                print("Kiosk enrolled with the server.")
        except (AdminError, StoreError, ValueError) as exc:
            raise CliError(
                f"{exc}; the store was created (isoloir admin load-package / enroll to go on)"
            ) from None
    return 0


def _new_session(console: AdminConsole, name: str, pin: str) -> AdminSession:
    """The account just created signs in (a refusal here is a bug, not an operator's error)."""
    from kiosk.admin.console import AdminSession

    session = console.login(name, pin)
    if not isinstance(session, AdminSession):
        raise RuntimeError("the new administrator could not sign in")
    return session


def _enrollment_token(variable: str) -> str:
    token = os.environ.get(variable)
    if token is None:
        if not sys.stdin.isatty():
            raise CliError(f"no token: set {variable} or run on a terminal", exit_code=2)
        token = getpass.getpass("Enrollment token: ")
    return token


# ---- the package -------------------------------------------------------------------------------


def _load_package(args: argparse.Namespace) -> int:
    from kiosk.admin.console import AdminError, NotAllowed
    from kiosk.cli.admin import _open
    from kiosk.cli.sync import TOKEN_VARIABLE
    from kiosk.election.package import PackageError
    from kiosk.store import StoreError

    store, _ = _open(args)
    log_event(logger, LogEvent.PACKAGE_LOAD, disposition="start")
    with store:
        console = _console(args, store)
        try:
            session = _sign_in(args, console)  # --operator is required: an administrator loads
            if args.from_server:
                # A kiosk without a package (or not enrolled yet) shows its enrollment token.
                if store.stored_package() is None:
                    token: str | None = _enrollment_token(TOKEN_VARIABLE)
                else:
                    token = os.environ.get(TOKEN_VARIABLE)
                preview = session.preview_package("server", enrollment_token=token)
            else:
                preview = session.preview_package(args.package)
        except (PackageError, AdminError) as exc:
            # The reason may quote package content (names, addresses): to the operator only.
            log_event(logger, LogEvent.PACKAGE_LOAD, logging.WARNING, disposition="refused")
            message = str(exc)
            raise CliError(
                message if message.startswith("package refused") else f"package refused: {message}"
            ) from None
        except NotAllowed as exc:
            raise CliError(f"not allowed: {exc}") from None
        _confirm(preview, args.expect_fingerprint)
        try:
            fresh = session.load_package(preview)
        except (AdminError, StoreError) as exc:
            log_event(logger, LogEvent.PACKAGE_LOAD, logging.WARNING, disposition="store_refused")
            raise CliError(str(exc)) from None
    log_event(
        logger,
        LogEvent.PACKAGE_LOAD,
        disposition="loaded" if fresh else "already_loaded",
        election_id=preview.election_id,
        fingerprint=preview.fingerprint,
        voters=preview.voters,
    )
    print("Package loaded." if fresh else "This package was loaded already; nothing changed.")
    return 0


# ---- operators ---------------------------------------------------------------------------------


def _operator_add(args: argparse.Namespace) -> int:
    from kiosk.admin.roles import Action, Role

    def act(session: AdminSession) -> int:
        session.require(Action.MANAGE_OPERATORS)
        pin = read_pin(NEW_PIN_VARIABLE, f"New PIN for {args.name}: ", confirm=True)
        added = session.add_operator(args.name, Role(args.role), pin)
        print(f"Operator {added.name} added ({added.role.value}).")
        return 0

    return _run(args, act)


def _operator_recover(args: argparse.Namespace) -> int:
    from kiosk.admin.operators import Operators, check_name
    from kiosk.admin.roles import Role
    from kiosk.cli.admin import _open

    try:
        name = check_name(args.name.strip())
    except ValueError as exc:
        raise CliError(str(exc), exit_code=2) from None
    store, _ = _open(args)  # the store key is the credential: no operator signs in
    with store:
        pin = read_pin(NEW_PIN_VARIABLE, f"New PIN for {name}: ", confirm=True)
        try:
            created = Operators(store, SystemClock()).recover(name, Role(args.role), pin)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    if created:
        print(f"Account created: {name} ({args.role}); the journal records it.")
    else:
        print(f"Account {name} recovered: new PIN, failed PINs and lock cleared; journaled.")
    return 0


def _operator_list(args: argparse.Namespace) -> int:
    def act(session: AdminSession) -> int:
        for account in session.operators():
            if account.locked:
                state = "LOCKED (isoloir admin operator unlock)"
            elif account.retry_at is not None:
                state = f"delayed until {account.retry_at.isoformat()}"
            else:
                state = "ok"
            role = account.role.value
            print(f"{account.name:<32} {role:<13} failures {account.failures}  {state}")
        return 0

    return _run(args, act)


def _operator_remove(args: argparse.Namespace) -> int:
    def act(session: AdminSession) -> int:
        session.remove_operator(args.name)
        print(f"Operator {args.name.strip()} removed.")
        return 0

    return _run(args, act)


def _operator_unlock(args: argparse.Namespace) -> int:
    def act(session: AdminSession) -> int:
        session.unlock_operator(args.name)
        print(f"Operator {args.name.strip()} unlocked; the journal records it.")
        return 0

    return _run(args, act)


def _operator_pin(args: argparse.Namespace) -> int:
    from kiosk.admin.roles import Action

    def act(session: AdminSession) -> int:
        if args.name.strip() != session.operator.name:
            session.require(Action.MANAGE_OPERATORS)
        pin = read_pin(NEW_PIN_VARIABLE, f"New PIN for {args.name}: ", confirm=True)
        session.change_pin(args.name, pin)
        print(f"The PIN of {args.name.strip()} was changed.")
        return 0

    return _run(args, act)


# ---- polls and reports -------------------------------------------------------------------------


def _polls(args: argparse.Namespace) -> int:
    def act(session: AdminSession) -> int:
        if args.queue is not None and not _QUEUE.fullmatch(args.queue):
            raise CliError(f"--print: {args.queue[:40]!r} is not a printer queue name", 2)
        saved = None
        match args.action:
            case "open":
                saved = session.open_polls()
            case "pause":
                session.pause_polls()
            case "resume":
                session.resume_polls()
            case "close":
                saved = session.close_polls()
            case "reopen":
                saved = session.reopen_polls()
        print(f"Polls: {session.polls_state().value}")
        if saved is not None:
            _print_report(session, saved, args.queue)
        return 0

    return _run(args, act)


def _report(args: argparse.Namespace) -> int:
    from kiosk.admin.reports import ReportKind

    def act(session: AdminSession) -> int:
        # The last one saved; made now if the polls moved without one (a failed save).
        saved = session.report(ReportKind(args.kind))
        _print_report(session, saved, args.queue)
        return 0

    return _run(args, act)


# ---- looking -----------------------------------------------------------------------------------


def _dashboard(args: argparse.Namespace) -> int:
    from kiosk.admin.dashboard import render_dashboard

    def act(session: AdminSession) -> int:
        print(render_dashboard(session.dashboard()))
        return 0

    return _run(args, act)


def _journal(args: argparse.Namespace) -> int:
    from kiosk.admin.journal import render_line

    def act(session: AdminSession) -> int:
        if args.export is not None:
            out = session.export_journal(args.export)
            print(f"Journal exported: {out}")
            return 0
        for line in session.journal():
            print(render_line(line))
        return 0

    return _run(args, act)


def _diagnostics(args: argparse.Namespace) -> int:
    from kiosk.admin.diagnostics import render_diagnostics

    def act(session: AdminSession) -> int:
        report = session.diagnostics()
        print(render_diagnostics(report))
        return 0 if report.ok else 1

    return _run(args, act)


def _printer_test(args: argparse.Namespace) -> int:
    from kiosk.durable import write_new_file

    def act(session: AdminSession) -> int:
        data = session.printer_test_page()
        if args.out is not None:
            try:
                write_new_file(args.out, data)
            except FileExistsError:
                raise CliError(f"{args.out}: exists already; never overwritten") from None
            except OSError as exc:
                raise CliError(f"{args.out}: cannot write it ({exc.strerror})") from None
            print(f"Printer test page: {args.out}")
            return 0
        spool = session.console.reports_dir
        spool.mkdir(mode=0o700, parents=True, exist_ok=True)
        page = spool / "printer-test.pdf"
        page.unlink(missing_ok=True)
        write_new_file(page, data, 0o600)
        send_to_printer(page, args.queue)
        print(f"Printer test page sent to queue {args.queue}.")
        return 0

    return _run(args, act)


# ---- voters ------------------------------------------------------------------------------------


def _reassort(args: argparse.Namespace) -> int:
    from kiosk.admin.roles import Action
    from kiosk.voting.model import Refusal

    def act(session: AdminSession) -> int:
        session.require(Action.SUPERVISED_REASSORT)
        print(f"Réassort for {args.identifier.strip()}: the voter types now (nothing is shown).")
        answer = _ask_secret("Secret answer: ")
        numen = _ask_secret("NUMEN: ")
        outcome = session.supervised_reassort(args.identifier, answer, numen)
        if isinstance(outcome, Refusal):
            retry = f" (try again after {outcome.retry_at.isoformat()})" if outcome.retry_at else ""
            raise CliError(f"réassort refused: {outcome.notice.value}{retry}")
        # The one place this code is ever shown: the voter reads it here, now.
        print(f"New vote code, shown once: {outcome.code}")
        print("The old code no longer works. Clear the screen once the voter has it.")
        return 0

    return _run(args, act)
