"""The election package: round trips, tampering, and the strict schema (package and codec)."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.election import package, signing
from kiosk.election.codec import (
    PackageFormatError,
    manifest_to_json,
    package_path,
    parse_manifest,
    parse_roll,
    roll_to_json,
)
from kiosk.election.model import (
    SCHEMA,
    ElectionKey,
    ElectionPackage,
    SeatMethod,
    TrusteeCommitments,
    TrusteeId,
)
from kiosk.encoding import b64encode, canonical_json
from tests.factories import small_package

Json = Any
Files = dict[str, bytes]

FINGERPRINT = re.compile(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}")


@pytest.fixture(scope="module")
def organizer_key() -> Ed25519PrivateKey:
    return signing.generate()


@pytest.fixture(scope="module")
def pkg(organizer_key: Ed25519PrivateKey) -> ElectionPackage:
    return small_package(organizer_key)


@pytest.fixture
def write_files(tmp_path: Path) -> Callable[[Files], Path]:
    """Write a package folder from raw files; each call gets a fresh folder."""
    count = 0

    def write(files: Files) -> Path:
        nonlocal count
        count += 1
        root = tmp_path / f"pkg{count}"
        for rel, data in files.items():
            target = root.joinpath(*rel.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return root

    return write


def files_of(pkg: ElectionPackage) -> Files:
    return {package.MANIFEST: pkg.manifest_bytes, package.SIGNATURE: pkg.signature, **pkg.assets}


def manifest_json(pkg: ElectionPackage) -> Json:
    return json.loads(pkg.manifest_bytes)


def roll_json(pkg: ElectionPackage) -> Json:
    return json.loads(pkg.assets[pkg.manifest.roll_path])


def signed(files: Files, manifest_bytes: bytes, key: Ed25519PrivateKey) -> Files:
    """``files`` with the given manifest bytes, validly signed by ``key``."""
    return {**files, package.MANIFEST: manifest_bytes, package.SIGNATURE: key.sign(manifest_bytes)}


def with_manifest(files: Files, manifest: Json, key: Ed25519PrivateKey) -> Files:
    return signed(files, canonical_json(manifest), key)


def with_roll(
    files: Files, roll_bytes: bytes, key: Ed25519PrivateKey, *, voters: int | None = None
) -> Files:
    """``files`` with another roll, its hash (and voter count) in a re-signed manifest."""
    manifest = json.loads(files[package.MANIFEST])
    manifest["assets"]["roll.json"] = hashlib.sha256(roll_bytes).hexdigest()
    if voters is not None:
        manifest["roll"]["voters"] = voters
    return with_manifest({**files, "roll.json": roll_bytes}, manifest, key)


def refused(root: Path, **kwargs: Any) -> str:
    with pytest.raises(package.PackageError) as info:
        package.load(root, **kwargs)
    return str(info.value)


def voter_fields(pkg: ElectionPackage) -> list[dict[str, Any]]:
    return [dataclasses.asdict(v) for v in pkg.roll]


# ---- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["folder", "package.zip"])
def test_round_trip(pkg: ElectionPackage, tmp_path: Path, name: str) -> None:
    destination = tmp_path / name
    package.write(pkg, destination)
    staging = tmp_path / "staging"
    staging.mkdir()
    loaded = package.load(destination, staging_parent=staging)
    assert loaded.fingerprint == pkg.fingerprint
    assert loaded.manifest_bytes == pkg.manifest_bytes
    assert loaded.signature == pkg.signature
    assert loaded.manifest == pkg.manifest
    assert voter_fields(loaded) == voter_fields(pkg)
    assert [v.vote_code is None for v in loaded.roll] == [False, False, True]
    assert dict(loaded.assets) == dict(pkg.assets)
    assert loaded.manifest.election_key is None
    assert list(staging.iterdir()) == []


def test_written_folder_holds_exactly_the_package_files(
    pkg: ElectionPackage, tmp_path: Path
) -> None:
    package.write(pkg, tmp_path / "p")
    on_disk = {
        path.relative_to(tmp_path / "p").as_posix(): path.read_bytes()
        for path in (tmp_path / "p").rglob("*")
        if path.is_file()
    }
    assert on_disk == files_of(pkg)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]  # no .partial left behind


def test_fingerprint_format_and_binding(
    pkg: ElectionPackage, organizer_key: Ed25519PrivateKey
) -> None:
    assert FINGERPRINT.fullmatch(pkg.fingerprint)
    assert pkg.fingerprint == package.fingerprint(pkg.manifest_bytes)
    renamed = package.resign(
        pkg, dataclasses.replace(pkg.manifest, title="Autre élection"), organizer_key
    )
    assert FINGERPRINT.fullmatch(renamed.fingerprint)
    assert renamed.fingerprint != pkg.fingerprint
    assert package.fingerprint(b"") != package.fingerprint(b" ")


def _random_election_key() -> ElectionKey:
    return ElectionKey(
        joint_public_key=os.urandom(32),
        threshold=2,
        trustees=tuple(
            TrusteeCommitments(TrusteeId(f"trustee-{i}"), (os.urandom(32), os.urandom(32)))
            for i in range(3)
        ),
    )


@pytest.mark.parametrize("name", ["sealed", "sealed.zip"])
def test_round_trip_with_an_election_key(
    pkg: ElectionPackage, organizer_key: Ed25519PrivateKey, tmp_path: Path, name: str
) -> None:
    key = _random_election_key()
    sealed = package.resign(pkg, dataclasses.replace(pkg.manifest, election_key=key), organizer_key)
    assert sealed.fingerprint != pkg.fingerprint
    package.write(sealed, tmp_path / name)
    loaded = package.load(tmp_path / name, staging_parent=tmp_path)
    assert loaded.manifest.election_key == key
    assert loaded.manifest == sealed.manifest
    assert loaded.fingerprint == sealed.fingerprint
    assert voter_fields(loaded) == voter_fields(pkg)


def test_resign_refuses_a_key_other_than_the_organizer(pkg: ElectionPackage) -> None:
    with pytest.raises(package.PackageError, match="not the organizer key"):
        package.resign(pkg, pkg.manifest, signing.generate())


def test_write_refuses_to_overwrite(pkg: ElectionPackage, tmp_path: Path) -> None:
    (tmp_path / "p.zip").write_bytes(b"keep me")
    with pytest.raises(package.PackageError, match="exists already"):
        package.write(pkg, tmp_path / "p.zip")
    assert (tmp_path / "p.zip").read_bytes() == b"keep me"


def test_expected_organizer_key(pkg: ElectionPackage, tmp_path: Path) -> None:
    package.write(pkg, tmp_path / "p")
    assert package.load(tmp_path / "p", expected_organizer_key=pkg.manifest.organizer.public_key)
    other = signing.public_bytes(signing.generate())
    assert "organizer key differs" in refused(tmp_path / "p", expected_organizer_key=other)


def test_a_package_signed_by_another_organizer_is_refused_when_a_key_is_expected(
    pkg: ElectionPackage, tmp_path: Path
) -> None:
    # A forger can sign a perfect package with their own key: only the expected key catches it.
    forged = small_package(signing.generate())
    package.write(forged, tmp_path / "forged")
    assert package.load(tmp_path / "forged")
    message = refused(tmp_path / "forged", expected_organizer_key=pkg.manifest.organizer.public_key)
    assert "organizer key differs" in message


def test_missing_source_and_symlinked_source(pkg: ElectionPackage, tmp_path: Path) -> None:
    assert "no such package" in refused(tmp_path / "nothing")
    package.write(pkg, tmp_path / "p")
    (tmp_path / "link").symlink_to(tmp_path / "p")
    assert "symbolic link" in refused(tmp_path / "link")


# ---- tampering --------------------------------------------------------------------------------


def _positions(size: int, rng: random.Random) -> list[int]:
    return sorted({0, size - 1, size // 2, rng.randrange(size), rng.randrange(size)})


def test_any_flipped_byte_in_any_file_is_refused(pkg: ElectionPackage, tmp_path: Path) -> None:
    package.write(pkg, tmp_path / "p")
    rng = random.Random(20261201)
    checked = 0
    for rel, original in files_of(pkg).items():
        target = (tmp_path / "p").joinpath(*rel.split("/"))
        for position in _positions(len(original), rng):
            for mask in (0x01, 0x80, rng.randrange(1, 256)):
                tampered = bytearray(original)
                tampered[position] ^= mask
                target.write_bytes(bytes(tampered))
                message = refused(tmp_path / "p")
                if rel == package.SIGNATURE:
                    assert "bad signature" in message, message
                elif rel != package.MANIFEST:
                    assert f"hash mismatch for {rel!r}" in message, message
                checked += 1
        target.write_bytes(original)
    assert checked >= 3 * 3 * len(files_of(pkg))
    assert package.load(tmp_path / "p").fingerprint == pkg.fingerprint  # all restored


def test_a_flipped_byte_inside_a_zip_entry_is_refused(pkg: ElectionPackage, tmp_path: Path) -> None:
    # Rebuild the zip with one entry changed, so the zip CRC is right and only the hash can tell.
    for rel in ("roll.json", "assets/capn/l2-pdf.pdf", package.SIGNATURE, package.MANIFEST):
        files = files_of(pkg)
        data = bytearray(files[rel])
        data[len(data) // 3] ^= 0x04
        files[rel] = bytes(data)
        archive = tmp_path / "tampered.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, content in files.items():
                zf.writestr(name, content)
        message = refused(archive, staging_parent=tmp_path)
        if rel not in (package.MANIFEST, package.SIGNATURE):
            assert f"hash mismatch for {rel!r}" in message
        archive.unlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_truncated_or_extended_files_are_refused(
    pkg: ElectionPackage, write_files: Callable[[Files], Path]
) -> None:
    for rel, data in files_of(pkg).items():
        for changed in (data[:-1], data + b"\n", b""):
            message = refused(write_files({**files_of(pkg), rel: changed}))
            if rel not in (package.MANIFEST, package.SIGNATURE):
                assert f"hash mismatch for {rel!r}" in message


def test_signature_by_another_key_is_a_bad_signature(
    pkg: ElectionPackage, write_files: Callable[[Files], Path]
) -> None:
    forged = signing.generate().sign(pkg.manifest_bytes)
    message = refused(write_files({**files_of(pkg), package.SIGNATURE: forged}))
    assert message.startswith("manifest.sig: bad signature")


def test_a_changed_seat_method_breaks_the_signature(
    pkg: ElectionPackage, write_files: Callable[[Files], Path]
) -> None:
    # The method is fixed before the polls open: switching it afterwards needs the organizer key.
    manifest = manifest_json(pkg)
    manifest["seat_method"] = "largest_remainder"
    message = refused(write_files({**files_of(pkg), package.MANIFEST: canonical_json(manifest)}))
    assert message.startswith("manifest.sig: bad signature")


@pytest.mark.parametrize("signature", [b"", b"\x00" * 63, b"\x00" * 64])
def test_short_or_null_signature_is_a_bad_signature(
    pkg: ElectionPackage, write_files: Callable[[Files], Path], signature: bytes
) -> None:
    assert "bad signature" in refused(write_files({**files_of(pkg), package.SIGNATURE: signature}))


def test_long_signature_is_refused(
    pkg: ElectionPackage, write_files: Callable[[Files], Path]
) -> None:
    message = refused(write_files({**files_of(pkg), package.SIGNATURE: pkg.signature + b"\x00"}))
    assert message == "'manifest.sig': larger than 64 bytes"


def test_a_manifest_signed_for_another_organizer_key_is_a_bad_signature(
    pkg: ElectionPackage, organizer_key: Ed25519PrivateKey, write_files: Callable[[Files], Path]
) -> None:
    # The manifest now names another organizer key, but was signed with the old one.
    manifest = manifest_json(pkg)
    manifest["organizer"]["public_key"] = b64encode(signing.public_bytes(signing.generate()))
    files = with_manifest(files_of(pkg), manifest, organizer_key)
    assert "bad signature" in refused(write_files(files))


@pytest.mark.parametrize(
    "missing", ["roll.json", "assets/cap/l1-logo.png", "assets/capn/l0-pdf.pdf"]
)
def test_missing_asset_is_named(
    pkg: ElectionPackage, write_files: Callable[[Files], Path], missing: str
) -> None:
    files = files_of(pkg)
    del files[missing]
    assert refused(write_files(files)) == f"missing asset {missing!r}"


@pytest.mark.parametrize("missing", [package.MANIFEST, package.SIGNATURE])
def test_missing_manifest_or_signature(
    pkg: ElectionPackage, write_files: Callable[[Files], Path], missing: str
) -> None:
    files = files_of(pkg)
    del files[missing]
    assert refused(write_files(files)).startswith(f"missing {missing}")


@pytest.mark.parametrize("extra", ["extra.txt", "assets/cap/l9-logo.png", "Roll.json", ".hidden"])
def test_unlisted_file_is_refused(
    pkg: ElectionPackage, write_files: Callable[[Files], Path], extra: str
) -> None:
    message = refused(write_files({**files_of(pkg), extra: b"x"}))
    assert message.startswith(f"unexpected file {extra!r}")


def test_unknown_schema_version_is_refused(
    pkg: ElectionPackage, organizer_key: Ed25519PrivateKey, write_files: Callable[[Files], Path]
) -> None:
    manifest = manifest_json(pkg)
    manifest["schema"] = "isoloir.election-package/2"
    message = refused(write_files(with_manifest(files_of(pkg), manifest, organizer_key)))
    assert "unknown schema version 'isoloir.election-package/2'" in message


def test_roll_with_unknown_schema_is_refused(
    pkg: ElectionPackage, organizer_key: Ed25519PrivateKey, write_files: Callable[[Files], Path]
) -> None:
    roll = roll_json(pkg)
    roll["schema"] = "isoloir.election-package/0"
    files = with_roll(files_of(pkg), canonical_json(roll), organizer_key)
    assert "roll.schema: unknown schema version" in refused(write_files(files))


def test_a_validly_resigned_manifest_and_roll_load(
    pkg: ElectionPackage, organizer_key: Ed25519PrivateKey, write_files: Callable[[Files], Path]
) -> None:
    # The helpers themselves produce loadable packages: the refusals below are not artefacts.
    files = with_roll(files_of(pkg), canonical_json(roll_json(pkg)), organizer_key)
    assert package.load(write_files(files)).fingerprint == pkg.fingerprint
    manifest = manifest_json(pkg)
    manifest["title"] = "Élection renommée"
    loaded = package.load(write_files(with_manifest(files_of(pkg), manifest, organizer_key)))
    assert loaded.manifest.title == "Élection renommée"


# ---- duplicates -------------------------------------------------------------------------------


def test_duplicate_scrutin_id(
    pkg: ElectionPackage, organizer_key: Ed25519PrivateKey, write_files: Callable[[Files], Path]
) -> None:
    manifest = manifest_json(pkg)
    manifest["scrutins"][1]["id"] = manifest["scrutins"][0]["id"]
    message = refused(write_files(with_manifest(files_of(pkg), manifest, organizer_key)))
    assert message == "duplicate scrutin id 'capn'"


def test_duplicate_list_id_in_a_scrutin(
    pkg: ElectionPackage, organizer_key: Ed25519PrivateKey, write_files: Callable[[Files], Path]
) -> None:
    manifest = manifest_json(pkg)
    manifest["scrutins"][0]["lists"][2]["id"] = "l0"
    message = refused(write_files(with_manifest(files_of(pkg), manifest, organizer_key)))
    assert message == "duplicate list id in manifest.scrutins[0] 'l0'"


def test_same_list_id_in_two_scrutins_is_fine(pkg: ElectionPackage) -> None:
    assert [lst.id for lst in pkg.manifest.scrutins[0].lists][:2] == [
        lst.id for lst in pkg.manifest.scrutins[1].lists
    ]


def test_duplicate_voter_id(
    pkg: ElectionPackage, organizer_key: Ed25519PrivateKey, write_files: Callable[[Files], Path]
) -> None:
    roll = roll_json(pkg)
    roll["voters"][2]["id"] = roll["voters"][0]["id"]
    files = with_roll(files_of(pkg), canonical_json(roll), organizer_key)
    assert refused(write_files(files)) == "duplicate voter id 'v0000'"


def test_duplicate_voter_identifier_ignores_case(
    pkg: ElectionPackage, organizer_key: Ed25519PrivateKey, write_files: Callable[[Files], Path]
) -> None:
    roll = roll_json(pkg)
    roll["voters"][1]["identifier"] = roll["voters"][0]["identifier"].upper()
    files = with_roll(files_of(pkg), canonical_json(roll), organizer_key)
    message = refused(write_files(files))
    assert message.startswith("duplicate voter identifier")


@pytest.mark.parametrize("key", ["election_id", "title", "assets"])
def test_duplicate_json_key_in_the_manifest(
    pkg: ElectionPackage,
    organizer_key: Ed25519PrivateKey,
    write_files: Callable[[Files], Path],
    key: str,
) -> None:
    manifest_bytes = b'{"%s":"x",' % key.encode() + pkg.manifest_bytes[1:]
    message = refused(write_files(signed(files_of(pkg), manifest_bytes, organizer_key)))
    assert message == f"manifest.json: duplicate key {key!r}"


def test_duplicate_json_key_in_the_roll(
    pkg: ElectionPackage, organizer_key: Ed25519PrivateKey, write_files: Callable[[Files], Path]
) -> None:
    roll_bytes = pkg.assets["roll.json"].replace(
        b'{"display_name":', b'{"id":"v9","display_name":', 1
    )
    message = refused(write_files(with_roll(files_of(pkg), roll_bytes, organizer_key)))
    assert message == "roll.json: duplicate key 'id'"


def test_duplicate_kiosk_and_trustee_ids(pkg: ElectionPackage) -> None:
    manifest = manifest_json(pkg)
    manifest["kiosks"].append(dict(manifest["kiosks"][0]))
    with pytest.raises(PackageFormatError, match="duplicate kiosk id 'kiosk-01'"):
        parse_manifest(manifest)
    manifest = manifest_to_json(
        dataclasses.replace(pkg.manifest, election_key=_random_election_key())
    )
    manifest["election_key"]["trustees"][2]["id"] = "trustee-0"
    with pytest.raises(PackageFormatError, match="duplicate trustee id 'trustee-0'"):
        parse_manifest(manifest)


# ---- canonical form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dump",
    [
        lambda v: json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False),
        lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False),  # ", " and ": "
        lambda v: json.dumps(v, sort_keys=True, separators=(",", ":")),  # \u escapes
        lambda v: json.dumps(dict(reversed(v.items())), separators=(",", ":"), ensure_ascii=False),
        lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n",
    ],
    ids=["pretty", "spaces", "ascii-escapes", "key-order", "trailing-newline"],
)
def test_non_canonical_manifest_is_refused_even_when_signed(
    pkg: ElectionPackage,
    organizer_key: Ed25519PrivateKey,
    write_files: Callable[[Files], Path],
    dump: Callable[[Json], str],
) -> None:
    manifest_bytes = dump(manifest_json(pkg)).encode("utf-8")
    assert manifest_bytes != pkg.manifest_bytes
    message = refused(write_files(signed(files_of(pkg), manifest_bytes, organizer_key)))
    assert message.startswith("manifest.json: not in canonical form")


def test_floats_in_a_signed_manifest_are_refused(
    pkg: ElectionPackage, organizer_key: Ed25519PrivateKey, write_files: Callable[[Files], Path]
) -> None:
    manifest_bytes = pkg.manifest_bytes.replace(b'"seats":5', b'"seats":5.0', 1)
    message = refused(write_files(signed(files_of(pkg), manifest_bytes, organizer_key)))
    assert message == "manifest.json: non-integer number '5.0'"


def test_floats_in_a_signed_roll_are_refused(
    pkg: ElectionPackage, organizer_key: Ed25519PrivateKey, write_files: Callable[[Files], Path]
) -> None:
    roll_bytes = pkg.assets["roll.json"].replace(b'"phone":"+33600000000"', b'"phone":1e10', 1)
    message = refused(write_files(with_roll(files_of(pkg), roll_bytes, organizer_key)))
    assert message == "roll.json: non-integer number '1e10'"


@pytest.mark.parametrize(
    ("manifest_bytes", "expected"),
    [
        (b"\xff", "manifest.json: not valid UTF-8"),
        (b'{"a":"\\ud800"}', "manifest.json: a string holds a lone surrogate"),
        (b"[" * 50_000, "manifest.json: JSON nested too deeply"),
        (b"1" * 5_000, "manifest.json: a number has too many digits"),
        (b"[]", "manifest: expected an object"),
    ],
)
def test_malformed_manifest_bytes_give_a_package_error(
    pkg: ElectionPackage,
    organizer_key: Ed25519PrivateKey,
    write_files: Callable[[Files], Path],
    manifest_bytes: bytes,
    expected: str,
) -> None:
    assert refused(write_files(signed(files_of(pkg), manifest_bytes, organizer_key))).startswith(
        expected
    )


# ---- codec: the manifest ----------------------------------------------------------------------


def _refuse_manifest(manifest: Json, pattern: str) -> None:
    with pytest.raises(PackageFormatError, match=pattern):
        parse_manifest(manifest)


def test_codec_round_trip(pkg: ElectionPackage) -> None:
    manifest = manifest_json(pkg)
    assert manifest_to_json(parse_manifest(manifest)) == manifest
    roll = roll_json(pkg)
    assert roll_to_json(pkg.manifest.election_id, parse_roll(roll, pkg.manifest)) == roll


@pytest.mark.parametrize("method", list(SeatMethod))
def test_the_seat_method_is_part_of_the_signed_manifest(
    pkg: ElectionPackage, method: SeatMethod
) -> None:
    manifest = manifest_json(pkg)
    assert manifest["seat_method"] == "highest_average"
    manifest["seat_method"] = method.value
    parsed = parse_manifest(manifest)
    assert parsed.seat_method is method
    assert manifest_to_json(parsed) == manifest


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ((), r"^manifest: unknown field 'zz'$"),
        (("organizer",), r"^manifest\.organizer: unknown field 'zz'$"),
        (("voting_window",), r"^manifest\.voting_window: unknown field 'zz'$"),
        (("scrutins", 1), r"^manifest\.scrutins\[1\]: unknown field 'zz'$"),
        (("scrutins", 0, "lists", 2), r"^manifest\.scrutins\[0\]\.lists\[2\]: unknown field 'zz'$"),
        (("scrutins", 0, "blank_vote"), r"^manifest\.scrutins\[0\]\.blank_vote: unknown field"),
        (("roll",), r"^manifest\.roll: unknown field 'zz'$"),
        (("kdf",), r"^manifest\.kdf: unknown field 'zz'$"),
        (("kiosks", 0), r"^manifest\.kiosks\[0\]: unknown field 'zz'$"),
    ],
)
def test_unknown_field_is_refused_with_its_path(
    pkg: ElectionPackage, where: tuple[str | int, ...], expected: str
) -> None:
    manifest = manifest_json(pkg)
    target = manifest
    for step in where:
        target = target[step]
    target["zz"] = "smuggled"
    _refuse_manifest(manifest, expected)


@pytest.mark.parametrize(
    ("where", "key", "expected"),
    [
        ((), "title", r"^manifest\.title: missing$"),
        ((), "election_key", r"^manifest\.election_key: missing$"),
        ((), "kiosks", r"^manifest\.kiosks: missing$"),
        ((), "schema", r"^manifest\.schema: missing$"),
        ((), "seat_method", r"^manifest\.seat_method: missing$"),
        (("organizer",), "public_key", r"^manifest\.organizer\.public_key: missing$"),
        (("voting_window",), "closes_at", r"^manifest\.voting_window\.closes_at: missing$"),
        (("scrutins", 1), "seats", r"^manifest\.scrutins\[1\]\.seats: missing$"),
        (
            ("scrutins", 0, "lists", 1),
            "ballot",
            r"^manifest\.scrutins\[0\]\.lists\[1\]\.ballot: missing$",
        ),
        (("roll",), "voters", r"^manifest\.roll\.voters: missing$"),
        (("kdf",), "log2_n", r"^manifest\.kdf\.log2_n: missing$"),
    ],
)
def test_missing_field_is_named(
    pkg: ElectionPackage, where: tuple[str | int, ...], key: str, expected: str
) -> None:
    manifest = manifest_json(pkg)
    target = manifest
    for step in where:
        target = target[step]
    del target[key]
    _refuse_manifest(manifest, expected)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("title",), 5, r"^manifest\.title: expected a non-empty string"),
        (("title",), "   ", r"^manifest\.title: expected a non-empty string"),
        (("title",), None, r"^manifest\.title: expected a non-empty string"),
        (("title",), ["x"], r"^manifest\.title: expected a non-empty string"),
        (("title",), "x" * 501, r"^manifest\.title: longer than 500 characters"),
        (("title",), "a\nb", r"^manifest\.title: control characters"),
        (("organizer",), [], r"^manifest\.organizer: expected an object"),
        (
            ("organizer", "public_key"),
            123,
            r"^manifest\.organizer\.public_key: expected base64 text",
        ),
        (
            ("organizer", "public_key"),
            "AAAA",
            r"^manifest\.organizer\.public_key: expected 32 bytes",
        ),
        (("organizer", "public_key"), "not base64!", r"public_key: not valid base64"),
        (("seat_method",), None, r"^manifest\.seat_method: expected a non-empty string"),
        (
            ("seat_method",),
            "sainte_lague",
            r"^manifest\.seat_method: unknown seat allocation method 'sainte_lague' "
            r"\('highest_average' or 'largest_remainder'\)$",
        ),
        (("seat_method",), "Highest_Average", r"^manifest\.seat_method: unknown seat allocation"),
        (("scrutins",), {}, r"^manifest\.scrutins: expected an array"),
        (("scrutins",), [], r"^manifest\.scrutins: an election needs at least one scrutin"),
        (("scrutins", 0, "seats"), "5", r"^manifest\.scrutins\[0\]\.seats: expected an integer"),
        (("scrutins", 0, "seats"), True, r"^manifest\.scrutins\[0\]\.seats: expected an integer"),
        (
            ("scrutins", 0, "seats"),
            0,
            r"^manifest\.scrutins\[0\]\.seats: expected an integer in 1\.\.1000",
        ),
        (
            ("scrutins", 0, "lists"),
            [],
            r"^manifest\.scrutins\[0\]\.lists: a scrutin needs at least one list",
        ),
        (
            ("scrutins", 1, "lists", 0),
            "l0",
            r"^manifest\.scrutins\[1\]\.lists\[0\]: expected an object",
        ),
        (("roll", "voters"), -1, r"^manifest\.roll\.voters: expected an integer"),
        (("kiosks",), None, r"^manifest\.kiosks: expected an array"),
        (
            ("kiosks", 0, "station"),
            7,
            r"^manifest\.kiosks\[0\]\.station: expected a non-empty string",
        ),
        (("election_key",), "sealed", r"^manifest\.election_key: expected an object"),
        (("assets",), [], r"^manifest\.assets: expected an object"),
        (
            ("assets", "roll.json"),
            "AB" * 32,
            r"^manifest\.assets\['roll\.json'\]: expected a lowercase SHA-256",
        ),
        (
            ("assets", "roll.json"),
            0,
            r"^manifest\.assets\['roll\.json'\]: expected a lowercase SHA-256",
        ),
    ],
)
def test_wrong_types_and_values_are_refused(
    pkg: ElectionPackage, path: tuple[str | int, ...], value: Json, expected: str
) -> None:
    manifest = manifest_json(pkg)
    target = manifest
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    _refuse_manifest(manifest, expected)


@pytest.mark.parametrize(
    "bad_id", ["Test-2026", "test 2026", "-test", ".x", "", "é", "a" * 65, "a/b"]
)
def test_election_id_must_be_an_id(pkg: ElectionPackage, bad_id: str) -> None:
    manifest = manifest_json(pkg)
    manifest["election_id"] = bad_id
    _refuse_manifest(manifest, r"^manifest\.election_id: ")


@pytest.mark.parametrize(
    ("path", "bad_id"),
    [
        (("scrutins", 0, "id"), "CAPN"),
        (("scrutins", 1, "lists", 0, "id"), "l 0"),
        (("kiosks", 0, "id"), "Kiosk"),
    ],
)
def test_other_ids_must_be_ids(
    pkg: ElectionPackage, path: tuple[str | int, ...], bad_id: str
) -> None:
    manifest = manifest_json(pkg)
    target = manifest
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = bad_id
    _refuse_manifest(manifest, "is not an id")


def test_the_blank_option_id_is_reserved(pkg: ElectionPackage) -> None:
    manifest = manifest_json(pkg)
    manifest["scrutins"][1]["lists"][0]["id"] = "blank"
    _refuse_manifest(manifest, r"^manifest\.scrutins\[1\]\.lists: the id 'blank' is kept")


UNSAFE_PATHS = [
    "../evil.png",
    "/etc/passwd",
    "assets/../../evil",
    "assets\\evil.png",
    "assets//evil.png",
    "./evil.png",
    "assets/./evil.png",
    "assets/",
    "C:/evil.png",
    "evil\x00.png",
    "evil\n.png",
    "a" * 256,
    "..",
    "",
]


@pytest.mark.parametrize("bad", UNSAFE_PATHS)
def test_unsafe_asset_paths_in_the_manifest_are_refused(pkg: ElectionPackage, bad: str) -> None:
    manifest = manifest_json(pkg)
    manifest["assets"][bad] = "0" * 64
    _refuse_manifest(manifest, r"^manifest\.assets: .* is not a safe package-relative path")
    manifest = manifest_json(pkg)
    manifest["scrutins"][0]["lists"][1]["logo"] = bad
    _refuse_manifest(manifest, r"^manifest\.scrutins\[0\]\.lists\[1\]\.logo: ")
    manifest = manifest_json(pkg)
    manifest["roll"]["path"] = bad
    _refuse_manifest(manifest, r"^manifest\.roll\.path: ")


@pytest.mark.parametrize("good", ["roll.json", "a/b/c.pdf", "é/ü.png", "a..b", "...x", "x.", "-a"])
def test_safe_package_paths_are_kept(good: str) -> None:
    assert package_path(good, "x") == good


def test_asset_hashes_and_references_must_match(pkg: ElectionPackage) -> None:
    manifest = manifest_json(pkg)
    del manifest["assets"]["assets/cap/l1-ballot.pdf"]
    _refuse_manifest(manifest, "no hash for referenced file 'assets/cap/l1-ballot.pdf'")
    manifest = manifest_json(pkg)
    manifest["assets"]["assets/spare.pdf"] = "0" * 64
    _refuse_manifest(manifest, "'assets/spare.pdf' is listed but never referenced")
    manifest = manifest_json(pkg)
    manifest["assets"]["Roll.json"] = "0" * 64
    _refuse_manifest(manifest, "two paths differ only by case")


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "europe/paris ", "../../etc/passwd", "/etc/localtime", "UTC+1"]
)
def test_unknown_time_zone_is_refused(pkg: ElectionPackage, zone: str) -> None:
    manifest = manifest_json(pkg)
    manifest["time_zone"] = zone
    _refuse_manifest(manifest, r"^manifest\.time_zone: unknown time zone")


@pytest.mark.parametrize(
    ("opens", "closes", "expected"),
    [
        (
            "2026-12-08T16:00:00+00:00",
            "2026-12-01T07:00:00+00:00",
            "closes_at is not after opens_at",
        ),
        (
            "2026-12-01T07:00:00+00:00",
            "2026-12-01T08:00:00+01:00",
            "closes_at is not after opens_at",
        ),
        ("2026-12-01T07:00:00", "2026-12-08T16:00:00+00:00", r"opens_at: .* has no UTC offset"),
        ("2026-12-01T07:00:00+00:00", "8 décembre", r"closes_at: .* is not an ISO 8601 instant"),
    ],
)
def test_voting_window_is_checked(
    pkg: ElectionPackage, opens: str, closes: str, expected: str
) -> None:
    manifest = manifest_json(pkg)
    manifest["voting_window"] = {"opens_at": opens, "closes_at": closes}
    _refuse_manifest(manifest, expected)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"log2_n": 0}, r"^manifest\.kdf\.log2_n: expected an integer in 1\.\.20"),
        ({"log2_n": 21}, r"^manifest\.kdf\.log2_n: expected an integer in 1\.\.20"),
        ({"r": 0}, r"^manifest\.kdf\.r: expected an integer in 1\.\.32"),
        ({"r": 33}, r"^manifest\.kdf\.r: expected an integer in 1\.\.32"),
        ({"p": 17}, r"^manifest\.kdf\.p: expected an integer in 1\.\.16"),
        ({"p": 0}, r"^manifest\.kdf\.p: expected an integer in 1\.\.16"),
        ({"log2_n": "4"}, r"^manifest\.kdf\.log2_n: expected an integer"),
        ({"log2_n": 16, "r": 1}, r"^manifest\.kdf: kdf log2_n must be below 16 \* r"),
        ({"log2_n": 20, "r": 32}, r"^manifest\.kdf: kdf needs \d+ bytes of memory"),
        ({"algorithm": "argon2id"}, r"^manifest\.kdf\.algorithm: only 'scrypt' is supported"),
    ],
)
def test_kdf_out_of_range_is_refused(pkg: ElectionPackage, changes: Json, expected: str) -> None:
    manifest = manifest_json(pkg)
    manifest["kdf"].update(changes)
    _refuse_manifest(manifest, expected)


def test_election_key_is_checked(pkg: ElectionPackage) -> None:
    good = manifest_to_json(dataclasses.replace(pkg.manifest, election_key=_random_election_key()))
    assert parse_manifest(good).election_key is not None
    for changes, expected in [
        ({"threshold": 4}, r"threshold: more than the trustees"),
        ({"threshold": 1}, r"threshold: expected an integer in 2\.\.100"),
        ({"joint_public_key": "AAAA"}, r"joint_public_key: expected 32 bytes"),
        (
            {"trustees": [{"id": "t", "commitments": [1]}]},
            r"trustees\[0\]\.commitments\[0\]: expected base64",
        ),
        (
            {"trustees": [{"id": "t", "commitments": ["AAAA"]}]},
            r"commitments\[0\]: expected 32 bytes",
        ),
        ({"extra": 1}, r"^manifest\.election_key: unknown field 'extra'"),
    ]:
        manifest = copy.deepcopy(good)
        manifest["election_key"].update(changes)
        _refuse_manifest(manifest, expected)


# ---- codec: the roll --------------------------------------------------------------------------


def _refuse_roll(pkg: ElectionPackage, roll: Json, pattern: str) -> None:
    with pytest.raises(PackageFormatError, match=pattern):
        parse_roll(roll, pkg.manifest)


def test_roll_voter_count_must_match_the_manifest(pkg: ElectionPackage) -> None:
    roll = roll_json(pkg)
    del roll["voters"][1]
    _refuse_roll(pkg, roll, r"^roll: holds 2 voters, the manifest announces 3$")
    roll = roll_json(pkg)
    roll["voters"].append(dict(roll["voters"][0], id="v0099", identifier="z@ac-exemple.fr"))
    _refuse_roll(pkg, roll, r"^roll: holds 4 voters, the manifest announces 3$")


def test_roll_voter_count_mismatch_through_load(
    pkg: ElectionPackage, organizer_key: Ed25519PrivateKey, write_files: Callable[[Files], Path]
) -> None:
    files = with_roll(files_of(pkg), pkg.assets["roll.json"], organizer_key, voters=4)
    assert refused(write_files(files)) == "roll: holds 3 voters, the manifest announces 4"


def test_roll_must_name_the_same_election(pkg: ElectionPackage) -> None:
    roll = roll_json(pkg)
    roll["election_id"] = "other-2026"
    _refuse_roll(pkg, roll, r"^roll\.election_id: does not match the manifest$")


@pytest.mark.parametrize("same", ["agent1@ac-exemple.fr", "AGENT1@AC-EXEMPLE.FR"])
def test_personal_email_must_differ_from_the_identifier(pkg: ElectionPackage, same: str) -> None:
    roll = roll_json(pkg)
    roll["voters"][1]["personal_email"] = same
    _refuse_roll(pkg, roll, r"^roll\.voters\[1\]\.personal_email: must differ from the identifier")


@pytest.mark.parametrize(
    "scrutins", [["nope"], ["cap", "CAP"], [1], [["cap"]], [{"id": "cap"}], [None]]
)
def test_voter_eligible_for_an_unknown_scrutin_is_refused(
    pkg: ElectionPackage, scrutins: Json
) -> None:
    roll = roll_json(pkg)
    roll["voters"][2]["scrutins"] = scrutins
    _refuse_roll(pkg, roll, r"^roll\.voters\[2\]\.scrutins\[\d\]: unknown scrutin")


def test_voter_listing_a_scrutin_twice_is_refused(pkg: ElectionPackage) -> None:
    roll = roll_json(pkg)
    roll["voters"][0]["scrutins"] = ["cap", "cap"]
    _refuse_roll(pkg, roll, r"roll\.voters\[0\]\.scrutins: a scrutin is listed twice")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("zz", "smuggled", r"^roll\.voters\[0\]: unknown field 'zz'$"),
        ("identifier", "not-an-email", r"^roll\.voters\[0\]\.identifier: not an e-mail address$"),
        ("identifier", "a b@c.fr", r"^roll\.voters\[0\]\.identifier: not an e-mail address$"),
        ("personal_email", "nope", r"^roll\.voters\[0\]\.personal_email: .* is not well formed$"),
        ("phone", "0600000000", r"^roll\.voters\[0\]\.phone: .* is not well formed$"),
        ("id", "V0000", r"^roll\.voters\[0\]\.id: 'V0000' is not an id"),
        ("display_name", "", r"^roll\.voters\[0\]\.display_name: expected a non-empty string$"),
        ("password", None, r"^roll\.voters\[0\]\.password: expected an object$"),
        (
            "numen",
            {"salt": "AAAA", "hash": "AAAA"},
            r"^roll\.voters\[0\]\.numen\.salt: expected 16 bytes",
        ),
        (
            "vote_code",
            {"salt": "A" * 22 + "==", "hash": 5},
            r"vote_code\.hash: expected base64 text",
        ),
        ("scrutins", "cap", r"^roll\.voters\[0\]\.scrutins: expected an array$"),
    ],
)
def test_voter_fields_are_checked(
    pkg: ElectionPackage, field: str, value: Json, expected: str
) -> None:
    roll = roll_json(pkg)
    roll["voters"][0][field] = value
    _refuse_roll(pkg, roll, expected)


@pytest.mark.parametrize(
    "field", ["numen", "password", "secret_answer", "secret_question", "identifier"]
)
def test_missing_voter_field_is_named(pkg: ElectionPackage, field: str) -> None:
    roll = roll_json(pkg)
    del roll["voters"][1][field]
    _refuse_roll(pkg, roll, rf"^roll\.voters\[1\]\.{field}: missing$")


def test_optional_voter_fields_may_be_null(pkg: ElectionPackage) -> None:
    roll = roll_json(pkg)
    roll["voters"][0].update(vote_code=None, personal_email=None, phone=None, station=None)
    voter = parse_roll(roll, pkg.manifest)[0]
    assert (voter.vote_code, voter.personal_email, voter.phone, voter.station) == (None,) * 4


def test_voter_repr_keeps_personal_data_out(pkg: ElectionPackage) -> None:
    text = repr(pkg.roll[0])
    assert text == "Voter(id='v0000')"
    assert "agent0" not in repr(list(pkg.roll))


def test_schema_constant_is_what_packages_carry(pkg: ElectionPackage) -> None:
    assert manifest_json(pkg)["schema"] == SCHEMA
    assert roll_json(pkg)["schema"] == SCHEMA


# ---- one signed form per value ----------------------------------------------------------------


@pytest.mark.parametrize("field", ["vote_code", "personal_email", "phone", "station"])
def test_nullable_voter_fields_must_still_be_present(pkg: ElectionPackage, field: str) -> None:
    roll = roll_json(pkg)
    del roll["voters"][0][field]
    with pytest.raises(PackageFormatError, match=rf"roll.voters\[0\].{field}: missing"):
        parse_roll(roll, pkg.manifest)


def test_nullable_kiosk_station_must_still_be_present(pkg: ElectionPackage) -> None:
    manifest = manifest_json(pkg)
    del manifest["kiosks"][0]["station"]
    _refuse_manifest(manifest, r"manifest.kiosks\[0\].station: missing")


def test_each_trustee_commits_to_exactly_threshold_coefficients(pkg: ElectionPackage) -> None:
    manifest = manifest_to_json(
        dataclasses.replace(pkg.manifest, election_key=_random_election_key())
    )
    manifest["election_key"]["trustees"][1]["commitments"].pop()
    _refuse_manifest(manifest, r"trustees\[1\].commitments: 1 given, threshold 2 needs 2")


@pytest.mark.parametrize("name", [package.MANIFEST, package.SIGNATURE])
def test_an_asset_may_not_take_a_package_file_name(pkg: ElectionPackage, name: str) -> None:
    manifest = manifest_json(pkg)
    manifest["assets"][name] = "0" * 64
    _refuse_manifest(manifest, "reserved package file name")
