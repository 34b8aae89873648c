"""The admin console's views: the operator's login dialog and the console over the kiosk window
(docs/admin-console.md). Every rule, permission and record lives in ``kiosk.admin``; these only
show what it answers and send what the operator asked, on the console's own ``CoreWorker``
(the window's ``admin_worker``, never the voters').

The kiosk window imports only ``ui.admin.login`` at start; the console and the core's admin
modules load at the first sign-in (``DeferredAdmin``), off the kiosk's cold start.
"""

from datetime import timedelta
from typing import Final

CONSOLE_IDLE: Final = timedelta(minutes=3)
"""Untouched this long, the console logs out: an operator who walked away leaves no console open
to the next voter."""
