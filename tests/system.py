"""A test that needs a system part (PostgreSQL, Chromium, CUPS, poppler) it cannot find.

Run alone, such a test is skipped with the reason. Under ``make test`` (and so in CI), which
installs every Debian package the suite needs, ``ISOLOIR_REQUIRE_SYSTEM=1`` turns that skip
into a failure: a renamed binary or a missing package must not quietly skip half the suite.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_VARIABLE = "ISOLOIR_REQUIRE_SYSTEM"


def required() -> bool:
    return os.environ.get(REQUIRE_VARIABLE) == "1"


def unavailable(reason: str) -> NoReturn:
    """Skip the test for ``reason``, or fail it when the run requires every system part."""
    if required():
        pytest.fail(f"{reason} ({REQUIRE_VARIABLE}=1: make bootstrap installs it)")
    pytest.skip(reason)
