"""Pinning the server's TLS certificate by its SHA-256 fingerprint (docs/server.md, "TLS").

An election server often has a self-signed certificate, or one no kiosk could check offline;
what the kiosk trusts is the exact certificate whose fingerprint the administrator gave it. The
pinned context skips the CA chain and host name checks and, right after the handshake and before
a single byte of the request is sent, compares the SHA-256 of the server's certificate (DER)
with the pin, closing the connection on a mismatch.

The fingerprint is the one ``openssl x509 -noout -fingerprint -sha256 -in cert.pem`` prints and
``isoloir server fingerprint --tls-cert cert.pem`` shows.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import ssl
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

FINGERPRINT_BYTES: Final = 32
_HEX_PAIRS: Final = re.compile(r"[0-9a-f]{64}")


class PinMismatchError(ssl.SSLCertVerificationError):
    """The server's certificate is not the pinned one."""


def parse_fingerprint(text: str) -> bytes:
    """64 hex digits, with or without colons, any case; ``ValueError`` otherwise."""
    compact = text.strip().replace(":", "").lower()
    if not _HEX_PAIRS.fullmatch(compact):
        raise ValueError("a certificate fingerprint is 32 bytes in hex (AB:CD:... or abcd...)")
    return bytes.fromhex(compact)


def format_fingerprint(digest: bytes) -> str:
    """``AB:CD:...``, the way openssl prints it."""
    return ":".join(f"{byte:02X}" for byte in digest)


def certificate_fingerprint(certificate: bytes) -> bytes:
    """SHA-256 of a certificate's DER form, from PEM (its first certificate) or DER bytes."""
    try:
        loaded = (
            x509.load_pem_x509_certificate(certificate)
            if certificate.lstrip().startswith(b"-----BEGIN")
            else x509.load_der_x509_certificate(certificate)
        )
    except ValueError:
        raise ValueError("not an X.509 certificate (PEM or DER)") from None
    return hashlib.sha256(loaded.public_bytes(Encoding.DER)).digest()


def pinned_context(fingerprint: bytes) -> ssl.SSLContext:
    """A client context that accepts exactly the certificate with this SHA-256 fingerprint."""
    if len(fingerprint) != FINGERPRINT_BYTES:
        raise ValueError("a certificate fingerprint is 32 bytes")

    class PinnedSocket(ssl.SSLSocket):
        def do_handshake(self, block: bool = False) -> None:
            super().do_handshake(block)
            der = self.getpeercert(binary_form=True)
            seen = hashlib.sha256(der).digest() if der else b""
            if not hmac.compare_digest(seen, fingerprint):
                raise PinMismatchError(
                    "the server's TLS certificate is not the pinned one "
                    f"(it presented {format_fingerprint(seen) if seen else 'none'})"
                )

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # The pin replaces the CA chain and the host name: both are checked by the fingerprint.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.sslsocket_class = PinnedSocket
    return context
