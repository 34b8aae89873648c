"""The demo's central server on this machine, and the ``isoloir server`` commands it needs.

``LocalServer.start`` runs ``isoloir server run`` (SQLite, plain HTTP on the loopback port the
sealed package names, réassort messages into the demo's mailbox) as a child process, and waits,
within a deadline, until its ``/health`` answers with the package's fingerprint; ``stop`` ends
it with SIGINT, uvicorn's graceful shutdown. The other server steps (an enrollment token, a
bundle import, the record export) run the ``isoloir server`` commands as the server's operator
would, each in a child process: the kiosk core never imports the server
(tests/unit/test_server_boundary.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import httpx

from kiosk.demo.layout import DemoKiosk
from kiosk.election.model import CentralServer, KioskId

HEALTH_PATH: Final = "/health"
OUTBOX_VARIABLE: Final = "ISOLOIR_SERVER_OUTBOX"  # the server's file mailbox (docs/server.md)
START_DEADLINE_S: Final = 60.0  # a loaded machine imports FastAPI slowly; it is a bound only
STOP_DEADLINE_S: Final = 20.0  # uvicorn's graceful shutdown takes at most 10 s
_POLL_S: Final = 0.05
_LOG_TAIL_LINES: Final = 8


class LocalServerError(Exception):
    """The local server could not start, answer or do what the demo asked of it."""


def free_loopback_port() -> int:
    """A TCP port nothing listens on now, on 127.0.0.1 (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def loopback_server(port: int) -> CentralServer:
    """The ``server`` of a demo package: plain HTTP on loopback, nothing to pin
    (docs/election-package.md, "Central server")."""
    return CentralServer(url=f"http://127.0.0.1:{port}", tls_certificate_sha256=None)


def isoloir(*arguments: str, python: str = sys.executable) -> list[str]:
    """The command line of ``isoloir ARGUMENTS`` with this interpreter."""
    return [python, "-m", "kiosk", *arguments]


class LocalServer:
    """``isoloir server run`` as a child process; a context manager that stops it."""

    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self._process = process
        self._log = log

    def __repr__(self) -> str:
        return f"LocalServer({self.url!r}, pid={self._process.pid})"

    @classmethod
    def start(
        cls,
        layout: DemoKiosk,
        signed: CentralServer,
        fingerprint: str,
        *,
        deadline: float = START_DEADLINE_S,
        python: str = sys.executable,
    ) -> LocalServer:
        """Start the server of ``layout`` on the address the package signs, and return once
        its ``/health`` answers with ``fingerprint``; ``LocalServerError`` otherwise."""
        address = urlsplit(signed.url)
        if address.scheme != "http" or address.hostname is None or address.port is None:
            raise LocalServerError(f"{signed.url}: the demo serves plain http:// on loopback only")
        argv = isoloir(
            "server",
            "run",
            "--db",
            layout.database_url,
            "--package",
            str(layout.package),
            "--host",
            address.hostname,
            "--port",
            str(address.port),
            python=python,
        )
        layout.mailbox.mkdir(exist_ok=True)
        # Réassort messages the kiosk asks the server to send land in the demo's mailbox.
        env = {**os.environ, OUTBOX_VARIABLE: str(layout.mailbox.resolve())}
        with layout.server_log.open("ab") as log:
            try:
                process = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
                )
            except OSError as exc:
                raise LocalServerError(f"cannot start {argv[0]}: {exc.strerror}") from None
        server = cls(signed.url, process, layout.server_log)
        try:
            server._wait_healthy(fingerprint, deadline)
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_healthy(self, fingerprint: str, deadline: float) -> None:
        give_up = time.monotonic() + deadline
        with httpx.Client(base_url=self.url, timeout=2.0, trust_env=False) as http:
            while True:
                if self._process.poll() is not None:
                    raise LocalServerError(
                        f"the local server stopped at start (exit status "
                        f"{self._process.returncode}); {self._log} says:\n{self._log_tail()}"
                    )
                try:
                    answer: httpx.Response | None = http.get(HEALTH_PATH)
                except httpx.TransportError:
                    answer = None  # not listening yet
                if answer is not None and answer.status_code == 200:
                    served = answer.json().get("fingerprint")
                    if served != fingerprint:
                        raise LocalServerError(
                            f"{self.url} serves another package ({served}): is another "
                            "server on that port?"
                        )
                    return
                if time.monotonic() > give_up:
                    raise LocalServerError(
                        f"the local server did not answer {self.url}{HEALTH_PATH} within "
                        f"{deadline:.0f} s; see {self._log}"
                    )
                # The wait between two polls also notices the child's exit at once.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._process.wait(timeout=_POLL_S)

    def _log_tail(self) -> str:
        try:
            lines = self._log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-_LOG_TAIL_LINES:])

    def stop(self, deadline: float = STOP_DEADLINE_S) -> int:
        """Stop the server as Ctrl-C does (graceful), killing it past ``deadline``; its exit
        status."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=deadline)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        return self._process.returncode

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


# ---- the server operator's commands ----------------------------------------------------------


def _server_command(*arguments: str, python: str = sys.executable) -> str:
    argv = isoloir("server", *arguments, python=python)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise LocalServerError(f"cannot start {argv[0]}: {exc.strerror}") from None
    if done.returncode != 0:
        raise LocalServerError(
            f"isoloir server {arguments[0]} failed (exit status {done.returncode}): "
            f"{done.stderr.strip()}"
        )
    return done.stdout


def enrollment_token(layout: DemoKiosk, kiosk_id: KioskId) -> str:
    """A one-time enrollment token for ``kiosk_id`` (``isoloir server enroll-token``)."""
    printed = _server_command(
        "enroll-token", "--db", layout.database_url, "--kiosk-id", kiosk_id, "--ttl", "1h"
    )
    lines = printed.strip().splitlines()
    if not lines:
        raise LocalServerError("isoloir server enroll-token printed no token")
    return lines[-1].strip()  # the command prints the token last, on its own line


def import_bundle(layout: DemoKiosk, bundle: Path) -> str:
    """``isoloir server import-bundle``: what it printed (counts only)."""
    return _server_command(
        "import-bundle", str(bundle), "--db", layout.database_url, "--package", str(layout.package)
    )


def export_record(layout: DemoKiosk, out: Path) -> str:
    """``isoloir server export-record`` into ``out`` (a new folder): what it printed."""
    return _server_command(
        "export-record",
        "--db",
        layout.database_url,
        "--package",
        str(layout.package),
        "--out",
        str(out),
    )
