"""``isoloir demo ...``: a whole demo election on this machine (``make demo``).

``demo [DIR]`` (DIR: demo-output) makes the demo in DIR unless it is there already (as ``demo
setup``), starts its central server (``isoloir server run`` on the loopback port the package
names, SQLite, a child process), enrolls the kiosk with a one-time token, and opens the kiosk
window against that server (``python -m ui``; the core never imports Qt); with no display it runs
the scripted tour (``python -m ui.tour``) under Xvfb instead. The server stops when the window
or the tour ends. ``demo tally [DIR]`` syncs the kiosk, closes its polls, exports the server's
record, has three of the five demo trustees decrypt, combines, verifies and writes the results
PDF. ``demo --scripted N [DIR]`` runs the whole election headless with N scripted voters at two
kiosks and checks the results against the script (``kiosk.demo.scripted``).

``setup DIR`` makes the demo without starting anything: the demo election, the trustees' key
ceremony, the sealed package naming the local server, the kiosk store with kiosk-01's key, the
demo operator accounts, the polls opened by the assesseur. ``kiosk DIR`` is ``demo DIR`` on a
demo made already.

The store, the SQLCipher library and the trustee modules load inside the commands only, as in
``kiosk/cli/admin.py``: an auditor's ``isoloir verify`` must not need them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from kiosk.cli.common import CliError
from kiosk.cli.election import print_summary
from kiosk.cli.kiosk import QUIT_EXIT_STATUS
from kiosk.cli.tally import _print_results
from kiosk.clock import SystemClock
from kiosk.demo.accounts import ADMINISTRATOR, ASSESSEUR, DEMO_OPERATORS
from kiosk.demo.environment import child_environment
from kiosk.demo.layout import OFFLINE_KIOSK, ONLINE_KIOSK, DemoKiosk
from kiosk.election.kdf import KdfProfile

if TYPE_CHECKING:
    from kiosk.store import KioskStore

    _SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    _SubParsers = argparse._SubParsersAction

__all__ = ["DEMO_DIR", "DemoKiosk", "Launch", "LaunchMode", "has_display", "plan_launch"]

DEMO_DIR: Final = Path("demo-output")
XVFB_SCREEN: Final = "1920x1080x24"  # a common kiosk screen, landscape


class _AnyWord(dict[str, argparse.ArgumentParser]):
    """Choices that any word is among, for argparse's check: a word that names no action is a
    folder (``_ActionOrFolder``)."""

    def __contains__(self, word: object) -> bool:
        return True


class _ActionOrFolder(_SubParsers):
    """``isoloir demo ACTION ...`` runs that action; ``isoloir demo DIR [OPTIONS]``, a word that
    names no action, is the whole demo in DIR."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices = _AnyWord()

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        words = [values] if isinstance(values, str) else list(values or ())
        if words and words[0] not in self._name_parser_map:
            folder = namespace.dir = Path(words[0])
            parser.parse_args(words[1:], namespace)  # the options after DIR
            if namespace.dir != folder:
                parser.error(f"one folder only, not both {folder} and {namespace.dir}")
            return
        super().__call__(parser, namespace, values, option_string)


def register(groups: _SubParsers) -> None:
    group = groups.add_parser(
        "demo",
        help="a whole demo election: kiosk, local server, tally; or scripted and checked",
        description="isoloir demo [DIR]: the demo in DIR (default demo-output; made unless it is "
        "there), its local server, the kiosk window against it (without a display: the tour "
        "under Xvfb). isoloir demo tally [DIR]: sync, close, tally, verify, results PDF. "
        "isoloir demo --scripted N [DIR]: the whole election headless with N scripted voters "
        "at two kiosks, exit 0 only if the record verifies and the results equal the script.",
    )
    group.add_argument(
        "--scripted",
        type=int,
        metavar="N",
        help="run the whole election headless with N scripted voters (DIR: a new folder to "
        "keep it in; default: a temporary one)",
    )
    group.add_argument("--seed", type=int, default=2026, help="seeds the election and choices")
    group.add_argument("--voters", type=int, default=1000, help="voters on the roll (1000)")
    group.add_argument("--tour", action="store_true", help="run the tour even with a display")
    group.add_argument("--full-screen", action="store_true", help="the window fills the screen")
    group.set_defaults(run=_demo, dir=None)
    commands = group.add_subparsers(
        dest="command", required=False, metavar="[ACTION | DIR]", action=_ActionOrFolder
    )

    setup = commands.add_parser(
        "setup",
        help="make the demo in DIR: election, key ceremony, sealed package, ready kiosk",
        description="Everything the demo needs, in a new folder DIR: the sealed package naming "
        "the local server, the demo secrets (trustees' state files included), the kiosk store "
        "with kiosk-01's key, the demo operators, the polls opened by the assesseur.",
    )
    setup.add_argument("dir", type=Path, help="the folder to create (must not exist)")
    setup.add_argument("--voters", type=int, default=1000)
    setup.add_argument("--kdf", choices=[p.name.lower() for p in KdfProfile], default="demo")
    setup.add_argument("--seed", type=int, default=2026)
    setup.add_argument(
        "--port", type=int, help="the local server's port on 127.0.0.1 (default: a free one)"
    )
    setup.set_defaults(run=_setup)

    kiosk = commands.add_parser(
        "kiosk",
        help="start DIR's local server, open the kiosk window on DIR (no display: the tour)",
        description="Starts the demo's local server, enrolls the kiosk, and opens the kiosk "
        "window against the server. Without a display (no DISPLAY nor WAYLAND_DISPLAY), runs "
        "the tour under xvfb-run instead: one demo voter votes and every page is saved as a "
        "PNG. The server stops when the window or the tour ends.",
    )
    kiosk.add_argument("dir", type=Path, help="a folder made by isoloir demo setup")
    kiosk.add_argument("--tour", action="store_true", help="run the tour even with a display")
    kiosk.add_argument("--out", type=Path, help="the tour's screenshots (default: DIR/tour)")
    kiosk.add_argument(
        "--languages", default="fr", help="the tour's languages, comma-separated (default: fr)"
    )
    kiosk.add_argument(
        "--high-contrast-once",
        action="store_true",
        help="the tour also saves every page in high contrast, in the first language",
    )
    kiosk.add_argument("--full-screen", action="store_true", help="the window fills the screen")
    kiosk.set_defaults(run=_kiosk)

    tally = commands.add_parser(
        "tally",
        help="close the polls, sync, export the record, decrypt, combine, verify",
        description="The assesseur closes the kiosk's polls (closing report); the kiosk sends "
        "its outbox to the local server; the server's record is exported to DIR/record; three "
        "of the five demo trustees decrypt; results.json and results.pdf are combined; the "
        "verifier checks the record. Exit status 1 if it does not verify.",
    )
    tally.add_argument("dir", type=Path, nargs="?", default=DEMO_DIR, help="the demo folder")
    tally.set_defaults(run=_tally)


# ---- demo [DIR] and setup ---------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    if args.scripted is not None:
        return _scripted(args)
    layout = DemoKiosk(args.dir if args.dir is not None else DEMO_DIR)
    if layout.root.exists():
        print(f"The demo in {layout.root} is there already: its server and kiosk start again.")
    else:
        _make_demo(layout, voters=args.voters, kdf=KdfProfile.DEMO, seed=args.seed, port=None)
    return _open_kiosk(layout, tour=args.tour, full_screen=args.full_screen)


def _setup(args: argparse.Namespace) -> int:
    _make_demo(
        DemoKiosk(args.dir),
        voters=args.voters,
        kdf=KdfProfile[args.kdf.upper()],
        seed=args.seed,
        port=args.port,
    )
    print(f"Next:        isoloir demo {args.dir} (its server and the kiosk window), then")
    print(f"             isoloir demo tally {args.dir}")
    return 0


def _make_demo(
    layout: DemoKiosk, *, voters: int, kdf: KdfProfile, seed: int, port: int | None
) -> None:
    from kiosk.demo.build import build_election, make_kiosk
    from kiosk.demo.local_server import free_loopback_port
    from kiosk.election import package, signing
    from kiosk.store import StoreError
    from kiosk.trustee.ceremony import CeremonyError

    if voters < 1:
        raise CliError("--voters must be at least 1", exit_code=2)
    if port is not None and not 0 < port < 65536:
        raise CliError("--port: between 1 and 65535", exit_code=2)
    if layout.root.exists() or layout.root.is_symlink():
        raise CliError(f"{layout.root}: exists already; demo setup makes a new folder")
    clock = SystemClock()
    try:
        layout.root.mkdir(parents=True)
    except OSError as exc:
        raise CliError(f"{layout.root}: cannot create ({exc.strerror})") from None
    try:
        built = build_election(
            layout,
            now=clock.now(),
            voters=voters,
            kdf=kdf.value,
            seed=seed,
            port=port if port is not None else free_loopback_port(),
        )
        kiosk_key = built.kiosk_keys[ONLINE_KIOSK]
        with make_kiosk(layout, ONLINE_KIOSK, built.package, kiosk_key, clock) as store:
            status = store.status()
    except (package.PackageError, signing.KeyFileError, CeremonyError, StoreError, OSError) as exc:
        shutil.rmtree(layout.root, ignore_errors=True)
        raise CliError(f"demo setup failed, nothing kept: {exc}") from None
    except BaseException:
        shutil.rmtree(layout.root, ignore_errors=True)
        raise
    print(f"Demo ready in {layout.root}")
    print_summary(built.package)
    print(f"Package:     {layout.package} (sealed; isoloir election verify checks it)")
    print(
        f"Kiosk store: {layout.store} (key file {layout.key_file}), kiosk {status.kiosk_id}, "
        f"polls {status.polls.value}"
    )
    print(f"Reports:     {layout.reports} (the assesseur opened the polls: opening report)")
    print(f"Credentials: {layout.credentials} (demo voters' passwords, codes, answers, NUMEN)")
    print("             electeur-0001 has a valid vote code; electeur-0002 must first get a new")
    print("             one through the réassort (secret question + NUMEN)")
    _print_operators()


def _print_operators() -> None:
    for operator in DEMO_OPERATORS:
        print(
            f"Operator:    {operator.name} ({operator.role.value}), PIN {operator.pin} (demo only)"
        )


# ---- kiosk ----------------------------------------------------------------------------------


class LaunchMode(Enum):
    WINDOW = "window"  # the interactive kiosk on this display
    TOUR = "tour"  # the tour on this display (--tour)
    TOUR_XVFB = "tour-xvfb"  # no display: the tour under xvfb-run


@dataclass(frozen=True)
class Launch:
    """The child process ``demo kiosk`` runs: its command line and its environment."""

    mode: LaunchMode
    argv: tuple[str, ...]
    env: Mapping[str, str]
    out: Path | None  # the tour's screenshots

    def __repr__(self) -> str:  # the environment is long, and says nothing of the launch
        return f"Launch({self.mode.value}, {self.argv!r})"


def has_display(environ: Mapping[str, str]) -> bool:
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def plan_launch(
    layout: DemoKiosk,
    environ: Mapping[str, str],
    *,
    tour: bool = False,
    out: Path | None = None,
    languages: str = "fr",
    high_contrast_once: bool = False,
    full_screen: bool = False,
    python: str = sys.executable,
) -> Launch:
    """What ``demo kiosk`` runs for ``environ`` (its secrets dropped: ``child_environment``):
    pure, so a test can check every case."""
    env = child_environment(environ)
    if not has_display(environ):
        mode = LaunchMode.TOUR_XVFB
    else:
        mode = LaunchMode.TOUR if tour else LaunchMode.WINDOW
    common = ("--store", str(layout.store), "--key-file", str(layout.key_file))
    places = (
        *("--mail-dir", str(layout.mailbox), "--print-dir", str(layout.prints)),
        *("--reports-dir", str(layout.kiosk_reports(ONLINE_KIOSK))),
    )
    if mode is LaunchMode.WINDOW:
        windowed = () if full_screen else ("--windowed",)
        # --pdf-only: a demo never prints on the machine's real printer.
        argv = (python, "-m", "ui", *common, *places, "--pdf-only", *windowed)
        return Launch(mode, argv, env, None)
    shots = out if out is not None else layout.tour
    argv = (
        python,
        "-m",
        "ui.tour",
        *common,
        "--credentials",
        str(layout.credentials),
        *places,
        "--out",
        str(shots),
        "--languages",
        languages,
        *(("--high-contrast-once",) if high_contrast_once else ()),
    )
    if mode is LaunchMode.TOUR_XVFB:
        env["QT_QPA_PLATFORM"] = "xcb"  # real X11 windows on the virtual screen, not offscreen
        argv = ("xvfb-run", "-a", "-s", f"-screen 0 {XVFB_SCREEN}", *argv)
    return Launch(mode, argv, env, shots)


def _kiosk(args: argparse.Namespace) -> int:
    return _open_kiosk(
        DemoKiosk(args.dir),
        tour=args.tour,
        out=args.out,
        languages=args.languages,
        high_contrast_once=args.high_contrast_once,
        full_screen=args.full_screen,
    )


def _open_kiosk(
    layout: DemoKiosk,
    *,
    tour: bool,
    full_screen: bool,
    out: Path | None = None,
    languages: str = "fr",
    high_contrast_once: bool = False,
) -> int:
    for needed in (layout.store, layout.key_file, layout.credentials, layout.package):
        if not needed.exists():
            raise CliError(f"{needed}: missing; run isoloir demo setup {layout.root} first")
    launch = plan_launch(
        layout,
        os.environ,
        tour=tour,
        out=out,
        languages=languages,
        high_contrast_once=high_contrast_once,
        full_screen=full_screen,
    )
    if launch.mode is LaunchMode.TOUR_XVFB and shutil.which("xvfb-run") is None:
        raise CliError(
            "no display (DISPLAY, WAYLAND_DISPLAY) and no xvfb-run: install xvfb "
            "(make bootstrap), or run this on a machine with a screen"
        )
    with _serving(layout) as url:
        if launch.mode is LaunchMode.WINDOW:
            print(f"Opening the kiosk window on {layout.store}, online with {url}")
            print(f"  voters' credentials: {layout.credentials}")
            print(f"  papers: {layout.prints}")
            print(
                f"  operators: {ADMINISTRATOR.name} PIN {ADMINISTRATOR.pin} (administrator; "
                f"closes the window), {ASSESSEUR.name} PIN {ASSESSEUR.pin} (demo only)"
            )
        elif launch.mode is LaunchMode.TOUR_XVFB:
            print("No display: running the kiosk tour under Xvfb (one demo voter, every page).")
        else:
            print("Running the kiosk tour on this display (one demo voter, every page).")
        if launch.mode is not LaunchMode.WINDOW:
            print("  The tour's kiosk is offline: its ballots wait in the outbox until demo tally.")
        try:
            result = subprocess.run(launch.argv, env=dict(launch.env), check=False)
        except OSError as exc:
            raise CliError(f"cannot start {launch.argv[0]}: {exc.strerror}") from None
        print("Stopping the local server.")
    # "Quitter le poste" (the administrator's way out of the window) is the window's normal end.
    status = 0 if result.returncode == QUIT_EXIT_STATUS else result.returncode
    if status == 0 and launch.mode is LaunchMode.TOUR_XVFB:
        print(f"Screenshots of every page: {launch.out}")
        print(
            f"On a machine with a screen, isoloir demo {layout.root} opens the "
            "interactive kiosk instead."
        )
    if status == 0:
        print(f"Next: isoloir demo tally {layout.root} (sync, close, tally, verify)")
    return status


@contextlib.contextmanager
def _serving(layout: DemoKiosk, store: KioskStore | None = None) -> Iterator[str]:
    """The demo's local server, running, with the kiosk (of ``store``, else of the demo's store
    file) enrolled; stopped at the end."""
    from kiosk.demo.local_server import LocalServer, LocalServerError, sigterm_exits
    from kiosk.demo.online import ensure_enrolled, kiosk_client
    from kiosk.election import package
    from kiosk.store import KioskStore, StoreError, StoreKey
    from kiosk.voting.session import KioskElection

    clock = SystemClock()
    try:
        sealed = package.load(layout.package)
    except package.PackageError as exc:
        raise CliError(f"{layout.package}: {exc}") from None
    signed = sealed.manifest.server
    if signed is None:
        raise CliError(f"{layout.package}: names no central server (made by an older demo?)")
    print(f"Starting the local server on {signed.url} (log: {layout.server_log})")
    with sigterm_exits():
        try:
            server = LocalServer.start(layout, signed, sealed.fingerprint)
        except LocalServerError as exc:
            raise CliError(str(exc)) from None
        try:
            with contextlib.ExitStack() as opened:
                if store is None:
                    key = StoreKey.from_key_file(layout.key_file)
                    store = opened.enter_context(KioskStore.open(layout.store, key, clock))
                election = KioskElection.from_store(store)
                with kiosk_client(election, clock) as client:
                    if ensure_enrolled(layout, client, election):
                        print(f"Kiosk {election.kiosk.kiosk_id} enrolled with a one-time token.")
            yield server.url
        except (LocalServerError, StoreError) as exc:
            raise CliError(str(exc)) from None
        finally:
            status = server.stop()
            if status != 0:
                print(
                    f"Warning: the local server ended with status {status}; "
                    f"see {layout.server_log}",
                    file=sys.stderr,
                )


# ---- tally ----------------------------------------------------------------------------------


def _tally(args: argparse.Namespace) -> int:
    from kiosk.admin.console import AdminError
    from kiosk.demo import operators
    from kiosk.demo.local_server import LocalServerError
    from kiosk.demo.online import kiosk_client
    from kiosk.demo.tally import tally_record
    from kiosk.record.layout import RecordError
    from kiosk.store import KioskStore, StoreError, StoreKey
    from kiosk.sync.outbox import OutboxSync
    from kiosk.trustee.decryption import DecryptionError
    from kiosk.trustee.state import StateError
    from kiosk.trustee.vault import WrongPassphraseError
    from kiosk.voting.session import KioskElection

    layout = DemoKiosk(args.dir)
    for needed in (layout.store, layout.key_file, layout.package, layout.trustees):
        if not needed.exists():
            raise CliError(f"{needed}: missing; is {layout.root} a demo (isoloir demo setup)?")
    if layout.record.exists():
        raise CliError(f"{layout.record}: exists already; this demo was tallied")
    clock = SystemClock()
    try:
        with KioskStore.open(layout.store, StoreKey.from_key_file(layout.key_file), clock) as store:
            # As the assesseur's guide says: sync first, so that the closing report states every
            # ballot received by the server; then close.
            with _serving(layout, store):
                election = KioskElection.from_store(store)
                with kiosk_client(election, clock) as client:
                    sync = OutboxSync(store, client, clock).push()
            print(
                f"Kiosk synced: {sync.accepted} ballot(s) accepted now, {sync.duplicates} "
                f"already on the server, {sync.rejected} rejected, {sync.pending} left"
            )
            if not sync.complete:
                raise CliError("the kiosk could not send every ballot; nothing was tallied")
            report = operators.close_polls(store, clock, layout.kiosk_reports(ONLINE_KIOSK))
            if report is None:
                print(f"The polls of kiosk {ONLINE_KIOSK} were closed already.")
            else:
                print(f"Polls closed by the assesseur at kiosk {ONLINE_KIOSK}: {report}")
        print(f"Exporting the server's record to {layout.record}; 3 of the 5 trustees decrypt.")
        done = tally_record(layout, random.Random())
    except (
        AdminError,
        LocalServerError,
        StoreError,
        RecordError,
        DecryptionError,
        StateError,
        WrongPassphraseError,
        OSError,
    ) as exc:
        raise CliError(str(exc)) from None
    print(f"Board: {done.ballots} ballot(s); decrypted by {', '.join(done.trustees_used)}")
    _print_results(done.results)
    for line in done.verification.lines():
        print(line)
    print(f"Record:      {done.record.root} (isoloir verify record checks it again)")
    print(f"Results PDF: {done.record.results_pdf}")
    print(f"Reports:     {layout.reports} (the kiosk's opening and closing reports)")
    return 0 if done.verification.passed else 1


# ---- scripted -------------------------------------------------------------------------------


def _scripted(args: argparse.Namespace) -> int:
    if args.scripted < 1:
        raise CliError("--scripted: at least 1 voter", exit_code=2)
    if args.dir is None:
        with tempfile.TemporaryDirectory(prefix="isoloir-scripted-") as folder:
            return _run_scripted(Path(folder), args.scripted, args.seed)
    root: Path = args.dir
    if root.exists() or root.is_symlink():
        raise CliError(f"{root}: exists already; a scripted election makes a new folder")
    root.mkdir(parents=True)
    code = _run_scripted(root, args.scripted, args.seed)
    print(f"Everything is in {root} (the record: {DemoKiosk(root).record})")
    return code


def _run_scripted(root: Path, voters: int, seed: int) -> int:
    from kiosk.admin.console import AdminError
    from kiosk.bundle.export import ExportError
    from kiosk.demo.local_server import LocalServerError, sigterm_exits
    from kiosk.demo.scripted import run_scripted
    from kiosk.demo.voters import ScriptError
    from kiosk.record.layout import RecordError
    from kiosk.store import StoreError
    from kiosk.trustee.decryption import DecryptionError
    from kiosk.trustee.state import StateError
    from kiosk.trustee.vault import WrongPassphraseError

    print(f"Scripted election: {voters} voters, seed {seed}", flush=True)
    try:
        with sigterm_exits():
            done = run_scripted(
                root,
                voters=voters,
                seed=seed,
                clock=SystemClock(),
                step=lambda what: print(f"  - {what}", flush=True),
            )
    except (
        AdminError,
        LocalServerError,
        ScriptError,
        RecordError,
        StoreError,
        ExportError,
        DecryptionError,
        StateError,
        WrongPassphraseError,
        OSError,
    ) as exc:
        raise CliError(f"scripted election stopped: {exc}") from None
    script = done.script
    online, offline = (done.ballots.get(k, 0) for k in (ONLINE_KIOSK, OFFLINE_KIOSK))
    print(
        f"Voters: {len(script.voters)}; {script.abstaining} abstained, "
        f"{script.in_several_scrutins} voted in both of their scrutins; "
        f"{script.blank} blank ballot(s)"
    )
    print(
        f"kiosk-01 (online):  {online} ballot(s), {done.deposited_at_cast} in the ballot box at "
        f"the cast, {done.late_sync.accepted} sent after the close"
    )
    accepted = (line for line in done.bundle_import.splitlines() if "accepted:" in line)
    imported = " ".join(next(accepted, "").split())  # "accepted: N (in the ballot box now)"
    carried = f"by bundle; {imported}" if done.bundle is not None else "no bundle"
    print(f"kiosk-02 (offline): {offline} ballot(s), {carried}")
    tally = done.tally
    print(f"Board: {tally.ballots} ballot(s); decrypted by {', '.join(tally.trustees_used)}")
    print(f"Verifier: {tally.verification.lines()[-1]}")
    for line in tally.verification.lines():
        if line.startswith("FAIL"):
            print(f"  {line}")
    counts = sum(len(s.counts) for s in tally.results.scrutins)
    if done.mismatches:
        print(f"Results differ from the script in {len(done.mismatches)} count(s):")
        for mismatch in done.mismatches:
            print(f"  {mismatch}")
    else:
        print(
            f"Results = script: all {counts} counts of {len(tally.results.scrutins)} scrutins, "
            "blank included"
        )
    verdict = "PASS" if done.passed else "FAIL"
    print(f"{verdict}: scripted election of {voters} voters in {done.seconds:.1f} s")
    return 0 if done.passed else 1
