"""Which server a kiosk may talk to: the one its signed election package names
(docs/election-package.md, "Central server"; docs/server.md, "TLS and pinning").

The package carries the server's URL and its certificate's SHA-256, signed by the organizer.
A URL or pin from the command line or the configuration may only repeat them: a kiosk is never
pointed at another server, nor made to trust another certificate, than the organizer signed.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from kiosk.election.model import CentralServer
from kiosk.sync.tls import format_fingerprint, parse_fingerprint


class EndpointError(ValueError):
    """A server option that contradicts the package, or a package that names no server."""


@dataclass(frozen=True)
class ServerEndpoint:
    """What ``ServerClient`` is built with: the signed URL and pin."""

    url: str
    pin: bytes | None  # None only for the http:// loopback server of a demo or test


def package_endpoint(
    signed: CentralServer | None, url: str | None = None, pin: str | None = None
) -> ServerEndpoint:
    """The package's server; ``url`` and ``pin`` (from an operator), when given, must be its.

    ``signed`` None is an offline election: no server at all (removable media only).
    """
    if signed is None:
        raise EndpointError(
            "the election package names no central server: this is an offline election, its "
            "ballots travel on removable media (isoloir admin export)"
        )
    if url is not None and url.rstrip("/") != signed.url:
        raise EndpointError(
            f"{url!r} is not the server the election package names ({signed.url}): a kiosk "
            "talks only to the server its organizer signed"
        )
    expected = signed.tls_certificate_sha256
    if pin is not None:
        given = parse_fingerprint(pin)  # ValueError (an EndpointError's base) names the format
        if expected is None:
            raise EndpointError(
                f"the election package's server {signed.url} is plain http:// on loopback: "
                "there is no certificate to pin"
            )
        if not hmac.compare_digest(given, expected):
            raise EndpointError(
                "this certificate pin is not the one the election package signs "
                f"({format_fingerprint(expected)})"
            )
    return ServerEndpoint(url=signed.url, pin=expected)
