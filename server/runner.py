"""Running the server under uvicorn: ``isoloir server run`` (docs/server.md, "Running").

One worker serves the app built here. Several workers (PostgreSQL only: SQLite is one process's
database) are separate processes that each build the app from the environment
(``server.app:app_from_environment``); the parent builds it once first, so that a bad package or
database is reported before any worker starts, and gives the workers a folder where they write
their metrics for ``/metrics`` to add up.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from fastapi import FastAPI

from kiosk.clock import SystemClock
from kiosk.sync.tls import certificate_fingerprint, format_fingerprint
from server.app import ServerState, create_app, server_state
from server.log import ServerEvent, log_event
from server.metrics import MULTIPROCESS_ENV
from server.settings import ENV_LOG_LEVEL, ServerSettings
from server.storage.database import Backend, parse_database_url

MAX_WORKERS: Final = 64

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
        _serve("server.app:app_from_environment", options)
    finally:
        os.environ.pop(MULTIPROCESS_ENV, None)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _serve(app: FastAPI | str, options: RunOptions) -> None:
    import uvicorn

    uvicorn.run(
        app,
        host=options.host,
        port=options.port,
        workers=options.workers if isinstance(app, str) else None,
        factory=isinstance(app, str),
        ssl_certfile=options.tls_cert,
        ssl_keyfile=options.tls_key,
        log_level=options.log_level.lower(),
        # No access log: a line per request would put a looked-up tracking code (in the path or
        # the query) beside the client's address. The metrics count requests by route instead.
        access_log=False,
        timeout_graceful_shutdown=10,
        server_header=False,
    )
