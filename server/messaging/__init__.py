"""Réassort delivery: the server relays a kiosk's token message by SMTP or an SMS gateway.

docs/server.md, "Réassort delivery". ``settings`` reads the relays' configuration (secrets from
the environment), ``senders`` hands one message to SMTP, an SMS HTTP gateway or a demo folder,
``desk`` applies the rules (destination on the roll, rate limits shared through the database),
and ``routes`` is ``POST /v1/messages``. The kiosk composes the message and keeps the token's
rules (single use, expiry, lockout); the server never stores a message, a token or an address.

This ``__init__`` imports nothing, so that ``server.settings`` can import ``settings`` alone.
"""
