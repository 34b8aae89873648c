"""The systemd pieces under packaging/ (docs/deployment.md): every unit passes
``systemd-analyze verify`` without a word of complaint, starts only programs the documented
installation puts in place, and the sysusers.d / tmpfiles.d files make the locked-down users and
their folders.

``systemd-analyze verify`` checks that the program of ``ExecStart`` exists and is executable, and
this machine is not a kiosk: the units are verified in a scratch root (``--root``) holding
systemd's own units and, at the paths the installation uses, a stand-in for each program (the
kiosk's session and media scripts, the bundle in /opt/isoloir). ``INSTALLED`` lists them; a unit
that starts anything else fails here. A template unit is verified as one of its instances.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Final

import pytest

from kiosk.cli import parser
from kiosk.config import load_config
from tests.system import unavailable

PACKAGING: Final = Path(__file__).resolve().parents[2] / "packaging"
UNITS: Final = sorted([*PACKAGING.rglob("*.service"), *PACKAGING.rglob("*.timer")])
SERVICES: Final = [unit for unit in UNITS if unit.suffix == ".service"]
SYSTEM_UNITS: Final = Path("/usr/lib/systemd/system")
# Every program a unit starts, and what puts it there (docs/deployment.md).
INSTALLED: Final = {
    "/usr/local/lib/isoloir/isoloir-kiosk-session": "packaging/kiosk/isoloir-kiosk-session, copied",
    "/usr/local/lib/isoloir/isoloir-media-mount": "packaging/kiosk/isoloir-media-mount, copied",
    "/opt/isoloir/isoloir": "the kiosk bundle, dist/isoloir/ copied to /opt/isoloir",
    "/usr/local/sbin/isoloir-db-backup": "packaging/server/isoloir-db-backup, copied there",
}
EXEC_LINE: Final = re.compile(r"^Exec(?:Start|StartPre|StartPost|Stop|StopPost|Reload)=(.*)$")
KIOSK_UNIT: Final = PACKAGING / "kiosk/isoloir-kiosk.service"


def _instance(name: str) -> str:
    """A template unit's name as udev starts it (``isoloir-media@sdb1.service``)."""
    return name.replace("@.", "@sdb1.")


def _analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None or not (SYSTEM_UNITS / "sysinit.target").is_file():
        unavailable("systemd-analyze is not installed: apt-get install systemd runs this test")
    return found


@pytest.fixture
def scratch_root(tmp_path: Path) -> Path:
    """systemd's own units, ours, and a stand-in executable for each installed program."""
    analyze = _analyze()
    assert analyze
    root = tmp_path / "root"
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    for unit in UNITS:  # a timer needs its service beside it
        shutil.copy(unit, root / "etc/systemd/system" / unit.name)
    # The scripts that will be installed at INSTALLED's paths are there, executable.
    for source in INSTALLED.values():
        if source.startswith("packaging/"):
            script = PACKAGING.parent / source.split(",")[0]
            assert os.access(script, os.X_OK), script
    for program in INSTALLED:
        stand_in = root / program.lstrip("/")
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.write_text("#!/bin/sh\nexit 0\n")
        stand_in.chmod(0o755)
    return root


def verify(root: Path, name: str, text: str) -> subprocess.CompletedProcess[str]:
    (root / "etc/systemd/system" / name).write_text(text)
    return subprocess.run(
        [_analyze(), "verify", f"--root={root}", _instance(name)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_packaging_has_the_kiosk_the_server_and_the_backup_units() -> None:
    assert {unit.name for unit in UNITS} == {
        "isoloir-kiosk.service",
        "isoloir-server.service",
        "isoloir-db-backup.service",
        "isoloir-db-backup.timer",
        "isoloir-media@.service",
    }


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_a_unit_passes_systemd_analyze_verify_silently(unit: Path, scratch_root: Path) -> None:
    result = verify(scratch_root, unit.name, unit.read_text())
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("unit", SERVICES, ids=lambda unit: unit.name)
def test_a_unit_starts_only_installed_programs(unit: Path) -> None:
    text = unit.read_text().replace("\\\n", " ")
    programs = [
        match.group(1).lstrip("-@:+!").split()[0]
        for line in text.splitlines()
        if (match := EXEC_LINE.match(line.strip()))
    ]
    assert programs
    assert set(programs) <= set(INSTALLED), programs


def test_verify_reports_a_mistake(scratch_root: Path) -> None:
    broken = KIOSK_UNIT.read_text()
    broken = broken.replace("Restart=always", "Restart=allways").replace("PAMName=", "PAMNmae=")
    result = verify(scratch_root, "isoloir-kiosk.service", broken)
    assert "PAMNmae" in result.stderr
    assert "allways" in result.stderr


def test_the_kiosk_unit_comes_back_after_any_exit_and_is_locked_down() -> None:
    unit = KIOSK_UNIT.read_text()
    for setting in (
        "Restart=always",
        "StartLimitIntervalSec=0",
        "User=isoloir-kiosk",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=\n",
        "Conflicts=getty@tty7.service",
        "TTYPath=/dev/tty7",
        "WantedBy=graphical.target",
    ):
        assert setting in unit, setting
    assert " -s " not in unit  # cage without VT switching


def test_the_kiosk_unit_stays_stopped_after_the_administrator_quits() -> None:
    from ui.__main__ import QUIT_EXIT_STATUS

    unit = KIOSK_UNIT.read_text()
    [prevent] = [line for line in unit.splitlines() if line.startswith("RestartPreventExitStatus=")]
    assert prevent.split("=", 1)[1].split() == [str(QUIT_EXIT_STATUS)]
    # cage does not pass the window's status on: the session script does, from its runtime folder.
    assert _exec_start(KIOSK_UNIT)[0] == "/usr/local/lib/isoloir/isoloir-kiosk-session"
    assert "RuntimeDirectory=isoloir-kiosk" in unit


def test_the_kiosk_unit_waits_for_no_network() -> None:
    settings = [line for line in KIOSK_UNIT.read_text().splitlines() if not line.startswith("#")]
    ordering = [line for line in settings if line.startswith(("After=", "Wants=", "Requires="))]
    # An offline kiosk would wait for network-online.target at every boot.
    assert not [line for line in ordering if "network-online" in line], ordering
    assert "After=cups.service network.target" in settings


def test_the_kiosk_and_the_server_agree_on_every_folder_both_make() -> None:
    def lines(machine: str) -> dict[str, str]:
        conf = PACKAGING / f"{machine}/tmpfiles.d/isoloir-{machine}.conf"
        return {
            line.split()[1]: " ".join(line.split())
            for line in conf.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        }

    kiosk, server = lines("kiosk"), lines("server")
    shared = kiosk.keys() & server.keys()
    assert "/etc/isoloir" in shared
    assert {path: kiosk[path] for path in shared} == {path: server[path] for path in shared}


def test_sysusers_makes_locked_users_without_a_shell(tmp_path: Path) -> None:
    sysusers = shutil.which("systemd-sysusers")
    if sysusers is None:
        unavailable("systemd-sysusers is not installed: apt-get install systemd runs this test")
    (tmp_path / "etc").mkdir()
    result = subprocess.run(
        [sysusers, f"--root={tmp_path}", *map(str, sorted(PACKAGING.rglob("sysusers.d/*.conf")))],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    users = {
        fields[0]: fields
        for fields in (
            line.split(":") for line in (tmp_path / "etc/passwd").read_text().splitlines()
        )
    }
    assert users["isoloir-kiosk"][5:] == ["/var/lib/isoloir-kiosk", "/usr/sbin/nologin"]
    assert users["isoloir-server"][5:] == ["/var/lib/isoloir-server", "/usr/sbin/nologin"]
    shadow = dict(
        line.split(":")[:2] for line in (tmp_path / "etc/shadow").read_text().splitlines()
    )
    assert shadow["isoloir-kiosk"].startswith("!")  # no password can open it
    assert shadow["isoloir-server"].startswith("!")
    video = next(
        line
        for line in (tmp_path / "etc/group").read_text().splitlines()
        if line.startswith("video:")
    )
    assert video.split(":")[3] == "isoloir-kiosk"  # the camera

    if os.geteuid() != 0:
        pytest.skip("the folders' owners can only be set by root")
    tmpfiles = shutil.which("systemd-tmpfiles")
    assert tmpfiles is not None
    roots = {}
    for machine in ("kiosk", "server"):  # a machine is one or the other: a root each
        roots[machine] = tmp_path / machine
        shutil.copytree(tmp_path / "etc", roots[machine] / "etc")
        created = subprocess.run(
            [tmpfiles, f"--root={roots[machine]}", "--create",
             str(PACKAGING / f"{machine}/tmpfiles.d/isoloir-{machine}.conf")],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
    state = roots["kiosk"] / "var/lib/isoloir-kiosk"
    assert {p.name for p in state.iterdir()} == {"staging", "prints", "reports"}
    assert state.stat().st_mode & 0o777 == 0o700
    assert state.stat().st_uid == int(users["isoloir-kiosk"][2])
    backups = roots["server"] / "var/backups/isoloir"
    assert backups.stat().st_mode & 0o777 == 0o700
    assert backups.stat().st_uid == int(users["isoloir-server"][2])


def test_the_example_kiosk_configuration_is_valid_and_points_where_the_unit_writes() -> None:
    config = load_config(PACKAGING / "kiosk/kiosk.toml", environ={})
    unit = KIOSK_UNIT.read_text()
    assert config.store.parent == Path("/var/lib/isoloir-kiosk")  # StateDirectory=
    assert config.staging_dir == Path("/var/lib/isoloir-kiosk/staging")
    assert config.key_file == Path("/etc/isoloir/kiosk-store.key")
    assert "StateDirectory=isoloir-kiosk" in unit
    assert "--config /etc/isoloir/kiosk.toml" in unit


def _exec_start(unit: Path, **overrides: str) -> list[str]:
    """The unit's ExecStart, split as systemd does, ``${VAR}`` from its ``Environment=`` lines
    (or ``overrides``, as the environment file would)."""
    text = unit.read_text().replace("\\\n", " ")
    environment = dict(
        line.removeprefix("Environment=").split("=", 1)
        for line in text.splitlines()
        if line.startswith("Environment=")
    )
    environment.update(overrides)
    [command] = [line.removeprefix("ExecStart=") for line in text.splitlines()
                 if line.startswith("ExecStart=")]  # fmt: skip
    return [
        re.sub(r"\$\{(\w+)\}", lambda match: environment[match.group(1)], word)
        for word in shlex.split(command)
    ]


def test_the_kiosk_unit_gives_the_window_only_options_it_takes() -> None:
    from ui.__main__ import _parser as window_parser

    words = _exec_start(KIOSK_UNIT)
    assert words[:3] == [
        "/usr/local/lib/isoloir/isoloir-kiosk-session",
        "/opt/isoloir/isoloir",
        "kiosk",
    ]
    options = window_parser().parse_args(words[3:])
    assert options.config == Path("/etc/isoloir/kiosk.toml")
    assert options.print_dir == Path("/var/lib/isoloir-kiosk/prints")


def test_the_server_unit_runs_a_command_line_isoloir_takes(tmp_path: Path) -> None:
    unit = PACKAGING / "server/isoloir-server.service"
    assert "Environment=ISOLOIR_SERVER_PACKAGE=/etc/isoloir/package" in unit.read_text()
    # --package must exist: a folder stands in for /etc/isoloir/package.
    words = _exec_start(unit, ISOLOIR_SERVER_PACKAGE=str(tmp_path))
    assert words[0] == "/opt/isoloir/isoloir"
    options = parser().parse_args(words[1:])
    assert (options.group, options.command) == ("server", "run")
    assert (options.host, options.port, options.workers) == ("127.0.0.1", 8443, 2)
