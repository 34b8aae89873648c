"""``isoloir admin sync`` and ``isoloir admin enroll``: the kiosk's side of the central server
(docs/server.md, "Kiosk sync"; docs/store.md, "Outbox states and sync").

Like the rest of ``admin``, ``kiosk.store`` is imported inside the commands only.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, TextIO

from kiosk.admin.roles import Action
from kiosk.cli.admin_console import operator_option, signed_in_session
from kiosk.cli.common import CliError
from kiosk.clock import SystemClock
from kiosk.sync.failures import describe_failure

if TYPE_CHECKING:
    from kiosk.store import KioskStore
    from kiosk.sync.client import ServerClient, ServerFailure

TOKEN_VARIABLE: Final = "ISOLOIR_ENROLLMENT_TOKEN"  # noqa: S105 - a variable's name
_NOT_ENROLLED: Final = frozenset({"kiosk_not_enrolled", "unknown_kiosk"})
_BAR_WIDTH: Final = 30


def register_sync(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    store_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    sync = commands.add_parser(
        "sync",
        help="send every sealed ballot not yet accepted to the central server",
        description="Uploads the outbox (pending and exported ballots) in batches and records "
        "each answer. Exit status 0 when no ballot is left to send, 1 otherwise (the reason is "
        "printed). The kiosk must be enrolled first (isoloir admin enroll).",
    )
    store_options(sync)
    operator_option(sync)
    server_options(sync)
    sync.add_argument("--batch", type=int, default=100, help="envelopes per request (100)")
    sync.set_defaults(run=_sync)

    enroll = commands.add_parser(
        "enroll",
        help="register this kiosk's key with the central server (one-time token)",
        description="The token comes from the server's administrator (isoloir server "
        f"enroll-token --kiosk-id ID); it is read from {TOKEN_VARIABLE}, else asked for.",
    )
    store_options(enroll)
    operator_option(enroll)
    server_options(enroll)
    enroll.set_defaults(run=_enroll)


def server_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--server",
        metavar="URL",
        help="the central server (default: the one the election package names; if given, it "
        "must be that one)",
    )
    command.add_argument(
        "--server-pin",
        metavar="SHA256-FINGERPRINT",
        help="the server's TLS certificate fingerprint (default: the package's; if given, it "
        "must be the package's)",
    )


def _open_signed_in(args: argparse.Namespace, action: Action) -> KioskStore:
    """The store, once ``--operator`` signed in with a role that allows ``action``."""
    from kiosk.cli.admin import _open

    store, _ = _open(args)
    try:
        signed_in_session(args, store, action)
    except BaseException:
        store.close()
        raise
    return store


def _client(args: argparse.Namespace, store: KioskStore) -> ServerClient:
    from kiosk.election.codec import parse_manifest
    from kiosk.election.model import ElectionId
    from kiosk.encoding import strict_json_loads
    from kiosk.sync.client import ServerClient
    from kiosk.sync.endpoint import package_endpoint

    identity = store.kiosk_identity()
    if identity is None:
        raise CliError("this store has no kiosk key (isoloir admin setup)")
    stored = store.stored_package()
    if stored is None:
        raise CliError("no election package loaded (isoloir admin load-package PACKAGE)")
    manifest = parse_manifest(strict_json_loads(stored.manifest, "stored manifest"))
    try:
        endpoint = package_endpoint(manifest.server, args.server, args.server_pin)
    except ValueError as exc:
        if args.server is None and args.server_pin is None:
            raise CliError(f"{exc}; nothing was sent") from None
        raise CliError(f"--server / --server-pin: {exc}; nothing was sent", exit_code=2) from None
    args.server = endpoint.url  # for the messages
    return ServerClient(
        endpoint.url,
        election_id=ElectionId(stored.election_id),
        kiosk_id=identity.kiosk_id,
        key=identity.signing_key(),
        clock=SystemClock(),
        package_fingerprint=stored.fingerprint,
        pin=endpoint.pin,
    )


def _sync(args: argparse.Namespace) -> int:
    from kiosk.store import StoreError, SyncState
    from kiosk.sync.client import ServerFailure
    from kiosk.sync.outbox import OutboxSync

    if not 1 <= args.batch <= 1000:
        raise CliError("--batch: 1 to 1,000", exit_code=2)
    store = _open_signed_in(args, Action.SYNC_NOW)
    with store, _client(args, store) as client:
        identity = client.whoami()
        if isinstance(identity, ServerFailure):
            raise CliError(_not_reached(identity, store))
        bar = ProgressBar(sys.stdout)
        try:
            report = OutboxSync(store, client, SystemClock(), batch=args.batch).push(
                progress=bar.update
            )
        except StoreError as exc:
            raise CliError(str(exc)) from None
        finally:
            bar.close()
        left = store.status().outbox
        rejected = store.outbox(SyncState.REJECTED)
        kept = store.outbox(SyncState.PENDING) + store.outbox(SyncState.EXPORTED)
    print(
        f"Sent: {report.accepted} accepted, {report.duplicates} already on the server, "
        f"{report.rejected} rejected, {report.held} held; {report.pending} left to send."
    )
    if report.rejected:
        reasons = Counter(entry.reason or "?" for entry in rejected)
        print("Rejected, by the server's reason: " + ", ".join(
            f"{reason} {count}" for reason, count in sorted(reasons.items())
        ))  # fmt: skip
    if report.held:
        print(_held_message(Counter(entry.reason for entry in kept if entry.reason is not None)))
    if report.failure is not None:
        print(f"Stopped: {describe_failure(report.failure)}", file=sys.stderr)
    pending = left.pending + left.exported
    if pending:
        print(f"{pending} sealed ballot(s) still wait for the server; run it again later.")
        return 1
    return 0


def _held_message(reasons: Counter[str]) -> str:
    """What the operator does with ballots the server refused for a reason that is not final:
    they stay in the outbox (pending or exported), so a bundle carries them."""
    lines = ["Held, kept on this kiosk (not lost), by the server's reason: " + ", ".join(
        f"{reason} {count}" for reason, count in sorted(reasons.items())
    )]  # fmt: skip
    if "outside_window" in reasons:
        lines.append(
            "  outside_window: the polls are closed on the server's clock; these ballots were "
            "sealed here and only removable media can deliver them now."
        )
    others = sorted(set(reasons) - {"outside_window"})
    if others:
        lines.append(
            f"  {', '.join(others)}: the server refuses them for now (its package, its sealing or "
            "this kiosk's enrollment); tell the server's administrator. A later sync retries them."
        )
    lines.append(
        "Export them to removable media: isoloir admin export FILE.isoloir-bundle, then on the "
        "server: isoloir server import-bundle FILE.isoloir-bundle (it judges the voting window by "
        "this kiosk's signed statement)."
    )
    return "\n".join(lines)


def _enroll(args: argparse.Namespace) -> int:
    from kiosk.sync.client import ServerFailure

    store = _open_signed_in(args, Action.ENROLL)
    with store, _client(args, store) as client:  # the server checked first, the token then
        token = os.environ.get(TOKEN_VARIABLE)
        if token is None:
            if not sys.stdin.isatty():
                raise CliError(f"no token: set {TOKEN_VARIABLE} or run on a terminal", exit_code=2)
            token = getpass.getpass("Enrollment token: ")
        token = token.strip()
        if not token:
            raise CliError("empty enrollment token", exit_code=2)
        identity = client.enroll(token)
    if isinstance(identity, ServerFailure):
        raise CliError(f"enrollment refused: {describe_failure(identity)}")
    print(f"Kiosk {identity.kiosk_id} enrolled at {identity.enrolled_at} ({args.server}).")
    return 0


def _not_reached(failure: ServerFailure, store: KioskStore) -> str:
    if failure.code in _NOT_ENROLLED:
        identity = store.kiosk_identity()
        kiosk = identity.kiosk_id if identity is not None else "ID"
        return (
            f"this kiosk is not enrolled with the server ({failure.code}): ask its administrator "
            f"for a token (isoloir server enroll-token --kiosk-id {kiosk}), then run isoloir "
            "admin enroll with it; nothing was sent"
        )
    return f"cannot sync: {describe_failure(failure)}; nothing was sent"


class ProgressBar:
    """``[#####.....] 40/100`` redrawn in place with ``\\r`` on a terminal; silent otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._live = stream.isatty()
        self._drawn = False

    def update(self, done: int, total: int) -> None:
        if not self._live or total == 0:
            return
        filled = _BAR_WIDTH * done // total
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        self._stream.write(f"\r[{bar}] {done}/{total} sent")
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
