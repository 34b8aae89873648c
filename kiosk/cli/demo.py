"""``isoloir demo ...``: a demo kiosk in one command, then its window (``make demo``).

``setup DIR`` builds the demo election (as ``election demo``), runs the demo trustees' key
ceremony in process, seals the package, and makes a ready kiosk: the store with kiosk-01's key,
the package loaded, the polls open. ``kiosk DIR`` opens the kiosk window on it, in a child
process (``python -m ui``: the core never imports Qt); with no display it runs the scripted
tour (``python -m ui.tour``) under Xvfb instead, which votes and saves a screenshot of every
page.

The store, the SQLCipher library and the trustee modules load inside the commands only, as in
``kiosk/cli/admin.py``: an auditor's ``isoloir verify`` must not need them.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.cli.common import CliError
from kiosk.cli.election import print_summary
from kiosk.clock import SystemClock
from kiosk.election import package, signing
from kiosk.election.kdf import KdfProfile
from kiosk.election.model import KioskId

KIOSK_ID: Final = KioskId("kiosk-01")
# Demo-only PINs, printed on the terminal; the environment variables override them.
DEMO_ADMIN_PIN: Final = "0000"
DEMO_ASSESSEUR_PIN: Final = "1111"
ADMIN_PIN_VARIABLE: Final = "ISOLOIR_ADMIN_PIN"
ASSESSEUR_PIN_VARIABLE: Final = "ISOLOIR_ASSESSEUR_PIN"
XVFB_SCREEN: Final = "1920x1080x24"  # a common kiosk screen, landscape


@dataclass(frozen=True)
class DemoKiosk:
    """Where ``demo setup`` puts each part of a demo kiosk under ``root``."""

    root: Path

    @property
    def package(self) -> Path:
        return self.root / "package"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def credentials(self) -> Path:
        return self.secrets / "demo-credentials.csv"

    @property
    def store(self) -> Path:
        return self.root / "kiosk.db"

    @property
    def key_file(self) -> Path:
        return self.root / "kiosk-store.key"

    @property
    def mailbox(self) -> Path:
        return self.root / "mailbox"

    @property
    def prints(self) -> Path:
        return self.root / "prints"

    @property
    def tour(self) -> Path:
        return self.root / "tour"


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = groups.add_parser("demo", help="a demo kiosk: set it up, open its window")
    commands = group.add_subparsers(dest="command", required=True, metavar="ACTION")

    setup = commands.add_parser(
        "setup",
        help="build the demo election, seal it, and make a ready kiosk store in DIR",
        description="Everything a demo kiosk needs, in a new folder DIR: the sealed package, "
        "the demo secrets, the kiosk store with kiosk-01's key, the package loaded, polls open.",
    )
    setup.add_argument("dir", type=Path, help="the folder to create (must not exist)")
    setup.add_argument("--voters", type=int, default=1000)
    setup.add_argument("--kdf", choices=[p.name.lower() for p in KdfProfile], default="demo")
    setup.add_argument("--seed", type=int, default=2026)
    setup.set_defaults(run=_setup)

    kiosk = commands.add_parser(
        "kiosk",
        help="open the kiosk window on DIR (without a display: the scripted tour under Xvfb)",
        description="Opens the kiosk window on a demo setup. Without a display (no DISPLAY "
        "nor WAYLAND_DISPLAY), runs the tour under xvfb-run instead: one demo voter votes and "
        "every page is saved as a PNG. The admin PIN closes the window: ISOLOIR_ADMIN_PIN, "
        f"else {DEMO_ADMIN_PIN} (demo only).",
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


# ---- setup ----------------------------------------------------------------------------------


def _setup(args: argparse.Namespace) -> int:
    from kiosk.election import demo  # reportlab and Pillow load only for this command
    from kiosk.store import KioskStore, PollsState, StoreError, create_key_file
    from kiosk.trustee.ceremony import CeremonyError
    from kiosk.trustee.demo import seal_with_demo_ceremony

    if args.voters < 1:
        raise CliError("--voters must be at least 1", exit_code=2)
    layout = DemoKiosk(args.dir)
    if layout.root.exists() or layout.root.is_symlink():
        raise CliError(f"{layout.root}: exists already; demo setup makes a new folder")
    clock = SystemClock()
    built = demo.build_demo(
        now=clock.now(),
        voters=args.voters,
        kdf=KdfProfile[args.kdf.upper()].value,
        seed=args.seed,
    )
    try:
        layout.root.mkdir(parents=True)
    except OSError as exc:
        raise CliError(f"{layout.root}: cannot create ({exc.strerror})") from None
    try:
        with tempfile.TemporaryDirectory(prefix="isoloir-demo-trustees-") as trustees:
            sealed, _ = seal_with_demo_ceremony(built.package, built.organizer_key, Path(trustees))
        demo.write_demo(dataclasses.replace(built, package=sealed), layout.package, layout.secrets)
        loaded = package.load(layout.package)  # read back and checked, as load-package does
        with KioskStore.create(layout.store, create_key_file(layout.key_file), clock) as store:
            store.load_package(loaded)
            store.set_kiosk_key(KIOSK_ID, _seed(built.kiosk_keys[KIOSK_ID]))
            store.set_polls_state(PollsState.OPEN)
            status = store.status()
    except (package.PackageError, signing.KeyFileError, CeremonyError, StoreError, OSError) as exc:
        shutil.rmtree(layout.root, ignore_errors=True)
        raise CliError(f"demo setup failed, nothing kept: {exc}") from None
    except BaseException:
        shutil.rmtree(layout.root, ignore_errors=True)
        raise
    print(f"Demo kiosk ready in {layout.root}")
    print_summary(loaded)
    print(f"Package:     {layout.package} (sealed; isoloir election verify checks it)")
    print(
        f"Kiosk store: {layout.store} (key file {layout.key_file}), kiosk {status.kiosk_id}, "
        f"polls {status.polls.value}"
    )
    print(f"Credentials: {layout.credentials} (demo voters' passwords, codes, answers, NUMEN)")
    print("             electeur-0001 has a valid vote code; electeur-0002 must first get a new")
    print("             one through the réassort (secret question + NUMEN)")
    print(
        f"Admin PIN:   {DEMO_ADMIN_PIN} (closes the kiosk window; {ADMIN_PIN_VARIABLE} overrides)"
    )
    print(
        f"Assesseur:   PIN {DEMO_ASSESSEUR_PIN} (supervised réassort; "
        f"{ASSESSEUR_PIN_VARIABLE} overrides)"
    )
    print(f"Next:        isoloir demo kiosk {layout.root}")
    return 0


def _seed(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
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

    def __repr__(self) -> str:  # the environment may hold PINs
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
    """What ``demo kiosk`` runs for ``environ``: pure, so a test can check every case."""
    env = dict(environ)
    if not has_display(environ):
        mode = LaunchMode.TOUR_XVFB
    else:
        mode = LaunchMode.TOUR if tour else LaunchMode.WINDOW
    common = ("--store", str(layout.store), "--key-file", str(layout.key_file))
    places = ("--mail-dir", str(layout.mailbox), "--print-dir", str(layout.prints))
    if mode is LaunchMode.WINDOW:
        env.setdefault(ADMIN_PIN_VARIABLE, DEMO_ADMIN_PIN)
        env.setdefault(ASSESSEUR_PIN_VARIABLE, DEMO_ASSESSEUR_PIN)
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
    layout = DemoKiosk(args.dir)
    for needed in (layout.store, layout.key_file, layout.credentials):
        if not needed.exists():
            raise CliError(f"{needed}: missing; run isoloir demo setup {layout.root} first")
    launch = plan_launch(
        layout,
        os.environ,
        tour=args.tour,
        out=args.out,
        languages=args.languages,
        high_contrast_once=args.high_contrast_once,
        full_screen=args.full_screen,
    )
    if launch.mode is LaunchMode.WINDOW:
        print(f"Opening the kiosk window on {layout.store}")
        print(f"  voters' credentials: {layout.credentials}")
        print(f"  réassort messages:   {layout.mailbox}  papers: {layout.prints}")
        print(f"  admin PIN (closes the window): {_pin_text(ADMIN_PIN_VARIABLE, DEMO_ADMIN_PIN)}")
        print(f"  assesseur PIN: {_pin_text(ASSESSEUR_PIN_VARIABLE, DEMO_ASSESSEUR_PIN)}")
    elif launch.mode is LaunchMode.TOUR_XVFB:
        if shutil.which("xvfb-run") is None:
            raise CliError(
                "no display (DISPLAY, WAYLAND_DISPLAY) and no xvfb-run: install xvfb "
                "(make bootstrap), or run this on a machine with a screen"
            )
        print("No display: running the kiosk tour under Xvfb (one demo voter, every page).")
    else:
        print("Running the kiosk tour on this display (one demo voter, every page).")
    try:
        result = subprocess.run(launch.argv, env=dict(launch.env), check=False)
    except OSError as exc:
        raise CliError(f"cannot start {launch.argv[0]}: {exc.strerror}") from None
    if result.returncode == 0 and launch.mode is LaunchMode.TOUR_XVFB:
        print(f"Screenshots of every page: {launch.out}")
        print(
            f"On a machine with a screen, isoloir demo kiosk {layout.root} opens the "
            "interactive kiosk instead."
        )
    return result.returncode


def _pin_text(variable: str, default: str) -> str:
    # A PIN from the environment is the operator's own: never echoed.
    return f"from {variable}" if os.environ.get(variable) else f"{default} (demo)"
