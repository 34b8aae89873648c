"""The kiosk's session script (packaging/kiosk/isoloir-kiosk-session): the unit's main process,
which must exit with the window's status so that ``RestartPreventExitStatus=`` sees the
administrator's quit, although Debian 12's cage (0.1.4) exits 0 whatever its application did.
The cage here is a stand-in that behaves as that one: it runs its application and exits 0 (the
same check with the real cage 0.1.4, headless, is in docs/deployment.md)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Final

import pytest

SESSION: Final = Path(__file__).resolve().parents[2] / "packaging/kiosk/isoloir-kiosk-session"
# cage 0.1.4: `cage -d -- APP [ARG...]` runs APP and exits 0, whatever APP's status.
CAGE_0_1_4: Final = '#!/bin/sh\n[ "$1" = -d ] && [ "$2" = -- ] || exit 9\nshift 2\n"$@"\nexit 0\n'
# A cage that cannot start (no screen, no Xwayland): it never runs its application.
CAGE_FAILING: Final = "#!/bin/sh\nexit 1\n"


def session(
    tmp_path: Path, cage: str, *window: str, runtime: bool = True
) -> subprocess.CompletedProcess[str]:
    stand_in = tmp_path / "cage"
    stand_in.write_text(cage)
    stand_in.chmod(0o755)
    runtime_dir = tmp_path / "run"
    runtime_dir.mkdir(exist_ok=True)
    env = {"PATH": os.environ["PATH"], "ISOLOIR_CAGE": str(stand_in)}
    if runtime:
        env["RUNTIME_DIRECTORY"] = str(runtime_dir)
    return subprocess.run(
        [str(SESSION), *window], capture_output=True, text=True, check=False, timeout=30, env=env
    )


@pytest.mark.parametrize("status", [0, 3, 64])
def test_the_session_exits_with_the_windows_status(tmp_path: Path, status: int) -> None:
    ended = session(tmp_path, CAGE_0_1_4, "sh", "-c", f"exit {status}")
    assert ended.returncode == status, ended.stderr


def test_the_window_gets_its_arguments_whole(tmp_path: Path) -> None:
    seen = tmp_path / "argv"
    ended = session(
        tmp_path, CAGE_0_1_4, "sh", "-c", 'printf "%s\\n" "$@" > "$0"', str(seen), "a b", "--x"
    )
    assert ended.returncode == 0, ended.stderr
    assert seen.read_text().splitlines() == ["a b", "--x"]


def test_a_cage_that_never_ran_the_window_gives_its_own_status(tmp_path: Path) -> None:
    # A quit of an earlier session left its status behind: it is not this session's.
    (tmp_path / "run").mkdir()
    (tmp_path / "run/window-status").write_text("64\n")
    ended = session(tmp_path, CAGE_FAILING, "sh", "-c", "exit 64")
    assert ended.returncode == 1  # restarted by the unit, not taken for a quit


def test_the_session_needs_the_units_runtime_folder(tmp_path: Path) -> None:
    ended = session(tmp_path, CAGE_0_1_4, "true", runtime=False)
    assert ended.returncode != 0
    assert "RuntimeDirectory=" in ended.stderr
