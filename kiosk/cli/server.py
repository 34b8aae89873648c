"""``isoloir server ...``: run the central server and enroll kiosks (docs/server.md).

The ``server`` package (and FastAPI, uvicorn and psycopg behind it) is imported inside the
commands only: every ``isoloir`` command registers this group, and importing ``kiosk`` never
loads the server (tests/unit/test_server_boundary.py checks it).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.common import CliError, existing_path
from kiosk.clock import SystemClock
from kiosk.election.model import ID_PATTERN

if TYPE_CHECKING:
    from server.app import ServerState

DATABASE_ENV = "ISOLOIR_SERVER_DB"


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = groups.add_parser("server", help="run the central server and enroll kiosks")
    commands = group.add_subparsers(dest="command", required=True, metavar="ACTION")

    def database_option(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--db",
            default=os.environ.get(DATABASE_ENV),
            help="sqlite:///path/to/server.db or postgresql://user@host/dbname "
            f"(default: ${DATABASE_ENV}, which keeps a password out of the process list)",
        )

    serve = commands.add_parser("run", help="serve the API with uvicorn until interrupted")
    database_option(serve)
    serve.add_argument(
        "--package", type=existing_path, required=True, help="the signed package, folder or .zip"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8443, help="port (8443)")
    serve.add_argument("--tls-cert", type=existing_path, help="TLS certificate chain (PEM)")
    serve.add_argument("--tls-key", type=existing_path, help="TLS private key (PEM)")
    serve.add_argument(
        "--workers", type=int, default=1, help="server processes (1; several need PostgreSQL)"
    )
    serve.add_argument(
        "--max-clock-skew",
        type=int,
        default=300,
        metavar="SECONDS",
        help="how far a signed request's timestamp may be from the server clock (300)",
    )
    serve.add_argument("--server-key", type=Path, help=_SERVER_KEY_HELP)
    serve.add_argument(
        "--new-server-key",
        action="store_true",
        help="create the --server-key file when it is missing (first start only: a database "
        "that recorded another key refuses the new one)",
    )
    serve.add_argument(
        "--db-lock-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="PostgreSQL lock_timeout: a request waiting longer for a lock gets a 503 (5)",
    )
    serve.add_argument(
        "--db-statement-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="PostgreSQL statement_timeout: a longer statement is cancelled, a 503 (30)",
    )
    serve.set_defaults(run=_run)

    token = commands.add_parser("enroll-token", help="issue a one-time enrollment token")
    database_option(token)
    token.add_argument("--kiosk-id", required=True, help="the kiosk's id, as in the package")
    token.add_argument("--ttl", default="24h", help="how long it stays valid: 30m, 24h, 7d (24h)")
    token.set_defaults(run=_enroll_token)

    migrate = commands.add_parser("migrate", help="create or upgrade the server database")
    database_option(migrate)
    migrate.set_defaults(run=_migrate)

    fingerprint = commands.add_parser(
        "fingerprint", help="the SHA-256 fingerprint of a TLS certificate, for the kiosks to pin"
    )
    fingerprint.add_argument("--tls-cert", type=existing_path, required=True)
    fingerprint.set_defaults(run=_fingerprint)

    export = commands.add_parser(
        "export-record", help="write the board, its head and the package as an election record"
    )
    database_option(export)
    export.add_argument("--package", type=existing_path, required=True, help="the sealed package")
    export.add_argument("--out", type=Path, required=True, help="the record folder to create")
    export.add_argument(
        "--server-key",
        type=Path,
        help="the key file the server signs with, when it uses one (default: the database's "
        "key); never created here",
    )
    export.set_defaults(run=_export_record)

    conflicts = commands.add_parser(
        "conflicts", help="envelopes refused because their voter had voted already"
    )
    database_option(conflicts)
    conflicts.add_argument("--json", action="store_true", help="one JSON object per line")
    conflicts.set_defaults(run=_conflicts)

    bundle = commands.add_parser(
        "import-bundle",
        help="put an offline kiosk's bundle (isoloir admin export) in the ballot box",
        description="Checks the bundle whole (format, election, package, kiosk signature, hash "
        "root; nothing is stored from a bundle that fails), then each envelope as an upload is "
        "checked. Idempotent: importing a bundle again accepts nothing new.",
    )
    bundle.add_argument("file", type=Path, help="the bundle file")
    database_option(bundle)
    bundle.add_argument(
        "--package", type=existing_path, required=True, help="the signed package, folder or .zip"
    )
    bundle.set_defaults(run=_import_bundle)


_SERVER_KEY_HELP = (
    "the board-head signing key (PEM); created only with --new-server-key "
    "(default: a key kept in the database)"
)


def _database_url(args: argparse.Namespace) -> str:
    url: str | None = args.db
    if not url:
        raise CliError(f"give --db URL or set {DATABASE_ENV}", exit_code=2)
    return url


def _run(args: argparse.Namespace) -> int:
    from kiosk.election.package import PackageError
    from server.log import configure
    from server.messaging.settings import DeliverySettings
    from server.runner import RunError, RunOptions, run
    from server.settings import ServerSettings, SettingsError
    from server.storage import DatabaseError

    configure(args.log_level)
    options = RunOptions(
        host=args.host,
        port=args.port,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        workers=args.workers,
        log_level=args.log_level,
    )

    def announce(state: ServerState, tls_fingerprint: str | None) -> None:
        scheme = "https" if tls_fingerprint else "http"
        manifest = state.package.manifest
        print(f"Election:    {manifest.election_id} — {manifest.title}")
        print(f"Fingerprint: {state.package.fingerprint} (compare it with the official one)")
        print(f"Database:    {state.database.url} (schema v{state.schema_version})")
        if tls_fingerprint:
            print(f"TLS certificate SHA-256 (kiosks pin it): {tls_fingerprint}")
        signed = manifest.server
        pin = None if signed is None else signed.tls_certificate_sha256
        if pin is not None and tls_fingerprint and pin.hex(":").upper() != tls_fingerprint:
            # Not fatal: behind a TLS-terminating proxy, the proxy's certificate is the pinned one.
            print(
                f"Warning: the election package pins another certificate "
                f"({pin.hex(':').upper()}): its kiosks will refuse this one",
                file=sys.stderr,
            )
        print(f"Serving on {scheme}://{args.host}:{args.port} — Ctrl-C stops", flush=True)

    try:
        settings = ServerSettings(
            database_url=_database_url(args),
            package=args.package,
            max_clock_skew=timedelta(seconds=args.max_clock_skew),
            server_key=args.server_key,
            new_server_key=args.new_server_key,
            db_lock_timeout=timedelta(seconds=args.db_lock_timeout),
            db_statement_timeout=timedelta(seconds=args.db_statement_timeout),
            delivery=DeliverySettings.from_environment(),  # ISOLOIR_SERVER_SMTP_* etc.
        )
        run(settings, options, announce=announce)
    except PackageError as exc:
        raise CliError(f"package refused: {exc}") from None
    except (RunError, SettingsError) as exc:
        raise CliError(str(exc), exit_code=2) from None
    except DatabaseError as exc:
        raise CliError(str(exc)) from None
    return 0


def _enroll_token(args: argparse.Namespace) -> int:
    from server.enrollment import issue_token, parse_ttl
    from server.storage import Database, DatabaseError, migrate

    if not ID_PATTERN.fullmatch(args.kiosk_id):
        raise CliError("--kiosk-id: not a kiosk id ([a-z0-9][a-z0-9._-]*)", exit_code=2)
    try:
        ttl = parse_ttl(args.ttl)
    except ValueError as exc:
        raise CliError(f"--ttl: {exc}", exit_code=2) from None
    clock = SystemClock()
    try:
        with Database.open(_database_url(args)) as database:
            migrate(database, clock)
            issued = issue_token(database, args.kiosk_id, ttl, clock)
    except ValueError as exc:  # DatabaseUrlError, or a kiosk id out of syntax
        raise CliError(str(exc), exit_code=2) from None
    except DatabaseError as exc:
        raise CliError(str(exc)) from None
    print(f"Enrollment token for kiosk {issued.kiosk_id}, single use, valid until")
    print(f"{issued.expires_at} (shown once; only its hash is kept):")
    print(issued.token)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from server.storage import Database, DatabaseError, check, migrate

    try:
        with Database.open(_database_url(args)) as database:
            applied = migrate(database, SystemClock())
            version = check(database)
    except ValueError as exc:
        raise CliError(str(exc), exit_code=2) from None
    except DatabaseError as exc:
        raise CliError(str(exc)) from None
    for migration in applied:
        print(f"Applied {migration.file_name}")
    print(f"Schema version {version}: up to date.")
    return 0


def _fingerprint(args: argparse.Namespace) -> int:
    from kiosk.sync.tls import certificate_fingerprint, format_fingerprint

    path: Path = args.tls_cert
    try:
        digest = certificate_fingerprint(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CliError(f"{path}: {exc}") from None
    print(format_fingerprint(digest))
    return 0


def _export_record(args: argparse.Namespace) -> int:
    from kiosk.election.package import PackageError
    from kiosk.record.board import BoardError
    from server.board import ExportError
    from server.record_export import export_record
    from server.storage import DatabaseError

    try:
        exported = export_record(
            _database_url(args),
            args.package,
            args.out,
            clock=SystemClock(),
            key_file=args.server_key,
        )
    except PackageError as exc:
        raise CliError(f"package refused: {exc}") from None
    except (ExportError, BoardError, DatabaseError, OSError) as exc:
        raise CliError(str(exc)) from None
    print(f"Record written to {args.out}: {exported.head.count} ballots on the board")
    print(f"Board head: {exported.head.head.hex()}")
    print(f"Signed by server key {exported.signed.server_key.hex()} at {exported.signed.signed_at}")
    return 0


def _conflicts(args: argparse.Namespace) -> int:
    from kiosk.encoding import canonical_json
    from server.record_export import conflict_report
    from server.storage import DatabaseError

    try:
        report = conflict_report(_database_url(args))
    except ValueError as exc:
        raise CliError(str(exc), exit_code=2) from None
    except DatabaseError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        for c in report:
            line = {
                "envelope_id": c.envelope_id.hex(),
                "voter_id": c.voter_id,
                "scrutin_id": c.scrutin_id,
                "refused_kiosk_id": c.refused_kiosk_id,
                "counted_kiosk_id": c.counted_kiosk_id,
                "detected_at": c.detected_at,
            }
            print(canonical_json(line).decode("utf-8"))
        return 0
    print(f"{len(report)} envelope(s) refused: their voter had voted in that scrutin already")
    print("(never counted; the émargement that stands is the first one)")
    for c in report:
        counted = c.counted_kiosk_id or "-"
        print(
            f"{c.detected_at}  scrutin {c.scrutin_id}  voter {c.voter_id}  "
            f"refused at {c.refused_kiosk_id}  counted at {counted}  envelope {c.envelope_id.hex()}"
        )
    return 0


def _import_bundle(args: argparse.Namespace) -> int:
    from kiosk.election.package import PackageError
    from server.bundles import BundleRefused, import_bundle
    from server.storage import DatabaseError

    url = _database_url(args)
    try:
        imported = import_bundle(url, args.package, args.file, clock=SystemClock())
    except PackageError as exc:
        raise CliError(f"package refused: {exc}") from None
    except BundleRefused as exc:
        raise CliError(f"bundle refused ({exc.code}), nothing stored: {exc.detail}") from None
    except ValueError as exc:  # DatabaseUrlError
        raise CliError(str(exc), exit_code=2) from None
    except DatabaseError as exc:
        raise CliError(str(exc)) from None
    print(f"Bundle of kiosk {imported.kiosk_id}: {imported.count} envelope(s)")
    print(f"  accepted:   {imported.accepted} (in the ballot box now)")
    print(
        f"  duplicates: {imported.duplicates} (answered before; {imported.duplicates_in_box} "
        "of them in the ballot box)"
    )
    print(f"  rejected:   {sum(imported.rejected.values())}")
    for reason, count in sorted(imported.rejected.items()):
        print(f"    {reason}: {count}")
    return 0
