"""The manifest's optional ``server`` (docs/election-package.md, "Central server"): parsed
strictly, signed with the rest, read from the organizer's TOML and shown by ``election verify``;
and the kiosk's rule that a server option may only repeat the package's (kiosk/sync/endpoint.py).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.cli import main
from kiosk.election import package, signing
from kiosk.election.codec import PackageFormatError, manifest_to_json, parse_manifest
from kiosk.election.model import CentralServer, ElectionPackage
from kiosk.election.source import SourceError, build_draft
from kiosk.encoding import canonical_json
from kiosk.sync.endpoint import EndpointError, ServerEndpoint, package_endpoint
from kiosk.sync.tls import format_fingerprint
from tests.factories import small_package
from tests.unit.test_source import write_description

PIN = hashlib.sha256(b"a certificate").digest()
OTHER_PIN = hashlib.sha256(b"another certificate").digest()
HTTPS = CentralServer("https://urne.example.org:8443", PIN)


@pytest.fixture(scope="module")
def organizer_key() -> Ed25519PrivateKey:
    return signing.generate()


@pytest.fixture(scope="module")
def offline(organizer_key: Ed25519PrivateKey) -> ElectionPackage:
    return small_package(organizer_key)


def with_server(
    pkg: ElectionPackage, server: CentralServer | None, key: Ed25519PrivateKey
) -> ElectionPackage:
    return package.resign(pkg, replace(pkg.manifest, server=server), key)


def manifest_with(pkg: ElectionPackage, server: Any) -> Any:
    manifest = json.loads(pkg.manifest_bytes)
    manifest["server"] = server
    return manifest


# ---- codec ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "server",
    [
        HTTPS,
        CentralServer("https://urne.example.org/isoloir/v2026", PIN),
        CentralServer("https://[2001:db8::1]:443", PIN),
        CentralServer("http://127.0.0.1:8000", None),
        CentralServer("http://[::1]:8000", None),
    ],
)
def test_a_server_round_trips_through_the_canonical_manifest(
    offline: ElectionPackage, organizer_key: Ed25519PrivateKey, server: CentralServer
) -> None:
    online = with_server(offline, server, organizer_key)
    assert online.manifest.server == server
    encoded = json.loads(online.manifest_bytes)["server"]
    pin = server.tls_certificate_sha256
    assert encoded == {"url": server.url, "tls_certificate_sha256": pin and pin.hex()}
    assert parse_manifest(json.loads(canonical_json(manifest_to_json(online.manifest)))) == (
        online.manifest
    )


def test_an_offline_manifest_has_no_server_field_and_keeps_its_bytes(
    offline: ElectionPackage,
) -> None:
    # Packages signed before the field existed keep loading, byte for byte.
    assert offline.manifest.server is None
    assert "server" not in json.loads(offline.manifest_bytes)
    assert canonical_json(manifest_to_json(offline.manifest)) == offline.manifest_bytes


@pytest.mark.parametrize(
    ("server", "message"),
    [
        (None, r"manifest\.server: null is not allowed"),
        ("https://urne.example.org", r"manifest\.server: expected an object"),
        (
            {"url": "ftp://urne.example.org", "tls_certificate_sha256": PIN.hex()},
            r"manifest\.server\.url: 'ftp://urne\.example\.org' is not an https:// URL",
        ),
        (
            {"url": "http://urne.example.org", "tls_certificate_sha256": None},
            r"manifest\.server\.url: .* not a loopback IP address",
        ),
        (
            {"url": "http://10.1.2.3:8000", "tls_certificate_sha256": None},
            r"manifest\.server\.url: .* not a loopback IP address",
        ),
        (
            {"url": "http://localhost:8000", "tls_certificate_sha256": None},
            r"manifest\.server\.url: .* not a loopback IP address",
        ),
        (
            {"url": "https://urne.example.org/", "tls_certificate_sha256": PIN.hex()},
            r"manifest\.server\.url: .* \(no trailing '/'",
        ),
        (
            {"url": "https://Urne.example.org", "tls_certificate_sha256": PIN.hex()},
            r"manifest\.server\.url: .* lowercase",
        ),
        (
            {"url": "https://u:p@urne.example.org", "tls_certificate_sha256": PIN.hex()},
            r"manifest\.server\.url: .* user name or password",
        ),
        (
            {"url": "https://urne.example.org?x=1", "tls_certificate_sha256": PIN.hex()},
            r"manifest\.server\.url: .* query or a fragment",
        ),
        (
            {"url": "https://urne.example.org:70000", "tls_certificate_sha256": PIN.hex()},
            r"manifest\.server\.url: .* \(bad host or port\)",
        ),
        (
            {"url": "https://urne example.org", "tls_certificate_sha256": PIN.hex()},
            r"manifest\.server\.url: .* spaces",
        ),
        (
            {"url": "https://urne.example.org", "tls_certificate_sha256": PIN.hex().upper()},
            r"manifest\.server\.tls_certificate_sha256: expected 32 bytes in lowercase hex",
        ),
        (
            {"url": "https://urne.example.org", "tls_certificate_sha256": PIN.hex()[:-2]},
            r"manifest\.server\.tls_certificate_sha256: expected 32 bytes in lowercase hex",
        ),
        (
            {"url": "https://urne.example.org", "tls_certificate_sha256": format_fingerprint(PIN)},
            r"manifest\.server\.tls_certificate_sha256: expected text of at most 64",
        ),
        (
            {"url": "https://urne.example.org", "tls_certificate_sha256": None},
            r"manifest\.server\.tls_certificate_sha256: an https:// server needs",
        ),
        (
            {"url": "http://127.0.0.1:8000", "tls_certificate_sha256": PIN.hex()},
            r"manifest\.server\.tls_certificate_sha256: must be null for an http:// server",
        ),
        ({"url": "https://urne.example.org"}, r"manifest\.server\.tls_certificate_sha256: missing"),
        (
            {
                "url": "https://urne.example.org",
                "tls_certificate_sha256": PIN.hex(),
                "tls_certificate_sha1": PIN.hex()[:40],
            },
            r"manifest\.server: unknown field 'tls_certificate_sha1'",
        ),
    ],
)
def test_a_malformed_server_is_refused_naming_the_field(
    offline: ElectionPackage, server: Any, message: str
) -> None:
    with pytest.raises(PackageFormatError, match=message):
        parse_manifest(manifest_with(offline, server))


# ---- signature and fingerprint ----------------------------------------------------------------


def test_the_pin_is_signed_and_named_by_the_fingerprint(
    offline: ElectionPackage, organizer_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    online = with_server(offline, HTTPS, organizer_key)
    package.write(online, tmp_path / "online")
    assert package.load(tmp_path / "online").manifest.server == HTTPS
    repinned = with_server(offline, replace(HTTPS, tls_certificate_sha256=OTHER_PIN), organizer_key)
    assert len({offline.fingerprint, online.fingerprint, repinned.fingerprint}) == 3
    # Another pin without the organizer's signature: the kiosk refuses the package.
    forged = copy.deepcopy(json.loads(online.manifest_bytes))
    forged["server"]["tls_certificate_sha256"] = OTHER_PIN.hex()
    (tmp_path / "online" / package.MANIFEST).write_bytes(canonical_json(forged))
    with pytest.raises(package.PackageError, match=r"manifest\.sig: bad signature"):
        package.load(tmp_path / "online")


# ---- the organizer's description --------------------------------------------------------------


def _describe(tmp_path: Path, server_table: str) -> Path:
    spec = write_description(tmp_path / "src")
    # First: appended, a table would land inside the last [[scrutins.lists]].
    spec.write_text(server_table + spec.read_text(encoding="utf-8"), encoding="utf-8")
    return spec


def test_election_new_reads_the_server_and_verify_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_path = tmp_path / "organizer.key"
    assert main(["election", "keygen", str(key_path)]) == 0
    public = signing.public_bytes(signing.load_private_key(key_path))
    spec = write_description(tmp_path / "src", organizer_key=public)
    # As isoloir server run prints it: upper case with colons.
    table = f'url = "{HTTPS.url}"\ntls_certificate_sha256 = "{format_fingerprint(PIN)}"'
    spec.write_text(f"[server]\n{table}\n" + spec.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "pkg"
    assert main(["election", "new", str(spec), "--out", str(out)]) == 0
    assert main(["election", "sign", str(out), "--key", str(key_path)]) == 0
    capsys.readouterr()
    assert main(["election", "verify", str(out)]) == 0
    shown = capsys.readouterr().out
    assert f"Server:      {HTTPS.url}\n" in shown
    assert f"TLS pin:     {format_fingerprint(PIN)}\n" in shown
    assert package.load(out).manifest.server == HTTPS


def test_without_a_server_table_the_election_is_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = build_draft(write_description(tmp_path / "src"))
    assert draft.manifest.server is None
    assert b'"server"' not in draft.manifest_bytes


def test_a_loopback_http_server_needs_no_pin(tmp_path: Path) -> None:
    spec = _describe(tmp_path, '\n[server]\nurl = "http://127.0.0.1:8000"\n')
    assert build_draft(spec).manifest.server == CentralServer("http://127.0.0.1:8000", None)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('\n[server]\nurl = "https://urne.example.org"\n', "an https:// server needs"),
        (
            '\n[server]\nurl = "https://urne.example.org"\ntls_certificate_sha256 = "AB:CD"\n',
            r"server\.tls_certificate_sha256: expected the certificate's SHA-256",
        ),
        (
            f'\n[server]\nurl = "http://192.0.2.1"\ntls_certificate_sha256 = "{PIN.hex()}"\n',
            "not a loopback IP address",
        ),
        ('\n[server]\nurl = "https://urne.example.org"\npin = "x"\n', r"server\.pin: unknown"),
        ('\nserver = "https://urne.example.org"\n', r"expected a \[server\] table"),
    ],
)
def test_a_wrong_server_table_is_refused(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        build_draft(_describe(tmp_path, table))


# ---- the kiosk's rule -------------------------------------------------------------------------


def test_the_kiosk_takes_the_packages_server_and_pin() -> None:
    expected = ServerEndpoint(HTTPS.url, PIN)
    assert package_endpoint(HTTPS) == expected
    assert package_endpoint(HTTPS, HTTPS.url + "/", format_fingerprint(PIN)) == expected
    assert package_endpoint(HTTPS, HTTPS.url, PIN.hex()) == expected
    loopback = CentralServer("http://127.0.0.1:8000", None)
    assert package_endpoint(loopback, "http://127.0.0.1:8000") == ServerEndpoint(loopback.url, None)


@pytest.mark.parametrize(
    ("signed", "url", "pin", "message"),
    [
        (None, None, None, "names no central server: this is an offline election"),
        (None, HTTPS.url, PIN.hex(), "offline election"),
        (HTTPS, "https://autre.example.org:8443", None, "is not the server the election package"),
        (HTTPS, "http://127.0.0.1:8443", None, "is not the server the election package"),
        (HTTPS, None, OTHER_PIN.hex(), "is not the one the election package signs"),
        (CentralServer("http://127.0.0.1:8000", None), None, PIN.hex(), "no certificate to pin"),
    ],
)
def test_the_kiosk_refuses_another_server_or_pin(
    signed: CentralServer | None, url: str | None, pin: str | None, message: str
) -> None:
    with pytest.raises(EndpointError, match=message):
        package_endpoint(signed, url, pin)


def test_a_pin_that_is_no_fingerprint_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes in hex"):
        package_endpoint(HTTPS, None, "ab")
