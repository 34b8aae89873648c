"""PySide6 views of the kiosk: pages, widgets, the kiosk window and the admin console.

Views only: every rule, SQL statement and cryptographic step lives in ``kiosk``.
"""
