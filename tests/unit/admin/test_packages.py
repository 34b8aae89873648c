"""Choosing a package at the console: preview from a zip, a folder, a removable-media folder or a
real server on loopback (``GET /v1/package``), confirmation, loading; and the diagnostics'
server and clock checks against that server."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kiosk.admin.console import AdminConsole, AdminError, AdminSession
from kiosk.admin.diagnostics import CheckStatus
from kiosk.admin.packages import PackageSource, first_package_in
from kiosk.admin.roles import Role
from kiosk.audit import AuditEvent
from kiosk.clock import ManualClock
from kiosk.election import package
from kiosk.election.model import KioskId
from kiosk.store import KioskStore, create_key_file
from kiosk.sync.client import PublicServer, ServerClient, ServerFailure
from server.app import create_app, server_state
from server.enrollment import issue_token
from server.package_api import package_zip
from server.settings import ServerSettings
from tests.server.harness import Election, ServerThread, listening_socket, make_election
from tests.unit.admin.conftest import ADMIN, ADMIN_PIN, make_console, sign_in


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Election:
    return make_election(tmp_path_factory.mktemp("served") / "package")


@pytest.fixture
def blank(tmp_path: Path, clock: ManualClock) -> Iterator[KioskStore]:
    """A store as ``isoloir admin setup`` leaves it: no package yet."""
    with KioskStore.create(tmp_path / "blank.db", create_key_file(tmp_path / "k"), clock) as made:
        yield made


def administrator(console: AdminConsole) -> AdminSession:
    console.operators.add(ADMIN, Role.ADMINISTRATOR, ADMIN_PIN)
    return sign_in(console, ADMIN, ADMIN_PIN)


@pytest.fixture
def app(election: Election, clock: ManualClock, tmp_path: Path) -> Iterator[FastAPI]:
    settings = ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'server.db'}", package=election.folder
    )
    made = create_app(settings, clock)
    yield made
    server_state(made).database.close()


@pytest.fixture
def server(app: FastAPI) -> Iterator[ServerThread]:
    with ServerThread(app) as running:
        yield running


# ---- files and removable media -------------------------------------------------------------------


def test_a_zip_is_previewed_then_loaded_after_confirmation(
    blank: KioskStore, clock: ManualClock, tmp_path: Path, election: Election
) -> None:
    archive = tmp_path / "election.zip"
    package.write(election.package, archive)
    admin = administrator(make_console(blank, clock, tmp_path))
    preview = admin.preview_package(archive)
    assert preview.source is PackageSource.FILE
    assert preview.location == str(archive)
    assert preview.fingerprint == election.package.fingerprint
    assert (preview.election_id, preview.voters, preview.scrutins, preview.kiosks) == (
        election.package.manifest.election_id, 3, 2, 3,
    )  # fmt: skip
    assert blank.stored_package() is None  # a preview stores nothing
    assert not (tmp_path / "staging").exists() or not any((tmp_path / "staging").iterdir())

    assert admin.load_package(preview) is True
    stored = blank.stored_package()
    assert stored is not None
    assert stored.fingerprint == preview.fingerprint
    codes = [e.event for e in blank.audit_entries()][-2:]
    assert codes == [AuditEvent.PACKAGE_LOADED, AuditEvent.PACKAGE_CONFIRMED]
    assert dict(blank.audit_entries()[-1].fields) == {
        "source": "file",
        "fingerprint": preview.fingerprint,
        "operator": ADMIN,
    }
    assert admin.load_package(preview) is False  # the same package again changes nothing


def test_the_first_package_of_a_media_folder_is_taken(
    blank: KioskStore, clock: ManualClock, tmp_path: Path, election: Election
) -> None:
    media = tmp_path / "usb"
    media.mkdir()
    (media / ".Trash-1000").mkdir()
    (media / "a-notes.txt").write_text("not a package")
    package.write(election.package, media / "b-election")
    package.write(election.package, media / "c-election.zip")
    assert first_package_in(media) == media / "b-election"
    admin = administrator(make_console(blank, clock, tmp_path))
    preview = admin.preview_package(media)
    assert preview.source is PackageSource.MEDIA
    assert preview.location == str(media / "b-election")
    assert preview.fingerprint == election.package.fingerprint
    # A package folder named directly is a file source, not media.
    assert admin.preview_package(media / "b-election").source is PackageSource.FILE


def test_no_package_or_a_broken_one_is_refused_with_the_reason(
    blank: KioskStore, clock: ManualClock, tmp_path: Path, election: Election
) -> None:
    admin = administrator(make_console(blank, clock, tmp_path))
    empty = tmp_path / "empty-usb"
    empty.mkdir()
    with pytest.raises(AdminError, match="no election package here"):
        admin.preview_package(empty)
    original = zipfile.ZipFile(io.BytesIO(package_zip(election.package)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in original.namelist():
            data = original.read(name)
            if name == "roll.json":
                data = data.replace(b"Agent 1", b"Agent 9")  # signed bytes, changed
            archive.writestr(name, data)
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(buffer.getvalue())
    with pytest.raises(AdminError, match=r"package refused: .*roll\.json"):
        admin.preview_package(tampered)
    assert blank.stored_package() is None


# ---- the server ----------------------------------------------------------------------------------


def enrollment_token(app: FastAPI, clock: ManualClock, kiosk_id: str = "kiosk-01") -> str:
    """A token as the server's administrator issues it (``isoloir server enroll-token``)."""
    database = server_state(app).database
    return issue_token(database, kiosk_id, timedelta(hours=1), clock).token


def test_the_server_serves_its_package_as_a_stable_zip_to_a_kiosk_only(
    server: ServerThread, election: Election, app: FastAPI, clock: ManualClock
) -> None:
    shown = {"Authorization": f"Isoloir-Enrollment {enrollment_token(app, clock)}"}
    with httpx.Client(base_url=server.url, trust_env=False) as http:
        anonymous = http.get("/v1/package")
        first = http.get("/v1/package", headers=shown)
        second = http.get("/v1/package", headers=shown)
        schema = http.get("/openapi.json").json()
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "unsigned"
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/zip"
    assert first.headers["x-isoloir-fingerprint"] == election.package.fingerprint
    assert first.content == second.content == package_zip(election.package)
    assert "/v1/package" in schema["paths"]


def test_a_first_run_kiosk_downloads_the_package_from_the_server_with_its_token(
    blank: KioskStore,
    clock: ManualClock,
    tmp_path: Path,
    server: ServerThread,
    election: Election,
    app: FastAPI,
) -> None:
    console = make_console(blank, clock, tmp_path, public_server=lambda: PublicServer(server.url))
    admin = administrator(console)
    with pytest.raises(AdminError, match="give this kiosk's enrollment token"):
        admin.preview_package("server")
    with pytest.raises(AdminError, match=r"package refused: .*\[token_invalid\]"):
        admin.preview_package("server", enrollment_token="AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    preview = admin.preview_package("server", enrollment_token=enrollment_token(app, clock))
    assert preview.source is PackageSource.SERVER
    assert preview.location == server.url
    assert preview.fingerprint == election.package.fingerprint
    admin.load_package(preview)
    assert blank.stored_package() is not None
    assert dict(blank.audit_entries()[-1].fields)["source"] == "server"


def test_an_online_kiosk_downloads_with_its_client_and_checks_the_server(
    blank: KioskStore,
    tmp_path: Path,
    server: ServerThread,
    election: Election,
    app: FastAPI,
    clock: ManualClock,
) -> None:
    clock.current = datetime.now(UTC)  # the server's clock too: diagnostics compare with it
    blank.load_package(election.package)

    def client() -> ServerClient:
        return ServerClient(
            server.url,
            election_id=election.package.manifest.election_id,
            kiosk_id=KioskId("kiosk-01"),
            key=election.kiosk_keys["kiosk-01"],
            clock=clock,
            package_fingerprint=election.package.fingerprint,
        )

    admin = administrator(make_console(blank, clock, tmp_path, client_factory=client))
    token = enrollment_token(app, clock)
    # Not enrolled yet: a signed request is refused, the token shows it is a kiosk of the
    # election (and is not spent: enrollment follows).
    with pytest.raises(AdminError, match=r"\[kiosk_not_enrolled\]"):
        admin.preview_package("server")
    assert (
        admin.preview_package("server", enrollment_token=token).fingerprint
        == election.package.fingerprint
    )
    admin.enroll(token)
    assert admin.preview_package("server").fingerprint == election.package.fingerprint

    report = admin.diagnostics()
    assert report.check("server").status is CheckStatus.PASS
    assert report.check("server").detail.startswith("reachable, Isoloir ")
    clock_check = report.check("clock")
    assert clock_check.status is CheckStatus.PASS
    assert "the server's clock" in clock_check.detail
    clock.advance(timedelta(minutes=10))  # this kiosk's clock runs ten minutes fast
    late = admin.diagnostics().check("clock")
    assert late.status is CheckStatus.FAIL
    assert "ahead of the server's clock" in late.detail


def test_a_server_that_does_not_answer_fails_the_check_and_the_download(
    store: KioskStore, clock: ManualClock, tmp_path: Path, election: Election
) -> None:
    listener = listening_socket()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()  # nobody listens there any more

    def client() -> ServerClient:
        return ServerClient(
            url,
            election_id=election.package.manifest.election_id,
            kiosk_id=KioskId("kiosk-01"),
            key=election.kiosk_keys["kiosk-01"],
            clock=clock,
        )

    admin = administrator(make_console(store, clock, tmp_path, client_factory=client))
    report = admin.diagnostics()
    assert report.check("server").status is CheckStatus.FAIL
    assert report.check("server").detail.startswith("not reached: unreachable")
    assert report.check("clock").status is CheckStatus.PASS  # judged against the window
    with pytest.raises(AdminError, match="cannot download the package from"):
        admin.preview_package("server")


def test_an_offline_kiosk_has_no_server_to_download_from(
    blank: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    admin = administrator(make_console(blank, clock, tmp_path))
    with pytest.raises(AdminError, match="offline kiosk, no server"):
        admin.preview_package("server")


def test_a_huge_error_answer_is_not_read_whole(tmp_path: Path) -> None:
    """An error body is read up to 64 KiB: past that, what was kept is not the API's error."""
    import contextlib
    import http.server
    import threading

    # Valid JSON, after a megabyte of blanks: read whole, it would parse.
    body = b" " * (1 << 20) + b'{"error": "token_invalid", "detail": "no"}'

    class Padded(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the kiosk stopped reading: the point
                self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Padded) as padded:
        thread = threading.Thread(target=padded.serve_forever, daemon=True)
        thread.start()
        try:
            with PublicServer(f"http://127.0.0.1:{padded.server_address[1]}") as public:
                answer = public.download_package("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
        finally:
            padded.shutdown()
            thread.join()
    assert isinstance(answer, ServerFailure)
    assert answer.code is None
    assert answer.detail == "HTTP 401 without the API's error body"
