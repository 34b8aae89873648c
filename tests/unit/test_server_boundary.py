"""The server stands beside the kiosk, never inside it: importing any ``kiosk`` module (the
command line included) loads neither ``server`` nor its frameworks, only ``kiosk/cli/server.py``
names ``server`` (inside its commands), and ``server`` never reaches Qt or ``ui``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import kiosk
import server
from tests.unit.test_layering import _imported_roots, all_kiosk_modules

KIOSK_DIR = Path(kiosk.__file__).parent
SERVER_DIR = Path(server.__file__).parent
SERVER_ONLY = ("server", "fastapi", "starlette", "uvicorn", "psycopg", "prometheus_client")
QT_OR_UI = ("PySide6", "shiboken6", "ui")
LAZY_DOOR = KIOSK_DIR / "cli" / "server.py"


def _module_level_roots(path: Path) -> set[str]:
    """Roots imported when the module is imported: its top-level statements, not its functions
    (imports under ``if TYPE_CHECKING:`` never run either)."""
    roots: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                break
            if isinstance(inner, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in inner.names)
            elif isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                roots.add(inner.module.split(".")[0])
    return roots


def test_no_kiosk_module_imports_the_server_when_imported() -> None:
    offenders = {
        str(path.relative_to(KIOSK_DIR)): sorted(_module_level_roots(path) & set(SERVER_ONLY))
        for path in KIOSK_DIR.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_server_commands_name_the_server_and_only_lazily() -> None:
    naming = sorted(
        str(path.relative_to(KIOSK_DIR))
        for path in KIOSK_DIR.rglob("*.py")
        if "server" in _imported_roots(path)
    )
    assert naming == ["cli/server.py"]
    assert "server" not in _module_level_roots(LAZY_DOOR)


def test_the_server_never_names_qt_or_ui() -> None:
    offenders = {
        str(path.relative_to(SERVER_DIR)): sorted(_imported_roots(path) & set(QT_OR_UI))
        for path in SERVER_DIR.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


_IMPORT_ALL = """
import importlib, sys
for name in {modules!r}:
    importlib.import_module(name)
import kiosk.cli
kiosk.cli.parser()  # every command group registered, the server's included
leaked = sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})
assert not leaked, leaked
print('imported', len({modules!r}))
"""


def test_importing_every_kiosk_module_loads_no_server_code() -> None:
    modules = all_kiosk_modules()
    assert "kiosk.cli.server" in modules
    assert "kiosk.sync.client" in modules
    code = _IMPORT_ALL.format(modules=modules, forbidden=SERVER_ONLY)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert f"imported {len(modules)}" in result.stdout


_IMPORT_SERVER_WITHOUT_QT = """
import importlib, importlib.abc, pkgutil, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {forbidden!r}:
            raise ImportError('blocked for the test: ' + name)
sys.meta_path.insert(0, Block())
import server
names = [i.name for i in pkgutil.walk_packages(server.__path__, prefix='server.')]
for name in names:
    importlib.import_module(name)
print('imported', len(names))
"""


def test_every_server_module_imports_without_qt() -> None:
    code = _IMPORT_SERVER_WITHOUT_QT.format(forbidden=QT_OR_UI)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "imported" in result.stdout
