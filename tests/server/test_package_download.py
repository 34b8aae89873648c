"""``GET /v1/package`` on SQLite and PostgreSQL: the package holds the voter roll, so the server
sends it only to an enrolled kiosk's signed request or with a valid enrollment token of a kiosk
of this election (not spent by it); anything else gets a 401 naming why (docs/server.md,
"Package download")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from kiosk.clock import ManualClock
from kiosk.sync.client import DownloadedPackage, FailureKind, ServerClient, ServerFailure
from server.enrollment import issue_token
from server.package_api import package_zip
from server.storage.database import Database
from tests.server.harness import Election, signed_headers

PACKAGE = "/v1/package"


def refusal(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]


def with_token(token: str) -> dict[str, str]:
    return {"Authorization": f"Isoloir-Enrollment {token}"}


def test_an_anonymous_request_is_refused_and_told_both_ways(http: httpx.Client) -> None:
    response = http.get(PACKAGE)
    assert refusal(response) == (401, "unsigned")
    assert "enrollment token" in response.json()["detail"]
    assert "signed by an enrolled kiosk" in response.json()["detail"]
    assert response.headers["content-type"] == "application/json"
    assert b"PK" not in response.content[:2]  # no zip


def test_a_valid_token_gets_the_zip_and_is_not_spent(
    http: httpx.Client,
    token_for: Callable[..., str],
    kiosk_client: Callable[[str], ServerClient],
    election: Election,
) -> None:
    token = token_for("kiosk-01")
    first = http.get(PACKAGE, headers=with_token(token))
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/zip"
    assert first.headers["x-isoloir-fingerprint"] == election.package.fingerprint
    assert first.content == package_zip(election.package)
    # Spelt as typed (lower case, spaces): the same token; and it still enrolls afterwards.
    typed = token.lower().replace("-", " ")
    assert http.get(PACKAGE, headers=with_token(typed)).status_code == 200
    with kiosk_client("kiosk-01") as client:
        assert not isinstance(client.enroll(token), ServerFailure)
    # Enrollment spent it: from now on the kiosk signs.
    assert refusal(http.get(PACKAGE, headers=with_token(token))) == (401, "token_used")


def test_expired_unknown_malformed_and_other_election_tokens_are_refused(
    http: httpx.Client, token_for: Callable[..., str], database: Database, clock: ManualClock
) -> None:
    short = token_for("kiosk-02", timedelta(minutes=5))
    clock.advance(timedelta(minutes=5))
    assert refusal(http.get(PACKAGE, headers=with_token(short))) == (401, "token_expired")
    # A token this server never issued (another election's server issues its own).
    other = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567"
    assert refusal(http.get(PACKAGE, headers=with_token(other))) == (401, "token_invalid")
    # Issued here, but for a kiosk this election's package does not list.
    stranger = issue_token(database, "kiosk-of-another-election", timedelta(hours=1), clock)
    assert refusal(http.get(PACKAGE, headers=with_token(stranger.token))) == (
        401,
        "token_wrong_kiosk",
    )
    assert refusal(http.get(PACKAGE, headers=with_token("not a token"))) == (401, "token_invalid")
    valid = token_for("kiosk-01")
    assert refusal(http.get(PACKAGE, headers={"Authorization": f"Bearer {valid}"})) == (
        401,
        "token_invalid",
    )


def test_an_enrolled_kiosk_signs_and_a_replay_is_refused(
    http: httpx.Client,
    token_for: Callable[..., str],
    kiosk_client: Callable[[str], ServerClient],
    election: Election,
    clock: ManualClock,
) -> None:
    with kiosk_client("kiosk-01") as client:
        assert not isinstance(client.enroll(token_for("kiosk-01")), ServerFailure)
        downloaded = client.download_package()
    assert isinstance(downloaded, DownloadedPackage)
    assert downloaded.data == package_zip(election.package)
    assert downloaded.stated_fingerprint == election.package.fingerprint

    headers = signed_headers(
        election.kiosk_keys["kiosk-01"],
        election_id=election.election_id,
        kiosk_id="kiosk-01",
        timestamp=int(clock.now().timestamp()),
        target=PACKAGE,
    )
    assert http.get(PACKAGE, headers=headers).status_code == 200
    assert refusal(http.get(PACKAGE, headers=headers)) == (401, "replayed_request")


@pytest.mark.parametrize("kiosk_id", ["kiosk-02", "kiosk-03"])
def test_a_signed_request_from_a_kiosk_not_enrolled_is_refused(
    kiosk_client: Callable[[str], ServerClient], kiosk_id: str
) -> None:
    with kiosk_client(kiosk_id) as client:
        answer = client.download_package()
    assert isinstance(answer, ServerFailure)
    assert (answer.kind, answer.code, answer.status) == (
        FailureKind.REFUSED,
        "kiosk_not_enrolled",
        401,
    )


def test_a_signature_by_another_key_is_refused(
    http: httpx.Client,
    token_for: Callable[..., str],
    kiosk_client: Callable[[str], ServerClient],
    election: Election,
    clock: ManualClock,
) -> None:
    with kiosk_client("kiosk-01") as client:
        assert not isinstance(client.enroll(token_for("kiosk-01")), ServerFailure)
    forged = signed_headers(
        election.outsider_key,
        election_id=election.election_id,
        kiosk_id="kiosk-01",
        timestamp=int(clock.now().timestamp()),
        target=PACKAGE,
    )
    assert refusal(http.get(PACKAGE, headers=forged)) == (401, "bad_signature")
