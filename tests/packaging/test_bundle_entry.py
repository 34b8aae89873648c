"""The kiosk bundle's executable (packaging/bundle/entry.py) and ``isoloir kiosk``: the core
starts Qt programs as ``sys.executable -m MODULE``, which in the bundle is the bundle itself, so
the entry must run every such module; and the system programs the bundle starts must not get
the bundle's library path. The built bundle itself runs in ``make package-smoke``."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import itertools
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Final

import pytest

import kiosk
from kiosk.cli.kiosk import window_argv

ENTRY: Final = Path(__file__).resolve().parents[2] / "packaging" / "bundle" / "entry.py"
CORE: Final = Path(kiosk.__file__).parent


@pytest.fixture(scope="module")
def entry() -> ModuleType:
    spec = importlib.util.spec_from_file_location("isoloir_bundle_entry", ENTRY)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _modules_started_with_dash_m(path: Path) -> set[str]:
    """``"-m", "NAME"`` side by side in a tuple, list or call: what the file starts."""
    started: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Tuple | ast.List):
            items = node.elts
        elif isinstance(node, ast.Call):
            items = node.args
        else:
            continue
        for first, second in itertools.pairwise(items):
            if (
                isinstance(first, ast.Constant)
                and first.value == "-m"
                and isinstance(second, ast.Constant | ast.Name)
            ):
                started.add(second.value if isinstance(second, ast.Constant) else second.id)
    return started


def test_the_entry_runs_every_module_the_core_starts_with_dash_m(entry: ModuleType) -> None:
    started: set[str] = set()
    for path in CORE.rglob("*.py"):
        started |= _modules_started_with_dash_m(path)
    # A constant's name (WINDOW_MODULE) stands for its value.
    started = {"ui" if name == "WINDOW_MODULE" else name for name in started}
    assert {"ui", "ui.tour", "kiosk"} <= started
    assert started <= set(entry.RUNNABLE), started - set(entry.RUNNABLE)


def test_every_runnable_module_has_a_main(entry: ModuleType) -> None:
    for module in entry.RUNNABLE.values():
        assert callable(importlib.import_module(module).main), module


def test_dash_m_runs_the_command_line(
    entry: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        entry.main(["-m", "kiosk", "--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"isoloir {kiosk.__version__}\n"


def test_isoloir_kiosk_opens_the_window_in_the_same_start(
    entry: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        entry.main(["kiosk", "--help"])
    assert exited.value.code == 0
    assert "--print-dir" in capsys.readouterr().out  # the window's own options


@pytest.mark.parametrize("argv", [["-m"], ["-m", "os"], ["-m", "ui.pages"]])
def test_dash_m_refuses_any_other_module(
    entry: ModuleType, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert entry.main(argv) == 2
    assert "isoloir -m: one of kiosk, ui, ui.tour" in capsys.readouterr().err


def test_children_get_the_library_path_the_bundle_started_with(
    entry: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/isoloir/_internal")
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", "/usr/local/lib")
    entry._restore_library_path()
    assert entry.os.environ["LD_LIBRARY_PATH"] == "/usr/local/lib"
    assert "LD_LIBRARY_PATH_ORIG" not in entry.os.environ
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/isoloir/_internal")
    entry._restore_library_path()
    assert "LD_LIBRARY_PATH" not in entry.os.environ


def test_isoloir_kiosk_becomes_the_window_with_its_options() -> None:
    assert window_argv(["--config", "/etc/isoloir/kiosk.toml"], python="/opt/py") == [
        "/opt/py", "-m", "ui", "--config", "/etc/isoloir/kiosk.toml",
    ]  # fmt: skip
    shown = subprocess.run(
        [sys.executable, "-m", "kiosk", "kiosk", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    for option in ("--config", "--store", "--key-file", "--printer", "--print-dir"):
        assert option in shown.stdout
