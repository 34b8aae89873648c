"""Removable media on a kiosk (docs/deployment.md, "Removable media"): the udev rule
(packaging/kiosk/udev/90-isoloir-media.rules) and the mount helper it leads to
(packaging/kiosk/isoloir-media-mount, run by isoloir-media@.service).

Debian 12's udev (systemd 252) has no ``udevadm verify``: the rule is parsed here as udev reads
it (every key and operator one udev knows, values quoted) and then run on sample devices, so that
a typo in a key or a pattern that misses FAT shows. The helper runs for real with stand-ins for
the system's blkid, findmnt, id, systemd-mount, chown and chmod on its PATH; each records how it
was called, and the test checks the systemd-mount command a kiosk would get."""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pytest

KIOSK: Final = Path(__file__).resolve().parents[2] / "packaging/kiosk"
RULES: Final = KIOSK / "udev/90-isoloir-media.rules"
HELPER: Final = KIOSK / "isoloir-media-mount"
UNIT: Final = KIOSK / "isoloir-media@.service"

# udev's keys (udev(7)) that this rule may use, and which operators each kind takes.
MATCH_KEYS: Final = {"ACTION", "SUBSYSTEM", "KERNEL", "DEVTYPE", "ENV", "ATTRS", "ATTR", "TAG"}
ASSIGN_KEYS: Final = {"ENV", "TAG", "GOTO", "LABEL", "SYMLINK", "OWNER", "GROUP", "MODE"}
MATCH_OPERATORS: Final = {"==", "!="}
ASSIGN_OPERATORS: Final = {"=", "+=", "-=", ":="}
TOKEN: Final = re.compile(
    r'\s*([A-Z_]+)(?:\{([A-Za-z0-9_]+)\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*'
)


@dataclass(frozen=True)
class Token:
    key: str
    attribute: str | None
    operator: str
    value: str


def parse_rules(text: str) -> list[list[Token]]:
    """Each rule of a udev rules file as its tokens; any other line is a test failure."""
    rules = []
    for number, line in enumerate(text.replace("\\\n", "").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        tokens = []
        for part in re.split(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', line):
            match = TOKEN.fullmatch(part)
            assert match, f'line {number}: {part!r} is not KEY OP "VALUE"'
            key, attribute, operator, value = match.groups()
            token = Token(key, attribute, operator, value)
            if operator in MATCH_OPERATORS:
                assert key in MATCH_KEYS, f"line {number}: {key} is not a key udev matches"
            else:
                assert key in ASSIGN_KEYS, f"line {number}: {key} is not a key udev assigns"
            assert (attribute is not None) == (key in {"ENV", "ATTR", "ATTRS"}), part
            tokens.append(token)
        rules.append(tokens)
    return rules


@dataclass
class Device:
    action: str
    kernel: str
    properties: dict[str, str]
    subsystem: str = "block"
    tags: set[str] = field(default_factory=set)


def _matches(pattern: str, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, one) for one in pattern.split("|"))


def run_rules(rules: list[list[Token]], device: Device) -> Device:
    """What udev would make of ``device`` with these rules (the keys they use)."""
    goto: str | None = None
    for rule in rules:
        if goto is not None:
            if any(t.key == "LABEL" and t.value == goto for t in rule):
                goto = None
            continue
        seen = {"ACTION": device.action, "SUBSYSTEM": device.subsystem, "KERNEL": device.kernel}
        matched = all(
            _matches(t.value, device.properties.get(t.attribute or "", "") if t.key == "ENV"
                     else seen[t.key]) == (t.operator == "==")
            for t in rule
            if t.operator in MATCH_OPERATORS
        )  # fmt: skip
        if not matched:
            continue
        for t in rule:
            value = t.value.replace("%k", device.kernel)
            if t.key == "GOTO":
                goto = value
            elif t.key == "TAG" and t.operator == "+=":
                device.tags.add(value)
            elif t.key == "ENV" and t.attribute is not None and t.operator == "+=":
                old = device.properties.get(t.attribute, "")
                device.properties[t.attribute] = f"{old} {value}".strip()
            elif t.key == "ENV" and t.attribute is not None and t.operator == "=":
                device.properties[t.attribute] = value
    return device


def usb(fs_type: str, action: str = "add", bus: str = "usb") -> Device:
    return Device(
        action,
        "sdb1",
        {"ID_BUS": bus, "ID_FS_USAGE": "filesystem", "ID_FS_TYPE": fs_type, "DEVTYPE": "partition"},
    )


def test_the_rule_parses_as_udev_reads_it() -> None:
    rules = parse_rules(RULES.read_text())
    assert len(rules) == 4
    labels = {t.value for rule in rules for t in rule if t.key == "LABEL"}
    gotos = {t.value for rule in rules for t in rule if t.key == "GOTO"}
    assert gotos <= labels  # a GOTO to no LABEL skips every later rule of every file


def test_the_parser_refuses_what_udev_would_not_take() -> None:
    with pytest.raises(AssertionError, match="not a key udev matches"):
        parse_rules('ACTOIN=="add"')
    with pytest.raises(AssertionError, match="not KEY OP"):
        parse_rules("ACTION==add")


@pytest.mark.parametrize("fs_type", ["vfat", "exfat", "ext4"])
@pytest.mark.parametrize("action", ["add", "change"])
def test_a_usb_stick_the_kiosk_can_use_starts_the_mount_unit(fs_type: str, action: str) -> None:
    device = run_rules(parse_rules(RULES.read_text()), usb(fs_type, action))
    assert device.properties["SYSTEMD_WANTS"] == "isoloir-media@sdb1.service"
    assert "systemd" in device.tags
    assert UNIT.name == "isoloir-media@.service"  # the unit the rule names is the one shipped


@pytest.mark.parametrize(
    "device",
    [usb("ntfs"), usb("vfat", action="remove"), usb("ext4", bus="ata"), usb("swap")],
    ids=["ntfs", "removed", "internal-disk", "swap"],
)
def test_anything_else_is_left_alone(device: Device) -> None:
    assert "SYSTEMD_WANTS" not in run_rules(parse_rules(RULES.read_text()), device).properties


def test_the_unit_mounts_the_device_it_is_bound_to() -> None:
    unit = UNIT.read_text()
    assert "BindsTo=dev-%i.device" in unit
    assert "ExecStart=/usr/local/lib/isoloir/isoloir-media-mount /dev/%I" in unit


# ---- the mount helper, with stand-ins for the system's tools ---------------------------------

STAND_INS: Final = {
    "blkid": 'case "$4" in TYPE) v=$FAKE_TYPE ;; LABEL) v=$FAKE_LABEL ;; esac\n'
    '[ -n "$v" ] || exit 2\nprintf "%s\\n" "$v"',
    "findmnt": 'case "$1" in --source) list=$FAKE_MOUNTED ;;'
    ' --mountpoint) list=$FAKE_MOUNTPOINTS ;; esac\nprintf "%s\\n" "$list" | grep -qFx -- "$2"',
    "id": 'case "$1" in -u) echo 997 ;; -g) echo 995 ;; esac',
    "systemd-mount": "",
    "chown": "",
    "chmod": "",
}


@dataclass(frozen=True)
class Mounted:
    returncode: int
    stderr: str
    calls: list[list[str]]

    def command(self, program: str) -> list[str]:
        [call] = [call[1:] for call in self.calls if call[0] == program]
        return call


def mount(
    tmp_path: Path, fs_type: str, label: str = "", mounted: str = "", mountpoints: str = ""
) -> Mounted:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "calls"
    calls.write_text("")
    for name, body in STAND_INS.items():
        stand_in = bin_dir / name
        record = f'printf "%s\\037" "{name}" "$@" >> "{calls}"; echo >> "{calls}"\n'
        stand_in.write_text(f"#!/bin/sh\n{record}{body}\n")
        stand_in.chmod(0o755)
    result = subprocess.run(
        [str(HELPER), "/dev/sdb1"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
        env={
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "FAKE_TYPE": fs_type,
            "FAKE_LABEL": label,
            "FAKE_MOUNTED": mounted,
            "FAKE_MOUNTPOINTS": mountpoints,
        },
    )
    return Mounted(
        result.returncode,
        result.stderr,
        [line.rstrip("\x1f").split("\x1f") for line in calls.read_text().splitlines()],
    )


def _options(command: list[str]) -> set[str]:
    [options] = [
        word.removeprefix("--options=") for word in command if word.startswith("--options=")
    ]
    return set(options.split(","))


@pytest.mark.parametrize("fs_type", ["vfat", "exfat"])
def test_fat_is_mounted_for_the_kiosks_user_alone(tmp_path: Path, fs_type: str) -> None:
    done = mount(tmp_path, fs_type, label="EXPORTS")
    assert done.returncode == 0, done.stderr
    command = done.command("systemd-mount")
    assert command[-3:] == ["--", "/dev/sdb1", "/media/isoloir-EXPORTS"]
    assert f"--type={fs_type}" in command
    assert {"uid=997", "gid=995", "umask=077", "nosuid", "nodev", "noexec"} <= _options(command)
    assert not [call for call in done.calls if call[0] in {"chown", "chmod"}]


def test_ext4_keeps_owners_so_its_top_folder_is_given_to_the_kiosk(tmp_path: Path) -> None:
    done = mount(tmp_path, "ext4", label="stick")
    assert done.returncode == 0, done.stderr
    command = done.command("systemd-mount")
    assert _options(command) == {"nosuid", "nodev", "noexec"}  # ext4 takes no uid=, gid=, umask=
    assert done.command("chown") == ["997:995", "/media/isoloir-stick"]
    assert done.command("chmod") == ["0700", "/media/isoloir-stick"]


@pytest.mark.parametrize(
    ("label", "where"),
    [
        ("Clé USB/../x", "/media/isoloir-Cl___USB_.._x"),  # é: two bytes, two _
        ("", "/media/isoloir-sdb1"),
        ("a" * 100, "/media/isoloir-" + "a" * 64),
    ],
    ids=["unsafe", "none", "long"],
)
def test_the_label_becomes_a_safe_folder_name(tmp_path: Path, label: str, where: str) -> None:
    done = mount(tmp_path, "vfat", label=label)
    assert done.returncode == 0, done.stderr
    assert done.command("systemd-mount")[-1] == where


def test_a_label_already_mounted_gets_the_devices_name(tmp_path: Path) -> None:
    done = mount(tmp_path, "vfat", label="KEY", mountpoints="/media/isoloir-KEY")
    assert done.command("systemd-mount")[-1] == "/media/isoloir-KEY-sdb1"


def test_other_file_systems_and_mounted_devices_are_left_alone(tmp_path: Path) -> None:
    ntfs = mount(tmp_path, "ntfs", label="WIN")
    assert ntfs.returncode == 1
    assert "'ntfs' is not FAT, exFAT or ext4" in ntfs.stderr
    assert not [call for call in ntfs.calls if call[0] == "systemd-mount"]
    again = mount(tmp_path, "vfat", mounted="/dev/sdb1")
    assert again.returncode == 0
    assert "mounted already" in again.stderr
    assert not [call for call in again.calls if call[0] == "systemd-mount"]
