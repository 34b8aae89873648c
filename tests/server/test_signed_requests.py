"""Signed kiosk requests, on SQLite and PostgreSQL (docs/server.md, "Signed requests"): the
right kiosk is let in; an altered, foreign, stale, replayed or unsigned request is refused with
its reason, and leaves no row behind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from kiosk.clock import ManualClock
from kiosk.sync.client import KioskIdentity, ServerClient
from kiosk.sync.signing import HEADERS
from server.storage.database import Database
from tests.server.harness import Election, row_counts, signed_headers

ME = "/v1/kiosks/me"


@pytest.fixture
def enrolled(
    kiosk_client: Callable[[str], ServerClient], token_for: Callable[..., str]
) -> ServerClient:
    client = kiosk_client("kiosk-01")
    assert isinstance(client.enroll(token_for("kiosk-01")), KioskIdentity)
    return client


@pytest.fixture
def sign(election: Election, clock: ManualClock) -> Callable[..., dict[str, str]]:
    """Headers for a request signed now by kiosk-01 (any field overridable)."""

    def make(**overrides: object) -> dict[str, str]:
        fields: dict[str, object] = {
            "key": election.kiosk_keys["kiosk-01"],
            "election_id": election.election_id,
            "kiosk_id": "kiosk-01",
            "timestamp": int(clock.now().timestamp()),
        }
        fields.update(overrides)
        key = fields.pop("key")
        return signed_headers(key, **fields)

    return make


def refusal(answer: httpx.Response) -> tuple[int, str]:
    body = answer.json()
    assert set(body) == {"error", "detail"}, body
    assert body["detail"], body
    return answer.status_code, body["error"]


def test_the_enrolled_kiosk_is_recognized(
    enrolled: ServerClient,
    http: httpx.Client,
    sign: Callable[..., dict[str, str]],
    database: Database,
) -> None:
    before = row_counts(database)
    answer = http.get(ME, headers=sign())
    assert answer.status_code == 200
    assert answer.json()["kiosk_id"] == "kiosk-01"
    assert row_counts(database) == {**before, "request_nonce": before["request_nonce"] + 1}


def test_an_altered_request_is_refused(
    enrolled: ServerClient,
    http: httpx.Client,
    sign: Callable[..., dict[str, str]],
    database: Database,
) -> None:
    before = row_counts(database)
    signed_body = sign(body=b'{"n": 1}')
    answers = [
        http.request("GET", ME, content=b'{"n": 2}', headers=signed_body),  # body changed
        http.get(ME + "?all=1", headers=sign()),  # query added
        http.post(ME, headers=sign()),  # method changed (405 before any check)
        http.get(ME, headers=sign(target="/v1/kiosks/other")),  # signed for another path
        http.get(ME, headers=sign(election_id="another-election")),  # another election
    ]
    assert [answer.status_code for answer in answers] == [401, 401, 405, 401, 401]
    assert {refusal(a)[1] for a in answers if a.status_code == 401} == {"bad_signature"}
    assert row_counts(database) == before


def test_a_request_signed_by_another_key_is_refused(
    enrolled: ServerClient,
    http: httpx.Client,
    sign: Callable[..., dict[str, str]],
    election: Election,
    database: Database,
) -> None:
    before = row_counts(database)
    for key in (election.outsider_key, election.kiosk_keys["kiosk-02"]):
        answer = http.get(ME, headers=sign(key=key))
        assert refusal(answer) == (401, "bad_signature")
        assert "kiosk 'kiosk-01'" in answer.json()["detail"]
    assert row_counts(database) == before


@pytest.mark.parametrize("offset", [-301, 301], ids=["behind", "ahead"])
def test_a_stale_request_is_refused(
    enrolled: ServerClient,
    http: httpx.Client,
    sign: Callable[..., dict[str, str]],
    clock: ManualClock,
    database: Database,
    offset: int,
) -> None:
    before = row_counts(database)
    now = int(clock.now().timestamp())
    answer = http.get(ME, headers=sign(timestamp=now + offset))
    assert refusal(answer) == (401, "stale_request")
    direction = "behind" if offset < 0 else "ahead of"
    assert f"301 s {direction} the server clock (at most 300 s" in answer.json()["detail"]
    assert row_counts(database) == before
    # At the edge of the window: accepted.
    assert (
        http.get(ME, headers=sign(timestamp=now + (300 if offset > 0 else -300))).status_code == 200
    )


def test_the_server_clock_decides_what_is_stale(
    enrolled: ServerClient,
    http: httpx.Client,
    sign: Callable[..., dict[str, str]],
    clock: ManualClock,
) -> None:
    headers = sign()
    clock.advance(timedelta(seconds=301))
    assert refusal(http.get(ME, headers=headers)) == (401, "stale_request")


def test_a_replayed_request_is_refused(
    enrolled: ServerClient,
    http: httpx.Client,
    sign: Callable[..., dict[str, str]],
    database: Database,
) -> None:
    headers = sign()
    assert http.get(ME, headers=headers).status_code == 200
    before = row_counts(database)
    again = http.get(ME, headers=headers)
    assert refusal(again) == (401, "replayed_request")
    assert row_counts(database) == before


def test_nonces_are_per_kiosk(
    enrolled: ServerClient,
    kiosk_client: Callable[[str], ServerClient],
    token_for: Callable[..., str],
    http: httpx.Client,
    sign: Callable[..., dict[str, str]],
    election: Election,
) -> None:
    assert isinstance(kiosk_client("kiosk-02").enroll(token_for("kiosk-02")), KioskIdentity)
    nonce = bytes(range(16))
    assert http.get(ME, headers=sign(nonce=nonce)).status_code == 200
    second = sign(nonce=nonce, kiosk_id="kiosk-02", key=election.kiosk_keys["kiosk-02"])
    assert http.get(ME, headers=second).json()["kiosk_id"] == "kiosk-02"


@pytest.mark.parametrize("missing", HEADERS)
def test_a_request_missing_a_signature_header_is_unsigned(
    enrolled: ServerClient,
    http: httpx.Client,
    sign: Callable[..., dict[str, str]],
    database: Database,
    missing: str,
) -> None:
    before = row_counts(database)
    headers = {name: value for name, value in sign().items() if name != missing}
    answer = http.get(ME, headers=headers)
    assert refusal(answer) == (401, "unsigned")
    assert missing in answer.json()["detail"]
    assert refusal(http.get(ME)) == (401, "unsigned")
    assert row_counts(database) == before


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Isoloir-Kiosk", "Kiosk 01"),
        ("X-Isoloir-Timestamp", "1796112000.0"),
        ("X-Isoloir-Timestamp", "01796112000"),
        ("X-Isoloir-Timestamp", "-5"),
        ("X-Isoloir-Nonce", "00" * 15),
        ("X-Isoloir-Nonce", "AA" * 16),
        ("X-Isoloir-Signature", "not base64"),
        ("X-Isoloir-Signature", "AAAA"),
    ],
)
def test_a_malformed_signature_header_is_refused(
    enrolled: ServerClient,
    http: httpx.Client,
    sign: Callable[..., dict[str, str]],
    database: Database,
    header: str,
    value: str,
) -> None:
    before = row_counts(database)
    answer = http.get(ME, headers={**sign(), header: value})
    assert refusal(answer) == (401, "bad_signature_headers")
    assert header in answer.json()["detail"]
    assert row_counts(database) == before


def test_unknown_and_unenrolled_kiosks_are_refused(
    enrolled: ServerClient,
    http: httpx.Client,
    sign: Callable[..., dict[str, str]],
    election: Election,
    database: Database,
) -> None:
    before = row_counts(database)
    stranger = http.get(ME, headers=sign(kiosk_id="kiosk-99", key=election.outsider_key))
    assert refusal(stranger) == (401, "unknown_kiosk")
    not_yet = http.get(ME, headers=sign(kiosk_id="kiosk-02", key=election.kiosk_keys["kiosk-02"]))
    assert refusal(not_yet) == (401, "kiosk_not_enrolled")
    assert row_counts(database) == before


def test_a_revoked_kiosk_is_refused(
    enrolled: ServerClient,
    http: httpx.Client,
    sign: Callable[..., dict[str, str]],
    database: Database,
) -> None:
    with database.transaction(write=True) as tx:
        tx.execute("UPDATE kiosk SET status = 'revoked' WHERE kiosk_id = 'kiosk-01'")
    before = row_counts(database)
    assert refusal(http.get(ME, headers=sign())) == (403, "kiosk_revoked")
    assert row_counts(database) == before


def test_old_nonces_are_forgotten_once_they_cannot_match(
    enrolled: ServerClient,
    http: httpx.Client,
    sign: Callable[..., dict[str, str]],
    clock: ManualClock,
    database: Database,
) -> None:
    assert http.get(ME, headers=sign()).status_code == 200
    assert row_counts(database)["request_nonce"] == 2  # the enrollment's and this one
    clock.advance(timedelta(seconds=601))  # twice the allowed skew
    assert http.get(ME, headers=sign()).status_code == 200
    assert row_counts(database)["request_nonce"] == 1  # only the newest is kept
