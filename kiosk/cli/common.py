"""Helpers shared by the subcommands: errors, secret input, output."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from enum import Enum
from pathlib import Path


class Secret(Enum):
    """Each secret has its own environment variable, so one never stands in for another."""

    STORE = "ISOLOIR_STORE_PASSPHRASE"
    ORGANIZER_KEY = "ISOLOIR_ORGANIZER_PASSPHRASE"
    TRUSTEE = "ISOLOIR_TRUSTEE_PASSPHRASE"


class CliError(Exception):
    """A refusal to report on stderr with an exit code; the message never holds a secret."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def read_passphrase(secret: Secret, prompt: str, *, confirm: bool = False) -> str:
    """From the secret's environment variable, else asked on the terminal; never echoed."""
    variable = secret.value
    from_env = os.environ.get(variable)
    if from_env is not None:
        if not from_env:
            raise CliError(f"{variable} is set but empty", exit_code=2)
        return from_env
    if not sys.stdin.isatty():
        raise CliError(f"no passphrase: set {variable} or run on a terminal", exit_code=2)
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


def board_head_hex(text: str) -> bytes:
    """An argparse ``type``: a board head as published, 128 hex digits (§15.2)."""
    digits = text.strip().lower()
    if len(digits) != 128 or any(c not in "0123456789abcdef" for c in digits):
        raise argparse.ArgumentTypeError("a board head is 128 hexadecimal digits")
    return bytes.fromhex(digits)
