"""The public bulletin board's web page and its lookups (docs/server.md, "Public board page").

``board_page_router(package, database, clock)`` is mounted by ``server.app.create_app``. The
package reads the board tables itself, read-only (``board_view``), decodes uploaded receipts off
the event loop (``receipt_scan``) and checks them as ``isoloir verify receipt`` does
(``receipt_check``); the page's words are in ``texts``, its files in ``static/`` and
``templates/``.
"""

from server.web.router import board_page_router

__all__ = ["board_page_router"]
