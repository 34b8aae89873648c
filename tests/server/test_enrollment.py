"""Kiosk enrollment, on SQLite and PostgreSQL: a one-time token and the kiosk's key from the
signed package; every refusal names its reason and stores nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.clock import ManualClock
from kiosk.election import signing
from kiosk.encoding import b64encode, canonical_json
from kiosk.sync.client import FailureKind, KioskIdentity, ServerClient, ServerFailure
from server.enrollment import canonical_token, new_token
from server.storage.database import Database
from tests.server.harness import Election, row_counts, signed_headers

ENROLL = "/v1/kiosks/enroll"


def enroll_raw(
    http: httpx.Client,
    election: Election,
    clock: ManualClock,
    *,
    kiosk_id: str,
    token: str,
    public_key: bytes,
    signer: Ed25519PrivateKey,
) -> httpx.Response:
    """An enrollment built by hand: any key in the body, signed by any key."""
    body = canonical_json(
        {"kiosk_id": kiosk_id, "public_key": b64encode(public_key), "token": token}
    )
    headers = signed_headers(
        signer,
        election_id=election.election_id,
        kiosk_id=kiosk_id,
        timestamp=int(clock.now().timestamp()),
        method="POST",
        target=ENROLL,
        body=body,
    )
    return http.post(ENROLL, content=body, headers={**headers, "Content-Type": "application/json"})


def refused(result: KioskIdentity | ServerFailure, code: str) -> ServerFailure:
    assert isinstance(result, ServerFailure), result
    assert (result.kind, result.code) == (FailureKind.REFUSED, code), result
    return result


def test_a_kiosk_enrolls_once_with_its_token(
    kiosk_client: Callable[[str], ServerClient],
    token_for: Callable[..., str],
    database: Database,
    election: Election,
) -> None:
    client = kiosk_client("kiosk-01")
    refused(client.whoami(), "kiosk_not_enrolled")
    token = token_for("kiosk-01")
    before = row_counts(database)
    enrolled = client.enroll(token)
    assert enrolled == KioskIdentity(
        "kiosk-01", "2026-12-01T08:00:00Z", election.election_id, election.package.fingerprint
    )
    after = row_counts(database)
    assert after == {**before, "kiosk": 1, "request_nonce": 1, "tokens_used": 1}
    assert client.whoami() == enrolled
    # The same token again (a second kiosk install, or an attacker who saw it): refused.
    failure = refused(client.enroll(token), "token_used")
    assert "2026-12-01T08:00:00Z" in failure.detail
    assert row_counts(database) == {**after, "request_nonce": 2}  # only whoami's nonce


def test_tokens_are_typed_by_people(
    token_for: Callable[..., str], kiosk_client: Callable[[str], ServerClient]
) -> None:
    token = token_for("kiosk-02")
    sloppy = " " + token.lower().replace("-", " ") + "\n"
    assert isinstance(kiosk_client("kiosk-02").enroll(sloppy), KioskIdentity)


def test_an_expired_token_is_refused(
    kiosk_client: Callable[[str], ServerClient],
    token_for: Callable[..., str],
    clock: ManualClock,
    database: Database,
) -> None:
    token = token_for("kiosk-01", timedelta(minutes=30))
    clock.advance(timedelta(minutes=30))
    before = row_counts(database)
    failure = refused(kiosk_client("kiosk-01").enroll(token), "token_expired")
    assert "expired at 2026-12-01T08:30:00Z" in failure.detail
    assert row_counts(database) == before


def test_a_token_is_for_one_kiosk(
    kiosk_client: Callable[[str], ServerClient], token_for: Callable[..., str], database: Database
) -> None:
    token = token_for("kiosk-01")
    before = row_counts(database)
    refused(kiosk_client("kiosk-02").enroll(token), "token_wrong_kiosk")
    refused(kiosk_client("kiosk-02").enroll(new_token()), "token_invalid")
    refused(kiosk_client("kiosk-02").enroll("not a token"), "token_invalid")
    assert row_counts(database) == before
    assert isinstance(kiosk_client("kiosk-01").enroll(token), KioskIdentity)


def test_a_key_the_package_does_not_list_is_refused(
    http: httpx.Client,
    election: Election,
    clock: ManualClock,
    token_for: Callable[..., str],
    database: Database,
) -> None:
    token = token_for("kiosk-01")
    before = row_counts(database)
    outsider = election.outsider_key
    answer = enroll_raw(
        http, election, clock, kiosk_id="kiosk-01", token=token,
        public_key=signing.public_bytes(outsider), signer=outsider,
    )  # fmt: skip
    assert answer.status_code == 403
    assert answer.json() == {
        "error": "key_not_in_package",
        "detail": "this public key is not the one the election package lists for 'kiosk-01'",
    }
    # Another kiosk's key from the package, used for kiosk-01: also not kiosk-01's key.
    other = election.kiosk_keys["kiosk-02"]
    answer = enroll_raw(
        http, election, clock, kiosk_id="kiosk-01", token=token,
        public_key=signing.public_bytes(other), signer=other,
    )  # fmt: skip
    assert answer.json()["error"] == "key_not_in_package"
    assert row_counts(database) == before


def test_a_kiosk_the_package_does_not_list_is_refused(
    http: httpx.Client,
    election: Election,
    clock: ManualClock,
    token_for: Callable[..., str],
    database: Database,
) -> None:
    token = token_for("kiosk-99")  # an administrator's typo: the token exists
    before = row_counts(database)
    outsider = election.outsider_key
    answer = enroll_raw(
        http, election, clock, kiosk_id="kiosk-99", token=token,
        public_key=signing.public_bytes(outsider), signer=outsider,
    )  # fmt: skip
    assert (answer.status_code, answer.json()["error"]) == (403, "unknown_kiosk")
    assert "lists no kiosk 'kiosk-99'" in answer.json()["detail"]
    assert row_counts(database) == before


def test_the_package_key_must_sign_the_enrollment(
    http: httpx.Client,
    election: Election,
    clock: ManualClock,
    token_for: Callable[..., str],
    database: Database,
) -> None:
    """Someone who copied kiosk-01's public key (it is public) and a token, without the key."""
    token = token_for("kiosk-01")
    before = row_counts(database)
    answer = enroll_raw(
        http, election, clock, kiosk_id="kiosk-01", token=token,
        public_key=signing.public_bytes(election.kiosk_keys["kiosk-01"]),
        signer=election.outsider_key,
    )  # fmt: skip
    assert (answer.status_code, answer.json()["error"]) == (401, "bad_signature")
    assert answer.headers["WWW-Authenticate"] == "Isoloir-Signature"
    body = canonical_json(
        {
            "kiosk_id": "kiosk-01",
            "public_key": b64encode(signing.public_bytes(election.kiosk_keys["kiosk-01"])),
            "token": token,
        }
    )
    unsigned = http.post(ENROLL, content=body, headers={"Content-Type": "application/json"})
    assert (unsigned.status_code, unsigned.json()["error"]) == (401, "unsigned")
    assert row_counts(database) == before


def test_a_stale_enrollment_is_refused_and_the_token_kept(
    kiosk_client: Callable[[str], ServerClient],
    token_for: Callable[..., str],
    clock: ManualClock,
    database: Database,
    http: httpx.Client,
    election: Election,
) -> None:
    token = token_for("kiosk-01")
    key = election.kiosk_keys["kiosk-01"]
    body = canonical_json(
        {"kiosk_id": "kiosk-01", "public_key": b64encode(signing.public_bytes(key)), "token": token}
    )
    headers = signed_headers(
        key, election_id=election.election_id, kiosk_id="kiosk-01",
        timestamp=int(clock.now().timestamp()) - 301, method="POST", target=ENROLL, body=body,
    )  # fmt: skip
    before = row_counts(database)
    answer = http.post(
        ENROLL, content=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert (answer.status_code, answer.json()["error"]) == (401, "stale_request")
    assert row_counts(database) == before
    assert isinstance(kiosk_client("kiosk-01").enroll(token), KioskIdentity)


def test_malformed_enrollments_are_422_not_500(http: httpx.Client, election: Election) -> None:
    cases = [
        b"{",
        b"[]",
        canonical_json({"kiosk_id": "Kiosk 01", "public_key": "A" * 44, "token": "x"}),
        canonical_json({"kiosk_id": "kiosk-01", "public_key": "!" * 44, "token": "x"}),
        canonical_json({"kiosk_id": "kiosk-01", "public_key": "A" * 44, "token": "x", "more": 1}),
        canonical_json({"kiosk_id": "kiosk-01", "public_key": "A" * 44, "token": 7}),
    ]
    for body in cases:
        # Headers of a listed kiosk, in their form: the body is read only then (server.app).
        headers = signed_headers(election.kiosk_keys["kiosk-01"], election_id=election.election_id,
                                 kiosk_id="kiosk-01", timestamp=0)  # fmt: skip
        answer = http.post(ENROLL, content=body,
                           headers={"Content-Type": "application/json", **headers})  # fmt: skip
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["error"] == "invalid_request"
        assert set(answer.json()) == {"error", "detail"}


def test_one_token_wins_once_when_enrollments_race(
    kiosk_client: Callable[[str], ServerClient],
    token_for: Callable[..., str],
    database: Database,
) -> None:
    token = token_for("kiosk-03")
    clients = [kiosk_client("kiosk-03") for _ in range(8)]
    results: list[KioskIdentity | ServerFailure] = []
    lock = threading.Lock()

    def enroll(client: ServerClient) -> None:
        result = client.enroll(token)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=enroll, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [r for r in results if isinstance(r, KioskIdentity)]
    losers = [r for r in results if isinstance(r, ServerFailure)]
    assert len(winners) == 1
    assert len(losers) == 7
    assert {failure.code for failure in losers} == {"token_used"}
    assert row_counts(database)["request_nonce"] == 1


def test_token_text_has_one_canonical_form() -> None:
    token = new_token()
    assert len(token) == 39
    assert token.count("-") == 7
    assert canonical_token(token) == token.replace("-", "")
    assert canonical_token(token.lower()) == token.replace("-", "")
    for bad in ("", "ABCD", token + "A", "1" + token[1:], token[:-1] + "!", token[:-1] + "="):
        assert canonical_token(bad) is None, bad
