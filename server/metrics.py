"""Prometheus metrics at ``GET /metrics`` (docs/server.md, "Metrics").

Counters and histograms live in a registry of the app's own (tests build many apps in one
process). Figures read from the database (enrolled kiosks, whether it answers) are computed at
scrape time by ``_StateCollector``, so every worker reports the same. With several uvicorn workers
(``PROMETHEUS_MULTIPROC_DIR`` set by ``isoloir server run``), counters are written to that folder
by each worker and the scrape sums them: the answer is the server's, not one worker's.

Labels are bounded: ``route`` is the route's template (``/v1/kiosks/me``), never the raw path, and
``unmatched`` for any path that matches no route; refusals are counted by error code.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kiosk import __version__
from kiosk.election.model import ElectionPackage
from server.storage import kiosks
from server.storage.database import Database, DatabaseError

CONTENT_TYPE: Final = CONTENT_TYPE_PLAIN_0_0_4
MULTIPROCESS_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED: Final = "unmatched"
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ServerMetrics:
    def __init__(self, database: Database, package: ElectionPackage) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "isoloir_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "isoloir_http_request_duration_seconds",
            "Time to answer a request, by method and route template",
            ["method", "route"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "isoloir_refusals",
            "Requests refused, by error code (docs/server.md, Errors)",
            ["code"],
            registry=self.registry,
        )
        self._state = _StateCollector(database, package)
        self.registry.register(self._state)

    def render(self) -> bytes:
        if os.environ.get(MULTIPROCESS_ENV):
            merged = CollectorRegistry()
            MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            merged.register(self._state)
            return generate_latest(merged)
        return generate_latest(self.registry)


class _StateCollector(Collector):
    def __init__(self, database: Database, package: ElectionPackage) -> None:
        self._database = database
        self._package = package

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "isoloir_server_info",
            "This server: program version, election and package fingerprint",
            labels=["version", "election_id", "fingerprint", "backend"],
        )
        info.add_metric(
            [
                __version__,
                self._package.manifest.election_id,
                self._package.fingerprint,
                self._database.backend.value,
            ],
            1,
        )
        yield info
        up = GaugeMetricFamily("isoloir_database_up", "1 when the database answered this scrape")
        kiosk_gauge = GaugeMetricFamily(
            "isoloir_kiosks_enrolled", "Kiosks enrolled, by status", labels=["status"]
        )
        try:
            with self._database.transaction() as tx:
                counts = kiosks.count_kiosks(tx)
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for status, count in counts.items():
            kiosk_gauge.add_metric([status.value], count)
        yield kiosk_gauge
        listed = GaugeMetricFamily("isoloir_kiosks_in_package", "Kiosks the package lists")
        listed.add_metric([], len(self._package.manifest.kiosks))
        yield listed


class RequestMetricsMiddleware:
    """Counts every answer by its route template and status, and times it (pure ASGI)."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        status = 500  # if the app raises before answering
        started = time.perf_counter()

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"] if scope["method"] in _METHODS else "other"
            self._metrics.requests.labels(method, route, str(status)).inc()
            self._metrics.duration.labels(method, route).observe(time.perf_counter() - started)
