"""How a server failure reads in a message: one wording for the CLI, the console and the demo."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.sync.client import ServerFailure


def describe_failure(failure: ServerFailure) -> str:
    """``kind [code]: detail``: the server's own words (never a secret: it sends none)."""
    code = f" [{failure.code}]" if failure.code else ""
    return f"{failure.kind.value}{code}: {failure.detail}"
