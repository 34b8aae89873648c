"""The verifier checks a record from public data alone: it never reaches the kiosk store, the
admin commands, or any sync or server code, however indirectly (docs/protocol.md §15.4); and
``isoloir verify record`` runs without loading the store or SQLCipher."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import kiosk

KIOSK_DIR = Path(kiosk.__file__).parent


def _module_path(name: str) -> Path | None:
    """The source file of kiosk module ``name``, or None if it is not one."""
    parts = name.split(".")
    if parts[0] != "kiosk":
        return None
    base = KIOSK_DIR.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _parents(name: str) -> list[str]:
    """Importing a.b.c runs a/__init__ and a/b/__init__ first."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _imports(name: str, path: Path) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            # "from kiosk.a import b" imports the module kiosk.a.b when there is one.
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in found if _module_path(m) is not None}


def reachable(start: str) -> dict[str, str]:
    """Every kiosk module importing ``start`` runs, each with the module that imports it."""
    seen: dict[str, str] = {start: "(start)"}
    todo = [start]
    while todo:
        name = todo.pop()
        path = _module_path(name)
        assert path is not None, name
        for imported in (*_parents(name), *_imports(name, path)):
            if imported not in seen and _module_path(imported) is not None:
                seen[imported] = name
                todo.append(imported)
    return seen


def _forbidden(name: str) -> bool:
    parts = name.split(".")
    return (
        name == "kiosk.store"
        or name.startswith("kiosk.store.")
        or name == "kiosk.cli.admin"
        or any(part in {"sync", "server"} for part in parts)
    )


def _chain(graph: dict[str, str], name: str) -> str:
    steps = [name]
    while graph[steps[-1]] != "(start)":
        steps.append(graph[steps[-1]])
    return " <- ".join(steps)


def test_the_verifier_never_reaches_store_sync_or_server_code() -> None:
    verifier_modules = sorted(
        "kiosk.verifier" + ("" if p.stem == "__init__" else f".{p.stem}")
        for p in (KIOSK_DIR / "verifier").glob("*.py")
    )
    assert "kiosk.verifier.record" in verifier_modules
    offenders = []
    for module in verifier_modules:
        graph = reachable(module)
        offenders += [_chain(graph, name) for name in graph if _forbidden(name)]
    assert offenders == []


def test_the_scan_sees_imports_inside_functions_too() -> None:
    """The static scan is conservative: the admin commands import the store lazily, inside
    their functions, and the scan still sees it behind ``kiosk.cli`` (so the verifier's
    modules must not import the command line at all)."""
    graph = reachable("kiosk.cli")
    assert "kiosk.cli.admin" in graph
    assert any(name.startswith("kiosk.store") for name in graph)
    assert "kiosk.trustee.decryption" in reachable("kiosk.verifier")


# Runs ``python -m kiosk ARGS`` in a fresh interpreter, then prints the modules it loaded.
_RUN_AND_LIST_MODULES = """
import runpy, sys
sys.argv = ["isoloir", *sys.argv[1:]]
try:
    runpy.run_module("kiosk", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
print("MODULES", *sorted(sys.modules))
"""


@pytest.mark.parametrize("help_only", [True, False], ids=["help", "empty-record"])
def test_verify_record_loads_neither_the_store_nor_sqlcipher(
    tmp_path: Path, help_only: bool
) -> None:
    """An auditor runs ``isoloir verify record`` without SQLCipher installed."""
    argv = ["verify", "record", "--help" if help_only else str(tmp_path)]
    result = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST_MODULES, *argv],
        capture_output=True, text=True, check=False, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    last = result.stdout.splitlines()[-1].split()
    assert last[0] == "MODULES"
    assert "kiosk.cli.verify" in last
    if not help_only:
        assert "kiosk.verifier.record" in last  # the checks ran (and failed: an empty folder)
    loaded = [m for m in last[1:] if m.split(".")[0] == "sqlcipher3" or m.startswith("kiosk.store")]
    assert loaded == []
