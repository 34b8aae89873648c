"""Removable media: an offline kiosk's sealed envelopes in one signed bundle file.

``codec`` is the format (built by the kiosk, parsed and checked by the server, no store and no
server code); ``export`` writes a kiosk store's outbox to a bundle (``isoloir admin export``).
The server's side is ``server/bundles.py`` (``isoloir server import-bundle``); the format and
the rules are in docs/server.md, "Removable media".
"""
