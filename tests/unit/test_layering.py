"""The core never imports Qt or ui, and every kiosk module imports with PySide6 absent."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import kiosk

KIOSK_DIR = Path(kiosk.__file__).parent
FORBIDDEN = ("PySide6", "shiboken6", "ui")


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module":
            roots.update(
                arg.value.split(".")[0]
                for arg in node.args
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            )
    return roots


def test_no_kiosk_module_names_qt_or_ui() -> None:
    offenders = {
        str(path.relative_to(KIOSK_DIR)): sorted(_imported_roots(path) & set(FORBIDDEN))
        for path in KIOSK_DIR.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_scan_would_catch_a_qt_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from PySide6.QtCore import QTimer\n")
    assert "PySide6" in _imported_roots(bad)


def all_kiosk_modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages([str(KIOSK_DIR)], prefix="kiosk.")
        if not info.name.endswith("__main__")
    )


BLOCKER = """
import importlib, importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {forbidden!r}:
            raise ImportError('blocked for the test: ' + name)
sys.meta_path.insert(0, Block())
for name in {modules!r}:
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})
assert not leaked, leaked
print('imported', len({modules!r}))
"""


def test_every_kiosk_module_imports_without_pyside6() -> None:
    modules = all_kiosk_modules()
    assert "kiosk.election.package" in modules
    code = BLOCKER.format(forbidden=FORBIDDEN, modules=modules)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert f"imported {len(modules)}" in result.stdout
