"""Réassort delivery through the server (docs/server.md, "Réassort delivery"), on SQLite and
PostgreSQL: a kiosk's ``ServerNotifier`` hands the message to ``POST /v1/messages``; the server
relays it to a real SMTP server (aiosmtpd) or a real HTTP SMS gateway on loopback, counts it
against limits that every app process shares through the database, and answers a clear refusal
(401, 403, 422, 429, 502, 503) when it does not send. Nothing secret reaches a log."""

from __future__ import annotations

import io
import json
import logging
import random
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import anyio.from_thread
import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from kiosk.clock import ManualClock, isoformat_utc
from kiosk.config import Language
from kiosk.election.model import ElectionId, KioskId, VoterId
from kiosk.encoding import canonical_json
from kiosk.sync.client import (
    FailureKind,
    KioskIdentity,
    MessageAccepted,
    ServerClient,
    ServerFailure,
)
from kiosk.sync.notifier import ServerNotifier
from kiosk.voting.model import Channel
from kiosk.voting.reassort import (
    QR_ATTACHMENT_NAME,
    TOKEN_TTL,
    OutgoingMessage,
    TokenNotice,
    compose_token_message,
    delivery_address,
    format_token,
    generate_token,
    token_qr_payload,
)
from kiosk.voting.token_qr import token_from_image
from server.app import create_app, server_state
from server.enrollment import issue_token
from server.log import configure
from server.messaging.settings import (
    DeliverySettings,
    RateLimit,
    SmsGatewaySettings,
    SmtpSecurity,
    SmtpSettings,
)
from server.settings import ServerSettings, SettingsError
from server.storage import message_quota as quota
from server.storage import migrate
from server.storage.database import Database
from server.storage.message_quota import QuotaScope, SlotClaim
from tests.server.harness import (
    Election,
    PortalTransport,
    self_signed_certificate,
    signed_headers,
)
from tests.server.relays import (
    ClosedPort,
    Credentials,
    Inbox,
    SmsGateway,
    SmtpServerThread,
    server_tls_context,
)

BASE_URL = "http://isoloir.test"
SENDER = "reassort@academie.example"
SUBJECT = "Réassort de votre code de vote"
TIME_ZONE = "Europe/Paris"  # the package's
SMTP_PASSWORD = "smtp-s3cret-Pa55"
GATEWAY_TOKEN = "gw-b3arer-T0ken"


# ---- the app, its kiosks and their messages -------------------------------------------------


@dataclass(frozen=True)
class Node:
    """One app process of the server: its own app and pool, the shared database."""

    app: FastAPI
    transport: PortalTransport
    database: Database


@pytest.fixture
def portal() -> Iterator[anyio.from_thread.BlockingPortal]:
    with anyio.from_thread.start_blocking_portal() as running:
        yield running


@pytest.fixture
def start_node(
    database_url: str,
    election: Election,
    clock: ManualClock,
    portal: anyio.from_thread.BlockingPortal,
) -> Iterator[Callable[[DeliverySettings], Node]]:
    """``start_node(delivery)``: an app on the test's database with these relays."""
    apps: list[FastAPI] = []

    def start(delivery: DeliverySettings) -> Node:
        settings = ServerSettings(database_url=database_url, package=election.folder)
        app = create_app(replace(settings, delivery=delivery), clock)
        apps.append(app)
        return Node(app, PortalTransport(app, portal), server_state(app).database)

    yield start
    for app in apps:
        server_state(app).database.close()


@pytest.fixture
def kiosk(election: Election, clock: ManualClock) -> Iterator[Callable[[Node, str], ServerClient]]:
    """``kiosk(node, "kiosk-01")``: that kiosk's client of ``node``, enrolled once."""
    made: list[ServerClient] = []
    enrolled: set[str] = set()

    def make(node: Node, kiosk_id: str) -> ServerClient:
        client = ServerClient(
            BASE_URL,
            election_id=ElectionId(election.election_id),
            kiosk_id=KioskId(kiosk_id),
            key=election.kiosk_keys[kiosk_id],
            clock=clock,
            package_fingerprint=election.package.fingerprint,
            transport=node.transport,
        )
        made.append(client)
        if kiosk_id not in enrolled:
            token = issue_token(node.database, kiosk_id, timedelta(hours=1), clock).token
            assert isinstance(client.enroll(token), KioskIdentity)
            enrolled.add(kiosk_id)
        return client

    yield make
    for client in made:
        client.close()


def email_of(election: Election, index: int) -> str:
    address = election.package.roll[index].personal_email
    assert address is not None
    return address


def phone_of(election: Election) -> str:
    phone = election.package.roll[0].phone
    assert phone is not None
    return phone


def new_token() -> str:
    return generate_token(random.SystemRandom())


def message(
    election: Election,
    channel: Channel,
    index: int,
    token: str,
    clock: ManualClock,
    language: Language = "fr",
) -> OutgoingMessage:
    """A réassort message as the kiosk composes it (kiosk.voting.reassort), with its notice:
    what the ``ServerNotifier`` sends of it."""
    voter = election.package.roll[index]
    address = delivery_address(voter, channel)
    assert address is not None
    notice = TokenNotice(voter.id, language, token, clock.now() + TOKEN_TTL)
    return compose_token_message(channel, address, notice, clock.now(), TIME_ZONE)


def send(client: ServerClient, outgoing: OutgoingMessage) -> MessageAccepted | ServerFailure:
    notice = outgoing.notice
    assert notice is not None
    return client.send_message(
        outgoing.channel.value,
        notice.voter_id,
        notice.language,
        notice.token,
        notice.expires_at,
    )


def request_body(clock: ManualClock, **changes: object) -> bytes:
    """A ``POST /v1/messages`` body for voter 0's e-mail, with ``changes`` (None: left out)."""
    fields: dict[str, object] = {
        "channel": "email",
        "voter_id": "v0000",
        "language": "fr",
        "token": new_token(),
        "expires_at": isoformat_utc(clock.now() + TOKEN_TTL),
    }
    fields.update(changes)
    return canonical_json({k: v for k, v in fields.items() if v is not None})  # type: ignore[arg-type]


def refused(result: MessageAccepted | ServerFailure) -> tuple[int | None, str | None]:
    assert isinstance(result, ServerFailure), result
    return result.status, result.code


def post_signed(
    node: Node, election: Election, clock: ManualClock, body: bytes, kiosk_id: str = "kiosk-01"
) -> httpx.Response:
    headers = signed_headers(
        election.kiosk_keys[kiosk_id],
        election_id=election.election_id,
        kiosk_id=kiosk_id,
        timestamp=int(clock.now().timestamp()),
        method="POST",
        target="/v1/messages",
        body=body,
    )
    with httpx.Client(transport=node.transport, base_url=BASE_URL) as http:
        return http.post(
            "/v1/messages", content=body, headers={**headers, "Content-Type": "application/json"}
        )


def quota_rows(database: Database) -> int:
    with database.transaction() as tx:
        row = tx.query_one("SELECT COUNT(*) FROM message_quota")
    return int(row[0] or 0) if row else 0


def smtp_settings(port: int, **overrides: object) -> SmtpSettings:
    fields: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "security": SmtpSecurity.NONE,
        "sender": SENDER,
        "timeout": 5.0,
    }
    fields.update(overrides)
    return SmtpSettings(**fields)  # type: ignore[arg-type]


def parse_mail(content: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(content)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.fixture
def smtp() -> Iterator[SmtpServerThread]:
    with SmtpServerThread(Inbox()) as server:
        yield server


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    with SmsGateway() as running:
        yield running


def relays(smtp: SmtpServerThread, gateway: SmsGateway, **limits: RateLimit) -> DeliverySettings:
    return DeliverySettings(
        smtp=smtp_settings(smtp.port),
        sms_gateway=SmsGatewaySettings(
            url=gateway.url, token=GATEWAY_TOKEN, sender="Isoloir", timeout=5.0
        ),
        **limits,  # type: ignore[arg-type]
    )


# ---- delivery ---------------------------------------------------------------------------------


def test_an_email_reaches_the_smtp_server_with_its_token_and_qr_code(
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    smtp: SmtpServerThread,
    gateway: SmsGateway,
    election: Election,
    clock: ManualClock,
) -> None:
    node = start_node(relays(smtp, gateway))
    notifier = ServerNotifier(kiosk(node, "kiosk-01"))
    token, address = new_token(), email_of(election, 0)
    outgoing = message(election, Channel.EMAIL, 0, token, clock)

    assert notifier.send(outgoing) is True
    assert notifier.last_failure is None

    [received] = smtp.inbox.received
    assert (received.mail_from, received.rcpt_tos) == (SENDER, (address,))
    mail = parse_mail(received.content)
    assert (mail["To"], mail["From"], mail["Subject"]) == (address, SENDER, SUBJECT)
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Date"] == "Tue, 01 Dec 2026 08:00:00 +0000"  # the server's clock
    text = mail.get_body(("plain",))
    assert text is not None
    # The server's own composition, from the kiosk's French template, word for word.
    content = text.get_content().replace("\r\n", "\n")
    assert content == outgoing.body
    assert content.startswith("Bonjour,\n\nVous avez demandé le réassort de votre code de vote")
    assert f"Votre jeton à usage unique : {format_token(token)}\n" in content
    assert "Valable jusqu'à 09:15 (heure de Europe/Paris)." in content
    assert token_qr_payload(token) in content
    [attachment] = list(mail.iter_attachments())
    assert (attachment.get_content_type(), attachment.get_filename()) == (
        "image/png",
        QR_ATTACHMENT_NAME,
    )
    assert isinstance(attachment, EmailMessage)
    png = attachment.get_content()
    assert token_from_image(Image.open(io.BytesIO(png))) == format_token(token)
    assert gateway.requests == []
    assert quota_rows(node.database) == 2  # one destination slot, one kiosk slot


def test_the_server_writes_the_english_template_to_the_rolls_address(
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    smtp: SmtpServerThread,
    gateway: SmsGateway,
    election: Election,
    clock: ManualClock,
) -> None:
    node = start_node(relays(smtp, gateway))
    notifier = ServerNotifier(kiosk(node, "kiosk-01"))
    token = new_token()
    outgoing = message(election, Channel.EMAIL, 1, token, clock, "en")
    # Whatever the kiosk's message says or where it points, only its notice leaves the kiosk.
    forged = replace(
        outgoing, to="victim@elsewhere.example", subject="Urgent", body="Click http://evil.example"
    )

    assert notifier.send(forged) is True

    [received] = smtp.inbox.received
    assert received.rcpt_tos == (email_of(election, 1),)
    mail = parse_mail(received.content)
    assert (mail["To"], mail["Subject"]) == (email_of(election, 1), "Resetting your vote code")
    text = mail.get_body(("plain",))
    assert text is not None
    content = text.get_content().replace("\r\n", "\n")
    assert content == outgoing.body
    assert content.startswith("Hello,\n\nYou asked for a new vote code at a voting kiosk.")
    assert f"Your one-time reset token: {format_token(token)}\n" in content
    assert "Valid until 09:15 (Europe/Paris)." in content
    assert "evil" not in content
    assert "elsewhere" not in received.content.decode()


def test_a_message_without_a_token_notice_is_not_sent(
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    smtp: SmtpServerThread,
    election: Election,
    clock: ManualClock,
) -> None:
    node = start_node(DeliverySettings(smtp=smtp_settings(smtp.port)))
    notifier = ServerNotifier(kiosk(node, "kiosk-01"))
    free_text = OutgoingMessage(
        Channel.EMAIL, email_of(election, 0), "Objet", "Un texte libre", clock.now()
    )
    assert notifier.send(free_text) is False
    assert notifier.last_failure is not None
    assert notifier.last_failure.kind is FailureKind.REFUSED
    assert smtp.inbox.received == []


def test_an_sms_reaches_the_gateway_as_json_with_the_bearer_token(
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    smtp: SmtpServerThread,
    gateway: SmsGateway,
    election: Election,
    clock: ManualClock,
) -> None:
    node = start_node(relays(smtp, gateway))
    client = kiosk(node, "kiosk-01")
    token = new_token()
    outgoing = message(election, Channel.SMS, 0, token, clock)
    assert outgoing.body == (
        f"Isoloir : votre jeton de réassort est {format_token(token)}, valable jusqu'à 09:15."
    )

    answer = send(client, outgoing)

    assert answer == MessageAccepted("sms", isoformat_utc(clock.now()))
    [request] = gateway.requests
    assert (request.method, request.path) == ("POST", "/v1/sms")
    assert request.headers["authorization"] == f"Bearer {GATEWAY_TOKEN}"
    assert request.headers["content-type"] == "application/json"
    payload = request.json()
    assert set(payload) == {"to", "text", "message_id", "sender"}
    assert (payload["to"], payload["text"], payload["sender"]) == (
        "+33600000000",
        outgoing.body,
        "Isoloir",
    )
    assert format_token(token) in payload["text"]
    assert len(payload["message_id"]) == 32
    assert smtp.inbox.received == []


@pytest.mark.parametrize("security", [SmtpSecurity.STARTTLS, SmtpSecurity.SSL])
def test_smtp_over_tls_with_a_login(
    security: SmtpSecurity,
    tmp_path: Path,
    election: Election,
    clock: ManualClock,
    portal: anyio.from_thread.BlockingPortal,
    kiosk: Callable[[Node, str], ServerClient],
) -> None:
    certificate = self_signed_certificate(tmp_path / "tls", "smtp")
    context = server_tls_context(str(certificate.cert), str(certificate.key))
    credentials = Credentials("isoloir", SMTP_PASSWORD)
    inbox = Inbox()
    tls = {"starttls": context} if security is SmtpSecurity.STARTTLS else {"implicit_tls": context}
    with SmtpServerThread(inbox, credentials=credentials, **tls) as server:  # type: ignore[arg-type]
        delivery = DeliverySettings(
            smtp=smtp_settings(
                server.port,
                security=security,
                user="isoloir",
                password=SMTP_PASSWORD,
                ca_file=certificate.cert,
            )
        )
        settings = ServerSettings(
            database_url=f"sqlite:///{tmp_path / 'server.db'}",
            package=election.folder,
            delivery=delivery,
        )
        app = create_app(settings, clock)
        try:
            node = Node(app, PortalTransport(app, portal), server_state(app).database)
            notifier = ServerNotifier(kiosk(node, "kiosk-01"))
            assert notifier.send(message(election, Channel.EMAIL, 1, new_token(), clock))
        finally:
            node.database.close()
    [received] = inbox.received
    assert received.login == "isoloir"
    assert received.starttls is (security is SmtpSecurity.STARTTLS)
    assert credentials.attempts == 1


def test_the_demo_outbox_writes_each_message_to_a_private_file(
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    tmp_path: Path,
    election: Election,
    clock: ManualClock,
) -> None:
    outbox = tmp_path / "outbox"
    node = start_node(DeliverySettings(outbox=outbox))
    notifier = ServerNotifier(kiosk(node, "kiosk-01"))
    token = new_token()

    assert notifier.send(message(election, Channel.EMAIL, 0, token, clock))
    assert notifier.send(message(election, Channel.SMS, 0, token, clock))

    files = sorted(outbox.iterdir(), key=lambda p: p.suffix)
    assert [p.suffix for p in files] == [".eml", ".json"]
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    mail = parse_mail(files[0].read_bytes())
    [attachment] = list(mail.iter_attachments())
    assert isinstance(attachment, EmailMessage)
    assert token_from_image(Image.open(io.BytesIO(attachment.get_content()))) == format_token(token)
    sms = json.loads(files[1].read_bytes())
    assert sms["to"] == "+33600000000"
    assert format_token(token) in sms["text"]


# ---- rate limits --------------------------------------------------------------------------------


def test_three_messages_per_destination_then_429_shared_by_every_app_process(
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    smtp: SmtpServerThread,
    gateway: SmsGateway,
    election: Election,
    clock: ManualClock,
) -> None:
    delivery = relays(smtp, gateway)  # the default: 3 per destination per 15 minutes
    first, second = start_node(delivery), start_node(delivery)
    at_first, at_second = kiosk(first, "kiosk-01"), kiosk(second, "kiosk-02")

    for client in (at_first, at_second, at_first):
        assert isinstance(
            send(client, message(election, Channel.EMAIL, 0, new_token(), clock)), MessageAccepted
        )
        clock.advance(timedelta(minutes=1))
    for client in (at_first, at_second):
        result = send(client, message(election, Channel.EMAIL, 0, new_token(), clock))
        assert refused(result) == (429, "rate_limited")
        assert isinstance(result, ServerFailure)
        assert "destination limit: at most 3 messages to this destination per 15 minutes" in (
            result.detail
        )
    # Another address is not limited by this one.
    assert isinstance(
        send(at_second, message(election, Channel.EMAIL, 1, new_token(), clock)),
        MessageAccepted,
    )

    answer = post_signed(first, election, clock, request_body(clock))
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == str(12 * 60)  # the first message was 3 min ago
    clock.advance(timedelta(minutes=12) - timedelta(seconds=1))
    assert refused(send(at_first, message(election, Channel.EMAIL, 0, new_token(), clock))) == (
        429,
        "rate_limited",
    )
    clock.advance(timedelta(seconds=1))  # 15 minutes after the first: one slot is free again
    assert isinstance(
        send(at_first, message(election, Channel.EMAIL, 0, new_token(), clock)), MessageAccepted
    )
    assert refused(send(at_second, message(election, Channel.EMAIL, 0, new_token(), clock))) == (
        429,
        "rate_limited",
    )
    assert len(smtp.inbox.received) == 5


def test_the_kiosk_limit_and_a_refusal_that_uses_no_slot(
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    smtp: SmtpServerThread,
    gateway: SmsGateway,
    election: Election,
    clock: ManualClock,
) -> None:
    hour = timedelta(hours=1)
    node = start_node(
        relays(smtp, gateway, per_kiosk=RateLimit(2, hour), per_destination=RateLimit(1, hour))
    )
    one, two = kiosk(node, "kiosk-01"), kiosk(node, "kiosk-02")
    for index in (0, 1):
        assert isinstance(
            send(one, message(election, Channel.EMAIL, index, new_token(), clock)),
            MessageAccepted,
        )
    third = send(one, message(election, Channel.EMAIL, 2, new_token(), clock))
    assert refused(third) == (429, "rate_limited")
    assert isinstance(third, ServerFailure)
    assert third.detail.startswith("kiosk limit: at most 2 messages to this kiosk per 1 hour")
    # kiosk-01's refused attempt took nothing: voter 2's one slot is still free.
    assert isinstance(
        send(two, message(election, Channel.EMAIL, 2, new_token(), clock)),
        MessageAccepted,
    )
    assert len(smtp.inbox.received) == 3


def test_racing_claims_take_exactly_the_limit(database_url: str, clock: ManualClock) -> None:
    """Twelve processes' worth of concurrent sends for one destination: exactly three win."""
    limit, racers = 3, 12
    with Database.open(database_url) as database:
        migrate(database, clock)
        barrier = threading.Barrier(racers)
        won: list[SlotClaim] = []
        errors: list[BaseException] = []
        now = isoformat_utc(clock.now())
        before = isoformat_utc(clock.now() - timedelta(minutes=15))

        def race() -> None:
            try:
                barrier.wait(timeout=30)
                with database.transaction(write=True) as tx:
                    result = quota.claim(tx, QuotaScope.DESTINATION, "d" * 64, limit, now, before)
                if isinstance(result, SlotClaim):
                    won.append(result)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=race) for _ in range(racers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert sorted(claim.slot for claim in won) == [0, 1, 2]
        with database.transaction(write=True) as tx:
            quota.release(tx, won[0])
            again = quota.claim(tx, QuotaScope.DESTINATION, "d" * 64, limit, now, before)
        assert isinstance(again, SlotClaim)
        assert again.slot == won[0].slot


# ---- failures -----------------------------------------------------------------------------------


def test_smtp_down_is_503_and_the_kiosk_tells_the_voter(
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    election: Election,
    clock: ManualClock,
) -> None:
    with ClosedPort() as closed:
        node = start_node(DeliverySettings(smtp=smtp_settings(closed.port)))
        notifier = ServerNotifier(kiosk(node, "kiosk-01"))
        sent = notifier.send(message(election, Channel.EMAIL, 0, new_token(), clock))
    assert sent is False
    failure = notifier.last_failure
    assert failure is not None
    assert (failure.kind, failure.status, failure.code) == (
        FailureKind.SERVER_ERROR,
        503,
        "delivery_unavailable",
    )
    assert "[connection_refused]" in failure.detail
    assert quota_rows(node.database) == 0  # not sent: the slots were given back


def test_an_smtp_refusal_is_502_without_the_relays_words(
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    smtp: SmtpServerThread,
    election: Election,
    clock: ManualClock,
) -> None:
    address = email_of(election, 0)
    smtp.inbox.refuse_with = f"550 5.1.1 <{address}>: mailbox unavailable"
    node = start_node(DeliverySettings(smtp=smtp_settings(smtp.port)))
    result = send(kiosk(node, "kiosk-01"), message(election, Channel.EMAIL, 0, new_token(), clock))
    assert refused(result) == (502, "delivery_failed")
    assert isinstance(result, ServerFailure)
    assert "[smtp_550]" in result.detail
    assert address not in result.detail
    assert smtp.inbox.received == []
    assert quota_rows(node.database) == 0


@pytest.mark.parametrize(
    ("status", "answer"),
    [(500, (502, "delivery_failed")), (503, (503, "delivery_unavailable"))],
)
def test_a_gateway_error_is_a_clear_refusal(
    status: int,
    answer: tuple[int, str],
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    smtp: SmtpServerThread,
    gateway: SmsGateway,
    election: Election,
    clock: ManualClock,
) -> None:
    gateway.status = status
    node = start_node(relays(smtp, gateway))
    notifier = ServerNotifier(kiosk(node, "kiosk-01"))
    assert notifier.send(message(election, Channel.SMS, 0, new_token(), clock)) is False
    assert notifier.last_failure is not None
    assert (notifier.last_failure.status, notifier.last_failure.code) == answer
    assert f"[gateway_{status}]" in notifier.last_failure.detail
    assert len(gateway.requests) == 1


def test_a_channel_without_a_relay_is_503(
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    smtp: SmtpServerThread,
    election: Election,
    clock: ManualClock,
) -> None:
    node = start_node(DeliverySettings(smtp=smtp_settings(smtp.port)))
    notifier = ServerNotifier(kiosk(node, "kiosk-01"))
    assert notifier.send(message(election, Channel.SMS, 0, new_token(), clock)) is False
    assert notifier.last_failure is not None
    assert (notifier.last_failure.status, notifier.last_failure.code) == (
        503,
        "channel_not_configured",
    )


def test_an_unreachable_server_is_false_for_the_kiosk(
    election: Election, clock: ManualClock
) -> None:
    with ClosedPort() as closed:
        client = ServerClient(
            f"http://127.0.0.1:{closed.port}",
            election_id=ElectionId(election.election_id),
            kiosk_id=KioskId("kiosk-01"),
            key=election.kiosk_keys["kiosk-01"],
            clock=clock,
        )
        with client:
            notifier = ServerNotifier(client, timeout=2.0)
            token = new_token()
            assert notifier.send(message(election, Channel.EMAIL, 0, token, clock)) is False
    assert notifier.last_failure is not None
    assert notifier.last_failure.kind is FailureKind.UNREACHABLE


# ---- refusals before anything is sent -------------------------------------------------------


def test_unsigned_or_altered_requests_are_refused_and_send_nothing(
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    smtp: SmtpServerThread,
    election: Election,
    clock: ManualClock,
) -> None:
    node = start_node(DeliverySettings(smtp=smtp_settings(smtp.port)))
    kiosk(node, "kiosk-01")  # enrolled: only the signature is missing
    body = request_body(clock)
    with httpx.Client(transport=node.transport, base_url=BASE_URL) as http:
        unsigned = http.post(
            "/v1/messages", content=body, headers={"Content-Type": "application/json"}
        )
    assert (unsigned.status_code, unsigned.json()["error"]) == (401, "unsigned")
    with httpx.Client(transport=node.transport, base_url=BASE_URL) as http:
        garbage = http.post("/v1/messages", content=b'{"channel": "fax"}')
    assert (garbage.status_code, garbage.json()["error"]) == (401, "unsigned")  # who, first
    signed_for_other = signed_headers(
        election.kiosk_keys["kiosk-01"],
        election_id=election.election_id,
        kiosk_id="kiosk-01",
        timestamp=int(clock.now().timestamp()),
        method="POST",
        target="/v1/messages",
        body=body.replace(b"v0000", b"v0001"),
    )
    with httpx.Client(transport=node.transport, base_url=BASE_URL) as http:
        altered = http.post(
            "/v1/messages",
            content=body,
            headers={**signed_for_other, "Content-Type": "application/json"},
        )
    assert (altered.status_code, altered.json()["error"]) == (401, "bad_signature")
    assert smtp.inbox.received == []
    assert quota_rows(node.database) == 0


def test_only_the_rolls_voters_get_a_message(
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    smtp: SmtpServerThread,
    gateway: SmsGateway,
    election: Election,
    clock: ManualClock,
) -> None:
    node = start_node(relays(smtp, gateway))
    client = kiosk(node, "kiosk-01")
    for channel in Channel:
        result = client.send_message(
            channel.value, VoterId("v9999"), "fr", new_token(), clock.now() + TOKEN_TTL
        )
        assert refused(result) == (403, "destination_not_in_roll"), channel
    assert smtp.inbox.received == []
    assert gateway.requests == []
    assert quota_rows(node.database) == 0


@pytest.mark.parametrize(
    "changes",
    [
        # No free text, no address: the schema has no such field.
        {"body": "Cliquez ici : http://evil.example"},
        {"subject": "Urgent"},
        {"to": "victim@elsewhere.example"},
        {"text": "x"},
        {"qr_token": "ABCDEFGH"},
        # The fields it has, each as it must be.
        {"voter_id": None},
        {"voter_id": "v0000@x"},
        {"channel": "fax"},
        {"language": "de"},
        {"token": "ABCD-EFGH"},
        {"token": "ABCDEFG0"},
        {"expires_at": "2026-12-01T09:15:00+01:00"},
        # An expiry behind the server's clock, or further than a token lives (plus the skew).
        {"expires_at": "2026-12-01T08:00:00Z"},
        {"expires_at": "2026-12-01T08:20:01Z"},
        {"expires_at": "2026-12-01T09:00:00Z"},
    ],
)
def test_malformed_requests_are_422(
    changes: dict[str, object],
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    smtp: SmtpServerThread,
    gateway: SmsGateway,
    election: Election,
    clock: ManualClock,
) -> None:
    node = start_node(relays(smtp, gateway))
    kiosk(node, "kiosk-01")
    answer = post_signed(node, election, clock, request_body(clock, **changes))
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid_request"), changes
    assert smtp.inbox.received == []
    assert gateway.requests == []
    assert quota_rows(node.database) == 0
    # The same request, well formed, is sent: at the edge of the allowed expiry too.
    edge = request_body(clock, expires_at="2026-12-01T08:20:00Z")
    assert post_signed(node, election, clock, edge).status_code == 202


# ---- logs -------------------------------------------------------------------------------------


class _Everything(logging.Handler):
    """Every record as handed to logging: message, arguments and extra fields, unredacted."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        extra = {k: v for k, v in vars(record).items() if k.startswith("isoloir")}
        self.lines.append(f"{record.name} {record.msg!r} {record.args!r} {extra!r}")


@pytest.fixture
def all_logs() -> Iterator[tuple[_Everything, io.StringIO]]:
    """Raw records from every logger (aiosmtpd's own, the test relay's, aside), and the
    server's JSON lines as an operator reads them."""
    root, server, relay_log = (
        logging.getLogger(),
        logging.getLogger("server"),
        logging.getLogger("mail.log"),
    )
    saved = (root.level, server.handlers[:], server.level, server.propagate, relay_log.level)
    everything, stream = _Everything(), io.StringIO()
    configure("DEBUG", stream)
    server.handlers.insert(0, everything)  # before the redacting handler changes the record
    root.addHandler(everything)
    root.setLevel(logging.DEBUG)
    relay_log.setLevel(logging.CRITICAL)
    yield everything, stream
    root.removeHandler(everything)
    root.setLevel(saved[0])
    server.handlers[:], server.level, server.propagate = saved[1], saved[2], saved[3]
    relay_log.setLevel(saved[4])


def test_nothing_secret_reaches_a_log(
    all_logs: tuple[_Everything, io.StringIO],
    start_node: Callable[[DeliverySettings], Node],
    kiosk: Callable[[Node, str], ServerClient],
    tmp_path: Path,
    gateway: SmsGateway,
    election: Election,
    clock: ManualClock,
) -> None:
    everything, stream = all_logs
    credentials = Credentials("isoloir", SMTP_PASSWORD)
    tokens: list[str] = []
    with SmtpServerThread(Inbox(), credentials=credentials) as server:
        delivery = replace(
            relays(server, gateway, per_destination=RateLimit(1, timedelta(hours=1))),
            smtp=smtp_settings(server.port, user="isoloir", password=SMTP_PASSWORD),
        )
        node = start_node(delivery)
        notifier = ServerNotifier(kiosk(node, "kiosk-01"))
        outcomes = []
        for channel, gateway_status in (
            (Channel.EMAIL, 202),  # sent
            (Channel.EMAIL, 202),  # rate limited
            (Channel.SMS, 503),  # the gateway is down
            (Channel.SMS, 202),  # sent
        ):
            gateway.status = gateway_status
            tokens.append(new_token())
            outcomes.append(notifier.send(message(election, channel, 0, tokens[-1], clock)))
    assert outcomes == [True, False, False, True]
    assert len(server.inbox.received) == 1
    assert len(gateway.requests) == 2

    operator = stream.getvalue()
    events = [json.loads(line) for line in operator.splitlines()]
    relayed = [
        (e["disposition"], e.get("channel")) for e in events if e["event"] == "message_relay"
    ]
    assert relayed == [
        ("configured", "email"),
        ("configured", "sms"),
        ("sent", "email"),
        ("rate_limited", "email"),
        ("unavailable", "sms"),
        ("sent", "sms"),
    ]
    raw = "\n".join(everything.lines)
    assert "message_relay" in raw
    secrets = [SMTP_PASSWORD, GATEWAY_TOKEN, "perso0", "courriel.example", "600000000", SUBJECT]
    secrets += [t for token in tokens for t in (token, format_token(token))]
    for text in (operator, raw):
        for secret in secrets:
            assert secret not in text, secret


# ---- settings ---------------------------------------------------------------------------------


def test_settings_come_from_the_environment_and_hide_their_secrets(tmp_path: Path) -> None:
    password_file = tmp_path / "smtp-password"
    password_file.write_text(SMTP_PASSWORD + "\n")
    environ = {
        "ISOLOIR_SERVER_DB": "sqlite:///server.db",
        "ISOLOIR_SERVER_PACKAGE": "election",
        "ISOLOIR_SERVER_SMTP_HOST": "smtp.academie.example",
        "ISOLOIR_SERVER_SMTP_FROM": SENDER,
        "ISOLOIR_SERVER_SMTP_USER": "isoloir",
        "ISOLOIR_SERVER_SMTP_PASSWORD_FILE": str(password_file),
        "ISOLOIR_SERVER_SMS_GATEWAY_URL": "https://sms.example/v1/send",
        "ISOLOIR_SERVER_SMS_GATEWAY_TOKEN": GATEWAY_TOKEN,
        "ISOLOIR_SERVER_MESSAGE_LIMIT_DESTINATION": "5/1h",
    }
    settings = ServerSettings.from_environment(environ)
    delivery = settings.delivery
    assert delivery.smtp is not None
    assert delivery.sms_gateway is not None
    assert (delivery.smtp.security, delivery.smtp.effective_port) == (SmtpSecurity.STARTTLS, 587)
    assert delivery.smtp.password == SMTP_PASSWORD
    assert delivery.per_destination == RateLimit(5, timedelta(hours=1))
    assert delivery.per_kiosk == RateLimit(20, timedelta(minutes=15))
    for shown in (repr(settings), repr(delivery), str(delivery)):
        assert SMTP_PASSWORD not in shown
        assert GATEWAY_TOKEN not in shown
    # The workers of --workers N read the same settings back.
    assert ServerSettings.from_environment(settings.to_environment()).delivery == delivery
    assert ServerSettings.from_environment(environ).delivery.outbox is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ISOLOIR_SERVER_SMTP_FROM": ""}, "needs ISOLOIR_SERVER_SMTP_FROM"),
        ({"ISOLOIR_SERVER_SMTP_SECURITY": "tls"}, "starttls, ssl or none"),
        ({"ISOLOIR_SERVER_SMTP_SECURITY": "none"}, "in clear"),
        ({"ISOLOIR_SERVER_SMTP_USER": ""}, "together"),
        ({"ISOLOIR_SERVER_SMS_GATEWAY_URL": "http://sms.example/send"}, "in clear"),
        ({"ISOLOIR_SERVER_SMS_GATEWAY_TOKEN": ""}, "needs ISOLOIR_SERVER_SMS_GATEWAY_TOKEN"),
        ({"ISOLOIR_SERVER_MESSAGE_LIMIT_KIOSK": "lots"}, "COUNT/WINDOW"),
        ({"ISOLOIR_SERVER_SMTP_TIMEOUT": "nan"}, "between 0 and 60"),
    ],
)
def test_settings_that_cannot_deliver_safely_are_refused(
    changes: dict[str, str], message: str
) -> None:
    environ = {
        "ISOLOIR_SERVER_SMTP_HOST": "smtp.academie.example",
        "ISOLOIR_SERVER_SMTP_FROM": SENDER,
        "ISOLOIR_SERVER_SMTP_USER": "isoloir",
        "ISOLOIR_SERVER_SMTP_PASSWORD": SMTP_PASSWORD,
        "ISOLOIR_SERVER_SMS_GATEWAY_URL": "https://sms.example/v1/send",
        "ISOLOIR_SERVER_SMS_GATEWAY_TOKEN": GATEWAY_TOKEN,
    }
    environ.update(changes)
    with pytest.raises(SettingsError, match=message) as caught:
        DeliverySettings.from_environment(environ)
    assert SMTP_PASSWORD not in str(caught.value)
    assert GATEWAY_TOKEN not in str(caught.value)


def test_the_endpoint_is_in_the_openapi_schema(
    start_node: Callable[[DeliverySettings], Node],
) -> None:
    node = start_node(DeliverySettings())
    with httpx.Client(transport=node.transport, base_url=BASE_URL) as http:
        schema = http.get("/openapi.json").json()
    operation = schema["paths"]["/v1/messages"]["post"]
    assert set(operation["responses"]) == {"202", "401", "403", "413", "422", "429", "502", "503"}
