"""``isoloir demo setup`` makes a ready kiosk; ``isoloir demo kiosk`` starts the local server,
enrolls the kiosk and launches the right child.

The window itself is not opened here: ``plan_launch`` is pure, and the command's run is checked
with the child process replaced (tests/ui/test_tour.py runs the tour for real); the local server
is real.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.admin.operators import Operators
from kiosk.admin.roles import Role
from kiosk.cli import demo as demo_cli
from kiosk.cli import main
from kiosk.cli.demo import DemoKiosk, LaunchMode, plan_launch
from kiosk.clock import SystemClock
from kiosk.election import package
from kiosk.store import KioskStore, PollsState, StoreKey
from kiosk.trustee.demo import TRUSTEES
from kiosk.voting.session import KioskElection

VOTERS = 6


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoKiosk, str]:
    """One demo setup for the module (a few seconds): the kiosk's folder and what it printed."""
    layout = DemoKiosk(tmp_path_factory.mktemp("demo") / "kiosk")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["demo", "setup", str(layout.root), "--voters", str(VOTERS), "--kdf", "test"])
    assert code == 0
    return layout, printed.getvalue()


def _open(layout: DemoKiosk) -> KioskStore:
    key = StoreKey.from_key_file(layout.key_file)
    return KioskStore.open(layout.store, key, SystemClock(), read_only=True)


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_setup_makes_a_kiosk_ready_to_take_votes(demo: tuple[DemoKiosk, str]) -> None:
    layout, _ = demo
    with _open(layout) as store:
        status = store.status()
        election = KioskElection.from_store(store)  # sealed, with this kiosk's key
        accounts = {(o.name, o.role) for o in Operators(store, SystemClock()).list()}
    assert status.polls is PollsState.OPEN
    assert status.kiosk_id == "kiosk-01"
    assert status.voters == VOTERS
    assert status.emargements == 0
    assert election.kiosk.kiosk_id == "kiosk-01"
    assert status.audit_length > 0
    assert accounts == {("admin", Role.ADMINISTRATOR), ("assesseur", Role.ASSESSEUR)}
    # The assesseur opened the polls: the signed opening report is saved.
    assert [p.name for p in sorted((layout.reports / "kiosk-01").glob("*.pdf"))] == [
        "0001-opening.pdf"
    ]


def test_the_package_names_the_local_server_and_the_trustees_are_kept(
    demo: tuple[DemoKiosk, str],
) -> None:
    layout, _ = demo
    server = package.load(layout.package).manifest.server
    assert server is not None
    assert server.url.startswith("http://127.0.0.1:")
    assert server.tls_certificate_sha256 is None  # plain http on loopback: nothing to pin
    assert sorted(p.name for p in layout.trustees.glob("*.state")) == sorted(
        f"{name}.state" for name in TRUSTEES
    )


def test_the_package_on_disk_is_the_sealed_one_the_store_holds(demo: tuple[DemoKiosk, str]) -> None:
    layout, _ = demo
    sealed = package.load(layout.package)
    key = sealed.manifest.election_key
    assert key is not None
    assert (key.threshold, len(key.trustees)) == (3, 5)
    with _open(layout) as store:
        assert store.status().fingerprint == sealed.fingerprint
    readme = (layout.secrets / "README.txt").read_text(encoding="utf-8")
    assert sealed.fingerprint in readme  # the secrets name the package they belong to


def test_setup_prints_the_fingerprint_the_credentials_and_the_pins_but_no_secret(
    demo: tuple[DemoKiosk, str],
) -> None:
    layout, printed = demo
    assert f"Fingerprint: {package.load(layout.package).fingerprint}" in printed
    assert str(layout.credentials) in printed
    assert "Operator:    admin (administrator), PIN 000000" in printed
    assert "Operator:    assesseur (assesseur), PIN 111111" in printed
    assert f"isoloir demo {layout.root}" in printed
    with layout.credentials.open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    assert len(rows) == VOTERS
    for row in rows:
        for column in ("password", "vote_code", "secret_answer", "numen"):
            if row[column]:
                assert row[column] not in printed


def test_setup_refuses_an_existing_folder_and_touches_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "kiosk"
    existing.mkdir()
    (existing / "notes.txt").write_text("à garder", encoding="utf-8")
    code = main(["demo", "setup", str(existing), "--voters", "2", "--kdf", "test"])
    assert code == 1
    assert "exists already" in capsys.readouterr().err
    assert _digests(existing) == {"notes.txt": hashlib.sha256("à garder".encode()).hexdigest()}


def test_a_second_setup_leaves_the_first_kiosk_as_it_was(
    demo: tuple[DemoKiosk, str], capsys: pytest.CaptureFixture[str]
) -> None:
    layout, _ = demo
    before = _digests(layout.root)
    assert main(["demo", "setup", str(layout.root), "--voters", "2", "--kdf", "test"]) == 1
    assert "exists already" in capsys.readouterr().err
    assert _digests(layout.root) == before


def test_setup_refuses_no_voters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "setup", str(tmp_path / "kiosk"), "--voters", "0"]) == 2
    assert "--voters" in capsys.readouterr().err
    assert not (tmp_path / "kiosk").exists()


# ---- demo kiosk ------------------------------------------------------------------------------


def test_without_a_display_the_kiosk_runs_the_tour_under_xvfb(tmp_path: Path) -> None:
    layout = DemoKiosk(tmp_path / "kiosk")
    launch = plan_launch(layout, {"PATH": "/usr/bin"}, python="python3")
    assert launch.mode is LaunchMode.TOUR_XVFB
    assert launch.argv[:2] == ("xvfb-run", "-a")
    assert launch.argv[launch.argv.index("python3") :][:3] == ("python3", "-m", "ui.tour")
    assert _option(launch.argv, "--store") == str(layout.store)
    assert _option(launch.argv, "--credentials") == str(layout.credentials)
    assert _option(launch.argv, "--out") == str(layout.tour)
    assert launch.out == layout.tour
    assert launch.env["QT_QPA_PLATFORM"] == "xcb"  # real windows on the virtual screen


@pytest.mark.parametrize("variable", ["DISPLAY", "WAYLAND_DISPLAY"])
def test_with_a_display_the_kiosk_opens_the_window(tmp_path: Path, variable: str) -> None:
    layout = DemoKiosk(tmp_path / "kiosk")
    launch = plan_launch(layout, {variable: ":0"}, python="python3")
    assert launch.mode is LaunchMode.WINDOW
    assert launch.argv[:3] == ("python3", "-m", "ui")
    assert _option(launch.argv, "--store") == str(layout.store)
    assert _option(launch.argv, "--print-dir") == str(layout.prints)
    assert _option(launch.argv, "--reports-dir") == str(layout.reports / "kiosk-01")
    assert "--windowed" in launch.argv
    assert "--server" not in launch.argv  # the window takes the package's server


def test_full_screen_is_asked_for(tmp_path: Path) -> None:
    launch = plan_launch(DemoKiosk(tmp_path), {"DISPLAY": ":0"}, full_screen=True)
    assert "--windowed" not in launch.argv


def test_tour_flag_runs_the_tour_on_the_display(tmp_path: Path) -> None:
    layout = DemoKiosk(tmp_path / "kiosk")
    launch = plan_launch(
        layout,
        {"DISPLAY": ":0"},
        tour=True,
        out=tmp_path / "shots",
        languages="fr,en",
        high_contrast_once=True,
        python="python3",
    )
    assert launch.mode is LaunchMode.TOUR
    assert launch.argv[:3] == ("python3", "-m", "ui.tour")
    assert _option(launch.argv, "--languages") == "fr,en"
    assert _option(launch.argv, "--out") == str(tmp_path / "shots")
    assert "--high-contrast-once" in launch.argv
    assert "QT_QPA_PLATFORM" not in launch.env


def test_kiosk_without_display_runs_xvfb_and_says_what_a_screen_would_do(
    demo: tuple[DemoKiosk, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    layout, _ = demo
    ran: list[Sequence[str]] = []

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(demo_cli.subprocess, "run", _launch_recorded(ran))
    monkeypatch.setattr(demo_cli.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert main(["demo", "kiosk", str(layout.root)]) == 0
    [argv] = ran
    assert argv[0] == "xvfb-run"
    out = capsys.readouterr().out
    assert f"Screenshots of every page: {layout.tour}" in out
    assert "On a machine with a screen" in out
    # The real local server ran meanwhile and enrolled the kiosk; it stopped at the end.
    assert "Kiosk kiosk-01 enrolled with a one-time token." in out
    assert "Stopping the local server." in out
    url = package.load(layout.package).manifest.server
    assert url is not None
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url.url}/health", timeout=2)


def test_kiosk_without_display_nor_xvfb_says_what_to_install(
    demo: tuple[DemoKiosk, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    layout, _ = demo
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(demo_cli.shutil, "which", lambda _name: None)
    assert main(["demo", "kiosk", str(layout.root)]) == 1
    assert "install xvfb" in capsys.readouterr().err


def test_kiosk_needs_a_demo_setup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "kiosk", str(tmp_path)]) == 1
    assert "run isoloir demo setup" in capsys.readouterr().err


def test_demo_with_a_folder_reuses_a_demo_made_already(
    demo: tuple[DemoKiosk, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``isoloir demo DIR`` (a word that names no action) is the whole demo in DIR; on a demo
    that is there it makes nothing new, and starts its server and kiosk again."""
    layout, _ = demo
    ran: list[Sequence[str]] = []

    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(demo_cli.subprocess, "run", _launch_recorded(ran))
    before = _digests(layout.package)
    assert main(["demo", str(layout.root), "--full-screen"]) == 0
    [argv] = ran
    assert list(argv[1:3]) == ["-m", "ui"]
    assert "--windowed" not in argv  # the option after DIR was read
    out = capsys.readouterr().out
    assert "is there already" in out
    assert f"Next: isoloir demo tally {layout.root}" in out
    assert _digests(layout.package) == before


@pytest.mark.parametrize(
    ("extra", "said"),
    [("--no-such-option", "--no-such-option"), ("other", "one folder only")],
)
def test_demo_refuses_what_follows_a_folder_unless_it_is_an_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, said: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", str(tmp_path / "new"), extra])
    assert exited.value.code == 2
    assert said in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def _launch_recorded(
    ran: list[Sequence[str]],
) -> Callable[..., subprocess.CompletedProcess[Any]]:
    """``subprocess.run`` where the kiosk's launch (the window or the tour) is recorded, not
    run; the ``isoloir server`` commands the demo runs on the way run for real."""
    real = subprocess.run

    def run(argv: Sequence[str], **options: Any) -> subprocess.CompletedProcess[Any]:
        if list(argv[1:3]) == ["-m", "kiosk"]:
            return real(argv, **options)
        ran.append(argv)
        return subprocess.CompletedProcess(argv, 0)

    return run


def _option(argv: Sequence[str], name: str) -> str:
    return argv[list(argv).index(name) + 1]
