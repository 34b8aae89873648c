"""A fault proxy for the sync tests: an HTTP-aware TCP proxy on loopback between the kiosk's
client and a real uvicorn server, which spoils requests by a seeded schedule.

Faults, one drawn per request (``Schedule``):

- ``pass``: forwarded, answered;
- ``drop``: never forwarded; the client's connection is closed;
- ``duplicate``: forwarded twice (the second is a replayed nonce, refused); the client gets the
  first or the second answer;
- ``reorder``: held back and forwarded only after the next request (of any kiosk) was answered,
  so the server sees the two in the other order; the client's connection is closed;
- ``cut_request``: the server gets the headers and part of the body, then the connection closes;
- ``cut_response``: forwarded and answered; the client gets part of the answer's body;
- ``lose_response``: forwarded and answered (committed); the client gets nothing;
- ``delay``: forwarded only once the client gave up waiting (its timeout), then answered to no
  one: the server commits after the client's failure;
- ``kill``: forwarded; as soon as the answer starts (the server has committed) the server
  process is killed with SIGKILL and started again on the same database; the client gets nothing.

``KillableServer`` runs the server as ``python -m tests.faults serve`` in a subprocess on a
listening socket that this process keeps open, so connections made while it restarts wait in the
backlog; its clock is the wall clock moved by a fixed offset (``OffsetClock``), so that a test
runs inside the package's voting window and the kiosks sign with the same time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Final

import httpx

IO_TIMEOUT: Final = 30.0  # any one socket operation; a hung test fails instead of hanging
_HEADER_END: Final = b"\r\n\r\n"


class Fault(StrEnum):
    PASS = "pass"
    DROP = "drop"
    DUPLICATE = "duplicate"
    REORDER = "reorder"
    CUT_REQUEST = "cut_request"
    CUT_RESPONSE = "cut_response"
    LOSE_RESPONSE = "lose_response"
    DELAY = "delay"
    KILL = "kill"


DEFAULT_WEIGHTS: Final = {
    Fault.PASS: 50,
    Fault.DROP: 8,
    Fault.DUPLICATE: 8,
    Fault.REORDER: 8,
    Fault.CUT_REQUEST: 8,
    Fault.CUT_RESPONSE: 8,
    Fault.LOSE_RESPONSE: 8,
    Fault.DELAY: 2,
    Fault.KILL: 0,
}


@dataclass
class Schedule:
    """The faults to apply, one per request in arrival order, drawn from a seeded generator; the
    same seed and the same requests give the same run. ``seen`` records what was applied."""

    seed: int
    weights: dict[Fault, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    max_kills: int = 1
    script: list[Fault] | None = None  # these faults in this order, then ``pass``: no drawing
    seen: list[Fault] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def next(self) -> Fault:
        if self.script is not None:
            fault = self.script.pop(0) if self.script else Fault.PASS
            self.seen.append(fault)
            return fault
        faults = [f for f, w in self.weights.items() if w > 0]
        if self.seen.count(Fault.KILL) >= self.max_kills and Fault.KILL in faults:
            faults.remove(Fault.KILL)
        fault = self._rng.choices(faults, [self.weights[f] for f in faults])[0]
        self.seen.append(fault)
        return fault

    def coin(self) -> bool:
        return self._rng.random() < 0.5

    def fraction(self) -> float:
        return self._rng.uniform(0.1, 0.9)


class OffsetClock:
    """The wall clock moved by ``offset``: real time passes, inside the election's window."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    @classmethod
    def at(cls, instant: datetime) -> OffsetClock:
        return cls(instant - datetime.now(UTC))

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


# ---- HTTP/1.1 framing (what the kiosk's client and uvicorn send: Content-Length bodies) -----


@dataclass(frozen=True)
class Message:
    head: bytes  # the start line and headers, with the blank line
    body: bytes

    @property
    def raw(self) -> bytes:
        return self.head + self.body


def read_message(sock: socket.socket, buffered: bytearray) -> Message | None:
    """One request or response from ``sock`` (``buffered``: bytes read past the previous one);
    None when the peer closed before a whole message."""
    while _HEADER_END not in buffered:
        chunk = _recv(sock)
        if not chunk:
            return None
        buffered += chunk
    end = buffered.index(_HEADER_END) + len(_HEADER_END)
    head = bytes(buffered[:end])
    length = _content_length(head)
    while len(buffered) < end + length:
        chunk = _recv(sock)
        if not chunk:
            return None
        buffered += chunk
    body = bytes(buffered[end : end + length])
    del buffered[: end + length]
    return Message(head, body)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"transfer-encoding":
            raise AssertionError("the fault proxy handles Content-Length bodies only")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _send(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):
        sock.sendall(data)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


# ---- the proxy --------------------------------------------------------------------------------


class FaultProxy:
    """Listens on 127.0.0.1 and forwards each request to ``upstream()`` (host, port) on a
    connection of its own, applying ``schedule`` (None: pass everything). Requests are handled
    one at a time, in arrival order. ``kill``: kills the server and starts it again (returns
    when it serves), needed for ``Fault.KILL``."""

    def __init__(
        self,
        upstream: Callable[[], tuple[str, int]],
        *,
        kill: Callable[[], None] | None = None,
    ) -> None:
        self._upstream = upstream
        self._kill = kill
        self.schedule: Schedule | None = None
        self._deferred: list[Message] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._clients: list[socket.socket] = []
        self._stopped = False
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._acceptor.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopped = True
        _close(self._listener)
        self._acceptor.join(timeout=10)
        for client in list(self._clients):
            _close(client)

    def flush(self) -> None:
        """Forward what ``reorder`` still holds back (the end of a schedule)."""
        with self._lock:
            self._flush_deferred()

    # ---- plumbing ----

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            client.settimeout(IO_TIMEOUT)
            self._clients.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        buffered = bytearray()
        try:
            while True:
                request = read_message(client, buffered)
                if request is None:
                    return
                with self._lock:
                    keep = self._handle(client, request)
                if not keep:
                    return
        finally:
            _close(client)
            with contextlib.suppress(ValueError):
                self._clients.remove(client)

    def _handle(self, client: socket.socket, request: Message) -> bool:
        """Apply the next fault to ``request``; whether the client's connection stays open."""
        schedule = self.schedule
        fault = Fault.PASS if schedule is None else schedule.next()
        match fault:
            case Fault.PASS:
                response = self._forward(request)
                if response is None:
                    return False
                _send(client, response.raw)
                self._flush_deferred()
                return True
            case Fault.DROP:
                return False
            case Fault.DUPLICATE:
                assert schedule is not None
                first, second = self._forward(request), self._forward(request)
                chosen = first if schedule.coin() else second
                if chosen is not None:
                    _send(client, chosen.raw)
                return chosen is not None
            case Fault.REORDER:
                self._deferred.append(request)
                return False
            case Fault.CUT_REQUEST:
                assert schedule is not None
                self._forward_part(request, schedule.fraction())
                return False
            case Fault.CUT_RESPONSE:
                assert schedule is not None
                response = self._forward(request)
                if response is not None:
                    cut = int(len(response.body) * schedule.fraction())
                    _send(client, response.head + response.body[:cut])
                return False
            case Fault.LOSE_RESPONSE:
                self._forward(request)
                return False
            case Fault.DELAY:
                # Wait (bounded) for the client to give up: it times out and closes.
                with contextlib.suppress(OSError):
                    while client.recv(65536):
                        pass
                self._forward(request)
                return False
            case Fault.KILL:
                assert self._kill is not None, "Fault.KILL needs a server that can be killed"
                self._forward(request, then=self._kill)
                return False

    def _flush_deferred(self) -> None:
        held, self._deferred = self._deferred, []
        for request in held:
            self._forward(request)

    def _connect(self) -> socket.socket:
        upstream = socket.create_connection(self._upstream(), timeout=IO_TIMEOUT)
        upstream.settimeout(IO_TIMEOUT)
        return upstream

    def _forward(
        self, request: Message, *, then: Callable[[], None] | None = None
    ) -> Message | None:
        """Send ``request`` on a new connection and read the whole answer. ``then``: called as
        soon as the answer's first bytes arrive (the server has committed), answer dropped."""
        upstream = self._connect()
        try:
            upstream.sendall(request.raw)
            if then is not None:
                first = _recv(upstream)
                assert first, "the server closed without answering"
                then()
                return None
            return read_message(upstream, bytearray())
        finally:
            _close(upstream)

    def _forward_part(self, request: Message, fraction: float) -> None:
        upstream = self._connect()
        try:
            upstream.sendall(request.head + request.body[: int(len(request.body) * fraction)])
        finally:
            _close(upstream)


# ---- a server that can be killed --------------------------------------------------------------


class KillableServer:
    """``python -m tests.faults serve`` on a listening socket this process owns: the port never
    changes, and ``kill_and_restart`` (SIGKILL, then a new process on the same database) returns
    once the new process answers ``/health``."""

    def __init__(self, database_url: str, package: Path, clock: OffsetClock, log: Path) -> None:
        """``log``: where the server processes write their stderr (appended)."""
        self._database_url = database_url
        self._log = log
        self._package = package
        self._clock = clock
        self._socket = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.kills = 0
        self._process: subprocess.Popen[bytes] | None = None

    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def __enter__(self) -> KillableServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
        self._socket.close()

    def start(self) -> None:
        assert self._process is None
        fd = self._socket.fileno()
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tests.faults", "serve", "--fd", str(fd),
                 "--db", self._database_url, "--package", str(self._package),
                 "--offset", str(self._clock.offset.total_seconds())],
                pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
        self._wait_ready()

    def _wait_ready(self) -> None:
        """One request that waits in the backlog until the new process serves it."""
        assert self._process is not None
        with httpx.Client(timeout=60.0, trust_env=False) as http:
            try:
                response = http.get(f"{self.url}/health")
            except httpx.TransportError:
                response = None
        if response is None or response.status_code != 200:
            self.stop()
            raise AssertionError(f"the server did not start; see {self._log}")

    def kill_and_restart(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(timeout=30)
        self._process = None
        self.kills += 1
        self.start()

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._process = None


def _serve(argv: Sequence[str]) -> None:
    import uvicorn

    from server.app import create_app
    from server.settings import ServerSettings

    parser = argparse.ArgumentParser(prog="python -m tests.faults serve")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--package", type=Path, required=True)
    parser.add_argument("--offset", type=float, required=True)
    args = parser.parse_args(argv)
    listening = socket.socket(fileno=args.fd)
    clock = OffsetClock(timedelta(seconds=args.offset))
    app = create_app(ServerSettings(database_url=args.db, package=args.package), clock)
    config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[listening])


if __name__ == "__main__":
    if sys.argv[1:2] != ["serve"]:
        raise SystemExit("usage: python -m tests.faults serve --fd N --db URL --package P ...")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    _serve(sys.argv[2:])
