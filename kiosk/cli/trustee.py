"""``isoloir trustee ...``: what each key holder runs, on their own offline computer.

The key ceremony is four steps, each run once by every trustee, in order (docs/trustee.md):
``init``, ``deal``, ``receive``, ``finish``; the messages travel in a shared folder
(``--ceremony``). ``deal`` first only shows every fingerprint; ``deal --confirm``, once they
were compared aloud, sends the shares. After the election, ``decrypt --expect-head`` rebuilds
the tally aggregate from the board the published head names and turns it into this trustee's
partial decryptions. ``status`` shows where a trustee stands. Secrets stay in the passphrase-
protected state file (``--state``); nothing secret is ever printed.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk import durable
from kiosk.cli.common import CliError, Secret, board_head_hex, read_passphrase
from kiosk.crypto.threshold import MIN_THRESHOLD, MIN_TRUSTEES
from kiosk.election import package
from kiosk.election.kdf import KdfProfile
from kiosk.encoding import b64encode
from kiosk.record import tally
from kiosk.record.layout import RecordError, RecordLayout, read_file
from kiosk.trustee import ceremony, decryption, messages, state
from kiosk.trustee.ceremony import CeremonyError, Roster, StepReport
from kiosk.trustee.decryption import DecryptionError
from kiosk.trustee.messages import MessageError
from kiosk.trustee.state import StateError
from kiosk.trustee.vault import WrongPassphraseError

_PROMPT = "Trustee passphrase: "


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = groups.add_parser("trustee", help="key ceremony and partial decryption (trustees)")
    commands = group.add_subparsers(dest="command", required=True, metavar="ACTION")

    def ceremony_step(name: str, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--ceremony", type=Path, required=True, help="the shared folder")
        command.add_argument("--state", type=Path, required=True, help="your trustee state file")
        return command

    init = ceremony_step("init", "create your state file and announce yourself")
    init.add_argument("--election", required=True, help="the election id (the ceremony's id)")
    init.add_argument("--id", required=True, help="your trustee id, e.g. your initials")
    init.add_argument("--index", type=int, required=True, help="your number, from 1 to n")
    init.add_argument("--trustees", type=int, default=5, help="n, the number of trustees (5)")
    init.add_argument("--threshold", type=int, default=3, help="k, trustees needed to decrypt (3)")
    init.add_argument(
        "--kdf",
        choices=[p.name.lower() for p in KdfProfile],
        default="strong",
        help="passphrase hashing cost (strong; test and demo are for tests and practice only)",
    )
    init.set_defaults(run=_init)

    deal = ceremony_step("deal", "show every fingerprint; with --confirm, publish your shares")
    deal.add_argument(
        "--confirm",
        action="store_true",
        help="you compared every fingerprint aloud with the other trustees: publish your "
        "commitments and encrypted shares (without it, deal only shows the fingerprints)",
    )
    deal.set_defaults(run=_deal)
    ceremony_step("receive", "check the shares dealt to you").set_defaults(run=_receive)
    ceremony_step("finish", "compute your key share and the joint key").set_defaults(run=_finish)

    check = commands.add_parser(
        "check-package", help="check that a sealed package carries your ceremony's key"
    )
    check.add_argument("package", type=Path, help="the sealed package the organizer published")
    check.add_argument("--state", type=Path, required=True, help="your trustee state file")
    check.set_defaults(run=_check_package)

    status = commands.add_parser("status", help="show your stage and the ceremony's progress")
    status.add_argument("--state", type=Path, required=True)
    status.add_argument(
        "--ceremony", type=Path, help="the shared folder: who is missing, and every fingerprint"
    )
    status.set_defaults(run=_status)

    decrypt = commands.add_parser(
        "decrypt", help="re-check the board, then partially decrypt its tally aggregate"
    )
    decrypt.add_argument("--state", type=Path, required=True, help="your trustee state file")
    decrypt.add_argument(
        "--record", type=Path, required=True, help="the election record (package, board, aggregate)"
    )
    decrypt.add_argument(
        "--expect-head",
        type=board_head_hex,
        required=True,
        metavar="HEX",
        help="the board head (128 hex digits) the server published at close; nothing is "
        "decrypted unless the board's head is this one",
    )
    decrypt.add_argument(
        "--out", type=Path, help="your partial decryptions (default: RECORD/partials/ID.json)"
    )
    decrypt.add_argument("--workers", type=int, help="processes checking ballots (all cores)")
    decrypt.set_defaults(run=_decrypt)


def _init(args: argparse.Namespace) -> int:
    if args.trustees < MIN_TRUSTEES or not MIN_THRESHOLD <= args.threshold <= args.trustees:
        raise CliError(
            f"need at least {MIN_TRUSTEES} trustees and a threshold from {MIN_THRESHOLD} "
            "to the number of trustees",
            exit_code=2,
        )
    passphrase = read_passphrase(
        Secret.TRUSTEE, "New passphrase for your trustee file: ", confirm=True
    )
    with _refusals():
        announcement = ceremony.init(
            args.ceremony,
            args.state,
            passphrase,
            ceremony_id=args.election,
            trustee_id=args.id,
            index=args.index,
            trustees=args.trustees,
            threshold_k=args.threshold,
            kdf=KdfProfile[args.kdf.upper()].value,
        )
    print(f"State file created: {args.state} (keep it, and its passphrase, safe and offline).")
    if args.kdf != "strong":
        print(f"Warning: --kdf {args.kdf} protects the passphrase weakly: for tests only.")
    print(f"Announced as trustee {announcement.index} of {announcement.trustees}: {args.id}")
    print(f"Your fingerprint: {announcement.fingerprint}  (read it aloud to the other trustees)")
    print("Next, once every trustee has announced: isoloir trustee deal")
    return 0


def _deal(args: argparse.Namespace) -> int:
    """Nothing secret leaves before the fingerprints are compared (§13.2): a first run only
    shows them; the trustee runs again with ``--confirm`` once every one matched."""
    if not args.confirm:
        with _refusals():
            record = state.read_record(args.state)
            roster = ceremony.read_roster(args.ceremony, record)
        _print_fingerprints(roster, record.index)
        raise CliError(
            "nothing published: compare these fingerprints aloud with the other trustees, "
            "then run again with --confirm",
            exit_code=3,
        )
    passphrase = read_passphrase(Secret.TRUSTEE, _PROMPT)
    with _refusals():
        report = ceremony.deal(args.ceremony, args.state, passphrase)
    _print_fingerprints(report.roster, report.record.index)
    print(f"Dealt: {report.written} message(s) written to {args.ceremony}.")
    print("Next, once every trustee has dealt: isoloir trustee receive")
    return 0


def _print_fingerprints(roster: Roster, own_index: int) -> None:
    print("Compare each fingerprint with the one its trustee read aloud; stop if one differs:")
    for a in roster.announcements:
        mark = "  (you)" if a.index == own_index else ""
        print(f"  #{a.index} {a.trustee_id:<20} {a.fingerprint}{mark}")


def _receive(args: argparse.Namespace) -> int:
    passphrase = read_passphrase(Secret.TRUSTEE, _PROMPT)
    with _refusals():
        report = ceremony.receive(args.ceremony, args.state, passphrase)
    others = report.roster.trustees - 1
    print(
        f"Received: all {report.roster.trustees} dealings and the {others} shares sent to you "
        "match their dealers' commitments."
    )
    print("Next: isoloir trustee finish")
    return 0


def _finish(args: argparse.Namespace) -> int:
    passphrase = read_passphrase(Secret.TRUSTEE, _PROMPT)
    with _refusals():
        report = ceremony.finish(args.ceremony, args.state, passphrase)
    _print_finish(report)
    return 0


def _print_finish(report: StepReport) -> None:
    record = report.record
    joint, public = record.joint_public_key, record.public_share
    if joint is None or public is None:
        raise CliError(f"{record.trustee_id}: the state lacks the joint key (internal error)")
    print(f"Finished. Joint election key: {b64encode(joint)}")
    print(f"Your public share:            {b64encode(public)}")
    n = report.roster.trustees
    print(f"Trustees finished: {len(report.finished)} of {n} ({', '.join(report.finished)})")
    disagreeing = sorted(set(report.finished) - set(report.agreeing))
    if disagreeing:
        raise CliError(
            f"{', '.join(disagreeing)} computed another joint key: the ceremony failed; "
            "do not seal, tell the organizer"
        )
    if len(report.finished) == n:
        print("All trustees agree on the joint key. The organizer can now run:")
        print("  isoloir election seal PACKAGE --ceremony FOLDER --key ORGANIZER.key")


def _check_package(args: argparse.Namespace) -> int:
    with _refusals():
        record = state.read_record(args.state)
    try:
        sealed = package.load(args.package)
    except package.PackageError as exc:
        raise CliError(f"package refused: {exc}") from None
    with _refusals():
        ceremony.check_package(record, sealed)
    print(f"Package {sealed.manifest.election_id}, fingerprint {sealed.fingerprint}:")
    print("  its election key is your ceremony's joint key, and your commitments and")
    print("  public key share are in it. Confirm this fingerprint to the organizer.")
    return 0


def _status(args: argparse.Namespace) -> int:
    with _refusals():
        record = state.read_record(args.state)
    print(
        f"Trustee {record.trustee_id}, #{record.index} of {record.trustees} "
        f"(threshold {record.threshold}), ceremony {record.ceremony_id}"
    )
    print(f"Stage: {record.stage.value}; next step: {state.NEXT_STEP[record.stage]}")
    if record.joint_public_key is not None:
        print(f"Joint election key: {b64encode(record.joint_public_key)}")
    if args.ceremony is not None:
        folder: Path = args.ceremony
        print("Each trustee's progress and fingerprint (compare it with what they read aloud):")
        for index in range(1, record.trustees + 1):
            steps = [
                name
                for name, path in (
                    ("announced", messages.announcement_path(folder, index)),
                    ("dealt", messages.dealing_path(folder, index)),
                    ("finished", messages.finish_path(folder, index)),
                )
                if path.exists()
            ]
            who = _who(folder, index, record.index)
            print(f"  #{index}: {', '.join(steps) or 'nothing yet'}{who}")
    return 0


def _who(folder: Path, index: int, own_index: int) -> str:
    """``  trustee-id FINGERPRINT`` from an announcement, or why there is none to show."""
    path = messages.announcement_path(folder, index)
    if not path.exists():
        return ""
    try:
        announcement = messages.read_announcement(path)
    except MessageError as exc:
        return f"  (announcement refused: {exc})"
    if announcement.index != index:
        return f"  (refused: {path.name} announces index {announcement.index})"
    mark = "  (you)" if index == own_index else ""
    return f"  {announcement.trustee_id} {announcement.fingerprint}{mark}"


def _decrypt(args: argparse.Namespace) -> int:
    """Decrypt only an aggregate rebuilt here from the whole board whose head is the one
    published at close: never a file as handed over, nor the sum of some other board.

    A trustee who decrypted whatever "aggregate" it was given would be a decryption oracle: one
    voter's ciphertexts in place of the sums, and k trustees would reveal that voter's choice.
    Rebuilding the sum is not enough: a board cut down to that one ballot and re-chained (its
    kiosk signature is genuine) sums to that ballot alone. Only the head published at close,
    ``--expect-head``, ties the board to the ballots cast; it is checked before the
    passphrase is asked.
    """
    layout = RecordLayout(args.record)
    with _refusals():
        record = state.read_record(args.state)
    out: Path = args.out or layout.partial(record.trustee_id)
    if out.exists():
        raise CliError(f"{out}: exists already; choose a new name")
    try:
        rebuilt = tally.rebuild_aggregate(
            layout.package,
            layout.board,
            layout.board_head,
            expect_head=args.expect_head,
            workers=args.workers,
        )
        published = read_file(layout.aggregate)
    except RecordError as exc:
        raise CliError(str(exc)) from None
    sealed, head, aggregate = rebuilt.sealed, rebuilt.head, rebuilt.aggregate
    if aggregate.board.head != args.expect_head:  # checked by rebuild_aggregate: kept local
        raise CliError("the rebuilt board's head is not --expect-head (internal error)")
    if published != aggregate.to_json():
        raise CliError(
            f"{layout.aggregate} is not the sum of this board's ballots: refusing to decrypt it"
        )
    passphrase = read_passphrase(Secret.TRUSTEE, _PROMPT)
    with _refusals():
        partials = decryption.decrypt(args.state, passphrase, sealed, aggregate)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        durable.write_new_file(out, partials.to_json())
    except FileExistsError:
        raise CliError(f"{out}: exists already; choose a new name") from None
    except OSError as exc:
        raise CliError(f"{out}: cannot write ({exc.strerror})") from None
    options = sum(len(p) for _, p in partials.scrutins)
    print(f"Package:   {sealed.manifest.election_id}, fingerprint {sealed.fingerprint}")
    print(f"Board:     {head.count} ballots, head {head.head.hex()}")
    print("           = the head published at close (--expect-head); every ballot re-checked")
    print(f"Aggregate: rebuilt from the board, SHA-256 {aggregate.digest.hex()}")
    print(f"Partial decryptions of {options} option(s), with proofs, written to {out}")
    if out != layout.partial(record.trustee_id):
        print(f"Hand it over as partials/{record.trustee_id}.json: the verifier needs that name.")
    return 0


@contextmanager
def _refusals() -> Iterator[None]:
    """Turns the trustee modules' expected failures into a ``CliError`` (no secret in them)."""
    try:
        yield
    except (WrongPassphraseError, StateError, CeremonyError, MessageError, DecryptionError) as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"{exc.filename or 'file'}: {exc.strerror}") from None
