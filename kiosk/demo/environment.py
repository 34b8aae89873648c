"""The environment the demo's child processes get: the demo's own, without its secrets.

``isoloir demo`` runs the local server and the kiosk window (or the tour) as child processes; an
operator may have exported PINs, passphrases or tokens for other ``isoloir`` commands in the same
shell, and a child that inherits them could log them or hand them to its own children. None of
the demo's children needs any: the server reads its database and package from its command line,
and the kiosk its store key from the key file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# Any variable whose name holds one of these is a secret (ISOLOIR_STORE_PASSPHRASE,
# ISOLOIR_ENROLLMENT_TOKEN, ISOLOIR_SERVER_SMTP_PASSWORD, a CI's GITHUB_TOKEN...).
_SECRET_MARKERS: Final = ("PASSPHRASE", "PASSWORD", "TOKEN", "SECRET")
# PIN alone is too short a marker for every name (SPINNER): only Isoloir's own are dropped.
_ISOLOIR_PIN_PREFIX: Final = "ISOLOIR_"
_PIN_MARKER: Final = "PIN"


def is_secret_variable(name: str) -> bool:
    """Whether the environment variable ``name`` may hold a secret a demo child must not get."""
    upper = name.upper()
    if upper.startswith(_ISOLOIR_PIN_PREFIX) and _PIN_MARKER in upper:
        return True
    return any(marker in upper for marker in _SECRET_MARKERS)


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without its secret variables (``is_secret_variable``)."""
    return {name: value for name, value in environ.items() if not is_secret_variable(name)}
