"""Shared pytest set-up: Hypothesis profiles (``ISOLOIR_SOAK=1`` runs the long fuzz)."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("isoloir", deadline=None)
settings.register_profile("soak", deadline=None, max_examples=5_000)
settings.load_profile("soak" if os.environ.get("ISOLOIR_SOAK") == "1" else "isoloir")
