"""Hand one réassort message to a relay: SMTP, an SMS HTTP gateway, or the demo's folder.

Each sender's ``send`` returns None once the relay has accepted the message, or a
``DeliveryFailure`` for an expected failure: ``UNREACHABLE`` when trying again later may work (no
connection, timeout, TLS failure, an SMTP 4xx reply, a gateway's 429/502/503/504), ``REJECTED``
when the relay said no (an SMTP 5xx reply, a refused login, any other gateway status). A failure
carries a short ``reason`` (``smtp_550``, ``gateway_500``, ``timeout``) and a detail fit for an
operator: never the address, the text, the token, the password, nor the relay's own reply text
(an SMTP reply often quotes the address). Nothing here logs; the desk logs the outcome.

The e-mail is plain text, with the token's QR code as a PNG attachment when the kiosk sent the
token for it (``kiosk.voting.token_qr``, the same image the kiosk's ``FileMailbox`` attaches).
"""

from __future__ import annotations

import email.utils
import os
import secrets
import smtplib
import socket
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path
from typing import Final, Protocol

import httpx

from kiosk import __version__
from kiosk.encoding import JsonValue, canonical_json
from kiosk.voting.model import Channel
from kiosk.voting.reassort import QR_ATTACHMENT_NAME, OutgoingMessage
from kiosk.voting.token_qr import token_qr_png
from server.messaging.settings import SmsGatewaySettings, SmtpSecurity, SmtpSettings

DEMO_SENDER: Final = "no-reply@isoloir.invalid"
_GATEWAY_TRANSIENT: Final = frozenset({429, 502, 503, 504})


class FailureKind(StrEnum):
    UNREACHABLE = "unreachable"  # trying again later may work: 503 delivery_unavailable
    REJECTED = "rejected"  # the relay said no: 502 delivery_failed


@dataclass(frozen=True)
class DeliveryFailure:
    kind: FailureKind
    reason: str  # short and stable: logs and the answer's detail
    detail: str  # for an operator; no address, text, token or secret


class Sender(Protocol):
    """One relay. ``send`` blocks (the app runs it in a worker thread) for at most a few of the
    relay's timeouts."""

    @property
    def backend(self) -> str: ...

    def send(self, message: OutgoingMessage) -> DeliveryFailure | None: ...


def compose_email(message: OutgoingMessage, sender: str) -> EmailMessage:
    """The e-mail for ``message``: its text first, then the token's QR code when it has one."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail["Date"] = email.utils.format_datetime(message.sent_at)
    mail["Message-ID"] = email.utils.make_msgid(domain=sender.rpartition("@")[2])
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    mail.set_content(message.body)
    if message.qr_token is not None:
        mail.add_attachment(
            token_qr_png(message.qr_token),
            maintype="image",
            subtype="png",
            filename=QR_ATTACHMENT_NAME,
        )
    return mail


def sms_payload(message: OutgoingMessage, sender: str | None, message_id: str) -> JsonValue:
    """The JSON an SMS gateway receives (docs/server.md, "SMS gateway contract")."""
    payload: dict[str, JsonValue] = {
        "to": message.to,
        "text": message.body,
        "message_id": message_id,
    }
    if sender is not None:
        payload["sender"] = sender
    return payload


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Certificate and host name checked, against ``ca_file`` or the system's authorities."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file is not None else None)


class SmtpSender:
    """Submits each e-mail to one SMTP server: STARTTLS (587), TLS (465) or plain (a relay on
    this machine), with a login when a user is set. One connection per message: messages are
    rare, and a connection kept open would only go stale."""

    backend: Final = "smtp"

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings
        self._context = (
            tls_context(settings.ca_file) if settings.security is not SmtpSecurity.NONE else None
        )
        self._local_hostname = socket.getfqdn()  # once: it may ask DNS

    def __repr__(self) -> str:
        return f"SmtpSender({self._settings.host}:{self._settings.effective_port})"

    def send(self, message: OutgoingMessage) -> DeliveryFailure | None:
        mail = compose_email(message, self._settings.sender)
        try:
            self._submit(mail)
        except smtplib.SMTPAuthenticationError as exc:
            return _rejected(f"smtp_{exc.smtp_code}", "the SMTP server refused the login")
        except smtplib.SMTPNotSupportedError:
            return _rejected(
                "smtp_unsupported", "the SMTP server does not offer STARTTLS or AUTH as set"
            )
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            return _smtp_reply(codes[0] if codes else 550, "refused the recipient")
        except smtplib.SMTPResponseException as exc:
            return _smtp_reply(exc.smtp_code, "refused the message")
        except smtplib.SMTPServerDisconnected:
            return _unreachable("smtp_disconnected", "the SMTP server closed the connection")
        except smtplib.SMTPException as exc:
            return _rejected("smtp_error", f"SMTP failed ({type(exc).__name__})")
        except ssl.SSLError:
            return _unreachable("tls", "the TLS handshake with the SMTP server failed")
        except TimeoutError:
            return _unreachable("timeout", "the SMTP server did not answer in time")
        except ConnectionRefusedError:
            return _unreachable("connection_refused", "the SMTP server refused the connection")
        except OSError as exc:
            return _unreachable("network", f"cannot reach the SMTP server ({type(exc).__name__})")
        return None

    def _submit(self, mail: EmailMessage) -> None:
        settings = self._settings
        host, port = settings.host.strip("[]"), settings.effective_port
        client: smtplib.SMTP
        if settings.security is SmtpSecurity.SSL:
            client = smtplib.SMTP_SSL(
                host,
                port,
                local_hostname=self._local_hostname,
                timeout=settings.timeout,
                context=self._context,
            )
        else:
            client = smtplib.SMTP(
                host, port, local_hostname=self._local_hostname, timeout=settings.timeout
            )
        with client:
            if settings.security is SmtpSecurity.STARTTLS:
                client.ehlo()
                client.starttls(context=self._context)
                client.ehlo()
            if settings.user is not None and settings.password is not None:
                client.login(settings.user, settings.password)
            client.send_message(mail)


class SmsGatewaySender:
    """POSTs each SMS as JSON to the gateway's URL with its bearer token; any 2xx answer means
    the gateway took it (docs/server.md, "SMS gateway contract"). No redirect is followed: the
    token goes to the configured URL only."""

    backend: Final = "sms_gateway"

    def __init__(self, settings: SmsGatewaySettings) -> None:
        self._settings = settings
        self._verify: ssl.SSLContext | bool = (
            tls_context(settings.ca_file) if settings.ca_file is not None else True
        )

    def __repr__(self) -> str:
        return f"SmsGatewaySender({self._settings!r})"

    def send(self, message: OutgoingMessage) -> DeliveryFailure | None:
        settings = self._settings
        body = canonical_json(sms_payload(message, settings.sender, secrets.token_hex(16)))
        headers = {
            "Authorization": f"Bearer {settings.token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"isoloir-server/{__version__}",
        }
        try:
            with httpx.Client(
                timeout=httpx.Timeout(settings.timeout),
                verify=self._verify,
                trust_env=False,  # no proxy from the environment: the token goes where it is set
                follow_redirects=False,
            ) as client:
                response = client.post(settings.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return _unreachable("timeout", "the SMS gateway did not answer in time")
        except httpx.ConnectError as exc:
            if _caused_by(exc, ssl.SSLError):
                return _unreachable("tls", "the TLS handshake with the SMS gateway failed")
            return _unreachable("connection_refused", "cannot connect to the SMS gateway")
        except httpx.TransportError as exc:
            return _unreachable(
                "network", f"the SMS gateway connection failed ({type(exc).__name__})"
            )
        status = response.status_code
        if 200 <= status < 300:
            return None
        reason = f"gateway_{status}"
        if status in _GATEWAY_TRANSIENT:
            return _unreachable(reason, f"the SMS gateway answered HTTP {status}: try again later")
        return _rejected(reason, f"the SMS gateway refused the message (HTTP {status})")


class DirectoryOutbox:
    """The demo's relay: each message becomes one file in ``folder``, an ``.eml`` for an e-mail
    (exactly what SMTP would carry) and a ``.json`` for an SMS (what the gateway would get).

    A file appears complete or not at all (written aside, then renamed) and is readable by its
    owner only: it holds a token. Like the kiosk's ``FileMailbox``, for a demo, not an election.
    """

    backend: Final = "outbox"

    def __init__(
        self, folder: Path, sender: str = DEMO_SENDER, sms_sender: str | None = None
    ) -> None:
        self._folder = Path(folder)
        self._sender = sender
        self._sms_sender = sms_sender

    def __repr__(self) -> str:
        return f"DirectoryOutbox({str(self._folder)!r})"

    @property
    def folder(self) -> Path:
        return self._folder

    def send(self, message: OutgoingMessage) -> DeliveryFailure | None:
        if message.channel is Channel.EMAIL:
            data, suffix = bytes(compose_email(message, self._sender)), "eml"
        else:
            payload = sms_payload(message, self._sms_sender, secrets.token_hex(16))
            data, suffix = canonical_json(payload), "json"
        stamp = message.sent_at.strftime("%Y%m%dT%H%M%S")
        name = f"{stamp}-{secrets.token_hex(4)}-{message.channel.value}.{suffix}"
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            descriptor, partial = tempfile.mkstemp(prefix=".sending-", dir=self._folder)
            try:
                with os.fdopen(descriptor, "wb") as out:
                    out.write(data)
                os.replace(partial, self._folder / name)
            except BaseException:
                Path(partial).unlink(missing_ok=True)
                raise
        except OSError as exc:
            return _unreachable("outbox", f"cannot write to the outbox ({type(exc).__name__})")
        return None

    def messages(self) -> list[Path]:
        """Delivered files, oldest first."""
        if not self._folder.is_dir():
            return []
        return sorted(p for p in self._folder.iterdir() if not p.name.startswith("."))


def _smtp_reply(code: int, what: str) -> DeliveryFailure:
    if 400 <= code < 500:
        return _unreachable(f"smtp_{code}", f"the SMTP server {what} for now ({code})")
    return _rejected(f"smtp_{code}", f"the SMTP server {what} ({code})")


def _unreachable(reason: str, detail: str) -> DeliveryFailure:
    return DeliveryFailure(FailureKind.UNREACHABLE, reason, detail)


def _rejected(reason: str, detail: str) -> DeliveryFailure:
    return DeliveryFailure(FailureKind.REJECTED, reason, detail)


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, kind):
            return True
        cause = cause.__cause__ or cause.__context__
    return False
