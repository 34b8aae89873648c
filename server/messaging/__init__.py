"""Réassort delivery: the server sends a kiosk's réassort token by SMTP or an SMS gateway.

docs/server.md, "Réassort delivery". ``settings`` reads the relays' configuration (secrets from
the environment), ``senders`` hands one message to SMTP, an SMS HTTP gateway or a demo folder,
``desk`` applies the rules (destination on the roll, rate limits shared through the database),
and ``routes`` is ``POST /v1/messages``. The kiosk issues the token and keeps its rules (single
use, expiry, lockout) and sends no text nor address: the server composes the message from the
fixed templates to the roll's address. It never stores a message, a token or an address.

This ``__init__`` imports nothing, so that ``server.settings`` can import ``settings`` alone.
"""
