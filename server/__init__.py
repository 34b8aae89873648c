"""Isoloir's central server: FastAPI over SQLite or PostgreSQL (docs/server.md).

It imports the kiosk's Qt-free core (``kiosk.election``, ``kiosk.crypto``, ``kiosk.encoding``,
``kiosk.clock``, ``kiosk.sync.signing``) and never ``ui`` or Qt; nothing under ``kiosk`` imports
it (``tests/unit/test_server_boundary.py``).
"""
