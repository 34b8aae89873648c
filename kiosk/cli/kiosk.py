"""``isoloir kiosk [OPTIONS]``: the kiosk window, what a kiosk machine runs at boot.

The window is ``python -m ui`` (every OPTION is its own: ``--config``, ``--store``,
``--key-file``, ``--printer``...; ``isoloir kiosk --help`` shows them). The core never imports Qt
or ``ui`` (tests/unit/test_layering.py), so this command replaces its own process with that one
(``exec``, not a child): under systemd the window keeps the service's PID and gets its signals
itself. In the kiosk bundle, ``sys.executable`` is the bundle, which runs ``-m ui`` as Python
would (packaging/bundle/entry.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from kiosk.cli.common import CliError

WINDOW_MODULE = "ui"
QUIT_EXIT_STATUS = 64
"""The status the window (``python -m ui``, ``isoloir kiosk``) exits with after "Quitter le
poste": a deployed kiosk's systemd unit restarts the window on any other (``Restart=always``),
but not on this one (``RestartPreventExitStatus=64``, packaging/kiosk/isoloir-kiosk.service)."""


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = groups.add_parser(
        "kiosk",
        help="open the kiosk window (python -m ui; its options follow)",
        description="Opens the kiosk window full screen on the configured store. Every option "
        "after `kiosk` goes to the window: see `isoloir kiosk --help`.",
        add_help=False,  # --help is the window's, which knows its options
        prefix_chars="\0",  # nothing is an option here: all of it goes to the window
    )
    command.add_argument("window_args", nargs="*", help=argparse.SUPPRESS)
    command.set_defaults(run=_run)


def window_argv(window_args: Sequence[str], python: str = sys.executable) -> list[str]:
    """The command line that opens the window with ``window_args``."""
    return [python, "-m", WINDOW_MODULE, *window_args]


def _run(args: argparse.Namespace) -> int:
    argv = window_argv(args.window_args)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execv(argv[0], argv)  # noqa: S606  # the same interpreter, a fixed module
    except OSError as exc:
        raise CliError(f"cannot start the kiosk window ({argv[0]}): {exc.strerror}") from None
    raise AssertionError("execv returned")  # pragma: no cover  # execv replaces the process
