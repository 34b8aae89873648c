"""The admin console's core, Qt-free (docs/store.md, "Polls" and "Operators").

``AdminConsole`` (kiosk/admin/console.py) is the one façade the Qt console (ui/admin/) and
``isoloir admin ...`` (kiosk/cli/admin.py) call: an operator signs in with a name and a PIN
(``Operators``), and every action checks the operator's role (``roles.PERMISSIONS``).
Modules are imported directly (``from kiosk.admin.console import AdminConsole``): this package
imports nothing itself, so that each module loads only what it needs.
"""
