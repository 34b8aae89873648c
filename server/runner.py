"""Running the server under uvicorn: ``isoloir server run`` (docs/server.md, "Running").

One worker serves the app built here. Several workers (PostgreSQL only: SQLite is one process's
database) are separate processes that each build the app from the environment
(``server.app:app_from_environment``); the parent builds it once first, so that a bad package or
database is reported before any worker starts, and gives the workers a folder where they write
their metrics for ``/metrics`` to add up.

The parent runs the workers itself rather than through uvicorn's ``--workers``: it binds one
listening socket per worker on the same port with ``SO_REUSEPORT``, so that Linux spreads new
connections over the workers (with one shared socket, the first worker to wake takes a burst of
connections, and kiosks keep theirs open), and it creates them with ``IPPROTO_TCP`` spelt out,
without which asyncio leaves Nagle's algorithm on for the connections they accept (about 40 ms on
every request of a kept-alive connection; uvicorn issue #3149).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Final

from fastapi import FastAPI

from kiosk.clock import SystemClock
from kiosk.sync.tls import certificate_fingerprint, format_fingerprint
from server.app import ServerState, create_app, server_state
from server.log import ServerEvent, log_event
from server.metrics import MULTIPROCESS_ENV
from server.settings import ENV_LOG_LEVEL, ServerSettings
from server.storage.database import Backend, parse_database_url

if TYPE_CHECKING:
    import uvicorn

MAX_WORKERS: Final = 64
GRACEFUL_SHUTDOWN_S: Final = 10

logger = logging.getLogger(__name__)


class RunError(ValueError):
    """Options that cannot run a server; the message names the option."""


@dataclass(frozen=True)
class RunOptions:
    host: str = "127.0.0.1"
    port: int = 8443
    tls_cert: Path | None = None
    tls_key: Path | None = None
    workers: int = 1
    log_level: str = "INFO"


def tls_fingerprint(options: RunOptions, settings: ServerSettings) -> str | None:
    """Check the options; the TLS certificate's fingerprint (for the kiosks), if TLS is on."""
    if (options.tls_cert is None) != (options.tls_key is None):
        raise RunError("give --tls-cert and --tls-key together")
    if not 1 <= options.workers <= MAX_WORKERS:
        raise RunError(f"--workers: between 1 and {MAX_WORKERS}")
    if not 0 < options.port < 65536:
        raise RunError("--port: between 1 and 65535")
    backend = parse_database_url(settings.database_url).backend
    if options.workers > 1 and backend is Backend.SQLITE:
        raise RunError("SQLite serves one process: run one worker, or use PostgreSQL for several")
    if options.tls_cert is None or options.tls_key is None:
        return None
    try:
        certificate = options.tls_cert.read_bytes()
        options.tls_key.read_bytes()
    except OSError as exc:
        raise RunError(f"{exc.filename}: cannot read ({exc.strerror})") from None
    try:
        return format_fingerprint(certificate_fingerprint(certificate))
    except ValueError as exc:
        raise RunError(f"{options.tls_cert}: {exc}") from None


def run(
    settings: ServerSettings,
    options: RunOptions,
    *,
    announce: Callable[[ServerState, str | None], None] | None = None,
) -> None:
    """Serve until interrupted. Raises ``RunError``, ``PackageError`` or ``DatabaseError`` when
    the server cannot start. ``announce`` hears about the app (and the TLS certificate's
    fingerprint) once it is built, before the socket opens."""
    fingerprint = tls_fingerprint(options, settings)
    log_event(
        logger,
        ServerEvent.SERVER_RUN,
        disposition="starting",
        host=options.host,
        port=options.port,
        tls=fingerprint is not None,
        workers=options.workers,
    )
    app = create_app(settings, SystemClock())
    if announce is not None:
        announce(server_state(app), fingerprint)
    if options.workers == 1:
        _serve(app, options)
        return
    server_state(app).database.close()  # the parent only checked; the workers serve
    metrics_dir = tempfile.mkdtemp(prefix="isoloir-metrics-")
    saved = {name: os.environ.get(name) for name in (*settings.to_environment(), ENV_LOG_LEVEL)}
    os.environ.update(settings.to_environment())
    os.environ[ENV_LOG_LEVEL] = options.log_level
    os.environ[MULTIPROCESS_ENV] = metrics_dir
    try:
        _serve_workers(options)
    finally:
        os.environ.pop(MULTIPROCESS_ENV, None)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _config(app: FastAPI | str, options: RunOptions) -> uvicorn.Config:
    import uvicorn

    return uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        factory=isinstance(app, str),
        ssl_certfile=options.tls_cert,
        ssl_keyfile=options.tls_key,
        log_level=options.log_level.lower(),
        # No access log: a line per request would put a looked-up tracking code (in the path or
        # the query) beside the client's address. The metrics count requests by route instead.
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        server_header=False,
    )


def _serve(app: FastAPI, options: RunOptions) -> None:
    import uvicorn

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn re-raises it once stopped
        uvicorn.Server(_config(app, options)).run()


def _listening_socket(options: RunOptions) -> socket.socket:
    """One worker's socket: ``SO_REUSEPORT``, so that every worker has its own on the port and
    Linux balances connections over them; ``IPPROTO_TCP``, so that asyncio sets TCP_NODELAY on
    the connections it accepts."""
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((options.host, options.port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise RunError(f"--host/--port {options.host}:{options.port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def _worker(config: uvicorn.Config, sock: socket.socket) -> None:
    """A worker process (spawned): serve the app from the environment on its own socket."""
    import uvicorn

    config.configure_logging()
    with contextlib.suppress(KeyboardInterrupt):  # the parent stops the worker too
        uvicorn.Server(config).run(sockets=[sock])


def _serve_workers(options: RunOptions) -> None:
    """Run ``options.workers`` worker processes, each on its own socket, until SIGINT or SIGTERM;
    then stop them gracefully (SIGTERM) and wait. A worker that dies meanwhile is restarted."""
    multiprocessing.allow_connection_pickling()
    spawn = multiprocessing.get_context("spawn")
    config = _config("server.app:app_from_environment", options)
    sockets: list[socket.socket] = []
    try:
        for _ in range(options.workers):
            sockets.append(_listening_socket(options))
        stop = threading.Event()

        def handle(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        processes = [spawn.Process(target=_worker, args=(config, sock)) for sock in sockets]
        try:
            for process in processes:
                process.start()
            while not stop.wait(0.5):
                for index, process in enumerate(processes):
                    if not process.is_alive() and not stop.is_set():
                        logger.warning("worker %s exited (%s): restarting it", process.pid,
                                       process.exitcode)  # fmt: skip
                        processes[index] = spawn.Process(
                            target=_worker, args=(config, sockets[index])
                        )
                        processes[index].start()
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()  # SIGTERM: uvicorn's graceful shutdown
            for process in processes:
                process.join(GRACEFUL_SHUTDOWN_S + 5)
                if process.is_alive():
                    process.kill()
                    process.join()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    finally:
        for sock in sockets:
            sock.close()
