"""The demo's central server on this machine, and the ``isoloir server`` commands it needs.

``LocalServer.start`` runs ``isoloir server run`` (SQLite, plain HTTP on the loopback port the
sealed package names, réassort messages into the demo's mailbox) as a child process, and waits,
within a deadline, until its ``/health`` answers with the package's fingerprint; ``stop`` ends
it with SIGINT, uvicorn's graceful shutdown, then kills whatever is left of its process group.

The server must not outlive the demo, or it keeps the port and the SQLite file: it runs in a
session of its own (a terminal's Ctrl-C or a CI's kill of the demo's group does not reach it
half-way; the demo stops it), Linux sends it SIGTERM when the demo dies, even of SIGKILL
(``PR_SET_PDEATHSIG``), and ``stop`` also runs at the demo's exit (``atexit``). Its workers are
its own children: it stops them on SIGTERM, and ``stop`` kills any it left.

The port is signed into the package when the demo is made, so another program may take it
before the server starts: ``start`` checks it first and says which port is taken and how to
make a demo on another one. The other server steps (an enrollment token, a
bundle import, the record export) run the ``isoloir server`` commands as the server's operator
would, each in a child process: the kiosk core never imports the server
(tests/unit/test_server_boundary.py).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Final, NoReturn
from urllib.parse import urlsplit

import httpx

from kiosk.demo.environment import child_environment
from kiosk.demo.layout import DemoKiosk
from kiosk.election.model import CentralServer, KioskId

HEALTH_PATH: Final = "/health"
OUTBOX_VARIABLE: Final = "ISOLOIR_SERVER_OUTBOX"  # the server's file mailbox (docs/server.md)
START_DEADLINE_S: Final = 60.0  # a loaded machine imports FastAPI slowly; it is a bound only
STOP_DEADLINE_S: Final = 20.0  # uvicorn's graceful shutdown takes at most 10 s
_POLL_S: Final = 0.05
_LOG_TAIL_LINES: Final = 8
_PR_SET_PDEATHSIG: Final = 1  # <linux/prctl.h>
# Looked up before any fork: between fork and exec the child only calls it.
_PRCTL: Final = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


class LocalServerError(Exception):
    """The local server could not start, answer or do what the demo asked of it."""


def free_loopback_port() -> int:
    """A TCP port nothing listens on now, on 127.0.0.1 (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _port_taken(host: str, port: int) -> bool:
    """Whether a program listens on ``host:port`` now (a port in TIME_WAIT is free to a
    server, which binds with SO_REUSEADDR as this probe does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise LocalServerError(f"cannot use {host}:{port}: {exc.strerror}") from None
        return False


def _port_taken_error(host: str, port: int) -> LocalServerError:
    return LocalServerError(
        f"{host}:{port}, the port the demo's package names for its server, is taken by another "
        "program: stop that program, or make a new demo on another port (isoloir demo setup "
        "NEW_DIR --port N; a scripted election picks a free port each run)"
    )


def _dies_with(parent: int) -> Callable[[], None]:
    """What the server child runs between fork and exec: SIGTERM when ``parent`` dies. Linux
    sends it when the parent *thread* that started the child ends: ``LocalServer.start`` runs
    in the demo's main thread."""

    def arm() -> None:
        if _PRCTL is not None:
            _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm


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
        if _port_taken(address.hostname, address.port):
            raise _port_taken_error(address.hostname, address.port)
        layout.mailbox.mkdir(exist_ok=True)
        # Réassort messages the kiosk asks the server to send land in the demo's mailbox.
        env = {**child_environment(os.environ), OUTBOX_VARIABLE: str(layout.mailbox.resolve())}
        with layout.server_log.open("ab") as log:
            try:
                process = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                    preexec_fn=_dies_with(os.getpid()),
                )
            except OSError as exc:
                raise LocalServerError(f"cannot start {argv[0]}: {exc.strerror}") from None
        server = cls(signed.url, process, layout.server_log)
        atexit.register(server.stop)
        try:
            server._wait_healthy(fingerprint, deadline)
        except LocalServerError:
            server.stop()
            # Taken between the check and the bind: say so rather than quote uvicorn's log.
            if _port_taken(address.hostname, address.port):
                raise _port_taken_error(address.hostname, address.port) from None
            raise
        except BaseException:
            server.stop()
            raise
        return server

    @property
    def pid(self) -> int:
        """The server's process id, which is also its process group's."""
        return self._process.pid

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
                    served = _served_fingerprint(answer)
                    if served is None:
                        raise LocalServerError(
                            f"{self.url}{HEALTH_PATH} answered something that is not an "
                            "Isoloir server's health report: is another program on that port?"
                        )
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
        """Stop the server as Ctrl-C does (graceful), killing its process group past
        ``deadline``, and any worker it left; its exit status."""
        atexit.unregister(self.stop)
        if self._process.poll() is None:
            # To the server only: it stops its workers itself, gracefully.
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=deadline)
            except subprocess.TimeoutExpired:
                self._kill_group()
                self._process.wait()
        # A worker that outlived the server would keep the port: its group is the server's pid
        # (start_new_session), which Linux does not reuse while a member of that group lives.
        self._kill_group()
        return self._process.returncode

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _served_fingerprint(answer: httpx.Response) -> str | None:
    """The fingerprint a ``/health`` answer names; None unless it is an Isoloir health
    report (another program on the port may answer anything)."""
    try:
        report = answer.json()
    except ValueError:  # not JSON, or not UTF-8
        return None
    if not isinstance(report, dict):
        return None
    fingerprint = report.get("fingerprint")
    return fingerprint if isinstance(fingerprint, str) else None


@contextlib.contextmanager
def sigterm_exits() -> Iterator[None]:
    """Within: SIGTERM (a CI's timeout, a service manager) ends the demo as Ctrl-C does,
    through the ``finally`` blocks that stop its local server and its kiosk child, rather than
    at once, when the server would only get the parent-death signal."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set a handler; the parent-death signal still holds
        return

    def exit_as_terminated(signum: int, frame: FrameType | None) -> NoReturn:
        raise SystemExit(128 + signum)  # the shell's status for "killed by signum"

    previous = signal.signal(signal.SIGTERM, exit_as_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# ---- the server operator's commands ----------------------------------------------------------


def _server_command(*arguments: str, python: str = sys.executable) -> str:
    argv = isoloir("server", *arguments, python=python)
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, check=False, env=child_environment(os.environ)
        )
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
