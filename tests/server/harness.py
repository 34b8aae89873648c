"""What the server tests share: an election with three kiosks, ways to reach the app (in process
through its ASGI interface, or a real uvicorn on a loopback port), a self-signed certificate,
hand-made signed requests, and row counts for "nothing was stored" checks."""

from __future__ import annotations

import datetime
import ipaddress
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

import anyio.from_thread
import httpx
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID
from fastapi import FastAPI

from kiosk.election import package, signing
from kiosk.election.model import ElectionPackage, KioskId, KioskKey
from kiosk.sync.signing import sign_request
from server.storage.database import Database
from tests.factories import small_package

KIOSK_IDS = ("kiosk-01", "kiosk-02", "kiosk-03")
TABLES = ("kiosk", "enrollment_token", "request_nonce")


@dataclass(frozen=True)
class Election:
    folder: Path  # the signed package, as a folder
    package: ElectionPackage
    organizer_key: Ed25519PrivateKey
    kiosk_keys: Mapping[str, Ed25519PrivateKey]
    outsider_key: Ed25519PrivateKey  # a key no package lists

    @property
    def election_id(self) -> str:
        return self.package.manifest.election_id


def make_election(folder: Path) -> Election:
    organizer = signing.generate()
    keys = {kiosk_id: signing.generate() for kiosk_id in KIOSK_IDS}
    base = small_package(organizer, kiosk_key=keys[KIOSK_IDS[0]])
    kiosks = tuple(
        KioskKey(KioskId(kiosk_id), signing.public_bytes(key), f"Bureau {n}")
        for n, (kiosk_id, key) in enumerate(keys.items(), start=1)
    )
    signed = package.resign(base, replace(base.manifest, kiosks=kiosks), organizer)
    package.write(signed, folder)
    return Election(folder, signed, organizer, keys, signing.generate())


class PortalTransport(httpx.BaseTransport):
    """A synchronous httpx transport into the ASGI app, on an event loop in another thread:
    the kiosk's synchronous client talks to the app in process, with the test's clock."""

    def __init__(self, app: FastAPI, portal: anyio.from_thread.BlockingPortal) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def forward() -> httpx.Response:
            response = await self._inner.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        return self._portal.call(forward)


def listening_socket() -> socket.socket:
    """A socket listening on a free loopback port (``getsockname()[1]``)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    return listener


class ServerThread:
    """A real uvicorn serving ``app`` on 127.0.0.1, in a thread of this process (so the test's
    ManualClock is the server's). The socket listens before the thread starts: the first request
    waits in the backlog instead of failing, so readiness needs no sleep."""

    def __init__(
        self,
        app: FastAPI,
        *,
        certfile: Path | None = None,
        keyfile: Path | None = None,
        listener: socket.socket | None = None,
    ) -> None:
        """``listener``: a socket already listening (``listening_socket()``), when the URL must
        be known before the app, e.g. for a package that names its server."""
        self._socket = listener or listening_socket()
        self.port: int = self._socket.getsockname()[1]
        scheme = "https" if certfile else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> ServerThread:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()
        assert not self._thread.is_alive(), "uvicorn did not stop"


def wait_for_health(url: str, *, verify: object = True, attempts: int = 50) -> httpx.Response:
    """Poll ``/health`` a bounded number of times (each attempt waits for an answer)."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            with httpx.Client(verify=verify, timeout=5.0, trust_env=False) as client:
                response = client.get(f"{url}/health")
            if response.status_code == 200:
                return response
        except httpx.TransportError as exc:
            last = exc
    raise AssertionError(f"the server at {url} never became healthy: {last!r}")


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path
    fingerprint: bytes  # SHA-256 of the DER certificate


def self_signed_certificate(folder: Path, name: str = "server") -> Certificate:
    """A P-256 certificate for 127.0.0.1 and localhost, valid around today."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"isoloir test {name}")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_path, key_path, certificate.fingerprint(hashes.SHA256()))


def signed_headers(
    key: Ed25519PrivateKey,
    *,
    election_id: str,
    kiosk_id: str,
    timestamp: int,
    method: str = "GET",
    target: str = "/v1/kiosks/me",
    body: bytes = b"",
    nonce: bytes | None = None,
) -> dict[str, str]:
    return sign_request(
        key,
        election_id=election_id,
        kiosk_id=kiosk_id,
        method=method,
        target=target,
        body=body,
        timestamp=timestamp,
        nonce=nonce,
    ).headers()


def row_counts(database: Database) -> dict[str, int]:
    """Rows per identity table, and spent tokens: equal before and after means nothing stored."""
    counts: dict[str, int] = {}
    with database.transaction() as tx:
        for table in TABLES:
            row = tx.query_one(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed names
            counts[table] = int(row[0] or 0) if row else 0
        used = tx.query_one("SELECT COUNT(*) FROM enrollment_token WHERE used_at IS NOT NULL")
        counts["tokens_used"] = int(used[0] or 0) if used else 0
    return counts


class ServerProcess:
    """``isoloir server run ...`` in a subprocess, its output read by a thread. Readiness is
    event-driven: wait for uvicorn's "Application startup complete" (once per worker), then poll
    ``/health`` a bounded number of times. ``stop`` sends SIGINT, as an operator's Ctrl-C."""

    def __init__(self, args: list[str], *, workers: int = 1) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self._workers = workers
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "--log-level", "INFO", "server", "run", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self._lines.put(line)

    def wait_started(self, timeout: float = 60.0) -> None:
        started = 0
        deadline = time.monotonic() + timeout
        while started < self._workers:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.process.poll() is not None:
                raise AssertionError("the server did not start:\n" + "".join(self.output))
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            started += "Application startup complete" in line

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
