"""Helpers shared by the subcommands: errors, secret input, output."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

PASSPHRASE_ENV = "ISOLOIR_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret


class CliError(Exception):
    """A refusal to report on stderr with an exit code; the message never holds a secret."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def read_passphrase(prompt: str, *, confirm: bool = False) -> str:
    """From ``ISOLOIR_PASSPHRASE``, else asked on the terminal; never echoed or logged."""
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env is not None:
        if not from_env:
            raise CliError(f"{PASSPHRASE_ENV} is set but empty", exit_code=2)
        return from_env
    if not sys.stdin.isatty():
        raise CliError(
            f"no passphrase: set {PASSPHRASE_ENV}, give --key-file, or run on a terminal",
            exit_code=2,
        )
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != first:
        raise CliError("the two passphrases differ", exit_code=2)
    if not first:
        raise CliError("empty passphrase", exit_code=2)
    return first


def existing_path(text: str) -> Path:
    """An argparse ``type``: argparse turns the error into a usage message and exit code 2."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{path}: no such file or folder")
    return path
