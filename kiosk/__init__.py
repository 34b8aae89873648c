"""Isoloir core: every rule, all crypto, storage, sync and the command line.

Nothing under ``kiosk`` imports Qt or ``ui``; ``tests/unit/test_layering.py`` proves it.
"""

__version__ = "0.1.0"
