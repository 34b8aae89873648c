"""Verifiable-ballot cryptography (docs/protocol.md): a few verbs over private primitives."""
