"""Real relays on loopback for the réassort delivery tests: an SMTP server (aiosmtpd) and a tiny
SMS HTTP gateway (http.server), each in a thread of the test process.

Both bind and listen before their thread starts, so a first connection waits in the backlog and
readiness needs no sleep. Each records what it received for the test to read once the server's
answer is back (the relay answers only after recording).
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes  # the message as it crossed the wire
    starttls: bool  # the session was upgraded by STARTTLS
    login: str | None  # the user who authenticated, if any


@dataclass
class Inbox:
    """The SMTP server's handler: accepts everything unless ``refuse_with`` is set."""

    received: list[Received] = field(default_factory=list)
    refuse_with: str | None = None  # e.g. "550 5.1.1 <x@y> unknown": refuses each recipient

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.refuse_with is not None:
            return self.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        login = session.auth_data.login.decode() if session.authenticated else None
        self.received.append(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=tuple(envelope.rcpt_tos),
                content=bytes(content),
                starttls=session.ssl is not None,
                login=login,
            )
        )
        return "250 Message accepted"


class Credentials:
    """An aiosmtpd authenticator accepting one user and password."""

    def __init__(self, user: str, password: str) -> None:
        self._user, self._password = user.encode(), password.encode()
        self.attempts = 0

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        self.attempts += 1
        ok = (
            isinstance(data, LoginPassword)
            and data.login == self._user
            and data.password == self._password
        )
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


def server_tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class SmtpServerThread:
    """aiosmtpd's SMTP protocol served on 127.0.0.1 by an event loop in a thread.

    ``starttls``: offer STARTTLS with this context and require it before MAIL; ``implicit_tls``:
    TLS from the first byte; ``credentials``: offer AUTH (LOGIN, PLAIN) for that user.
    """

    def __init__(
        self,
        inbox: Inbox,
        *,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        self.inbox = inbox
        self._starttls = starttls
        self._implicit_tls = implicit_tls
        self._credentials = credentials
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self.port: int = self._socket.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _protocol(self) -> SMTP:
        return SMTP(
            self.inbox,
            hostname="localhost",
            tls_context=self._starttls,
            require_starttls=self._starttls is not None,
            authenticator=self._credentials,
            auth_require_tls=False,  # the plain-SMTP login test runs on loopback
            loop=self._loop,
        )

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            self._loop.create_server(self._protocol, sock=self._socket, ssl=self._implicit_tls)
        )
        try:
            self._loop.run_forever()
        finally:
            server.close()
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

    def __enter__(self) -> SmtpServerThread:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=15)
        assert not self._thread.is_alive(), "the SMTP server did not stop"


@dataclass(frozen=True)
class GatewayRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class SmsGateway:
    """An SMS HTTP gateway as docs/server.md describes it: ``POST`` JSON with a bearer token,
    answers ``status`` (202 by default) with a small JSON body. Records every request."""

    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.requests: list[GatewayRequest] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                gateway.requests.append(
                    GatewayRequest(
                        "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                answer = json.dumps({"status": "queued" if gateway.status < 300 else "error"})
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer.encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass  # a test gateway keeps quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1/sms"
        # A short poll: shutdown() waits for serve_forever to notice it.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> SmsGateway:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=15)


class ClosedPort:
    """A loopback port bound but not listening: a connection to it is refused at once."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]

    def __enter__(self) -> ClosedPort:
        return self

    def __exit__(self, *_: object) -> None:
        self._socket.close()
