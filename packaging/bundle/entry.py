"""The kiosk bundle's one executable, ``isoloir``: the command line, and the window.

``isoloir ARGS`` is the ``isoloir`` command (kiosk/cli). The core starts the Qt programs as
``sys.executable -m MODULE`` (``isoloir kiosk`` runs ``-m ui``, ``isoloir demo kiosk`` runs
``-m ui`` or ``-m ui.tour``, and the demo's local server ``-m kiosk server run``), and in a
bundle ``sys.executable`` is this executable: so it also takes ``-m MODULE ARGS`` for those
modules, as Python would. The server's workers are spawned processes (server/runner.py):
``freeze_support`` turns such a start into the worker.

PyInstaller points ``LD_LIBRARY_PATH`` at the bundle's own libraries; the programs the kiosk
starts (``xvfb-run``, CUPS's ``lp``) are the system's and must find the system's libraries, so
the variable is put back as it was before the bundle started.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
from collections.abc import Sequence

# The modules the core starts with ``-m``, each with a ``main(argv) -> int``.
RUNNABLE = {"kiosk": "kiosk.cli", "ui": "ui.__main__", "ui.tour": "ui.tour"}


def _restore_library_path() -> None:
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is not None:
        os.environ["LD_LIBRARY_PATH"] = original
    else:
        os.environ.pop("LD_LIBRARY_PATH", None)


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["kiosk"]:
        # What kiosk/cli/kiosk.py would exec (`-m ui`), without starting the bundle twice: the
        # kiosk's cold start counts (bench/kiosk.py, 2 s).
        argv = ["-m", "ui", *argv[1:]]
    if len(argv) >= 1 and argv[0] == "-m":
        if len(argv) < 2 or argv[1] not in RUNNABLE:
            print(f"isoloir -m: one of {', '.join(sorted(RUNNABLE))}", file=sys.stderr)
            return 2
        module = importlib.import_module(RUNNABLE[argv[1]])
        sys.argv = [f"isoloir -m {argv[1]}", *argv[2:]]
        result: int = module.main(argv[2:])
        return result
    from kiosk.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    _restore_library_path()
    sys.exit(main(sys.argv[1:]))
