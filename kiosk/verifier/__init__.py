"""The independent verifier: re-checks a published election record from public data alone.

``verify_record`` runs every check of docs/protocol.md §15.4 and returns a ``Report``;
``challenge`` checks a challenged ballot's slip (§10). The verifier imports nothing from the
kiosk store, the sync or the server code (``tests/unit/test_verifier_imports.py``).
"""

from kiosk.verifier.record import CHECKS, verify_record
from kiosk.verifier.report import Check, Report

__all__ = ["CHECKS", "Check", "Report", "verify_record"]
