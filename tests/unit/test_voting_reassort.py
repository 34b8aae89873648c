"""Réassort: tokens, the file mailbox, the desk and the new vote code (kiosk/voting/reassort.py)."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.audit import AuditEvent
from kiosk.clock import ManualClock
from kiosk.election.kdf import SecretKind, normalize, verify_secret
from kiosk.election.model import VoterId
from kiosk.store import KioskStore
from kiosk.voting import reassort
from kiosk.voting.lockout import CredentialGuard, GateState, vote_code_subject
from kiosk.voting.model import Channel, Notice, Refusal, RegenerationGrant, TokenDelivery
from kiosk.voting.reassort import (
    TOKEN_ALPHABET,
    FileMailbox,
    OutgoingMessage,
    ReassortDesk,
    ReassortTokens,
    TokenVerdict,
    channel_options,
    delivery_address,
    format_token,
    generate_token,
    generate_vote_code,
    mask_destination,
    parse_token_input,
    token_qr_payload,
)
from tests.factories import KDF, voter
from tests.unit.test_voting_world import VoterSecrets, open_kiosk
from tests.unit.test_voting_world import mail_text as _text

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
ALICE = VoterSecrets(1)


class Recording:
    """A notifier that keeps messages in memory and accepts them unless told to fail."""

    def __init__(self, accept: bool = True) -> None:
        self.accept = accept
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> bool:
        self.sent.append(message)
        return self.accept


def token_in(message: OutgoingMessage) -> str:
    found = re.search(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", message.body)
    assert found is not None
    parsed = parse_token_input(found.group(0))
    assert parsed is not None
    return parsed


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[KioskStore]:
    with open_kiosk(tmp_path, clock) as opened:
        yield opened


def desk_for(
    store: KioskStore, notifier: object | None = None, tokens: ReassortTokens | None = None
) -> ReassortDesk:
    return ReassortDesk(
        store,
        KDF,
        CredentialGuard(store),
        tokens=tokens,
        notifier=notifier,  # type: ignore[arg-type]
        rng=random.Random(11),
    )


# ---- tokens and codes ------------------------------------------------------------------------


def test_tokens_use_an_unambiguous_alphabet_and_print_in_two_groups() -> None:
    token = generate_token(random.Random(1))
    assert len(token) == 8
    assert set(token) <= set(TOKEN_ALPHABET)
    assert not set("01OIL") & set(TOKEN_ALPHABET)
    assert format_token("ABCDEFGH") == "ABCD-EFGH"
    assert token_qr_payload("ABCDEFGH") == "isoloir-reassort/1 ABCD-EFGH"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("ABCD-EFGH", "ABCDEFGH"),
        (" abcd efgh ", "ABCDEFGH"),
        ("isoloir-reassort/1 ABCD-EFGH", "ABCDEFGH"),
        ("ABCD-EFG", None),
        ("ABCD-EFGHJ", None),
        ("ABCD-EFG0", None),  # 0 is not in the alphabet
        ("", None),
        ("isoloir-reassort/2 ABCD-EFGH", None),
    ],
)
def test_typed_or_scanned_tokens_are_read_forgivingly(text: str, parsed: str | None) -> None:
    assert parse_token_input(text) == parsed


def test_a_new_vote_code_is_grouped_and_hashes_as_typed_without_dashes() -> None:
    code = generate_vote_code(random.Random(3))
    assert len(code) == 14
    assert code.count("-") == 2
    assert normalize(SecretKind.VOTE_CODE, code) == normalize(
        SecretKind.VOTE_CODE, code.replace("-", " ").lower()
    )
    assert generate_vote_code(random.Random(3)) == code
    assert generate_vote_code(random.Random(4)) != code


def test_a_token_is_single_use_and_expires() -> None:
    tokens = ReassortTokens()
    voter_id = VoterId("v0001")
    issued = tokens.issue(voter_id, Channel.SMS, T0, random.Random(1))
    assert issued.expires_at == T0 + timedelta(minutes=15)
    assert issued.token not in repr(issued)
    assert tokens.redeem(voter_id, "WRONGTKN", T0)[0] is TokenVerdict.INVALID
    assert tokens.redeem(VoterId("v0002"), issued.token, T0)[0] is TokenVerdict.INVALID
    assert tokens.redeem(voter_id, issued.token, T0) == (TokenVerdict.VALID, Channel.SMS)
    assert tokens.redeem(voter_id, issued.token, T0)[0] is TokenVerdict.INVALID
    late = tokens.issue(voter_id, Channel.EMAIL, T0, random.Random(2))
    expired = T0 + timedelta(minutes=15)
    assert tokens.redeem(voter_id, late.token, expired)[0] is TokenVerdict.EXPIRED
    assert tokens.redeem(voter_id, late.token, T0)[0] is TokenVerdict.INVALID  # spent
    assert late.token not in repr(tokens)


def test_a_new_token_replaces_the_previous_one_after_the_resend_delay() -> None:
    tokens = ReassortTokens()
    voter_id = VoterId("v0001")
    first = tokens.issue(voter_id, Channel.EMAIL, T0, random.Random(1))
    assert tokens.resend_at(voter_id, T0 + timedelta(seconds=30)) == T0 + timedelta(minutes=2)
    assert tokens.resend_at(voter_id, T0 + timedelta(minutes=2)) is None
    second = tokens.issue(voter_id, Channel.EMAIL, T0 + timedelta(minutes=2), random.Random(2))
    assert tokens.redeem(voter_id, first.token, T0)[0] is TokenVerdict.INVALID
    assert tokens.redeem(voter_id, second.token, T0)[0] is TokenVerdict.VALID


# ---- delivery --------------------------------------------------------------------------------


def test_the_file_mailbox_writes_one_eml_per_message(tmp_path: Path) -> None:
    mailbox = FileMailbox(tmp_path / "mail")
    assert mailbox.messages() == []
    message = OutgoingMessage(Channel.EMAIL, "perso1@courriel.example", "Objet", "Corps ABCD", T0)
    assert mailbox.send(message)
    assert mailbox.send(dataclasses.replace(message, channel=Channel.SMS, to="+33600000000"))
    files = mailbox.messages()
    assert len(files) == 2
    assert sorted(p.name for p in (tmp_path / "mail").iterdir()) == sorted(f.name for f in files)
    assert (files[0].stat().st_mode & 0o777) == 0o600
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert {m["X-Isoloir-Channel"] for m in parsed} == {"email", "sms"}
    assert {m["To"] for m in parsed} == {"perso1@courriel.example", "+33600000000"}
    assert all(_text(m).strip() == "Corps ABCD" for m in parsed)
    assert "Corps" not in repr(message)
    assert "perso1" not in repr(message)


def test_a_mailbox_that_cannot_write_reports_a_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    message = OutgoingMessage(Channel.EMAIL, "a@b.example", "s", "b", T0)
    assert FileMailbox(blocker).send(message) is False
    assert FileMailbox(blocker).messages() == []


def test_a_token_never_goes_to_the_identifier_address() -> None:
    alice = voter(5)
    assert delivery_address(alice, Channel.EMAIL) == "perso5@courriel.example"
    assert delivery_address(alice, Channel.SMS) == "+33600000000"
    same = dataclasses.replace(alice, personal_email=" AGENT5@ac-exemple.FR ")
    assert delivery_address(same, Channel.EMAIL) is None
    assert [o.channel for o in channel_options(same)] == [Channel.SMS]
    nothing = dataclasses.replace(alice, personal_email=None, phone="  ")
    assert channel_options(nothing) == ()


def test_destinations_are_masked_for_the_screen() -> None:
    assert mask_destination(Channel.EMAIL, "perso5@courriel.example") == "pe•••5@courriel.example"
    assert mask_destination(Channel.EMAIL, "ab@x.fr") == "ab•••@x.fr"
    assert mask_destination(Channel.SMS, "+33600000042") == "+33•••••••42"


# ---- the desk --------------------------------------------------------------------------------


def test_a_reassort_by_email_end_to_end(tmp_path: Path, store: KioskStore) -> None:
    mailbox = FileMailbox(tmp_path / "mailbox")
    desk = desk_for(store, mailbox)
    sent = desk.request_token(ALICE.voter_id, "Pays 1!", "01 e0000000ab", Channel.EMAIL, T0)
    assert sent == TokenDelivery(
        Channel.EMAIL, "pe•••1@courriel.example", T0 + timedelta(minutes=15)
    )
    [delivered] = mailbox.messages()
    mail = email.message_from_bytes(delivered.read_bytes(), policy=email.policy.default)
    assert mail["To"] == "perso1@courriel.example"
    assert mail["Subject"] == "Réassort de votre code de vote"
    body = _text(mail)
    assert "09:15" in body  # valid until 08:15 UTC: 09:15 in Paris, in December
    payload = next(line for line in body.splitlines() if "isoloir-reassort/1" in line)
    grant = desk.redeem_token(ALICE.voter_id, payload.split(": ")[-1], T0 + timedelta(minutes=3))
    assert isinstance(grant, RegenerationGrant)
    assert grant.method == "token-email"
    assert grant.voter_id == ALICE.voter_id
    new = desk.regenerate(grant)
    stored = store.voter(ALICE.voter_id)
    assert stored is not None
    assert stored.vote_code is not None
    assert verify_secret(SecretKind.VOTE_CODE, new.code, stored.vote_code, KDF)
    assert verify_secret(
        SecretKind.VOTE_CODE, new.code.lower().replace("-", ""), stored.vote_code, KDF
    )
    assert not verify_secret(SecretKind.VOTE_CODE, ALICE.code, stored.vote_code, KDF)
    assert new.code not in repr(new)
    journal = [(e.event, dict(e.fields)) for e in store.audit_entries()]
    assert (AuditEvent.REASSORT_TOKEN_SENT, {"channel": "email"}) in journal
    assert (AuditEvent.VOTE_CODE_REPLACED, {"method": "token-email"}) in journal


def test_a_token_by_sms_in_english(store: KioskStore) -> None:
    notifier = Recording()
    desk = desk_for(store, notifier)
    sent = desk.request_token(ALICE.voter_id, "pays 1", "01E0000000AB", Channel.SMS, T0, "en")
    assert isinstance(sent, TokenDelivery)
    [message] = notifier.sent
    assert message.to == "+33600000000"
    assert message.body.startswith("Isoloir: your reset token is ")
    grant = desk.redeem_token(ALICE.voter_id, format_token(token_in(message)).lower(), T0)
    assert isinstance(grant, RegenerationGrant)
    assert grant.method == "token-sms"


def test_both_answers_are_always_checked_and_either_wrong_refuses(
    store: KioskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[SecretKind] = []
    real = reassort.verify_secret

    def counting(kind: SecretKind, *args: object) -> bool:
        calls.append(kind)
        return real(kind, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(reassort, "verify_secret", counting)
    notifier = Recording()
    desk = desk_for(store, notifier)
    for answer, numen in (("wrong", ALICE.numen), (ALICE.answer, "wrong"), ("a", "b")):
        calls.clear()
        refused = desk.request_token(ALICE.voter_id, answer, numen, Channel.EMAIL, T0)
        assert isinstance(refused, Refusal)
        assert refused.notice is Notice.WRONG_ANSWERS
        assert calls == [SecretKind.SECRET_ANSWER, SecretKind.NUMEN]
    assert notifier.sent == []
    # The third failure imposes the first delay.
    assert desk.verify_answers(ALICE.voter_id, ALICE.answer, ALICE.numen, T0) == Refusal(
        Notice.WAIT, T0 + timedelta(seconds=30)
    )


def test_wrong_answers_lock_the_reassort_after_ten(store: KioskStore, clock: ManualClock) -> None:
    desk = desk_for(store, Recording())
    outcome: object = None
    for _ in range(10):
        if isinstance(outcome, Refusal) and outcome.retry_at is not None:
            clock.current = outcome.retry_at
        outcome = desk.verify_answers(ALICE.voter_id, "wrong", "wrong", clock.now())
    assert outcome == Refusal(Notice.LOCKED)
    assert desk.verify_answers(ALICE.voter_id, ALICE.answer, ALICE.numen, clock.now()) == Refusal(
        Notice.LOCKED
    )


def test_a_second_token_must_wait_two_minutes(store: KioskStore) -> None:
    desk = desk_for(store, Recording())
    args = (ALICE.voter_id, ALICE.answer, ALICE.numen, Channel.EMAIL)
    assert isinstance(desk.request_token(*args, T0), TokenDelivery)
    later = T0 + timedelta(seconds=50)
    assert desk.request_token(*args, later) == Refusal(Notice.TOO_SOON, T0 + timedelta(minutes=2))
    assert isinstance(desk.request_token(*args, T0 + timedelta(minutes=2)), TokenDelivery)


def test_an_undelivered_token_is_void(store: KioskStore) -> None:
    notifier = Recording(accept=False)
    desk = desk_for(store, notifier)
    refused = desk.request_token(ALICE.voter_id, ALICE.answer, ALICE.numen, Channel.SMS, T0)
    assert refused == Refusal(Notice.NOT_SENT)
    assert desk.redeem_token(ALICE.voter_id, token_in(notifier.sent[0]), T0) == Refusal(
        Notice.WRONG_TOKEN
    )
    assert not any(e.event is AuditEvent.REASSORT_TOKEN_SENT for e in store.audit_entries())


def test_no_token_without_a_notifier_or_a_channel(store: KioskStore) -> None:
    assert desk_for(store).request_token(
        ALICE.voter_id, ALICE.answer, ALICE.numen, Channel.EMAIL, T0
    ) == Refusal(Notice.UNAVAILABLE)
    assert not desk_for(store).delivers_tokens


def test_a_wrong_token_counts_and_an_expired_one_is_spent(store: KioskStore) -> None:
    notifier = Recording()
    desk = desk_for(store, notifier)
    desk.request_token(ALICE.voter_id, ALICE.answer, ALICE.numen, Channel.EMAIL, T0)
    token = token_in(notifier.sent[0])
    assert desk.redeem_token(ALICE.voter_id, "2222-2222", T0) == Refusal(Notice.WRONG_TOKEN)
    assert desk.redeem_token(ALICE.voter_id, "not a token", T0) == Refusal(Notice.WRONG_TOKEN)
    late = T0 + timedelta(minutes=15)
    assert desk.redeem_token(ALICE.voter_id, token, late) == Refusal(Notice.EXPIRED_TOKEN)
    assert desk.redeem_token(ALICE.voter_id, token, late) == Refusal(
        Notice.WRONG_TOKEN, late + timedelta(seconds=30)
    )


def test_the_supervised_reassort_grants_after_the_answers(store: KioskStore) -> None:
    desk = desk_for(store)
    grant = desk.verify_answers(ALICE.voter_id, ALICE.answer, ALICE.numen, T0)
    assert isinstance(grant, RegenerationGrant)
    assert grant.method == "supervised"
    assert grant.expires_at == T0 + timedelta(minutes=10)
    assert grant.grant_id not in repr(grant)
    desk.regenerate(grant)
    assert any(
        e.event is AuditEvent.VOTE_CODE_REPLACED and dict(e.fields) == {"method": "supervised"}
        for e in store.audit_entries()
    )


def test_a_new_code_forgives_the_old_codes_delays(store: KioskStore) -> None:
    guard = CredentialGuard(store)
    subject = vote_code_subject(ALICE.voter_id)
    for _ in range(3):
        guard.record_failure(subject, T0)
    assert guard.gate(subject, T0).state is GateState.WAIT
    grant = desk_for(store).verify_answers(ALICE.voter_id, ALICE.answer, ALICE.numen, T0)
    assert isinstance(grant, RegenerationGrant)
    desk_for(store).regenerate(grant)
    assert guard.gate(subject, T0).open
